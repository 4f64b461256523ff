/**
 * The fused native training step of plain dense MLPs and the fused optimizer update (native/dync_fused.c via
 * runtime/kernels/native-fused.ts; issue #21 item 2). Checked here: one step's losses and gradients against
 * differentiating `forward` on tfjs's tape for every activation, bias on and off, every loss, several seeds
 * (float32 tolerance: the sums run in another order); a tiny net against a float64 JS forward/backward written
 * out by hand; whole training runs (SGD, momentum, Nesterov, Adam, AdamW, weight decay) fused against taped;
 * the optimizer update bitwise against the per-parameter one; the lists it declines; `DYNC_NATIVE` off; and
 * that probes observing every step still see each step's batch and loss.
 *
 * Needs the native addons (`npm run native`: gcc + libopenblas-dev); skipped without them, except under CI=true.
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import type { LossKind } from "../../runtime/loss.js";
import type { LayerSpec } from "../../contract/program.js";
import type { ActivationSpec, EncodingSpec } from "../../contract/model-specs.js";
import type { TrainingStepPath } from "../../contract/model.js";
import { mlpLayers } from "../../contract/layer-list.js";
import { sequential, type Sequential } from "../../runtime/nn/sequential.js";
import { createOptimizer, type OptimizerSpec } from "../../runtime/optim.js";
import { setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { nativeFusedStepActive, nativeFusedStepUnavailableReason, nativeGatherRows, nativeSinCos, setNativeFusedStepEnabled } from "../../runtime/kernels/native-fused.js";
import { TrainData } from "../../runtime/train/data.js";
import { train, trainingStepPath } from "../../runtime/train/index.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Manifest } from "../../runtime/record/index.js";
import { checkResumeBackend } from "../../runner/resume.js";
import { relativeError, taped } from "./tape-reference.js";

await selectBackend("wasm");
const available = nativeFusedStepActive();
const inCi = process.env["CI"] === "true";

function net(inDim: number, hidden: number[], outDim: number, act: ActivationSpec, bias: boolean, seeds: number | number[], norm: "none" | "batchnorm" = "none"): Sequential {
  const layers = mlpLayers({ hidden, outDim, act, bias, norm, dropout: 0, encode: null, outputScale: null } as Parameters<typeof mlpLayers>[0]);
  return sequential({ inShape: [inDim], layers, seeds });
}

/** Target rows: one-hot for cross-entropy (soft rows with `soft`), else uniform values. */
function targets(S: number, B: number, C: number, loss: LossKind, seed: number, soft = false): tf.Tensor3D {
  if (loss === "cross_entropy" || typeof loss === "object") {
    if (soft) return tf.softmax(tf.randomNormal([S, B, C], 0, 1, "float32", seed)) as tf.Tensor3D;
    return tf.cast(tf.oneHot(tf.randomUniform([S, B], 0, C, "int32", seed), C), "float32") as tf.Tensor3D;
  }
  return tf.randomUniform([S, B, C], -1, 1, "float32", seed);
}

const ACTIVATIONS: ActivationSpec[] = ["relu", { name: "leaky_relu", slope: 0.2 }, "tanh", "sigmoid", "silu", "xtanh", "gelu", "softplus", "identity"];
const LOSSES: LossKind[] = ["mse", "half_mse", "half_sse", "cross_entropy", { name: "cross_entropy", smoothing: 0.1 } as unknown as LossKind];

describe.skipIf(!available && !inCi)(`fused native MLP step${available ? "" : ` (skipped: ${nativeFusedStepUnavailableReason() ?? "native path off"})`}`, () => {
  beforeAll(() => {
    expect(nativeFusedStepActive()).toBe(true);
  });
  afterEach(() => {
    setNativeFusedStepEnabled(true);
    setNativeMatMulEnabled(true);
  });

  for (const act of ACTIVATIONS) {
    const name = typeof act === "string" ? act : act.name;
    it(`${name}: one step's losses and gradients equal the taped path (every loss, bias on and off, 1–3 seeds)`, () => {
      LOSSES.forEach((loss, k) => {
        for (const bias of [true, false]) {
          const S = 1 + (k % 3);
          const B = 7 + 4 * k;
          const model = net(5, [16, 9, 12], 4, act, bias, Array.from({ length: S }, (_, s) => 10 * k + s + (bias ? 0 : 100)));
          const x = tf.randomUniform([S, B, 5], -2, 2, "float32", k + 1);
          const y = targets(S, B, 4, loss, k + 7, k === 4);
          const fused = model.fusedLossAndGradients(x, y, loss)!;
          expect(fused).toBeDefined();
          const plain = taped(model, x, y, loss);
          expect(fused.perSample.shape).toEqual([S, B]);
          expect(relativeError(fused.perSample, plain.perSample)).toBeLessThan(1e-5);
          expect(relativeError(fused.perSeed, plain.perSeed)).toBeLessThan(1e-5);
          expect(fused.grads.length).toBe(model.params.length);
          fused.grads.forEach((g, i) => {
            expect(g.shape).toEqual(plain.grads[i]!.shape);
            expect(relativeError(g, plain.grads[i]!), `${name} ${JSON.stringify(loss)} bias ${bias} param ${model.params[i]!.name}`).toBeLessThan(5e-5);
          });
          tf.dispose([x, y, fused.perSample, fused.perSeed, ...fused.grads, plain.perSample, plain.perSeed, ...plain.grads]);
          model.dispose();
        }
      });
    });
  }

  it("the step --resume predicts (trainingStepPath) is the one a training step takes, for every kind of net, fused on and off", () => {
    const dense = (layers: LayerSpec[]) => sequential({ inShape: [1], layers, seeds: [3, 4] });
    const cases: [string, () => Sequential, LossKind][] = [
      ["1→W→1", () => net(1, [8], 1, "tanh", true, [1, 2]), "mse"],
      ["1→W→1 under cross-entropy", () => net(1, [8], 1, "tanh", true, [1, 2]), "cross_entropy"],
      ["deep MLP", () => net(1, [8, 6], 1, "relu", true, [1, 2]), "mse"],
      ["batch norm", () => net(1, [8, 6], 1, "relu", true, [1, 2], "batchnorm"), "half_mse"],
      ["layer norm", () => dense([{ name: "hidden0", kind: "dense", width: 8, act: null, bias: true }, { name: "ln0", kind: "layernorm" }, { name: "act0", kind: "activation", act: "relu" }, { name: "out", kind: "dense", width: 1, act: null, bias: true }]), "mse"],
      ["dropout", () => dense(mlpLayers({ hidden: [8], outDim: 1, act: "relu", bias: true, norm: "none", dropout: 0.2, encode: null, outputScale: null } as Parameters<typeof mlpLayers>[0])), "mse"],
    ];
    const seen = new Set<string>();
    for (const on of [true, false]) {
      setNativeFusedStepEnabled(on);
      for (const [name, make, loss] of cases) {
        const model = make();
        const x = tf.randomUniform([2, 6, 1], -1, 1, "float32", 5);
        const y = targets(2, 6, 1, "mse", 6); // the path does not depend on the values
        const step = model.fusedLossAndGradients(x, y, loss);
        const took = step?.path ?? "taped";
        expect(trainingStepPath(model, { loss, l2: 0 }), `${name}, fused ${on}`).toBe(took);
        expect(trainingStepPath(model, { loss, l2: 1e-3 }), `${name} with L2`).toBe("taped");
        seen.add(took);
        tf.dispose([x, y, ...(step ? [step.perSample, step.perSeed, ...step.grads] : [])]);
        model.dispose();
      }
    }
    expect([...seen].sort()).toEqual(["native-mlp", "native-scalar", "simd-scalar", "taped"]);
  });

  for (const act of ["relu", "tanh", "silu"] as ActivationSpec[]) {
    it(`batch norm, ${String(act)}: one step's losses, gradients (γ, β too) and moved running statistics equal the taped path`, () => {
      for (const [k, bias] of [[0, true], [1, false]] as const) {
        const [S, B] = [2 + k, 9 + 8 * k];
        const model = net(4, [12, 10], 3, act, bias, Array.from({ length: S }, (_, s) => k + 5 * s), "batchnorm");
        // γ, β away from 1, 0 so their gradients are not the plain ones
        model.params.filter((p) => p.role === "gamma" || p.role === "beta").forEach((p, i) => p.variable.assign(tf.randomUniform(p.variable.shape, 0.5, 1.5, "float32", 40 + i)));
        const x = tf.randomUniform([S, B, 4], -2, 2, "float32", 11 + k);
        const y = targets(S, B, 3, k === 0 ? "mse" : "cross_entropy", 12 + k);
        const loss: LossKind = k === 0 ? "mse" : "cross_entropy";
        const start = model.state.map((v) => v.clone());
        const fused = model.fusedLossAndGradients(x, y, loss)!;
        expect(fused).toBeDefined();
        const fusedStats = model.state.map((v) => v.clone());
        model.state.forEach((v, i) => v.assign(start[i]!));
        const plain = taped(model, x, y, loss);
        expect(relativeError(fused.perSample, plain.perSample)).toBeLessThan(1e-5);
        fused.grads.forEach((g, i) => {
          // a bias before a norm has gradient 0 in exact arithmetic: both paths give rounding noise
          const beforeNorm = model.params[i]!.role === "bias" && model.params[i]!.layer !== "out";
          if (beforeNorm) expect(tf.max(tf.abs(g)).dataSync()[0]! + tf.max(tf.abs(plain.grads[i]!)).dataSync()[0]!).toBeLessThan(1e-5);
          else expect(relativeError(g, plain.grads[i]!), model.params[i]!.name).toBeLessThan(5e-5);
        });
        expect(fused.grads.length).toBe(model.params.length);
        fusedStats.forEach((t, i) => expect(relativeError(t, model.state[i]!)).toBeLessThan(1e-6));
        expect(relativeError(fusedStats[1]!, start[1]!)).toBeGreaterThan(1e-3); // they did move
        tf.dispose([x, y, fused.perSample, fused.perSeed, ...fused.grads, plain.perSample, plain.perSeed, ...plain.grads, ...start, ...fusedStats]);
        model.dispose();
      }
    });
  }

  // Every registered encoding, with and without the input, and two in a row: the fused step encodes the
  // minibatch outside the kernel (encodings own no parameters) and trains on the encoded rows.
  const ENCODINGS: EncodingSpec[][] = [
    [{ kind: "fourier", L: 4 }],
    [{ kind: "fourier", L: 3, include_input: true }],
    [{ kind: "gaussian_features", sigma: 2, features: 6 }],
    [{ kind: "gaussian_features", sigma: 1, features: 5, include_input: true }],
    [{ kind: "coords", domain: [-2, 2], range: [-1, 1] }],
    [{ kind: "coords", domain: [-2, 2], range: [0, 1] }, { kind: "fourier", L: 2 }],
  ];
  for (const encodings of ENCODINGS) {
    it(`input encoding ${encodings.map((e) => JSON.stringify(e)).join(" → ")}: one step's losses and gradients equal the taped path`, () => {
      (["mse", "cross_entropy"] as LossKind[]).forEach((loss, k) => {
        const S = 1 + 2 * k;
        const B = 11 + 6 * k;
        const layers: LayerSpec[] = [
          ...encodings.map((encoding, i): LayerSpec => ({ name: `encode${i}`, kind: "encoding", encoding })),
          ...mlpLayers({ hidden: [16, 12], outDim: 3, act: k === 0 ? "relu" : "tanh", bias: true, norm: "none", dropout: 0, encode: null, outputScale: null } as Parameters<typeof mlpLayers>[0]),
        ];
        const model = sequential({ inShape: [2], layers, seeds: Array.from({ length: S }, (_, s) => 3 * s + k) });
        const x = tf.randomUniform([S, B, 2], -2, 2, "float32", 21 + k);
        const y = targets(S, B, 3, loss, 23 + k);
        const fused = model.fusedLossAndGradients(x, y, loss)!;
        expect(fused).toBeDefined();
        const plain = taped(model, x, y, loss);
        expect(relativeError(fused.perSample, plain.perSample)).toBeLessThan(1e-5);
        expect(relativeError(fused.perSeed, plain.perSeed)).toBeLessThan(1e-5);
        expect(fused.grads.length).toBe(model.params.length);
        fused.grads.forEach((g, i) => expect(relativeError(g, plain.grads[i]!), `${JSON.stringify(loss)} ${model.params[i]!.name}`).toBeLessThan(5e-5));
        tf.dispose([x, y, fused.perSample, fused.perSeed, ...fused.grads, plain.perSample, plain.perSeed, ...plain.grads]);
        model.dispose();
      });
    });
  }

  it("sin and cos for the fused step's encodings (one native call) are float64's within one float32 ulp, and leak nothing", () => {
    const args = Float32Array.from({ length: 4099 }, (_, i) => (i < 3 ? [0, -1e-30, 3.14159274] [i]! : Math.sin(i * 12.9898) * 2 ** 10 * Math.PI * (i % 7 === 0 ? 1e-3 : 1)));
    const x = tf.tensor3d(args, [1, 4099, 1]);
    const before = tf.memory().numTensors;
    const [sin, cos] = nativeSinCos(x)!;
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(sin.shape).toEqual([1, 4099, 1]);
    const [s, c] = [sin.dataSync(), cos.dataSync()];
    args.forEach((a, i) => {
      // one ulp of float32 at the value (2^-23 relative), at least that of 2^-24 (values near 0)
      const ulp = (v: number) => 2 ** (Math.floor(Math.log2(Math.max(Math.abs(v), 2 ** -24))) - 23);
      expect(Math.abs(s[i]! - Math.sin(a)), `sin(${a})`).toBeLessThanOrEqual(ulp(Math.sin(a)));
      expect(Math.abs(c[i]! - Math.cos(a)), `cos(${a})`).toBeLessThanOrEqual(ulp(Math.cos(a)));
    });
    tf.dispose([x, sin, cos]);
  });

  it("a fourier-encoded net trains 30 Adam steps fused as taped (losses and parameters, 2 seeds), leaking nothing", async () => {
    const data: Dataset = { name: "train", n: 48, xShape: [2], x: Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 0.71)), yDim: 3, y: Float32Array.from({ length: 144 }, (_, i) => Math.cos(i * 0.13)) };
    const run = async (fusedOn: boolean) => {
      setNativeFusedStepEnabled(fusedOn);
      const layers = mlpLayers({ hidden: [32, 32], outDim: 3, act: "relu", bias: true, norm: "none", dropout: 0, encode: { kind: "fourier", L: 5 }, outputScale: null } as Parameters<typeof mlpLayers>[0]);
      const model = sequential({ inShape: [2], layers, seeds: [4, 5] });
      const optimizer = createOptimizer({ kind: "adam", lr: 1e-2 }, model.params);
      const losses: number[][] = [];
      const probe = { name: "loss", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx: { loss: { perSeed: tf.Tensor } | null }) => (ctx.loss ? losses.push([...ctx.loss.perSeed.dataSync()]) : undefined) };
      const before = tf.memory().numTensors;
      await train({ model, optimizer, loss: "mse", data, seeds: [4, 5], duration: { steps: 30 }, batch: { size: 16 }, probes: [probe as never] });
      const params = model.params.map((p) => p.variable.dataSync().slice());
      optimizer.dispose();
      const leaked = tf.memory().numTensors - before;
      model.dispose();
      return { losses, params, leaked };
    };
    const fused = await run(true);
    const plain = await run(false);
    expect(fused.leaked).toBe(plain.leaked);
    expect(fused.losses.length).toBe(30);
    fused.losses.forEach((row, k) => row.forEach((v, s) => expect(Math.abs(v - plain.losses[k]![s]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(plain.losses[k]![s]!)))));
    fused.params.forEach((p, i) => {
      const scale = Math.max(...plain.params[i]!.map(Math.abs), 1e-3);
      p.forEach((v, j) => expect(Math.abs(v - plain.params[i]![j]!)).toBeLessThan(1e-4 * scale));
    });
  });

  it("a 2→3→2 tanh net and a 2→3→3 relu net equal a float64 forward/backward written out by hand", () => {
    for (const [act, loss, C] of [["tanh", "mse", 2], ["relu", "cross_entropy", 3]] as const) {
      const model = net(2, [3], C, act, true, [4, 5]);
      const [S, B] = [2, 5];
      const x = tf.randomUniform([S, B, 2], -1.5, 1.5, "float32", 3);
      const y = targets(S, B, C, loss, 4);
      const fused = model.fusedLossAndGradients(x, y, loss)!;
      const [w1, b1, w2, b2] = model.params.map((p) => p.variable.arraySync() as number[][] | number[][][]) as [number[][][], number[][], number[][][], number[][]];
      const xs = x.arraySync() as number[][][];
      const ys = y.arraySync() as number[][][];
      const g = (t: tf.Tensor) => t.arraySync() as number[][] | number[][][];
      for (let s = 0; s < S; s++) {
        const reference = float64Step(xs[s]!, ys[s]!, w1[s]!, b1[s]!, w2[s]!, b2[s]!, act, loss);
        const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-5 * Math.max(1, Math.abs(b)));
        close(fused.perSeed.arraySync()[s] as number, reference.loss);
        reference.gw1.forEach((row, i) => row.forEach((v, j) => close((g(fused.grads[0]!) as number[][][])[s]![i]![j]!, v)));
        reference.gb1.forEach((v, j) => close((g(fused.grads[1]!) as number[][])[s]![j]!, v));
        reference.gw2.forEach((row, i) => row.forEach((v, j) => close((g(fused.grads[2]!) as number[][][])[s]![i]![j]!, v)));
        reference.gb2.forEach((v, j) => close((g(fused.grads[3]!) as number[][])[s]![j]!, v));
      }
      tf.dispose([x, y, fused.perSample, fused.perSeed, ...fused.grads]);
      model.dispose();
    }
  });

  const OPTIMIZERS: OptimizerSpec[] = [
    { kind: "sgd", lr: 0.05 },
    { kind: "sgd", lr: 0.02, momentum: 0.9, weight_decay: 1e-3 },
    { kind: "sgd", lr: 0.02, momentum: 0.9, nesterov: true },
    { kind: "sgd", lr: 0.02, momentum: 0.5, dampening: 0.3 },
    { kind: "adam", lr: 0.01 },
    { kind: "adam", lr: 0.01, weight_decay: 1e-2 },
    { kind: "adamw", lr: 0.01, beta1: 0.8 },
  ] as OptimizerSpec[];

  for (const spec of OPTIMIZERS) {
    it(`${JSON.stringify(spec)}: 30 training steps fused equal 30 taped (losses and parameters, 3 seeds)`, async () => {
      const xs = Array.from({ length: 3 * 40 }, (_, i) => Math.sin(i * 0.37) * 2);
      const data: Dataset = { name: "train", n: 40, xShape: [3], x: Float32Array.from(xs), yDim: 2, y: Float32Array.from({ length: 80 }, (_, i) => Math.cos(i * 0.11)) };
      const run = async (fusedOn: boolean) => {
        setNativeFusedStepEnabled(fusedOn);
        // Adam with batch norm, without biases: a bias before a norm has gradient 0 up to rounding, which Adam's
        // m/√v turns into full-size steps in the rounding's direction, so the two paths' biases would drift apart.
        const normed = spec.kind === "adam" && !spec.weight_decay;
        const model = net(3, [24, 24, 24], 2, "tanh", !normed, [1, 2, 3], normed ? "batchnorm" : "none");
        const optimizer = createOptimizer(spec, model.params);
        const losses: number[][] = [];
        const probe = { name: "loss", cadence: { kind: "every", n: 1, unit: "steps" }, run: (ctx: { loss: { perSeed: tf.Tensor } | null }) => (ctx.loss ? losses.push([...ctx.loss.perSeed.dataSync()]) : undefined) };
        await train({ model, optimizer, loss: "mse", data, seeds: [1, 2, 3], duration: { steps: 30 }, batch: { size: 16 }, probes: [probe as never] });
        const params = [...model.params.map((p) => p.variable), ...model.state].map((v) => v.dataSync().slice());
        model.dispose();
        optimizer.dispose();
        return { losses, params };
      };
      const fused = await run(true);
      const plain = await run(false);
      expect(fused.losses.length).toBe(30);
      fused.losses.forEach((row, k) => row.forEach((v, s) => expect(Math.abs(v - plain.losses[k]![s]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(plain.losses[k]![s]!)))));
      fused.params.forEach((p, i) => {
        const scale = Math.max(...plain.params[i]!.map(Math.abs), 1e-3);
        p.forEach((v, j) => expect(Math.abs(v - plain.params[i]![j]!)).toBeLessThan(1e-4 * scale));
      });
    });
  }

  it("the optimizer update on the native path is bitwise the per-parameter update (sgd, momentum, adam, adamw)", () => {
    for (const spec of OPTIMIZERS) {
      const shapes = [[2, 5, 3], [2, 3], [2, 3, 1]];
      const start = shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, "float32", i + 1));
      const grads = [0, 1, 2].map((k) => shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, "float32", 10 * k + i + 5)));
      const after = (fusedOn: boolean) => {
        setNativeFusedStepEnabled(fusedOn);
        const params = start.map((t) => tf.variable(t.clone()));
        const optimizer = createOptimizer(spec, params);
        grads.forEach((g, k) => optimizer.step(g, spec.lr * (1 + 0.5 * k)));
        const values = [...params, ...optimizer.state].map((v) => Array.from(v.dataSync()));
        optimizer.dispose();
        tf.dispose(params);
        return values;
      };
      expect(after(true), JSON.stringify(spec)).toEqual(after(false));
      tf.dispose([...start, ...grads.flat()]);
    }
  });

  it("declines what it does not fuse (dropout, layer norm, batch norm on a batch of 1) and fuses batch norm; off with the native path", () => {
    const decline = (layers: LayerSpec[], inDim = 3) => {
      const model = sequential({ inShape: [inDim], layers, seeds: 2 });
      const x = tf.randomUniform([2, 4, inDim]);
      const y = tf.randomUniform([2, 4, 2]);
      const step = model.fusedLossAndGradients(x, y, "mse");
      tf.dispose([x, y]);
      model.dispose();
      return step;
    };
    const dense = (width: number, act: ActivationSpec | null, name: string): LayerSpec => ({ name, kind: "dense", width, act, bias: true });
    const normed = decline([dense(8, null, "h"), { name: "h", kind: "batchnorm" }, { name: "a", kind: "activation", act: "relu" }, dense(2, null, "out")]);
    expect(normed).toBeDefined();
    tf.dispose([normed!.perSample, normed!.perSeed, ...normed!.grads]);
    expect(decline([dense(8, null, "h"), { name: "h", kind: "layernorm" }, { name: "a", kind: "activation", act: "relu" }, dense(2, null, "out")])).toBeUndefined();
    expect(decline([dense(8, "relu", "h"), { name: "h", kind: "batchnorm" }, dense(2, null, "out")])).toBeUndefined();
    expect(decline([dense(8, "relu", "h"), { name: "d", kind: "dropout", p: 0.5 }, dense(2, null, "out")])).toBeUndefined();
    // An encoding is taken only at the start of the list (where it is a fixed function of the data rows).
    expect(decline([dense(8, "relu", "h"), { name: "e", kind: "encoding", encoding: { kind: "fourier", L: 2 } }, dense(2, null, "out")])).toBeUndefined();
    // A separate activation layer after a dense without one is fused like `dense(act)`.
    const merged = decline([dense(8, null, "h"), { name: "a", kind: "activation", act: "tanh" }, dense(2, null, "out")]);
    expect(merged).toBeDefined();
    tf.dispose([merged!.perSample, merged!.perSeed, ...merged!.grads]);
    setNativeMatMulEnabled(false);
    expect(nativeFusedStepActive()).toBe(false);
    expect(decline([dense(8, "relu", "h"), dense(2, null, "out")])).toBeUndefined();
    setNativeMatMulEnabled(true);
    setNativeFusedStepEnabled(false);
    expect(decline([dense(8, "relu", "h"), dense(2, null, "out")])).toBeUndefined();
  });

  it("minibatch rows on the native path are bitwise tf.gather's, shared and per-seed data, and leak nothing", () => {
    const make = (n: number, k: number): Dataset => ({ name: "train", n, xShape: [3, 2], x: Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i + k) * 1e3), yDim: 2, y: Float32Array.from({ length: 2 * n }, (_, i) => Math.cos(i * k)) });
    for (const data of [make(11, 1), [make(11, 2), make(11, 3)]]) {
      const held = new TrainData(data, 2);
      const indices = [Int32Array.from([3, 0, 10, 3]), Int32Array.from([7, 7, 1, 9])];
      const before = tf.memory().numTensors;
      const native = held.gather(indices);
      expect(tf.memory().numTensors).toBe(before + 2);
      setNativeFusedStepEnabled(false);
      const plain = held.gather(indices);
      setNativeFusedStepEnabled(true);
      expect(native.x.shape).toEqual([2, 4, 3, 2]);
      expect(native.y.shape).toEqual([2, 4, 2]);
      expect(Array.from(native.x.dataSync())).toEqual(Array.from(plain.x.dataSync()));
      expect(Array.from(native.y.dataSync())).toEqual(Array.from(plain.y.dataSync()));
      tf.dispose([native.x, native.y, plain.x, plain.y]);
      held.dispose();
    }
    const table = tf.zeros([3, 2]);
    expect(() => nativeGatherRows(table, Int32Array.from([0, 3]))).toThrow(/outside the source rows/);
    table.dispose();
  });

  it("allocates nothing it does not hand back (no tensor leaks over a training run)", async () => {
    const data: Dataset = { name: "train", n: 32, xShape: [2], x: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), yDim: 1, y: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)) };
    const model = net(2, [8, 8], 1, "relu", true, 2);
    const optimizer = createOptimizer({ kind: "adam", lr: 0.01 }, model.params);
    await train({ model, optimizer, loss: "mse", data, seeds: [0, 1], duration: { steps: 3 }, batch: { size: 8 } });
    const before = tf.memory().numTensors;
    await train({ model, optimizer, loss: "mse", data, seeds: [0, 1], duration: { steps: 10 }, batch: { size: 8 } });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    optimizer.dispose();
  });
});

/** A one-hidden-layer net's mean loss and gradients in float64, for one seed. */
function float64Step(x: number[][], y: number[][], w1: number[][], b1: number[], w2: number[][], b2: number[], act: "tanh" | "relu", loss: "mse" | "cross_entropy") {
  const B = x.length;
  const H = b1.length;
  const C = b2.length;
  const f = (z: number) => (act === "tanh" ? Math.tanh(z) : Math.max(0, z));
  const df = (z: number) => (act === "tanh" ? 1 - Math.tanh(z) ** 2 : z > 0 ? 1 : 0);
  const gw1 = w1.map((row) => row.map(() => 0));
  const gb1 = b1.map(() => 0);
  const gw2 = w2.map((row) => row.map(() => 0));
  const gb2 = b2.map(() => 0);
  let total = 0;
  for (let b = 0; b < B; b++) {
    const z1 = Array.from({ length: H }, (_, j) => b1[j]! + x[b]!.reduce((sum, xi, i) => sum + xi * w1[i]![j]!, 0));
    const h = z1.map(f);
    const o = Array.from({ length: C }, (_, c) => b2[c]! + h.reduce((sum, hj, j) => sum + hj * w2[j]![c]!, 0));
    let dO: number[];
    if (loss === "mse") {
      total += o.reduce((sum, oc, c) => sum + (oc - y[b]![c]!) ** 2, 0) / C;
      dO = o.map((oc, c) => (2 * (oc - y[b]![c]!)) / C / B);
    } else {
      const max = Math.max(...o);
      const lse = max + Math.log(o.reduce((sum, oc) => sum + Math.exp(oc - max), 0));
      total += lse - o.reduce((sum, oc, c) => sum + y[b]![c]! * oc, 0);
      dO = o.map((oc, c) => (Math.exp(oc - lse) - y[b]![c]!) / B);
    }
    dO.forEach((d, c) => {
      gb2[c]! += d;
      h.forEach((hj, j) => (gw2[j]![c]! += hj * d));
    });
    const dz1 = z1.map((z, j) => df(z) * dO.reduce((sum, d, c) => sum + d * w2[j]![c]!, 0));
    dz1.forEach((d, j) => {
      gb1[j]! += d;
      x[b]!.forEach((xi, i) => (gw1[i]![j]! += xi * d));
    });
  }
  return { loss: total / B, gw1, gb1, gw2, gb2 };
}

describe("resuming a run directory across training steps", () => {
  const manifestWith = (fusedStep: object | undefined) =>
    ({ backend: { name: "wasm", simd: true, dyncKernels: true, matmul: { path: "native", gemm: "onednn", threads: 1 }, ...(fusedStep ? { fusedStep } : {}) } }) as unknown as Manifest;
  const process = (fusedStep: object) => ({ name: "wasm", simd: true, dyncKernels: true, matmul: { path: "native", gemm: "onednn", threads: 1 }, fusedStep });

  it("is refused with RUN031 between the fused and the taped step (their float32 sums differ), naming both and how to resume", () => {
    expect(() => checkResumeBackend("d", manifestWith({ path: "native" }), process({ path: "taped", reason: "switched off by DYNC_FUSED_STEP=0" }))).toThrow(DyncRuntimeError);
    expect(() => checkResumeBackend("d", manifestWith({ path: "native" }), process({ path: "taped" }))).toThrow(/trained with the native step, this process uses the taped one/);
    // written before the step was recorded: the tape
    expect(() => checkResumeBackend("d", manifestWith(undefined), process({ path: "native" }))).toThrow(/trained with the taped step, this process uses the native one/);
    expect(() => checkResumeBackend("d", manifestWith({ path: "native" }), process({ path: "native" }))).not.toThrow();
    expect(() => checkResumeBackend("d", manifestWith(undefined), process({ path: "taped" }))).not.toThrow();
  });

  it("compares the step each run recorded, not what the processes offered, once runs recorded one", () => {
    const steps = (recorded: Record<string, string[]>, now: Record<string, string>) => ({
      recorded: new Map(Object.entries(recorded)) as ReadonlyMap<string, readonly TrainingStepPath[]>,
      predict: (id: string) => now[id] as TrainingStepPath,
    });
    const taped = process({ path: "taped", reason: "switched off by DYNC_FUSED_STEP=0" });
    // a CNN taped either way: the availability no longer matters
    expect(() => checkResumeBackend("d", manifestWith({ path: "native" }), taped, steps({ cnn: ["taped"] }, { cnn: "taped" }))).not.toThrow();
    expect(() => checkResumeBackend("d", manifestWith({ path: "native" }), taped, steps({ cnn: ["taped"], mlp: ["native-mlp"] }, { cnn: "taped", mlp: "taped" }))).toThrow(
      "cannot resume d: run mlp trained with the native-mlp step, this process would train it with the taped step (switched off by DYNC_FUSED_STEP=0); their float32 sums differ",
    );
    // a run that mixed steps: this process must take one of them
    const mixed = steps({ r: ["native-scalar", "taped"] }, { r: "taped" });
    expect(() => checkResumeBackend("d", manifestWith({ path: "native" }), process({ path: "native" }), mixed)).not.toThrow();
    expect(() => checkResumeBackend("d", manifestWith({ path: "native" }), process({ path: "native" }), steps({ r: ["native-scalar", "taped"] }, { r: "simd-scalar" }))).toThrow(
      /run r trained with the native-scalar and taped steps, this process would train it with the simd-scalar step/,
    );
    // no run recorded one: what the processes offered decides, as before
    expect(() => checkResumeBackend("d", manifestWith({ path: "native" }), taped, steps({}, {}))).toThrow(/trained with the native step, this process uses the taped one/);
  });
});
