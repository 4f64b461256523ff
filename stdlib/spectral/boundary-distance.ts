/**
 * `boundary_distance(net, data, method: weights | gradient)`: the mean over data points of the distance to
 * the nearest neuron boundary, a hidden pre-activation zᵢ(x) = 0 (Lazzari & Liu P9).
 *
 * - `weights`, as the authors' scripts/region_narrowness.py: min over neurons of |zᵢ(x)|/‖wᵢ‖, wᵢ neuron i's
 *   input weights (bias excluded). For layer l this is the distance of layer l's input to the neuron's
 *   hyperplane in that layer's own input space, so distances of different layers are in different spaces.
 * - `gradient`: min over neurons of |zᵢ(x)|/‖∇ₓzᵢ(x)‖, the distance to the boundary of the linearisation of
 *   zᵢ at x, in the data's input space (through the encoding). ∇ₓz for every neuron at once needs forward
 *   mode (few inputs, many neurons): J·e_k per input direction k, as ∂/∂u ⟨Jᵀu, e_k⟩ by nested reverse mode.
 */
import { tf } from "../../runtime/tf.js";
import type { LayerView, Model, Taps } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData, RowRange } from "../probes/eval-data.js";
import { hiddenLayer, hiddenLayers } from "../probes/layers.js";
import * as entries from "./entries.js";

/**
 * Seed-rows per pass: a pass keeps every layer's activations alive until its minimum is read (8192 rows of a
 * 4×512 net: ~200 MB; EvalData's 65,536-row chunks took 2.9 GB). The gradient method's nested gradients
 * keep several tensors per row and layer.
 */
const WEIGHTS_SEED_ROWS = 8192;
const GRADIENT_SEED_ROWS = 4096;

export type BoundaryMethod = "weights" | "gradient";

/** The hidden layers that count: `layers` (indices) or all; dense only (a conv layer's neurons are per pixel). */
export function boundaryLayers(model: Model, layers: readonly number[] | null): LayerView[] {
  const views = layers === null ? hiddenLayers(model) : layers.map((k) => hiddenLayer(model, k));
  if (views.length === 0) throw new DyncRuntimeError("RUN040", "boundary_distance needs a model with hidden layers");
  for (const v of views) {
    if (v.kind !== "dense" || !v.weight) throw new DyncRuntimeError("RUN040", `boundary_distance measures dense hidden layers, but ${v.name} is a ${v.kind} layer`, "leave it out with `layers: [...]`");
  }
  return views;
}

/**
 * 1/‖wᵢ‖ of every neuron (column of `[S, fanIn, fanOut]`, bias excluded) as `[S, 1, fanOut]`, and the
 * neurons without a boundary (‖wᵢ‖ = 0) as +∞ to add, or null when there are none (the usual case).
 */
function inverseColumnNorms(view: LayerView, seeds: number): { inverse: tf.Tensor; excluded: tf.Tensor | null } {
  const [, fanIn, fanOut] = view.weight!.variable.shape as [number, number, number];
  const w = view.weight!.variable.dataSync();
  const squares = new Float64Array(seeds * fanOut);
  for (let s = 0; s < seeds; s++) {
    for (let j = 0; j < fanIn; j++) for (let i = 0; i < fanOut; i++) squares[s * fanOut + i]! += w[(s * fanIn + j) * fanOut + i]! ** 2;
  }
  const inverse = squares.map((q) => (q > 0 ? 1 / Math.sqrt(q) : 0));
  const none = squares.some((q) => !(q > 0));
  return {
    inverse: tf.tensor3d(Float32Array.from(inverse), [seeds, 1, fanOut]),
    excluded: none ? tf.tensor3d(Float32Array.from(squares, (q) => (q > 0 ? 0 : Infinity)), [seeds, 1, fanOut]) : null,
  };
}

/** Per seed and row: the smallest |zᵢ|·inverseᵢ (+ excludedᵢ, +∞ for neurons without a boundary) over the layers' neurons. */
function nearest(pre: readonly tf.Tensor[], scales: readonly { inverse: tf.Tensor; excluded: tf.Tensor | null }[]): tf.Tensor {
  return tf.tidy(() => {
    const per = pre.map((z, i) => {
      const { inverse, excluded } = scales[i]!;
      const ratio = tf.mul(tf.abs(z), inverse);
      return tf.min(excluded ? tf.add(ratio, excluded) : ratio, 2);
    });
    return per.reduce((a, b) => tf.minimum(a, b));
  });
}

/** The hidden pre-activations `[S, B, width]` of `views` at inputs x (a forward pass with taps). */
function preActivations(model: Model, x: tf.Tensor, views: readonly LayerView[]): tf.Tensor[] {
  const taps: Taps = { pre: new Map(), post: new Map() };
  model.forward(x, { training: false, taps });
  return views.map((v) => {
    const z = taps.pre.get(v.name);
    if (!z) throw new DyncRuntimeError("RUN040", `layer ${v.name} recorded no pre-activation`);
    return z;
  });
}

/** Per seed and row of x `[S, B, d]`: min over neurons of |zᵢ|/‖wᵢ‖ (`scales` from inverseColumnNorms, per view). */
function nearestByWeights(model: Model, x: tf.Tensor, views: readonly LayerView[], scales: readonly { inverse: tf.Tensor; excluded: tf.Tensor | null }[]): tf.Tensor {
  return tf.tidy(() => nearest(preActivations(model, x, views), scales));
}

/**
 * ‖∇ₓzᵢ(x)‖ `[S, B, width]` per layer, x `[S, B, d]`: for each input direction e_k, Jₗe_k = ∂/∂uₗ ⟨Jᵀu, e_k⟩
 * with Jᵀu = ∂/∂x Σₗ⟨zₗ(x), uₗ⟩ (linear in u, so u = 0 will do), squared and summed over k.
 */
function gradientNorms(model: Model, x: tf.Tensor, views: readonly LayerView[]): { pre: tf.Tensor[]; norms: tf.Tensor[] } {
  return tf.tidy(() => {
    const pre = preActivations(model, x, views);
    const us = pre.map((z) => tf.zerosLike(z));
    const d = x.shape[2]!;
    let squares: tf.Tensor[] = pre.map((z) => tf.zerosLike(z));
    for (let k = 0; k < d; k++) {
      // e_k broadcast over seeds and rows (not tf.oneHot: on wasm its float32 output holds the int bits).
      const direction = tf.mul(tf.onesLike(x), tf.tensor1d(Array.from({ length: d }, (_, i) => (i === k ? 1 : 0))));
      const jvp = tf.grads((...u: tf.Tensor[]) => {
        const vjp = tf.grad((input: tf.Tensor) => tf.addN(preActivations(model, input, views).map((z, i) => tf.sum(tf.mul(z, u[i]!)))) as tf.Scalar)(x);
        return tf.sum(tf.mul(vjp, direction)) as tf.Scalar;
      })(us);
      squares = squares.map((sq, i) => tf.add(sq, tf.square(jvp[i]!)));
    }
    return { pre, norms: squares.map((sq) => tf.sqrt(sq)) };
  });
}

/** Per seed and row of x `[S, B, d]`: min over neurons of |zᵢ|/‖∇ₓzᵢ‖. */
function nearestByGradient(model: Model, x: tf.Tensor, views: readonly LayerView[]): tf.Tensor {
  return tf.tidy(() => {
    const { pre, norms } = gradientNorms(model, x, views);
    // A zero gradient: the neuron is constant near x (no boundary to first order).
    return nearest(pre, norms.map((g) => ({ inverse: tf.where(tf.greater(g, 0), tf.reciprocal(g), tf.zerosLike(g)), excluded: tf.where(tf.greater(g, 0), tf.zerosLike(g), tf.fill(g.shape, Infinity)) })));
  });
}

/** Row ranges of at most `size` rows covering all n. */
function rowRanges(n: number, size: number): RowRange[] {
  const out: RowRange[] = [];
  for (let start = 0; start < n; start += size) out.push({ start, count: Math.min(size, n - start) });
  return out;
}

/** The mean over the rows of `data` of the distance to the nearest boundary, per seed (float64 sums). */
export function meanBoundaryDistance(model: Model, data: EvalData, method: BoundaryMethod, layers: readonly number[] | null): Float64Array {
  const views = boundaryLayers(model, layers);
  if (method === "weights" && model.layers.some((l) => l.kind === "batchnorm" || l.kind === "layernorm")) {
    // z is then the normalised value, not w·h + b, and |z|/‖w‖ no distance.
    throw new DyncRuntimeError("RUN040", "boundary_distance method: weights needs z = w·h + b, but this model normalises its pre-activations", "use `method: gradient`, which differentiates through the norm");
  }
  const S = model.seeds;
  const d = data.xShape.reduce((a, b) => a * b, 1);
  const ranges = rowRanges(data.n, Math.max(1, Math.floor((method === "weights" ? WEIGHTS_SEED_ROWS : GRADIENT_SEED_ROWS) / S)));
  const sums = new Float64Array(S);
  // The weights do not change during one call: their norms are read once.
  const scales = method === "weights" ? views.map((v) => inverseColumnNorms(v, S)) : [];
  try {
    for (const range of ranges) {
      const nearestRows = tf.tidy(() => {
        const x = tf.reshape(data.rows(range).x, [S, range.count, d]);
        return method === "weights" ? nearestByWeights(model, x, views, scales) : nearestByGradient(model, x, views);
      });
      const values = nearestRows.dataSync();
      nearestRows.dispose();
      for (let s = 0; s < S; s++) for (let i = 0; i < range.count; i++) sums[s]! += values[s * range.count + i]!;
    }
  } finally {
    tf.dispose(scales.flatMap((sc) => (sc.excluded ? [sc.inverse, sc.excluded] : [sc.inverse])));
  }
  return sums.map((sum) => sum / data.n);
}

export const boundaryDistanceProbe = defineProbe(entries.boundaryDistance, {
  measure: ({ model, data, method, layers }) => meanBoundaryDistance(model, data, method, layers),
});
