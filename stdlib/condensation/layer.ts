/**
 * A hidden layer's neurons as plain float64 arrays, per seed: neuron k's input weights wₖ (column k of the
 * layer's weight, plus its bias when asked) and its output weights aₖ (row k of the next layer's weight).
 * Every condensation probe reads a layer through this one place.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model, Param } from "../../contract/model.js";
import { hiddenLayer, nextWeighted } from "../probes/layers.js";

/** One seed's view of hidden layer `layer`: m neurons with input vectors of length `dim` and outputs of length `outDim`. */
export interface LayerNeurons {
  /** Number of neurons m. */
  readonly m: number;
  /** Input dimension of the layer (without the bias). */
  readonly inDim: number;
  /** Length of each neuron vector: inDim, + 1 when the bias is included. */
  readonly dim: number;
  /** Neuron vectors, m × dim row-major: (W[:, k], b[k]). */
  readonly vectors: Float64Array;
  /** Output weights, m × outDim row-major: the next layer's weight row k. */
  readonly outWeights: Float64Array;
  readonly outDim: number;
}

/** Per-seed copies of a parameter `[S, ...]` as float64 blocks. */
function perSeedValues(p: Param, seeds: number): Float64Array[] {
  const all = p.variable.dataSync() as Float32Array;
  const size = all.length / seeds;
  return Array.from({ length: seeds }, (_, s) => Float64Array.from(all.subarray(s * size, (s + 1) * size)));
}

/** The neurons of hidden layer `layer` (an index) for every seed; `withBias` folds the bias into each vector. */
export function layerNeurons(model: Model, layer: number, withBias: boolean): LayerNeurons[] {
  const view = hiddenLayer(model, layer);
  const weight = view.weight;
  const nextWeight = nextWeighted(model, view)?.weight;
  if (!weight || !nextWeight || weight.variable.rank !== 3 || nextWeight.variable.rank !== 3) {
    throw new DyncRuntimeError("RUN040", `layer ${view.name} is not a dense layer followed by a dense layer; neuron probes need both`);
  }
  const bias = withBias ? view.bias : undefined;
  const [, inDim, m] = weight.variable.shape as [number, number, number];
  const outDim = nextWeight.variable.shape[2]!;
  const S = model.seeds;
  const W = perSeedValues(weight, S);
  const B = bias ? perSeedValues(bias, S) : undefined;
  const A = perSeedValues(nextWeight, S);
  const dim = inDim + (B ? 1 : 0);
  return W.map((w, s) => {
    const vectors = new Float64Array(m * dim);
    for (let k = 0; k < m; k++) {
      for (let i = 0; i < inDim; i++) vectors[k * dim + i] = w[i * m + k]!;
      if (B) vectors[k * dim + inDim] = B[s]![k]!;
    }
    return { m, inDim, dim, vectors, outWeights: A[s]!, outDim };
  });
}

/** One seed's direction vectors of a layer: m vectors of length dim, row-major. */
export interface LayerVectors {
  readonly m: number;
  readonly dim: number;
  readonly vectors: Float64Array;
}

/**
 * The kernels of conv layer `layer` for every seed: kernel o flattened whole, (i, j, c) ↦ W[i, j, c, o] in
 * that order (k·k·C_in values, + its bias when `withBias`), or with `channel` only input channel c's k×k
 * slice W[·, ·, c, o] (the bias belongs to the whole kernel, so a slice never includes it).
 */
export function convKernels(model: Model, layer: number, withBias: boolean, channel: number | undefined): LayerVectors[] {
  const view = hiddenLayer(model, layer);
  const { name, weight } = view;
  if (!weight || weight.variable.rank !== 5) throw new DyncRuntimeError("RUN040", `layer ${name} is not a convolution`);
  const [, k, , cin, cout] = weight.variable.shape as [number, number, number, number, number];
  if (channel !== undefined && !(Number.isInteger(channel) && channel >= 0 && channel < cin)) {
    throw new DyncRuntimeError("RUN040", `channel must be an input channel of ${name} in 0..${cin - 1}, got ${channel}`);
  }
  const bias = withBias && channel === undefined ? view.bias : undefined;
  const W = perSeedValues(weight, model.seeds);
  const B = bias ? perSeedValues(bias, model.seeds) : undefined;
  const channels = channel === undefined ? [...Array(cin).keys()] : [channel];
  const dim = k * k * channels.length + (B ? 1 : 0);
  return W.map((w, s) => {
    const vectors = new Float64Array(cout * dim);
    for (let o = 0; o < cout; o++) {
      let at = o * dim;
      for (let ij = 0; ij < k * k; ij++) for (const c of channels) vectors[at++] = w[(ij * cin + c) * cout + o]!;
      if (B) vectors[at] = B[s]![o]!;
    }
    return { m: cout, dim, vectors };
  });
}

/** Whether hidden layer `layer` (an index) is a convolution (weight `[S, k, k, C_in, C_out]`). */
export function isConvLayer(model: Model, layer: number): boolean {
  return hiddenLayer(model, layer).weight?.variable.rank === 5;
}

/** ‖v‖₂ of row k of an m × dim matrix. */
export function rowNorm(values: Float64Array, k: number, dim: number): number {
  let sum = 0;
  for (let i = 0; i < dim; i++) sum += values[k * dim + i]! ** 2;
  return Math.sqrt(sum);
}
