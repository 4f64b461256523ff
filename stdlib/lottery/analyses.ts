/**
 * Analyses of the lottery-ticket library (Liu & Tegmark, arXiv 2310.02258), registered by name:
 *
 * - `modes(x) over seeds`: number of modes of each group's distribution (of log10 x by default), from a
 *   Gaussian KDE with bandwidth = `bandwidth` × Scott's rule (or `kernel_width`, fixed, when given),
 *   evaluated at 512 points. A local maximum
 *   counts when its density is ≥ `min_height` × the highest, and two neighbouring maxima are merged (the
 *   lower one dropped) unless the density between them falls below (1 − `min_dip`) × the lower one.
 * - `lowest_mode(x) over seeds`: 1 for values at or below the density minimum that separates the lowest
 *   mode from the next, 0 otherwise (all 1 for a unimodal group); keeps every dimension.
 * - `ensemble_test(x, along: width, stat: ks) over seeds`: per group and width N with N/2 also present,
 *   `pairs` draws (L_a, L_b) with replacement from the width-N/2 values give L̃ = (1/L_a + 1/L_b)⁻¹,
 *   compared with the width-N values: `ks` = two-sample Kolmogorov–Smirnov distance sup|F̃ − F_N|,
 *   `median_ratio` = median(L̃)/median(L_N), `median` = median(L̃). Keyed by the other dims and N.
 * - `local_exponents(y, along: width)`: αₖ = −(ln yₖ − ln yₖ₋₁)/(ln xₖ − ln xₖ₋₁) between neighbouring
 *   x values, keyed by xₖ.
 *
 * - `clusters(x, y, stat: count, cut: 5, min_size: 3) over seeds`: single-linkage clusters of the points
 *   (x, y) of each group (numerics/cluster.ts): the count of clusters with ≥ min_size points, or per point
 *   (`stat: label`, `stat: size`) its cluster's label (0 = largest) or size. x and y are joined on their
 *   shared dimensions, so both must be keyed alike (e.g. two fields of one probe).
 *
 * - `in_range(x, along: width, min: 10, max: 50)`: the rows whose `along` value v has min ≤ v ≤ max.
 *
 * NaN anywhere in a group gives NaN for that group (as the reductions do). Float64 throughout.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Dim, SweepValue } from "../../contract/program.js";
import { singleLinkage } from "../../numerics/cluster.js";
import { gaussianKde, linspace } from "../../numerics/kde.js";
import { portableMath } from "../../numerics/portable-math.js";
import { densityBandwidth } from "../../runtime/analysis/density.js";
import { Rng } from "../../runtime/rng.js";
import { type AnalysisDefinition, defineAnalysis } from "../analyses/define.js";
import * as entries from "./entries.js";
import { median } from "../../runtime/analysis/reduce.js";
import { groupRows, join, numberOf, requireDim, type Key, type Row, type Table } from "../../runtime/analysis/table.js";

/** Options of the mode finder. */
export interface ModeOptions {
  readonly bandwidth: number;
  /** A fixed bandwidth in the values' units; when set, `bandwidth` (a fraction of Scott's rule) is not used. */
  readonly kernelWidth?: number | null;
  readonly minHeight: number;
  readonly minDip: number;
}

/** The modes of a sample: their locations and the density minima separating neighbouring ones. */
export interface Modes {
  readonly peaks: number[];
  readonly valleys: number[];
}

/** Modes of `values` by a Gaussian KDE (see the module doc). Fewer than 2 distinct values: one mode. */
export function findModes(values: readonly number[], o: ModeOptions): Modes {
  if (values.length < 2 || values.every((v) => v === values[0])) return { peaks: values.length ? [values[0]!] : [], valleys: [] };
  const h = o.kernelWidth ?? o.bandwidth * densityBandwidth(values);
  const lo = Math.min(...values) - 3 * h;
  const hi = Math.max(...values) + 3 * h;
  const xs = linspace(lo, hi, 512);
  const d = gaussianKde(values, xs, h);
  const top = Math.max(...d);
  let peaks: number[] = [];
  for (let i = 1; i < d.length - 1; i++) if (d[i]! > d[i - 1]! && d[i]! >= d[i + 1]! && d[i]! >= o.minHeight * top) peaks.push(i);
  const valleyBetween = (a: number, b: number): number => {
    let at = a;
    for (let i = a; i <= b; i++) if (d[i]! < d[at]!) at = i;
    return at;
  };
  for (let merged = true; merged && peaks.length > 1; ) {
    merged = false;
    for (let k = 0; k + 1 < peaks.length; k++) {
      const [a, b] = [peaks[k]!, peaks[k + 1]!];
      const lower = Math.min(d[a]!, d[b]!);
      if (d[valleyBetween(a, b)]! > (1 - o.minDip) * lower) {
        peaks = peaks.filter((p) => p !== (d[a]! < d[b]! ? a : b));
        merged = true;
        break;
      }
    }
  }
  const valleys = peaks.slice(1).map((b, k) => xs[valleyBetween(peaks[k]!, b)]!);
  return { peaks: peaks.map((i) => xs[i]!), valleys };
}

/** An option out of range is a setting the analysis cannot carry out (RUN040), not a failure on the data (RUN050). */
function modeOptions(options: Readonly<Record<string, unknown>>): ModeOptions & { log10: boolean } {
  const num = (name: string) => {
    const v = options[name];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new DyncRuntimeError("RUN040", `option ${name} must be a number ≥ 0, got ${String(v)}`);
    return v;
  };
  const bandwidth = num("bandwidth");
  if (!(bandwidth > 0)) throw new DyncRuntimeError("RUN040", "option bandwidth must be > 0");
  const kernelWidth = options["kernel_width"] === null || options["kernel_width"] === undefined ? null : num("kernel_width");
  if (kernelWidth === 0) throw new DyncRuntimeError("RUN040", "option kernel_width must be > 0");
  return { bandwidth, kernelWidth, minHeight: num("min_height"), minDip: num("min_dip"), log10: options["log10"] !== false };
}

/** The values of a group as the mode finder sees them (log10 unless log10: false). */
function transformed(rows: readonly Row[], log10: boolean, what: string): number[] {
  return rows.map((r) => {
    const v = numberOf(r.value, what);
    return log10 ? portableMath.log10(v) : v;
  });
}

function requireOver(table: Table, over: readonly Dim[], fn: string): Dim[] {
  if (over.length === 0) throw new DyncRuntimeError("RUN040", `${fn} compares values across a dimension: write \`${fn}(…) over seeds\``);
  for (const d of over) requireDim(table, d, `the argument of ${fn}`);
  return table.dims.filter((d) => !over.includes(d));
}

const modes = defineAnalysis(entries.modesEntry, ([table], options, over) => {
  const o = modeOptions(options);
  const keep = requireOver(table!, over, "modes");
  return {
    dims: keep,
    rows: groupRows(table!.rows, keep).map((g) => {
      const xs = transformed(g.rows, o.log10, "modes");
      return { key: g.key, value: xs.some((x) => !Number.isFinite(x)) ? NaN : findModes(xs, o).peaks.length };
    }),
  };
});

const lowestMode = defineAnalysis(entries.lowestMode, ([table], options, over) => {
  const o = modeOptions(options);
  const keep = requireOver(table!, over, "lowest_mode");
  const rows: Row[] = [];
  for (const g of groupRows(table!.rows, keep)) {
    const xs = transformed(g.rows, o.log10, "lowest_mode");
    const bad = xs.some((x) => !Number.isFinite(x));
    const cut = bad ? NaN : (findModes(xs, o).valleys[0] ?? Infinity);
    g.rows.forEach((r, i) => rows.push({ key: r.key, value: bad ? NaN : xs[i]! <= cut ? 1 : 0 }));
  }
  return { dims: table!.dims, rows };
});

/** sup |F_a − F_b| of two samples' empirical distribution functions. */
export function ksDistance(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const t = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= t) i++;
    while (j < y.length && y[j]! <= t) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** `pairs` resampled ensembles (1/L_a + 1/L_b)⁻¹ of losses drawn with replacement from `half`. */
export function ensembleLosses(half: readonly number[], pairs: number, rng: Rng): number[] {
  return Array.from({ length: pairs }, () => {
    const a = half[rng.int(half.length)]!;
    const b = half[rng.int(half.length)]!;
    return 1 / (1 / a + 1 / b);
  });
}

function sweepNumber(v: SweepValue, along: string): number {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new DyncRuntimeError("RUN050", `${along} must be a numeric sweep variable, got ${String(v)}`);
  return x;
}

const ensembleTest = defineAnalysis(entries.ensembleTest, ([table], { along, stat, pairs, seed }, over) => {
  if (!["ks", "median_ratio", "median"].includes(stat)) throw new DyncRuntimeError("RUN040", `ensemble_test stat must be ks, median_ratio or median, got ${stat}`);
  if (!(Number.isInteger(pairs) && pairs >= 1)) throw new DyncRuntimeError("RUN040", `ensemble_test pairs must be a whole number ≥ 1, got ${pairs}`);
  requireDim(table!, along, "the argument of ensemble_test");
  const keep = requireOver(table!, over, "ensemble_test").filter((d) => d !== along);
  const rows: Row[] = [];
  for (const g of groupRows(table!.rows, keep)) {
    const byWidth = new Map<number, number[]>();
    for (const r of g.rows) {
      const n = sweepNumber(r.key[along]!, along);
      byWidth.set(n, [...(byWidth.get(n) ?? []), numberOf(r.value, "ensemble_test")]);
    }
    for (const [n, full] of [...byWidth].sort((a, b) => a[0] - b[0])) {
      const half = byWidth.get(n / 2);
      if (!half) continue;
      const key: Key = { ...g.key, [along]: n };
      if ([...half, ...full].some((v) => !Number.isFinite(v))) {
        rows.push({ key, value: NaN });
        continue;
      }
      const ens = ensembleLosses(half, pairs, new Rng(seed).fork("ensemble_test").fork(String(n)));
      const value = stat === "ks" ? ksDistance(ens, full) : stat === "median" ? median(ens) : median(ens) / median(full);
      rows.push({ key, value, note: `N=${n} vs ${n / 2}+${n / 2}` });
    }
  }
  if (rows.length === 0) throw new DyncRuntimeError("RUN050", `ensemble_test found no ${along} N whose half N/2 was also run (values: ${[...new Set(table!.rows.map((r) => String(r.key[along])))].join(", ")})`);
  return { dims: [...keep, along], rows };
});

const localExponents = defineAnalysis(entries.localExponents, ([table], { along }) => {
  requireDim(table!, along, "the argument of local_exponents");
  const keep = table!.dims.filter((d) => d !== along);
  const rows: Row[] = [];
  for (const g of groupRows(table!.rows, keep)) {
    const points = g.rows.map((r) => ({ x: sweepNumber(r.key[along]!, along), y: numberOf(r.value, "local_exponents") })).sort((a, b) => a.x - b.x);
    for (let k = 1; k < points.length; k++) {
      const [p, q] = [points[k - 1]!, points[k]!];
      if (p.x === q.x) throw new DyncRuntimeError("RUN050", `local_exponents: ${along} = ${q.x} appears twice in one group; reduce over seeds first`);
      rows.push({ key: { ...g.key, [along]: q.x }, value: -(portableMath.log(q.y) - portableMath.log(p.y)) / (portableMath.log(q.x) - portableMath.log(p.x)) });
    }
  }
  return { dims: [...keep, along], rows };
});

const inRange = defineAnalysis(entries.inRange, ([table], { along, min, max }) => {
  requireDim(table!, along, "the argument of in_range");
  // No bound given (null) means unbounded on that side.
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  const rows = table!.rows.filter((r) => {
    const v = sweepNumber(r.key[along]!, along);
    return v >= lo && v <= hi;
  });
  if (rows.length === 0) throw new DyncRuntimeError("RUN050", `in_range keeps no rows: no ${along} in [${lo}, ${hi}]`);
  return { dims: table!.dims, rows };
});

const clusters = defineAnalysis(entries.clustersEntry, ([x, y], { stat, cut, min_size }, over) => {
  if (!["count", "label", "size"].includes(stat)) throw new DyncRuntimeError("RUN040", `clusters stat must be count, label or size, got ${stat}`);
  if (!(cut > 0)) throw new DyncRuntimeError("RUN040", `clusters cut must be > 0, got ${cut}`);
  if (!(Number.isInteger(min_size) && min_size >= 1)) throw new DyncRuntimeError("RUN040", `clusters min_size must be a whole number ≥ 1, got ${min_size}`);
  const points = join(x!, y!, (l, r, key): Row & { point: number[] } => ({ key, value: 0, point: [numberOf(l.value, "clusters"), numberOf(r.value, "clusters")] }));
  const table: Table = points;
  const keep = requireOver(table, over, "clusters");
  const rows: Row[] = [];
  for (const g of groupRows(points.rows, keep)) {
    const pts = (g.rows as (Row & { point: number[] })[]).map((r) => r.point);
    // NaN coordinates (a net without the measured neuron, a diverged run) make the group's clustering NaN.
    const bad = pts.some((p) => p.some((v) => !Number.isFinite(v)));
    const c = bad ? null : singleLinkage(pts, { cut, minSize: min_size });
    if (stat === "count") {
      rows.push({ key: g.key, value: c ? c.count : NaN, ...(c ? { note: `sizes ${c.sizes.join(", ")}` } : {}) });
      continue;
    }
    g.rows.forEach((r, i) => rows.push({ key: r.key, value: !c ? NaN : stat === "label" ? c.labels[i]! : c.sizes[c.labels[i]!]! }));
  }
  return { dims: stat === "count" ? keep : points.dims, rows };
});

export const lotteryAnalysisImplementations: readonly AnalysisDefinition[] = [inRange, modes, lowestMode, ensembleTest, localExponents, clusters];
