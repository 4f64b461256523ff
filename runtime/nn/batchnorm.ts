/**
 * Seed-batched batch normalization over the batch axis (PyTorch BatchNorm1d semantics, per seed):
 * training normalises with the batch mean and biased variance and moves the running statistics
 * (running ← (1 − momentum)·running + momentum·batch, the running variance from the unbiased batch variance);
 * evaluation normalises with the running statistics. Scale γ and shift β are parameters `layer.gamma`,
 * `layer.beta` `[S, N]`; the running statistics are non-trainable state `[S, N]`.
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import type { Param } from "../../contract/model.js";
import { simdBroadcastRows, simdSumRows } from "../kernels/ops.js";
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
 *
 * Why per-feature statistics go through `sumOverBatch` and `perRow` instead of tf.mean and broadcasting:
 * on wasm a reduction over the middle axis (tf.mean, and the gradient of every `[S, 1, N]` operand broadcast
 * against `[S, B, N]`) runs through a transpose, and tf.mean's gradient adds casts; that made an MLP with
 * batch norm ~2–3× slower per step than without (docs/performance.md, "Batch norm"). The SIMD kernels sum
 * rows and copy rows in one pass each, and are each other's gradients, so every order of derivative stays exact.
 */
export function applyBatchNorm(
  bn: BatchNormParams,
  x: tf.Tensor3D,
  training: boolean,
  updateStats: boolean,
): tf.Tensor3D {
  const batch = x.shape[1];
  let mean: tf.Tensor2D;
  let variance: tf.Tensor2D;
  let centered: tf.Tensor3D;
  if (training) {
    if (batch < 2) throw new DyncRuntimeError("RUN040", "batch norm in training mode needs a batch of at least 2 samples");
    mean = tf.div(sumOverBatch(x), batch);
    centered = tf.sub(x, perRow(mean, batch));
    variance = tf.div(sumOverBatch(tf.square(centered)), batch);
    if (updateStats) moveRunningStats(bn, mean, variance, batch);
  } else {
    mean = bn.runningMean as tf.Tensor2D;
    variance = bn.runningVar as tf.Tensor2D;
    centered = tf.sub(x, perRow(mean, batch));
  }
  const normalised = tf.mul(centered, perRow(tf.rsqrt(tf.add(variance, bn.eps)) as tf.Tensor2D, batch));
  return tf.add(tf.mul(normalised, perRow(bn.gamma.variable as tf.Tensor2D, batch)), perRow(bn.beta.variable as tf.Tensor2D, batch));
}

/** Σ_b x[s, b, n] → `[S, N]`. */
function sumOverBatch(x: tf.Tensor3D): tf.Tensor2D {
  return simdSumRows(x) ?? tf.sum(x, 1);
}

/**
 * A per-feature `[S, N]` value as an operand of `[S, B, N]`: on wasm copied into every row (so the elementwise
 * op has no broadcast, and its gradient sums rows in one kernel), elsewhere `[S, 1, N]` broadcast by the op.
 */
function perRow(v: tf.Tensor2D, batch: number): tf.Tensor3D {
  return simdBroadcastRows(v, batch) ?? tf.expandDims(v, 1);
}

function moveRunningStats(bn: BatchNormParams, mean: tf.Tensor2D, biasedVar: tf.Tensor2D, batch: number): void {
  const m = bn.momentum;
  const newMean = tf.tidy(() => tf.add(tf.mul(bn.runningMean, 1 - m), tf.mul(mean, m)));
  const newVar = tf.tidy(() => tf.add(tf.mul(bn.runningVar, 1 - m), tf.mul(biasedVar, (m * batch) / (batch - 1))));
  bn.runningMean.assign(newMean);
  bn.runningVar.assign(newVar);
  newMean.dispose();
  newVar.dispose();
}
