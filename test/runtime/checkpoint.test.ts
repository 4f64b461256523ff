/**
 * Checkpoints in process: the checkpoint file stores values exactly (every typed array dtype, NaN, ±inf,
 * -0) and refuses corrupt files; and the training loop resumed from a snapshot (taken through the file)
 * continues bit for bit — every later measurement and the final parameters equal an uninterrupted run's —
 * for Adam, SGD with Nesterov momentum and sign-SGD, on a network with batch norm (running statistics) and
 * dropout (a random stream), minibatches reshuffled every epoch, a step-decay schedule and a stateful probe
 * (relative_change, whose initial weights must survive the resume; spectral_norm, whose power iteration
 * starts from the previous call's vector); and a run whose second seed diverged before the checkpoint.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { Sequential } from "../../runtime/nn/index.js";
import { createOptimizer } from "../../runtime/optim.js";
import { readCheckpointFile, writeCheckpointFile } from "../../runtime/record/index.js";
import { Rng } from "../../runtime/rng.js";
import { makeSchedule } from "../../runtime/schedule.js";
import { train, type TrainingSnapshot } from "../../runtime/train/index.js";
import type { OptimizerSpec } from "../../contract/training-specs.js";
import { checkpointCadence, checkpointWrites, type CheckpointCadence, type LayerSpec } from "../../contract/program.js";
import { RunProbeEnv, startProbe } from "../../stdlib/probes/index.js";
import { CHECKPOINT_FORMAT, dropAllPendingCheckpoints, dropPendingCheckpoint, heldRowsPath, pendingCheckpointPath, promoteCheckpoint, readRunCheckpoint, writePendingCheckpoint, writeRunCheckpoint, type RunCheckpoint } from "../../runner/checkpoint.js";

const scratch = mkdtempSync(join(resolve(import.meta.dirname, "../.."), "test", ".checkpoint-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

describe("checkpoint files", () => {
  it("give back every value exactly", () => {
    const value = {
      f32: Float32Array.of(1.5, -0, Number.NaN, Infinity, 3.4e38, 1e-45),
      f64: Float64Array.of(Math.PI, -Infinity, 5e-324),
      i32: Int32Array.of(-1, 2 ** 31 - 1, 0),
      u8: Uint8Array.of(0, 1, 255),
      empty: new Float32Array(0),
      nested: { list: [1, Number.NaN, -0, Infinity, "text", null, true], deep: [{ a: Int32Array.of(7) }] },
    };
    const path = join(scratch, "values.ckpt");
    writeCheckpointFile(path, value);
    const back = readCheckpointFile(path) as typeof value;
    expect(back.f32).toBeInstanceOf(Float32Array);
    expect(Buffer.from(back.f32.buffer).equals(Buffer.from(value.f32.buffer))).toBe(true);
    expect(Array.from(back.f64)).toEqual(Array.from(value.f64));
    expect(back.i32).toEqual(value.i32);
    expect(back.u8).toEqual(value.u8);
    expect(back.empty).toEqual(new Float32Array(0));
    expect(back.nested.list[1]).toBeNaN();
    expect(Object.is(back.nested.list[2], -0)).toBe(true);
    expect(back.nested.list.slice(3)).toEqual([Infinity, "text", null, true]);
    expect(back.nested.deep[0]!.a).toEqual(Int32Array.of(7));
  });

  it("refuse a file that is not a whole checkpoint (RUN032 naming it)", () => {
    const path = join(scratch, "cut.ckpt");
    writeCheckpointFile(path, { big: new Float32Array(1000) });
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    expect(() => readCheckpointFile(path)).toThrow(/RUN032|the data is cut short/);
    writeFileSync(path, "not a checkpoint");
    try {
      readCheckpointFile(path);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DyncRuntimeError);
      expect((error as DyncRuntimeError).code).toBe("RUN032");
      expect((error as DyncRuntimeError).message).toContain(path);
    }
  });
});

describe("a pool worker's pending checkpoints", () => {
  const dir = join(scratch, "pending");
  const run = "lr=0.1";
  const at = (step: number): RunCheckpoint => ({ format: CHECKPOINT_FORMAT, run, planHash: "h", rows: step * 2, training: { step } as unknown as TrainingSnapshot, probes: {}, recorder: {} as RunCheckpoint["recorder"] });
  const current = () => readRunCheckpoint(dir, run, "h")?.training.step;

  it("become the run's checkpoint only when promoted; one superseded meanwhile is skipped; leftovers are deleted, nothing else", () => {
    writeRunCheckpoint(dir, at(20));
    writePendingCheckpoint(dir, at(40));
    expect(current()).toBe(20); // its rows are not written yet: the previous one stays
    promoteCheckpoint(dir, run, 40);
    expect(current()).toBe(40);
    expect(existsSync(pendingCheckpointPath(dir, run, 40))).toBe(false);
    writePendingCheckpoint(dir, at(60));
    writePendingCheckpoint(dir, at(80));
    dropPendingCheckpoint(dir, run, 60); // the worker took 80: 60 is never promoted
    promoteCheckpoint(dir, run, 60);
    expect(current()).toBe(40);
    writeFileSync(`${pendingCheckpointPath(dir, run, 100)}.tmp`, "torn");
    writeFileSync(heldRowsPath(dir, run), "held");
    dropAllPendingCheckpoints(dir);
    expect(readdirSync(join(dir, "checkpoints")).sort()).toEqual(["lr%3D0.1.ckpt", "lr%3D0.1.held"]);
    expect(current()).toBe(40);
  });
});

const SEEDS = [3, 11];
const LAYERS: LayerSpec[] = [
  { kind: "dense", name: "hidden0", width: 6, act: null, bias: true },
  { kind: "batchnorm", name: "bn" },
  { kind: "activation", name: "act", act: "tanh" },
  { kind: "dropout", name: "drop", p: 0.25 },
  { kind: "dense", name: "out", width: 1, act: null, bias: true },
];

function data(): Dataset {
  const rng = new Rng(5);
  const n = 40;
  const x = Float32Array.from({ length: 2 * n }, () => rng.uniformIn(-1, 1));
  const y = Float32Array.from({ length: n }, (_, i) => x[2 * i]! * x[2 * i + 1]! + 0.5);
  return { name: "train", n, xShape: [2], x, yDim: 1, y };
}

const EVERY_STEP = { kind: "every", n: 1, unit: "steps" } as const;
const STEPS = 30;

interface Outcome {
  /** Probe values by step: relative change and the loss on the batch. */
  readonly records: Map<number, number[]>;
  readonly params: Float32Array[];
  readonly snapshots: Map<number, TrainingSnapshot>;
  readonly probeStates: Map<number, unknown>;
  readonly diverged: readonly { seedIndex: number; step: number }[];
}

/** Train the network for STEPS steps (from `resume` if given), checkpointing every 7 steps (or as `cadence` says) through the file. */
async function trainOnce(optimizerSpec: OptimizerSpec, resume?: { snapshot: TrainingSnapshot; probeState: unknown }, poisoned = false, cadence: CheckpointCadence = { every: 7 }): Promise<Outcome> {
  const model = new Sequential({ inShape: [2], layers: LAYERS, seeds: SEEDS });
  const optimizer = createOptimizer(optimizerSpec, model.params);
  const train0 = data();
  const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [train0]]]), loss: "mse" });
  const rd = startProbe("relative_change", { model: { ref: "net" } }, env);
  const sn = startProbe("spectral_norm", { model: { ref: "net" }, iters: 3 }, env);
  if (resume) {
    const [rdState, snState] = resume.probeState as [unknown, unknown];
    rd.restore!(rdState);
    sn.restore!(snState);
  }
  // Poisoned: the second seed's data has one NaN target, so it diverges in its first epoch and is frozen.
  const perSeed = poisoned ? [train0, { ...train0, y: Float32Array.from(train0.y, (v, i) => (i === 17 ? Number.NaN : v)) }] : undefined;
  const records = new Map<number, number[]>();
  const snapshots = new Map<number, TrainingSnapshot>();
  const probeStates = new Map<number, unknown>();
  try {
    const result = await train({
      model,
      optimizer,
      loss: "mse",
      schedule: makeSchedule({ kind: "step_decay", every: 8, factor: 0.5 }, optimizerSpec.lr),
      data: perSeed ?? train0,
      seeds: SEEDS,
      onDivergence: "continue",
      duration: { steps: STEPS },
      batch: { size: 8 },
      probes: [
        { name: "rd", cadence: EVERY_STEP, run: (ctx) => rd.measure(ctx) },
        { name: "batch_loss", cadence: EVERY_STEP, run: (ctx) => (ctx.loss ? Float64Array.from(ctx.loss.perSeed.dataSync()) : undefined) },
        // Three power iterations from the previous call's vector: the warm starts must survive the resume.
        { name: "sn", cadence: EVERY_STEP, run: async (ctx) => Float64Array.from(((await sn.measure(ctx)) as unknown as { fields: { sigma: Float64Array[] } }).fields.sigma.flatMap((v) => [...v])) },
      ],
      recorder: {
        probe: ({ step, value }) => {
          if (value instanceof Float64Array) records.set(step, [...(records.get(step) ?? []), ...value]);
        },
      },
      checkpoint: {
        ...cadence,
        save: (snapshot) => {
          const path = join(scratch, `snap-${optimizerSpec.kind}-${snapshot.step}.ckpt`);
          writeCheckpointFile(path, { snapshot, probe: [rd.save!(), sn.save!()] });
          const back = readCheckpointFile(path) as { snapshot: TrainingSnapshot; probe: unknown };
          snapshots.set(snapshot.step, back.snapshot);
          probeStates.set(snapshot.step, back.probe);
        },
      },
      ...(resume ? { resumeFrom: resume.snapshot } : {}),
    });
    return { records, params: model.params.map((p) => Float32Array.from(p.variable.dataSync())), snapshots, probeStates, diverged: result.diverged };
  } finally {
    env.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

describe("training resumed from a checkpoint", () => {
  const specs: OptimizerSpec[] = [
    { kind: "adam", lr: 0.05 },
    { kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: true },
    { kind: "sign_sgd", lr: 0.05, threshold: 0.05, sign_lr: 0.01 },
  ] as OptimizerSpec[];
  for (const spec of specs) {
    it(`continues bit for bit (${spec.kind})`, async () => {
      const whole = await trainOnce(spec);
      expect([...whole.snapshots.keys()]).toEqual([7, 14, 21, 28]);
      expect(checkpointWrites(STEPS, { every: 7 })).toBe(whole.snapshots.size); // what `dync plan` shows
      for (const at of [7, 21]) {
        const resumed = await trainOnce(spec, { snapshot: whole.snapshots.get(at)!, probeState: whole.probeStates.get(at)! });
        expect([...resumed.records.keys()]).toEqual([...whole.records.keys()].filter((step) => step >= at));
        for (const [step, values] of resumed.records) expect(values, `step ${step}`).toEqual(whole.records.get(step));
        resumed.params.forEach((p, i) => expect(Buffer.from(p.buffer).equals(Buffer.from(whole.params[i]!.buffer)), `parameter ${i}`).toBe(true));
        // rd compares with the initial weights, not the checkpoint's: it is not 0 right after the resume.
        expect(resumed.records.get(at)![0]).toBeGreaterThan(0);
      }
    }, 180_000);
  }

  it("checkpoints at a share of training (`checkpoint every 20%`: steps 6, 12, 18, 24 of 30) and continues bit for bit from one", async () => {
    const spec = { kind: "adam", lr: 0.05 } as OptimizerSpec;
    const share = checkpointCadence({ fraction: 0.2 }, STEPS, 1);
    expect(share).toEqual({ at: [6, 12, 18, 24] });
    const whole = await trainOnce(spec, undefined, false, share);
    expect([...whole.snapshots.keys()]).toEqual([6, 12, 18, 24]);
    expect(checkpointWrites(STEPS, share)).toBe(whole.snapshots.size); // what `dync plan` shows
    const resumed = await trainOnce(spec, { snapshot: whole.snapshots.get(12)!, probeState: whole.probeStates.get(12)! }, false, share);
    expect([...resumed.snapshots.keys()]).toEqual([18, 24]);
    for (const [step, values] of resumed.records) expect(values, `step ${step}`).toEqual(whole.records.get(step));
    resumed.params.forEach((p, i) => expect(Buffer.from(p.buffer).equals(Buffer.from(whole.params[i]!.buffer)), `parameter ${i}`).toBe(true));
  }, 180_000);

  it("continues a run with a diverged seed: still frozen, still reported, the other seed bit for bit", async () => {
    const spec = { kind: "adam", lr: 0.05 } as OptimizerSpec;
    const whole = await trainOnce(spec, undefined, true);
    expect(whole.diverged).toHaveLength(1);
    expect(whole.diverged[0]!.seedIndex).toBe(1);
    expect(whole.diverged[0]!.step).toBeLessThan(7);
    const resumed = await trainOnce(spec, { snapshot: whole.snapshots.get(14)!, probeState: whole.probeStates.get(14)! }, true);
    expect(resumed.diverged).toEqual(whole.diverged);
    for (const [step, values] of resumed.records) expect(values, `step ${step}`).toEqual(whole.records.get(step));
    resumed.params.forEach((p, i) => expect(Buffer.from(p.buffer).equals(Buffer.from(whole.params[i]!.buffer)), `parameter ${i}`).toBe(true));
  }, 180_000);
});
