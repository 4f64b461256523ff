/**
 * Seed-batched batch normalization over the batch axis (PyTorch BatchNorm1d semantics, per seed):
 * training normalises with the batch mean and biased variance and moves the running statistics
 * (running ← (1 − momentum)·running + momentum·batch, the running variance from the unbiased batch variance);
 * evaluation normalises with the running statistics. Scale γ and shift β are parameters `layer.gamma`,
 * `layer.beta` `[S, N]`; the running statistics are non-trainable state `[S, N]`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { DyncRuntimeError } from "../errors.js";
import type { Param } from "../../contract/model.js";
import { createParam } from "../params.js";

/** PyTorch defaults. */
export const BN_MOMENTUM = 0.1;
export const BN_EPS = 1e-5;

/** Parameters and state of one batch-norm layer. */
export interface BatchNormParams {
  readonly gamma: Param;
  readonly beta: Param;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly momentum: number;
  readonly eps: number;
}

/** γ = 1, β = 0, running mean 0 and variance 1, like PyTorch. */
export function createBatchNorm(layer: string, seeds: number, width: number): BatchNormParams {
  const ones = new Float32Array(seeds * width).fill(1);
  return {
    gamma: createParam(layer, "gamma", ones, [seeds, width]),
    beta: createParam(layer, "beta", new Float32Array(seeds * width), [seeds, width]),
    runningMean: tf.tidy(() => tf.variable(tf.zeros([seeds, width]), false)),
    runningVar: tf.tidy(() => tf.variable(tf.ones([seeds, width]), false)),
    momentum: BN_MOMENTUM,
    eps: BN_EPS,
  };
}

/**
 * Normalise x `[S, B, N]`. In training mode with `updateStats`, the running statistics move (the values
 * are state: assigning them adds nothing to the function being differentiated).
 */
export function applyBatchNorm(
  bn: BatchNormParams,
  x: tf.Tensor3D,
  training: boolean,
  updateStats: boolean,
): tf.Tensor3D {
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (training) {
    const batch = x.shape[1];
    if (batch < 2) throw new DyncRuntimeError("RUN040", "batch norm in training mode needs a batch of at least 2 samples");
    mean = tf.mean(x, 1, true);
    variance = tf.mean(tf.square(tf.sub(x, mean)), 1, true);
    if (updateStats) moveRunningStats(bn, mean, variance, batch);
  } else {
    mean = tf.expandDims(bn.runningMean, 1);
    variance = tf.expandDims(bn.runningVar, 1);
  }
  const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, bn.eps)));
  return tf.add(tf.mul(normalised, tf.expandDims(bn.gamma.variable, 1)), tf.expandDims(bn.beta.variable, 1));
}

function moveRunningStats(bn: BatchNormParams, mean: tf.Tensor, biasedVar: tf.Tensor, batch: number): void {
  const m = bn.momentum;
  const newMean = tf.tidy(() =>
    tf.add(tf.mul(bn.runningMean, 1 - m), tf.mul(tf.squeeze(mean, [1]), m)),
  );
  const newVar = tf.tidy(() =>
    tf.add(tf.mul(bn.runningVar, 1 - m), tf.mul(tf.squeeze(biasedVar, [1]), (m * batch) / (batch - 1))),
  );
  bn.runningMean.assign(newMean);
  bn.runningVar.assign(newVar);
  newMean.dispose();
  newVar.dispose();
}
