/**
 * `clusters` (numerics/cluster.ts, stdlib/lottery/analyses.ts) against independent truths: a small case by
 * hand, planted well-separated Gaussian blobs (labels agree with the planted ones up to a permutation), a
 * single Gaussian blob (one cluster), and the components of the threshold graph found by breadth-first
 * search over all pairs (single linkage at a cut is exactly those components), not through a spanning tree.
 */
import { describe, expect, it } from "vitest";
import { median, singleLinkage } from "../../numerics/cluster.js";
import { Rng } from "../../runtime/rng.js";
import { callFunction } from "../../runtime/analysis/functions.js";
import type { Table } from "../../runtime/analysis/index.js";
import { analysisFunctions } from "../../stdlib/implementations.js";
import { expectRuntimeError } from "../runtime/expect-runtime-error.js";

const defaults = { cut: 5, minSize: 3 };

/** Points drawn around `centers` with standard deviation `sd`, `per` each, and their planted labels. */
function blobs(centers: readonly (readonly number[])[], per: number, sd: number, seed: number): { points: number[][]; planted: number[] } {
  const rng = new Rng(seed);
  const points: number[][] = [];
  const planted: number[] = [];
  centers.forEach((c, k) => {
    for (let i = 0; i < per; i++) {
      points.push(c.map((x) => x + sd * rng.normal()));
      planted.push(k);
    }
  });
  return { points, planted };
}

/** Whether two labelings are the same partition: each label of one maps to exactly one of the other, both ways. */
function samePartition(a: readonly number[], b: readonly number[]): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  return a.every((x, i) => {
    const y = b[i]!;
    if ((ab.get(x) ?? y) !== y || (ba.get(y) ?? x) !== x) return false;
    ab.set(x, y);
    ba.set(y, x);
    return true;
  });
}

/** Reference: connected components of the graph joining every pair at distance ≤ t (breadth-first search). */
function thresholdComponents(points: readonly number[][], t: number): number[] {
  const label = new Array<number>(points.length).fill(-1);
  let next = 0;
  for (let s = 0; s < points.length; s++) {
    if (label[s]! >= 0) continue;
    const queue = [s];
    label[s] = next;
    while (queue.length) {
      const i = queue.pop()!;
      points.forEach((p, j) => {
        if (label[j]! < 0 && Math.hypot(...p.map((v, k) => v - points[i]![k]!)) <= t) {
          label[j] = next;
          queue.push(j);
        }
      });
    }
    next++;
  }
  return label;
}

describe("singleLinkage", () => {
  it("clusters 0, 1, 2, 10, 11, 30 on a line as computed by hand", () => {
    // Nearest-neighbour distances 1, 1, 1, 1, 1, 19: median 1, so cut 5 drops the tree edges 8 and 19.
    const points = [0, 1, 2, 10, 11, 30].map((x) => [x, 0]);
    const c = singleLinkage(points, { cut: 5, minSize: 2 });
    expect(c.threshold).toBe(5);
    expect(c.labels).toEqual([0, 0, 0, 1, 1, 2]);
    expect(c.sizes).toEqual([3, 2, 1]);
    expect(c.count).toBe(2);
    expect(singleLinkage(points, { cut: 5, minSize: 3 }).count).toBe(1);
    // cut 10 keeps the edge 2–10 (length 8): {0, 1, 2, 10, 11} and {30}.
    expect(singleLinkage(points, { cut: 10, minSize: 1 }).sizes).toEqual([5, 1]);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });

  it("recovers five planted blobs in 2-D and 7-D, labels equal up to a permutation, at any scale", () => {
    for (const dim of [2, 7]) {
      const centers = Array.from({ length: 5 }, (_, k) => Array.from({ length: dim }, (_, d) => 20 * Math.cos(2 * Math.PI * k / 5 + d)));
      const { points, planted } = blobs(centers, 30, 0.5, dim);
      const c = singleLinkage(points, defaults);
      expect(c.count).toBe(5);
      // A Gaussian tail point may sit more than 5 median neighbour distances from its blob (one in 2-D
      // here): an outlier (its own label ≥ 5), never a member of another blob.
      const inClusters = c.labels.map((l, i) => [l, planted[i]!] as const).filter(([l]) => l < c.count);
      expect(inClusters.length).toBeGreaterThanOrEqual(149);
      expect(samePartition(inClusters.map(([l]) => l), inClusters.map(([, p]) => p))).toBe(true);
      const moved = singleLinkage(points.map((p) => p.map((v) => 1e-3 * v + 7)), defaults);
      expect(moved.labels).toEqual(c.labels);
    }
  });

  it("finds blobs of unequal sizes (40, 12, 4) and leaves a far single point as an outlier", () => {
    const big = blobs([[0, 0]], 40, 1, 11).points;
    const mid = blobs([[30, 0]], 12, 1, 12).points;
    const small = blobs([[0, 30]], 4, 0.2, 13).points; // a small cluster must be tight on the scale of the median neighbour distance
    const c = singleLinkage([...big, ...mid, ...small, [100, 100]], defaults);
    expect(c.sizes).toEqual([40, 12, 4, 1]);
    expect(c.count).toBe(3);
  });

  it("gives a single 2-D Gaussian blob one cluster (≥ 90 of 100 draws of 96 points, all 48-point draws but a few)", () => {
    const ones = (n: number) =>
      Array.from({ length: 100 }, (_, s) => singleLinkage(blobs([[0, 0]], n, 1, 1000 + s).points, defaults).count).filter((c) => c === 1).length;
    expect(ones(96)).toBeGreaterThanOrEqual(90);
    expect(ones(48)).toBeGreaterThanOrEqual(95);
  });

  it("equals the components of the threshold graph found by breadth-first search", () => {
    const { points } = blobs([[0, 0], [6, 0], [3, 5]], 20, 1.2, 5);
    for (const cut of [1, 2, 3, 5, 8]) {
      const c = singleLinkage(points, { cut, minSize: 1 });
      expect(samePartition(c.labels, thresholdComponents(points, c.threshold))).toBe(true);
    }
  });

  it("keeps identical points together and handles one point", () => {
    expect(singleLinkage([[1, 1], [1, 1], [1, 1]], defaults)).toMatchObject({ labels: [0, 0, 0], count: 1 });
    expect(singleLinkage([[2, 3]], { cut: 5, minSize: 1 })).toMatchObject({ labels: [0], sizes: [1], count: 1 });
  });
});

describe("clusters (analysis)", () => {
  /** Tables x and y keyed by width and seeds: width 2 holds two planted blobs (8 + 6 points), width 10 one. */
  function coordinates(): [Table, Table] {
    const twoSix = [...blobs([[0, 0]], 8, 1, 21).points, ...blobs([[50, 50]], 6, 1, 23).points];
    const one = blobs([[0, 0]], 14, 1, 24).points;
    const table = (k: number): Table => ({
      dims: ["width", "seeds"],
      rows: [...twoSix.map((p, s) => ({ key: { width: 2, seeds: s }, value: p[k]! })), ...one.map((p, s) => ({ key: { width: 10, seeds: s }, value: p[k]! }))],
    });
    return [table(0), table(1)];
  }

  it("counts clusters per width, and labels and sizes per seed", () => {
    const xy = coordinates();
    const count = callFunction(analysisFunctions, "clusters", xy, { stat: "count" }, ["seeds"]);
    expect(count.dims).toEqual(["width"]);
    expect(count.rows.map((r) => [r.key["width"], r.value])).toEqual([[2, 2], [10, 1]]);
    const label = callFunction(analysisFunctions, "clusters", xy, { stat: "label" }, ["seeds"]);
    expect(label.dims).toEqual(["width", "seeds"]);
    expect(label.rows.filter((r) => r.key["width"] === 2).map((r) => r.value)).toEqual([...Array(8).fill(0), ...Array(6).fill(1)]);
    const size = callFunction(analysisFunctions, "clusters", xy, { stat: "size" }, ["seeds"]);
    expect(size.rows.filter((r) => r.key["width"] === 2).map((r) => r.value)).toEqual([...Array(8).fill(8), ...Array(6).fill(6)]);
  });

  it("gives NaN for a group with a NaN coordinate and rejects a missing `over`", () => {
    const [x, y] = coordinates();
    const withNan: Table = { dims: x.dims, rows: x.rows.map((r, i) => (i === 0 ? { ...r, value: NaN } : r)) };
    const count = callFunction(analysisFunctions, "clusters", [withNan, y], { stat: "count" }, ["seeds"]);
    expect(count.rows.map((r) => r.value)).toEqual([NaN, 1]);
    expectRuntimeError(() => callFunction(analysisFunctions, "clusters", [x, y], {}, []), "RUN040");
  });
});
