/**
 * The frequency principle (Xu et al. 2019; condensation notes): the DFT of the target and of the network's
 * output over a 1-D data set, the target's spectral peaks, and the relative error |Ŷₖ − Yₖ|/|Yₖ| at each
 * peak. Low frequencies converge first.
 *
 * Every transform is the direct sum Ŷ(k) = (1/n) Σⱼ yⱼ e^(−2πi k (xⱼ − x₀)/L) in float64. On a uniform grid
 * (spacing Δ) L = nΔ, which makes it exactly the DFT; for non-uniform inputs L = max x − min x.
 */
import * as tf from "@tensorflow/tfjs-core";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
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
    re += y[j]! * Math.cos(theta);
    im -= y[j]! * Math.sin(theta);
  }
  return [re / n, im / n];
}

/** |Ŷ(k)| for k = 0..⌊n/2⌋. */
export function amplitudeSpectrum(axis: SpectralAxis, y: ArrayLike<number>): Float64Array {
  const half = Math.floor(axis.x.length / 2);
  return Float64Array.from({ length: half + 1 }, (_, k) => Math.hypot(...dftAt(axis, y, k)));
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

/** Target spectrum and peaks of one seed's copy of a data set (the target does not change during a run). */
interface TargetSpectrum {
  readonly axis: SpectralAxis;
  readonly peaks: number[];
  readonly coefficients: [number, number][];
}

function inputsAndTargets(data: EvalData): { x: Float32Array; y: Float32Array } {
  if (data.xShape.length !== 1 || data.xShape[0] !== 1 || data.yDim !== 1) {
    throw new DyncRuntimeError("RUN040", `the frequency principle probes need one input and one target column; data set "${data.name}" has inputs [${data.xShape.join(", ")}] and ${data.yDim} target columns`);
  }
  const { x, y } = data.rows({ start: 0, count: data.n });
  try {
    return { x: x.dataSync() as Float32Array, y: y.dataSync() as Float32Array };
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** The target's spectrum for one seed's copy of the data (read from the backend once per call). */
function targetSpectrum(data: EvalData, seed: number, peaks: number): TargetSpectrum {
  const { x, y } = inputsAndTargets(data);
  const n = data.n;
  const axis = spectralAxis(x.subarray(seed * n, (seed + 1) * n));
  const ys = Float64Array.from(axis.order, (i) => y[seed * n + i]!);
  const found = spectralPeaks(amplitudeSpectrum(axis, ys), peaks);
  if (found.length === 0) throw new DyncRuntimeError("RUN040", `the target of data set "${data.name}" has no spectral peak`);
  return { axis, peaks: found, coefficients: found.map((k) => dftAt(axis, ys, k)) };
}

function predictions(model: Model, data: EvalData): Float32Array {
  const out = tf.tidy(() => model.forward(data.rows({ start: 0, count: data.n }).x, { training: false }));
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/**
 * The probe: per seed and target peak (dimension `frequency`, lowest first), `error` = |Ŷₖ − Yₖ|/|Yₖ| and
 * `freq` = k/L (cycles per unit of x).
 */
export const frequencyErrorProbe = defineProbe(entries.frequencyError, {
  setup: ({ model, data, peaks }) => {
    // Per run: the target's spectrum per seed copy (one copy when all seeds share the data), computed once.
    const targets = new Map<number, TargetSpectrum>();
    const target = (s: number): TargetSpectrum => {
      const copy = data.shared ? 0 : s;
      let known = targets.get(copy);
      if (!known) targets.set(copy, (known = targetSpectrum(data, s, peaks)));
      return known;
    };
    return {
      measure: (ctx) => frequencyErrors(model, data, target, ctx.seedIndices),
      // The cached target spectra are a function of the data alone: recomputed after a resume, nothing to save.
      save: () => null,
      restore: () => {},
    };
  },
});

/** Per seed and target peak: the relative error of the output's DFT at the peak, and the peak's frequency. */
function frequencyErrors(model: Model, data: EvalData, targetOf: (s: number) => TargetSpectrum, seedIndices: readonly number[]) {
  const out = predictions(model, data);
  const error: (Float64Array | undefined)[] = [];
  const freq: (Float64Array | undefined)[] = [];
  for (let s = 0; s < model.seeds; s++) {
    if (!seedIndices.includes(s)) {
      error.push(undefined);
      freq.push(undefined);
      continue;
    }
    const target = targetOf(s);
    const outSorted = Float64Array.from(target.axis.order, (i) => out[s * data.n + i]!);
    error.push(Float64Array.from(target.peaks, (k, p) => {
      const [re, im] = dftAt(target.axis, outSorted, k);
      const [tr, ti] = target.coefficients[p]!;
      return Math.hypot(re - tr, im - ti) / Math.hypot(tr, ti);
    }));
    freq.push(Float64Array.from(target.peaks, (k) => k / target.axis.period));
  }
  return { kind: "indexed" as const, dim: "frequency" as const, fields: { error, freq } };
}

/** The probe `learned_function(net, data)`: per sample (dimension `point`), fields x, output and target. */
export const learnedFunctionProbe = defineProbe(entries.learnedFunction, { measure: ({ model, data }, ctx) => {
  const { x, y } = inputsAndTargets(data);
  const out = predictions(model, data);
  const n = data.n;
  const pick = (values: Float32Array, s: number): Float64Array | undefined => (ctx.seedIndices.includes(s) ? Float64Array.from(values.subarray(s * n, (s + 1) * n)) : undefined);
  const seeds = [...Array(model.seeds).keys()];
  return { kind: "indexed", dim: "point" as const, fields: { x: seeds.map((s) => pick(x, s)), output: seeds.map((s) => pick(out, s)), target: seeds.map((s) => pick(y, s)) } };
} });
