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
 * - `updates: steps` (default) accumulates the actual steps: through the probe lifecycle's `observe` hook the
 *   probe sees every training batch at the parameters its update starts from, in training mode (batch norm on
 *   the batch's statistics, running statistics untouched, dropout off), and adds its rows. With batch norm
 *   the rows interact; δ_x = ∂(Σ_rows ℓ)/∂z_x still splits the step's gradient exactly into per-row rank-one
 *   parts, Σ_x a_x δ_xᵀ = B·∂L_batch/∂W. `updates: data` is the earlier proxy: every row of `data` at the
 *   current parameters in evaluation mode, at each call.
 * - G is the mean over (step, row) pairs, with η and 1/B dropped: √λ is an RMS per-sample gradient along the
 *   direction, comparable across windows and batch sizes. Under momentum a row's gradient reaches W over the
 *   following steps too (η/(1−m) in all), so its direction is unchanged; the L2 term is not per-sample and is
 *   left out.
 * - `mean_strength` ‖ḡᵀCᵢ‖ is the strength of the mean update ḡ along Cᵢ (the paper's "mean update"
 *   deflated into C₁..C₅): under `updates: steps` and plain SGD, ḡ = (W_start − W_end)/(η·steps) over the
 *   window, so it measures how much of the actual weight change lies along each direction. `strength` (√λᵢ)
 *   measures the per-sample changes, whose signs may cancel in the mean.
 * - The window is the probe's cadence: each call closes one part (the steps since the previous call, or
 *   this call's rows of `data`), and each result covers every part so far (or the last `window`). Parts are
 *   kept only when a window is given. Each seed has its own window: an event-triggered call closes (and
 *   reports) the seeds it fired for only. Checkpoints save the windows' float64 sums and the open part.
 * - The layer's bias (if any) is left out: its per-sample change δ_x is not part of ΔW|x.
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
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { lossFunction, type LossKind } from "../../runtime/loss.js";
import type { NnForwardOptions } from "../../runtime/nn/mlp.js";
import type { LayerView, Model, Taps } from "../../contract/model.js";
import { largestSingularValue } from "../../numerics/eigen.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import type { ProbeContext } from "../../runtime/train/index.js";
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
 * chunk by chunk in evaluation mode, reduced to float64 sums per seed; rows' inputs and classes kept for the alignment.
 */
export function layerSamples(model: Model, data: EvalData, loss: LossKind, layer: LayerView): LayerSamples {
  const S = model.seeds;
  const { fanIn, fanOut } = layer;
  const sums = Array.from({ length: S }, () => emptySums(fanIn, fanOut));
  const inputs = Array.from({ length: S }, () => new Float32Array(data.n * fanIn));
  for (const range of data.chunks()) {
    const { a, d } = tf.tidy(() => {
      const { x, y } = data.rows(range);
      return rowSignals(model, x, y, loss, layer, "evaluation");
    });
    for (let s = 0; s < S; s++) {
      const base = s * range.count;
      addRows(sums[s]!, a.subarray(base * fanIn, (base + range.count) * fanIn), d.subarray(base * fanOut, (base + range.count) * fanOut), fanIn, fanOut);
      inputs[s]!.set(a.subarray(base * fanIn, (base + range.count) * fanIn), range.start * fanIn);
    }
  }
  return { sums, inputs, classes: Array.from({ length: S }, (_, s) => rowClasses(data, s)) };
}

/**
 * One training batch's sums per seed (`[S, B, …]` rows and targets) at the current parameters, in training
 * mode as the step computes its gradient: batch norm normalises with the batch's statistics (so a row's δ
 * also carries its effect on them: δ_x = ∂(Σ_rows ℓ)/∂z_x, and Σ_x a_x δ_xᵀ is B × the step's gradient), the
 * running statistics do not move, dropout is off (the step's own masks are not known). Seeds not listed in
 * `seedIndices` (diverged) and rows with a non-finite value are left out. With `into`, each seed's rows are
 * added to `into[s]` in place (the probe's running sums: no new arrays every step).
 */
export function batchSums(model: Model, x: tf.Tensor, y: tf.Tensor, loss: LossKind, layer: LayerView, seedIndices: readonly number[], into?: readonly UpdateSums[]): (UpdateSums | undefined)[] {
  const { fanIn, fanOut } = layer;
  const rows = x.shape[1]!;
  const { a, d } = rowSignals(model, x, y, loss, layer, "training");
  return Array.from({ length: model.seeds }, (_, s) => {
    if (!seedIndices.includes(s)) return undefined;
    const sums = into?.[s] ?? emptySums(fanIn, fanOut);
    addRows(sums, a.subarray(s * rows * fanIn, (s + 1) * rows * fanIn), d.subarray(s * rows * fanOut, (s + 1) * rows * fanOut), fanIn, fanOut);
    return sums;
  });
}

/** The layer's input a of every row of `data` (evaluation mode, one forward per chunk), per seed `[n, fanIn]`, and each row's class. */
export function layerInputs(model: Model, data: EvalData, layer: LayerView): Pick<LayerSamples, "inputs" | "classes"> {
  const S = model.seeds;
  const { fanIn } = layer;
  const inputs = Array.from({ length: S }, () => new Float32Array(data.n * fanIn));
  for (const range of data.chunks()) {
    const input = tf.tidy(() => {
      const taps: Taps = { pre: new Map(), post: new Map(), input: new Map() };
      model.forward(data.rows(range).x, { training: false, taps });
      return tf.clone(tappedInput(taps, layer));
    });
    try {
      const a = input.dataSync() as Float32Array;
      for (let s = 0; s < S; s++) inputs[s]!.set(a.subarray(s * range.count * fanIn, (s + 1) * range.count * fanIn), range.start * fanIn);
    } finally {
      input.dispose();
    }
  }
  return { inputs, classes: Array.from({ length: S }, (_, s) => rowClasses(data, s)) };
}

function tappedInput(taps: Taps, layer: LayerView): tf.Tensor {
  const input = taps.input?.get(layer.name);
  if (!input) throw new DyncRuntimeError("RUN040", `common_direction needs the input of layer "${layer.name}", which this model does not report`, "layer-list models (every model `dync run` builds) report it");
  return input;
}

/**
 * Rows' a and δ, downloaded: one forward/backward of Σ_rows ℓ_row with respect to a zero shift of z, in
 * evaluation mode (running statistics) or training mode (batch statistics, nothing updated, dropout off).
 * The tapped input is cloned: for the first layer it is `x` itself, which the caller owns.
 */
function rowSignals(model: Model, x: tf.Tensor, y: tf.Tensor, loss: LossKind, layer: LayerView, mode: "evaluation" | "training"): { a: Float32Array; d: Float32Array } {
  const options: NnForwardOptions = mode === "training" ? { training: true, updateStats: false, dropout: false } : { training: false };
  let input: tf.Tensor | undefined;
  let delta: tf.Tensor | undefined;
  try {
    delta = tf.tidy(() => {
      const zero = tf.zeros([model.seeds, x.shape[1]!, layer.fanOut]);
      return tf.grad((shift: tf.Tensor) => {
        const taps: Taps = { pre: new Map(), post: new Map(), input: new Map() };
        const out = model.forward(x, { ...options, taps, shift: new Map([[layer.name, shift]]), skipParameterGradients: true });
        input = tf.keep(tf.clone(tappedInput(taps, layer)));
        return tf.sum(lossFunction(loss)(out, y).perSample);
      })(zero);
    });
    return { a: input!.dataSync() as Float32Array, d: delta.dataSync() as Float32Array };
  } finally {
    tf.dispose([...(input ? [input] : []), ...(delta ? [delta] : [])]);
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
  let added = 0;
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let i = 0, at = r * fanIn; i < fanIn; i++) norm += a[at + i]! * a[at + i]!;
    let deltaNorm = 0;
    for (let o = 0, at = r * fanOut; o < fanOut; o++) deltaNorm += (delta[o] = d[at + o]!) ** 2;
    // A diverging seed's row (Inf/NaN) would poison every later sum: left out.
    if (!Number.isFinite(norm) || !Number.isFinite(deltaNorm)) continue;
    added++;
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
  sums.rows += added;
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

type DirectionFields = "strength" | "mean_strength" | "share" | "alignment" | "neuron_alignment";

/** The result for the seeds measured at this call (others undefined: an event fired for some seeds only). */
function directionResult(perSeed: readonly (Readonly<Record<DirectionFields, Float64Array>> | undefined)[]) {
  const field = (f: DirectionFields) => perSeed.map((r) => r?.[f]);
  return {
    kind: "indexed" as const,
    dim: "direction" as const,
    fields: { strength: field("strength"), mean_strength: field("mean_strength"), share: field("share"), alignment: field("alignment"), neuron_alignment: field("neuron_alignment") },
  };
}

/** A window's k directions and their measures (NaN while it holds no rows). */
function windowMeasures(total: UpdateSums, view: LayerView, k: number, seedWeights: Float32Array, inputs: Float32Array, classes: Int32Array): Record<DirectionFields, Float64Array> {
  const { fanIn, fanOut } = view;
  if (total.rows === 0) {
    const none = () => new Float64Array(k).fill(Number.NaN);
    return { strength: none(), mean_strength: none(), share: none(), alignment: none(), neuron_alignment: none() };
  }
  const dirs = deflatedDirections(total.g.map((v) => v / total.rows), fanOut, k);
  return {
    strength: dirs.strength,
    mean_strength: Float64Array.from(dirs.vectors, (c) => meanStrength(total.mean, c, fanIn, fanOut) / total.rows),
    share: dirs.share,
    alignment: Float64Array.from(dirs.vectors, (c) => featureAlignment(total.mean, c, inputs, classes, fanIn, fanOut)),
    neuron_alignment: Float64Array.from(dirs.vectors, (c) => neuronAlignment(seedWeights, c, fanIn, fanOut)),
  };
}

/** ‖Σ a δᵀ C‖: the length of the summed update's coefficients along C (‖C V̄ᵀ‖_F for unit C). */
export function meanStrength(mean: Float64Array, c: Float64Array, fanIn: number, fanOut: number): number {
  let sum = 0;
  for (let i = 0; i < fanIn; i++) {
    let v = 0;
    for (let o = 0; o < fanOut; o++) v += mean[i * fanOut + o]! * c[o]!;
    sum += v * v;
  }
  return Math.sqrt(sum);
}

export const commonDirectionProbe = defineProbe(commonDirection, {
  setup({ model, data, layer, k, window, updates }, run) {
    const view = measuredLayer(model, layer, k);
    const { fanIn, fanOut } = view;
    const windows = Array.from({ length: model.seeds }, () => new UpdateWindow(window));
    // `updates: steps`: the training steps' sums since the last call, per seed (closed into the window at each call).
    let pending = Array.from({ length: model.seeds }, () => emptySums(fanIn, fanOut));
    const fromSteps = updates === "steps";
    return {
      measure(ctx) {
        const samples = fromSteps ? layerInputs(model, data, view) : layerSamples(model, data, run.loss, view);
        const weights = view.weight!.variable.dataSync() as Float32Array;
        const perSeed = windows.map((w, s) => {
          if (!ctx.seedIndices.includes(s)) return undefined;
          const part = fromSteps ? pending[s]! : (samples as LayerSamples).sums[s]!;
          if (fromSteps) pending[s] = emptySums(fanIn, fanOut);
          const total = w.add(part);
          return windowMeasures(total, view, k, weights.subarray(s * fanIn * fanOut, (s + 1) * fanIn * fanOut), samples.inputs[s]!, samples.classes[s]!);
        });
        return directionResult(perSeed);
      },
      ...(fromSteps
        ? {
            observe(ctx: ProbeContext) {
              if (!ctx.batch) return;
              batchSums(model, ctx.batch.x, ctx.batch.y, run.loss, view, ctx.seedIndices, pending);
            },
          }
        : {}),
      // G and the mean gradient over the window so far (and the steps since the last call): a resumed run continues the same accumulation.
      save: () => ({ windows: windows.map((w) => w.save()), pending: pending.map(copySums) }),
      restore(state) {
        const saved = state as { windows?: readonly WindowState[]; pending?: readonly UpdateSums[] };
        if (!Array.isArray(saved?.windows) || saved.windows.length !== windows.length || !Array.isArray(saved.pending) || saved.pending.length !== windows.length) {
          throw new DyncRuntimeError("RUN032", `common_direction: the checkpoint holds ${Array.isArray(saved?.windows) ? saved.windows.length : "no"} seeds' sums, this run has ${windows.length}`);
        }
        const fits = (u: UpdateSums) => u.g.length === fanOut * fanOut && u.mean.length === fanIn * fanOut;
        windows.forEach((w, s) => w.restore(saved.windows![s]!, fits));
        if (!saved.pending.every((u) => u && u.g instanceof Float64Array && u.mean instanceof Float64Array && typeof u.rows === "number" && fits(u))) {
          throw new DyncRuntimeError("RUN032", "common_direction: the checkpoint's sums do not fit this layer");
        }
        pending = saved.pending.map(copySums);
      },
      finish() {
        windows.forEach((w) => w.clear());
        pending = [];
      },
    };
  },
});
