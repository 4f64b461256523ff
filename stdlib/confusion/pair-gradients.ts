/**
 * Inner products and cosines of per-example loss gradients for pairs of rows, without materialising a
 * per-example gradient (gradient confusion: Sankararaman et al. 2020; Lazzari & Liu 2023, P5).
 *
 * For a dense layer z = a·W + b, one example's loss ℓ_i has ∇_W ℓ_i = a_iᵀ δ_i (an outer product) and
 * ∇_b ℓ_i = δ_i, where a_i is the layer's input and δ_i = ∂ℓ_i/∂z_i. Hence
 *     ⟨∇_W ℓ_i, ∇_W ℓ_j⟩ + ⟨∇_b ℓ_i, ∇_b ℓ_j⟩ = (δ_i·δ_j)(a_i·a_j + 1),
 * and ⟨g_i, g_j⟩ is its sum over the dense layers (‖g_i‖² likewise with j = i). A pair then costs
 * O(Σ widths) instead of O(#parameters), after one batched forward/backward over the pairs' rows.
 *
 * δ for every row at once: the forward pass adds zeros (`ForwardOptions.shift`) to every dense layer's
 * linear output and differentiates Σ_rows ℓ_row with respect to them. In evaluation mode (dropout off,
 * batch norm on running statistics) rows do not interact, so that gradient's row r is exactly δ_r of row r
 * alone, through whatever follows the layer (activations, dropout, `scale`, the output scale). The inputs
 * a come from `Taps.input` (after an encoding: the encoded input); `skipParameterGradients` spares the
 * dense layers' weight gradients, which nothing here reads (a third of the backward pass). Rows go in passes: the pairs are cut
 * into blocks whose distinct rows fit a pass (pairs that share rows, as local windows do, share their
 * forward/backward), and every seed index takes its own block k in pass k.
 *
 * Precision: a and δ are float32 from the backend (their relative error is the forward/backward pass's:
 * cosines agree with a float64 reference to ~1e-7 in the tests); every dot product, the sum over layers and the cosine are float64 in JS. A pass's a and δ are
 * downloaded whole (~33 MB for 2,000 rows of a 4×512 net) rather than gathered per pair on the backend:
 * the wasm backend's gather made that take as long as the forward/backward pass itself.
 *
 * Only dense layers may carry parameters: a network with conv, batch-norm or layer-norm parameters fails
 * with RUN040 naming the layer (their per-example gradients are not outer products of two vectors).
 */
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { lossFunction, type LossKind } from "../../runtime/loss.js";
import type { LayerView, Model, Taps } from "../../contract/model.js";
import type { EvalData } from "../probes/eval-data.js";
import * as entries from "../sampling/entries.js";

/** Pairs of row indices into one data set: pair k is rows (i[k], j[k]). */
export interface PairIndices {
  readonly i: Int32Array;
  readonly j: Int32Array;
}

/** Per pair k: ⟨g_i, g_j⟩ and the squared norms ‖g_i‖², ‖g_j‖² of the rows' per-example loss gradients. */
export interface PairGradientDots {
  readonly dot: Float64Array;
  readonly normI: Float64Array;
  readonly normJ: Float64Array;
}

export interface PairGradientOptions {
  /** Largest seeds × distinct rows in one forward/backward pass (smaller values only to test the passes). */
  readonly seedRowsPerPass?: number;
}

/** Float32 values of a and δ (over all dense layers) held per pass: bounds a pass's memory to ~32 MB for each. */
const PASS_VALUES = 1 << 23;

/**
 * Cosine between the per-example loss gradients (all weights and biases) of rows i[k] and j[k], per seed index;
 * `pairs[s]` is seed index s's pairs. Float64 results. A row whose loss gradient is exactly zero (e.g. every
 * unit dead, or a zero residual) has no direction: its pairs' cosines are NaN.
 */
export function pairGradientCosines(model: Model, data: EvalData, loss: LossKind, pairs: readonly PairIndices[]): Float64Array[] {
  return pairGradientDots(model, data, loss, pairs).map(cosines);
}

/**
 * ⟨g_i, g_j⟩, ‖g_i‖², ‖g_j‖² per pair and seed index, where g_r is the gradient with respect to all weights and
 * biases of the loss of row r alone (the per-sample loss: for mse the mean over outputs of that row's squared
 * error; the gradient of a batch's mean loss is the mean of these g_r).
 */
export function pairGradientDots(
  model: Model,
  data: EvalData,
  loss: LossKind,
  pairs: readonly PairIndices[],
  options: PairGradientOptions = {},
): PairGradientDots[] {
  checkPairs(model, data, pairs);
  const dense = denseLayers(model);
  const rowValues = dense.reduce((sum, l) => sum + l.fanIn + l.fanOut, 0);
  const seedRows = options.seedRowsPerPass ?? PASS_VALUES / rowValues;
  const capacity = Math.max(2, Math.floor(seedRows / model.seeds));
  const blocks = pairs.map((p) => pairBlocks(p, capacity));
  const results = pairs.map((p) => ({
    dot: new Float64Array(p.i.length),
    normI: new Float64Array(p.i.length),
    normJ: new Float64Array(p.i.length),
  }));
  const passes = Math.max(0, ...blocks.map((b) => b.length));
  for (let k = 0; k < passes; k++) {
    const chosen = blocks.map((b) => b[k]);
    const values = passValues(model, data, loss, dense, chosen);
    chosen.forEach((block, s) => {
      if (block) accumulate(results[s]!, block, values, s, dense);
    });
  }
  return results;
}

/** cos = ⟨g_i, g_j⟩ / (‖g_i‖‖g_j‖), clamped to [−1, 1] against rounding; NaN when a gradient is zero. */
function cosines(d: PairGradientDots): Float64Array {
  return d.dot.map((dot, k) => {
    const scale = Math.sqrt(d.normI[k]!) * Math.sqrt(d.normJ[k]!);
    return scale > 0 ? Math.min(1, Math.max(-1, dot / scale)) : Number.NaN;
  });
}

/** A run of consecutive pairs and the distinct rows they use: pair p is local rows (li[p], lj[p]). */
interface Block {
  readonly start: number;
  readonly rows: Int32Array;
  readonly li: Int32Array;
  readonly lj: Int32Array;
}

/** Consecutive pairs grouped so that each group uses at most `capacity` distinct rows. */
function pairBlocks(p: PairIndices, capacity: number): Block[] {
  const out: Block[] = [];
  for (let start = 0; start < p.i.length;) {
    const local = new Map<number, number>();
    const at = (row: number) => {
      if (!local.has(row)) local.set(row, local.size);
      return local.get(row)!;
    };
    const li: number[] = [];
    const lj: number[] = [];
    let k = start;
    for (; k < p.i.length; k++) {
      const i = p.i[k]!;
      const j = p.j[k]!;
      const fresh = (local.has(i) ? 0 : 1) + (local.has(j) || i === j ? 0 : 1);
      if (k > start && local.size + fresh > capacity) break;
      li.push(at(i));
      lj.push(at(j));
    }
    out.push({
      start,
      rows: Int32Array.from(local.keys()),
      li: Int32Array.from(li),
      lj: Int32Array.from(lj),
    });
    start = k;
  }
  return out;
}

/** One pass's layer inputs a and backprop signals δ per dense layer, seed-major `[S, U, width]` (float32). */
interface PassValues {
  readonly U: number;
  readonly a: readonly Float32Array[];
  readonly d: readonly Float32Array[];
}

/** One forward/backward pass over every seed's block of rows (padded to a common count U), downloaded. */
function passValues(model: Model, data: EvalData, loss: LossKind, dense: readonly LayerView[], blocks: readonly (Block | undefined)[]): PassValues {
  const U = Math.max(1, ...blocks.map((b) => b?.rows.length ?? 0));
  const rows = blocks.map((b) => padded(b?.rows, U, b?.rows[0] ?? 0));
  const inputs = new Map<string, tf.Tensor>();
  let deltas: tf.Tensor[] = [];
  try {
    deltas = tf.tidy(() => {
      const { x, y } = data.gather(rows);
      return backpropSignals(model, loss, dense, x, y, inputs, entries.gradientConfusion.name);
    });
    return {
      U,
      a: dense.map((l) => inputs.get(l.name)!.dataSync() as Float32Array),
      d: deltas.map((t) => t.dataSync() as Float32Array),
    };
  } finally {
    tf.dispose([...inputs.values(), ...deltas]);
  }
}

/**
 * δ_l = ∂ℓ_row/∂z_l for the dense layers `dense` (any subset, in any order) and every row, `[S, U, fanOut]`,
 * from one forward/backward pass in evaluation mode; each weighted layer's input is written to `inputs`
 * (kept: the caller disposes them). Also the feature-gradient probes' backward (stdlib/diversity/rows.ts), so
 * errors name `probe`, the calling probe.
 */
export function backpropSignals(
  model: Model,
  loss: LossKind,
  dense: readonly LayerView[],
  x: tf.Tensor,
  y: tf.Tensor,
  inputs: Map<string, tf.Tensor>,
  probe: string,
): tf.Tensor[] {
  const [S, U] = x.shape as [number, number];
  const lossOf = lossFunction(loss);
  const shifts = dense.map((l) => tf.zeros([S, U, l.fanOut]));
  return tf.grads((...zeros: tf.Tensor[]) => {
    const taps: Taps = { pre: new Map(), post: new Map(), input: inputs };
    const shift = new Map(dense.map((l, k) => [l.name, zeros[k]!]));
    const out = model.forward(x, {
      training: false,
      taps,
      shift,
      skipParameterGradients: true,
    });
    const missing = dense.find((l) => !inputs.has(l.name));
    if (missing) {
      throw new DyncRuntimeError(
        "RUN040",
        `${probe} needs the input of layer "${missing.name}", which this model does not report`,
        "layer-list models (every model `dync run` builds) report it",
      );
    }
    inputs.forEach((t) => tf.keep(t));
    return tf.sum(lossOf(out, y).perSample);
  })(shifts);
}

/**
 * ⟨g_i, g_j⟩ = Σ_l (δ_i·δ_j)(a_i·a_j + [bias]) and the squared norms for the pairs of seed index s's block,
 * every dot product accumulated in float64.
 */
function accumulate(out: PairGradientDots, block: Block, values: PassValues, s: number, dense: readonly LayerView[]): void {
  const gradientDot = (u: number, v: number) => {
    let sum = 0;
    dense.forEach((layer, l) => {
      const dd = rowDot(values.d[l]!, layer.fanOut, s * values.U + u, s * values.U + v);
      const aa = rowDot(values.a[l]!, layer.fanIn, s * values.U + u, s * values.U + v);
      sum += dd * (aa + (layer.bias ? 1 : 0));
    });
    return sum;
  };
  const norms = Float64Array.from(block.rows, (_, u) => gradientDot(u, u));
  for (let p = 0; p < block.li.length; p++) {
    out.dot[block.start + p] = gradientDot(block.li[p]!, block.lj[p]!);
    out.normI[block.start + p] = norms[block.li[p]!]!;
    out.normJ[block.start + p] = norms[block.lj[p]!]!;
  }
}

/** Dot product of rows u and v of a row-major matrix with `width` columns, in float64. */
function rowDot(m: Float32Array, width: number, u: number, v: number): number {
  let sum = 0;
  for (let k = 0, iu = u * width, iv = v * width; k < width; k++) sum += m[iu + k]! * m[iv + k]!;
  return sum;
}

/** `values` extended to length n with `fill` (seeds with fewer rows in a pass repeat a row of their own). */
function padded(values: Int32Array | undefined, n: number, fill: number): Int32Array {
  const out = new Int32Array(n).fill(fill);
  if (values) out.set(values);
  return out;
}

/**
 * The dense layers; a parameter of any other layer is refused, naming it. Parameters are matched by identity,
 * not by layer name: `mlp(…)`'s batch-norm layers share their dense layer's name (`hidden0.gamma`).
 */
function denseLayers(model: Model): LayerView[] {
  const dense = model.layers.filter((l) => l.kind === "dense" && l.weight !== undefined);
  const covered = new Set(dense.flatMap((l) => (l.bias ? [l.weight!, l.bias] : [l.weight!])).map((p) => p.variable));
  const other = model.params.find((p) => !covered.has(p.variable));
  if (other) {
    const owner = model.layers.find((l) => l.name === other.layer && l.kind !== "dense")?.kind ?? "not dense";
    throw new DyncRuntimeError(
      "RUN040",
      `gradient confusion computes per-example gradients of dense layers only, but layer "${other.layer}" (${owner}) has parameter ${other.name}`,
      "use a network whose only parameters are dense layers' weights and biases (encodings, activations, dropout and scale layers are fine)",
    );
  }
  if (dense.length === 0) throw new DyncRuntimeError("RUN040", "gradient confusion needs a network with parameters (dense layers), this one has none");
  return dense;
}

function checkPairs(model: Model, data: EvalData, pairs: readonly PairIndices[]): void {
  if (pairs.length !== model.seeds) {
    throw new DyncRuntimeError("RUN040", `gradient confusion needs one pair set per seed (${model.seeds}), got ${pairs.length}`);
  }
  pairs.forEach((p, s) => {
    if (p.i.length !== p.j.length) throw new DyncRuntimeError("RUN040", `pair set of seed index ${s}: ${p.i.length} first rows but ${p.j.length} second rows`);
    for (const side of [p.i, p.j]) {
      const bad = side.find((r) => !(r >= 0 && r < data.n));
      if (bad !== undefined)
        throw new DyncRuntimeError("RUN040", `pair set of seed index ${s}: row ${bad} is outside data set "${data.name}" (${data.n} rows)`);
    }
  });
}
