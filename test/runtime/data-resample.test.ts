/**
 * `resample: every_step` ("D → ∞"): every update trains on a new draw of the training set. The loop must
 * train update k on draw k (checked against a float64 hand computation of GD over per-step data), and the
 * runner's draws must differ from step to step, be fixed by (seed, step) and keep draw 0 = the data set as
 * built without resampling.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import type { Dataset } from "../../runtime/dataset.js";
import type { Model } from "../../contract/model.js";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import { createOptimizer } from "../../runtime/optim.js";
import { train } from "../../runtime/train/index.js";
import { buildDataset, redrawTrainingData } from "../../runner/data.js";
import { registry } from "../../stdlib/registry/index.js";
import { checkSource } from "../../compiler/check/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** y = w·x + b per seed. */
function linearModel(w: number[], b: number[]): Model {
  const S = w.length;
  const wv = tf.variable(tf.tensor3d(w, [S, 1, 1]));
  const bv = tf.variable(tf.tensor2d(b, [S, 1]));
  return {
    seeds: S,
    layerNames: ["out"],
    layers: [],
    params: [
      { name: "out.weight", layer: "out", role: "weight", variable: wv },
      { name: "out.bias", layer: "out", role: "bias", variable: bv },
    ],
    state: [],
    forward: (x) => tf.tidy(() => tf.add(tf.matMul(x as tf.Tensor3D, wv as tf.Tensor3D), tf.expandDims(bv, 1))),
    dispose: () => tf.dispose([wv, bv]),
  };
}

/** The data of step k: 4 points that move with k, target 3x − 1. */
function stepData(k: number): Dataset {
  const xs = [-1, -0.25, 0.5, 1].map((x) => x + 0.1 * k);
  return { name: "train", n: 4, xShape: [1], x: Float32Array.from(xs), yDim: 1, y: Float32Array.from(xs.map((x) => 3 * x - 1)) };
}

let live: Model[] = [];
afterEach(() => {
  live.forEach((m) => m.dispose());
  live = [];
});

describe("the training loop with redraw", () => {
  it("trains update k on draw k (full-batch GD against a float64 hand computation) and shows probes that batch", async () => {
    const model = linearModel([0.5], [0.25]);
    live.push(model);
    const seen: number[][] = [];
    const lr = 0.1;
    const steps = 6;
    await train({
      model,
      optimizer: createOptimizer({ kind: "gd", lr }, model.params),
      loss: "mse",
      data: stepData(0),
      redraw: stepData,
      seeds: [3],
      duration: { steps },
      batch: "full",
      probes: [{ name: "batch", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx) => void (ctx.batch && seen.push([...ctx.batch.x.dataSync()])) }],
    });
    let w = 0.5;
    let b = 0.25;
    for (let k = 0; k < steps; k++) {
      const xs = [...stepData(k).x];
      const r = xs.map((x) => w * x + b - (3 * x - 1));
      const gw = (2 / xs.length) * r.reduce((a, ri, i) => a + ri * xs[i]!, 0);
      const gb = (2 / xs.length) * r.reduce((a, ri) => a + ri, 0);
      w -= lr * gw;
      b -= lr * gb;
    }
    expect(model.params[0]!.variable.dataSync()[0]).toBeCloseTo(w, 5);
    expect(model.params[1]!.variable.dataSync()[0]).toBeCloseTo(b, 5);
    expect(seen).toHaveLength(steps);
    seen.forEach((x, k) => expect(x).toEqual([...stepData(k).x]));
  });

  it("leaks no tensors over fresh batches, full or minibatch", async () => {
    for (const batch of ["full", { size: 2 }] as const) {
      const model = linearModel([0.5], [0.25]);
      live.push(model);
      const optimizer = createOptimizer({ kind: "gd", lr: 0.1 }, model.params);
      const before = tf.memory().numTensors;
      await train({ model, optimizer, loss: "mse", data: stepData(0), redraw: stepData, seeds: [3], duration: { steps: 5 }, batch });
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

describe("runner draws of a data set with resample: every_step", () => {
  const program = { targets: { square: (cols: readonly Float64Array[]) => cols[0]!.map((x) => x * x) }, file: "x.dyn" } as unknown as ExperimentProgram;
  const lowered = registry.get("data", "uniform")!.lower!({ vars: [{ name: "x", lo: -1, hi: 1, closedHi: true }], n: 64, split: null, resample: "every_step" });
  const spec = { ...(lowered as object), target: "square", perSeed: true } as DataSpec;
  const context = { program, seeds: [7, 8], dataRoot: "/nonexistent" };

  it("lowers `uniform(x in [-1, 1], n: 64, resample: every_step)` to a resampled uniform spec", () => {
    expect(lowered).toEqual({ source: "uniform", axes: [{ name: "x", lo: -1, hi: 1, closedHi: true }], n: 64, resample: "every_step" });
  });

  it("draws differ from step to step and between seeds, are fixed by (seed, step), and lie in [−1, 1) with y = x²", () => {
    const redraw = redrawTrainingData("train", spec, context)!;
    const [a7, a8] = redraw(1);
    const [b7] = redraw(2);
    expect([...a7!.x]).not.toEqual([...b7!.x]);
    expect([...a7!.x]).not.toEqual([...a8!.x]);
    expect([...redraw(1)[0]!.x]).toEqual([...a7!.x]);
    for (const d of [a7!, a8!, b7!]) {
      expect(d.n).toBe(64);
      d.x.forEach((x, i) => {
        expect(x).toBeGreaterThanOrEqual(-1);
        expect(x).toBeLessThan(1);
        expect(d.y[i]).toBeCloseTo(x * x, 6);
      });
    }
    // Draw 0 is the data set as built without resampling (the first step's data and what probes see).
    expect([...buildDataset("train", spec, 7, context, 0).x]).toEqual([...buildDataset("train", spec, 7, context).x]);
    expect([...buildDataset("train", spec, 7, context).x]).not.toEqual([...a7!.x]);
  });

  it("reuses one draw without resample, and refuses to resample a data set that is not random", () => {
    const once = { ...spec, resample: undefined } as DataSpec;
    expect(redrawTrainingData("train", once, context)).toBeUndefined();
    const grid = { source: "grid", axes: [{ name: "x", lo: -1, hi: 1, closedHi: true }], n: 5, target: "square", perSeed: false, resample: "every_step" } as DataSpec;
    expect(() => redrawTrainingData("train", grid, context)).toThrow(/not random/);
  });
});

describe("a data block with `resample: every_step`", () => {
  function blockSpec(block: string): { spec: DataSpec | undefined; errors: string[] } {
    const check = checkSource(`experiment e {\n  seeds 2\n  data train { ${block} }\n  model net = mlp(hidden: [4])\n  loss mse\n  optimizer sgd(lr: 0.1)\n  train 3 steps, batch full\n}`, "block.dyn");
    const errors = check.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
    return { spec: check.experiments[0]?.profiles["default"]?.runs[0]?.data["train"], errors };
  }

  it("lowers to the block's sample spec with `resample`, and without the option to one draw", () => {
    const { spec, errors } = blockSpec("x ~ uniform(-1, 1) [64]; y = x^2; resample: every_step");
    expect(errors).toEqual([]);
    expect(spec).toMatchObject({ source: "sample", vars: [{ name: "x", n: 64 }], perSeed: true, resample: "every_step" });
    expect(blockSpec("x ~ uniform(-1, 1) [64]; y = x^2").spec).not.toHaveProperty("resample");
    expect(blockSpec("x ~ uniform(-1, 1) [64]; y = x^2; resample: never").spec).not.toHaveProperty("resample");
  });

  it("refuses an unknown option (DYN2011) and a value the sources' `resample` does not take (DYN2004)", () => {
    expect(blockSpec("x ~ uniform(-1, 1) [64]; y = x^2; resampel: every_step").errors).toEqual(["DYN2011 `data train { … }` has no parameter `resampel`"]);
    expect(blockSpec("x ~ uniform(-1, 1) [64]; y = x^2; resample: often").errors).toEqual(["DYN2004 `resample` must be `never` or `every_step`, not often"]);
  });

  it("each step draws every sampled variable afresh: inputs in [−1, 1), y = x + noise of that draw", () => {
    // With no other data set, both sampled variables are inputs (columns x, noise).
    const { spec, errors } = blockSpec("x ~ uniform(-1, 1) [32]; noise ~ normal(0, 0.5) [32]; y = x + noise; resample: every_step");
    expect(errors).toEqual([]);
    // The target as the compiler emits it reads every sampled column (x, noise); here by hand, in float64.
    const program = { targets: { [(spec as { target: string }).target]: (cols: readonly Float64Array[]) => cols[0]!.map((x, i) => x + cols[1]![i]!) }, file: "x.dyn" } as unknown as ExperimentProgram;
    const context = { program, seeds: [7, 8], dataRoot: "/nonexistent" };
    const redraw = redrawTrainingData("train", spec!, context)!;
    const [a7, a8] = redraw(1);
    const [b7] = redraw(2);
    const column = (d: Dataset, c: number) => Array.from({ length: d.n }, (_, i) => d.x[2 * i + c]!);
    for (const d of [a7!, a8!, b7!]) {
      expect(d.xShape).toEqual([2]);
      column(d, 0).forEach((x) => expect(x >= -1 && x < 1).toBe(true));
      d.y.forEach((y, i) => expect(y).toBeCloseTo(d.x[2 * i]! + d.x[2 * i + 1]!, 6));
    }
    expect(column(a7!, 0)).not.toEqual(column(b7!, 0));
    expect(column(a7!, 1)).not.toEqual(column(b7!, 1));
    expect([...a7!.x]).not.toEqual([...a8!.x]);
    expect([...redraw(1)[0]!.x]).toEqual([...a7!.x]);
    // the noise column is a normal(0, 0.5) draw: its sample std over 32 points is near 0.5
    const noise = column(a7!, 1);
    const std = Math.sqrt(noise.reduce((a, v) => a + v * v, 0) / noise.length);
    expect(std).toBeGreaterThan(0.3);
    expect(std).toBeLessThan(0.75);
    // draw 0 is the data set as built without resampling
    expect([...buildDataset("train", spec!, 7, context, 0).x]).toEqual([...buildDataset("train", { ...spec!, resample: undefined } as DataSpec, 7, context).x]);
  });
});
