/**
 * The frequency principle (Xu et al. 2019; condensation notes): the DFT of the target and of the network's
 * output over a data set, the target's spectral peaks, and the relative error ‖Ŷₖ − Yₖ‖/‖Yₖ‖ at each
 * peak. Low frequencies converge first.
 *
 * Every transform is the direct sum Ŷ(k) = (1/n) Σⱼ yⱼ e^(−2πi k (tⱼ − t₀)/L) in float64, per target column
 * (the norm is over the columns). For one input column t is the input; for more it is the input projected
 * on one direction, by default the inputs' first principal direction (Xu et al.'s projection method for
 * MNIST and CIFAR-10: a full d-dimensional transform is out of reach). On a uniform grid (spacing Δ) L = nΔ,
 * which makes it exactly the DFT; for non-uniform positions L = max t − min t. A run trained with
 * cross-entropy is compared through the softmax of its output (probabilities against one-hot targets).
 */
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData, RowRange } from "../probes/eval-data.js";
import { lossName } from "../../runtime/loss.js";
import { firstPrincipalDirection } from "../../numerics/eigen.js";
import { hypotOf } from "../../numerics/hypot.js";
import { portableMath } from "../../numerics/portable-math.js";
import * as entries from "./entries.js";

/** Sample positions along one axis, sorted, with the transform's period L and whether the grid is uniform. */
export interface SpectralAxis {
  /** Indices that sort the samples by x. */
  readonly order: Int32Array;
  readonly x: Float64Array;
  readonly x0: number;
  readonly period: number;
  readonly uniform: boolean;
}

/** Sort the inputs and decide the period: nΔ on a uniform grid (relative spacing error < 1e-4), else the range. */
export function spectralAxis(xs: ArrayLike<number>): SpectralAxis {
  const n = xs.length;
  if (n < 4) throw new DyncRuntimeError("RUN040", `a spectrum needs at least 4 samples, got ${n}`);
  const order = Int32Array.from([...Array(n).keys()].sort((a, b) => xs[a]! - xs[b]!));
  const x = Float64Array.from(order, (i) => xs[i]!);
  const range = x[n - 1]! - x[0]!;
  if (!(range > 0)) throw new DyncRuntimeError("RUN040", "a spectrum needs inputs that are not all equal");
  const step = range / (n - 1);
  let uniform = true;
  for (let i = 1; i < n && uniform; i++) uniform = Math.abs(x[i]! - x[i - 1]! - step) <= 1e-4 * step;
  return { order, x, x0: x[0]!, period: uniform ? n * step : range, uniform };
}

/** The complex coefficient (re, im) of (1/n) Σ yⱼ e^(−2πi k (xⱼ − x₀)/L), y in axis order. */
export function dftAt(axis: SpectralAxis, y: ArrayLike<number>, k: number): [number, number] {
  let re = 0;
  let im = 0;
  const n = axis.x.length;
  const w = (2 * Math.PI * k) / axis.period;
  for (let j = 0; j < n; j++) {
    const theta = w * (axis.x[j]! - axis.x0);
    re += y[j]! * portableMath.cos(theta);
    im -= y[j]! * portableMath.sin(theta);
  }
  return [re / n, im / n];
}

/** |Ŷ(k)| for k = 0..⌊n/2⌋. */
export function amplitudeSpectrum(axis: SpectralAxis, y: ArrayLike<number>): Float64Array {
  const half = Math.floor(axis.x.length / 2);
  return Float64Array.from({ length: half + 1 }, (_, k) => hypotOf(dftAt(axis, y, k)));
}

/**
 * The `count` largest local maxima of |Y(k)| over k ≥ 1 (the mean, k = 0, is not a frequency), at least
 * `floor` × the largest of them, in increasing k.
 */
export function spectralPeaks(spectrum: Float64Array, count: number, floor = 1e-3): number[] {
  const peaks: number[] = [];
  for (let k = 1; k < spectrum.length; k++) {
    const left = spectrum[k - 1]!;
    const right = k + 1 < spectrum.length ? spectrum[k + 1]! : -Infinity;
    if (spectrum[k]! > left && spectrum[k]! >= right) peaks.push(k);
  }
  peaks.sort((a, b) => spectrum[b]! - spectrum[a]! || a - b);
  const top = spectrum[peaks[0] ?? 0] ?? 0;
  return peaks.filter((k) => spectrum[k]! >= floor * top).slice(0, count).sort((a, b) => a - b);
}

/**
 * A data set's samples as a 1-D spectral problem: each sample's position (the input itself for one input
 * column; else the inputs projected on a unit direction, Xu et al.'s projection method) and its target
 * columns, per seed copy.
 */
export interface ProjectedSamples {
  readonly positions: Float64Array;
  /** Target column c of sample j at j·C + c. */
  readonly targets: Float64Array;
  readonly columns: number;
}

/**
 * Positions along `direction` (normalised; default: the inputs' first principal direction), or the input
 * itself when there is one input column and no direction. `x` holds n rows of d values.
 */
export function projectedPositions(x: ArrayLike<number>, n: number, d: number, direction: readonly number[] | null): Float64Array {
  if (d === 1 && direction === null) return Float64Array.from({ length: n }, (_, j) => x[j]!);
  if (direction !== null && direction.length !== d) {
    throw new DyncRuntimeError("RUN040", `the projection direction has ${direction.length} components but the inputs have ${d}`, "give one component per input value (pixels in row-major HWC order), or leave `project` out for the first principal direction");
  }
  const p = direction === null ? firstPrincipalDirection(x, n, d) : unit(direction);
  if (p.some((v) => !Number.isFinite(v))) throw new DyncRuntimeError("RUN040", "the inputs do not vary, so they have no principal direction to project on");
  return Float64Array.from({ length: n }, (_, j) => {
    let t = 0;
    for (let i = 0; i < d; i++) t += p[i]! * x[j * d + i]!;
    return t;
  });
}

function unit(v: readonly number[]): Float64Array {
  const size = hypotOf(v);
  return Float64Array.from(v, (x) => x / size);
}

/**
 * The complex coefficients of every column at frequency k: (re, im) of column c at 2c, 2c + 1, of
 * (1/n) Σⱼ yⱼ,c e^(−2πi k (tⱼ − t₀)/L), columns `values` (sample j, column c at j·C + c) in axis order.
 */
export function dftColumnsAt(axis: SpectralAxis, values: ArrayLike<number>, columns: number, k: number): Float64Array {
  const out = new Float64Array(2 * columns);
  const n = axis.x.length;
  const w = (2 * Math.PI * k) / axis.period;
  for (let j = 0; j < n; j++) {
    const theta = w * (axis.x[j]! - axis.x0);
    const cos = portableMath.cos(theta) / n;
    const sin = portableMath.sin(theta) / n;
    for (let c = 0; c < columns; c++) {
      out[2 * c]! += values[j * columns + c]! * cos;
      out[2 * c + 1]! -= values[j * columns + c]! * sin;
    }
  }
  return out;
}

/** The Euclidean norm of a vector of complex coefficients (re, im interleaved). */
function complexNorm(coefficients: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < coefficients.length; i++) sum += coefficients[i]! ** 2;
  return Math.sqrt(sum);
}

/** Rows of `values` (C per sample) permuted into the axis order. */
function inAxisOrder(axis: SpectralAxis, values: ArrayLike<number>, columns: number, offset = 0): Float64Array {
  const out = new Float64Array(axis.order.length * columns);
  axis.order.forEach((i, j) => {
    for (let c = 0; c < columns; c++) out[j * columns + c] = values[offset + i * columns + c]!;
  });
  return out;
}

/** Target spectrum and peaks of one seed's copy of a data set (the target does not change during a run). */
interface TargetSpectrum {
  readonly axis: SpectralAxis;
  readonly columns: number;
  readonly peaks: number[];
  /** Per peak: every column's coefficient (dftColumnsAt). */
  readonly coefficients: Float64Array[];
}

/** One seed copy's inputs (n × d) and targets (n × C), as the host data set holds them. */
function hostSamples(data: EvalData, seed: number): { x: Float32Array; y: Float32Array; d: number } {
  const set = data.hostSet(seed);
  return { x: set.x, y: set.y, d: set.x.length / set.n };
}

/** The target's spectrum for one seed's copy of the data: its axis along `direction` and its peaks. */
function targetSpectrum(data: EvalData, seed: number, peaks: number, frequencies: readonly number[] | null, direction: readonly number[] | null): TargetSpectrum {
  const { x, y, d } = hostSamples(data, seed);
  const n = data.n;
  const columns = data.yDim;
  const axis = spectralAxis(projectedPositions(x, n, d, direction));
  const ys = inAxisOrder(axis, y, columns);
  const found = frequencies ? [...frequencies].sort((a, b) => a - b) : spectralPeaks(amplitudes(axis, ys, columns), peaks);
  if (found.length === 0) throw new DyncRuntimeError("RUN040", `the target of data set "${data.name}" has no spectral peak`);
  // A component at rounding level (a listed k the target lacks) would make the relative error noise over noise.
  const rms = Math.sqrt(ys.reduce((a, v) => a + v * v, 0) / n);
  const zero = found.find((k) => !(complexNorm(dftColumnsAt(axis, ys, columns, k)) > 1e-9 * rms));
  if (zero !== undefined) throw new DyncRuntimeError("RUN040", `the target of data set "${data.name}" has no component at frequency ${zero}, so the relative error there is undefined`, "choose other `frequencies`");
  return { axis, columns, peaks: found, coefficients: found.map((k) => dftColumnsAt(axis, ys, columns, k)) };
}

/** ‖Ŷ(k)‖ over the columns for k = 0..⌊n/2⌋. */
function amplitudes(axis: SpectralAxis, ys: Float64Array, columns: number): Float64Array {
  return Float64Array.from({ length: Math.floor(axis.x.length / 2) + 1 }, (_, k) => complexNorm(dftColumnsAt(axis, ys, columns, k)));
}

/**
 * What the network predicts for the targets, per seed row-major [S, n, C], float64: its output, or for a
 * run trained with cross-entropy the softmax of it (probabilities against one-hot targets).
 */
function predictions(model: Model, data: EvalData, softmax: boolean): Float64Array {
  const parts: { range: RowRange; values: Float32Array; width: number }[] = [];
  for (const range of data.chunks()) {
    const out = tf.tidy(() => model.forward(data.rows(range).x, { training: false }));
    parts.push({ range, values: out.dataSync() as Float32Array, width: out.shape[out.shape.length - 1]! });
    out.dispose();
  }
  const width = parts[0]?.width ?? 0;
  if (width !== data.yDim) {
    throw new DyncRuntimeError("RUN040", `the network has ${width} outputs but data set "${data.name}" has ${data.yDim} target columns; the frequency probes compare them column by column`);
  }
  const S = model.seeds;
  const all = new Float64Array(S * data.n * width);
  for (const { range, values } of parts) {
    for (let s = 0; s < S; s++) {
      for (let i = 0; i < range.count; i++) {
        const from = (s * range.count + i) * width;
        const to = (s * data.n + range.start + i) * width;
        for (let c = 0; c < width; c++) all[to + c] = values[from + c]!;
        if (softmax) softmaxInPlace(all, to, width);
      }
    }
  }
  return all;
}

/** Row [at, at + width) replaced by its softmax, shifted by its largest value so nothing overflows. */
function softmaxInPlace(values: Float64Array, at: number, width: number): void {
  let top = -Infinity;
  for (let c = 0; c < width; c++) top = Math.max(top, values[at + c]!);
  let total = 0;
  for (let c = 0; c < width; c++) total += values[at + c] = portableMath.exp(values[at + c]! - top);
  for (let c = 0; c < width; c++) values[at + c] = values[at + c]! / total;
}

/**
 * The probe: per seed and target peak (dimension `frequency`, lowest first), `error` = ‖Ŷₖ − Yₖ‖/‖Yₖ‖ over
 * the target columns and `freq` = k/L (cycles per unit of x, or of the projection).
 */
export const frequencyErrorProbe = defineProbe(entries.frequencyError, {
  setup: ({ model, data, peaks, frequencies, project }, run) => {
    // Per run: the target's spectrum per seed copy (one copy when all seeds share the data), computed once.
    const targets = new Map<number, TargetSpectrum>();
    const target = (s: number): TargetSpectrum => {
      const copy = data.shared ? 0 : s;
      let known = targets.get(copy);
      if (!known) targets.set(copy, (known = targetSpectrum(data, s, peaks, frequencies, project)));
      return known;
    };
    const softmax = lossName(run.loss) === "cross_entropy";
    return {
      measure: (ctx) => frequencyErrors(predictions(model, data, softmax), model.seeds, data.n, target, ctx.seedIndices),
      // The cached target spectra are a function of the data alone: recomputed after a resume, nothing to save.
      save: () => null,
      restore: () => {},
    };
  },
});

/** Per seed and target peak: the relative error of the output's DFT at the peak, and the peak's frequency. */
function frequencyErrors(out: Float64Array, seeds: number, n: number, targetOf: (s: number) => TargetSpectrum, seedIndices: readonly number[]) {
  const error: (Float64Array | undefined)[] = [];
  const freq: (Float64Array | undefined)[] = [];
  for (let s = 0; s < seeds; s++) {
    if (!seedIndices.includes(s)) {
      error.push(undefined);
      freq.push(undefined);
      continue;
    }
    const target = targetOf(s);
    const sorted = inAxisOrder(target.axis, out, target.columns, s * n * target.columns);
    error.push(Float64Array.from(target.peaks, (k, p) => {
      const wanted = target.coefficients[p]!;
      const diff = dftColumnsAt(target.axis, sorted, target.columns, k).map((v, i) => v - wanted[i]!);
      return complexNorm(diff) / complexNorm(wanted);
    }));
    freq.push(Float64Array.from(target.peaks, (k) => k / target.axis.period));
  }
  return { kind: "indexed" as const, dim: "frequency" as const, fields: { error, freq } };
}

/** The probe `learned_function(net, data)`: per sample (dimension `point`), fields x, output and target. */
export const learnedFunctionProbe = defineProbe(entries.learnedFunction, { measure: ({ model, data }, ctx) => {
  if (data.xShape.length !== 1 || data.xShape[0] !== 1 || data.yDim !== 1) {
    throw new DyncRuntimeError("RUN040", `learned_function needs one input and one target column; data set "${data.name}" has inputs [${data.xShape.join(", ")}] and ${data.yDim} target columns`);
  }
  const out = predictions(model, data, false);
  const n = data.n;
  const measured = (s: number): boolean => ctx.seedIndices.includes(s);
  const seeds = [...Array(model.seeds).keys()];
  const host = (s: number, which: "x" | "y") => (measured(s) ? Float64Array.from(data.hostSet(s)[which]) : undefined);
  return {
    kind: "indexed",
    dim: "point" as const,
    fields: { x: seeds.map((s) => host(s, "x")), output: seeds.map((s) => (measured(s) ? out.slice(s * n, (s + 1) * n) : undefined)), target: seeds.map((s) => host(s, "y")) },
  };
} });
