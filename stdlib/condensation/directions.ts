/**
 * `condensed_directions(net, data)`: how many directions the active neurons of a layer have condensed
 * onto, and the smaller network they amount to (notes P9). Active neurons (amplitude Aₖ ≥ `active` × the
 * largest) are grouped greedily, largest amplitude first, by cosine similarity D > `similarity` to a
 * group's leader. The merged network groups every neuron (active threshold 0: the small neurons' summed
 * contribution is not negligible, measured: dropping them left a loss of 8e-5 against 1.5e-11 in the
 * 4-point example), and only neurons that also share their activation pattern on the data and the sign of
 * their output weight (`mergeKey`), so that it is exact on the data; its loss is compared with the original's.
 *
 * Merging: for a positively homogeneous activation (relu, leaky_relu, identity) a group becomes one
 * neuron with input vector v = Σ‖aₖ‖wₖ and output weight Σaₖ‖wₖ‖ / Σ‖aₖ‖‖wₖ‖. Because σ(w·x̃) = ‖w‖σ(ŵ·x̃)
 * this is exact when the members are parallel, and also, for one output with output weights of one sign,
 * wherever the members share their activation pattern (there both sides are linear in x̃ and agree).
 * For other activations the notes' rule is used (the group's mean input vector, the sum of output weights),
 * exact only when the members are equal. The merged loss is computed for
 * one-hidden-layer MLPs without batch norm or input encoding (the notes' setting); otherwise it is NaN.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { fdlibmLog1p } from "../../numerics/fdlibm-log.js";
import { hypot2 } from "../../numerics/hypot.js";
import { portableMath } from "../../numerics/portable-math.js";
import { lossName, type LossKind } from "../../runtime/loss.js";
import type { Model } from "../../contract/model.js";
import { activationName, type ActivationSpec, DEFAULT_LEAKY_SLOPE } from "../../runtime/nn/activations.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import { twoLayerView } from "../probes/layers.js";
import * as entries from "./entries.js";
import { neuronFeatures } from "./features.js";
import { type LayerNeurons, layerNeurons, rowNorm } from "./layer.js";

/** A one-hidden-layer network in float64: f(x) = scale·(Σₖ aₖ σ(wₖ·x + bₖ) + c). */
export interface TwoLayerNet {
  /** m × (inDim + 1) rows (w, b). */
  readonly vectors: Float64Array;
  /** m × outDim. */
  readonly outWeights: Float64Array;
  readonly m: number;
  readonly inDim: number;
  readonly outDim: number;
  /** outDim output biases. */
  readonly outBias: Float64Array;
  readonly scale: number;
  readonly act: ActivationSpec;
}

/**
 * The groups of active neurons: each a list of neuron indices, leader (largest amplitude) first. With
 * `compatible`, a neuron only joins a group whose leader has the same compatibility key.
 */
export function groupDirections(layer: LayerNeurons, amplitude: Float64Array, activeFraction: number, similarity: number, compatible?: (k: number) => string): number[][] {
  const maxAmp = Math.max(...amplitude.filter(Number.isFinite));
  const active = [...amplitude.keys()].filter((k) => amplitude[k]! > 0 && amplitude[k]! >= activeFraction * maxAmp);
  active.sort((a, b) => amplitude[b]! - amplitude[a]! || a - b);
  const { vectors, dim } = layer;
  const groups: number[][] = [];
  for (const k of active) {
    const nk = rowNorm(vectors, k, dim);
    const home = groups.find((g) => {
      const l = g[0]!;
      if (compatible && compatible(k) !== compatible(l)) return false;
      let dot = 0;
      for (let i = 0; i < dim; i++) dot += vectors[k * dim + i]! * vectors[l * dim + i]!;
      return dot / (nk * rowNorm(vectors, l, dim)) > similarity;
    });
    if (home) home.push(k);
    else groups.push([k]);
  }
  return groups;
}

/**
 * For a layer on one input: how many distinct kinks x = −b/w the groups place inside [lo, hi]. Two groups
 * share a kink when their lines w·x + b = 0 coincide, i.e. their leaders (w, b), each oriented to w > 0,
 * have cosine similarity > `similarity`: neurons opening left and right at the same point are two
 * directions but one kink. NaN for more than one input or without a bias.
 */
export function countKinks(layer: LayerNeurons, groups: readonly number[][], similarity: number, lo: number, hi: number): number {
  if (layer.inDim !== 1 || layer.dim !== 2) return NaN;
  const lines: [number, number][] = [];
  for (const [leader] of groups) {
    const [w, b] = [layer.vectors[leader! * 2]!, layer.vectors[leader! * 2 + 1]!];
    if (w === 0) continue; // a constant neuron has no kink
    const [ow, ob] = w > 0 ? [w, b] : [-w, -b];
    const kink = -ob / ow;
    if (kink < lo || kink > hi) continue;
    const norm = hypot2(ow, ob);
    if (!lines.some(([lw, lb]) => (ow * lw + ob * lb) / (norm * hypot2(lw, lb)) > similarity)) lines.push([ow, ob]);
  }
  return lines.length;
}

function isHomogeneous(act: ActivationSpec): boolean {
  const name = activationName(act);
  return name === "relu" || name === "leaky_relu" || name === "identity";
}

/** The network with one neuron per group (see the module comment for the rule). */
export function mergeGroups(net: TwoLayerNet, groups: readonly number[][]): TwoLayerNet {
  const dim = net.inDim + 1;
  const { outDim } = net;
  const vectors = new Float64Array(groups.length * dim);
  const outWeights = new Float64Array(groups.length * outDim);
  const homogeneous = isHomogeneous(net.act);
  groups.forEach((g, j) => {
    let amplitudeSum = 0;
    for (const k of g) {
      const norm = rowNorm(net.vectors, k, dim);
      const outNorm = rowNorm(net.outWeights, k, outDim);
      // homogeneous: v = Σ‖aₖ‖wₖ, a = Σ aₖ‖wₖ‖ / Σ‖aₖ‖‖wₖ‖; otherwise v = mean wₖ, a = Σ aₖ
      const vectorWeight = homogeneous ? outNorm : 1 / g.length;
      for (let i = 0; i < dim; i++) vectors[j * dim + i] += vectorWeight * net.vectors[k * dim + i]!;
      for (let o = 0; o < outDim; o++) outWeights[j * outDim + o] += net.outWeights[k * outDim + o]! * (homogeneous ? norm : 1);
      amplitudeSum += outNorm * norm;
    }
    if (homogeneous && amplitudeSum > 0) for (let o = 0; o < outDim; o++) outWeights[j * outDim + o] /= amplitudeSum;
  });
  return { ...net, vectors, outWeights, m: groups.length };
}

/** σ in float64 for the activations a merged loss supports. */
function scalarActivation(act: ActivationSpec): (z: number) => number {
  const name = activationName(act);
  switch (name) {
    case "relu":
      return (z) => (z > 0 ? z : 0);
    case "leaky_relu": {
      const slope = typeof act === "object" && "slope" in act ? act.slope : DEFAULT_LEAKY_SLOPE;
      return (z) => (z > 0 ? z : slope * z);
    }
    case "identity":
      return (z) => z;
    case "tanh":
      return portableMath.tanh;
    case "sigmoid":
      return (z) => 1 / (1 + portableMath.exp(-z));
    case "silu":
      return (z) => z / (1 + portableMath.exp(-z));
    case "xtanh":
      return (z) => z * portableMath.tanh(z);
    case "softplus":
      return (z) => (z > 30 ? z : fdlibmLog1p(portableMath.exp(z)));
    default:
      throw new DyncRuntimeError("RUN040", `the merged network's loss is not available for activation ${name}`);
  }
}

/** f(x) for n inputs (n × inDim row-major), n × outDim outputs, in float64. */
export function forwardTwoLayer(net: TwoLayerNet, x: ArrayLike<number>, n: number): Float64Array {
  const sigma = scalarActivation(net.act);
  const { m, inDim, outDim, vectors, outWeights } = net;
  const dim = inDim + 1;
  const out = new Float64Array(n * outDim);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outDim; o++) out[r * outDim + o] = net.outBias[o]!;
    for (let k = 0; k < m; k++) {
      let z = vectors[k * dim + inDim]!;
      for (let i = 0; i < inDim; i++) z += vectors[k * dim + i]! * x[r * inDim + i]!;
      const h = sigma(z);
      if (h === 0) continue;
      for (let o = 0; o < outDim; o++) out[r * outDim + o] += outWeights[k * outDim + o]! * h;
    }
    for (let o = 0; o < outDim; o++) out[r * outDim + o] *= net.scale;
  }
  return out;
}

/** Mean loss of predictions against targets (n × outDim), in float64, as runtime/loss.ts defines it. */
export function meanLoss(kind: LossKind, pred: Float64Array, y: ArrayLike<number>, n: number, outDim: number): number {
  let total = 0;
  for (let r = 0; r < n; r++) {
    if (lossName(kind) === "cross_entropy") {
      let max = -Infinity;
      for (let o = 0; o < outDim; o++) max = Math.max(max, pred[r * outDim + o]!);
      let sumExp = 0;
      let dot = 0;
      for (let o = 0; o < outDim; o++) {
        sumExp += portableMath.exp(pred[r * outDim + o]! - max);
        dot += y[r * outDim + o]! * pred[r * outDim + o]!;
      }
      total += max + portableMath.log(sumExp) - dot;
    } else {
      let sq = 0;
      for (let o = 0; o < outDim; o++) sq += (pred[r * outDim + o]! - y[r * outDim + o]!) ** 2;
      total += kind === "mse" ? sq / outDim : kind === "half_mse" ? sq / (2 * outDim) : sq / 2;
    }
  }
  return total / n;
}

/** One seed's two-layer network in float64, or undefined when the model is not a plain one-hidden-layer network. */
export function twoLayerNet(model: Model, seed: number): TwoLayerNet | undefined {
  const view = twoLayerView(model);
  if (!view) return undefined;
  const layer = layerNeurons(model, 0, true)[seed]!;
  if (layer.dim !== layer.inDim + 1) return undefined; // no bias: fold a zero bias in
  const outBias = view.out.bias;
  const biasValues = new Float64Array(layer.outDim);
  if (outBias) {
    const all = outBias.variable.dataSync() as Float32Array;
    for (let o = 0; o < layer.outDim; o++) biasValues[o] = all[seed * layer.outDim + o]!;
  }
  return { vectors: layer.vectors, outWeights: layer.outWeights, m: layer.m, inDim: layer.inDim, outDim: layer.outDim, outBias: biasValues, scale: model.outputScale ?? 1, act: view.hidden.activation ?? "identity" };
}

/**
 * Which neurons may merge exactly on the data: the same activation pattern on every sample and, for one
 * output, the same sign of output weight. Then the merged neuron equals the group's sum on the data.
 */
export function mergeKey(net: TwoLayerNet, x: ArrayLike<number>, n: number): (k: number) => string {
  const dim = net.inDim + 1;
  return (k) => {
    let key = net.outDim === 1 ? (net.outWeights[k]! >= 0 ? "+" : "-") : "";
    for (let r = 0; r < n; r++) {
      let z = net.vectors[k * dim + net.inDim]!;
      for (let i = 0; i < net.inDim; i++) z += net.vectors[k * dim + i]! * x[r * net.inDim + i]!;
      key += z > 0 ? "1" : "0";
    }
    return key;
  };
}

/** Inputs and targets of one seed's copy of a data set, as JS arrays. */
function seedData(data: EvalData, seed: number): { x: Float32Array; y: Float32Array } {
  const { x, y } = data.rows({ start: 0, count: data.n });
  try {
    const xs = x.dataSync() as Float32Array;
    const ys = y.dataSync() as Float32Array;
    const xPer = xs.length / data.seeds;
    const yPer = ys.length / data.seeds;
    return { x: xs.slice(seed * xPer, (seed + 1) * xPer), y: ys.slice(seed * yPer, (seed + 1) * yPer) };
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** [min, max] of the values (a loop: a spread of a large data set would overflow the call stack). */
function range(values: Float32Array): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return [lo, hi];
}

/** The probe: fields directions, active, kinks, merged_width, loss (original, float64) and merged_loss per seed. */
export const condensedDirectionsProbe = defineProbe(entries.condensedDirections, { measure: ({ model, data, layer: k, active: activeFraction, similarity }, ctx, run) => {
  const layers = layerNeurons(model, k, true);
  const S = model.seeds;
  const empty = (): Float64Array => new Float64Array(S).fill(NaN);
  const fields = { directions: empty(), active: empty(), kinks: empty(), merged_width: empty(), loss: empty(), merged_loss: empty() };
  for (const s of ctx.seedIndices) {
    const layer = layers[s]!;
    const { amplitude } = neuronFeatures(layer);
    const groups = groupDirections(layer, amplitude, activeFraction, similarity);
    fields.directions[s] = groups.length;
    fields.active[s] = groups.reduce((n, g) => n + g.length, 0);
    const net = k === 0 ? twoLayerNet(model, s) : undefined;
    const firstLayerOnOneInput = k === 0 && layer.inDim === 1;
    if (!firstLayerOnOneInput && (!net || data.yDim === 0)) continue;
    const { x, y } = seedData(data, s);
    if (firstLayerOnOneInput) fields.kinks[s] = countKinks(layer, groups, similarity, ...range(x));
    if (!net || data.yDim === 0) continue;
    const allGroups = groupDirections(layer, amplitude, 0, similarity, mergeKey(net, x, data.n));
    fields.merged_width[s] = allGroups.length;
    fields.loss[s] = meanLoss(run.loss, forwardTwoLayer(net, x, data.n), y, data.n, net.outDim);
    fields.merged_loss[s] = meanLoss(run.loss, forwardTwoLayer(mergeGroups(net, allGroups), x, data.n), y, data.n, net.outDim);
  }
  return { kind: "fields" as const, fields };
} });
