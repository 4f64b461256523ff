/**
 * `common_direction` (stdlib/diversity/common-direction.ts) against direct computations:
 * - G: each row's weight gradient from `tf.variableGrads` on that row alone (the explicit per-sample ΔW/−η,
 *   fanIn × fanOut), G = mean ΔW ΔWᵀ as outer products of the flattened rows, float64 — against the probe's
 *   Σ ‖a‖² δδᵀ from one batched backward, for the first and a deeper layer of a bias-free ReLU net;
 * - the directions: Lanczos with deflation against Jacobi (numerics/linalg symmetricEigen) on the explicit G;
 * - alignment (P8) and pseudo-neuron alignment (P12) recomputed from the explicit gradients and weights;
 * - a planted case: a linear hidden layer feeding one output, where every δ is a multiple of the output
 *   weights, so every per-sample update shares that direction: C = ±w_out, the strength ratio is huge;
 * - the probe lifecycle: a `window` of 2 calls equals the directions of the last two calls' sums.
 *
 * Tolerances: a and δ are float32 (relative error ~1e-7); G is compared to 1e-5 of its largest entry.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import type { LossKind } from "../../contract/training-specs.js";
import type { Dataset } from "../../runtime/dataset.js";
import { lossFunction } from "../../runtime/loss.js";
import { Sequential } from "../../runtime/nn/sequential.js";
import { Rng } from "../../runtime/rng.js";
import { symmetricEigen } from "../../numerics/linalg.js";
import { EvalData } from "../../stdlib/probes/eval-data.js";
import { RunProbeEnv } from "../../stdlib/probes/env.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { hiddenLayer } from "../../stdlib/probes/layers.js";
import { createOptimizer } from "../../runtime/optim.js";
import { train, type TrainProbe } from "../../runtime/train/index.js";
import type { ForwardOptions } from "../../contract/model.js";
import { addSums, batchSums, commonDirectionProbe, type UpdateSums, deflatedDirections, featureAlignment, layerSamples, neuronAlignment } from "../../stdlib/diversity/common-direction.js";
import { expectRuntimeError } from "../runtime/expect-runtime-error.js";

function dataset(n: number, d: number, classes: number, seed: number): Dataset {
  const r = new Rng(seed);
  const x = Float32Array.from({ length: n * d }, () => r.normal());
  const y = new Float32Array(n * classes);
  for (let k = 0; k < n; k++) y[k * classes + (k % classes)] = 1;
  return { name: "train", n, xShape: [d], x, yDim: classes, y };
}

/** mlp(norm: batchnorm)'s layer list: batch norm (named after its dense layer) between h0 and its relu. */
const normedNet = (seeds: number[]): Model =>
  new Sequential({
    inShape: [4],
    layers: [
      { name: "h0", kind: "dense", width: 6, act: null, bias: false },
      { name: "h0", kind: "batchnorm" },
      { name: "a0", kind: "activation", act: "relu" },
      { name: "h1", kind: "dense", width: 5, act: "relu", bias: false },
      { name: "out", kind: "dense", width: 3, act: null, bias: false },
    ] satisfies LayerSpec[],
    seeds,
  });

const reluNet = (seeds: number[]): Model =>
  new Sequential({
    inShape: [4],
    layers: [
      { name: "h0", kind: "dense", width: 6, act: "relu", bias: false },
      { name: "h1", kind: "dense", width: 5, act: "relu", bias: false },
      { name: "out", kind: "dense", width: 3, act: null, bias: false },
    ] satisfies LayerSpec[],
    seeds,
  });

/** Per seed, per row: the gradient of that row's loss alone with respect to `layer`'s weight, `[fanIn × fanOut]` float64. */
function perRowWeightGradients(model: Model, set: Dataset, loss: LossKind, layer: number): Float64Array[][] {
  const variable = hiddenLayer(model, layer).weight!.variable;
  const S = model.seeds;
  const d = set.xShape[0]!;
  const bySeed: Float64Array[][] = Array.from({ length: S }, () => []);
  for (let r = 0; r < set.n; r++) {
    const grad = tf.tidy(() => {
      const x = tf.tensor3d(Array.from({ length: S }, () => Array.from(set.x.subarray(r * d, (r + 1) * d))).flat(), [S, 1, d]);
      const y = tf.tensor3d(Array.from({ length: S }, () => Array.from(set.y.subarray(r * set.yDim, (r + 1) * set.yDim))).flat(), [S, 1, set.yDim]);
      return tf.variableGrads(() => tf.sum(lossFunction(loss)(model.forward(x, { training: false }), y).perSample) as tf.Scalar, [variable]).grads[variable.name]!;
    });
    const all = grad.dataSync();
    grad.dispose();
    const per = all.length / S;
    bySeed.forEach((rows, s) => rows.push(Float64Array.from(all.subarray(s * per, (s + 1) * per))));
  }
  return bySeed;
}

/** Mean over rows of ΔW ΔWᵀ in the paper's orientation (ΔW = gᵀ, fanOut × fanIn): G[o][p] = mean Σ_i g[i][o] g[i][p]. */
function explicitG(grads: readonly Float64Array[], fanIn: number, fanOut: number): number[][] {
  const G = Array.from({ length: fanOut }, () => new Array<number>(fanOut).fill(0));
  for (const g of grads) for (let o = 0; o < fanOut; o++) for (let p = 0; p < fanOut; p++) for (let i = 0; i < fanIn; i++) G[o]![p]! += (g[i * fanOut + o]! * g[i * fanOut + p]!) / grads.length;
  return G;
}

const maxAbs = (m: number[][]) => Math.max(...m.flat().map(Math.abs));
/** A scheduled call's context: every seed index (the probe reads nothing else of it). */
const ctxOf = (model: Model, seedIndices = [...Array(model.seeds).keys()]) => ({ seedIndices }) as unknown as ProbeContext;
type Fields = Readonly<Record<string, readonly Float64Array[]>>;
const fieldsOf = (value: unknown) => value as { readonly fields: Fields };

describe("common_direction against per-sample gradients", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
  });

  for (const [name, net, layer] of [["relu net", reluNet, 0], ["relu net", reluNet, 1], ["net with batch norm", normedNet, 0]] as const) {
    it(`G, directions and strengths of layer ${layer} of a ${name} match explicit ΔW outer products and Jacobi`, () => {
      const seeds = [3, 4];
      const model = net(seeds);
      // Batch norm on non-trivial running statistics (mean 0.2, variance 2.5), so that it changes δ.
      model.state.forEach((v, i) => v.assign(tf.fill(v.shape, i % 2 === 0 ? 0.2 : 2.5)));
      const set = dataset(24, 4, 3, 11);
      const data = new EvalData([set], seeds.length, 10); // 5 rows per chunk: the chunked path
      const view = hiddenLayer(model, layer);
      const { fanIn, fanOut } = view;
      const samples = layerSamples(model, data, "cross_entropy", view);
      const grads = perRowWeightGradients(model, set, "cross_entropy", layer);
      seeds.forEach((_, s) => {
        const sums = samples.sums[s]!;
        expect(sums.rows).toBe(set.n);
        const G = explicitG(grads[s]!, fanIn, fanOut);
        const scale = maxAbs(G);
        expect(scale).toBeGreaterThan(0);
        for (let o = 0; o < fanOut; o++) for (let p = 0; p < fanOut; p++) expect(Math.abs(sums.g[o * fanOut + p]! / sums.rows - G[o]![p]!)).toBeLessThan(1e-5 * scale);
        // Σ a δᵀ is the summed gradient.
        const summed = grads[s]!.reduce((acc, g) => acc.map((v, i) => v + g[i]!), new Float64Array(fanIn * fanOut));
        summed.forEach((v, i) => expect(Math.abs(sums.mean[i]! - v)).toBeLessThan(1e-5 * Math.max(...summed.map(Math.abs))));

        const eig = symmetricEigen(G);
        const k = Math.min(4, fanOut);
        const dirs = deflatedDirections(Float64Array.from(G.flat()), fanOut, k);
        for (let i = 0; i < k; i++) {
          expect(Math.abs(dirs.strength[i]! - Math.sqrt(Math.max(0, eig.values[i]!)))).toBeLessThan(1e-6 * Math.sqrt(eig.values[0]!));
          expect(Math.abs(dirs.share[i]! - eig.values[i]! / eig.values.reduce((a, b) => a + b, 0))).toBeLessThan(1e-9);
        }
        // The primary direction is unique here (eigenvalue gap): the same line as Jacobi's.
        expect(eig.values[0]! - eig.values[1]!).toBeGreaterThan(1e-3 * eig.values[0]!);
        const cosTop = dirs.vectors[0]!.reduce((acc, v, o) => acc + v * eig.vectors[0]![o]!, 0);
        expect(Math.abs(Math.abs(cosTop) - 1)).toBeLessThan(1e-8);
      });
    });
  }

  it("alignment (P8) and pseudo-neuron alignment (P12) of layer 0 match a direct computation", () => {
    const seeds = [5];
    const model = reluNet(seeds);
    const set = dataset(18, 4, 3, 12);
    const data = new EvalData([set], 1);
    const view = hiddenLayer(model, 0);
    const samples = layerSamples(model, data, "cross_entropy", view);
    const grads = perRowWeightGradients(model, set, "cross_entropy", 0)[0]!;
    const G = explicitG(grads, 4, 6);
    const c = symmetricEigen(G).vectors[0]!;
    // V̄ = (Σ_x g_x) C, g_x fanIn × fanOut; layer 0's input a_x is the row x itself.
    const V = Array.from({ length: 4 }, (_, i) => grads.reduce((acc, g) => acc + c.reduce((t, co, o) => t + g[i * 6 + o]! * co, 0), 0));
    const cos = (u: ArrayLike<number>, v: ArrayLike<number>) => {
      const uv = Array.from(u).reduce((acc, x, i) => acc + x * v[i]!, 0);
      return uv / Math.hypot(...Array.from(u)) / Math.hypot(...Array.from(v));
    };
    const byClass = [0, 1, 2].map((cls) => {
      const rows = [...Array(set.n).keys()].filter((r) => r % 3 === cls);
      return Math.abs(rows.reduce((acc, r) => acc + cos(V, set.x.subarray(r * 4, (r + 1) * 4)), 0) / rows.length);
    });
    const expected = byClass.reduce((a, b) => a + b, 0) / 3;
    const measured = featureAlignment(samples.sums[0]!.mean, Float64Array.from(c), samples.inputs[0]!, samples.classes[0]!, 4, 6);
    expect(Math.abs(measured - expected)).toBeLessThan(1e-6);
    expect(Math.abs(featureAlignment(samples.sums[0]!.mean, Float64Array.from(c, (v) => -v), samples.inputs[0]!, samples.classes[0]!, 4, 6) - expected)).toBeLessThan(1e-6);

    const W = view.weight!.variable.dataSync() as Float32Array;
    const neuron = [0, 1, 2, 3].reduce((acc, j) => acc + Math.abs(cos(W.subarray(j * 6, (j + 1) * 6), c)), 0) / 4;
    expect(Math.abs(neuronAlignment(W, Float64Array.from(c), 4, 6) - neuron)).toBeLessThan(1e-7);
  });

  it("planted: a linear layer feeding one output has every update along the output weights", async () => {
    const seeds = [1, 2];
    const model = new Sequential({
      inShape: [3],
      layers: [
        { name: "h0", kind: "dense", width: 7, act: null, bias: false },
        { name: "out", kind: "dense", width: 1, act: null, bias: false },
      ],
      seeds,
    });
    const r = new Rng(9);
    const set: Dataset = { name: "line", n: 20, xShape: [3], x: Float32Array.from({ length: 60 }, () => r.normal()), yDim: 1, y: Float32Array.from({ length: 20 }, () => r.normal()) };
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["line", [set]]]), loss: "mse" });
    try {
      const probe = commonDirectionProbe.start({ model: { ref: "net" }, data: { ref: "line" }, layer: 0, k: 3, updates: "data" }, env);
      const result = fieldsOf(await probe.measure(ctxOf(model)));
      probe.finish?.();
      const wOut = model.layers.find((l) => l.name === "out")!.weight!.variable.dataSync();
      seeds.forEach((_, s) => {
        const strength = result.fields["strength"]![s]!;
        expect(strength[0]! / strength[1]!).toBeGreaterThan(1e4);
        expect(result.fields["share"]![s]![0]!).toBeGreaterThan(1 - 1e-8);
        // Closed form: δ_x = 2(ŷ_x − y_x) w_out, so G = mean ‖x‖² 4(ŷ − y)² · w_out w_outᵀ and √λ₁ = ‖w_out‖ √mean(‖x‖² 4(ŷ − y)²).
        const w = Array.from(wOut.subarray(s * 7, (s + 1) * 7));
        const W0 = Array.from(model.layers.find((l) => l.name === "h0")!.weight!.variable.dataSync().subarray(s * 21, (s + 1) * 21));
        let sum = 0;
        for (let r = 0; r < set.n; r++) {
          const x = Array.from(set.x.subarray(r * 3, (r + 1) * 3));
          const h = w.map((_, o) => x.reduce((acc, xi, i) => acc + xi * W0[i * 7 + o]!, 0));
          const yHat = h.reduce((acc, ho, o) => acc + ho * w[o]!, 0);
          sum += x.reduce((acc, xi) => acc + xi * xi, 0) * 4 * (yHat - set.y[r]!) ** 2;
        }
        const expected = Math.hypot(...w) * Math.sqrt(sum / set.n);
        expect(Math.abs(strength[0]! - expected) / expected).toBeLessThan(1e-5);
      });
      // The probe's C: recompute from its sums and compare with w_out.
      const samples = layerSamples(model, env.data({ data: { ref: "line" } }), "mse", hiddenLayer(model, 0));
      seeds.forEach((_, s) => {
        const c = deflatedDirections(samples.sums[s]!.g, 7, 1).vectors[0]!;
        const w = Array.from(wOut.subarray(s * 7, (s + 1) * 7));
        const cos = c.reduce((acc, v, o) => acc + v * w[o]!, 0) / Math.hypot(...w);
        expect(Math.abs(Math.abs(cos) - 1)).toBeLessThan(1e-6);
      });
    } finally {
      env.dispose();
    }
  });

  it("a window of 2 calls covers the last two calls' rows; without one, every call", async () => {
    const seeds = [7];
    const model = reluNet(seeds);
    const set = dataset(15, 4, 3, 13);
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [set]]]), loss: "cross_entropy" });
    try {
      const args = { model: { ref: "net" }, data: { ref: "train" }, layer: 1, k: 2, updates: "data" };
      const windowed = commonDirectionProbe.start({ ...args, window: 2 }, env);
      const cumulative = commonDirectionProbe.start(args, env);
      const view = hiddenLayer(model, 1);
      const data = env.data({ data: { ref: "train" } });
      const perCall: UpdateSums[] = [];
      let last: { w: Fields; c: Fields } | undefined;
      for (let call = 0; call < 3; call++) {
        // Move the weights between calls so that each call's G differs.
        for (const p of model.params) p.variable.assign(tf.tidy(() => tf.mul(p.variable, 1 + 0.3 * call)));
        perCall.push(layerSamples(model, data, "cross_entropy", view).sums[0]!);
        last = {
          w: fieldsOf(await windowed.measure(ctxOf(model))).fields,
          c: fieldsOf(await cumulative.measure(ctxOf(model))).fields,
        };
      }
      const strengths = (parts: typeof perCall) => {
        const t = addSums(parts);
        return deflatedDirections(t.g.map((v) => v / t.rows), 5, 2).strength;
      };
      const [w, c] = [strengths(perCall.slice(1)), strengths(perCall)];
      [0, 1].forEach((i) => {
        expect(Math.abs(last!.w["strength"]![0]![i]! - w[i]!)).toBeLessThan(1e-9 * w[0]!);
        expect(Math.abs(last!.c["strength"]![0]![i]! - c[i]!)).toBeLessThan(1e-9 * c[0]!);
      });
      expect(Math.abs(w[0]! - c[0]!)).toBeGreaterThan(1e-3 * c[0]!);
      windowed.finish?.();
      cumulative.finish?.();
    } finally {
      env.dispose();
    }
  });

  it("a probe restored from a checkpoint's state continues like the original; a call for some seeds adds to theirs only", async () => {
    const seeds = [7, 8];
    const model = reluNet(seeds);
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [dataset(15, 4, 3, 14)]]]), loss: "cross_entropy" });
    const scale = (f: number) => model.params.forEach((p) => p.variable.assign(tf.tidy(() => tf.mul(p.variable, f))));
    try {
      for (const window of [null, 2]) {
        const args = { model: { ref: "net" }, data: { ref: "train" }, layer: 1, k: 3, window, updates: "data" };
        const original = commonDirectionProbe.start(args, env);
        await original.measure(ctxOf(model));
        scale(1.2);
        await original.measure(ctxOf(model, [1])); // an event for seed index 1 only
        const saved = original.save!() as { windows: unknown[]; pending: unknown[] };
        const resumed = commonDirectionProbe.start(args, env);
        resumed.restore!(saved);
        scale(1.3);
        const [a, b] = [fieldsOf(await original.measure(ctxOf(model))), fieldsOf(await resumed.measure(ctxOf(model)))];
        for (const field of ["strength", "mean_strength", "share", "alignment", "neuron_alignment"]) {
          seeds.forEach((_, s) => expect(Array.from(b.fields[field]![s]!)).toEqual(Array.from(a.fields[field]![s]!)));
        }
        const partial = fieldsOf(await original.measure(ctxOf(model, [0])));
        expect(partial.fields["strength"]![1]).toBeUndefined();
        expect(partial.fields["strength"]![0]!.length).toBe(3);
        expectRuntimeError(() => resumed.restore!({ windows: [saved.windows[0]], pending: [saved.pending[0]] }), "RUN032", /1 seeds' sums, this run has 2/);
        original.finish?.();
        resumed.finish?.();
      }
      // The sums a seed holds: seed index 0 skipped the second call, so (no window) its rows are 2 × 15 after three calls, seed 1's 3 × 15.
      const probe = commonDirectionProbe.start({ model: { ref: "net" }, data: { ref: "train" }, layer: 1, k: 3, updates: "data" }, env);
      await probe.measure(ctxOf(model));
      await probe.measure(ctxOf(model, [1]));
      await probe.measure(ctxOf(model));
      const state = probe.save!() as { windows: { total: { rows: number } }[] };
      expect(state.windows.map((w) => w.total.rows)).toEqual([30, 45]);
      const wrong = structuredClone(state) as unknown as { windows: { total: { g: Float64Array } }[] };
      wrong.windows[0]!.total.g = new Float64Array(3);
      expectRuntimeError(() => probe.restore!(wrong), "RUN032", /do not fit this layer/);
    } finally {
      env.dispose();
    }
  });

  it("updates: steps accumulates the per-sample updates of the batches SGD trained on (train loop), against explicit per-row gradients and the weight change", async () => {
    const seeds = [3, 4];
    const model = reluNet(seeds);
    const set = dataset(12, 4, 3, 15);
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [set]]]), loss: "cross_entropy" });
    const view = hiddenLayer(model, 1);
    const { fanIn, fanOut } = view;
    const [lr, B, T] = [0.5, 4, 6];
    const w0 = Float64Array.from(view.weight!.variable.dataSync());
    try {
      const probe = commonDirectionProbe.start({ model: { ref: "net" }, data: { ref: "train" }, layer: 1, k: fanOut }, env);
      const measured = new Map<number, Fields>();
      // Independent: at every step, each batch row's own weight gradient (variableGrads on that row alone) at θ_t,
      // summed per seed in float64 as explicit outer products; `before[t]` holds the steps before t.
      const explicit = seeds.map(() => Array.from({ length: fanOut }, () => new Array<number>(fanOut).fill(0)));
      const before = new Map<number, number[][][]>();
      const summed = seeds.map(() => new Float64Array(fanIn * fanOut));
      const reference: TrainProbe = {
        name: "reference",
        cadence: { kind: "every", n: 1, unit: "steps" },
        run: (ctx) => {
          before.set(ctx.step, structuredClone(explicit));
          if (!ctx.batch) return undefined;
          for (let b = 0; b < B; b++) {
            const grad = tf.tidy(() => {
              const x = tf.slice(ctx.batch!.x, [0, b, 0], [seeds.length, 1, -1]);
              const y = tf.slice(ctx.batch!.y, [0, b, 0], [seeds.length, 1, -1]);
              const loss = () => tf.sum(lossFunction("cross_entropy")(model.forward(x, { training: true }), y).perSample) as tf.Scalar;
              return tf.variableGrads(loss, [view.weight!.variable]).grads[view.weight!.variable.name]!;
            });
            const g = grad.dataSync();
            grad.dispose();
            seeds.forEach((_, s) => {
              const gs = g.subarray(s * fanIn * fanOut, (s + 1) * fanIn * fanOut);
              for (let o = 0; o < fanOut; o++) for (let p = 0; p < fanOut; p++) for (let i = 0; i < fanIn; i++) explicit[s]![o]![p]! += gs[i * fanOut + o]! * gs[i * fanOut + p]!;
              gs.forEach((v, i) => (summed[s]![i]! += v));
            });
          }
          return undefined;
        },
      };
      const direction: TrainProbe = {
        name: "dir",
        cadence: { kind: "every", n: 3, unit: "steps" },
        run: async (ctx) => {
          const value = fieldsOf(await probe.measure(ctx));
          measured.set(ctx.step, value.fields);
          return value;
        },
        observe: (ctx) => probe.observe!(ctx),
      };
      const optimizer = createOptimizer({ kind: "sgd", lr }, model.params);
      await train({ model, optimizer, loss: "cross_entropy", data: set, seeds, duration: { steps: T }, batch: { size: B }, probes: [direction, reference] });
      // Step 0: no update yet, nothing in the window.
      expect(measured.get(0)!["strength"]![0]!.every(Number.isNaN)).toBe(true);
      for (const step of [3, 6]) {
        seeds.forEach((_, s) => {
          const G = before.get(step)![s]!.map((row) => row.map((v) => v / (step * B)));
          const eig = symmetricEigen(G);
          const strength = measured.get(step)!["strength"]![s]!;
          for (let i = 0; i < fanOut; i++) expect(Math.abs(strength[i]! - Math.sqrt(Math.max(0, eig.values[i]!)))).toBeLessThan(1e-5 * Math.sqrt(eig.values[0]!));
        });
      }
      // The reference is the actual update: plain SGD moved the weights by −(lr/B) Σ_t Σ_x g_x, so the mean per-sample
      // update ḡ = Σ g_x/(T·B) = (W₀ − W_T)/(lr·T). The probe's mean strength along each direction is ‖ḡ C‖ (C from
      // Jacobi on the explicit G; the directions with distinct eigenvalues: the top two).
      const wT = view.weight!.variable.dataSync();
      seeds.forEach((_, s) => {
        const per = fanIn * fanOut;
        const fromSums = summed[s]!.map((v) => v / (T * B));
        const fromWeights = Float64Array.from({ length: per }, (_, i) => (w0[s * per + i]! - wT[s * per + i]!) / (lr * T));
        const scale = Math.max(...fromWeights.map(Math.abs));
        fromWeights.forEach((v, i) => expect(Math.abs(fromSums[i]! - v)).toBeLessThan(1e-4 * scale));
        const eig = symmetricEigen(before.get(T)![s]!);
        expect(eig.values[1]! - eig.values[2]!).toBeGreaterThan(1e-3 * eig.values[0]!);
        for (const i of [0, 1]) {
          const c = eig.vectors[i]!;
          const along = Math.hypot(...Array.from({ length: fanIn }, (_, j) => c.reduce((acc, co, o) => acc + fromWeights[j * fanOut + o]! * co, 0)));
          expect(Math.abs(measured.get(T)!["mean_strength"]![s]![i]! - along)).toBeLessThan(1e-4 * along);
        }
      });
      probe.finish?.();
    } finally {
      env.dispose();
    }
  });

  it("a batch's sums under batch norm: Σ a δᵀ is B × the step's gradient (batch statistics), and the running statistics stay", () => {
    const seeds = [3, 4];
    const model = normedNet(seeds);
    const set = dataset(6, 4, 3, 16);
    const view = hiddenLayer(model, 0);
    const x = tf.tensor3d([...set.x, ...set.x], [2, 6, 4]);
    const y = tf.tensor3d([...set.y, ...set.y], [2, 6, 3]);
    try {
      const stateBefore = model.state.map((v) => Array.from(v.dataSync()));

      const sums = batchSums(model, x, y, "cross_entropy", view, [0, 1]);
      model.state.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(stateBefore[i]));
      const grad = tf.tidy(() => {
        const loss = () => tf.sum(lossFunction("cross_entropy")(model.forward(x, { training: true, updateStats: false } as ForwardOptions), y).perSeed) as tf.Scalar;
        return tf.variableGrads(loss, [view.weight!.variable]).grads[view.weight!.variable.name]!;
      });
      const g = grad.dataSync();
      grad.dispose();
      const per = view.fanIn * view.fanOut;
      seeds.forEach((_, s) => {
        const step = g.subarray(s * per, (s + 1) * per);
        const scale = Math.max(...Array.from(step, Math.abs));
        expect(sums[s]!.rows).toBe(6);
        step.forEach((v, i) => expect(Math.abs(sums[s]!.mean[i]! / 6 - v)).toBeLessThan(1e-5 * scale));
      });
      // A seed left out (diverged) gets no sums.
      expect(batchSums(model, x, y, "cross_entropy", view, [1])[0]).toBeUndefined();
    } finally {
      tf.dispose([x, y]);
    }
  });

  it("refuses k above the layer's width", () => {
    const model = new Sequential({
      inShape: [4],
      layers: [
        { name: "h0", kind: "dense", width: 3, act: "relu", bias: false },
        { name: "out", kind: "dense", width: 2, act: null, bias: false },
      ],
      seeds: [1],
    });
    const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["train", [dataset(6, 4, 2, 1)]]]), loss: "cross_entropy" });
    try {
      expectRuntimeError(() => commonDirectionProbe.start({ model: { ref: "net" }, data: { ref: "train" }, k: 5 }, env), "RUN040", /only 3 units/);
    } finally {
      env.dispose();
    }
  });
});
