/**
 * Deterministic thinning of large data, so a figure of a 10,000-point scatter or a long training curve stays
 * small and quick to draw; the figure's subtitle says when it happened.
 */
import { Rng } from "../runtime/rng.js";

/** Scatter plots draw at most this many points. */
export const SCATTER_CAP = 5000;
/** A line series draws at most this many points. */
export const LINE_CAP = 2000;

/**
 * A uniform random subset of `cap` items (or all of them), in their original order. The generator has a
 * fixed seed, so the same data always give the same subset; being random rather than every k-th item, it
 * does not alias with the order rows were recorded in (sweep point by sweep point).
 */
export function thinUniform<T>(items: readonly T[], cap: number, label = "scatter"): T[] {
  if (items.length <= cap) return [...items];
  const rng = new Rng(0).fork(`thin:${label}`);
  const index = Array.from(items, (_, i) => i);
  // Partial Fisher–Yates: the first `cap` slots become a uniform sample without replacement.
  for (let i = 0; i < cap; i++) {
    const j = i + Math.floor(rng.uniform() * (index.length - i));
    [index[i], index[j]] = [index[j]!, index[i]!];
  }
  return index
    .slice(0, cap)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/**
 * At most `cap` points of a series sorted by x: the series is cut into ⌊cap/2⌋ buckets of consecutive points
 * and each keeps its lowest and highest point (in x order). Unlike keeping every k-th point, spikes survive,
 * which matters for loss spikes and sharpness curves.
 */
export function thinMinMax<T>(points: readonly T[], cap: number, valueOf: (p: T) => number): T[] {
  if (points.length <= cap) return [...points];
  const buckets = Math.floor(cap / 2);
  const out: T[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * points.length) / buckets);
    const end = Math.floor(((b + 1) * points.length) / buckets);
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (valueOf(points[i]!) < valueOf(points[lo]!)) lo = i;
      if (valueOf(points[i]!) > valueOf(points[hi]!)) hi = i;
    }
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) out.push(points[i]!);
  }
  return out;
}
