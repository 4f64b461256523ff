/**
 * The layer-list model `Sequential`: forward passes of tiny nets against hand computation in float64 JS
 * (dense+relu, conv+pool+flatten+dense, batch norm in training and evaluation with PyTorch's formulas,
 * layer norm), gradients against finite differences, a Hessian-vector product through dense → tanh →
 * batch norm → dense against a float64 finite-difference Hessian; and `mlp(…)`/`cnn(…)` lowered to layer
 * lists against `Mlp`/`ConvNet`: the same parameter names, initial values, state, forward and taps.
 */
import * as tf from "@tensorflow/tfjs-core";
import { nativeFusedStepActive } from "../../runtime/kernels/native-fused.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { convNetLayers, mlpLayers } from "../../contract/layer-list.js";
import type { Model, Taps } from "../../contract/model.js";
import { convNet, type ConvNetOptions } from "../../runtime/nn/convnet.js";
import { Mlp, type MlpOptions } from "../../runtime/nn/mlp.js";
import { Sequential } from "../../runtime/nn/sequential.js";
import type { LayerSpec } from "../../contract/program.js";
import { Rng } from "../../runtime/rng.js";

function randomValues(n: number, seed: number, scale = 1): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => scale * r.normal());
}
const values = (t: tf.Tensor) => Array.from(t.dataSync());
const param = (m: Model, name: string) => m.params.find((p) => p.name === name)!.variable;
const setParam = (m: Model, name: string, v: number[]) => param(m, name).assign(tf.tensor(v, param(m, name).shape));
const maxDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

beforeAll(async () => {
  await selectBackend("cpu");
});

describe("Sequential forward against hand computation", () => {
  it("dense(3, act: relu) → dense(2): relu(xW₁ + b₁)W₂ + b₂", () => {
    const layers: LayerSpec[] = [
      { name: "h", kind: "dense", width: 3, act: "relu", bias: true },
      { name: "o", kind: "dense", width: 2, act: null, bias: true },
    ];
    const net = new Sequential({ inShape: [2], layers, seeds: 1 });
    const [W1, b1, W2, b2] = [randomValues(6, 1), randomValues(3, 2), randomValues(6, 3), randomValues(2, 4)];
    setParam(net, "h.weight", W1);
    setParam(net, "h.bias", b1);
    setParam(net, "o.weight", W2);
    setParam(net, "o.bias", b2);
    const X = randomValues(8, 5);
    const got = values(net.forward(tf.tensor3d(X, [1, 4, 2]), { training: false }));
    const want: number[] = [];
    for (let n = 0; n < 4; n++) {
      const h = [0, 1, 2].map((j) => Math.max(0, b1[j]! + X[2 * n]! * W1[j]! + X[2 * n + 1]! * W1[3 + j]!));
      for (let k = 0; k < 2; k++) want.push(b2[k]! + h.reduce((a, v, j) => a + v * W2[2 * j + k]!, 0));
    }
    expect(maxDiff(got, want)).toBeLessThan(1e-5);
    expect(net.layerNames).toEqual(["h", "o"]);
    expect(net.layers.map((l) => [l.name, l.kind, l.role, l.fanIn, l.fanOut, l.activation])).toEqual([
      ["h", "dense", "hidden", 2, 3, "relu"],
      ["o", "dense", "out", 3, 2, null],
    ]);
    net.dispose();
  });

  it("conv2d(2, kernel: 2) → relu → avg_pool(2) → flatten → dense(1) on a 3×5×1 image", () => {
    const layers: LayerSpec[] = [
      { name: "c", kind: "conv", filters: 2, kernel: 2, stride: 1, padding: "valid", act: null, bias: true },
      { name: "r", kind: "activation", act: "relu" },
      { name: "p", kind: "pool", op: "avg", size: 2 },
      { name: "f", kind: "flatten" },
      { name: "o", kind: "dense", width: 1, act: null, bias: true },
    ];
    const net = new Sequential({ inShape: [3, 5, 1], layers, seeds: 1 });
    const [K, kb, W, b] = [randomValues(8, 1), randomValues(2, 2), randomValues(4, 3), randomValues(1, 4)];
    setParam(net, "c.weight", K); // [1, 2, 2, 1, 2]: K[(a·2 + b)·2 + f]
    setParam(net, "c.bias", kb);
    setParam(net, "o.weight", W);
    setParam(net, "o.bias", b);
    const X = randomValues(2 * 15, 6); // two images, HWC
    const got = values(net.forward(tf.tensor(X, [1, 2, 3, 5, 1]), { training: false }));
    const want = [0, 1].map((n) => {
      const px = (i: number, j: number) => X[n * 15 + i * 5 + j]!;
      // conv output 2×4×2, relu; avg pool 2 → 1×2×2 (the last row is dropped by floor: only rows 0–1)
      const conv = (i: number, j: number, f: number) => Math.max(0, kb[f]! + [0, 1].flatMap((a) => [0, 1].map((c) => px(i + a, j + c) * K[(a * 2 + c) * 2 + f]!)).reduce((s, v) => s + v, 0));
      const pooled = [0, 1].flatMap((pj) => [0, 1].map((f) => (conv(0, 2 * pj, f) + conv(0, 2 * pj + 1, f) + conv(1, 2 * pj, f) + conv(1, 2 * pj + 1, f)) / 4));
      return b[0]! + pooled.reduce((s, v, i) => s + v * W[i]!, 0);
    });
    expect(maxDiff(got, want)).toBeLessThan(1e-5);
    // flattened rows give the same output
    expect(maxDiff(values(net.forward(tf.tensor(X, [1, 2, 15]), { training: false })), got)).toBe(0);
    expect(net.layers.find((l) => l.name === "c")!.activation).toBe("relu");
    expect([net.layers[0]!.fanIn, net.layers[0]!.fanOut]).toEqual([4, 8]);
    net.dispose();
  });

  it("batchnorm: batch statistics and a running-stat update in training (torch's formulas), running statistics in evaluation", () => {
    const layers: LayerSpec[] = [{ name: "bn", kind: "batchnorm" }];
    const net = new Sequential({ inShape: [2], layers, seeds: 1 });
    const gamma = [1.5, -0.5];
    const beta = [0.2, 0.3];
    setParam(net, "bn.gamma", gamma);
    setParam(net, "bn.beta", beta);
    const B = 5;
    const X = randomValues(B * 2, 7, 2);
    const col = (k: number) => Array.from({ length: B }, (_, n) => X[n * 2 + k]!);
    const mean = [0, 1].map((k) => col(k).reduce((a, v) => a + v, 0) / B);
    const biased = [0, 1].map((k) => col(k).reduce((a, v) => a + (v - mean[k]!) ** 2, 0) / B);
    const x = tf.tensor3d(X, [1, B, 2]);
    const train = values(net.forward(x, { training: true }));
    const wantTrain = X.map((v, i) => gamma[i % 2]! * ((v - mean[i % 2]!) / Math.sqrt(biased[i % 2]! + 1e-5)) + beta[i % 2]!);
    expect(maxDiff(train, wantTrain)).toBeLessThan(1e-5);
    // running_mean = 0.9·0 + 0.1·mean; running_var = 0.9·1 + 0.1·unbiased variance
    const runningMean = mean.map((m) => 0.1 * m);
    const runningVar = biased.map((v) => 0.9 + 0.1 * (v * B) / (B - 1));
    expect(maxDiff(values(net.state[0]!), runningMean)).toBeLessThan(1e-6);
    expect(maxDiff(values(net.state[1]!), runningVar)).toBeLessThan(1e-6);
    const evalOut = values(net.forward(x, { training: false }));
    const wantEval = X.map((v, i) => gamma[i % 2]! * ((v - runningMean[i % 2]!) / Math.sqrt(runningVar[i % 2]! + 1e-5)) + beta[i % 2]!);
    expect(maxDiff(evalOut, wantEval)).toBeLessThan(1e-5);
    net.dispose();
  });

  it("batchnorm on feature maps normalises each channel over batch and pixels (BatchNorm2d)", () => {
    const net = new Sequential({ inShape: [2, 2, 2], layers: [{ name: "bn", kind: "batchnorm" }, { name: "f", kind: "flatten" }], seeds: 1 });
    const X = randomValues(3 * 8, 8);
    const got = values(net.forward(tf.tensor(X, [1, 3, 2, 2, 2]), { training: true }));
    const channel = (c: number) => X.filter((_, i) => i % 2 === c);
    const stats = [0, 1].map((c) => {
      const v = channel(c);
      const m = v.reduce((a, x) => a + x, 0) / v.length;
      return { m, s: v.reduce((a, x) => a + (x - m) ** 2, 0) / v.length };
    });
    expect(maxDiff(got, X.map((v, i) => (v - stats[i % 2]!.m) / Math.sqrt(stats[i % 2]!.s + 1e-5)))).toBeLessThan(1e-5);
    net.dispose();
  });

  it("layernorm normalises each sample over its features, the same in training and evaluation", () => {
    const net = new Sequential({ inShape: [3], layers: [{ name: "ln", kind: "layernorm" }], seeds: 1 });
    setParam(net, "ln.gamma", [2, 1, 0.5]);
    setParam(net, "ln.beta", [0, 1, -1]);
    const X = randomValues(4 * 3, 9);
    const want = [0, 1, 2, 3].flatMap((n) => {
      const row = X.slice(3 * n, 3 * n + 3);
      const m = row.reduce((a, v) => a + v, 0) / 3;
      const s = row.reduce((a, v) => a + (v - m) ** 2, 0) / 3;
      return row.map((v, k) => [2, 1, 0.5][k]! * ((v - m) / Math.sqrt(s + 1e-5)) + [0, 1, -1][k]!);
    });
    for (const training of [true, false]) expect(maxDiff(values(net.forward(tf.tensor3d(X, [1, 4, 3]), { training })), want)).toBeLessThan(1e-5);
    net.dispose();
  });
});

/** ∂L/∂θ by tf.grad against central differences of the tf forward in float32 (steps 1e-2, loose tolerance). */
describe("Sequential gradients", () => {
  it("conv → tanh → max_pool → flatten → layernorm → dense: gradients match finite differences", () => {
    const layers: LayerSpec[] = [
      { name: "c", kind: "conv", filters: 2, kernel: 2, stride: 1, padding: "same", act: "tanh", bias: true },
      { name: "p", kind: "pool", op: "max", size: 2 },
      { name: "f", kind: "flatten" },
      { name: "ln", kind: "layernorm" },
      { name: "o", kind: "dense", width: 1, act: null, bias: true },
    ];
    const net = new Sequential({ inShape: [4, 4, 1], layers, seeds: 1 });
    const x = tf.tensor(randomValues(3 * 16, 10), [1, 3, 4, 4, 1]);
    const loss = () => tf.sum(tf.square(net.forward(x, { training: true }))) as tf.Scalar;
    const { grads } = tf.variableGrads(loss);
    for (const p of net.params) {
      const analytic = values(grads[p.variable.name]!);
      const base = values(p.variable);
      const numeric = base.map((_, i) => {
        const at = (d: number) => {
          p.variable.assign(tf.tensor(base.map((v, j) => (j === i ? v + d : v)), p.variable.shape));
          return loss().dataSync()[0]!;
        };
        const g = (at(1e-2) - at(-1e-2)) / 2e-2;
        p.variable.assign(tf.tensor(base, p.variable.shape));
        return g;
      });
      expect(maxDiff(analytic, numeric), p.name).toBeLessThan(2e-2 * Math.max(1, ...numeric.map(Math.abs)));
    }
    net.dispose();
  });

  it("a Hessian-vector product through dense → tanh → batchnorm → dense equals a float64 finite-difference Hessian times v", () => {
    const [IN, H, B] = [2, 3, 5];
    const layers: LayerSpec[] = [
      { name: "h", kind: "dense", width: H, act: "tanh", bias: true },
      { name: "bn", kind: "batchnorm" },
      { name: "o", kind: "dense", width: 1, act: null, bias: true },
    ];
    const net = new Sequential({ inShape: [IN], layers, seeds: 1 });
    setParam(net, "bn.gamma", [1.2, 0.7, -0.9]);
    setParam(net, "bn.beta", [0.1, -0.2, 0.3]);
    const X = randomValues(B * IN, 12);
    const Y = randomValues(B, 13);
    const sizes = net.params.map((p) => p.variable.size);
    const theta = Float64Array.from(net.params.flatMap((p) => values(p.variable)));
    // θ = [W (IN×H), b (H), γ (H), β (H), W₂ (H), b₂]
    const lossF64 = (t: Float64Array) => {
      const at = (k: number) => sizes.slice(0, k).reduce((a, s) => a + s, 0);
      const z = Array.from({ length: B }, (_, n) => Array.from({ length: H }, (_, j) => Math.tanh(t[at(1) + j]! + [0, 1].reduce((a, i) => a + X[n * IN + i]! * t[at(0) + i * H + j]!, 0))));
      const mean = Array.from({ length: H }, (_, j) => z.reduce((a, r) => a + r[j]!, 0) / B);
      const v = Array.from({ length: H }, (_, j) => z.reduce((a, r) => a + (r[j]! - mean[j]!) ** 2, 0) / B);
      return z.reduce((total, r, n) => {
        const out = t[at(5)]! + r.reduce((a, zj, j) => a + (t[at(2) + j]! * (zj - mean[j]!) / Math.sqrt(v[j]! + 1e-5) + t[at(3) + j]!) * t[at(4) + j]!, 0);
        return total + 0.5 * (out - Y[n]!) ** 2;
      }, 0) / B;
    };
    const P = theta.length;
    const vec = randomValues(P, 14);
    const h = 1e-4;
    const hv = Array.from({ length: P }, (_, i) => {
      let sum = 0;
      for (let j = 0; j < P; j++) {
        const e = (di: number, dj: number) => {
          const t = Float64Array.from(theta);
          t[i]! += di;
          t[j]! += dj;
          return lossF64(t);
        };
        sum += ((e(h, h) - e(h, -h) - e(-h, h) + e(-h, -h)) / (4 * h * h)) * vec[j]!;
      }
      return sum;
    });
    const x = tf.tensor3d(X, [1, B, IN]);
    const y = tf.tensor3d(Y, [1, B, 1]);
    const loss = () => tf.mul(tf.mean(tf.square(tf.sub(net.forward(x, { training: true, updateStats: false }), y))), 0.5) as tf.Scalar;
    const vars = net.params.map((p) => p.variable);
    let offset = 0;
    const v = vars.map((p) => {
      const part = tf.tensor(vec.slice(offset, offset + p.size), p.shape);
      offset += p.size;
      return part;
    });
    // H·v = ∇(∇L·v), through the parameters as the curvature probes do it.
    const hvpTf = tf.tidy(() => {
      const inner = () => {
        const { grads } = tf.variableGrads(loss, vars);
        return tf.addN(vars.map((p, k) => tf.sum(tf.mul(grads[p.name]!, v[k]!)))) as tf.Scalar;
      };
      const { grads } = tf.variableGrads(inner, vars);
      return vars.flatMap((p) => values(grads[p.name]!));
    });
    expect(maxDiff(hvpTf, hv)).toBeLessThan(2e-3 * Math.max(1, ...hv.map(Math.abs)));
    expect(values(net.state[0]!)).toEqual([0, 0, 0]); // updateStats: false leaves the running statistics
    net.dispose();
  });
});

/** Every parameter's name and values, in `params` order. */
const snapshot = (m: Model) => m.params.map((p) => [p.name, values(p.variable)] as const);

function tapsOf(m: Model, x: tf.Tensor, training: boolean): Record<string, number[][]> {
  const taps: Taps = { pre: new Map(), post: new Map() };
  m.forward(x, { training, taps });
  return Object.fromEntries([...taps.pre.keys()].map((k) => [k, [values(taps.pre.get(k)!), values(taps.post.get(k)!)]]));
}

describe.each(["cpu", "wasm"] as const)("mlp(…) and cnn(…) as layer lists on %s", (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });
  afterAll(async () => {
    await selectBackend("cpu");
  });

  const mlps: [string, MlpOptions][] = [
    ["plain", { inDim: 3, hidden: [6, 4], outDim: 2, act: "silu", seeds: [0, 5] }],
    ["batchnorm, dropout, gaussian features, no bias", { inDim: 2, hidden: [5], outDim: 1, act: "tanh", norm: "batchnorm", dropout: 0.3, bias: false, encode: { kind: "gaussian_features", sigma: 2, features: 4 }, seeds: 3 }],
    ["phase init", { inDim: 1, hidden: [8], outDim: 1, act: "relu", init: { kind: "phase", gamma: 1.5, gamma_prime: 0 }, seeds: 2 }],
    ["output scale, per-layer init, fourier", { inDim: 1, hidden: [4], outDim: 1, act: { name: "leaky_relu", slope: 0.2 }, outputScale: 0.25, encode: { kind: "fourier", L: 2 }, init: { default: "he_normal", layers: { out: { weight: { kind: "normal", mean: 0, std: 0.5 } } } }, seeds: 2 }],
  ];

  it.each(mlps)("mlp (%s): identical parameters after init, state, forward, taps and layer view", (_, o) => {
    const old = new Mlp(o);
    const list = mlpLayers({ hidden: o.hidden, outDim: o.outDim, act: o.act ?? "relu", bias: o.bias ?? true, norm: o.norm ?? "none", dropout: o.dropout ?? 0, encode: o.encode ?? null, outputScale: o.outputScale ?? null });
    const seq = new Sequential({ inShape: [o.inDim], layers: list, seeds: o.seeds, ...(o.init ? { init: o.init } : {}) });
    expect(snapshot(seq)).toEqual(snapshot(old));
    expect(seq.layerNames).toEqual(old.layerNames);
    expect(seq.state.map((s) => s.shape)).toEqual(old.state.map((s) => s.shape));
    expect(seq.layers.map(({ weight, bias, ...rest }) => ({ ...rest, weight: weight?.name, bias: bias?.name }))).toEqual(
      old.layers.map(({ weight, bias, ...rest }) => ({ ...rest, weight: weight?.name, bias: bias?.name })),
    );
    const x = tf.tensor3d(randomValues(seq.seeds * 7 * o.inDim, 20), [seq.seeds, 7, o.inDim]);
    for (const training of [false, true]) expect(tapsOf(seq, x, training)).toEqual(tapsOf(old, x, training));
    expect(seq.state.map(values)).toEqual(old.state.map(values));
    seq.dispose();
    old.dispose();
  });

  it("the 1→W→1 pattern takes Mlp's fused step, with the same loss and gradients", () => {
    const o: MlpOptions = { inDim: 1, hidden: [16], outDim: 1, act: "tanh", seeds: [1, 2], init: { kind: "phase", gamma: 1.2, gamma_prime: 0 } };
    const old = new Mlp(o);
    const seq = new Sequential({ inShape: [1], layers: mlpLayers({ ...o, act: "tanh", bias: true, norm: "none", dropout: 0, encode: null, outputScale: null }), seeds: o.seeds, init: o.init! });
    const x = tf.tensor3d(randomValues(2 * 9, 21), [2, 9, 1]);
    const y = tf.tensor3d(randomValues(2 * 9, 22), [2, 9, 1]);
    const a = old.fusedLossAndGradients(x, y, "half_mse");
    const b = seq.fusedLossAndGradients(x, y, "half_mse");
    expect(b === undefined).toBe(a === undefined);
    if (a && b) {
      expect(values(b.perSeed)).toEqual(values(a.perSeed));
      expect(b.grads.map(values)).toEqual(a.grads.map(values));
    }
    // Not the scalar kernel's loss: the native fused MLP step takes it where it serves (fused-native-mlp.test.ts), else the tape.
    const crossEntropy = seq.fusedLossAndGradients(x, y, "cross_entropy");
    expect(crossEntropy === undefined).toBe(!nativeFusedStepActive());
    if (crossEntropy) tf.dispose([crossEntropy.perSample, crossEntropy.perSeed, ...crossEntropy.grads]);
    seq.dispose();
    old.dispose();
  });

  it("cnn: identical parameters after init, forward and taps", () => {
    const o: ConvNetOptions = { inShape: [9, 9, 2], convs: [{ filters: 3, kernel: 3, act: "tanh", pool: { kind: "max", size: 2 } }, { filters: 2, kernel: 2, padding: "same", stride: 2 }], hidden: [5], outDim: 3, act: "relu", seeds: [0, 1] };
    const old = convNet(o);
    const seq = new Sequential({ inShape: o.inShape, layers: convNetLayers({ convs: o.convs, hidden: o.hidden, outDim: o.outDim, act: "relu", bias: true }), seeds: o.seeds });
    expect(snapshot(seq)).toEqual(snapshot(old));
    expect(seq.layerNames).toEqual(old.layerNames);
    const x = tf.tensor(randomValues(2 * 3 * 162, 23), [2, 3, 162]);
    expect(tapsOf(seq, x, true)).toEqual(tapsOf(old, x, true));
    expect(values(seq.forward(x, { training: false }))).toEqual(values(old.forward(x, { training: false })));
    seq.dispose();
    old.dispose();
  });
});
