/**
 * The seed-batched dense (linear) layer: weight `[S, fanIn, fanOut]`, bias `[S, fanOut]`, x `[S, B, fanIn]`.
 */
import { tf } from "../tf.js";
import { type LayerInit, sampleParam } from "../init.js";
import type { Param } from "../../contract/model.js";
import { createParam } from "../params.js";
import { simdSumRows } from "../kernels/ops.js";
import { bmm, bmmInputGradient } from "./bmm.js";

/** The parameters of one dense layer. */
export interface DenseParams {
  readonly weight: Param;
  readonly bias?: Param;
  readonly fanIn: number;
  readonly fanOut: number;
}

/**
 * `[S, B, N] + [S, N]` broadcast over the batch. The bias gradient Σ_b dy is computed as the product
 * 1ᵀ·dy (`[S, 1, B] × [S, B, N]`) instead of tf.add's built-in Sum over the middle axis, which the wasm
 * backend runs through a transpose (~24 ms vs a few ms for B = 4096, N = 256; docs/performance.md).
 * The gradient depends on dy only, so nothing is saved (no clone) and it stays differentiable through bmm.
 * On wasm the sum is one SIMD-module kernel instead (XNNPACK repacks dy as the matrix of a matrix-vector
 * product on every call: ~12 ms for B = 4096, N = 256, against ~0.5 ms).
 */
const addBiasOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, bias] = args as [tf.Tensor3D, tf.Tensor2D];
  const [S, B, N] = x.shape;
  return {
    value: tf.add(x, tf.expandDims(bias, 1)),
    gradFunc: (dy: tf.Tensor) => [dy, biasGradient(dy as tf.Tensor3D, S, B, N)],
  };
});

/** Σ_b dy[s, b, n]. */
function biasGradient(dy: tf.Tensor3D, S: number, B: number, N: number): tf.Tensor2D {
  return simdSumRows(dy) ?? tf.reshape(bmm(tf.ones([S, 1, B]), dy), [S, N]);
}

/** Add a per-seed bias `[S, N]` to every row of `[S, B, N]`, with a matMul-based, twice-differentiable gradient. */
export function addBias(x: tf.Tensor3D, bias: tf.Tensor2D): tf.Tensor3D {
  return addBiasOp(x, bias) as tf.Tensor3D;
}

/** x·W (+ b) per seed: `[S, B, in] × [S, in, out] (+ [S, out]) → [S, B, out]`, twice differentiable. */
export function dense(x: tf.Tensor3D, weight: tf.Tensor3D, bias?: tf.Tensor2D): tf.Tensor3D {
  const product = bmm(x, weight);
  return bias ? addBias(product, bias) : product;
}

/** Create and initialise the parameters of dense layer `layer` for the given seed values. */
export function createDenseParams(
  layer: string,
  fanIn: number,
  fanOut: number,
  options: { seeds: readonly number[]; init: LayerInit; bias: boolean },
): DenseParams {
  const fans = { fanIn, fanOut };
  const S = options.seeds.length;
  const weight = createParam(
    layer,
    "weight",
    sampleParam(options.init.weight, fans, options.seeds, `${layer}.weight`, fanIn * fanOut),
    [S, fanIn, fanOut],
  );
  if (!options.bias) return { weight, fanIn, fanOut };
  const bias = createParam(
    layer,
    "bias",
    sampleParam(options.init.bias, fans, options.seeds, `${layer}.bias`, fanOut),
    [S, fanOut],
  );
  return { weight, bias, fanIn, fanOut };
}

/**
 * Apply a dense layer's parameters to x. `skipParameterGradients`: the caller differentiates only with respect
 * to inputs, so the weight's gradient is zeros instead of aᵀ·dy (a third of the backward pass saved).
 */
export function applyDense(params: DenseParams, x: tf.Tensor3D, skipParameterGradients = false): tf.Tensor3D {
  const weight = params.weight.variable as tf.Tensor3D;
  const bias = params.bias?.variable as tf.Tensor2D | undefined;
  if (!skipParameterGradients) return dense(x, weight, bias);
  const product = bmmInputGradient(x, weight);
  return bias ? addBias(product, bias) : product;
}
