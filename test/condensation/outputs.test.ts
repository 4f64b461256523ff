/** The `outputs` probe against a hand-set 2-input ReLU network evaluated by hand in float64. */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { mlp } from "../../runtime/nn/index.js";
import { setParam } from "../../runtime/params.js";
import { outputs } from "../../stdlib/core/entries.js";
import { measureProbe, type SeedIndexed } from "../../stdlib/probes/index.js";
import { registry } from "../../stdlib/registry/index.js";
import { context, envFor } from "./helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

// Two ReLU neurons whose zero lines split the square into 4 regions: h0 = relu(x0 − 0.25) (a vertical
// line), h1 = relu(0.5·x0 + x1 + 0.1) (a slanted line); output = 2·h0 − 3·h1 + 0.5 and a second column h0 + h1.
const W = [
  [1, 0.5],
  [0, 1],
];
const B = [-0.25, 0.1];
const A = [
  [2, 1],
  [-3, 1],
];
const C = [0.5, 0];
const relu = (v: number): number => Math.max(0, v);
const pre = (x0: number, x1: number): [number, number] => [W[0]![0]! * x0 + W[1]![0]! * x1 + B[0]!, W[0]![1]! * x0 + W[1]![1]! * x1 + B[1]!];
const byHand = (x0: number, x1: number): [number, number] => {
  const [h0, h1] = pre(x0, x1).map(relu) as [number, number];
  return [A[0]![0]! * h0 + A[1]![0]! * h1 + C[0]!, A[0]![1]! * h0 + A[1]![1]! * h1 + C[1]!];
};

// A 7 × 7 grid over [−1, 1]², x0 fastest (row-major over x1), with target sin(x0)·x1.
const axis = Array.from({ length: 7 }, (_, i) => -1 + i / 3);
const points = axis.flatMap((x1) => axis.map((x0) => [x0, x1] as const));
const grid: Dataset = { name: "grid", n: points.length, xShape: [2], x: Float32Array.from(points.flat()), yDim: 1, y: Float32Array.from(points, ([a, b]) => Math.sin(a) * b) };

function handSetNet(seeds = 1) {
  const net = mlp({ inDim: 2, hidden: [2], outDim: 2, act: "relu", seeds: [...Array(seeds).keys()] });
  setParam(net, "hidden0.weight", W);
  setParam(net, "hidden0.bias", B);
  setParam(net, "out.weight", A);
  setParam(net, "out.bias", C);
  return net;
}

async function measure(seeds = 1, args: Record<string, unknown> = {}): Promise<SeedIndexed> {
  const net = handSetNet(seeds);
  const env = envFor(net, [grid]);
  try {
    return (await measureProbe("outputs", { model: { ref: "net" }, data: { ref: "grid" }, layer: null, ...args }, context(seeds), env)) as SeedIndexed;
  } finally {
    env.dispose();
    net.dispose();
  }
}

describe("outputs probe", () => {
  it("records the coordinates, both output columns and the target over `point`, as computed by hand", async () => {
    const r = await measure();
    expect(r.dim).toBe("point");
    expect(Object.keys(r.fields).sort()).toEqual(["output", "output1", "region", "target", "x0", "x1"]);
    points.forEach(([x0, x1], i) => {
      expect(r.fields["x0"]![0]![i]).toBe(Math.fround(x0));
      expect(r.fields["x1"]![0]![i]).toBe(Math.fround(x1));
      const [o0, o1] = byHand(Math.fround(x0), Math.fround(x1));
      expect(r.fields["output"]![0]![i]).toBeCloseTo(o0, 5);
      expect(r.fields["output1"]![0]![i]).toBeCloseTo(o1, 5);
      expect(r.fields["target"]![0]![i]).toBe(Math.fround(Math.sin(x0) * x1));
    });
  });

  it("numbers the four activation regions of two crossing lines in order of first appearance", async () => {
    const r = await measure();
    // By hand: the on/off pattern of each point, then ids in order of first appearance over the points.
    const ids = new Map<string, number>();
    const expected = points.map(([x0, x1]) => {
      const key = pre(Math.fround(x0), Math.fround(x1)).map((v) => (v > 0 ? 1 : 0)).join("");
      if (!ids.has(key)) ids.set(key, ids.size);
      return ids.get(key)!;
    });
    expect(ids.size).toBe(4);
    // The first point (−1, −1) has both neurons off; (1, −1) turns h0 on first: ids 0 then 1 along the bottom row.
    expect(expected.slice(0, 7)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(r.fields["region"]![0]!)).toEqual(expected);
  });

  it("gives every seed its own values, records only the measured seeds, and takes the region layer", async () => {
    const r = await measure(2);
    expect(Array.from(r.fields["output"]![1]!)).toEqual(Array.from(r.fields["output"]![0]!));
    const net = handSetNet(2);
    const env = envFor(net, [grid]);
    try {
      const ctx = { ...context(2), seedIndices: [1] } as ReturnType<typeof context>;
      const one = (await measureProbe("outputs", { model: { ref: "net" }, data: { ref: "grid" }, layer: 0 }, ctx, env)) as SeedIndexed;
      expect(one.fields["output"]![0]).toBeUndefined();
      expect(one.fields["region"]![1]!.length).toBe(points.length);
      await expect(async () => measureProbe("outputs", { model: { ref: "net" }, data: { ref: "grid" }, layer: 3 }, context(2), env)).rejects.toThrow(/RUN040|hidden-layer index/);
    } finally {
      env.dispose();
      net.dispose();
    }
  });

  it("does not leak tensors", async () => {
    const net = handSetNet();
    const env = envFor(net, [grid]);
    await measureProbe("outputs", { model: { ref: "net" }, data: { ref: "grid" }, layer: null }, context(1), env);
    const before = tf.memory().numTensors;
    await measureProbe("outputs", { model: { ref: "net" }, data: { ref: "grid" }, layer: null }, context(1), env);
    expect(tf.memory().numTensors).toBe(before);
    env.dispose();
    net.dispose();
  });

  it("takes any number of input columns (3 here) and records x0..x2", async () => {
    const net = mlp({ inDim: 3, hidden: [4], outDim: 1, act: "relu", seeds: [0] });
    const data: Dataset = { name: "cube", n: 2, xShape: [3], x: Float32Array.from([1, 2, 3, 4, 5, 6]), yDim: 1, y: Float32Array.from([0, 1]) };
    const env = envFor(net, [data]);
    try {
      const r = (await measureProbe("outputs", { model: { ref: "net" }, data: { ref: "cube" }, layer: null }, context(1), env)) as SeedIndexed;
      expect(Array.from(r.fields["x2"]![0]!)).toEqual([3, 6]);
      expect(Array.from(r.fields["x0"]![0]!)).toEqual([1, 4]);
      expect(r.fields["x3"]).toBeUndefined();
    } finally {
      env.dispose();
      net.dispose();
    }
  });

  it("is the registry's entry, whose fields are every input, output and target column and region", () => {
    expect(registry.get("probe", "outputs")).toBe(outputs);
    const columns = (name: string) => [0, 1, 2, 3].map((i) => (i === 0 && name !== "x" ? name : `${name}${i}`));
    expect(outputs.result.fields).toEqual([...columns("x"), ...columns("output"), ...columns("target"), "region"]);
  });
});
