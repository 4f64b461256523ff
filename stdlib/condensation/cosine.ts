/**
 * `cosine_similarity(net, layer: 0)`: the matrix D(u, v) = uᵀv/(‖u‖‖v‖) over a layer's neuron vectors
 * (notes P3) — for a conv layer its kernels, flattened whole or one input channel's slice — optionally reordered by the leading eigenvector of D so that condensed groups form blocks.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { reorderByLeadingEigenvector } from "../../numerics/eigen.js";
import type { Model } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import type { SeedTensors } from "../probes/types.js";
import * as entries from "./entries.js";
import { convKernels, isConvLayer, layerNeurons, type LayerVectors, rowNorm } from "./layer.js";

/** D(u, v) over the rows of an m × dim matrix, in neuron order; zero vectors give NaN rows and columns. */
export function cosineMatrix(vectors: Float64Array, m: number, dim: number): Float64Array {
  const unit = new Float64Array(m * dim);
  const alive = new Uint8Array(m);
  for (let k = 0; k < m; k++) {
    const norm = rowNorm(vectors, k, dim);
    if (!(norm > 0)) continue;
    alive[k] = 1;
    for (let i = 0; i < dim; i++) unit[k * dim + i] = vectors[k * dim + i]! / norm;
  }
  const out = new Float64Array(m * m);
  for (let u = 0; u < m; u++) {
    for (let v = u; v < m; v++) {
      let dot = NaN;
      if (alive[u] && alive[v]) {
        dot = 0;
        for (let i = 0; i < dim; i++) dot += unit[u * dim + i]! * unit[v * dim + i]!;
        dot = Math.max(-1, Math.min(1, dot));
      }
      out[u * m + v] = dot;
      out[v * m + u] = dot;
    }
  }
  return out;
}

/**
 * The vectors D is taken over: a dense layer's neurons (input weights, + bias), or a conv layer's kernels
 * flattened whole (+ bias) or one input channel's k×k slice (`channel`, never with the bias).
 */
export function cosineVectors(model: Model, { layer, bias, channel }: CosineLayerArgs): LayerVectors[] {
  if (!isConvLayer(model, layer)) {
    if (channel !== null) throw new DyncRuntimeError("RUN040", "channel: selects a slice of conv kernels, but this layer is dense");
    return layerNeurons(model, layer, bias ?? true);
  }
  if (channel !== null && bias === true) {
    throw new DyncRuntimeError("RUN040", "a channel slice of a kernel has no bias (the bias belongs to the whole kernel); drop bias: true or channel:");
  }
  // `bias` left out means: with the bias, except for a channel slice (which has none).
  return convKernels(model, layer, bias ?? channel === null, channel ?? undefined);
}

/** The layer, bias and channel arguments the two cosine probes share. */
export interface CosineLayerArgs {
  readonly layer: number;
  readonly bias: boolean | null;
  readonly channel: number | null;
}

/** The probe: per seed an m × m matrix (written as .npy), ordered by `order: eigen` (default) or `none`. */
export const cosineSimilarityProbe = defineProbe(entries.cosineSimilarity, { measure: ({ model, order, ...args }, ctx): SeedTensors => {
  const layers = cosineVectors(model, args);
  const m = layers[0]!.m;
  const perSeed = layers.map((layer, s) => {
    if (!ctx.seedIndices.includes(s)) return undefined;
    const d = cosineMatrix(layer.vectors, layer.m, layer.dim);
    return Float32Array.from(order === "eigen" ? reorderByLeadingEigenvector(d, m).values : d);
  });
  return { kind: "tensors", shape: [m, m], perSeed };
} });

/** Shares of the distinct neuron pairs (u < v) whose |D| exceeds a threshold: all, D > t, and D < −t. */
export interface CosineShares {
  readonly aligned: number;
  readonly parallel: number;
  readonly opposite: number;
}

/**
 * The shares of pairs that are aligned (|D| > above), parallel (D > above) and opposite (D < −above) among
 * the pairs of neurons that both have a direction (zero vectors' NaN pairs are left out); NaN with fewer
 * than two such neurons.
 */
export function cosineShares(d: Float64Array, m: number, above: number): CosineShares {
  let pairs = 0;
  let parallel = 0;
  let opposite = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const v = d[i * m + j]!;
      if (Number.isNaN(v)) continue;
      pairs++;
      if (v > above) parallel++;
      else if (v < -above) opposite++;
    }
  }
  if (pairs === 0) return { aligned: NaN, parallel: NaN, opposite: NaN };
  return { aligned: (parallel + opposite) / pairs, parallel: parallel / pairs, opposite: opposite / pairs };
}

/** The probe `cosine_share`: per seed, the shares of `cosineShares` over the layer's cosine matrix. */
export const cosineShareProbe = defineProbe(entries.cosineShare, { measure: ({ model, above, ...args }, ctx) => {
  const layers = cosineVectors(model, args);
  const fields = { aligned: new Float64Array(layers.length).fill(NaN), parallel: new Float64Array(layers.length).fill(NaN), opposite: new Float64Array(layers.length).fill(NaN) };
  layers.forEach((layer, s) => {
    if (!ctx.seedIndices.includes(s)) return;
    const shares = cosineShares(cosineMatrix(layer.vectors, layer.m, layer.dim), layer.m, above);
    fields.aligned[s] = shares.aligned;
    fields.parallel[s] = shares.parallel;
    fields.opposite[s] = shares.opposite;
  });
  return { kind: "fields" as const, fields };
} });
