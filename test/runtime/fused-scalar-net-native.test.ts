/**
 * The native 1→W→1 kernels (native/dync_fused.c scalarNetStep / scalarNetTrain via
 * runtime/kernels/native-fused.ts) and the training loop's fused stretches (runtime/train/loop.ts
 * trainQuietStretch). Checked here: one step's losses and gradients against differentiating `forward` on
 * tfjs's tape, for every activation the native step has, both losses, batches that fill no, one and several
 * sample blocks (the kernel works in blocks of 128 and lanes of 16), seeds and an output scale; whole training
 * runs with several updates per call against the same runs one update per step, bit for bit (parameters,
 * optimizer state, the losses probes see, divergence), for every optimizer rule with a native form and a
 * learning-rate schedule, and on the wasm path for the rules its SIMD kernels cover; and where the loop must
 * not fuse (minibatches, observers, a probe every step).
 * Needs the native addons (`npm run native`); skipped without them, except under CI=true.
 */
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { LossKind } from "../../runtime/loss.js";
import type { OptimizerSpec } from "../../contract/training-specs.js";
import { mlpLayers } from "../../contract/layer-list.js";
import { type ActivationSpec } from "../../runtime/nn/activations.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { nativeFusedStepActive, nativeScalarNetStep } from "../../runtime/kernels/native-fused.js";
import { setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { createOptimizer } from "../../runtime/optim.js";
import { makeSchedule } from "../../runtime/schedule.js";
import { train, type TrainProbe } from "../../runtime/train/index.js";
import { relativeError, taped } from "./tape-reference.js";

await selectBackend("wasm");
const available = nativeFusedStepActive();
const inCi = process.env["CI"] === "true";

/** A `mlp(in: 1, hidden: [W], out: 1)` layer list, as dync programs build it. */
function scalarNet(width: number, act: ActivationSpec, seeds: number | number[], outputScale: number | null = null) {
  const layers = mlpLayers({ hidden: [width], outDim: 1, act, bias: true, norm: "none", dropout: 0, encode: null, outputScale } as Parameters<typeof mlpLayers>[0]);
  return sequential({ inShape: [1], layers, seeds });
}

const ACTIVATIONS: ActivationSpec[] = ["relu", { name: "leaky_relu", slope: 0.2 }, "tanh", "sigmoid", "silu", "xtanh", "gelu", "softplus", "identity"];

describe.skipIf(!available && !inCi)("native 1→W→1 step", () => {
  it("serves here (CI builds the addons)", () => {
    expect(available).toBe(true);
  });

  for (const act of ACTIVATIONS) {
    const name = typeof act === "string" ? act : act.name;
    it(`${name}: loss and gradients equal the taped path (B = 7, 128, 300: part of a block, one, several; wider than the batch: neurons as lanes; mse and half_mse)`, () => {
      const shapes: [number, number, number, LossKind][] = [[3, 7, 5, "mse"], [1, 128, 17, "half_mse"], [2, 300, 40, "mse"], [2, 4, 1000, "mse"], [1, 7, 33, "half_mse"]];
      for (const [S, B, W, loss] of shapes) {
        const model = scalarNet(W, act, S);
        const x = tf.randomUniform([S, B, 1], -2, 2, "float32", 11);
        const y = tf.randomUniform([S, B, 1], -1, 1, "float32", 12);
        const step = nativeScalarNetStep(x, y, model.scalarNet(loss)!)!;
        const plain = taped(model, x, y, loss);
        expect(step.perSample.shape).toEqual([S, B]);
        expect(relativeError(step.perSample, tf.reshape(plain.perSample, [S, B]))).toBeLessThan(2e-6);
        expect(relativeError(step.perSeed, plain.perSeed)).toBeLessThan(2e-6);
        step.grads.forEach((g, i) => {
          expect(g.shape).toEqual(plain.grads[i]!.shape);
          expect(relativeError(g, plain.grads[i]!)).toBeLessThan(2e-5);
        });
        // the model's fused step is this kernel on the native path
        const viaModel = model.fusedLossAndGradients(x, y, loss)!;
        expect(Array.from(viaModel.grads[0]!.dataSync())).toEqual(Array.from(step.grads[0]!.dataSync()));
        tf.dispose([x, y, step.perSample, step.perSeed, ...step.grads, plain.perSample, plain.perSeed, ...plain.grads, viaModel.perSample, viaModel.perSeed, ...viaModel.grads]);
        model.dispose();
      }
    });
  }

  it("an output scale, and `mlp(…)`'s own model, go through the same kernel", () => {
    const viaList = scalarNet(20, "tanh", 2, 0.125);
    const viaMlp = mlp({ inDim: 1, hidden: [20], outDim: 1, act: "tanh", seeds: 2, outputScale: 0.125 });
    const x = tf.randomUniform([2, 9, 1], -1, 1, "float32", 3);
    const y = tf.randomUniform([2, 9, 1], -1, 1, "float32", 4);
    for (const model of [viaList, viaMlp]) {
      const fused = model.fusedLossAndGradients(x, y, "mse")!;
      const plain = taped(model, x, y, "mse");
      expect(relativeError(fused.perSeed, plain.perSeed)).toBeLessThan(2e-6);
      fused.grads.forEach((g, i) => expect(relativeError(g, plain.grads[i]!)).toBeLessThan(1e-5));
      model.dispose();
    }
  });

  it("is not a scalar net: deeper, unbiased, two inputs, cross-entropy", () => {
    const deeper = sequential({ inShape: [1], layers: mlpLayers({ hidden: [4, 4], outDim: 1, act: "relu", bias: true, norm: "none", dropout: 0, encode: null, outputScale: null } as Parameters<typeof mlpLayers>[0]), seeds: 1 });
    expect(deeper.scalarNet("mse")).toBeUndefined();
    expect(mlp({ inDim: 1, hidden: [4], outDim: 1, seeds: 1, bias: false }).scalarNet("mse")).toBeUndefined();
    expect(mlp({ inDim: 2, hidden: [4], outDim: 1, seeds: 1 }).scalarNet("mse")).toBeUndefined();
    expect(scalarNet(4, "relu", 1).scalarNet("cross_entropy")).toBeUndefined();
  });
});

/** 40 points of sin, shared by the seeds. */
function sineData(n = 40, amplitude = 1): Dataset {
  const xs = Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
  return { name: "train", n, xShape: [1], x: Float32Array.from(xs), yDim: 1, y: Float32Array.from(xs.map((x) => amplitude * Math.sin(x))) };
}

interface RunOptions {
  readonly optimizer: OptimizerSpec;
  readonly fuse: boolean;
  readonly steps?: number;
  readonly batch?: "full" | { size: number };
  readonly schedule?: boolean;
  readonly probeEvery?: number;
  readonly observer?: boolean;
  readonly data?: Dataset;
  readonly act?: ActivationSpec;
  readonly width?: number;
}

/** A training run; its final parameters and optimizer state, the loss a probe recorded, and the fused calls it made. */
async function trainRun(o: RunOptions) {
  const seeds = [1, 2, 3];
  const model = scalarNet(o.width ?? 24, o.act ?? "silu", seeds);
  const optimizer = createOptimizer(o.optimizer, model.params);
  const losses: number[][] = [];
  const probes: TrainProbe[] = [
    { name: "loss", cadence: { kind: "every", n: o.probeEvery ?? 7, unit: "steps" }, run: (ctx) => losses.push(ctx.loss ? Array.from(ctx.loss.perSeed.dataSync()) : []) },
    ...(o.observer ? [{ name: "watch", cadence: { kind: "at", points: ["end"] }, run: () => 0, observe: () => undefined } as TrainProbe] : []),
  ];
  let error: unknown;
  const profile = await tf.profile(async () => {
    try {
      await train({
        model,
        optimizer,
        loss: "mse",
        data: o.data ?? sineData(),
        seeds,
        duration: { steps: o.steps ?? 45 },
        batch: o.batch ?? "full",
        probes,
        fuseSteps: o.fuse,
        ...(o.schedule ? { schedule: makeSchedule({ kind: "step_decay", every: 4, factor: 0.7 }, o.optimizer.lr) } : {}),
      });
    } catch (e) {
      error = e;
    }
    return tf.scalar(0);
  });
  const fusedCalls = profile.kernels.filter((k) => k.name === "DyncNativeScalarNetTrain").length;
  const wasmCalls = profile.kernels.filter((k) => k.name === "DyncScalarNetTrain").length;
  const values = [...model.params.map((p) => p.variable), ...optimizer.state].map((v) => Array.from(v.dataSync()));
  optimizer.dispose();
  model.dispose();
  return { values, losses, fusedCalls, wasmCalls, error, updates: optimizer.updates };
}

describe.skipIf(!available && !inCi)("several updates in one native call", () => {
  const rules: [string, OptimizerSpec][] = [
    ["gd", { kind: "gd", lr: 0.05 }],
    ["sgd with weight decay", { kind: "sgd", lr: 0.05, weight_decay: 0.01 }],
    ["momentum with dampening", { kind: "sgd", lr: 0.02, momentum: 0.9, dampening: 0.1 }],
    ["nesterov", { kind: "sgd", lr: 0.02, momentum: 0.9, nesterov: true }],
    ["adam", { kind: "adam", lr: 0.01 }],
    ["adam with weight decay", { kind: "adam", lr: 0.01, weight_decay: 0.01 }],
    ["adamw", { kind: "adamw", lr: 0.01, weight_decay: 0.05 }],
  ];
  for (const [name, optimizer] of rules) {
    it(`${name}: bitwise the run one update at a time (parameters, state, the losses probes read), with and without a schedule, batch and width`, async () => {
      const shapes = [{ schedule: false }, { schedule: true }, { schedule: false, width: 64, data: sineData(6) }];
      for (const shape of shapes) {
        const [fused, stepwise] = [await trainRun({ optimizer, fuse: true, ...shape }), await trainRun({ optimizer, fuse: false, ...shape })];
        expect(fused.fusedCalls).toBeGreaterThan(0);
        expect(stepwise.fusedCalls).toBe(0);
        expect(fused.updates).toBe(45);
        expect(fused.losses).toEqual(stepwise.losses);
        expect(fused.values).toEqual(stepwise.values);
      }
    });
  }

  it("stretches stop at probes, divergence checks and the end: 45 steps, probe every 7, checks every 10", async () => {
    // quiet stretches: 1–6, 8–9, 11–13, 15–19, 22–27, 29, 31–34, 36–39, 41, 43–44 (2 steps or more are fused)
    const run = await trainRun({ optimizer: { kind: "gd", lr: 0.05 }, fuse: true });
    expect(run.fusedCalls).toBe(8);
    expect(run.losses).toHaveLength(7); // steps 0, 7, …, 42
  });

  it("a seed that diverges inside a stretch is reported at the same step, and the run ends the same way", async () => {
    // one huge target makes Adam-free GD blow up for a large learning rate, at a step inside a stretch
    const data = sineData(40, 1);
    data.y[5] = 1e18;
    const opts = { optimizer: { kind: "gd", lr: 0.5 } as OptimizerSpec, data, steps: 30, probeEvery: 100 };
    const [fused, stepwise] = [await trainRun({ ...opts, fuse: true }), await trainRun({ ...opts, fuse: false })];
    expect(fused.fusedCalls).toBeGreaterThan(0);
    expect(fused.error).toBeInstanceOf(DyncRuntimeError);
    expect((fused.error as DyncRuntimeError).message).toEqual((stepwise.error as DyncRuntimeError).message);
    expect((fused.error as DyncRuntimeError).message).toMatch(/at step [1-9]\b/);
    expect(fused.values).toEqual(stepwise.values);
  });

  it("is not used with minibatches, with an observing probe, or with a probe every step", async () => {
    const gd: OptimizerSpec = { kind: "gd", lr: 0.05 };
    expect((await trainRun({ optimizer: gd, fuse: true, batch: { size: 16 } })).fusedCalls).toBe(0);
    expect((await trainRun({ optimizer: gd, fuse: true, observer: true })).fusedCalls).toBe(0);
    expect((await trainRun({ optimizer: gd, fuse: true, probeEvery: 1 })).fusedCalls).toBe(0);
  });
});

describe("several updates in one call on the wasm path", () => {
  it("on the wasm path (native products off): plain sgd and adam in one SIMD kernel per stretch, bitwise; other rules step by step", async () => {
    setNativeMatMulEnabled(false);
    try {
      for (const optimizer of [{ kind: "gd", lr: 0.05 }, { kind: "adam", lr: 0.01 }] as OptimizerSpec[]) {
        for (const shape of [{ schedule: true }, { schedule: false, width: 64, data: sineData(6) }]) {
          const [fused, stepwise] = [await trainRun({ optimizer, fuse: true, ...shape }), await trainRun({ optimizer, fuse: false, ...shape })];
          expect(fused.wasmCalls).toBeGreaterThan(0);
          expect(fused.fusedCalls + stepwise.fusedCalls + stepwise.wasmCalls).toBe(0);
          expect(fused.losses).toEqual(stepwise.losses);
          expect(fused.values).toEqual(stepwise.values);
        }
      }
      // their step-by-step form is not one SIMD kernel, so no stretch is fused
      for (const optimizer of [{ kind: "sgd", lr: 0.02, momentum: 0.9 }, { kind: "adamw", lr: 0.01 }, { kind: "gd", lr: 0.05, weight_decay: 0.01 }] as OptimizerSpec[]) {
        expect((await trainRun({ optimizer, fuse: true })).wasmCalls).toBe(0);
      }
    } finally {
      setNativeMatMulEnabled(true);
    }
  });
});
