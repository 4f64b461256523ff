/**
 * The region probes (`activation_regions`, `dead_units`, `region_ids`, `region_slice`) run as the runner
 * runs them, against the float64 reference of ./reference.ts: a network with a fourier encoding and two
 * hidden ReLU layers, two seeds.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { mlp } from "../../runtime/nn/index.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { Rng } from "../../runtime/rng.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { measureProbe, RunProbeEnv, type SeedFields, type SeedIndexed } from "../../stdlib/probes/index.js";
import { denseWeights, hiddenPre, nerf, referenceDead, referencePatterns, referenceRegions, smallestMagnitude } from "./reference.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

const rng = new Rng(5);
const n = 70;
const plane: Dataset = { name: "plane", n, xShape: [2], x: Float32Array.from({ length: 2 * n }, () => rng.uniform()), yDim: 1, y: new Float32Array(n) };
const dense = (name: string, width: number, act: "relu" | null): LayerSpec => ({ name, kind: "dense", width, act, bias: true });
const encodedLayers: LayerSpec[] = [{ name: "encode", kind: "encoding", encoding: { kind: "fourier", L: 2 } }, dense("a", 7, "relu"), dense("b", 9, "relu"), dense("out", 1, null)];

const context = (seedIndices: number[]) => ({ seeds: [0, 1], seedIndices, step: 0 }) as unknown as ProbeContext;

async function measure(model: Model, probe: string, args: Record<string, unknown>, seedIndices = [0, 1]) {
  const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["plane", [plane]]]), loss: "mse" });
  try {
    return await measureProbe(probe, { model: { ref: "net" }, data: { ref: "plane" }, ...args }, context(seedIndices), env);
  } finally {
    env.dispose();
  }
}

function referenceOver(model: Model, s: number, layers: number[] | null) {
  const w = denseWeights(model, s);
  const pre = Array.from({ length: n }, (_, r) => hiddenPre(w, nerf([plane.x[2 * r]!, plane.x[2 * r + 1]!], 2)));
  expect(smallestMagnitude(pre)).toBeGreaterThan(1e-5);
  return referencePatterns(pre, layers);
}

describe("region probes over a data set", () => {
  it("activation_regions, dead_units and region_ids equal the float64 reference, per seed and layer subset", async () => {
    const net = sequential({ inShape: [2], layers: encodedLayers, seeds: [4, 9] });
    try {
      for (const layers of [null, [0], [1]]) {
        const regions = (await measure(net, "activation_regions", { layers })) as SeedFields;
        const dead = (await measure(net, "dead_units", { layers })) as Float64Array;
        const ids = (await measure(net, "region_ids", { layers })) as SeedIndexed;
        for (const s of [0, 1]) {
          const ref = referenceOver(net, s, layers);
          expect(regions.fields["count"]![s]).toBe(referenceRegions(ref).count);
          expect(regions.fields["dead"]![s]).toBe(referenceDead(ref));
          expect(dead[s]).toBe(referenceDead(ref));
          expect(Array.from(ids.fields["region"]![s]!)).toEqual(referenceRegions(ref).ids);
          expect(Array.from(ids.fields["x1"]![s]!)).toEqual(Array.from({ length: n }, (_, r) => plane.x[2 * r + 1]!));
        }
      }
    } finally {
      net.dispose();
    }
  });

  it("leaves unmeasured seeds NaN / undefined", async () => {
    const net = mlp({ inDim: 2, hidden: [4], outDim: 1, seeds: [0, 1] });
    try {
      const regions = (await measure(net, "activation_regions", {}, [1])) as SeedFields;
      expect(Number.isNaN(regions.fields["count"]![0])).toBe(true);
      expect(regions.fields["count"]![1]).toBeGreaterThan(0);
      const ids = (await measure(net, "region_ids", {}, [1])) as SeedIndexed;
      expect(ids.fields["region"]![0]).toBeUndefined();
      expect(ids.fields["x2"]).toBeUndefined(); // two input columns
    } finally {
      net.dispose();
    }
  });
});

describe("region_slice", () => {
  it("counts and numbers the regions of a plane through two encoded dimensions, bypassing the encoding", async () => {
    const net = sequential({ inShape: [2], layers: encodedLayers, seeds: [4, 9] });
    const [lo, hi, side, at] = [-1.5, 2, 21, 0.25];
    try {
      for (const layers of [null, [0]]) {
        const r = (await measure(net, "region_slice", { dims: [5, 2], n: side, range: [lo, hi], at, layers })) as SeedIndexed;
        for (const s of [0, 1]) {
          const w = denseWeights(net, s);
          // point p: dims[0] = 5 takes value index p % side, dims[1] = 2 index ⌊p / side⌋; the other 6 inputs are `at`
          const points = Array.from({ length: side * side }, (_, p) => {
            const e = Array<number>(8).fill(at);
            e[5] = lo + ((hi - lo) * (p % side)) / (side - 1);
            e[2] = lo + ((hi - lo) * Math.floor(p / side)) / (side - 1);
            return e;
          });
          const pre = points.map((e) => hiddenPre(w, e.map(Math.fround)));
          expect(smallestMagnitude(pre)).toBeGreaterThan(1e-5);
          const ref = referenceRegions(referencePatterns(pre, layers));
          expect(Array.from(r.fields["region"]![s]!)).toEqual(ref.ids);
          expect(Math.max(...r.fields["region"]![s]!) + 1).toBe(ref.count);
          expect(Array.from(r.fields["x0"]![s]!)).toEqual(points.map((e) => e[5]));
          expect(Array.from(r.fields["x1"]![s]!)).toEqual(points.map((e) => e[2]));
        }
      }
    } finally {
      net.dispose();
    }
  });

  it("a first-layer slice of a 2-input ReLU layer has at most 1 + m + m(m−1)/2 regions (m lines), and one dim gives a line", async () => {
    const net = mlp({ inDim: 2, hidden: [6, 5], outDim: 1, seeds: [0, 1] });
    try {
      const r = (await measure(net, "region_slice", { dims: [0, 1], n: 64, range: [-3, 3], at: 0, layers: [0] })) as SeedIndexed;
      expect(Math.max(...r.fields["region"]![0]!) + 1).toBeLessThanOrEqual(1 + 6 + 15);
      const line = (await measure(net, "region_slice", { dims: [1], n: 50, range: [-3, 3], at: 0, layers: [0] })) as SeedIndexed;
      expect(r.fields["x1"]).toBeDefined();
      expect(line.fields["x1"]).toBeUndefined();
      // a line crosses each of 6 hyperplanes at most once: at most 7 regions
      expect(Math.max(...line.fields["region"]![1]!) + 1).toBeLessThanOrEqual(7);
    } finally {
      net.dispose();
    }
  });

  it("an mlp(…, encode: fourier) slices the encoded inputs too (its encoding layer is skipped)", async () => {
    const net = mlp({ inDim: 2, hidden: [5], outDim: 1, encode: { kind: "fourier", L: 1 }, seeds: [0, 1] });
    try {
      const r = (await measure(net, "region_slice", { dims: [3], n: 31, range: [-1, 1], at: 0.5, layers: null })) as SeedIndexed;
      const w = denseWeights(net, 0);
      expect(w[0]!.fanIn).toBe(4);
      const pre = Array.from({ length: 31 }, (_, p) => hiddenPre(w, [0.5, 0.5, 0.5, Math.fround(-1 + (2 * p) / 30)]));
      expect(smallestMagnitude(pre)).toBeGreaterThan(1e-5);
      expect(Array.from(r.fields["region"]![0]!)).toEqual(referenceRegions(referencePatterns(pre, null)).ids);
    } finally {
      net.dispose();
    }
  });

  it("refuses norms, convolutions and dimensions beyond the encoded width", async () => {
    const bn = mlp({ inDim: 2, hidden: [4], outDim: 1, norm: "batchnorm", seeds: [0, 1] });
    const net = sequential({ inShape: [2], layers: encodedLayers, seeds: [0, 1] });
    try {
      await expect(measure(bn, "region_slice", { dims: [0, 1], n: 4, range: [-1, 1], at: 0, layers: null })).rejects.toThrow(/batchnorm/);
      await expect(measure(net, "region_slice", { dims: [0, 8], n: 4, range: [-1, 1], at: 0, layers: null })).rejects.toThrow(/dimension 8 is outside the 8 encoded inputs of layer a/);
    } finally {
      bn.dispose();
      net.dispose();
    }
  });
});
