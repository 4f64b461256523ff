/**
 * The core family's analysis functions (schema: ./entries.ts): `plateau_end(series, drop, smooth)`, phase
 * detection on a loss curve, `sign_changes(series)`, oscillation through zero, and `correlation(x, y)`,
 * how closely two results move together (Pearson or Spearman, float64).
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { firstStepPerGroup } from "../../runtime/analysis/series.js";
import { groupRows, join, keyId, numberOf, project, requireDim, STEPS, type Key, type Table } from "../../runtime/analysis/table.js";
import { type AnalysisDefinition, defineAnalysis } from "../analyses/define.js";
import * as entries from "./entries.js";

/**
 * Index of the first measurement whose trailing mean over `smooth` measurements is ≤ (1 − drop) times
 * the first such mean; −1 when none is, or when that start is not a positive number.
 */
export function plateauEndIndex(values: readonly number[], drop: number, smooth: number): number {
  if (values.length < smooth) return -1;
  const mean = (end: number) => values.slice(end - smooth + 1, end + 1).reduce((a, v) => a + v, 0) / smooth;
  const start = mean(smooth - 1);
  if (!(start > 0)) return -1;
  const threshold = (1 - drop) * start;
  for (let i = smooth - 1; i < values.length; i++) if (mean(i) <= threshold) return i;
  return -1;
}

const plateauEnd = defineAnalysis(entries.plateauEnd, ([series], { drop, smooth }) =>
  firstStepPerGroup(series!, "plateau_end", (cell) => numberOf(cell, "plateau_end"), (values) => plateauEndIndex(values, drop, smooth)),
);

/** Sign changes between consecutive nonzero, non-NaN values, in the order given. */
export function countSignChanges(values: readonly number[]): number {
  let changes = 0;
  let previous = 0;
  for (const v of values) {
    if (!(v !== 0 && !Number.isNaN(v))) continue;
    if (previous !== 0 && Math.sign(v) !== previous) changes++;
    previous = Math.sign(v);
  }
  return changes;
}

/** Per group of every dimension but `steps`, the sign changes of its values in step order. */
function signChangesPerGroup(table: Table): Table {
  if (!table.dims.includes(STEPS)) throw new DyncRuntimeError("RUN051", "sign_changes needs a series over steps");
  const keep = table.dims.filter((d) => d !== STEPS);
  return {
    dims: keep,
    rows: groupRows(table.rows, keep).map((g) => {
      const sorted = [...g.rows].sort((a, b) => Number(a.key[STEPS]) - Number(b.key[STEPS]));
      return { key: g.key, value: countSignChanges(sorted.map((r) => numberOf(r.value, "sign_changes"))) };
    }),
  };
}

const signChanges = defineAnalysis(entries.signChanges, ([series]) => signChangesPerGroup(series!));

/** Pearson's r of paired values, float64, two-pass; NaN for fewer than 3 pairs, a NaN value or a constant side. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 3 || ys.length !== n || xs.some(Number.isNaN) || ys.some(Number.isNaN)) return NaN;
  // Equal values, not a zero sum of squares: the mean of n equal floats may round, leaving tiny deviations.
  if (xs.every((v) => v === xs[0]) || ys.every((v) => v === ys[0])) return NaN;
  const mean = (vs: readonly number[]) => vs.reduce((a, v) => a + v, 0) / n;
  const [mx, my] = [mean(xs), mean(ys)];
  let [sxy, sxx, syy] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [dx, dy] = [xs[i]! - mx, ys[i]! - my];
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Ranks 1..n of `values` in ascending order, tied values sharing the mean of their ranks. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    for (let k = start; k <= end; k++) ranks[order[k]!.i] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return ranks;
}

/** Spearman's ρ: Pearson's r of the average ranks (NaN values give NaN, as in `pearson`). */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  if (xs.some(Number.isNaN) || ys.some(Number.isNaN)) return NaN;
  return pearson(averageRanks(xs), averageRanks(ys));
}

const correlation = defineAnalysis(entries.correlation, ([x, y], { method }, over) => {
  if (method !== "pearson" && method !== "spearman") throw new DyncRuntimeError("RUN040", `correlation method must be pearson or spearman, got ${String(method)}`);
  const across = over.length > 0 ? over : [STEPS];
  for (const d of across) {
    requireDim(x!, d, "the first argument of correlation");
    requireDim(y!, d, "the second argument of correlation");
  }
  const paired = join(x!, y!, (l, r, key) => ({ key, x: numberOf(l.value, "correlation"), y: numberOf(r.value, "correlation") }));
  const keep = paired.dims.filter((d) => !across.includes(d));
  const groups = new Map<string, { key: Key; xs: number[]; ys: number[] }>();
  for (const p of paired.rows) {
    const id = keyId(p.key, keep);
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { key: project(p.key, keep), xs: [], ys: [] }));
    group.xs.push(p.x);
    group.ys.push(p.y);
  }
  const measure = method === "pearson" ? pearson : spearman;
  return { dims: keep, rows: [...groups.values()].map((g) => ({ key: g.key, value: measure(g.xs, g.ys) })) };
});

export const coreAnalysisImplementations: readonly AnalysisDefinition[] = [plateauEnd, signChanges, correlation];
