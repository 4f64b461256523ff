/**
 * Reductions of a list of float64 values: median, mean, std, min, max, sum, prod, count, quantile.
 * A NaN among the values (a diverged seed's measurements are NaN) makes every reduction but `count`
 * NaN, as numpy's do: a statistic silently computed without some seeds would misreport the experiment.
 * nanmedian, nanmean, nanmin and nanmax leave NaNs out when asked to (numpy's nan… functions): NaN only
 * when every value is NaN. ±Infinity is a value to all of them.
 */
import { DyncRuntimeError } from "../errors.js";

/** Sum with Neumaier compensation, so long series lose no precision to rounding. */
export function sum(values: readonly number[]): number {
  let s = 0;
  let compensation = 0;
  for (const v of values) {
    const t = s + v;
    compensation += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  const total = s + compensation;
  // Compensation of ±Infinity or NaN terms is NaN; the plain sum is then the right answer.
  return Number.isFinite(total) ? total : s;
}

/** Product of the values (1 for none), e.g. of per-layer spectral norms. */
export function prod(values: readonly number[]): number {
  let p = 1;
  for (const v of values) p *= v;
  return p;
}

/** Arithmetic mean. */
export function mean(values: readonly number[]): number {
  return sum(values) / values.length;
}

/** Sample standard deviation √(Σ(x − x̄)²/(n − 1)); needs at least 2 values. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) {
    throw new DyncRuntimeError("RUN050", `std needs at least 2 values (it divides by n − 1), got ${values.length}`);
  }
  const m = mean(values);
  return Math.sqrt(sum(values.map((v) => (v - m) ** 2)) / (values.length - 1));
}

/** Median: the middle value, or the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  const sorted = sortedOrNull(values);
  if (!sorted) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The q-quantile with linear interpolation, numpy's default (`method="linear"`, Hyndman–Fan type 7):
 * with the values sorted as a[0..n−1], h = (n − 1)·q, the result is a[⌊h⌋] + (h − ⌊h⌋)·(a[⌊h⌋+1] − a[⌊h⌋]).
 */
export function quantile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new DyncRuntimeError("RUN040", `quantile level q must be in [0, 1], got ${q}`);
  const sorted = sortedOrNull(values);
  if (!sorted) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  if (lo === sorted.length - 1) return sorted[lo]!;
  return sorted[lo]! + (h - lo) * (sorted[lo + 1]! - sorted[lo]!);
}

/** Smallest value (NaN if any is NaN). */
export function min(values: readonly number[]): number {
  let m = Infinity;
  for (const v of values) m = Math.min(m, v);
  return m;
}

/** Largest value (NaN if any is NaN). */
export function max(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) m = Math.max(m, v);
  return m;
}

/** Median of the values that are not NaN; NaN when none is. */
export function nanmedian(values: readonly number[]): number {
  return ifAny(withoutNaN(values), median);
}

/** Mean of the values that are not NaN; NaN when none is. */
export function nanmean(values: readonly number[]): number {
  return ifAny(withoutNaN(values), mean);
}

/** Smallest value that is not NaN; NaN when none is. */
export function nanmin(values: readonly number[]): number {
  return ifAny(withoutNaN(values), min);
}

/** Largest value that is not NaN; NaN when none is. */
export function nanmax(values: readonly number[]): number {
  return ifAny(withoutNaN(values), max);
}

function withoutNaN(values: readonly number[]): number[] {
  return values.filter((v) => !Number.isNaN(v));
}

// An empty list has no median, mean or extremes (min of none would be +Infinity): NaN, as numpy gives.
function ifAny(values: readonly number[], reduce: (values: readonly number[]) => number): number {
  return values.length === 0 ? Number.NaN : reduce(values);
}

// Sorted copy, or null when a NaN makes order statistics undefined.
function sortedOrNull(values: readonly number[]): number[] | null {
  if (values.some(Number.isNaN)) return null;
  return [...values].sort((a, b) => a - b);
}
