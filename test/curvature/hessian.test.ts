/**
 * The curvature toolkit against dense Hessians solved in float64 JS (numerics/linalg symmetricEigen):
 *  - the Hessian-vector product itself: the dense Hessian from exact HVPs on unit vectors equals the one from
 *    central finite differences of gradients (float32 gradients, step 2⁻¹⁰: agreement to ~1e-3 of the largest
 *    entry), for ReLU, tanh, batch norm (batch statistics and running statistics) and a CNN with max pooling
 *    (whose second derivative needed the comparison gradients of runtime/backend.ts);
 *  - `hessian` / `sharpness` at their defaults: the top-3 eigenvalues within 1e-3 relative of the dense
 *    solve, for each of those nets, by Lanczos and by power iteration;
 *  - the finite-difference product against the exact one; the abridged subset and physical batches;
 *    seed batching; the probes' warm start, checkpoint state and eigenvector board;
 *  - Hutchinson's trace and the SLQ density against the dense trace and spectrum.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { mlpLayers } from "../../contract/layer-list.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { symmetricEigen } from "../../numerics/linalg.js";
import { ensureGradients, selectBackend } from "../../runtime/backend.js";
import { setRopHvpEnabled } from "../../runtime/kernels/native-hvp.js";
import type { Dataset } from "../../runtime/dataset.js";
import type { LossKind } from "../../runtime/loss.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { readCheckpointFile, writeCheckpointFile } from "../../runtime/record/checkpoint-file.js";
import { Rng } from "../../runtime/rng.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { HessianOperator, hessianEigenpairs, subsetRows, type HvpOptions } from "../../stdlib/curvature/index.js";
import { hutchinsonTrace, spectralDensity } from "../../stdlib/curvature/spectrum.js";
import { latestEigenpairs } from "../../stdlib/curvature/eigen-board.js";
import { EvalData, RunProbeEnv, startProbe } from "../../stdlib/probes/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

const dense = (name: string, width: number, act: "relu" | "tanh" | null): LayerSpec => ({ name, kind: "dense", width, act, bias: true });
const flatten: LayerSpec = { name: "flat", kind: "flatten" };

/** n rows of `shape` inputs in [−1.5, 1.5] and a smooth target (float32-exact). */
function dataset(n: number, shape: readonly number[], seed: number, yDim = 1): Dataset {
  const rng = new Rng(seed).fork("data");
  const d = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n * d }, () => rng.uniformIn(-1.5, 1.5));
  const y = Float32Array.from({ length: n * yDim }, (_, k) => Math.sin(2 * x[Math.floor(k / yDim) * d]!) + 0.3 * x[Math.floor(k / yDim) * d + d - 1]! * (1 + (k % yDim)));
  return { name: "train", n, xShape: shape, x, yDim, y };
}

interface Net {
  readonly inShape: readonly number[];
  readonly layers: readonly LayerSpec[];
  readonly rows: number;
}

const NETS: Record<string, Net> = {
  relu: { inShape: [3], layers: [dense("h0", 6, "relu"), dense("h1", 5, "relu"), dense("out", 1, null)], rows: 24 },
  tanh: { inShape: [2], layers: [dense("h0", 8, "tanh"), dense("out", 1, null)], rows: 20 },
  batchnorm: { inShape: [2], layers: mlpLayers({ hidden: [6], outDim: 1, act: "tanh", bias: true, norm: "batchnorm", dropout: 0, encode: null, outputScale: null }), rows: 16 },
  "cnn with max pool": {
    inShape: [6, 6, 1],
    layers: [{ name: "conv0", kind: "conv", filters: 2, kernel: 3, stride: 1, padding: "valid", act: "tanh", bias: true }, { name: "pool0", kind: "pool", op: "max", size: 2 }, flatten, dense("out", 1, null)],
    rows: 12,
  },
};

const EXACT: HvpOptions = { hvp: "exact", samples: null, subset: "spaced", batch: null, bn: "batch" };

function build(net: Net, seeds: number | readonly number[] = [7]): Model {
  return sequential({ inShape: net.inShape, layers: net.layers, seeds: typeof seeds === "number" ? seeds : [...seeds] });
}

function operator(model: Model, data: EvalData, options: HvpOptions = EXACT, loss: LossKind = "half_mse"): HessianOperator {
  return new HessianOperator(model, data, loss, options, subsetRows(data.n, options, Array(model.seeds).fill(0), "t"), "test");
}

/** The dense Hessian of seed 0 from HVPs on unit vectors (symmetrised). */
function denseFromProducts(op: HessianOperator): number[][] {
  const columns = Array.from({ length: op.dim }, (_, i) => {
    const e = Array.from({ length: op.seeds }, () => new Float64Array(op.dim));
    e[0]![i] = 1;
    return op.apply(e)[0]!;
  });
  return columns.map((_, i) => columns.map((__, j) => (columns[i]![j]! + columns[j]![i]!) / 2));
}

/** Seed 0's parameters as one flat float64 vector, and a setter (model.params order). */
function flatParams(model: Model): { theta: Float64Array; set(theta: Float64Array): void } {
  const theta = Float64Array.from(model.params.flatMap((p) => Array.from(p.variable.dataSync())));
  return {
    theta,
    set(t) {
      let at = 0;
      for (const p of model.params) {
        p.variable.assign(tf.tensor(Float32Array.from(t.subarray(at, at + p.variable.size)), p.variable.shape));
        at += p.variable.size;
      }
    },
  };
}

/** The dense Hessian of seed 0 by central differences of (float32) gradients, step h = 2⁻¹⁰ (θ ± h is float32-exact here). */
function denseFromGradients(model: Model, op: HessianOperator): number[][] {
  const { theta, set } = flatParams(model);
  const h = 2 ** -10;
  const rows = Array.from({ length: op.dim }, (_, i) => {
    const at = (sign: number) => {
      const t = Float64Array.from(theta);
      t[i]! += sign * h;
      set(t);
      return op.gradient()[0]!;
    };
    const plus = at(1);
    const minus = at(-1);
    return Array.from(plus, (g, j) => (g - minus[j]!) / (2 * h));
  });
  set(theta);
  return rows.map((_, i) => rows.map((__, j) => (rows[i]![j]! + rows[j]![i]!) / 2));
}

const maxAbs = (m: number[][]): number => Math.max(...m.flat().map(Math.abs));

describe("the Hessian-vector product against finite differences of gradients", () => {
  for (const [name, net] of Object.entries(NETS)) {
    it(`${name}: exact HVPs on unit vectors form the finite-difference Hessian`, () => {
      const model = build(net);
      const data = new EvalData([dataset(net.rows, net.inShape, 3)], 1);
      const op = operator(model, data);
      const fromProducts = denseFromProducts(op);
      const fromGradients = denseFromGradients(model, op);
      const scale = maxAbs(fromProducts);
      expect(scale).toBeGreaterThan(0.05);
      for (let i = 0; i < op.dim; i++) for (let j = 0; j < op.dim; j++) expect(Math.abs(fromProducts[i]![j]! - fromGradients[i]![j]!)).toBeLessThan(2e-3 * scale);
      op.dispose();
      data.dispose();
      model.dispose();
    });
  }

  it("batch norm with running statistics differs from batch statistics, and neither moves the running statistics", () => {
    const model = build(NETS["batchnorm"]!);
    // Non-trivial running statistics, so that the two modes differ.
    for (const v of model.state) v.assign(tf.add(v, 0.3));
    const before = model.state.map((v) => Array.from(v.dataSync()));
    const data = new EvalData([dataset(16, [2], 4)], 1);
    const running = operator(model, data, { ...EXACT, bn: "running" });
    const batch = operator(model, data);
    const hr = denseFromProducts(running);
    const hb = denseFromProducts(batch);
    expect(maxAbs(hr.map((row, i) => row.map((x, j) => x - hb[i]![j]!)))).toBeGreaterThan(1e-2 * maxAbs(hb));
    const fromGradients = denseFromGradients(model, running);
    for (let i = 0; i < running.dim; i++) for (let j = 0; j < running.dim; j++) expect(Math.abs(hr[i]![j]! - fromGradients[i]![j]!)).toBeLessThan(2e-3 * maxAbs(hr));
    expect(model.state.map((v) => Array.from(v.dataSync()))).toEqual(before);
    [running, batch, data, model].forEach((x) => x.dispose());
  });

  it("the finite-difference product agrees with the exact one to ~1e-4 relative (tanh, smooth)", () => {
    const model = build(NETS["tanh"]!);
    const data = new EvalData([dataset(20, [2], 5)], 1);
    const exact = operator(model, data);
    const difference = operator(model, data, { ...EXACT, hvp: "difference" });
    const rng = new Rng(1);
    const v = [Float64Array.from({ length: exact.dim }, () => rng.normal())];
    const a = exact.apply(v)[0]!;
    const b = difference.apply(v)[0]!;
    const size = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
    const error = Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
    expect(error / size).toBeLessThan(1e-3);
    const { theta } = flatParams(model);
    expect(Array.from(theta)).toEqual(Array.from(flatParams(model).theta)); // parameters restored exactly
    [exact, difference, data, model].forEach((x) => x.dispose());
  });

  it("one physical batch: the gradient is recorded once (one forward pass for many products), the products equal nested tf.grads", () => {
    // The batch-norm MLP's products are the R-operator's unless it is switched off (this checks the tape's recording).
    setRopHvpEnabled(false);
    onTestFinished(() => setRopHvpEnabled(true));
    for (const net of [NETS["cnn with max pool"]!, NETS["batchnorm"]!]) {
      const model = build(net);
      const data = new EvalData([dataset(net.rows, net.inShape, 5)], 1);
      const forwards = { count: 0 };
      const forward = model.forward.bind(model);
      model.forward = (x, o) => (forwards.count++, forward(x, o));
      const kept = operator(model, data);
      const rows = subsetRows(data.n, EXACT, [0], "t");
      const nested = new HessianOperator(model, data, "half_mse", EXACT, rows, "test", false);
      const rng = new Rng(2);
      for (let i = 0; i < 5; i++) {
        const v = [Float64Array.from({ length: kept.dim }, () => rng.normal())];
        forwards.count = 0;
        const a = kept.apply(v)[0]!;
        expect(forwards.count).toBe(i === 0 ? 1 : 0);
        const b = nested.apply(v)[0]!;
        expect(forwards.count).toBe(i === 0 ? 2 : 1);
        a.forEach((x, j) => expect(x).toBeCloseTo(b[j]!, 6));
      }
      // Several physical batches: every product recomputes (keeping every batch's tape would defeat the batching).
      const batched = operator(model, data, { ...EXACT, batch: 4 });
      forwards.count = 0;
      batched.apply([new Float64Array(batched.dim).fill(1)]);
      batched.apply([new Float64Array(batched.dim).fill(1)]);
      expect(forwards.count).toBe(2 * Math.ceil(net.rows / 4));
      [kept, nested, batched, data, model].forEach((x) => x.dispose());
    }
  });

  it("physical batches sum to the whole; the abridged subset is the Hessian of those rows", () => {
    const model = build(NETS["relu"]!);
    const d = dataset(24, [3], 6);
    const data = new EvalData([d], 1);
    const v = [Float64Array.from({ length: operator(model, data).dim }, (_, i) => Math.cos(i))];
    const whole = operator(model, data).apply(v)[0]!;
    const batched = operator(model, data, { ...EXACT, batch: 5 }).apply(v)[0]!;
    batched.forEach((x, i) => expect(x).toBeCloseTo(whole[i]!, 5));
    // subset: first 8 rows = a data set of those rows alone
    const first = operator(model, data, { ...EXACT, samples: 8, subset: "first" }).apply(v)[0]!;
    const alone = new EvalData([{ ...d, n: 8, x: d.x.subarray(0, 24), y: d.y.subarray(0, 8) }], 1);
    operator(model, alone).apply(v)[0]!.forEach((x, i) => expect(first[i]!).toBeCloseTo(x, 5));
    // random: 8 distinct sorted rows, fixed by the seed
    const [rows] = subsetRows(24, { samples: 8, subset: "random" }, [3], "s");
    expect(new Set(rows).size).toBe(8);
    expect(Array.from(subsetRows(24, { samples: 8, subset: "random" }, [3], "s")[0]!)).toEqual(Array.from(rows!));
    expect(Array.from(subsetRows(10, { samples: 4, subset: "spaced" }, [3], "s")[0]!)).toEqual([0, 2, 5, 7]);
    tf.dispose([]);
    [data, alone, model].forEach((x) => x.dispose());
  });
});

describe("hessian: top-k eigenvalues at the defaults against the dense solve", () => {
  for (const [name, net] of Object.entries(NETS)) {
    for (const method of ["lanczos", "power"] as const) {
      it(`${name}, ${method}: the top 3 within 1e-3 relative`, () => {
        const model = build(net);
        const data = new EvalData([dataset(net.rows, net.inShape, 3)], 1);
        const op = operator(model, data);
        const truth = symmetricEigen(denseFromProducts(op)).values;
        op.dispose();
        // Power iteration converges linearly in λ_{i+1}/λ_i: it needs far more than the default 100 products here.
        const found = hessianEigenpairs(model, data, "half_mse", { k: 3, method, seeds: [1], ...(method === "power" ? { iters: 3000 } : {}) });
        for (let i = 0; i < 3; i++) expect(Math.abs(found.values[0]![i]! / truth[i]! - 1)).toBeLessThan(1e-3);
        // The eigenvectors are eigenvectors: ‖Hv − λv‖ small against λ₁.
        const check = operator(model, data);
        const hv = check.apply([found.vectors[0]![0]!])[0]!;
        const residual = Math.sqrt(hv.reduce((s, x, j) => s + (x - found.values[0]![0]! * found.vectors[0]![0]![j]!) ** 2, 0));
        expect(residual).toBeLessThan(0.05 * truth[0]!);
        [check, data, model].forEach((x) => x.dispose());
      });
    }
  }

  it("cross-entropy: a linear softmax model with large logits", () => {
    const n = 12;
    const rng = new Rng(3).fork("softmax");
    const x = Float32Array.from({ length: n * 2 }, () => rng.uniformIn(-2, 2));
    const y = Float32Array.from({ length: n * 3 }, (_, k) => (Math.floor(k / 3) % 3 === k % 3 ? 1 : 0));
    const model = sequential({ inShape: [2], layers: [dense("out", 3, null)], seeds: [1] });
    const bias = model.params.find((p) => p.role === "bias")!;
    bias.variable.assign(tf.add(bias.variable, 60));
    const data = new EvalData([{ name: "train", n, xShape: [2], x, yDim: 3, y }], 1);
    const op = operator(model, data, EXACT, "cross_entropy");
    const fromGradients = denseFromGradients(model, op);
    const truth = symmetricEigen(fromGradients).values;
    const found = hessianEigenpairs(model, data, "cross_entropy", { k: 2, seeds: [1] });
    expect(truth[0]!).toBeGreaterThan(0.05);
    for (let i = 0; i < 2; i++) expect(Math.abs(found.values[0]![i]! / truth[i]! - 1)).toBeLessThan(2e-3);
    [op, data, model].forEach((x) => x.dispose());
  });

  it("seed batching: S = 2 batched gives each seed what that seed alone gives", () => {
    const net = NETS["tanh"]!;
    const d = dataset(20, [2], 8);
    const batched = build(net, [11, 12]);
    const data2 = new EvalData([d], 2);
    const together = hessianEigenpairs(batched, data2, "half_mse", { k: 2, seeds: [11, 12] });
    [11, 12].forEach((seed, s) => {
      const alone = build(net, [seed]);
      alone.params.forEach((p, i) => {
        const all = batched.params[i]!.variable;
        const size = all.size / 2;
        p.variable.assign(tf.tensor(all.dataSync().slice(s * size, (s + 1) * size), p.variable.shape));
      });
      const data1 = new EvalData([d], 1);
      const single = hessianEigenpairs(alone, data1, "half_mse", { k: 2, seeds: [seed] });
      expect(single.steps[0]).toBe(together.steps[s]);
      for (let i = 0; i < 2; i++) expect(single.values[0]![i]! / together.values[s]![i]! - 1).toBeCloseTo(0, 5);
      [data1, alone].forEach((x) => x.dispose());
    });
    expect(Math.abs(together.values[0]![0]! - together.values[1]![0]!)).toBeGreaterThan(1e-3);
    [data2, batched].forEach((x) => x.dispose());
  });
});

describe("the eigen-probes: warm start, checkpoint state, the eigenvector board", () => {
  const ctx = (step: number) => ({ step, seeds: [1], seedIndices: [0] }) as unknown as ProbeContext;

  it("a warm call takes fewer products for the same values; save/restore continues it; the board holds the vectors", async () => {
    const net = NETS["tanh"]!;
    const model = build(net, [1]);
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [dataset(20, [2], 9)]]]), loss: "half_mse", seeds: [1] });
    const args = { model: { ref: "net" }, data: { ref: "train" }, k: 2 };
    const probe = startProbe("hessian", args, env, "top");
    const counted = () => {
      const before = HessianOperator.prototype.apply;
      let products = 0;
      HessianOperator.prototype.apply = function (this: HessianOperator, v) {
        products++;
        return before.call(this, v);
      };
      return () => {
        HessianOperator.prototype.apply = before;
        return products;
      };
    };
    let stop = counted();
    const cold = (await probe.measure(ctx(0))) as unknown as { fields: { value: Float64Array[] } };
    const coldProducts = stop();
    stop = counted();
    const warm = (await probe.measure(ctx(1))) as unknown as { fields: { value: Float64Array[] } };
    const warmProducts = stop();
    expect(warmProducts).toBeLessThan(coldProducts);
    for (let i = 0; i < 2; i++) expect(Math.abs(warm.fields.value[0]![i]! / cold.fields.value[0]![i]! - 1)).toBeLessThan(1e-3);
    const board = latestEigenpairs({ board: env.board } as never, "top")!;
    expect(board.step).toBe(1);
    expect(board.vectors[0]!.length).toBe(2);
    expect(board.layout.map((p) => p.name)).toEqual(model.params.map((p) => p.name));
    expect(board.layout.reduce((a, p) => a + p.size, 0)).toBe(board.vectors[0]![0]!.length);

    // A fresh instance restored from the state warm-starts like the original.
    const state = probe.save!();
    const resumedEnv = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [dataset(20, [2], 9)]]]), loss: "half_mse", seeds: [1] });
    const resumed = startProbe("hessian", args, resumedEnv, "top");
    // Through a real checkpoint file (typed arrays inside plain data).
    const file = join(mkdtempSync(join(tmpdir(), "dync-hessian-")), "probe.ckpt");
    writeCheckpointFile(file, state);
    resumed.restore!(readCheckpointFile(file));
    expect(latestEigenpairs({ board: resumedEnv.board } as never, "top")!.step).toBe(1);
    const a = (await probe.measure(ctx(2))) as unknown as { fields: { value: Float64Array[] } };
    const b = (await resumed.measure(ctx(2))) as unknown as { fields: { value: Float64Array[] } };
    expect(Array.from(b.fields.value[0]!)).toEqual(Array.from(a.fields.value[0]!));
    [env, resumedEnv, model].forEach((x) => x.dispose());
  });

  it("sharpness is hessian's top eigenvalue as one number per seed", async () => {
    const model = build(NETS["relu"]!, [1]);
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [dataset(24, [3], 2)]]]), loss: "half_mse", seeds: [1] });
    const sharp = (await startProbe("sharpness", { model: { ref: "net" }, data: { ref: "train" } }, env).measure(ctx(0))) as Float64Array;
    const top = (await startProbe("hessian", { model: { ref: "net" }, data: { ref: "train" } }, env).measure(ctx(0))) as unknown as { fields: { value: Float64Array[] } };
    expect(sharp[0]! / top.fields.value[0]![0]! - 1).toBeCloseTo(0, 3);
    [env, model].forEach((x) => x.dispose());
  });
});

describe("trace and spectral density", () => {
  it("Hutchinson's estimate is within 4 standard errors of the dense trace; exact for a diagonal Hessian", () => {
    const model = build(NETS["tanh"]!);
    const data = new EvalData([dataset(20, [2], 3)], 1);
    const op = operator(model, data);
    const h = denseFromProducts(op);
    const trace = h.reduce((a, row, i) => a + row[i]!, 0);
    const { trace: est, stderr } = hutchinsonTrace(op, 200, 0, [new Rng(4)]);
    expect(stderr[0]!).toBeGreaterThan(0);
    expect(Math.abs(est[0]! - trace)).toBeLessThan(4 * stderr[0]!);
    [op, data, model].forEach((x) => x.dispose());

    // A linear model on orthogonal (Hadamard) inputs: H = diag(1, a², b², c²) with ½·MSE, so zᵀHz = tr H for every z.
    const hadamard = [
      [1, 1, 1],
      [-1, 1, -1],
      [1, -1, -1],
      [-1, -1, 1],
    ];
    const scales = [3, 2, 0.5];
    const x = Float32Array.from(hadamard.flatMap((row) => row.map((v, j) => v * scales[j]!)));
    const linear = sequential({ inShape: [3], layers: [dense("out", 1, null)], seeds: [1] });
    const d2 = new EvalData([{ name: "train", n: 4, xShape: [3], x, yDim: 1, y: new Float32Array(4) }], 1);
    const op2 = operator(linear, d2);
    const diag = hutchinsonTrace(op2, 20, 0, [new Rng(5)]);
    expect(diag.trace[0]!).toBeCloseTo(1 + 9 + 4 + 0.25, 4);
    expect(diag.stderr[0]!).toBeLessThan(1e-5);
    [op2, d2, linear].forEach((x) => x.dispose());
  });

  it("SLQ with as many steps as dimensions: the nodes are the eigenvalues, the weights sum to 1 and give vᵀHv", () => {
    const model = build(NETS["tanh"]!);
    const data = new EvalData([dataset(20, [2], 3)], 1);
    const op = operator(model, data);
    const truth = symmetricEigen(denseFromProducts(op)).values;
    const { nodes, weights } = spectralDensity(op, 2, op.dim, [new Rng(6)]);
    expect(weights[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // Each run's nodes are the dense spectrum (exact Krylov space of full dimension).
    const first = Array.from(nodes[0]!.subarray(0, op.dim)).sort((a, b) => b - a);
    first.forEach((node, i) => expect(Math.abs(node - truth[i]!)).toBeLessThan(1e-4 * Math.abs(truth[0]!)));
    // Σ w θ = (1/vectors)·Σ vᵀHv ≈ tr H / dim on average; exactly the mean Rayleigh quotient of the two starts.
    expect(Number.isFinite(nodes[0]!.reduce((a, b) => a + b, 0))).toBe(true);
    [op, data, model].forEach((x) => x.dispose());
  });
});

describe("closed forms and errors", () => {
  it("a linear model under ½·MSE: the top eigenvalues of [X 1]ᵀ[X 1]/m, all rows and an evenly spaced subset in batches; mse doubles them", () => {
    const d = dataset(24, [3], 1);
    const model = sequential({ inShape: [3], layers: [dense("out", 1, null)], seeds: [4] });
    const data = new EvalData([d], 1);
    const closedForm = (rows: number[]): number[] => {
      const design = rows.map((r) => [...Array.from(d.x.subarray(r * 3, r * 3 + 3)), 1]);
      return symmetricEigen([0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => design.reduce((a, row) => a + row[i]! * row[j]!, 0) / rows.length))).values;
    };
    const all = closedForm([...Array(24).keys()]);
    const full = hessianEigenpairs(model, data, "half_mse", { k: 2, seeds: [4] });
    for (let i = 0; i < 2; i++) expect(full.values[0]![i]! / all[i]! - 1).toBeCloseTo(0, 5);
    const sub = hessianEigenpairs(model, data, "half_mse", { k: 2, samples: 8, batch: 3, seeds: [4] });
    const spaced = closedForm([0, 3, 6, 9, 12, 15, 18, 21]);
    for (let i = 0; i < 2; i++) expect(sub.values[0]![i]! / spaced[i]! - 1).toBeCloseTo(0, 5);
    const mse = hessianEigenpairs(model, data, "mse", { k: 2, seeds: [4] });
    for (let i = 0; i < 2; i++) expect(mse.values[0]![i]! / (2 * all[i]!) - 1).toBeCloseTo(0, 5);
    // k beyond the 4 dimensions: NaN, and the 4 found are the whole spectrum.
    const every = hessianEigenpairs(model, data, "half_mse", { k: 6, seeds: [4] });
    for (let i = 0; i < 4; i++) expect(every.values[0]![i]! / all[i]! - 1).toBeCloseTo(0, 4);
    expect(every.values[0]![4]).toBeNaN();
    [data, model].forEach((x) => x.dispose());
  });

  it("bad knobs and data without targets are clear runtime errors; no tensors leak", () => {
    const model = build(NETS["tanh"]!, [1]);
    const d = dataset(12, [2], 3);
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [d]], ["bare", [{ ...d, name: "bare", yDim: 0, y: new Float32Array(0) }]]]), loss: "half_mse", seeds: [1] });
    const args = { model: { ref: "net" }, data: { ref: "train" } };
    const message = (over: Record<string, unknown>): string => {
      try {
        startProbe("hessian", { ...args, ...over }, env).measure({ step: 0, seeds: [1], seedIndices: [0] } as unknown as ProbeContext);
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    };
    expect(message({ iters: 0 })).toMatch(/iters must be a whole number/);
    expect(message({ samples: 2.5 })).toMatch(/samples must be a whole number/);
    expect(message({ method: "arnoldi" })).toMatch(/method must be one of/);
    expect(message({ data: { ref: "bare" } })).toMatch(/needs targets/);
    const bnModel = build(NETS["batchnorm"]!, [1]);
    const bnEnv = new RunProbeEnv({ model: bnModel, modelName: "net", datasets: new Map([["train", [d]]]), loss: "half_mse", seeds: [1] });
    startProbe("hessian", { ...args, batch: 5 }, bnEnv).measure({ step: 0, seeds: [1], seedIndices: [0] } as unknown as ProbeContext); // 5 + 5 + 2 rows
    expect(() => startProbe("hessian", { ...args, batch: 11 }, bnEnv).measure({ step: 0, seeds: [1], seedIndices: [0] } as unknown as ProbeContext)).toThrow(/12 rows in batches of 11 leave one of 1/);
    [bnEnv, bnModel].forEach((x) => x.dispose());
    env.data(args); // uploaded once; what stays is the data, not the products'
    const before = tf.memory().numTensors;
    startProbe("hessian", { ...args, k: 2 }, env).measure({ step: 0, seeds: [1], seedIndices: [0] } as unknown as ProbeContext);
    startProbe("hessian_trace", { ...args, vectors: 3 }, env).measure({ step: 0, seeds: [1], seedIndices: [0] } as unknown as ProbeContext);
    startProbe("sharpness", { ...args, hvp: "difference" }, env).measure({ step: 0, seeds: [1], seedIndices: [0] } as unknown as ProbeContext);
    expect(tf.memory().numTensors).toBe(before);
    [env, model].forEach((x) => x.dispose());
  });
});

describe("on wasm (dync's SIMD kernels and their gradients)", () => {
  beforeAll(async () => {
    await selectBackend("wasm");
  });
  afterAll(async () => {
    await tf.setBackend("cpu");
  });

  for (const name of ["tanh", "cnn with max pool"]) {
    // Truth from exact products on unit vectors: finite differences of gradients cross max-pool switches
    // (two window entries within ±h) at some points, and the cpu tests above check the products against them.
    it(`${name}: the top 3 within 1e-3 relative of the dense Hessian's`, () => {
      const net = NETS[name]!;
      const model = build(net, [2]);
      const data = new EvalData([dataset(net.rows, net.inShape, 4)], 1);
      const op = operator(model, data);
      const truth = symmetricEigen(denseFromProducts(op)).values;
      op.dispose();
      const found = hessianEigenpairs(model, data, "half_mse", { k: 3, seeds: [2] });
      for (let i = 0; i < 3; i++) expect(Math.abs(found.values[0]![i]! / truth[i]! - 1)).toBeLessThan(1e-3);
      [data, model].forEach((x) => x.dispose());
    });
  }
});
