/**
 * Seed-batched layer normalization over the last axis (PyTorch `LayerNorm(N)`, elementwise affine): each
 * sample's N values are normalised with their own mean and biased variance, then scaled by γ and shifted
 * by β (`layer.gamma`, `layer.beta`, `[S, N]`, starting at 1 and 0). The same in training and evaluation.
 * On images `[S, B, H, W, C]` it normalises each pixel's C channels (LayerNorm over the channel axis).
 */
import { tf } from "../tf.js";
import type { Param } from "../../contract/model.js";
import { createParam } from "../params.js";

/** PyTorch's default. */
export const LN_EPS = 1e-5;

export interface LayerNormParams {
  readonly gamma: Param;
  readonly beta: Param;
  readonly eps: number;
}

/** γ = 1, β = 0, like PyTorch. */
export function createLayerNorm(layer: string, seeds: number, width: number): LayerNormParams {
  return {
    gamma: createParam(layer, "gamma", new Float32Array(seeds * width).fill(1), [seeds, width]),
    beta: createParam(layer, "beta", new Float32Array(seeds * width), [seeds, width]),
    eps: LN_EPS,
  };
}

/** Normalise x `[S, B, …, N]` over its last axis. Built from differentiable ops (second derivatives exact). */
export function applyLayerNorm(ln: LayerNormParams, x: tf.Tensor): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axis, true);
  const normalised = tf.mul(centred, tf.rsqrt(tf.add(variance, ln.eps)));
  const [S, ...rest] = x.shape;
  const affine = (p: Param) => tf.reshape(p.variable, [S!, ...rest.slice(0, -1).map(() => 1), rest.at(-1)!]);
  return tf.add(tf.mul(normalised, affine(ln.gamma)), affine(ln.beta));
}
