/**
 * `common_direction(net, data, layer: k, k: 5, window: N)`: the primary common direction of a dense layer's
 * per-sample weight changes (Liu et al. 2021, feature diversity: P4, P6–P8, P12).
 *
 * For a dense layer z = a·W (dync's W is [fanIn, fanOut]; the paper's W^(l) is its transpose, mapping
 * F^(l−1) to F^(l)) the per-sample loss gradient is rank one: in the paper's orientation g_x = δ_x a_xᵀ
 * (fanOut × fanIn), δ_x = ∂ℓ_x/∂z_x, and plain SGD changes W by ΔW|x = −η g_x. So
 *     G = Σ_x ΔW|x ΔW|xᵀ = η² Σ_x ‖a_x‖² δ_x δ_xᵀ,
 * a fanOut × fanOut matrix accumulated without forming any g_x. Its top eigenvector C minimises
 * Σ_x ‖ΔW|xᵀ − V_x Cᵀ‖² over unit C (V_x = ΔW|xᵀC), the residual of the deflated directions likewise, and
 * ‖Cᵢ Vᵢᵀ‖_F = √λᵢ: the strengths are the square roots of G's top eigenvalues. C lives in the layer's
 * output space (one weight per unit of the layer), V in its input space (one per input feature).
 *
 * Choices (the paper leaves them open):
 * - G is the mean over calls and rows, with η dropped (the probe sees gradients, not the optimizer's
 *   steps): √λ is an RMS per-sample gradient along the direction, comparable across windows and data sizes.
 * - δ comes from the current parameters in evaluation mode (dropout off, batch norm on running statistics),
 *   every row of `data` at every call: a proxy for that step's per-sample updates. Under momentum, weight
 *   decay or adaptive optimizers the actual update is a different mix of past gradients.
 * - The window is the probe's cadence: each call adds its rows' contribution, and each result covers every
 *   call so far (or the last `window`). Contributions are kept per call only when a window is given. Each
 *   seed has its own window: an event-triggered call adds to (and reports) the seeds it fired for only.
 *   Checkpoints save the windows' float64 sums, so a resumed run continues the same accumulation.
 * - The layer's bias (if any) is left out: its per-sample change δ_x is not part of ΔW|x. A batch norm after
 *   the layer acts on running statistics (evaluation mode), so rows do not interact and δ_x is that row's alone.
 * - Alignment (P8): per sample V_x = g_xᵀC = (δ_x·C) a_x is parallel to a_x by construction, so the measured
 *   alignment is with the mean update's coefficients V̄ = ḡᵀC (ḡ the mean of g_x over the window): per class,
 *   the mean over its rows (at this call) of cos(V̄, a_x), taken in absolute value since C's sign is
 *   arbitrary, then averaged over the classes (argmax of one-hot targets; one class for other targets).
 * - Pseudo-neuron alignment (P12): the paper's columns w_j of W (the weights from input unit j into the
 *   layer, length fanOut, dync's W row j) against C: mean over j of |cos(w_j, C)|.
 *
 * Precision: a and δ are float32 from the backend; G, ḡ, the eigenvectors and the cosines are float64.
 * Eigenvectors by Lanczos on the deflated G (numerics/eigen.ts, full reorthogonalisation), k times.
 */
import * as tf from "@tensorflow/tfjs-core";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { lossFunction, type LossKind } from "../../runtime/loss.js";
import type { LayerView, Model, Taps } from "../../contract/model.js";
import { largestSingularValue } from "../../numerics/eigen.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import { hiddenLayer } from "../probes/layers.js";
import { commonDirection } from "./common-direction-entry.js";

/** One seed's sums over some rows: Σ ‖a‖² δδᵀ (fanOut², row-major), Σ a δᵀ (fanIn × fanOut, dync's W layout), and the row count. */
export interface UpdateSums {
  readonly g: Float64Array;
  readonly mean: Float64Array;
  rows: number;
}

/** One call's measurement of a layer, per seed: the sums over the data's rows and their inputs and classes. */
export interface LayerSamples {
  readonly sums: UpdateSums[];
  /** Per seed: the inputs a, `[n, fanIn]` row-major, and each row's class. */
  readonly inputs: Float32Array[];
  readonly classes: Int32Array[];
}

/** The k deflated directions of a window's mean G, per direction i: strength √λᵢ, share λᵢ/trace G and the unit vector Cᵢ. */
export interface Directions {
  readonly strength: Float64Array;
  readonly share: Float64Array;
  readonly vectors: Float64Array[];
}

/**
 * δ = ∂ℓ_row/∂z of `layer` (`[S, rows, fanOut]`) and its input a (`[S, rows, fanIn]`) for every row of `data`,
 * chunk by chunk, reduced to float64 sums per seed; rows' inputs and classes kept for the alignment.
 */
export function layerSamples(model: Model, data: EvalData, loss: LossKind, layer: LayerView): LayerSamples {
  const S = model.seeds;
  const { fanIn, fanOut } = layer;
  const sums = Array.from({ length: S }, () => emptySums(fanIn, fanOut));
  const inputs = Array.from({ length: S }, () => new Float32Array(data.n * fanIn));
  for (const range of data.chunks()) {
    const { a, d } = chunkSignals(model, data, loss, layer, range);
    for (let s = 0; s < S; s++) {
      const base = s * range.count;
      addRows(sums[s]!, a.subarray(base * fanIn, (base + range.count) * fanIn), d.subarray(base * fanOut, (base + range.count) * fanOut), fanIn, fanOut);
      inputs[s]!.set(a.subarray(base * fanIn, (base + range.count) * fanIn), range.start * fanIn);
    }
  }
  return { sums, inputs, classes: Array.from({ length: S }, (_, s) => rowClasses(data, s)) };
}

/** One chunk's a and δ, downloaded: one evaluation-mode forward/backward of Σ_rows ℓ_row with respect to a zero shift of z. */
function chunkSignals(model: Model, data: EvalData, loss: LossKind, layer: LayerView, range: { start: number; count: number }): { a: Float32Array; d: Float32Array } {
  const inputs = new Map<string, tf.Tensor>();
  let delta: tf.Tensor | undefined;
  try {
    delta = tf.tidy(() => {
      const { x, y } = data.rows(range);
      const zero = tf.zeros([model.seeds, range.count, layer.fanOut]);
      return tf.grad((shift: tf.Tensor) => {
        const taps: Taps = { pre: new Map(), post: new Map(), input: inputs };
        const out = model.forward(x, { training: false, taps, shift: new Map([[layer.name, shift]]), skipParameterGradients: true });
        const input = inputs.get(layer.name);
        if (!input) throw new DyncRuntimeError("RUN040", `common_direction needs the input of layer "${layer.name}", which this model does not report`, "layer-list models (every model `dync run` builds) report it");
        tf.keep(input);
        return tf.sum(lossFunction(loss)(out, y).perSample);
      })(zero);
    });
    return { a: inputs.get(layer.name)!.dataSync() as Float32Array, d: delta.dataSync() as Float32Array };
  } finally {
    tf.dispose([...inputs.values(), ...(delta ? [delta] : [])]);
  }
}

function emptySums(fanIn: number, fanOut: number): UpdateSums {
  return { g: new Float64Array(fanOut * fanOut), mean: new Float64Array(fanIn * fanOut), rows: 0 };
}

/** Adds rows (a: `[r, fanIn]`, δ: `[r, fanOut]`) to Σ ‖a‖² δδᵀ (upper triangle, mirrored) and Σ a δᵀ. */
function addRows(sums: UpdateSums, a: Float32Array, d: Float32Array, fanIn: number, fanOut: number): void {
  const { g, mean } = sums;
  const rows = a.length / fanIn;
  const delta = new Float64Array(fanOut);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let i = 0, at = r * fanIn; i < fanIn; i++) norm += a[at + i]! * a[at + i]!;
    for (let o = 0, at = r * fanOut; o < fanOut; o++) delta[o] = d[at + o]!;
    for (let o = 0; o < fanOut; o++) {
      const w = norm * delta[o]!;
      if (w === 0) continue;
      for (let p = o, at = o * fanOut; p < fanOut; p++) g[at + p] += w * delta[p]!;
    }
    for (let i = 0; i < fanIn; i++) {
      const ai = a[r * fanIn + i]!;
      if (ai === 0) continue;
      for (let o = 0, at = i * fanOut; o < fanOut; o++) mean[at + o] += ai * delta[o]!;
    }
  }
  for (let o = 0; o < fanOut; o++) for (let p = o + 1; p < fanOut; p++) g[p * fanOut + o] = g[o * fanOut + p]!;
  sums.rows += rows;
}

/** Each row's class: the argmax of a one-hot (or soft) target; 0 for every row of a one-column target. */
function rowClasses(data: EvalData, s: number): Int32Array {
  const { y, yDim, n } = data.hostSet(s);
  const classes = new Int32Array(n);
  if (yDim < 2) return classes;
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < yDim; c++) if (y[r * yDim + c]! > y[r * yDim + best]!) best = c;
    classes[r] = best;
  }
  return classes;
}

/** The sum of several calls' sums (a window). */
export function addSums(parts: readonly UpdateSums[]): UpdateSums {
  const total = { g: new Float64Array(parts[0]!.g.length), mean: new Float64Array(parts[0]!.mean.length), rows: 0 };
  for (const p of parts) {
    p.g.forEach((v, i) => (total.g[i]! += v));
    p.mean.forEach((v, i) => (total.mean[i]! += v));
    total.rows += p.rows;
  }
  return total;
}

/**
 * The top k eigenpairs of the symmetric positive semi-definite n × n matrix `g`, one at a time: Lanczos
 * (σ_max of a PSD matrix is its top eigenvalue) on g − Σ_{j<i} λⱼ cⱼcⱼᵀ. λᵢ is the Rayleigh quotient of the
 * deflated matrix at cᵢ, clamped at 0 (rounding can leave a deflated matrix slightly indefinite).
 */
export function deflatedDirections(g: Float64Array, n: number, k: number): Directions {
  const rest = Float64Array.from(g);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += g[i * n + i]!;
  const strength = new Float64Array(k);
  const share = new Float64Array(k);
  const vectors: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    const c = largestSingularValue(rest, n, n, n, 1e-14).vector;
    const lambda = Math.max(0, quadratic(rest, c, n));
    for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) rest[p * n + q]! -= lambda * c[p]! * c[q]!;
    strength[i] = Math.sqrt(lambda);
    share[i] = trace > 0 ? lambda / trace : Number.NaN;
    vectors.push(c);
  }
  return { strength, share, vectors };
}

/** cᵀ M c for an n × n row-major M. */
function quadratic(m: Float64Array, c: Float64Array, n: number): number {
  let sum = 0;
  for (let p = 0; p < n; p++) {
    let row = 0;
    for (let q = 0; q < n; q++) row += m[p * n + q]! * c[q]!;
    sum += c[p]! * row;
  }
  return sum;
}

function cosine(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let [uv, uu, vv] = [0, 0, 0];
  for (let i = 0; i < u.length; i++) {
    uv += u[i]! * v[i]!;
    uu += u[i]! ** 2;
    vv += v[i]! ** 2;
  }
  return uu > 0 && vv > 0 ? uv / Math.sqrt(uu * vv) : Number.NaN;
}

/**
 * P8: V̄ = Σ a δᵀ C (the mean update's coefficients along C, up to scale); per class the mean over its rows of
 * cos(V̄, a_x), absolute, averaged over the classes that have rows with non-zero input (NaN if none).
 */
export function featureAlignment(mean: Float64Array, c: Float64Array, inputs: Float32Array, classes: Int32Array, fanIn: number, fanOut: number): number {
  const v = new Float64Array(fanIn);
  for (let i = 0; i < fanIn; i++) for (let o = 0; o < fanOut; o++) v[i]! += mean[i * fanOut + o]! * c[o]!;
  const perClass = new Map<number, { sum: number; count: number }>();
  classes.forEach((cls, r) => {
    const cos = cosine(v, inputs.subarray(r * fanIn, (r + 1) * fanIn));
    if (Number.isNaN(cos)) return;
    const acc = perClass.get(cls) ?? { sum: 0, count: 0 };
    perClass.set(cls, { sum: acc.sum + cos, count: acc.count + 1 });
  });
  if (perClass.size === 0) return Number.NaN;
  let total = 0;
  for (const { sum, count } of perClass.values()) total += Math.abs(sum / count);
  return total / perClass.size;
}

/** P12: the mean over the layer's input units j of |cos(W[j, :], C)| (W one seed's `[fanIn, fanOut]`; zero rows left out). */
export function neuronAlignment(weight: Float32Array, c: Float64Array, fanIn: number, fanOut: number): number {
  let sum = 0;
  let count = 0;
  for (let j = 0; j < fanIn; j++) {
    const cos = cosine(weight.subarray(j * fanOut, (j + 1) * fanOut), c);
    if (Number.isNaN(cos)) continue;
    sum += Math.abs(cos);
    count++;
  }
  return count > 0 ? sum / count : Number.NaN;
}

/** The measured layer: a hidden dense layer with at least `directions` units. */
function measuredLayer(model: Model, k: number, directions: number): LayerView {
  const view = hiddenLayer(model, k);
  if (view.kind !== "dense" || !view.weight) throw new DyncRuntimeError("RUN040", `common_direction needs a dense layer, but hidden layer ${k} (${view.name}) is ${view.kind}`);
  if (directions > view.fanOut) throw new DyncRuntimeError("RUN040", `common_direction asks for k = ${directions} directions, but layer "${view.name}" has only ${view.fanOut} units`);
  return view;
}

/** One seed's window as plain data and typed arrays: the kept calls' sums (with `window`) or the running total. */
export interface WindowState {
  readonly calls: readonly UpdateSums[];
  readonly total: UpdateSums | null;
}

const copySums = (u: UpdateSums): UpdateSums => ({ g: Float64Array.from(u.g), mean: Float64Array.from(u.mean), rows: u.rows });

/** One seed's per-run state: the calls' sums in its window; `save`/`restore` give it as plain data for checkpoints. */
export class UpdateWindow {
  private calls: UpdateSums[] = [];
  private total: UpdateSums | undefined;

  /** `window`: how many calls to keep (null: all, as one running total). */
  constructor(private readonly window: number | null) {}

  /** Adds one call's sums and returns the window's total. */
  add(sums: UpdateSums): UpdateSums {
    if (this.window === null) {
      this.total = this.total ? addSums([this.total, sums]) : sums;
    } else {
      this.calls = [...this.calls, sums].slice(-this.window);
      this.total = addSums(this.calls);
    }
    return this.total;
  }

  save(): WindowState {
    return { calls: this.calls.map(copySums), total: this.total ? copySums(this.total) : null };
  }

  /** Continues from `save()`'s state; `fits` checks each sums' sizes. */
  restore(state: WindowState, fits: (u: UpdateSums) => boolean): void {
    const sums = [...(Array.isArray(state?.calls) ? state.calls : [undefined]), ...(state?.total ? [state.total] : [])];
    if (!sums.every((u) => u && u.g instanceof Float64Array && u.mean instanceof Float64Array && typeof u.rows === "number" && fits(u))) {
      throw new DyncRuntimeError("RUN032", "common_direction: the checkpoint's sums do not fit this layer");
    }
    this.calls = state.calls.map(copySums);
    this.total = state.total ? copySums(state.total) : undefined;
  }

  clear(): void {
    this.calls = [];
    this.total = undefined;
  }
}

/** The result for the seeds measured at this call (others undefined: an event fired for some seeds only). */
function directionResult(perSeed: readonly (Readonly<Record<"strength" | "share" | "alignment" | "neuron_alignment", Float64Array>> | undefined)[]) {
  return {
    kind: "indexed" as const,
    dim: "direction" as const,
    fields: {
      strength: perSeed.map((r) => r?.strength),
      share: perSeed.map((r) => r?.share),
      alignment: perSeed.map((r) => r?.alignment),
      neuron_alignment: perSeed.map((r) => r?.neuron_alignment),
    },
  };
}

export const commonDirectionProbe = defineProbe(commonDirection, {
  setup({ model, data, layer, k, window }, run) {
    const view = measuredLayer(model, layer, k);
    const { fanIn, fanOut } = view;
    const windows = Array.from({ length: model.seeds }, () => new UpdateWindow(window));
    return {
      measure(ctx) {
        const samples = layerSamples(model, data, run.loss, view);
        const weights = view.weight!.variable.dataSync() as Float32Array;
        const perSeed = windows.map((w, s) => {
          if (!ctx.seedIndices.includes(s)) return undefined;
          const total = w.add(samples.sums[s]!);
          const dirs = deflatedDirections(total.g.map((v) => v / total.rows), fanOut, k);
          const seedWeights = weights.subarray(s * fanIn * fanOut, (s + 1) * fanIn * fanOut);
          return {
            strength: dirs.strength,
            share: dirs.share,
            alignment: Float64Array.from(dirs.vectors, (c) => featureAlignment(total.mean, c, samples.inputs[s]!, samples.classes[s]!, fanIn, fanOut)),
            neuron_alignment: Float64Array.from(dirs.vectors, (c) => neuronAlignment(seedWeights, c, fanIn, fanOut)),
          };
        });
        return directionResult(perSeed);
      },
      // G and the mean gradient over the window so far: a resumed run continues the same accumulation.
      save: () => windows.map((w) => w.save()),
      restore(state) {
        const saved = state as readonly WindowState[];
        if (!Array.isArray(saved) || saved.length !== windows.length) throw new DyncRuntimeError("RUN032", `common_direction: the checkpoint holds ${Array.isArray(saved) ? saved.length : "no"} seeds' sums, this run has ${windows.length}`);
        const fits = (u: UpdateSums) => u.g.length === fanOut * fanOut && u.mean.length === fanIn * fanOut;
        windows.forEach((w, s) => w.restore(saved[s]!, fits));
      },
      finish() {
        windows.forEach((w) => w.clear());
      },
    };
  },
});
