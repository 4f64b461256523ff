/**
 * Pair samplers against their definitions: every pair inside its patch / window / range / corner regions,
 * classes as asked, knn and farthest equal to a brute-force float64 sort, and the draws deterministic per
 * seed and probe name, different across seeds.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { Rng } from "../../runtime/rng.js";
import { drawPairs, pairRows, pairStream } from "../../stdlib/sampling/draw.js";
import { lattice, sampleRows } from "../../stdlib/sampling/rows.js";
import { nearestRows } from "../../stdlib/sampling/nearest.js";
import { distinctRows, quadrantBounds, samplerFor, type PairIndices } from "../../stdlib/sampling/samplers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** An H × W grid of (r/H, c/W) in shuffled row order; `cell[row]` is its (r, c). */
function shuffledGrid(H: number, W: number, seed = 1): { set: Dataset; cell: [number, number][] } {
  const perm = new Rng(seed).permutation(H * W);
  const x = new Float32Array(H * W * 2);
  const cell: [number, number][] = [];
  perm.forEach((p, row) => {
    const [r, c] = [Math.floor(p / W), p % W];
    x[row * 2] = r / H;
    x[row * 2 + 1] = c / W;
    cell[row] = [r, c];
  });
  return { set: { name: "img", n: H * W, xShape: [2], x, yDim: 1, y: new Float32Array(H * W) }, cell };
}

/** n random points in d dimensions with `classes` one-hot labels (no `labels` field: read off the targets). */
function cloud(n: number, d: number, classes: number, seed = 3, integer = false): Dataset {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * d }, () => (integer ? rng.int(4) : rng.normal()));
  const y = new Float32Array(n * classes);
  for (let r = 0; r < n; r++) y[r * classes + rng.int(classes)] = 1;
  return { name: "cloud", n, xShape: [d], x, yDim: classes, y };
}

function draw(spec: Record<string, unknown>, set: Dataset, seed = 0): PairIndices {
  return samplerFor(spec).draw(spec, sampleRows(set), pairStream(seed, "probe"));
}

const pairsOf = (p: PairIndices) => Array.from(p.i, (i, k) => [i, p.j[k]!] as const);

describe("grid samplers", () => {
  const H = 20;
  const W = 30;
  const { set, cell } = shuffledGrid(H, W);

  it("reads the lattice off shuffled rows", () => {
    const { H: h, W: w, rowAt } = lattice(sampleRows(set), "test");
    expect([h, w]).toEqual([H, W]);
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) expect(cell[rowAt[r * W + c]!]).toEqual([r, c]);
  });

  it("patches: every pair of distinct cells inside its patch, `per` pairs a patch", () => {
    const [size, count, per] = [7, 12, 40];
    const p = draw({ kind: "patches", size, count, per }, set);
    expect(p.i.length).toBe(count * per);
    for (let g = 0; g < count; g++) {
      const cells = pairsOf({ i: p.i.subarray(g * per, (g + 1) * per), j: p.j.subarray(g * per, (g + 1) * per) }).flatMap(([i, j]) => {
        expect(i).not.toBe(j);
        return [cell[i]!, cell[j]!];
      });
      const rows = cells.map(([r]) => r);
      const cols = cells.map(([, c]) => c);
      expect(Math.max(...rows) - Math.min(...rows)).toBeLessThan(size);
      expect(Math.max(...cols) - Math.min(...cols)).toBeLessThan(size);
    }
  });

  it("opposite_quadrants: the paper's regions at 512, the same fractions elsewhere", () => {
    expect(quadrantBounds(512)).toEqual({ lowEnd: 225, highStart: 275, highEnd: 511 });
    const [bh, bw] = [quadrantBounds(H), quadrantBounds(W)];
    expect(bh).toEqual({ lowEnd: 8, highStart: 11, highEnd: 19 }); // 225·20/512 = 8.79, 275·20/512 = 10.7, 511·20/512 = 19.96
    const p = draw({ kind: "opposite_quadrants", n: 2000 }, set);
    const seen = { lo: new Set<string>(), hi: new Set<string>() };
    for (const [i, j] of pairsOf(p)) {
      const [[ri, ci], [rj, cj]] = [cell[i]!, cell[j]!];
      expect(ri < bh.lowEnd && ci < bw.lowEnd).toBe(true);
      expect(rj >= bh.highStart && rj < bh.highEnd && cj >= bw.highStart && cj < bw.highEnd).toBe(true);
      seen.lo.add(`${ri},${ci}`);
      seen.hi.add(`${rj},${cj}`);
    }
    // Both regions are covered whole (2000 draws over 8·13 and 8·12 cells).
    expect(seen.lo.size).toBe(bh.lowEnd * bw.lowEnd);
    expect(seen.hi.size).toBe((bh.highEnd - bh.highStart) * (bw.highEnd - bw.highStart));
  });

  it("refuses data whose rows are no 2-D grid, naming the data set", () => {
    const bad = cloud(50, 2, 2);
    expect(() => draw({ kind: "patches", size: 3, count: 1, per: 1 }, bad)).toThrow(/data set "cloud" has 50 rows over/);
    const oneD = { ...cloud(50, 1, 2), name: "line" };
    expect(() => draw({ kind: "opposite_quadrants", n: 5 }, oneD)).toThrow(DyncRuntimeError);
    expect(() => draw({ kind: "opposite_quadrants", n: 5 }, oneD)).toThrow(/data set "line" has 1 input value per row/);
    expect(() => draw({ kind: "patches", size: 25, count: 1, per: 1 }, set)).toThrow(/`size` is 25, but data set "img" allows at most 20/);
  });
});

describe("1-D and row samplers", () => {
  const n = 300;
  const perm = new Rng(5).permutation(n);
  const line: Dataset = { name: "signal", n, xShape: [1], x: Float32Array.from(perm, (p) => p / n), yDim: 1, y: new Float32Array(n) };
  const rank = Array.from(perm); // row r holds the sample of rank perm[r]

  it("windows: each window's pairs are distinct samples within `size` consecutive inputs", () => {
    const [size, count, per] = [50, 25, 100];
    const p = draw({ kind: "windows", size, count, per }, line);
    expect(p.i.length).toBe(count * per);
    for (let w = 0; w < count; w++) {
      const ranks = pairsOf({ i: p.i.subarray(w * per, (w + 1) * per), j: p.j.subarray(w * per, (w + 1) * per) }).flatMap(([i, j]) => {
        expect(i).not.toBe(j);
        return [rank[i]!, rank[j]!];
      });
      expect(Math.max(...ranks) - Math.min(...ranks)).toBeLessThan(size);
    }
  });

  it("between: i in rows [a), j in rows [b)", () => {
    const p = draw({ kind: "between", a: [0, 80], b: [120, 299], n: 3000 }, line);
    for (const [i, j] of pairsOf(p)) {
      expect(i >= 0 && i < 80 && j >= 120 && j < 299).toBe(true);
    }
    expect(new Set(p.i).size).toBe(80); // every row of the range drawn
    expect(Math.max(...p.j)).toBe(298);
    expect(() => draw({ kind: "between", a: [0, 80], b: [120, 301], n: 3 }, line)).toThrow(/the end of `b` is 301, but data set "signal" allows at most 300/);
    expect(() => draw({ kind: "between", a: [0.5, 80], b: [120, 200], n: 3 }, line)).toThrow(/whole row indices/);
  });

  it("random_pairs: distinct rows, all in range", () => {
    const p = draw({ kind: "random_pairs", n: 5000 }, line);
    for (const [i, j] of pairsOf(p)) expect(i !== j && i >= 0 && j >= 0 && i < n && j < n).toBe(true);
  });
});

/** Brute force: every other eligible row sorted by float64 distance, then row; the first k. */
function bruteForce(set: Dataset, anchor: number, k: number, farthest: boolean, eligible: (r: number) => boolean = () => true): number[] {
  const d = set.xShape[0]!;
  const dist = (r: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (Number(set.x[anchor * d + c]) - Number(set.x[r * d + c])) ** 2;
    return s;
  };
  const rows = [...Array(set.n).keys()].filter((r) => r !== anchor && eligible(r)).map((r) => ({ r, d: dist(r) }));
  rows.sort((a, b) => (farthest ? b.d - a.d : a.d - b.d) || a.r - b.r);
  return rows.slice(0, k).map((x) => x.r);
}

function labelOf(set: Dataset, r: number): number {
  return Array.from(set.y.subarray(r * set.yDim, (r + 1) * set.yDim)).indexOf(1);
}

describe("neighbour samplers", () => {
  const k = 6;
  for (const [name, set] of [
    ["continuous inputs", cloud(233, 5, 3)],
    ["integer inputs (many ties)", cloud(233, 3, 3, 4, true)],
  ] as const) {
    it(`knn and farthest equal a brute-force float64 sort: ${name}`, () => {
      const anchors = 70; // more than one block of anchors
      for (const [kind, far] of [["knn", false], ["farthest", true]] as const) {
        const p = draw(far ? { kind, k, anchors } : { kind, k, anchors, class: "any" }, set);
        expect(p.i.length).toBe(anchors * k);
        expect(new Set(p.i).size).toBe(anchors);
        for (let a = 0; a < anchors; a++) {
          const anchor = p.i[a * k]!;
          expect(Array.from(p.i.subarray(a * k, (a + 1) * k))).toEqual(Array(k).fill(anchor));
          expect(Array.from(p.j.subarray(a * k, (a + 1) * k))).toEqual(bruteForce(set, anchor, k, far));
        }
      }
    });

    it(`knn with class: same / different: ${name}`, () => {
      for (const cls of ["same", "different"] as const) {
        const p = draw({ kind: "knn", k, anchors: 40, class: cls }, set);
        for (let a = 0; a < 40; a++) {
          const anchor = p.i[a * k]!;
          const want = bruteForce(set, anchor, k, false, (r) => (labelOf(set, r) === labelOf(set, anchor)) === (cls === "same"));
          expect(Array.from(p.j.subarray(a * k, (a + 1) * k))).toEqual(want);
        }
      }
    });
  }

  it("the float32-screened pass (large data) gives exactly the brute-force partners, ties and classes included", () => {
    for (const set of [cloud(3000, 40, 3, 8), cloud(2500, 6, 4, 9, true), cloud(500, 784, 2, 10)]) {
      const rows = sampleRows(set);
      const anchors = distinctRows(new Rng(2), set.n, 150); // two screening blocks
      const label = (r: number) => labelOf(set, r);
      const same = (a: number, r: number) => label(a) === label(r);
      for (const [order, eligible] of [["nearest", undefined], ["farthest", undefined], ["nearest", same]] as const) {
        const tensorsBefore = tf.memory().numTensors;
        const got = nearestRows(rows, anchors, 7, order, eligible, { screen: true });
        expect(tf.memory().numTensors).toBe(tensorsBefore);
        anchors.forEach((a, i) => expect(Array.from(got[i]!)).toEqual(bruteForce(set, a, 7, order === "farthest", eligible && ((r) => eligible(a, r)))));
      }
    }
  });

  it("class-aware knn needs labels", () => {
    const regression = { ...cloud(30, 2, 1), name: "reg", yDim: 1, y: new Float32Array(30) };
    expect(() => draw({ kind: "knn", k: 2, anchors: 3, class: "same" }, regression)).toThrow(/data set "reg" has no classes/);
    expect(draw({ kind: "knn", k: 2, anchors: 3, class: "any" }, regression).i.length).toBe(6);
  });
});

describe("draws per run", () => {
  const { set } = shuffledGrid(16, 16);
  const data = { hostSet: () => set };
  const spec = { kind: "patches", size: 4, count: 5, per: 10 };
  const run = { name: "local", seeds: [0, 1, 7] };

  it("are deterministic per seed and probe name, different across seeds and names", () => {
    const a = drawPairs(spec, data, run);
    const b = drawPairs(spec, data, run);
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(a[1]);
    expect(a[1]).not.toEqual(a[2]);
    // Seed value 7 at seed index 0 draws what it drew at index 2.
    expect(drawPairs(spec, data, { name: "local", seeds: [7] })[0]).toEqual(a[2]);
    expect(drawPairs(spec, data, { name: "global", seeds: [0] })[0]).not.toEqual(a[0]);
  });

  it("renumbers pairs into the sorted rows they touch", () => {
    const pairs = drawPairs(spec, data, run);
    const { rows, local } = pairRows(pairs);
    expect(Array.from(rows)).toEqual([...new Set(pairs.flatMap((p) => [...p.i, ...p.j]))].sort((x, y) => x - y));
    pairs.forEach((p, s) => {
      expect(Array.from(local[s]!.i, (r) => rows[r])).toEqual(Array.from(p.i));
      expect(Array.from(local[s]!.j, (r) => rows[r])).toEqual(Array.from(p.j));
    });
  });

  it("refuses a spec that breaks its schema", () => {
    expect(() => drawPairs({ kind: "patches", size: 1 }, data, run)).toThrow(/`size` of `patches` must be a whole number ≥ 2/);
    expect(() => drawPairs({ kind: "pathces" }, data, run)).toThrow(/unknown pair sampler "pathces"/);
  });
});

describe("share_below", () => {
  it("counts values strictly below the threshold among the numbers, per group over the given dimension", async () => {
    const { shareBelow } = await import("../../stdlib/sampling/analyses.js");
    expect(shareBelow([-0.5, 0, 0.2, -1, NaN], 0)).toBe(2 / 4);
    expect(shareBelow([0.3, 0.9], 0.5)).toBe(1 / 2);
    expect(shareBelow([NaN], 0)).toBeNaN();
    const { analysisImplementations } = await import("../../stdlib/implementations.js");
    const rows = [-0.2, 0.4, -0.9, 0.1, 0.3, 0.5].map((value, k) => ({ key: { seeds: k < 3 ? 0 : 1, pair: k % 3 }, value }));
    const out = analysisImplementations.get("share_below")!.call([{ dims: ["seeds", "pair"], rows }], {}, ["pair"]);
    expect(out).toEqual({ dims: ["seeds"], rows: [{ key: { seeds: 0 }, value: 2 / 3 }, { key: { seeds: 1 }, value: 0 }] });
  });
});

describe("count_above", () => {
  it("counts values strictly above the threshold (NaN never counts), per group over the given dimension, and asks for the dimension", async () => {
    const { countAbove } = await import("../../stdlib/sampling/analyses.js");
    expect(countAbove([0.1, 0.25, 0.9, NaN, 0.3], 0.25)).toBe(2);
    expect(countAbove([NaN], 0)).toBe(0);
    const { analysisImplementations } = await import("../../stdlib/implementations.js");
    // per-class accuracy of 4 classes (chance 0.25) at two steps: one class learned, then two
    const acc = [[0.0, 0.97, 0.02, 0.01], [0.6, 0.95, 0.25, NaN]];
    const rows = acc.flatMap((perClass, t) => perClass.map((value, c) => ({ key: { steps: t * 100, class: c }, value })));
    const out = analysisImplementations.get("count_above")!.call([{ dims: ["steps", "class"], rows }], { threshold: 0.25 }, ["class"]);
    expect(out).toEqual({ dims: ["steps"], rows: [{ key: { steps: 0 }, value: 1 }, { key: { steps: 100 }, value: 2 }] });
    expect(() => analysisImplementations.get("count_above")!.call([{ dims: ["steps", "class"], rows }], { threshold: 0.25 }, [])).toThrow(/count_above\(…\) over class/);
  });
});
