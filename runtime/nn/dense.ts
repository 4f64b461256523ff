/**
 * The seed-batched dense (linear) layer: weight `[S, fanIn, fanOut]`, bias `[S, fanOut]`, x `[S, B, fanIn]`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { type LayerInit, sampleParam } from "../init.js";
import type { Param } from "../model.js";
import { createParam } from "../params.js";
import { bmm } from "./bmm.js";

/** The parameters of one dense layer. */
export interface DenseParams {
  readonly weight: Param;
  readonly bias?: Param;
  readonly fanIn: number;
  readonly fanOut: number;
}

/** x·W (+ b) per seed: `[S, B, in] × [S, in, out] (+ [S, out]) → [S, B, out]`, twice differentiable. */
export function dense(x: tf.Tensor3D, weight: tf.Tensor3D, bias?: tf.Tensor2D): tf.Tensor3D {
  const product = bmm(x, weight);
  return bias ? tf.add(product, tf.expandDims(bias, 1)) : product;
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

/** Apply a dense layer's parameters to x. */
export function applyDense(params: DenseParams, x: tf.Tensor3D): tf.Tensor3D {
  return dense(x, params.weight.variable as tf.Tensor3D, params.bias?.variable as tf.Tensor2D | undefined);
}
