/**
 * Activation patterns, region ids, dead units and Hamming distances (stdlib/regions/patterns.ts) against a
 * float64 computation by plain loops over the networks' weights (./reference.ts), and hand-set bits.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { mlp } from "../../runtime/nn/index.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { Rng } from "../../runtime/rng.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { EvalData } from "../../stdlib/probes/eval-data.js";
import { activationPatterns, deadUnits, hammingDistances, type PatternSet, regionIds } from "../../stdlib/regions/patterns.js";
import { denseWeights, hiddenPre, nerf, referenceDead, referencePatterns, referenceRegions, smallestMagnitude, unpackRow } from "./reference.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

/** n points in [0, 1]², from a fixed stream. */
function plane(n: number, name = "plane"): Dataset {
  const rng = new Rng(11);
  const x = Float32Array.from({ length: 2 * n }, () => rng.uniform());
  return { name, n, xShape: [2], x, yDim: 1, y: new Float32Array(n) };
}

const dense = (name: string, width: number, act: "relu" | null): LayerSpec => ({ name, kind: "dense", width, act, bias: true });

/** 2 → fourier(L: 2) (8 dims) → 7 → 9 → 1, ReLU: two hidden layers behind an encoding. */
function encodedNet(seeds: number): Model {
  const layers: LayerSpec[] = [{ name: "encode", kind: "encoding", encoding: { kind: "fourier", L: 2 } }, dense("a", 7, "relu"), dense("b", 9, "relu"), dense("out", 1, null)];
  return sequential({ inShape: [2], layers, seeds });
}

/** The float64 pre-activations of seed s at every row of `data` (encoded by `encode`). */
function referencePre(model: Model, s: number, data: Dataset, encode: (x: number[]) => number[] = (x) => x): number[][][] {
  const weights = denseWeights(model, s);
  return Array.from({ length: data.n }, (_, r) => hiddenPre(weights, encode([data.x[2 * r]!, data.x[2 * r + 1]!])));
}

function unpack(p: PatternSet): number[][] {
  return Array.from({ length: p.rows }, (_, r) => unpackRow(p.bits, p.words, p.units, r));
}

function withData<T>(data: Dataset, seeds: number, f: (d: EvalData) => T, chunkSeedRows?: number): T {
  const d = new EvalData([data], seeds, chunkSeedRows);
  try {
    return f(d);
  } finally {
    d.dispose();
  }
}

describe("activation patterns against a float64 reference", () => {
  it("an mlp 2 → 5 → 37 → 1 (42 units: a word and 10 bits): patterns, region ids, dead units", () => {
    const net = mlp({ inDim: 2, hidden: [5, 37], outDim: 1, act: "relu", seeds: [3] });
    const data = plane(60);
    try {
      const [p] = withData(data, 1, (d) => activationPatterns(net, d, null, null));
      const pre = referencePre(net, 0, data);
      expect(smallestMagnitude(pre)).toBeGreaterThan(1e-5); // float32 signs are the float64 ones
      const ref = referencePatterns(pre, null);
      expect(p!.units).toBe(42);
      expect(p!.words).toBe(2);
      expect(p!.layers).toEqual([{ name: "hidden0", offset: 0, units: 5 }, { name: "hidden1", offset: 5, units: 37 }]);
      expect(unpack(p!)).toEqual(ref);
      // padding bits of the last word stay 0
      for (let r = 0; r < p!.rows; r++) expect(p!.bits[r * 2 + 1]! >>> 10).toBe(0);
      const regions = regionIds(p!);
      const refRegions = referenceRegions(ref);
      expect(regions.count).toBe(refRegions.count);
      expect(Array.from(regions.ids)).toEqual(refRegions.ids);
      expect(deadUnits(p!)).toBe(referenceDead(ref));
      expect(deadUnits(p!, 0)).toBe(referenceDead(referencePatterns(pre, [0])));
      expect(deadUnits(p!, 1)).toBe(referenceDead(referencePatterns(pre, [1])));
    } finally {
      net.dispose();
    }
  });

  it("a layer list with a fourier encoding and two hidden layers, two seeds, a dead unit forced by its bias", () => {
    const net = encodedNet(2);
    // Unit 3 of layer b of seed 1 gets bias −100: never on.
    const bias = net.layers.find((l) => l.name === "b")!.bias!.variable;
    const values = Float32Array.from(bias.dataSync() as Float32Array);
    values[9 + 3] = -100;
    bias.assign(tf.tensor(values, bias.shape));
    const data = plane(80);
    try {
      const sets = withData(data, 2, (d) => activationPatterns(net, d, null, null));
      expect(sets).toHaveLength(2);
      sets.forEach((p, s) => {
        const pre = referencePre(net, s, data, (x) => nerf(x, 2));
        expect(smallestMagnitude(pre)).toBeGreaterThan(1e-5);
        const ref = referencePatterns(pre, null);
        expect(p.units).toBe(16);
        expect(p.layers.map((l) => l.name)).toEqual(["a", "b"]); // the encoding is not hidden
        expect(unpack(p)).toEqual(ref);
        expect(regionIds(p).count).toBe(referenceRegions(ref).count);
        expect(Array.from(regionIds(p).ids)).toEqual(referenceRegions(ref).ids);
        expect(deadUnits(p)).toBe(referenceDead(ref));
      });
      expect(deadUnits(sets[1]!, 1)).toBeGreaterThanOrEqual(1);
      // a subset of layers: layer b alone
      const [b] = withData(data, 2, (d) => activationPatterns(net, d, [1], null));
      expect(b!.layers).toEqual([{ name: "b", offset: 0, units: 9 }]);
      expect(unpack(b!)).toEqual(referencePatterns(referencePre(net, 0, data, (x) => nerf(x, 2)), [1]));
    } finally {
      net.dispose();
    }
  });

  it("a smooth activation (tanh) gives the sign pattern of its pre-activations, the hyperplane sides", () => {
    const net = mlp({ inDim: 2, hidden: [33], outDim: 1, act: "tanh", seeds: [1] });
    const data = plane(40);
    try {
      const [p] = withData(data, 1, (d) => activationPatterns(net, d, null, null));
      const pre = referencePre(net, 0, data); // one hidden layer: the activation plays no part in z
      expect(smallestMagnitude(pre)).toBeGreaterThan(1e-5);
      expect(unpack(p!)).toEqual(referencePatterns(pre, null));
    } finally {
      net.dispose();
    }
  });

  it("one hidden unit packs into one word per row", () => {
    const net = mlp({ inDim: 2, hidden: [1], outDim: 1, act: "relu", seeds: [5] });
    const data = plane(20);
    try {
      const [p] = withData(data, 1, (d) => activationPatterns(net, d, null, null));
      expect([p!.units, p!.words, p!.bits.length]).toEqual([1, 1, 20]);
      const ref = referencePatterns(referencePre(net, 0, data), null);
      expect(Array.from(p!.bits)).toEqual(ref.map((r) => r[0]));
      expect(regionIds(p!).count).toBe(new Set(ref.map((r) => r[0])).size);
    } finally {
      net.dispose();
    }
  });

  it("does not depend on the chunking, and a row subset (unsorted, repeated) gives those rows' patterns", () => {
    const net = encodedNet(2);
    const data = plane(50);
    try {
      const whole = withData(data, 2, (d) => activationPatterns(net, d, null, null));
      const chunked = withData(data, 2, (d) => activationPatterns(net, d, null, null), 6); // chunks of 3 rows
      expect(chunked.map((p) => Array.from(p.bits))).toEqual(whole.map((p) => Array.from(p.bits)));
      const rows = Int32Array.from([49, 3, 3, 17, 0, 48, 17]);
      const subset = withData(data, 2, (d) => activationPatterns(net, d, null, rows), 6);
      subset.forEach((p, s) => {
        expect(p.rows).toBe(rows.length);
        expect(unpack(p)).toEqual(Array.from(rows, (r) => unpackRow(whole[s]!.bits, whole[s]!.words, whole[s]!.units, r)));
      });
    } finally {
      net.dispose();
    }
  });

  it("reads each seed's own data set when the seeds have their own samples", () => {
    const net = mlp({ inDim: 2, hidden: [6, 6], outDim: 1, act: "relu", seeds: [0, 1] });
    const own = [plane(30, "own"), { ...plane(30, "own"), x: plane(30).x.map((v) => 1 - v) }];
    const d = new EvalData(own, 2, 8);
    try {
      const sets = activationPatterns(net, d, null, Int32Array.from([29, 0, 7]));
      sets.forEach((p, s) => {
        const ref = referencePatterns(referencePre(net, s, own[s]!), null);
        expect(unpack(p)).toEqual([ref[29]!, ref[0]!, ref[7]!]);
      });
    } finally {
      d.dispose();
      net.dispose();
    }
  });

  it("rejects bad layers and rows with a runtime error, and leaks no tensors", () => {
    const net = encodedNet(1);
    const data = plane(10);
    try {
      withData(data, 1, (d) => {
        activationPatterns(net, d, null, null);
        const before = tf.memory().numTensors;
        activationPatterns(net, d, [0], Int32Array.from([1, 2]));
        expect(tf.memory().numTensors).toBe(before);
        expect(() => activationPatterns(net, d, [2], null)).toThrow(/hidden-layer index in 0\.\.1/);
        expect(() => activationPatterns(net, d, [0, 0], null)).toThrow(/twice/);
        expect(() => activationPatterns(net, d, null, Int32Array.from([10]))).toThrow(/outside the data set's 10 rows/);
      });
    } finally {
      net.dispose();
    }
  });

  it("a conv layer's units are its feature map's positions × channels", () => {
    const layers: LayerSpec[] = [
      { name: "conv0", kind: "conv", filters: 3, kernel: 3, stride: 1, padding: "valid", act: "relu", bias: true },
      { name: "flat", kind: "flatten" },
      dense("out", 1, null),
    ];
    const net = sequential({ inShape: [5, 5, 1], layers, seeds: 1 });
    const rng = new Rng(2);
    const images: Dataset = { name: "img", n: 4, xShape: [5, 5, 1], x: Float32Array.from({ length: 100 }, () => rng.normal()), yDim: 1, y: new Float32Array(4) };
    try {
      const [p] = withData(images, 1, (d) => activationPatterns(net, d, null, null));
      expect(p!.units).toBe(3 * 3 * 3);
      // unit (i, j, c) = relu input of filter c at output position (i, j), in HWC order, by hand
      const w = net.layers[0]!.weight!.variable.dataSync(); // [3, 3, 1, 3]
      const b = net.layers[0]!.bias!.variable.dataSync();
      for (let r = 0; r < 4; r++) {
        const expected: number[] = [];
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let c = 0; c < 3; c++) {
          let z = b[c]!;
          for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) z += images.x[r * 25 + (i + di) * 5 + (j + dj)]! * w[(di * 3 + dj) * 3 + c]!;
          expected.push(z > 0 ? 1 : 0);
        }
        expect(unpackRow(p!.bits, p!.words, p!.units, r)).toEqual(expected);
      }
    } finally {
      net.dispose();
    }
  });
});

describe("Hamming distances against hand counts", () => {
  // 3 rows of 70 units (3 words); layers [0, 30), [30, 70) straddle word boundaries.
  const units = 70;
  const rowsBits = [
    Array.from({ length: units }, () => 0),
    Array.from({ length: units }, (_, u) => (u % 3 === 0 ? 1 : 0)),
    Array.from({ length: units }, (_, u) => (u >= 25 && u < 66 ? 1 : 0)),
  ];
  const bits = new Uint32Array(9);
  rowsBits.forEach((row, r) => row.forEach((v, u) => { if (v) bits[r * 3 + (u >>> 5)]! |= 1 << (u & 31); }));
  const p: PatternSet = { rows: 3, units, words: 3, bits, layers: [{ name: "a", offset: 0, units: 30 }, { name: "b", offset: 30, units: 40 }] };
  const i = Int32Array.from([0, 0, 1, 2]);
  const j = Int32Array.from([1, 2, 2, 2]);

  it("counts differing units over all units and per layer", () => {
    // row 1 has units 0, 3, …, 69: 24 ones (10 below 30, 14 in [30, 70)); row 2 has units 25..65: 41 ones (5 below 30, 36 above).
    // rows 1 and 2 share multiples of 3 in [25, 66): 27..63 → 13 (27 in layer a; 12 in layer b).
    expect(Array.from(hammingDistances(p, i, j))).toEqual([24, 41, 24 + 41 - 2 * 13, 0]);
    expect(Array.from(hammingDistances(p, i, j, 0))).toEqual([10, 5, 10 + 5 - 2 * 1, 0]);
    expect(Array.from(hammingDistances(p, i, j, 1))).toEqual([14, 36, 14 + 36 - 2 * 12, 0]);
  });

  it("rejects pairs outside the rows and unknown layers", () => {
    expect(() => hammingDistances(p, Int32Array.from([3]), Int32Array.from([0]))).toThrow(/outside the 3 pattern rows/);
    expect(() => hammingDistances(p, i, j, 2)).toThrow(/layer 2/);
    // units on somewhere: multiples of 3 (24) and 25..65 (41), 13 in both → 52; 70 − 52 never on
    expect(deadUnits(p)).toBe(18);
    expect(deadUnits(p, 0)).toBe(30 - (10 + 5 - 1));
  });
});
