/**
 * A small seed-batched convolutional stack for image classification: conv2d (+ activation) with optional
 * pooling, flatten, dense layers. Images are `[S, B, H, W, C]` (HWC, as `Dataset` stores them).
 *
 * Seed batching by im2col: the k×k shifted views of the input are sliced out and concatenated into patches
 * `[S, B·Ho·Wo, k·k·C]`, and one batched matrix product with the weights `[S, k·k·C, Cout]` convolves every
 * seed at once. Why not tf.conv2d with seeds folded into the batch: tfjs has no grouped convolution, so that
 * would take one conv2d call per seed; and the patch route reuses the flag-free, twice-differentiable `bmm`
 * (slice, concat and reshape have exact gradients), so Hessian-vector products work through conv layers
 * too. Pooling is over non-overlapping windows (size = stride) by reshape and max/mean, also twice
 * differentiable (tf.maxPool's gradient kernel has no gradient of its own).
 */
import * as tf from "@tensorflow/tfjs-core";
import { DyncRuntimeError } from "../errors.js";
import { type LayerInit, sampleParam } from "../init.js";
import type { Param } from "../model.js";
import { createParam } from "../params.js";
import { bmm } from "./bmm.js";

/** One convolution's geometry. */
export interface ConvGeometry {
  readonly kernel: number;
  readonly stride: number;
  readonly padding: "valid" | "same";
}

/** Output size and leading padding along one axis (TensorFlow's "same"/"valid" rules). */
export function convOutputSize(size: number, g: ConvGeometry): { out: number; padBefore: number; padAfter: number } {
  if (g.padding === "valid") {
    const out = Math.floor((size - g.kernel) / g.stride) + 1;
    return { out, padBefore: 0, padAfter: 0 };
  }
  const out = Math.ceil(size / g.stride);
  const total = Math.max((out - 1) * g.stride + g.kernel - size, 0);
  return { out, padBefore: Math.floor(total / 2), padAfter: total - Math.floor(total / 2) };
}

/** Patches `[S, B, Ho, Wo, k·k·C]` of x `[S, B, H, W, C]`, feature index (i·k + j)·C + c. */
export function im2col(x: tf.Tensor, g: ConvGeometry): tf.Tensor {
  const [S, B, H, W, C] = x.shape as [number, number, number, number, number];
  const rows = convOutputSize(H, g);
  const cols = convOutputSize(W, g);
  if (rows.out < 1 || cols.out < 1) {
    throw new DyncRuntimeError("RUN040", `a ${g.kernel}×${g.kernel} convolution does not fit a ${H}×${W} input`);
  }
  const s = g.stride;
  // Extra (s − 1) trailing zeros let every shifted view take s·Ho rows before subsampling.
  const padded = tf.pad(x, [
    [0, 0],
    [0, 0],
    [rows.padBefore, rows.padAfter + s - 1],
    [cols.padBefore, cols.padAfter + s - 1],
    [0, 0],
  ]);
  const views: tf.Tensor[] = [];
  for (let i = 0; i < g.kernel; i++) {
    for (let j = 0; j < g.kernel; j++) {
      let view = tf.slice(padded, [0, 0, i, j, 0], [S, B, s * rows.out, s * cols.out, C]);
      if (s > 1) {
        view = tf.reshape(view, [S, B, rows.out, s, cols.out, s, C]);
        view = tf.reshape(tf.slice(view, [0, 0, 0, 0, 0, 0, 0], [S, B, rows.out, 1, cols.out, 1, C]), [S, B, rows.out, cols.out, C]);
      }
      views.push(view);
    }
  }
  return views.length === 1 ? views[0]! : tf.concat(views, 4);
}

/** Seed-batched conv2d: x `[S, B, H, W, Cin]`, weight `[S, k, k, Cin, Cout]`, bias `[S, Cout]`. */
export function conv2d(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | undefined, g: ConvGeometry): tf.Tensor {
  const [S, B] = x.shape as [number, number];
  const [, k, , cin, cout] = weight.shape as [number, number, number, number, number];
  if (x.rank !== 5 || x.shape[4] !== cin || k !== g.kernel) {
    throw new DyncRuntimeError("RUN040", `conv2d: input [${x.shape.join(", ")}] does not fit weight [${weight.shape.join(", ")}]`);
  }
  const patches = im2col(x, g);
  const [, , Ho, Wo, K] = patches.shape as [number, number, number, number, number];
  const flat = bmm(tf.reshape(patches, [S, B * Ho * Wo, K]) as tf.Tensor3D, tf.reshape(weight, [S, K, cout]) as tf.Tensor3D);
  const out = tf.reshape(flat, [S, B, Ho, Wo, cout]);
  return bias ? tf.add(out, tf.reshape(bias, [S, 1, 1, 1, cout])) : out;
}

/** Max or average over non-overlapping size×size windows (trailing rows/columns that do not fill a window are dropped). */
export function pool2d(x: tf.Tensor, kind: "max" | "avg", size: number): tf.Tensor {
  const [S, B, H, W, C] = x.shape as [number, number, number, number, number];
  const Ho = Math.floor(H / size);
  const Wo = Math.floor(W / size);
  if (Ho < 1 || Wo < 1) throw new DyncRuntimeError("RUN040", `a ${size}×${size} pool does not fit a ${H}×${W} input`);
  const cropped = Ho * size === H && Wo * size === W ? x : tf.slice(x, [0, 0, 0, 0, 0], [S, B, Ho * size, Wo * size, C]);
  const windows = tf.reshape(cropped, [S, B, Ho, size, Wo, size, C]);
  return kind === "max" ? tf.max(windows, [3, 5]) : tf.mean(windows, [3, 5]);
}

/** `[S, B, H, W, C]` → `[S, B, H·W·C]` (HWC order). */
export function flatten(x: tf.Tensor): tf.Tensor3D {
  const [S, B, ...rest] = x.shape;
  return tf.reshape(x, [S!, B!, rest.reduce((a, b) => a * b, 1)]) as tf.Tensor3D;
}

/** Parameters of one conv layer. */
export interface ConvParams {
  readonly weight: Param;
  readonly bias?: Param;
  readonly geometry: ConvGeometry;
}

/** Create and initialise a conv layer; fans follow PyTorch: k·k·Cin in, k·k·Cout out. */
export function createConvParams(
  layer: string,
  cin: number,
  cout: number,
  geometry: ConvGeometry,
  options: { seeds: readonly number[]; init: LayerInit; bias: boolean },
): ConvParams {
  const k = geometry.kernel;
  const fans = { fanIn: k * k * cin, fanOut: k * k * cout };
  const S = options.seeds.length;
  const weight = createParam(
    layer,
    "weight",
    sampleParam(options.init.weight, fans, options.seeds, `${layer}.weight`, k * k * cin * cout),
    [S, k, k, cin, cout],
  );
  if (!options.bias) return { weight, geometry };
  const bias = createParam(layer, "bias", sampleParam(options.init.bias, fans, options.seeds, `${layer}.bias`, cout), [S, cout]);
  return { weight, bias, geometry };
}
