import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model, Param } from "../../contract/model.js";
import { createOptimizer, type OptimizerSpec } from "../../runtime/optim.js";
import { Rng } from "../../runtime/rng.js";
import { train, trainingPlan, type ProbeContext, type ProbeRecord, type TrainConfig } from "../../runtime/train/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// ---------- a tiny seed-batched model, built here so the loop is tested independently of runtime/nn ----------

/** y = tanh(x·W1 + b1)·W2 + b2, parameters `[S, …]`, initialised per seed from `Rng(seed).fork("init")`. */
function tinyMlp(seeds: readonly number[], inDim: number, hidden: number, outDim: number): Model {
  const draw = (count: number, scale: number, label: string) => {
    const out = new Float32Array(seeds.length * count);
    seeds.forEach((seed, s) => {
      const rng = new Rng(seed).fork("init").fork(label);
      for (let i = 0; i < count; i++) out[s * count + i] = scale * rng.normal();
    });
    return out;
  };
  const S = seeds.length;
  const param = (layer: string, role: "weight" | "bias", shape: number[], scale: number): Param => ({
    name: `${layer}.${role}`,
    layer,
    role,
    variable: tf.variable(tf.tensor(draw(shape.slice(1).reduce((a, b) => a * b, 1), scale, `${layer}.${role}`), shape)),
  });
  const params = [
    param("hidden0", "weight", [S, inDim, hidden], 1 / Math.sqrt(inDim)),
    param("hidden0", "bias", [S, hidden], 0.1),
    param("out", "weight", [S, hidden, outDim], 1 / Math.sqrt(hidden)),
    param("out", "bias", [S, outDim], 0.1),
  ];
  const [w1, b1, w2, b2] = params.map((p) => p.variable) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  return {
    seeds: S,
    layerNames: ["hidden0", "out"],
    layers: [],
    params,
    state: [],
    forward: (x) =>
      tf.tidy(() => {
        const h = tf.tanh(tf.add(tf.matMul(x as tf.Tensor3D, w1 as tf.Tensor3D), tf.expandDims(b1, 1)));
        return tf.add(tf.matMul(h, w2 as tf.Tensor3D), tf.expandDims(b2, 1));
      }),
    dispose: () => params.forEach((p) => p.variable.dispose()),
  };
}

/** y = w·x + b per seed (`[S, 1, 1]` and `[S, 1]`), for closed-form gradient checks. */
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

function dataset(name: string, xs: number[], f: (x: number) => number): Dataset {
  return { name, n: xs.length, xShape: [1], x: Float32Array.from(xs), yDim: 1, y: Float32Array.from(xs.map(f)) };
}

const grid = (n: number) => Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));

let live: Model[] = [];
afterEach(() => {
  live.forEach((m) => m.dispose());
  live = [];
});
const keep = <M extends Model>(m: M): M => (live.push(m), m);

function baseConfig(model: Model, data: Dataset | Dataset[], spec: OptimizerSpec, extra: Partial<TrainConfig> = {}): TrainConfig {
  return {
    model,
    optimizer: createOptimizer(spec, model.params),
    loss: "mse",
    data,
    seeds: Array.from({ length: model.seeds }, (_, i) => i),
    duration: { steps: 10 },
    batch: "full",
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------------------

describe("full-batch GD against a float64 hand computation", () => {
  it("a linear model with mse follows w ← w − lr·(2/n)Σ(wx + b − y)x for each seed separately", async () => {
    const xs = grid(5);
    const data = dataset("train", xs, (x) => 3 * x - 1);
    const w0 = [0.5, -2];
    const b0 = [0, 1.5];
    const model = keep(linearModel(w0, b0));
    const lr = 0.1;
    await train(baseConfig(model, data, { kind: "gd", lr }, { seeds: [11, 12], duration: { steps: 7 } }));
    const expected = w0.map((w, s) => {
      let b = b0[s]!;
      for (let t = 0; t < 7; t++) {
        const r = xs.map((x) => w * x + b - (3 * x - 1));
        const gw = (2 / xs.length) * r.reduce((a, ri, i) => a + ri * xs[i]!, 0);
        const gb = (2 / xs.length) * r.reduce((a, ri) => a + ri, 0);
        w -= lr * gw;
        b -= lr * gb;
      }
      return [w, b];
    });
    const w = model.params[0]!.variable.dataSync();
    const b = model.params[1]!.variable.dataSync();
    expected.forEach(([we, be], s) => {
      expect(w[s]).toBeCloseTo(we!, 5);
      expect(b[s]).toBeCloseTo(be!, 5);
    });
  });

  it("adds the L2 term λ‖θ‖² to each seed's objective (gradient 2λθ)", async () => {
    const xs = grid(4);
    const data = dataset("train", xs, () => 0);
    const model = keep(linearModel([1], [0]));
    // Targets 0 and b = 0 stay 0: dL/dw = (2/n)Σx²·w + 2λw.
    const lam = 0.25;
    const lr = 0.05;
    await train(baseConfig(model, data, { kind: "gd", lr }, { l2: lam, duration: { steps: 5 } }));
    const sx2 = xs.reduce((a, x) => a + x * x, 0);
    let w = 1;
    for (let t = 0; t < 5; t++) w -= lr * ((2 / xs.length) * sx2 * w + 2 * lam * w);
    expect(model.params[0]!.variable.dataSync()[0]).toBeCloseTo(w, 6);
  });
});

describe("batching", () => {
  const n = 10;
  const data = dataset("train", grid(n), (x) => x * x);

  async function batchLog(batch: TrainConfig["batch"], seeds: number[], steps: number, spec: OptimizerSpec = { kind: "sgd", lr: 0.01 }) {
    const model = keep(tinyMlp(seeds, 1, 4, 1));
    const log: { step: number; indices: Int32Array[]; x: number[][] }[] = [];
    const probe = {
      name: "batch",
      cadence: { kind: "every" as const, n: 1, unit: "steps" as const },
      run: (ctx: ProbeContext) => {
        if (ctx.batch) log.push({ step: ctx.step, indices: ctx.batch.indices.map((a) => a.slice()), x: ctx.batch.x.arraySync() as number[][] });
      },
    };
    const init = model.params.map((p) => Array.from(p.variable.dataSync()));
    await train({ ...baseConfig(model, data, spec), seeds, batch, duration: { steps }, probes: [probe] });
    return { log, init };
  }

  it("shuffles every epoch: each epoch is a permutation from the seed's own `batches` stream, last batch partial", async () => {
    const seeds = [3, 4];
    const { log } = await batchLog({ size: 4 }, seeds, 9);
    expect(trainingPlan(n, { size: 4 }, { epochs: 3 })).toEqual({ batchSize: 4, stepsPerEpoch: 3, totalSteps: 9 });
    expect(log.map((l) => l.indices[0]!.length)).toEqual([4, 4, 2, 4, 4, 2, 4, 4, 2]);
    seeds.forEach((seed, s) => {
      const rng = new Rng(seed).fork("batches");
      for (let epoch = 0; epoch < 3; epoch++) {
        const seen = log.slice(epoch * 3, epoch * 3 + 3).flatMap((l) => Array.from(l.indices[s]!));
        expect(seen).toEqual(Array.from(rng.permutation(n)));
      }
    });
    expect(Array.from(log[0]!.indices[0]!)).not.toEqual(Array.from(log[0]!.indices[1]!));
  });

  it("`shuffle once` reuses one fixed partition in the same order every epoch", async () => {
    const { log } = await batchLog({ size: 3, shuffle: "once" }, [9], 8);
    const perm = Array.from(new Rng(9).fork("batches").permutation(n));
    const expected = [perm.slice(0, 3), perm.slice(3, 6), perm.slice(6, 9), perm.slice(9)];
    expect(log.map((l) => Array.from(l.indices[0]!))).toEqual([...expected, ...expected]);
  });

  it("gathers the rows the indices name, also from per-seed datasets", async () => {
    const seeds = [1, 2];
    const perSeed = [dataset("a", grid(n), (x) => x), dataset("b", grid(n).map((x) => 10 + x), (x) => x)];
    const model = keep(tinyMlp(seeds, 1, 3, 1));
    const seen: { idx: Int32Array[]; x: number[][][] }[] = [];
    await train({
      ...baseConfig(model, perSeed, { kind: "sgd", lr: 0.01 }),
      seeds,
      batch: { size: 4 },
      duration: { steps: 3 },
      probes: [{ name: "b", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx) => void (ctx.batch && seen.push({ idx: ctx.batch.indices.map((a) => a.slice()), x: ctx.batch.x.arraySync() as number[][][] })) }],
    });
    expect(seen).toHaveLength(3);
    for (const { idx, x } of seen) {
      idx.forEach((rows, s) => rows.forEach((r, i) => expect(x[s]![i]![0]).toBeCloseTo(perSeed[s]!.x[r]!, 6)));
    }
  });

  it("runs with different optimizers from one seed see one initialisation and one minibatch sequence", async () => {
    const a = await batchLog({ size: 4 }, [5, 6], 6, { kind: "adam", lr: 1e-2 });
    const b = await batchLog({ size: 4 }, [5, 6], 6, { kind: "sgd", lr: 0.1, momentum: 0.9 });
    expect(a.init).toEqual(b.init);
    expect(a.log.map((l) => l.indices.map((i) => Array.from(i)))).toEqual(b.log.map((l) => l.indices.map((i) => Array.from(i))));
  });
});

describe("probes, events and progress in the loop", () => {
  it("runs probes at step 0 (before any update) … end, with the loss of the batch at the current parameters", async () => {
    const xs = grid(6);
    const data = dataset("train", xs, (x) => 2 * x);
    const model = keep(linearModel([0.3], [0.2]));
    const records: ProbeRecord[] = [];
    const result = await train(
      baseConfig(model, data, { kind: "gd", lr: 0.1 }, {
        duration: { steps: 6 },
        probes: [
          {
            name: "w_and_loss",
            cadence: [{ kind: "every", n: 2, unit: "steps" }, { kind: "at", points: ["end"] }],
            run: (ctx) => ({ w: ctx.model.params[0]!.variable.dataSync()[0]!, b: ctx.model.params[1]!.variable.dataSync()[0]!, loss: ctx.loss ? ctx.loss.perSeed.dataSync()[0]! : null, lr: ctx.lr }),
          },
        ],
        recorder: { probe: (r) => void records.push(r) },
      }),
    );
    expect(result.stepsDone).toBe(6);
    expect(records.map((r) => r.step)).toEqual([0, 2, 4, 6]);
    for (const r of records) {
      const v = r.value as { w: number; b: number; loss: number | null; lr: number | null };
      if (r.step === 6) {
        expect(v.loss).toBeNull();
        expect(v.lr).toBeNull();
        continue;
      }
      const mse = xs.reduce((a, x) => a + (v.w * x + v.b - 2 * x) ** 2, 0) / xs.length;
      expect(v.loss).toBeCloseTo(mse, 5);
      expect(v.lr).toBe(0.1);
    }
    expect((records[0]!.value as { w: number }).w).toBeCloseTo(0.3, 6);
  });

  it("an observing probe sees every step's batch at the parameters its update starts from, after that step's measurement, never at end", async () => {
    // Minibatches of 2 of 6 rows, so each step's batch differs; w follows gd by hand: w ← w − lr·(2/B)Σ(wx + b − y)x.
    const xs = grid(6);
    const data = dataset("train", xs, (x) => 2 * x);
    const model = keep(linearModel([0.3], [0.2]));
    const order: string[] = [];
    const seen: { step: number; w: number; b: number; rows: number[]; lr: number | null; seeds: readonly number[] }[] = [];
    const read = (ctx: ProbeContext) => ({ w: ctx.model.params[0]!.variable.dataSync()[0]!, b: ctx.model.params[1]!.variable.dataSync()[0]! });
    await train(
      baseConfig(model, data, { kind: "sgd", lr: 0.1 }, {
        duration: { steps: 5 },
        batch: { size: 2 },
        probes: [
          {
            name: "watcher",
            cadence: { kind: "every", n: 2, unit: "steps" },
            run: (ctx) => void order.push(`measure ${ctx.step}`),
            observe: (ctx) => {
              order.push(`observe ${ctx.step}`);
              seen.push({ step: ctx.step, ...read(ctx), rows: Array.from(ctx.batch!.x.dataSync()), lr: ctx.lr, seeds: ctx.seedIndices });
            },
          },
        ],
      }),
    );
    expect(order).toEqual(["measure 0", "observe 0", "observe 1", "measure 2", "observe 2", "observe 3", "measure 4", "observe 4"]);
    let [w, b] = [0.3, 0.2];
    for (const v of seen) {
      expect(v.w).toBeCloseTo(w, 6);
      expect(v.b).toBeCloseTo(b, 6);
      expect(v.lr).toBe(0.1);
      expect(v.seeds).toEqual([0]);
      const [gw, gb] = v.rows.reduce(([a, c], x) => [a + (2 / v.rows.length) * (w * x + b - 2 * x) * x, c + (2 / v.rows.length) * (w * x + b - 2 * x)], [0, 0]);
      [w, b] = [w - 0.1 * gw, b - 0.1 * gb];
    }
    expect(model.params[0]!.variable.dataSync()[0]!).toBeCloseTo(w, 5);
  });

  it("fires an event at the first probed step a seed's loss drops below a threshold and runs the triggered probe for that seed", async () => {
    const seeds = [0, 1, 2];
    const data = dataset("train", grid(8), (x) => 0.5 * x);
    const model = keep(linearModel([2, 0.6, -1], [0, 0, 0]));
    const losses = new Map<number, Float32Array>();
    const triggered: ProbeRecord[] = [];
    const result = await train(
      baseConfig(model, data, { kind: "gd", lr: 0.2 }, {
        seeds,
        duration: { steps: 30 },
        probes: [
          { name: "loss", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx) => (ctx.loss ? ctx.loss.perSeed.dataSync().slice() : null) },
          { name: "snap", cadence: { kind: "on", event: "low" }, run: (ctx) => ctx.seedIndices.map((s) => ctx.model.params[0]!.variable.dataSync()[s]) },
        ],
        events: [{ name: "low", watch: "loss", condition: (v) => (v ? Array.from(v as Float32Array, (l) => l < 0.01) : false) }],
        recorder: { probe: (r) => void (r.probe === "loss" && r.value ? losses.set(r.step, r.value as Float32Array) : r.probe === "snap" && triggered.push(r)) },
      }),
    );
    const firstBelow = seeds.map((s) => [...losses.entries()].find(([, v]) => v[s]! < 0.01)?.[0] ?? -1);
    expect(Array.from(result.events.get("low")!)).toEqual(firstBelow);
    expect(firstBelow.every((st) => st >= 0)).toBe(true);
    expect(new Set(firstBelow).size).toBeGreaterThan(1); // seeds cross at different steps
    for (const r of triggered) expect(r.seedIndices.every((s) => firstBelow[s] === r.step)).toBe(true);
    expect(triggered.flatMap((r) => r.seedIndices).sort()).toEqual([0, 1, 2]);
  });

  it("reports progress at its cadence and at the end, with per-seed losses read back", async () => {
    const model = keep(tinyMlp([1, 2], 1, 3, 1));
    const steps: number[] = [];
    await train({
      ...baseConfig(model, dataset("t", grid(5), (x) => x), { kind: "adam", lr: 0.01 }),
      duration: { steps: 7 },
      progressEvery: 3,
      recorder: { progress: (p) => void (steps.push(p.step), expect(p.loss === null ? p.step === 7 : p.loss.length === 2).toBe(true)) },
    });
    expect(steps).toEqual([0, 3, 6, 7]);
  });
});

describe("stopping on a signal", () => {
  it("an aborted stop ends training at the next step boundary: steps up to it are trained and measured, none after", async () => {
    const xs = grid(5);
    const data = dataset("train", xs, (x) => 3 * x - 1);
    const model = keep(linearModel([0.5], [0]));
    const stop = new AbortController();
    const steps: number[] = [];
    const lr = 0.1;
    const result = await train(
      baseConfig(model, data, { kind: "gd", lr }, {
        duration: { steps: 50 },
        stop: stop.signal,
        probes: [{ name: "w", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx) => (ctx.step === 4 && stop.abort("SIGTERM"), ctx.step) }],
        recorder: { probe: (r) => void steps.push(r.step) },
      }),
    );
    expect([result.interrupted, result.stepsDone, result.totalSteps]).toEqual([true, 5, 50]);
    expect(steps).toEqual([0, 1, 2, 3, 4]);
    // Update 4 (after step 4's probes) was applied: w is the hand-computed GD iterate after 5 updates.
    let [w, b] = [0.5, 0];
    for (let t = 0; t < 5; t++) {
      const r = xs.map((x) => w * x + b - (3 * x - 1));
      [w, b] = [w - lr * (2 / xs.length) * r.reduce((a, ri, i) => a + ri * xs[i]!, 0), b - lr * (2 / xs.length) * r.reduce((a, ri) => a + ri, 0)];
    }
    expect(model.params[0]!.variable.dataSync()[0]).toBeCloseTo(w, 5);
  });

  it("yields to the event loop while it trains, so a timer (like a signal handler) can stop it", async () => {
    const model = keep(linearModel([0.5], [0]));
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort("SIGINT"), 100);
    const started = Date.now();
    const result = await train(baseConfig(model, dataset("train", grid(8), (x) => x), { kind: "sgd", lr: 0.01 }, { duration: { steps: 10_000_000 }, stop: stop.signal }));
    clearTimeout(timer);
    expect(result.interrupted).toBe(true);
    expect(result.stepsDone).toBeGreaterThan(0);
    expect(result.stepsDone).toBeLessThan(10_000_000);
    expect(Date.now() - started).toBeLessThan(2000); // the timer fired ~100 ms in; the loop saw it within a turn
  });
});

describe("memory", () => {
  it("tf.memory().numTensors is constant across steps (minibatch Adam with L2 and probes reading the loss)", async () => {
    const model = keep(tinyMlp([1, 2, 3], 1, 5, 1));
    const counts: number[] = [];
    await train({
      ...baseConfig(model, dataset("t", grid(12), (x) => Math.sin(3 * x)), { kind: "adam", lr: 0.01 }),
      batch: { size: 5 },
      l2: 1e-3,
      duration: { steps: 12 },
      probes: [{ name: "mem", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx) => (ctx.loss?.perSeed.dataSync(), counts.push(tf.memory().numTensors)) }],
    });
    expect(new Set(counts.slice(1, -1)).size).toBe(1);
    const before = tf.memory().numTensors;
    // A whole run (data upload, full batch, divergence mask, optimizer state) leaves nothing behind once
    // the caller disposes the optimizer it created.
    const config = { ...baseConfig(model, dataset("t", grid(12), (x) => x), { kind: "sgd", lr: 0.01, momentum: 0.5 }), duration: { steps: 5 } };
    await train(config);
    config.optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("divergence", () => {
  // Seed index 1 gets inputs ×40: GD with lr 0.1 on a linear model then explodes (curvature 2·mean(x²) ≫ 2/lr).
  const xs = grid(6);
  const calm = dataset("calm", xs, (x) => x);
  const wild = dataset("wild", xs.map((x) => 40 * x), (x) => x);

  it("stops with RUN020 naming the seed and the first non-finite step, keeps the others untouched and the records", async () => {
    const model = keep(linearModel([0.1, 0.1, -0.3], [0, 0, 0]));
    const lossByStep: Float32Array[] = [];
    const diverged: number[] = [];
    const run = train(
      baseConfig(model, [calm, wild, calm], { kind: "gd", lr: 0.1 }, {
        seeds: [10, 11, 12],
        duration: { steps: 200 },
        probes: [{ name: "loss", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx) => ctx.loss && lossByStep.push(Float32Array.from(ctx.loss.perSeed.dataSync())) }],
        recorder: { diverged: (d) => void diverged.push(...d.map((x) => x.seed)) },
      }),
    );
    const firstBad = () => lossByStep.findIndex((l) => !Number.isFinite(l[1]!));
    await expect(run).rejects.toThrow(DyncRuntimeError);
    await run.catch((e: DyncRuntimeError) => {
      expect(e.code).toBe("RUN020");
      expect(e.message).toContain(`seed 11 at step ${firstBad()}`);
      expect(e.message).toContain("1 of 3 seeds");
    });
    expect(firstBad()).toBeGreaterThan(0);
    expect(diverged).toEqual([11]);
    expect(lossByStep).toHaveLength(200); // the other seeds trained to the end
    // The healthy seeds equal a run without the wild seed.
    const clean = keep(linearModel([0.1, -0.3], [0, 0]));
    await train(baseConfig(clean, calm, { kind: "gd", lr: 0.1 }, { seeds: [10, 12], duration: { steps: 200 } }));
    const w = model.params[0]!.variable.dataSync();
    const wc = clean.params[0]!.variable.dataSync();
    expect([w[0], w[2]]).toEqual([wc[0], wc[1]]);
    expect(Number.isFinite(w[1]!)).toBe(true); // frozen at its last update, not NaN
  });

  it("a single diverging run stops early with RUN020 and keeps what was recorded", async () => {
    const model = keep(linearModel([0.1], [0]));
    const records: number[] = [];
    const run = train(
      baseConfig(model, wild, { kind: "gd", lr: 0.1 }, {
        seeds: [7],
        duration: { steps: 1000 },
        checkDivergenceEvery: 5,
        probes: [{ name: "loss", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx) => ctx.loss?.perSeed.dataSync()[0] }],
        recorder: { probe: (r) => void records.push(r.value as number) },
      }),
    );
    await expect(run).rejects.toThrow(/training diverged: the loss became NaN or infinite \(seed 7 at step \d+\)/);
    const bad = records.findIndex((v) => !Number.isFinite(v));
    await run.catch((e: Error) => expect(e.message).toContain(`step ${bad}`));
    // Probes ran every step, so the check stopped at once; then only the `end` step's probes run (a batch
    // loss has no value there), the steps in between are reported not measured.
    expect(records.length).toBe(bad + 2);
    expect(records[bad + 1]).toBeUndefined();
    expect(records.length).toBeLessThan(1000);
  });

  it("with onDivergence: continue, reports diverged seeds in the result instead of throwing", async () => {
    const model = keep(linearModel([0.1, 0.1], [0, 0]));
    const result = await train(baseConfig(model, [calm, wild], { kind: "gd", lr: 0.1 }, { seeds: [1, 2], duration: { steps: 100 }, onDivergence: "continue" }));
    expect(result.diverged.map((d) => d.seed)).toEqual([2]);
    expect(result.stepsDone).toBe(100);
  });
});

describe("configuration errors", () => {
  it("name the cause with RUN040", async () => {
    const model = keep(tinyMlp([1, 2], 1, 2, 1));
    const data = dataset("t", grid(4), (x) => x);
    await expect(train(baseConfig(model, data, { kind: "sgd", lr: 0.1 }, { seeds: [1] }))).rejects.toThrow(/1 seed values given for a model with 2 seeds/);
    const other = keep(tinyMlp([1, 2], 1, 2, 1));
    await expect(train({ ...baseConfig(model, data, { kind: "sgd", lr: 0.1 }), optimizer: createOptimizer({ kind: "sgd", lr: 0.1 }, other.params) })).rejects.toThrow(/different parameters/);
    await expect(train(baseConfig(model, [data, dataset("u", grid(5), (x) => x)], { kind: "sgd", lr: 0.1 }))).rejects.toThrow(/per-seed datasets must agree/);
    await expect(train(baseConfig(model, data, { kind: "sgd", lr: 0.1 }, { batch: { size: 0 } }))).rejects.toThrow(/batch size must be/);
  });
});
