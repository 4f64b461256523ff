/**
 * `sharpness`: the top Hessian eigenvalue by power iteration on seed-batched Hessian-vector products, against
 * independent truth computed in float64 JS —
 *  - a linear model under ½·MSE, whose Hessian is the closed form [X 1]ᵀ[X 1]/n (per seed: its own data),
 *    solved by Jacobi eigen-decomposition;
 *  - a small tanh MLP, whose full Hessian is built by central finite differences of a hand-written float64
 *    loss and solved the same way;
 * and seed batching: S = 2 batched gives each seed exactly what that seed alone gives.
 * Cross-entropy (a linear softmax model, finite-difference Hessian) is checked too: tfjs's own logSumExp
 * cannot be differentiated twice, so the probe computes it with a differentiable exp.
 * Tolerances: the HVPs are float32 (relative rounding ~1e-6 per product, summed over ≤ 20 terms), and the
 * Rayleigh quotient is second-order in the eigenvector error, so 1e-4 relative is float32 rounding plus a
 * converged iteration; finite differences (h = 1e-4, float64) are accurate to ~1e-7.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureGradients, selectBackend } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model } from "../../contract/model.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { Rng } from "../../runtime/rng.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { EvalData, measureProbe, RunProbeEnv, topHessianEigenvalue } from "../../stdlib/probes/index.js";
import { symmetricEigen } from "../../numerics/linalg.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

/** A regression data set of `n` rows of `inDim` inputs, float32-exact, with a nonlinear target. */
function dataset(name: string, n: number, inDim: number, seed: number): Dataset {
  const rng = new Rng(seed).fork("data");
  const x = Float32Array.from({ length: n * inDim }, () => rng.uniformIn(-1.5, 1.5));
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(2 * x[i * inDim]!) + 0.3 * x[i * inDim + inDim - 1]!);
  return { name, n, xShape: [inDim], x, yDim: 1, y };
}

/** Largest eigenvalue of a symmetric float64 matrix (Jacobi). */
const topEigen = (h: number[][]): number => symmetricEigen(h).values[0]!;

/** Seed s's parameters in model order, as float64 numbers. */
function seedParams(model: Model, s: number): Float64Array[] {
  return model.params.map((p) => {
    const all = p.variable.dataSync();
    const size = p.variable.size / model.seeds;
    return Float64Array.from(all.subarray(s * size, (s + 1) * size));
  });
}

const converged = { iters: 400, tol: 1e-7 };

describe("sharpness of a linear model (quadratic loss)", () => {
  it("equals the top eigenvalue of [X 1]ᵀ[X 1]/n for each seed's own data, all rows and an evenly spaced subset", () => {
    const model = mlp({ inDim: 3, hidden: [], outDim: 1, act: "identity", seeds: [4, 9] });
    const sets = [dataset("train", 24, 3, 1), dataset("train", 24, 3, 2)];
    // Make seed 1's inputs much larger so the two seeds' Hessians really differ.
    sets[1] = { ...sets[1]!, x: sets[1]!.x.map((v) => 2 * v) };
    const data = new EvalData(sets, 2);
    const closedForm = (d: Dataset, rows: number[]): number => {
      const design = rows.map((r) => [...Array.from(d.x.subarray(r * 3, r * 3 + 3)), 1]);
      const h = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => design.reduce((a, row) => a + row[i]! * row[j]!, 0) / rows.length));
      return topEigen(h);
    };
    const all = [...Array(24).keys()];
    const before = tf.memory().numTensors;
    const full = topHessianEigenvalue(model, data, "half_mse", { ...converged, seeds: [4, 9] });
    expect(tf.memory().numTensors).toBe(before);
    sets.forEach((d, s) => expect(full.values[s]! / closedForm(d, all) - 1).toBeCloseTo(0, 4));
    expect(full.values[1]! / full.values[0]!).toBeGreaterThan(2); // the seeds were measured separately

    // samples: 8 → rows ⌊k·24/8⌋ = 0, 3, 6, …, 21; batch: 3 splits them into three HVP passes.
    const sub = topHessianEigenvalue(model, data, "half_mse", { ...converged, samples: 8, batch: 3, seeds: [4, 9] });
    const rows = [0, 3, 6, 9, 12, 15, 18, 21];
    sets.forEach((d, s) => expect(sub.values[s]! / closedForm(d, rows) - 1).toBeCloseTo(0, 4));
    // mse is twice ½·mse, so its Hessian is too.
    const mse = topHessianEigenvalue(model, data, "mse", { ...converged, seeds: [4, 9] });
    sets.forEach((_, s) => expect(mse.values[s]! / (2 * full.values[s]!) - 1).toBeCloseTo(0, 4));
    data.dispose();
    model.dispose();
  });
});

describe("sharpness under cross-entropy", () => {
  it("of a linear softmax model equals the top eigenvalue of the finite-difference Hessian (large logits too)", () => {
    const n = 12;
    const classes = 3;
    const rng = new Rng(3).fork("softmax");
    const x = Float32Array.from({ length: n * 2 }, () => rng.uniformIn(-2, 2));
    const labels = Array.from({ length: n }, (_, i) => i % classes);
    const y = Float32Array.from({ length: n * classes }, (_, k) => (labels[Math.floor(k / classes)] === k % classes ? 1 : 0));
    const model = mlp({ inDim: 2, hidden: [], outDim: classes, act: "identity", seeds: [1, 2] });
    // Seed 1's logits are shifted by +60 (bias): logsumexp must not overflow, and the Hessian is unchanged by a common shift.
    const bias = model.params.find((p) => p.role === "bias")!;
    const shifted = Float32Array.from(bias.variable.dataSync(), (b, i) => (i >= classes ? b + 60 : b));
    bias.variable.assign(tf.tensor(shifted, bias.variable.shape));
    const data = new EvalData([{ name: "train", n, xShape: [2], x, yDim: classes, y }], 2);
    const result = topHessianEigenvalue(model, data, "cross_entropy", { ...converged, seeds: [1, 2] });
    for (const s of [0, 1]) {
      const [w, b] = seedParams(model, s) as [Float64Array, Float64Array]; // w [2×3] row-major, b [3]
      const theta = Float64Array.from([...w, ...b]);
      const loss = (t: Float64Array): number => {
        let total = 0;
        for (let i = 0; i < n; i++) {
          const z = [0, 1, 2].map((c) => t[6 + c]! + x[2 * i]! * t[c]! + x[2 * i + 1]! * t[3 + c]!);
          const top = Math.max(...z);
          total += top + Math.log(z.reduce((a, zc) => a + Math.exp(zc - top), 0)) - z[labels[i]!]!;
        }
        return total / n;
      };
      const { values } = symmetricEigen(finiteDifferenceHessian(theta, loss));
      expect(values[0]!).toBeGreaterThan(0.05);
      expect(result.values[s]! / values[0]! - 1).toBeCloseTo(0, 3);
    }
    data.dispose();
    model.dispose();
  });
});

// A 2 → 4 → 1 tanh net under ½·MSE; θ is seed s's parameters in model order (W1 [2×4], b1 [4], W2 [4×1], b2 [1]).
const IN = 2;
const HID = 4;

function tanhLossF64(theta: Float64Array, d: Dataset): number {
  const w1 = theta.subarray(0, IN * HID);
  const b1 = theta.subarray(IN * HID, IN * HID + HID);
  const w2 = theta.subarray(IN * HID + HID, IN * HID + 2 * HID);
  const b2 = theta[IN * HID + 2 * HID]!;
  let total = 0;
  for (let n = 0; n < d.n; n++) {
    let out = b2;
    for (let j = 0; j < HID; j++) {
      let z = b1[j]!;
      for (let i = 0; i < IN; i++) z += d.x[n * IN + i]! * w1[i * HID + j]!;
      out += Math.tanh(z) * w2[j]!;
    }
    total += 0.5 * (out - d.y[n]!) ** 2;
  }
  return total / d.n;
}

/** The full Hessian by 4-point central differences of the float64 loss (error ~h²·L⁗ ≈ 1e-8). */
function finiteDifferenceHessian(theta: Float64Array, loss: (t: Float64Array) => number): number[][] {
  const h = 1e-4;
  const at = (i: number, di: number, j: number, dj: number) => {
    const t = Float64Array.from(theta);
    t[i]! += di;
    t[j]! += dj;
    return loss(t);
  };
  return Array.from({ length: theta.length }, (_, i) =>
    Array.from({ length: theta.length }, (_, j) => (at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h)),
  );
}

for (const backend of ["cpu", "wasm"] as const) describe(`on ${backend}`, () => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  it(`tanh MLP: the top eigenvalue of the finite-difference Hessian, per seed`, () => {
    const model = mlp({ inDim: IN, hidden: [HID], outDim: 1, act: "tanh", seeds: [3, 5], init: "glorot_normal" });
    const d = dataset("train", 16, IN, 7);
    const data = new EvalData([d], 2);
    const result = topHessianEigenvalue(model, data, "half_mse", { ...converged, seeds: [3, 5] });
    for (const s of [0, 1]) {
      const theta = Float64Array.from(seedParams(model, s).flatMap((p) => Array.from(p)));
      const { values } = symmetricEigen(finiteDifferenceHessian(theta, (t) => tanhLossF64(t, d)));
      // Power iteration finds the eigenvalue of largest magnitude; here that is the top one (checked).
      expect(values[0]!).toBeGreaterThan(Math.abs(values[values.length - 1]!));
      expect(result.values[s]! / values[0]! - 1).toBeCloseTo(0, 3);
    }
    expect(Math.abs(result.values[0]! - result.values[1]!)).toBeGreaterThan(1e-3 * result.values[0]!);
    data.dispose();
    model.dispose();
  });

  it("seed batching: S = 2 batched gives each seed what that seed alone gives (values and iteration counts)", () => {
    const seeds = [11, 12];
    const batched = mlp({ inDim: IN, hidden: [HID], outDim: 1, act: "tanh", seeds, init: "glorot_normal" });
    const d = dataset("train", 20, IN, 8);
    const options = { iters: 60, tol: 1e-4 };
    const batchedData = new EvalData([d], 2);
    const together = topHessianEigenvalue(batched, batchedData, "half_mse", { ...options, seeds });
    batchedData.dispose();
    seeds.forEach((seed, s) => {
      const alone = mlp({ inDim: IN, hidden: [HID], outDim: 1, act: "tanh", seeds: [seed], init: "glorot_normal" });
      // Same parameters as seed s of the batched model, copied exactly.
      alone.params.forEach((p, i) => p.variable.assign(tf.tensor(Float32Array.from(seedParams(batched, s)[i]!), p.variable.shape)));
      const data = new EvalData([d], 1);
      const single = topHessianEigenvalue(alone, data, "half_mse", { ...options, seeds: [seed] });
      expect(single.iterations[0]).toBe(together.iterations[s]);
      expect(single.values[0]! / together.values[s]! - 1).toBeCloseTo(0, 5);
      data.dispose();
      alone.dispose();
    });
    batched.dispose();
  });

  afterAll(async () => {
    await tf.setBackend("cpu");
  });
});

describe("the sharpness probe", () => {
  const ctx = { seeds: [1, 2], seedIndices: [0, 1] } as unknown as ProbeContext;

  function env(model: Model, sets: Dataset[]): RunProbeEnv {
    return new RunProbeEnv({ model, modelName: "net", datasets: new Map(sets.map((s) => [s.name, [s]])), loss: "half_mse" });
  }

  it("is registered and reads its knobs; bad knobs and data without targets are clear runtime errors", async () => {
    const model = mlp({ inDim: IN, hidden: [HID], outDim: 1, act: "tanh", seeds: [1, 2] });
    const d = dataset("train", 12, IN, 3);
    const noTargets: Dataset = { ...d, name: "bare", yDim: 0, y: new Float32Array(0) };
    const e = env(model, [d, noTargets]);
    const probe = (a: Record<string, unknown>, c: ProbeContext, env: RunProbeEnv) => measureProbe("sharpness", a, c, env);
    const args = { model: { ref: "net" }, data: { ref: "train" }, iters: 200, tol: 1e-6, samples: null, batch: null };
    const viaProbe = (await probe(args, ctx, e)) as Float64Array;
    const direct = topHessianEigenvalue(model, e.data(args), "half_mse", { iters: 200, tol: 1e-6, seeds: [1, 2] });
    expect(Array.from(viaProbe)).toEqual(Array.from(direct.values));
    expect(viaProbe.every((v) => v > 0)).toBe(true);
    const fails = (over: Record<string, unknown>, pattern: RegExp) => {
      let caught: unknown;
      try {
        probe({ ...args, ...over }, ctx, e);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DyncRuntimeError);
      expect((caught as Error).message).toMatch(pattern);
    };
    fails({ iters: 0 }, /iters must be a whole number/);
    fails({ samples: 2.5 }, /samples must be a whole number/);
    fails({ data: { ref: "bare" } }, /needs targets/);
    e.dispose();
    model.dispose();
  });
});
