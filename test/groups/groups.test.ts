/**
 * The groups family against independent truth computed in float64 JS:
 *  - `grad_norm` of a linear model under ½·MSE against its closed-form gradient (1/m)·Σ rᵢ·[xᵢ, 1], and of a
 *    tanh MLP against central finite differences of a hand-written float64 loss, per layer and in total;
 *  - `per_sample_loss` against the hand-computed losses, and the training step's losses (a shuffled full
 *    batch) against the forward pass they replace;
 *  - groups: listed rows, `random_subset` (distinct rows, per seed, reproducible), rows outside the data set.
 * Tolerances: float32 forward/backward over ≤ 24 rows (~1e-6 relative); finite differences (h = 1e-5,
 * float64) are accurate to ~1e-9.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import type { Model } from "../../contract/model.js";
import { dataRefRows } from "../../contract/program.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { Rng } from "../../runtime/rng.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { EvalData, measureProbe, RunProbeEnv } from "../../stdlib/probes/index.js";
import { groupOf, groupRows } from "../../stdlib/probes/env.js";
import { layerSquaredGradientNorms, perSampleLosses, trainingStepLosses } from "../../stdlib/groups/index.js";
import { expectRuntimeError } from "../runtime/expect-runtime-error.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

function dataset(name: string, n: number, inDim: number, seed: number): Dataset {
  const rng = new Rng(seed).fork("data");
  const x = Float32Array.from({ length: n * inDim }, () => rng.uniformIn(-1.5, 1.5));
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(2 * x[i * inDim]!) + 0.3 * x[i * inDim + inDim - 1]!);
  return { name, n, xShape: [inDim], x, yDim: 1, y };
}

/** Seed s's parameters in model order, as float64 numbers. */
function seedParams(model: Model, s: number): Float64Array[] {
  return model.params.map((p) => {
    const all = p.variable.dataSync();
    const size = p.variable.size / model.seeds;
    return Float64Array.from(all.subarray(s * size, (s + 1) * size));
  });
}

/** ½·(f(x) − y)² averaged over `rows` for a 1-hidden-layer tanh net with parameters [W0 (d×h), b0, W1 (h×1), b1], float64. */
function tanhNetLoss(p: readonly Float64Array[], d: Dataset, rows: readonly number[], inDim: number, hidden: number): number {
  const [w0, b0, w1, b1] = p as [Float64Array, Float64Array, Float64Array, Float64Array];
  let sum = 0;
  for (const r of rows) {
    let out = b1[0]!;
    for (let j = 0; j < hidden; j++) {
      let z = b0[j]!;
      for (let i = 0; i < inDim; i++) z += d.x[r * inDim + i]! * w0[i * hidden + j]!;
      out += Math.tanh(z) * w1[j]!;
    }
    sum += 0.5 * (out - d.y[r]!) ** 2;
  }
  return sum / rows.length;
}

/** Central finite-difference gradient of `loss` at `p`, parameter by parameter. */
function finiteDifferenceGradient(p: readonly Float64Array[], loss: (q: readonly Float64Array[]) => number, h = 1e-5): Float64Array[] {
  return p.map((block, b) =>
    Float64Array.from(block, (_, k) => {
      const shifted = (delta: number) => loss(p.map((q, c) => (c === b ? Float64Array.from(q, (v, j) => (j === k ? v + delta : v)) : q)));
      return (shifted(h) - shifted(-h)) / (2 * h);
    }),
  );
}

const squaredNorm = (v: ArrayLike<number>) => Array.from(v).reduce((a, x) => a + x * x, 0);
const ctx = (over: Partial<ProbeContext> = {}) => ({ seeds: [3, 8], seedIndices: [0, 1], ...over }) as unknown as ProbeContext;

describe("grad_norm", () => {
  it("equals the closed-form gradient norm of a linear model under ½·MSE, per seed", () => {
    const model = mlp({ inDim: 3, hidden: [], outDim: 1, act: "identity", seeds: [3, 8] });
    const sets = [dataset("train", 24, 3, 1), dataset("train", 24, 3, 2)];
    const squares = layerSquaredGradientNorms(model, new EvalData(sets, 2), "half_mse");
    sets.forEach((d, s) => {
      const [w, b] = seedParams(model, s) as [Float64Array, Float64Array];
      const g = [0, 0, 0, 0];
      for (let i = 0; i < d.n; i++) {
        const r = w[0]! * d.x[3 * i]! + w[1]! * d.x[3 * i + 1]! + w[2]! * d.x[3 * i + 2]! + b[0]! - d.y[i]!;
        [d.x[3 * i]!, d.x[3 * i + 1]!, d.x[3 * i + 2]!, 1].forEach((a, k) => (g[k]! += (r * a) / d.n));
      }
      expect(squares[s]!.length).toBe(1); // one layer with parameters
      expect(Math.sqrt(squares[s]![0]!) / Math.sqrt(squaredNorm(g)) - 1).toBeCloseTo(0, 5);
    });
  });

  it("matches finite differences of a float64 tanh net per layer and in total, on a group of rows", async () => {
    const model = mlp({ inDim: 2, hidden: [5], outDim: 1, act: "tanh", seeds: [3, 8] });
    const train = dataset("train", 20, 2, 4);
    const rows = [1, 4, 9, 16];
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [train]]]), loss: "half_mse", seeds: [3, 8] });
    const byLayer = (await measureProbe("grad_norm", { model: { ref: "net" }, data: { ref: "train", rows }, by: "layer" }, ctx(), env)) as unknown as { dim: string; fields: { value: Float64Array[] } };
    const total = (await measureProbe("grad_norm", { model: { ref: "net" }, data: { ref: "train", rows } }, ctx(), env)) as Float64Array;
    expect(byLayer.dim).toBe("layer");
    for (let s = 0; s < 2; s++) {
      const fd = finiteDifferenceGradient(seedParams(model, s), (p) => tanhNetLoss(p, train, rows, 2, 5));
      const hidden = Math.sqrt(squaredNorm(fd[0]!) + squaredNorm(fd[1]!));
      const out = Math.sqrt(squaredNorm(fd[2]!) + squaredNorm(fd[3]!));
      expect(byLayer.fields.value[s]![0]! / hidden - 1).toBeCloseTo(0, 4);
      expect(byLayer.fields.value[s]![1]! / out - 1).toBeCloseTo(0, 4);
      expect(total[s]! / Math.hypot(hidden, out) - 1).toBeCloseTo(0, 4);
    }
    env.dispose();
  });
});

describe("per_sample_loss", () => {
  it("is ½·(f(xᵢ) − yᵢ)² of every row, in row order, per seed", async () => {
    const model = mlp({ inDim: 2, hidden: [5], outDim: 1, act: "tanh", seeds: [3, 8] });
    const train = dataset("train", 12, 2, 5);
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [train]]]), loss: "half_mse", seeds: [3, 8] });
    const value = (await measureProbe("per_sample_loss", { model: { ref: "net" }, data: { ref: "train" } }, ctx(), env)) as unknown as { dim: string; fields: { value: Float64Array[] } };
    expect(value.dim).toBe("point");
    for (let s = 0; s < 2; s++) {
      const p = seedParams(model, s);
      // Absolute: a tiny loss ½r² has a large relative float32 error (r is a difference of close numbers).
      for (let i = 0; i < 12; i++) expect(value.fields.value[s]![i]!).toBeCloseTo(tanhNetLoss(p, train, [i], 2, 5), 6);
    }
    env.dispose();
  });

  it("reuses a shuffled full batch's training losses, which equal the forward pass; not for a minibatch or other data", () => {
    const model = mlp({ inDim: 2, hidden: [5], outDim: 1, act: "tanh", seeds: [3, 8] });
    const train = dataset("train", 10, 2, 6);
    const data = new EvalData([train], 2);
    const order = [Int32Array.from(new Rng(1).permutation(10)), Int32Array.from(new Rng(2).permutation(10))];
    // The training step's per-sample loss, computed on the batch in its shuffled order.
    const batch = data.gather(order);
    const perSample = tf.tidy(() => tf.mul(tf.sum(tf.squaredDifference(model.forward(batch.x, { training: true }), batch.y), 2), 0.5)) as tf.Tensor2D;
    const step = ctx({ loss: { perSample } as ProbeContext["loss"], batch: { indices: order, x: batch.x, y: batch.y }, data: { datasets: [train] } as unknown as ProbeContext["data"] });
    const reused = trainingStepLosses(model, data, step)!;
    const forward = perSampleLosses(model, data, "half_mse");
    for (let s = 0; s < 2; s++) for (let i = 0; i < 10; i++) expect(reused[s]![i]! / forward[s]![i]! - 1).toBeCloseTo(0, 5);
    expect(trainingStepLosses(model, data, { ...step, batch: { ...step.batch!, indices: order.map((o) => o.subarray(0, 5)) } })).toBeUndefined();
    expect(trainingStepLosses(model, new EvalData([{ ...train }], 2), step)).toBeUndefined();
    tf.dispose([perSample, batch.x, batch.y]);
    data.dispose();
  });
});

describe("groups of rows", () => {
  const train = dataset("train", 30, 1, 7);

  it("keeps listed rows in the order given, for every seed", () => {
    const [set] = groupRows([train], { rows: [7, 2, 29] }, [0, 1]);
    expect(set!.n).toBe(3);
    expect(Array.from(set!.x)).toEqual([train.x[7], train.x[2], train.x[29]]);
    expect(Array.from(set!.y)).toEqual([train.y[7], train.y[2], train.y[29]]);
  });

  it("draws n distinct rows per seed for random_subset, the same on every call and different per seed", () => {
    const rowsOf = (set: Dataset) => Array.from(set.x, (v) => train.x.indexOf(v));
    const a = groupRows([train], { random: { n: 8, seed: 0 } }, [3, 8]).map(rowsOf);
    const again = groupRows([train], { random: { n: 8, seed: 0 } }, [3, 8]).map(rowsOf);
    const other = groupRows([train], { random: { n: 8, seed: 1 } }, [3, 8]).map(rowsOf);
    expect(a).toEqual(again);
    for (const rows of a) {
      expect(new Set(rows).size).toBe(8);
      expect(rows.every((r) => r >= 0 && r < 30)).toBe(true);
    }
    expect(a[0]).not.toEqual(a[1]);
    expect(other[0]).not.toEqual(a[0]);
  });

  it("count their rows for `dync plan`'s cost: the listed rows, n drawn (at most the data set), or the whole set", () => {
    expect(dataRefRows({ ref: "train", rows: [4, 2, 9] }, 30)).toBe(3);
    expect(dataRefRows({ ref: "train", random: { n: 8, seed: 0 } }, 30)).toBe(8);
    expect(dataRefRows({ ref: "train", random: { n: 80, seed: 0 } }, 30)).toBe(30);
    expect(dataRefRows({ ref: "train" }, 30)).toBe(30);
    expect(dataRefRows({ ref: "train" }, undefined)).toBeUndefined();
  });

  it("refuses malformed groups in a hand-written program's arguments (RUN040) rather than use the whole set", () => {
    expect(groupOf({ ref: "train" })).toBeUndefined();
    expectRuntimeError(() => groupOf({ ref: "train", rows: "0..3" }), "RUN040", /non-empty list of whole numbers/);
    expectRuntimeError(() => groupOf({ ref: "train", rows: [1.5] }), "RUN040", /non-empty list of whole numbers/);
    expectRuntimeError(() => groupOf({ ref: "train", random: { n: 0, seed: 0 } }), "RUN040", /whole n ≥ 1/);
  });

  it("names the row and the data set's size when a row is outside it (RUN040)", () => {
    expectRuntimeError(() => groupRows([train], { rows: [3, 30] }, [0]), "RUN040", /row 30 of group train\[…\] is outside data set "train" \(rows 0 to 29\)/);
    expectRuntimeError(() => groupRows([train], { random: { n: 31, seed: 0 } }, [0]), "RUN040", /random_subset\(train, 31\) asks for more rows than data set "train" has \(30\)/);
  });
});
