/**
 * mlp and its layers against hand computations in JS: dense forward, taps, output scale, batch norm
 * (batch and running statistics), dropout (mask statistics, seeding), encodings, the phase init, seed
 * batching (a batch of seeds equals the seeds run one by one), and the opposing-signals linear model.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { phaseScales } from "../../runtime/init.js";
import type { Taps } from "../../contract/model.js";
import { gaussianFeatureMatrix } from "../../runtime/nn/encodings.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { opposingLinear } from "../../runtime/nn/opposing.js";
import { seedSlice, setParam } from "../../runtime/params.js";
import { Rng } from "../../runtime/rng.js";

beforeAll(async () => {
  await selectBackend("cpu");
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const closeAll = (a: number[], b: number[], tol = 1e-5) =>
  a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThan(tol * Math.max(1, Math.abs(b[i]!))));

describe("mlp structure and forward", () => {
  it("names layers and parameters, shapes them [S, …], omits biases when asked", () => {
    const net = mlp({ inDim: 3, hidden: [4, 5], outDim: 2, seeds: 2, bias: false });
    expect(net.layerNames).toEqual(["hidden0", "hidden1", "out"]);
    expect(net.params.map((p) => `${p.name}:${p.variable.shape.join("x")}`)).toEqual([
      "hidden0.weight:2x3x4",
      "hidden1.weight:2x4x5",
      "out.weight:2x5x2",
    ]);
    net.dispose();
  });

  it("computes relu(x·W1 + b1)·W2 + b2, times the output scale, as by hand; taps record pre and post", () => {
    const net = mlp({ inDim: 2, hidden: [2], outDim: 1, act: "relu", seeds: [0], outputScale: 0.5 });
    setParam(net, "hidden0.weight", [[1, -1], [2, 0.5]]); // [in, out]
    setParam(net, "hidden0.bias", [0.5, -3]);
    setParam(net, "out.weight", [[2], [-1]]);
    setParam(net, "out.bias", [0.25]);
    const taps: Taps = { pre: new Map(), post: new Map() };
    const y = net.forward(tf.tensor3d([[[1, 1], [-1, 2]]]), { training: false, taps });
    // x=(1,1): z = (1+2+0.5, -1+0.5-3) = (3.5, -3.5) → h = (3.5, 0) → 7 + 0.25 = 7.25 → ×0.5 = 3.625
    // x=(-1,2): z = (-1+4+0.5, 1+1-3) = (3.5, -1) → h = (3.5, 0) → 7.25 → 3.625
    expect(values(y)).toEqual([3.625, 3.625]);
    expect(values(taps.pre.get("hidden0")!)).toEqual([3.5, -3.5, 3.5, -1]);
    expect(values(taps.post.get("hidden0")!)).toEqual([3.5, 0, 3.5, 0]);
    expect(values(taps.pre.get("out")!)).toEqual([7.25, 7.25]);
    expect(values(taps.post.get("out")!)).toEqual([3.625, 3.625]);
    net.dispose();
  });

  it("a batch of seeds equals the same seeds built and run one by one", () => {
    const x = tf.tensor3d(Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.sin(i)), [2, 5, 3]);
    const both = mlp({ inDim: 3, hidden: [8, 8], outDim: 2, act: "silu", seeds: [17, 4] });
    const alone = mlp({ inDim: 3, hidden: [8, 8], outDim: 2, act: "silu", seeds: [4] });
    for (const p of alone.params) {
      expect(Array.from(seedSlice(both, p.name, 1).values)).toEqual(Array.from(seedSlice(alone, p.name, 0).values));
    }
    const yBoth = both.forward(x, { training: true });
    const yAlone = alone.forward(tf.slice(x, [1, 0, 0], [1, 5, 3]), { training: true });
    closeAll(values(tf.slice(yBoth, [1, 0, 0], [1, 5, 2])), values(yAlone), 1e-6);
    both.dispose();
    alone.dispose();
  });

  it("rejects inputs of the wrong shape and bad options with RUN040", () => {
    const net = mlp({ inDim: 3, hidden: [4], outDim: 1, seeds: 2 });
    expect(() => net.forward(tf.zeros([2, 5, 4]), { training: false })).toThrow(/\[seeds=2, batch, in=3\]/);
    expect(() => mlp({ inDim: 3, hidden: [0], outDim: 1, seeds: 1 })).toThrow(DyncRuntimeError);
    expect(() => mlp({ inDim: 3, hidden: [4], outDim: 1, seeds: [1, 1] })).toThrow(/distinct/);
    expect(() => mlp({ inDim: 1, hidden: [4, 4], outDim: 1, seeds: 1, init: { kind: "phase", gamma: 1, gamma_prime: 0 } })).toThrow(
      /one hidden layer/,
    );
    net.dispose();
  });

  it("frees what it allocates: forward in tidy leaks nothing, dispose frees the model", () => {
    const before = tf.memory().numTensors;
    const net = mlp({ inDim: 2, hidden: [6], outDim: 1, norm: "batchnorm", dropout: 0.2, seeds: 3, encode: { kind: "fourier", L: 2 } });
    const x = tf.ones([3, 4, 2]);
    tf.tidy(() => {
      net.forward(x, { training: true });
    });
    const during = tf.memory().numTensors;
    tf.tidy(() => {
      net.forward(x, { training: true });
    });
    expect(tf.memory().numTensors).toBe(during);
    x.dispose();
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("batch norm", () => {
  it("training normalises with batch statistics per seed; running statistics move by momentum 0.1", () => {
    const net = mlp({ inDim: 1, hidden: [1], outDim: 1, act: "identity", norm: "batchnorm", seeds: 2 });
    setParam(net, "hidden0.weight", [1]);
    setParam(net, "hidden0.bias", [0]);
    setParam(net, "hidden0.gamma", [2]);
    setParam(net, "hidden0.beta", [0.5]);
    const taps: Taps = { pre: new Map(), post: new Map() };
    // seed 0 sees 1, 2, 3, 6 (mean 3, biased var 3.5, unbiased 14/3); seed 1 sees 0, 0, 0, 4 (mean 1, var 3).
    const x = tf.tensor3d([1, 2, 3, 6, 0, 0, 0, 4], [2, 4, 1]);
    net.forward(x, { training: true, taps });
    const expected = [
      ...[1, 2, 3, 6].map((v) => (2 * (v - 3)) / Math.sqrt(3.5 + 1e-5) + 0.5),
      ...[0, 0, 0, 4].map((v) => (2 * (v - 1)) / Math.sqrt(3 + 1e-5) + 0.5),
    ];
    closeAll(values(taps.pre.get("hidden0")!), expected);
    const [runningMean, runningVar] = net.state;
    closeAll(values(runningMean!), [0.3, 0.1]);
    closeAll(values(runningVar!), [0.9 + 0.1 * (14 / 3), 0.9 + 0.1 * 4]);
    // Eval uses the running statistics; updateStats: false leaves them alone.
    net.forward(x, { training: true, updateStats: false } as never);
    closeAll(values(runningMean!), [0.3, 0.1]);
    const taps2: Taps = { pre: new Map(), post: new Map() };
    net.forward(tf.tensor3d([5, 5], [2, 1, 1]), { training: false, taps: taps2 });
    closeAll(values(taps2.pre.get("hidden0")!), [
      (2 * (5 - 0.3)) / Math.sqrt(0.9 + 0.1 * (14 / 3) + 1e-5) + 0.5,
      (2 * (5 - 0.1)) / Math.sqrt(1.3 + 1e-5) + 0.5,
    ]);
    expect(net.params.map((p) => p.name)).toEqual([
      "hidden0.weight",
      "hidden0.bias",
      "hidden0.gamma",
      "hidden0.beta",
      "out.weight",
      "out.bias",
    ]);
    net.dispose();
  });
});

describe("dropout", () => {
  const build = (seeds: number[]) => mlp({ inDim: 1, hidden: [200], outDim: 1, act: "identity", dropout: 0.3, seeds });

  it("drops a fraction p (within 5σ) and scales survivors by 1/(1−p), only when training", () => {
    const net = build([1, 2]);
    setParam(net, "hidden0.weight", new Array(200).fill(1));
    setParam(net, "hidden0.bias", new Array(200).fill(0));
    const taps: Taps = { pre: new Map(), post: new Map() };
    net.forward(tf.ones([2, 50, 1]), { training: true, taps });
    const post = values(taps.post.get("hidden0")!);
    const zeros = post.filter((v) => v === 0).length;
    expect(post.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    const n = post.length; // 20000
    expect(Math.abs(zeros / n - 0.3)).toBeLessThan(5 * Math.sqrt((0.3 * 0.7) / n));
    const evalTaps: Taps = { pre: new Map(), post: new Map() };
    net.forward(tf.ones([2, 50, 1]), { training: false, taps: evalTaps });
    expect(values(evalTaps.post.get("hidden0")!).every((v) => v === 1)).toBe(true);
    net.dispose();
  });

  it("masks come from each seed's own stream: batched equals alone, and repeatable", () => {
    const x = tf.ones([2, 7, 1]);
    const [a, b, c] = [build([5, 9]), build([9]), build([5, 9])];
    const ya = values(tf.slice(a.forward(x, { training: true }), [1, 0, 0], [1, 7, 1]));
    const yb = values(b.forward(tf.ones([1, 7, 1]), { training: true }));
    closeAll(ya, yb, 1e-6);
    expect(values(c.forward(x, { training: true }))).toEqual(values(build([5, 9]).forward(x, { training: true })));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe("input encodings", () => {
  it("coords rescales the domain onto the range", () => {
    const net = mlp({ inDim: 1, hidden: [1], outDim: 1, act: "identity", seeds: 1, encode: { kind: "coords", domain: [0, 1], range: [-1, 1] } });
    expect(values(net.encode(tf.tensor3d([0, 0.25, 1], [1, 3, 1])))).toEqual([-1, -0.5, 1]);
    net.dispose();
  });

  it("fourier (NeRF): per level k and coordinate, [sin(2^k π x), cos(2^k π x)], optionally after x", () => {
    const net = mlp({ inDim: 2, hidden: [3], outDim: 1, seeds: 1, encode: { kind: "fourier", L: 3, include_input: true } });
    expect(net.params[0]!.variable.shape).toEqual([1, 2 + 2 * 3 * 2, 3]);
    const [x, y] = [0.3, -0.7];
    const expected = [x, y];
    for (let k = 0; k < 3; k++) {
      for (const v of [x, y]) expected.push(Math.sin(2 ** k * Math.PI * v), Math.cos(2 ** k * Math.PI * v));
    }
    closeAll(values(net.encode(tf.tensor3d([x, y], [1, 1, 2]))), expected, 1e-6);
    net.dispose();
  });

  it("gaussian features: [sin(2π xB), cos(2π xB)] with B ~ N(0, σ²) fixed per seed", () => {
    const sigma = 3;
    const m = 4000;
    const net = mlp({ inDim: 2, hidden: [1], outDim: 1, seeds: [8, 9], encode: { kind: "gaussian_features", sigma, features: m } });
    const B = gaussianFeatureMatrix(9, 2, m, sigma);
    const sd = Math.sqrt(B.reduce((s, v) => s + v * v, 0) / B.length);
    expect(Math.abs(sd - sigma)).toBeLessThan(5 * sigma * Math.sqrt(1 / (2 * B.length)));
    const point = [0.2, -0.1];
    const enc = values(tf.slice(net.encode(tf.tensor3d([0, 0, ...point], [2, 1, 2])), [1, 0, 0], [1, 1, 2 * m]));
    const angle = (j: number) => 2 * Math.PI * (point[0]! * B[j]! + point[1]! * B[m + j]!);
    for (const j of [0, 1, 1234, m - 1]) {
      expect(Math.abs(enc[j]! - Math.sin(angle(j)))).toBeLessThan(2e-4);
      expect(Math.abs(enc[m + j]! - Math.cos(angle(j)))).toBeLessThan(2e-4);
    }
    const seed8 = gaussianFeatureMatrix(8, 2, m, sigma);
    expect(seed8[0]).not.toBe(B[0]);
    net.dispose();
  });
});

describe("phase init in mlp", () => {
  it("samples hidden weights with std β₂, output weights with β₁, and scales the output by 1/α", () => {
    const m = 2000;
    const net = mlp({ inDim: 1, hidden: [m], outDim: 1, act: "relu", seeds: [0, 1], init: { kind: "phase", gamma: 1.5, gamma_prime: 0.5 } });
    const s = phaseScales(1.5, 0.5, m);
    expect(net.outputScale).toBeCloseTo(1 / s.alpha, 15);
    const rms = (name: string) => {
      const v = values(net.params.find((p) => p.name === name)!.variable);
      return Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length);
    };
    const n = 2 * m;
    expect(Math.abs(rms("hidden0.weight") - s.beta2)).toBeLessThan(5 * s.beta2 * Math.sqrt(1 / (2 * n)));
    expect(Math.abs(rms("hidden0.bias") - s.beta2)).toBeLessThan(5 * s.beta2 * Math.sqrt(1 / (2 * n)));
    expect(Math.abs(rms("out.weight") - s.beta1)).toBeLessThan(5 * s.beta1 * Math.sqrt(1 / (2 * n)));
    expect(rms("out.bias")).toBe(0);
    net.dispose();
  });
});

describe("opposing-signals linear model c·(bᵀx + b_oᵀx_o)", () => {
  it("starts with ‖b‖² = d1/(d1+d2), ‖b_o‖² = d2/(d1+d2), c = 1, and computes the formula", () => {
    const [d1, d2] = [3, 6];
    const model = opposingLinear({ d1, d2, seeds: [2, 5] });
    expect(model.params.map((p) => p.name)).toEqual(["b.weight", "b_o.weight", "c.scale"]);
    for (const s of [0, 1]) {
      const b = seedSlice(model, "b.weight", s).values;
      const bo = seedSlice(model, "b_o.weight", s).values;
      expect(b.reduce((a, v) => a + v * v, 0)).toBeCloseTo(d1 / (d1 + d2), 6);
      expect(bo.reduce((a, v) => a + v * v, 0)).toBeCloseTo(d2 / (d1 + d2), 6);
    }
    setParam(model, "c.scale", [2], { seed: 1 });
    const rng = new Rng(3);
    const row = Array.from({ length: d1 + d2 }, () => rng.normal());
    const y = values(model.forward(tf.tensor3d([...row, ...row], [2, 1, d1 + d2]), { training: false }));
    [0, 1].forEach((s) => {
      const b = seedSlice(model, "b.weight", s).values;
      const bo = seedSlice(model, "b_o.weight", s).values;
      let dot = 0;
      for (let i = 0; i < d1; i++) dot += b[i]! * row[i]!;
      for (let i = 0; i < d2; i++) dot += bo[i]! * row[d1 + i]!;
      expect(y[s]!).toBeCloseTo((s === 1 ? 2 : 1) * dot, 5);
    });
    model.dispose();
  });
});
