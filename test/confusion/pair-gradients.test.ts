/**
 * Per-pair gradient inner products and cosines (stdlib/confusion/pair-gradients.ts) against independent truth:
 * - a float64 JS reference that backpropagates one example at a time through plain arrays (dense layers, relu
 *   or tanh, optional NeRF fourier encoding written out here, mse or cross-entropy) and forms each example's
 *   full gradient vector, whose dot products give ⟨g_i, g_j⟩ and the cosines;
 * - for layer kinds the hand reference does not model (gaussian features, dropout, a `scale` layer, a dense
 *   layer without bias, leaky relu, half_mse), each row's gradient from `tf.variableGrads` on that row alone,
 *   summed in float64;
 * plus: passes of a few rows give the results of one pass, pairs (i, i) give cosine 1, and a network with
 * batch-norm parameters is refused naming the layer.
 *
 * Tolerances: a and δ come from a float32 forward/backward pass (relative error ~1e-7 per value; the dot
 * products themselves are float64), so cosines are compared to 1e-5 absolute and dot products to 1e-5
 * relative to ‖g_i‖‖g_j‖ (the scale Cauchy–Schwarz bounds them by). Measured worst cosine errors on these
 * nets, widths up to 256: 4e-8 to 1.1e-7 on cpu and wasm.
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
import { EvalData } from "../../stdlib/probes/eval-data.js";
import { backpropSignals, type PairIndices, pairGradientCosines, pairGradientDots } from "../../stdlib/confusion/pair-gradients.js";
import { expectRuntimeError } from "../runtime/expect-runtime-error.js";

type Act = "relu" | "tanh" | "identity";

/** One seed's network as float64 arrays: W[l] row-major `[fanIn][fanOut]`, b[l] or null. */
interface RefNet {
  readonly W: Float64Array[];
  readonly b: (Float64Array | null)[];
  readonly fanIn: number[];
  readonly fanOut: number[];
  readonly act: Act[];
  readonly fourier: number | null;
}

function refNet(model: Model, s: number, fourier: number | null): RefNet {
  const dense = model.layers.filter((l) => l.weight);
  const slice = (v: tf.Variable) => {
    const per = v.size / model.seeds;
    return Float64Array.from(v.dataSync().subarray(s * per, (s + 1) * per));
  };
  return {
    W: dense.map((l) => slice(l.weight!.variable)),
    b: dense.map((l) => (l.bias ? slice(l.bias.variable) : null)),
    fanIn: dense.map((l) => l.fanIn),
    fanOut: dense.map((l) => l.fanOut),
    act: dense.map((l) => (l.activation ?? "identity") as Act),
    fourier,
  };
}

/** NeRF encoding in the order of runtime/nn/encodings.ts: per level k, per coordinate c, [sin, cos](2^k π x_c). */
function encode(x: readonly number[], L: number | null): number[] {
  if (L === null) return [...x];
  const out: number[] = [];
  for (let k = 0; k < L; k++) for (const v of x) out.push(Math.sin(2 ** k * Math.PI * v), Math.cos(2 ** k * Math.PI * v));
  return out;
}

const actOf = (a: Act, z: number) => (a === "relu" ? Math.max(0, z) : a === "tanh" ? Math.tanh(z) : z);
const actDeriv = (a: Act, z: number) => (a === "relu" ? (z > 0 ? 1 : 0) : a === "tanh" ? 1 - Math.tanh(z) ** 2 : 1);

/** The full per-example gradient (per layer: W row-major, then b) of one row's loss, in float64. */
function refGradient(net: RefNet, x: readonly number[], y: readonly number[], loss: LossKind): number[] {
  const inputs: number[][] = [];
  const pre: number[][] = [];
  let h = encode(x, net.fourier);
  net.W.forEach((W, l) => {
    inputs.push(h);
    const z = Array.from({ length: net.fanOut[l]! }, (_, o) => (net.b[l]?.[o] ?? 0) + h.reduce((acc, v, i) => acc + v * W[i * net.fanOut[l]! + o]!, 0));
    pre.push(z);
    h = z.map((v) => actOf(net.act[l]!, v));
  });
  let delta = lossGradient(h, y, loss).map((g, o) => g * actDeriv(net.act.at(-1)!, pre.at(-1)![o]!));
  const parts: number[][] = [];
  for (let l = net.W.length - 1; l >= 0; l--) {
    const a = inputs[l]!;
    const gW = a.flatMap((ai) => delta.map((d) => ai * d));
    parts.unshift(net.b[l] ? [...gW, ...delta] : gW);
    if (l > 0) {
      const W = net.W[l]!;
      const prev = pre[l - 1]!;
      delta = a.map((_, i) => delta.reduce((acc, d, o) => acc + d * W[i * net.fanOut[l]! + o]!, 0) * actDeriv(net.act[l - 1]!, prev[i]!));
    }
  }
  return parts.flat();
}

/** ∂ℓ/∂output of one row: mse = mean_o (out − y)², cross-entropy = logsumexp(out) − Σ y·out. */
function lossGradient(out: readonly number[], y: readonly number[], loss: LossKind): number[] {
  if (loss === "cross_entropy") {
    const m = Math.max(...out);
    const e = out.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    const mass = y.reduce((a, b) => a + b, 0);
    return out.map((_, o) => (mass * e[o]!) / z - y[o]!);
  }
  const half = loss === "half_mse" ? 0.5 : 1;
  return out.map((v, o) => (half * 2 * (v - y[o]!)) / out.length);
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((acc, v, k) => acc + v * b[k]!, 0);

function dataset(name: string, n: number, d: number, yDim: number, seed: number, classes = false): Dataset {
  const r = new Rng(seed);
  const x = Float32Array.from({ length: n * d }, () => r.uniform() * 2 - 1);
  const y = new Float32Array(n * yDim);
  for (let k = 0; k < n; k++) {
    if (classes) y[k * yDim + Math.floor(r.uniform() * yDim)] = 1;
    else for (let o = 0; o < yDim; o++) y[k * yDim + o] = r.normal();
  }
  return { name, n, xShape: [d], x, yDim, y };
}

function randomPairs(n: number, count: number, seed: number): PairIndices {
  const r = new Rng(seed);
  const pick = () => Int32Array.from({ length: count }, () => Math.floor(r.uniform() * n));
  return { i: pick(), j: pick() };
}

const rowOf = (d: Dataset, k: number) => ({
  x: Array.from(d.x.subarray(k * d.xShape[0]!, (k + 1) * d.xShape[0]!)),
  y: Array.from(d.y.subarray(k * d.yDim, (k + 1) * d.yDim)),
});

interface Case {
  readonly layers: LayerSpec[];
  readonly inDim: number;
  readonly yDim: number;
  readonly loss: LossKind;
  readonly fourier: number | null;
  readonly seeds: number[];
  readonly perSeedData: boolean;
}

/** Compare pairGradientDots/Cosines with the float64 reference for every seed's own pairs. */
function checkAgainstReference(c: Case): void {
  const model = new Sequential({
    inShape: [c.inDim],
    layers: c.layers,
    seeds: c.seeds,
  });
  const n = 40;
  const sets = c.perSeedData
    ? c.seeds.map((s, k) => dataset("train", n, c.inDim, c.yDim, 100 + k, c.loss === "cross_entropy"))
    : [dataset("train", n, c.inDim, c.yDim, 100, c.loss === "cross_entropy")];
  const data = new EvalData(sets, c.seeds.length);
  const pairs = c.seeds.map((_, s) => randomPairs(n, 25 + 7 * s, 10 + s));
  const dots = pairGradientDots(model, data, c.loss, pairs);
  const cos = pairGradientCosines(model, data, c.loss, pairs);
  let negatives = 0;
  c.seeds.forEach((_, s) => {
    const net = refNet(model, s, c.fourier);
    const set = sets[c.perSeedData ? s : 0]!;
    const grad = (k: number) => refGradient(net, rowOf(set, k).x, rowOf(set, k).y, c.loss);
    expect(cos[s]!.length).toBe(pairs[s]!.i.length);
    pairs[s]!.i.forEach((i, k) => {
      const j = pairs[s]!.j[k]!;
      const [gi, gj] = [grad(i), grad(j)];
      const [nI, nJ] = [dot(gi, gi), dot(gj, gj)];
      const scale = Math.sqrt(nI * nJ);
      expect(Math.abs(dots[s]!.dot[k]! - dot(gi, gj)) / scale).toBeLessThan(1e-5);
      expect(Math.abs(dots[s]!.normI[k]! - nI) / nI).toBeLessThan(1e-5);
      expect(Math.abs(dots[s]!.normJ[k]! - nJ) / nJ).toBeLessThan(1e-5);
      expect(Math.abs(cos[s]![k]! - dot(gi, gj) / scale)).toBeLessThan(1e-5);
      if (cos[s]![k]! < 0) negatives++;
    });
  });
  expect(negatives).toBeGreaterThan(0); // the cases exercise both signs
  model.dispose();
  data.dispose();
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`pairGradientDots / pairGradientCosines against one-by-one float64 gradients on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it("relu 3 → 8 → 6 → 2, mse, shared data, three seeds with their own pairs", () => {
      checkAgainstReference({
        layers: [
          { name: "h0", kind: "dense", width: 8, act: "relu", bias: true },
          { name: "h1", kind: "dense", width: 6, act: "relu", bias: true },
          { name: "out", kind: "dense", width: 2, act: null, bias: true },
        ],
        inDim: 3,
        yDim: 2,
        loss: "mse",
        fourier: null,
        seeds: [1, 2, 3],
        perSeedData: false,
      });
    });

    it("fourier(L: 3) encoding → tanh 12 → tanh 7 → 3, cross-entropy, per-seed data", () => {
      checkAgainstReference({
        layers: [
          {
            name: "enc",
            kind: "encoding",
            encoding: { kind: "fourier", L: 3 },
          },
          { name: "h0", kind: "dense", width: 12, act: "tanh", bias: true },
          { name: "h1", kind: "dense", width: 7, act: "tanh", bias: true },
          { name: "out", kind: "dense", width: 3, act: null, bias: true },
        ],
        inDim: 2,
        yDim: 3,
        loss: "cross_entropy",
        fourier: 3,
        seeds: [4, 5],
        perSeedData: true,
      });
    });

    it("fourier(L: 2) encoding → relu layers (activation layer form), mse, one seed", () => {
      checkAgainstReference({
        layers: [
          {
            name: "enc",
            kind: "encoding",
            encoding: { kind: "fourier", L: 2 },
          },
          { name: "h0", kind: "dense", width: 10, act: null, bias: true },
          { name: "r0", kind: "activation", act: "relu" },
          { name: "h1", kind: "dense", width: 10, act: "relu", bias: true },
          { name: "out", kind: "dense", width: 1, act: null, bias: true },
        ],
        inDim: 2,
        yDim: 1,
        loss: "mse",
        fourier: 2,
        seeds: [9],
        perSeedData: false,
      });
    });

    it("a realistic width: fourier(L: 4) → relu 256 → relu 256 → 3, mse (float32 forward/backward over 256-wide layers)", () => {
      checkAgainstReference({
        layers: [
          {
            name: "enc",
            kind: "encoding",
            encoding: { kind: "fourier", L: 4 },
          },
          { name: "h0", kind: "dense", width: 256, act: "relu", bias: true },
          { name: "h1", kind: "dense", width: 256, act: "relu", bias: true },
          { name: "out", kind: "dense", width: 3, act: null, bias: true },
        ],
        inDim: 2,
        yDim: 3,
        loss: "mse",
        fourier: 4,
        seeds: [13],
        perSeedData: false,
      });
    });

    it("tanh without encoding, cross-entropy, two seeds", () => {
      checkAgainstReference({
        layers: [
          { name: "h0", kind: "dense", width: 9, act: "tanh", bias: true },
          { name: "out", kind: "dense", width: 4, act: null, bias: true },
        ],
        inDim: 5,
        yDim: 4,
        loss: "cross_entropy",
        fourier: null,
        seeds: [11, 12],
        perSeedData: false,
      });
    });
  });
}

describe("layer kinds the hand reference does not model, against tf.variableGrads one row at a time", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
  });

  it("gaussian features, dropout (off in evaluation), leaky relu, a dense layer without bias, a scale layer, half_mse", () => {
    const layers: LayerSpec[] = [
      {
        name: "enc",
        kind: "encoding",
        encoding: {
          kind: "gaussian_features",
          sigma: 1.5,
          features: 4,
          include_input: true,
        },
      },
      {
        name: "h0",
        kind: "dense",
        width: 8,
        act: { name: "leaky_relu", slope: 0.1 },
        bias: false,
      },
      { name: "drop", kind: "dropout", p: 0.5 },
      { name: "h1", kind: "dense", width: 6, act: "silu", bias: true },
      { name: "out", kind: "dense", width: 2, act: null, bias: true },
      { name: "sc", kind: "scale", factor: 0.3 },
    ];
    const seeds = [21, 22];
    const model = new Sequential({ inShape: [2], layers, seeds });
    const n = 30;
    const set = dataset("train", n, 2, 2, 7);
    const data = new EvalData([set], seeds.length);
    const pairs = seeds.map((_, s) => randomPairs(n, 12, 40 + s));
    const dots = pairGradientDots(model, data, "half_mse", pairs);
    const vars = model.params.map((p) => p.variable);
    const perRowGradient = (rows: number[]): number[][] =>
      tf.tidy(() => {
        const x = tf.tensor3d(
          rows.flatMap((k) => rowOf(set, k).x),
          [seeds.length, 1, 2],
        );
        const y = tf.tensor3d(
          rows.flatMap((k) => rowOf(set, k).y),
          [seeds.length, 1, 2],
        );
        const { grads } = tf.variableGrads(() => tf.sum(lossFunction("half_mse")(model.forward(x, { training: false }), y).perSample) as tf.Scalar, vars);
        return seeds.map((_, s) =>
          vars.flatMap((v) => {
            const all = grads[v.name]!.dataSync();
            const per = all.length / seeds.length;
            return Array.from(all.subarray(s * per, (s + 1) * per));
          }),
        );
      });
    for (let k = 0; k < 12; k++) {
      const gi = perRowGradient(seeds.map((_, s) => pairs[s]!.i[k]!));
      const gj = perRowGradient(seeds.map((_, s) => pairs[s]!.j[k]!));
      seeds.forEach((_, s) => {
        const [nI, nJ] = [dot(gi[s]!, gi[s]!), dot(gj[s]!, gj[s]!)];
        expect(Math.abs(dots[s]!.dot[k]! - dot(gi[s]!, gj[s]!)) / Math.sqrt(nI * nJ)).toBeLessThan(1e-5);
        expect(Math.abs(dots[s]!.normI[k]! - nI) / nI).toBeLessThan(1e-5);
        expect(Math.abs(dots[s]!.normJ[k]! - nJ) / nJ).toBeLessThan(1e-5);
      });
    }
    model.dispose();
    data.dispose();
  });
});

describe("ForwardOptions.skipParameterGradients", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
  });

  it("leaves the forward values and the input gradient as they are, and gives zero weight gradients", () => {
    const layers: LayerSpec[] = [
      { name: "h0", kind: "dense", width: 5, act: "tanh", bias: true },
      { name: "out", kind: "dense", width: 2, act: null, bias: false },
    ];
    const model = new Sequential({ inShape: [3], layers, seeds: [1, 2] });
    const x = tf.tensor3d(
      Array.from({ length: 2 * 4 * 3 }, (_, k) => Math.sin(k)),
      [2, 4, 3],
    );
    const run = (skipParameterGradients: boolean) =>
      tf.tidy(() => {
        const f = (input: tf.Tensor) => tf.sum(tf.square(model.forward(input, { training: false, skipParameterGradients })));
        const value = f(x).dataSync()[0]!;
        const dx = Array.from(tf.grad(f)(x).dataSync());
        const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, [model.params[0]!.variable]);
        return { value, dx, dW: Array.from(Object.values(grads)[0]!.dataSync()) };
      });
    const [plain, skipped] = [run(false), run(true)];
    expect(skipped.value).toBe(plain.value);
    expect(skipped.dx).toEqual(plain.dx);
    expect(plain.dW.some((v) => v !== 0)).toBe(true);
    expect(skipped.dW.every((v) => v === 0)).toBe(true);
    x.dispose();
    model.dispose();
  });
});

describe("passes, degenerate pairs and refusals", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
  });

  const layers: LayerSpec[] = [
    { name: "h0", kind: "dense", width: 16, act: "relu", bias: true },
    { name: "h1", kind: "dense", width: 16, act: "relu", bias: true },
    { name: "out", kind: "dense", width: 1, act: null, bias: true },
  ];

  it("passes of 3 to 7 seed-rows give the results of one pass; seeds with different pair counts; (i, i) has cosine 1", () => {
    const seeds = [1, 2];
    const model = new Sequential({ inShape: [2], layers, seeds });
    const data = new EvalData([dataset("train", 50, 2, 1, 3)], seeds.length);
    const pairs = [
      randomPairs(50, 37, 1),
      {
        i: Int32Array.from([4, 4, 9, 9, 4]),
        j: Int32Array.from([4, 9, 9, 4, 5]),
      },
    ];
    const whole = pairGradientDots(model, data, "mse", pairs);
    for (const seedRowsPerPass of [3, 4, 7]) {
      const split = pairGradientDots(model, data, "mse", pairs, {
        seedRowsPerPass,
      });
      seeds.forEach((_, s) => {
        for (const key of ["dot", "normI", "normJ"] as const) {
          split[s]![key].forEach((v, k) => expect(Math.abs(v - whole[s]![key][k]!)).toBeLessThanOrEqual(1e-6 * Math.abs(whole[s]![key][k]!) + 1e-12));
        }
      });
    }
    const cos = pairGradientCosines(model, data, "mse", pairs);
    expect(cos[1]![0]).toBeCloseTo(1, 6);
    expect(cos[1]![2]).toBeCloseTo(1, 6);
    expect(cos[1]![1]).toBeCloseTo(cos[1]![3]!, 12); // (4, 9) and (9, 4)
    model.dispose();
    data.dispose();
  });

  it("an empty pair set gives an empty result; bad pair sets and batch-norm parameters are refused", () => {
    const model = new Sequential({ inShape: [2], layers, seeds: [1] });
    const data = new EvalData([dataset("train", 10, 2, 1, 3)], 1);
    expect(pairGradientCosines(model, data, "mse", [{ i: new Int32Array(0), j: new Int32Array(0) }])[0]!.length).toBe(0);
    expectRuntimeError(() => pairGradientCosines(model, data, "mse", []), "RUN040", /one pair set per seed \(1\), got 0/);
    expectRuntimeError(
      () => pairGradientCosines(model, data, "mse", [{ i: Int32Array.from([0, 1]), j: Int32Array.from([1]) }]),
      "RUN040",
      /2 first rows but 1 second rows/,
    );
    expectRuntimeError(
      () => pairGradientCosines(model, data, "mse", [{ i: Int32Array.from([0]), j: Int32Array.from([10]) }]),
      "RUN040",
      /row 10 is outside data set "train" \(10 rows\)/,
    );
    const bn = new Sequential({
      inShape: [2],
      layers: [layers[0]!, { name: "bn", kind: "batchnorm" }, layers[2]!],
      seeds: [1],
    });
    expectRuntimeError(
      () => pairGradientCosines(bn, data, "mse", [{ i: Int32Array.from([0]), j: Int32Array.from([1]) }]),
      "RUN040",
      /dense layers only, but layer "bn" \(batchnorm\) has parameter bn\.gamma/,
    );
    // mlp(…)'s batch norm shares its dense layer's name: still refused.
    const mlpBn = new Sequential({
      inShape: [2],
      layers: [layers[0]!, { name: "h0", kind: "batchnorm" }, layers[2]!],
      seeds: [1],
    });
    expectRuntimeError(
      () => pairGradientCosines(mlpBn, data, "mse", [{ i: Int32Array.from([0]), j: Int32Array.from([1]) }]),
      "RUN040",
      /layer "h0" \(batchnorm\) has parameter h0\.gamma/,
    );
    const conv = new Sequential({
      inShape: [4, 4, 1],
      layers: [
        {
          name: "c",
          kind: "conv",
          filters: 2,
          kernel: 3,
          stride: 1,
          padding: "valid",
          act: "relu",
          bias: true,
        },
        { name: "f", kind: "flatten" },
        layers[2]!,
      ],
      seeds: [1],
    });
    const images = new EvalData(
      [
        {
          name: "img",
          n: 3,
          xShape: [4, 4, 1],
          x: new Float32Array(48).fill(0.5),
          yDim: 1,
          y: new Float32Array(3),
        },
      ],
      1,
    );
    expectRuntimeError(
      () => pairGradientCosines(conv, images, "mse", [{ i: Int32Array.from([0]), j: Int32Array.from([1]) }]),
      "RUN040",
      /layer "c" \(conv\) has parameter c\.weight/,
    );
    const bare = new Sequential({
      inShape: [2],
      layers: [{ name: "r", kind: "activation", act: "relu" }],
      seeds: [1],
    });
    expectRuntimeError(() => pairGradientCosines(bare, data, "mse", [{ i: Int32Array.from([0]), j: Int32Array.from([1]) }]), "RUN040", /has none/);
    [model, bn, mlpBn, conv, bare, data, images].forEach((m) => m.dispose());
  });

  it("a layer the forward pass does not feed is refused in the calling probe's name", () => {
    // backpropSignals also serves feature_gradient_cosine: its error must not say "gradient confusion" there.
    const model = new Sequential({ inShape: [2], layers, seeds: [1] });
    const other = new Sequential({ inShape: [2], layers: [{ name: "elsewhere", kind: "dense", width: 3, act: null, bias: true }], seeds: [1] });
    const x = tf.zeros([1, 2, 2]);
    const y = tf.zeros([1, 2, 1]);
    const inputs = new Map<string, tf.Tensor>();
    expectRuntimeError(
      () => backpropSignals(model, "mse", other.layers, x, y, inputs, "feature_gradient_cosine"),
      "RUN040",
      /^feature_gradient_cosine needs the input of layer "elsewhere"/,
    );
    tf.dispose([x, y, ...inputs.values()]);
    [model, other].forEach((m) => m.dispose());
  });

  it("leaves no tensors behind", () => {
    const model = new Sequential({ inShape: [2], layers, seeds: [1, 2] });
    const data = new EvalData([dataset("train", 20, 2, 1, 3)], 2);
    const before = tf.memory().numTensors;
    pairGradientCosines(model, data, "mse", [randomPairs(20, 9, 1), randomPairs(20, 4, 2)]);
    pairGradientDots(model, data, "mse", [randomPairs(20, 9, 1), randomPairs(20, 4, 2)], { seedRowsPerPass: 6 });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    data.dispose();
  });
});
