/**
 * The probes along another probe's eigenvector, against hand computation:
 *  - `curvature` on a linear model f = wᵀx + b under half_mse, whose Hessian on m rows is exactly
 *    (1/m)·Σ [x; 1][x; 1]ᵀ: vᵀHv / vᵀv for a vector published on the board, on all rows and on a subset;
 *    and, on a tanh net, equal to the eigenvalue of the `hessian` probe's own top eigenvector;
 *  - `eigen_share`: per-layer squared mass of a hand-made vector;
 *  - `project` and `step_along`: ⟨θ, v⟩ and |⟨θ₂ − θ₁, v⟩| for parameters assigned by hand, per seed, and
 *    step_along's state through a real checkpoint file; NaN before the eigenvector exists.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { readCheckpointFile, writeCheckpointFile } from "../../runtime/record/checkpoint-file.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { paramLayout, publishEigenpairs } from "../../stdlib/curvature/eigen-board.js";
import { RunProbeEnv, startProbe } from "../../stdlib/probes/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

const dense = (name: string, width: number, act: "tanh" | null): LayerSpec => ({ name, kind: "dense", width, act, bias: true });
const ctx = (step: number, seeds = [1]) => ({ step, seeds, seedIndices: seeds.map((_, i) => i) }) as unknown as ProbeContext;

/** 6 rows of 2 inputs with a target (exact in float32). */
const X = [
  [0.5, -1],
  [1, 0.25],
  [-0.75, 0.5],
  [0.25, 1.5],
  [-1.25, -0.5],
  [2, 0.75],
];
const train: Dataset = { name: "train", n: 6, xShape: [2], x: Float32Array.from(X.flat()), yDim: 1, y: Float32Array.from([1, -0.5, 0.25, 2, -1, 0.5]) };

function env(model: Model, seeds: number[]): RunProbeEnv {
  return new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [train]]]), loss: "half_mse", seeds });
}

/** Publishes one vector per seed as probe `name`'s eigenvector 0 (unnormalised on purpose: the probes divide by vᵀv). */
function publish(e: RunProbeEnv, model: Model, name: string, vectors: Float64Array[]): void {
  publishEigenpairs({ board: e.board } as never, { kind: "hessian-eigenpairs", probe: name, step: 0, values: vectors.map(() => Float64Array.of(1)), vectors: vectors.map((v) => [v]), layout: paramLayout(model) });
}

/** vᵀHv / vᵀv with H = (1/m)·Σ over `rows` of [x; 1][x; 1]ᵀ (the linear model's half_mse Hessian; params w₀, w₁, b). */
function linearRayleigh(v: readonly number[], rows: readonly number[]): number {
  let quad = 0;
  for (const r of rows) {
    const z = X[r]![0]! * v[0]! + X[r]![1]! * v[1]! + v[2]!;
    quad += z * z;
  }
  return quad / rows.length / (v[0]! ** 2 + v[1]! ** 2 + v[2]! ** 2);
}

describe("curvature along a published vector", () => {
  it("is vᵀHv / vᵀv of the linear model's exact Hessian, on all rows and on the first 3, per seed", async () => {
    const model = sequential({ inShape: [2], layers: [dense("out", 1, null)], seeds: [1, 2] });
    const e = env(model, [1, 2]);
    const v0 = [0.3, -1.2, 0.7];
    const v1 = [2, 0.5, -1];
    publish(e, model, "h", [Float64Array.from(v0), Float64Array.from(v1)]);
    const all = (await startProbe("curvature", { model: { ref: "net" }, data: { ref: "train" }, along: { ref: "h" } }, e, "c").measure(ctx(0, [1, 2]))) as Float64Array;
    expect(all[0]).toBeCloseTo(linearRayleigh(v0, [0, 1, 2, 3, 4, 5]), 5);
    expect(all[1]).toBeCloseTo(linearRayleigh(v1, [0, 1, 2, 3, 4, 5]), 5);
    const group = (await startProbe("curvature", { model: { ref: "net" }, data: { ref: "train" }, along: { ref: "h" }, samples: 3, subset: "first" }, e, "g").measure(ctx(0, [1, 2]))) as Float64Array;
    expect(group[0]).toBeCloseTo(linearRayleigh(v0, [0, 1, 2]), 5);
    expect(group[1]).toBeCloseTo(linearRayleigh(v1, [0, 1, 2]), 5);
    // An index the producer did not measure, and a producer that has not run yet: NaN.
    const beyond = (await startProbe("curvature", { model: { ref: "net" }, data: { ref: "train" }, along: { ref: "h" }, index: 1 }, e, "c1").measure(ctx(0, [1, 2]))) as Float64Array;
    expect([...beyond]).toEqual([NaN, NaN]);
    const before = (await startProbe("curvature", { model: { ref: "net" }, data: { ref: "train" }, along: { ref: "later" } }, e, "c2").measure(ctx(0, [1, 2]))) as Float64Array;
    expect([...before]).toEqual([NaN, NaN]);
    e.dispose();
    model.dispose();
  });

  it("along the hessian probe's own top eigenvector is that eigenvalue (tanh net)", async () => {
    const model = sequential({ inShape: [2], layers: [dense("h0", 5, "tanh"), dense("out", 1, null)], seeds: [3] });
    const e = env(model, [3]);
    const top = (await startProbe("hessian", { model: { ref: "net" }, data: { ref: "train" }, k: 2, tol: 1e-6, iters: 200 }, e, "top").measure(ctx(0, [3]))) as unknown as { fields: { value: Float64Array[] } };
    for (const index of [0, 1]) {
      const c = (await startProbe("curvature", { model: { ref: "net" }, data: { ref: "train" }, along: { ref: "top" }, index }, e, `c${index}`).measure(ctx(0, [3]))) as Float64Array;
      expect(Math.abs(c[0]! - top.fields.value[0]![index]!) / Math.abs(top.fields.value[0]![0]!)).toBeLessThan(1e-4);
    }
    e.dispose();
    model.dispose();
  });

  it("refuses a named probe that publishes something else", async () => {
    const model = sequential({ inShape: [2], layers: [dense("out", 1, null)], seeds: [1] });
    const e = env(model, [1]);
    e.board.set("l", Float64Array.of(1));
    await expect(async () => startProbe("project", { model: { ref: "net" }, along: { ref: "l" } }, e, "p").measure(ctx(0))).rejects.toThrow(/publishes no Hessian eigenvectors/);
    e.dispose();
    model.dispose();
  });
});

describe("eigen_share, project, step_along", () => {
  // 2 → 3 → 1: h0.weight 6, h0.bias 3, out.weight 3, out.bias 1 = 13 parameters.
  const layers = [dense("h0", 3, "tanh"), dense("out", 1, null)];

  it("eigen_share is each layer's squared mass", async () => {
    const model = sequential({ inShape: [2], layers, seeds: [1, 2] });
    const e = env(model, [1, 2]);
    const ones = new Float64Array(13).fill(1);
    const last = new Float64Array(13);
    last[12] = -2; // out.bias only
    publish(e, model, "h", [ones, last]);
    const share = (await startProbe("eigen_share", { model: { ref: "net" }, along: { ref: "h" } }, e, "s").measure(ctx(0, [1, 2]))) as unknown as { dim: string; fields: { value: Float64Array[] } };
    expect(share.dim).toBe("layer");
    expect([...share.fields.value[0]!]).toEqual([9 / 13, 4 / 13]);
    expect([...share.fields.value[1]!]).toEqual([0, 1]);
    e.dispose();
    model.dispose();
  });

  it("project is ⟨θ, v⟩ / ‖v‖ and step_along |⟨θ₂ − θ₁, v⟩| / ‖v‖, per seed, continued from a checkpoint", async () => {
    const model = sequential({ inShape: [2], layers, seeds: [1, 2] });
    const e = env(model, [1, 2]);
    // θ for seed s: entry k of the flat vector is (s + 1)·(k + 1)/10, written parameter by parameter.
    const assign = (scale: number) => {
      paramLayout(model).forEach((slice, i) => {
        const p = model.params[i]!;
        const values = Float32Array.from({ length: p.variable.size }, (_, j) => {
          const s = Math.floor(j / slice.size);
          return (scale * (s + 1) * (slice.offset + (j % slice.size) + 1)) / 16;
        });
        p.variable.assign(tf.tensor(values, p.variable.shape));
      });
    };
    const v = Float64Array.from({ length: 13 }, (_, k) => (k % 3) - 1); // −1, 0, 1, −1, …
    const vNorm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    const theta = (scale: number, s: number) => Float64Array.from({ length: 13 }, (_, k) => (scale * (s + 1) * (k + 1)) / 16);
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((acc, x, k) => acc + x * b[k]!, 0);
    const step = startProbe("step_along", { model: { ref: "net" }, along: { ref: "h" } }, e, "st");

    assign(1);
    // Before the vector exists: NaN.
    expect([...((await startProbe("project", { model: { ref: "net" }, along: { ref: "h" } }, e, "p").measure(ctx(0, [1, 2]))) as Float64Array)]).toEqual([NaN, NaN]);
    publish(e, model, "h", [v, v.map((x) => 2 * x)]);
    const projected = (await startProbe("project", { model: { ref: "net" }, along: { ref: "h" } }, e, "p").measure(ctx(0, [1, 2]))) as Float64Array;
    for (const s of [0, 1]) expect(projected[s]).toBeCloseTo(dot(theta(1, s), v) / vNorm, 6);
    expect([...((await step.measure(ctx(0, [1, 2]))) as Float64Array)]).toEqual([NaN, NaN]);

    // Resume from a checkpoint between the two calls.
    const file = join(mkdtempSync(join(tmpdir(), "dync-along-")), "probe.ckpt");
    writeCheckpointFile(file, step.save!());
    const resumed = startProbe("step_along", { model: { ref: "net" }, along: { ref: "h" } }, e, "st");
    resumed.restore!(readCheckpointFile(file));
    assign(3);
    const moved = (await resumed.measure(ctx(1, [1, 2]))) as Float64Array;
    for (const s of [0, 1]) {
      const d = theta(3, s).map((x, k) => x - theta(1, s)[k]!);
      expect(moved[s]).toBeCloseTo(Math.abs(dot(d, v)) / vNorm, 6);
      expect(moved[s]).toBeGreaterThan(0);
    }
    expect(() => resumed.restore!({ previous: [new Float64Array(4)] })).toThrow(/do not fit/);
    e.dispose();
    model.dispose();
  });
});
