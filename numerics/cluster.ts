/**
 * Single-linkage clustering of points in Rᵈ, float64 JS: the minimum spanning tree of the Euclidean
 * distances (Prim, O(n²) time and O(n) memory: a few thousand points at most, e.g. one per seed), cut at
 * every edge longer than `cut` × the median nearest-neighbour distance. The cut is scale-free (a point set
 * scaled by any factor gets the same labels), so it suits coordinates in arbitrary units such as the
 * principal components of parameter vectors. A single Gaussian blob's nearest-neighbour distances
 * vary by a factor of a few, so its tree has few edges much longer than their median; separated
 * clusters are joined by edges many medians long. Clusters smaller than `minSize` still get labels but
 * are counted as outliers, not clusters (a Gaussian tail point can sit several medians from its nearest
 * neighbour).
 */

/** The result: a label per point (0 = the largest cluster, then by size, ties by first point) and sizes by label. */
export interface Clustering {
  readonly labels: number[];
  readonly sizes: number[];
  /** Clusters of at least `minSize` points (they have the lowest labels). */
  readonly count: number;
  /** The distance above which tree edges were cut (`cut` × the median nearest-neighbour distance). */
  readonly threshold: number;
}

export interface ClusterOptions {
  readonly cut: number;
  readonly minSize: number;
}

function distance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return Math.sqrt(s);
}

/** Edges of the minimum spanning tree (Prim) as [i, j, length], and each point's nearest-neighbour distance. */
export function minimumSpanningTree(points: readonly (readonly number[])[]): { edges: [number, number, number][]; nearest: number[] } {
  const n = points.length;
  const inTree = new Array<boolean>(n).fill(false);
  const best = new Array<number>(n).fill(Infinity);
  const from = new Array<number>(n).fill(-1);
  const nearest = new Array<number>(n).fill(Infinity);
  const edges: [number, number, number][] = [];
  let at = 0;
  for (let added = 0; added < n; added++) {
    inTree[at] = true;
    if (from[at]! >= 0) edges.push([from[at]!, at, best[at]!]);
    let next = -1;
    for (let j = 0; j < n; j++) {
      if (j === at) continue;
      const d = distance(points[at]!, points[j]!);
      if (d < nearest[at]!) nearest[at] = d;
      if (inTree[j]) continue;
      if (d < best[j]!) [best[j], from[j]] = [d, at];
      if (next < 0 || best[j]! < best[next]!) next = j;
    }
    if (next < 0) break;
    at = next;
  }
  return { edges, nearest };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Single-linkage clusters of `points` (see the module doc). Fewer than 2 points: each its own cluster. */
export function singleLinkage(points: readonly (readonly number[])[], o: ClusterOptions): Clustering {
  const n = points.length;
  const { edges, nearest } = minimumSpanningTree(points);
  const threshold = n < 2 ? Infinity : o.cut * median(nearest);
  // Union–find over the kept edges; ≤ keeps identical points (distance 0 = threshold 0) together.
  const parent = Array.from({ length: n }, (_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  for (const [i, j, d] of edges) if (d <= threshold) parent[root(i)] = root(j);
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) members.set(root(i), [...(members.get(root(i)) ?? []), i]);
  const clusters = [...members.values()].sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const labels = new Array<number>(n).fill(0);
  clusters.forEach((c, label) => c.forEach((i) => (labels[i] = label)));
  const sizes = clusters.map((c) => c.length);
  return { labels, sizes, count: sizes.filter((s) => s >= o.minSize).length, threshold };
}
