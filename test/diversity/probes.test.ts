/**
 * The feature-diversity probes against direct computations: pairwise means against explicit O(m²) float64
 * cosines (all / same-class / different-class, zero vectors left out); `feature_cosine` on random nets
 * against a float64 forward pass; `feature_gradient_cosine` against a float64 hand backprop of each row's
 * cross-entropy; results independent of the row chunking; `gate_agreement` against float64 patterns and
 * against `1 − hamming(normalize: true).mean`; both against the arc-cosine closed form on a wide isotropic layer.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { setParam } from "../../runtime/params.js";
import { sequential } from "../../runtime/nn/sequential.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { DirectionSums, type PairKind } from "../../stdlib/diversity/cosines.js";
import { directionSums } from "../../stdlib/diversity/probes.js";
import { EvalData } from "../../stdlib/probes/eval-data.js";
import { RunProbeEnv, startProbe, type SeedFields, type SeedIndexed } from "../../stdlib/probes/index.js";
import { drawPairs } from "../../stdlib/sampling/draw.js";
import { Rng } from "../../runtime/rng.js";
import { denseWeights, type DenseWeights, hiddenPre, referencePatterns } from "../regions/reference.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

const KINDS: readonly PairKind[] = ["all", "same_class", "different_class"];

/** Mean cosine over ordered distinct pairs of nonzero vectors, by explicit loops (float64). */
function explicitMean(vectors: readonly (readonly number[])[], labels: readonly number[], kind: PairKind): number {
  const norm = (v: readonly number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  let [sum, count] = [0, 0];
  for (let i = 0; i < vectors.length; i++) {
    for (let j = 0; j < vectors.length; j++) {
      if (i === j) continue;
      const [a, b] = [vectors[i]!, vectors[j]!];
      if (norm(a) === 0 || norm(b) === 0) continue;
      if (kind === "same_class" && labels[i] !== labels[j]) continue;
      if (kind === "different_class" && labels[i] === labels[j]) continue;
      sum += a.reduce((acc, x, k) => acc + x * b[k]!, 0) / (norm(a) * norm(b));
      count++;
    }
  }
  return count > 0 ? sum / count : NaN;
}

describe("DirectionSums", () => {
  it("gives the explicit pairwise means for all, same- and different-class pairs, leaving zero vectors out", () => {
    const rng = new Rng(3);
    const vectors = Array.from({ length: 23 }, (_, r) => Array.from({ length: 5 }, () => (r % 7 === 3 ? 0 : rng.normal() + 0.3)));
    const labels = vectors.map((_, r) => (r * 5) % 3);
    const sums = new DirectionSums(5);
    vectors.forEach((v, r) => sums.add(v, 0, labels[r]!));
    expect(sums.zero).toBe(3); // rows 3, 10, 17
    for (const kind of KINDS) expect(sums.meanCosine(kind)).toBeCloseTo(explicitMean(vectors, labels, kind), 13);
  });

  it("by hand: (1, 0), (0, 1) in class 0 and (1, 1) in class 1", () => {
    const sums = new DirectionSums(2);
    [[1, 0], [0, 1], [1, 1], [0, 0]].forEach((v, r) => sums.add(v, 0, [0, 0, 1, 1][r]!));
    const c = Math.SQRT1_2;
    expect(sums.meanCosine("all")).toBeCloseTo((0 + c + c) / 3, 15);
    expect(sums.meanCosine("same_class")).toBe(0);
    expect(sums.meanCosine("different_class")).toBeCloseTo(c, 15);
    expect(sums.zero).toBe(1);
  });

  it("is NaN without pairs of the kind asked", () => {
    const sums = new DirectionSums(2);
    sums.add([1, 2], 0, 0);
    sums.add([3, 1], 0, 1);
    expect(sums.meanCosine("same_class")).toBeNaN();
    expect(sums.meanCosine("different_class")).toBeCloseTo(5 / Math.sqrt(50), 15);
  });
});

// ── nets and data ─────────────────────────────────────────────────────────────

const CLASSES = 3;

/** 40 points in 3 Gaussian blobs in 2-D, one-hot targets; about half have x0 ≤ 0. */
function blobs(seed = 1): Dataset {
  const rng = new Rng(seed);
  const n = 40;
  const centres = [[-1, 0.5], [0.8, -0.6], [0.2, 1.1]];
  const x = new Float32Array(2 * n);
  const y = new Float32Array(CLASSES * n);
  for (let r = 0; r < n; r++) {
    const c = r % CLASSES;
    x[2 * r] = centres[c]![0]! + 0.6 * rng.normal();
    x[2 * r + 1] = centres[c]![1]! + 0.6 * rng.normal();
    y[r * CLASSES + c] = 1;
  }
  return { name: "blobs", n, xShape: [2], x, yDim: CLASSES, y };
}

const layer = (name: string, width: number, act: "relu" | null, bias: boolean): LayerSpec => ({ name, kind: "dense", width, act, bias });

/**
 * 2 → 5 → 7 → 6 → 3, ReLU, bias-free (the paper's setting). Layer a is set to z_u = x0 for every unit, so
 * rows with x0 ≤ 0 have zero features in a — and, without biases, in b and c too.
 */
function deadRowsNet(seeds: number): Model {
  const net = sequential({ inShape: [2], layers: [layer("a", 5, "relu", false), layer("b", 7, "relu", false), layer("c", 6, "relu", false), layer("out", CLASSES, null, false)], seeds });
  setParam(net, "a.weight", [[1, 0.5, 2, 1, 1.5], [0, 0, 0, 0, 0]]);
  return net;
}

function randomNet(seeds: number): Model {
  return sequential({ inShape: [2], layers: [layer("a", 8, "relu", true), layer("b", 9, "relu", true), layer("out", CLASSES, null, true)], seeds });
}

/** Post-activation features of every hidden layer at each row, float64. */
function referenceFeatures(weights: readonly DenseWeights[], data: Dataset): number[][][] {
  return Array.from({ length: data.n }, (_, r) => hiddenPre(weights, [data.x[2 * r]!, data.x[2 * r + 1]!]).map((z) => z.map((v) => Math.max(0, v))));
}

/** ∂ℓ/∂F of every hidden layer for one row, ℓ the row's softmax cross-entropy, by float64 backprop. */
function referenceFeatureGradients(weights: readonly DenseWeights[], input: readonly number[], target: readonly number[]): number[][] {
  const pre = hiddenPre(weights, input);
  const last = weights.at(-1)!;
  const h = pre.at(-1)!.map((v) => Math.max(0, v));
  const logits = Array.from({ length: last.fanOut }, (_, o) => last.b[o]! + h.reduce((a, v, i) => a + v * last.w[i * last.fanOut + o]!, 0));
  const top = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - top));
  const total = e.reduce((a, b) => a + b, 0);
  let delta = e.map((v, o) => v / total - target[o]!); // ∂ℓ/∂logits
  const out: number[][] = [];
  for (let l = weights.length - 1; l >= 1; l--) {
    const W = weights[l]!;
    const dF = Array.from({ length: W.fanIn }, (_, i) => delta.reduce((a, d, o) => a + d * W.w[i * W.fanOut + o]!, 0));
    out.unshift(dF);
    delta = dF.map((g, i) => (pre[l - 1]![i]! > 0 ? g : 0));
  }
  return out;
}

function context(seeds: number): ProbeContext {
  return { step: 0, seeds: [...Array(seeds).keys()], seedIndices: [...Array(seeds).keys()] } as unknown as ProbeContext;
}

function envFor(model: Model, data: Dataset): RunProbeEnv {
  return new RunProbeEnv({ model, modelName: "net", datasets: new Map([[data.name, [data]]]), loss: "cross_entropy" });
}

const labelsOf = (data: Dataset) => Array.from({ length: data.n }, (_, r) => Array.from(data.y.subarray(r * CLASSES, (r + 1) * CLASSES)).indexOf(1));

/** Runs probe `name` for each pair kind; per kind its `cosine` and `zero` per seed and layer. */
function measureKinds(name: string, net: Model, data: Dataset, args: Record<string, unknown> = {}) {
  const env = envFor(net, data);
  try {
    return Object.fromEntries(
      KINDS.map((pairs) => {
        const r = startProbe(name, { model: { ref: "net" }, data: { ref: data.name }, pairs, ...args }, env).measure(context(net.seeds)) as SeedIndexed;
        expect(r.dim).toBe("layer");
        return [pairs, { cosine: r.fields["cosine"]!.map((v) => Array.from(v!)), zero: r.fields["zero"]!.map((v) => Array.from(v!)) }];
      }),
    ) as Record<PairKind, { cosine: number[][]; zero: number[][] }>;
  } finally {
    env.dispose();
  }
}

// ── feature_cosine ────────────────────────────────────────────────────────────

describe("feature_cosine", () => {
  it("equals explicit pairwise cosines of float64 features per layer and seed, for all, same and different classes", () => {
    const net = randomNet(2);
    const data = blobs();
    const labels = labelsOf(data);
    try {
      const got = measureKinds("feature_cosine", net, data);
      for (let s = 0; s < 2; s++) {
        const features = referenceFeatures(denseWeights(net, s), data);
        for (const kind of KINDS) {
          const want = [0, 1].map((l) => explicitMean(features.map((f) => f[l]!), labels, kind));
          got[kind].cosine[s]!.forEach((v, l) => expect(v).toBeCloseTo(want[l]!, 6));
        }
      }
      // Different classes are less alike than one class, as blobs should be (the measure sees the classes).
      expect(got.different_class.cosine[0]![0]!).toBeLessThan(got.same_class.cosine[0]![0]!);
    } finally {
      net.dispose();
    }
  });

  it("leaves rows with zero features out and counts them; `layers` picks and orders the layers", () => {
    const net = deadRowsNet(1);
    const data = blobs();
    const labels = labelsOf(data);
    const features = referenceFeatures(denseWeights(net, 0), data);
    const deadRows = labels.filter((_, r) => data.x[2 * r]! <= 0).length;
    expect(deadRows).toBeGreaterThan(5);
    try {
      const got = measureKinds("feature_cosine", net, data);
      for (const kind of KINDS) {
        expect(got[kind].zero[0]).toEqual([deadRows, deadRows, deadRows]);
        got[kind].cosine[0]!.forEach((v, l) => expect(v).toBeCloseTo(explicitMean(features.map((f) => f[l]!), labels, kind), 6));
      }
      const picked = measureKinds("feature_cosine", net, data, { layers: [2, 0] });
      expect(picked.all.cosine[0]).toEqual([got.all.cosine[0]![2], got.all.cosine[0]![0]]);
    } finally {
      net.dispose();
    }
  });

  it("does not depend on how rows are chunked", () => {
    const net = randomNet(2);
    const data = blobs(4);
    const whole = new EvalData([data], 2);
    const chunked = new EvalData([data], 2, 6); // 3 rows per chunk
    try {
      for (const what of [{ kind: "features" } as const, { kind: "gradients", loss: "cross_entropy", probe: "feature_gradient_cosine" } as const]) {
        for (const kind of KINDS) {
          const a = directionSums(net, whole, null, kind, what).map((perLayer) => perLayer.map((d) => d.meanCosine(kind)));
          const b = directionSums(net, chunked, null, kind, what).map((perLayer) => perLayer.map((d) => d.meanCosine(kind)));
          a.flat().forEach((v, k) => expect(b.flat()[k]).toBeCloseTo(v, 12));
        }
      }
    } finally {
      whole.dispose();
      chunked.dispose();
      net.dispose();
    }
  });

  it("needs class labels for same- and different-class pairs", () => {
    const net = sequential({ inShape: [2], layers: [layer("a", 4, "relu", true), layer("out", 1, null, true)], seeds: 1 });
    const data: Dataset = { name: "reg", n: 4, xShape: [2], x: Float32Array.from([0, 1, 1, 0, 1, 1, 0, 0]), yDim: 1, y: Float32Array.from([0.5, 1, 2, 3]) };
    const env = envFor(net, data);
    try {
      expect(() => startProbe("feature_cosine", { model: { ref: "net" }, data: { ref: "reg" }, pairs: "same_class" }, env).measure(context(1))).toThrow(/class labels/);
    } finally {
      env.dispose();
      net.dispose();
    }
  });
});

// ── feature_gradient_cosine ───────────────────────────────────────────────────

describe("feature_gradient_cosine", () => {
  function expectHandBackprop(net: Model, data: Dataset, seeds: number) {
    const labels = labelsOf(data);
    const got = measureKinds("feature_gradient_cosine", net, data);
    for (let s = 0; s < seeds; s++) {
      const weights = denseWeights(net, s);
      const grads = Array.from({ length: data.n }, (_, r) =>
        referenceFeatureGradients(weights, [data.x[2 * r]!, data.x[2 * r + 1]!], Array.from(data.y.subarray(r * CLASSES, (r + 1) * CLASSES))),
      );
      for (const kind of KINDS) {
        got[kind].cosine[s]!.forEach((v, l) => expect(v).toBeCloseTo(explicitMean(grads.map((g) => g[l]!), labels, kind), 6));
        got[kind].zero[s]!.forEach((z, l) => expect(z).toBe(grads.filter((g) => g[l]!.every((v) => v === 0)).length));
      }
    }
    return got;
  }

  it("equals explicit cosines of float64 hand-backprop gradients ∂ℓ/∂F per layer and seed (random nets with biases)", () => {
    const net = randomNet(2);
    try {
      expectHandBackprop(net, blobs(2), 2);
    } finally {
      net.dispose();
    }
  });

  it("passes through batch norm in evaluation mode (running statistics), against float64 hand backprop", () => {
    // a (no bias) → bn1 → relu → b (no bias) → bn2 → relu → out; γ, β and the running statistics set at random.
    const bnLayer = (name: string): LayerSpec => ({ name, kind: "batchnorm" });
    const relu: LayerSpec = { name: "r", kind: "activation", act: "relu" };
    const net = sequential({
      inShape: [2],
      layers: [layer("a", 6, null, false), bnLayer("bn1"), { ...relu, name: "r1" }, layer("b", 5, null, false), bnLayer("bn2"), { ...relu, name: "r2" }, layer("out", CLASSES, null, true)],
      seeds: 1,
    });
    const rng = new Rng(11);
    const random = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
    const widths = [6, 5];
    const bn = widths.map((w, k) => {
      const p = { gamma: random(w, 0.5, 1.5), beta: random(w, -0.3, 0.3), mean: random(w, -0.2, 0.2), variance: random(w, 0.5, 2) };
      setParam(net, `bn${k + 1}.gamma`, p.gamma);
      setParam(net, `bn${k + 1}.beta`, p.beta);
      net.state[2 * k]!.assign(tf.tensor2d([p.mean]));
      net.state[2 * k + 1]!.assign(tf.tensor2d([p.variance]));
      return p;
    });
    const data = blobs(6);
    const labels = labelsOf(data);
    const [wa, wb, wo] = denseWeights(net, 0);
    const eps = 1e-5;
    const matVec = (v: readonly number[], w: DenseWeights) => Array.from({ length: w.fanOut }, (_, o) => w.b[o]! + v.reduce((a, x, i) => a + x * w.w[i * w.fanOut + o]!, 0));
    const vecMatT = (d: readonly number[], w: DenseWeights) => Array.from({ length: w.fanIn }, (_, i) => d.reduce((a, g, o) => a + g * w.w[i * w.fanOut + o]!, 0));
    const norm = (z: number[], k: number) => z.map((v, u) => (bn[k]!.gamma[u]! * (v - bn[k]!.mean[u]!)) / Math.sqrt(bn[k]!.variance[u]! + eps) + bn[k]!.beta[u]!);
    const slope = (k: number) => bn[k]!.gamma.map((g, u) => g / Math.sqrt(bn[k]!.variance[u]! + eps));
    const reference = Array.from({ length: data.n }, (_, r) => {
      const na = norm(matVec([data.x[2 * r]!, data.x[2 * r + 1]!], wa!), 0);
      const fa = na.map((v) => Math.max(0, v));
      const nb = norm(matVec(fa, wb!), 1);
      const fb = nb.map((v) => Math.max(0, v));
      const logits = matVec(fb, wo!);
      const e = logits.map((v) => Math.exp(v - Math.max(...logits)));
      const dLogits = e.map((v, o) => v / e.reduce((a, b) => a + b, 0) - data.y[r * CLASSES + o]!);
      const dFb = vecMatT(dLogits, wo!);
      const dZb = dFb.map((g, u) => (nb[u]! > 0 ? g * slope(1)[u]! : 0));
      return { features: [fa, fb], gradients: [vecMatT(dZb, wb!), dFb] };
    });
    try {
      const features = measureKinds("feature_cosine", net, data);
      const gradients = measureKinds("feature_gradient_cosine", net, data);
      for (const kind of KINDS) {
        features[kind].cosine[0]!.forEach((v, l) => expect(v).toBeCloseTo(explicitMean(reference.map((f) => f.features[l]!), labels, kind), 6));
        gradients[kind].cosine[0]!.forEach((v, l) => expect(v).toBeCloseTo(explicitMean(reference.map((f) => f.gradients[l]!), labels, kind), 6));
      }
    } finally {
      net.dispose();
    }
  });

  it("needs a dense layer after the measured one: a conv block feeding a conv block is refused by name", () => {
    const conv = (name: string): LayerSpec => ({ name, kind: "conv", filters: 2, kernel: 2, stride: 1, padding: "valid", act: "relu", bias: true });
    const net = sequential({ inShape: [4, 4, 1], layers: [conv("c0"), conv("c1"), { name: "f", kind: "flatten" }, layer("out", 2, null, true)], seeds: 1 });
    const data: Dataset = { name: "img", n: 6, xShape: [4, 4, 1], x: Float32Array.from({ length: 96 }, (_, k) => Math.sin(k)), yDim: 2, y: Float32Array.from({ length: 12 }, (_, k) => (k % 2 === Math.floor(k / 6) % 2 ? 1 : 0)) };
    const env = envFor(net, data);
    const run = (name: string, layers: number[]) => startProbe(name, { model: { ref: "net" }, data: { ref: "img" }, layers }, env).measure(context(1)) as SeedIndexed;
    try {
      expect(() => run("feature_gradient_cosine", [0])).toThrow(/layer c0 need a dense layer after it, but layer c1 is conv/);
      // The last conv block feeds `out` through flatten: its gradient is δ_out·W_outᵀ over the flattened map.
      expect(run("feature_gradient_cosine", [1]).fields["cosine"]![0]![0]).toBeGreaterThan(-1);
      expect(run("feature_cosine", [0, 1]).fields["cosine"]![0]).toHaveLength(2);
    } finally {
      env.dispose();
      net.dispose();
    }
  });

  it("counts rows whose feature gradient is zero (gates of the next layer all off) and leaves them out", () => {
    const net = deadRowsNet(1);
    try {
      const got = expectHandBackprop(net, blobs(), 1);
      // Rows dead from layer a on pass no gradient back to a or b; the last hidden layer c still gets (p − y)·W_outᵀ.
      const zero = got.all.zero[0]!;
      expect(zero[0]).toBeGreaterThan(5);
      expect(zero[1]).toBe(zero[0]);
      expect(zero[2]).toBe(0);
    } finally {
      net.dispose();
    }
  });
});

// ── gate_agreement ────────────────────────────────────────────────────────────

describe("gate_agreement", () => {
  it("is 1 − Hamming/units per layer over the drawn pairs: float64 patterns, and `hamming(normalize: true)` per layer", () => {
    const net = randomNet(2);
    const data = blobs(5);
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([[data.name, [data]]]), loss: "cross_entropy", seeds: [7, 8] });
    const spec = { kind: "random_pairs", n: 50 };
    try {
      const got = startProbe("gate_agreement", { model: { ref: "net" }, data: { ref: "blobs" }, pairs: spec }, env, "gates").measure(context(2)) as SeedIndexed;
      expect(got.dim).toBe("layer");
      const pairs = drawPairs(spec, { hostSet: () => data }, { name: "gates", seeds: [7, 8] });
      for (let s = 0; s < 2; s++) {
        const pre = Array.from({ length: data.n }, (_, r) => hiddenPre(denseWeights(net, s), [data.x[2 * r]!, data.x[2 * r + 1]!]));
        const want = [0, 1].map((l) => {
          const patterns = referencePatterns(pre, [l]);
          const agree = Array.from(pairs[s]!.i, (i, k) => patterns[i]!.filter((bit, u) => bit === patterns[pairs[s]!.j[k]!]![u]).length / patterns[i]!.length);
          return agree.reduce((a, b) => a + b, 0) / agree.length;
        });
        Array.from(got.fields["agreement"]![s]!).forEach((v, l) => expect(v).toBeCloseTo(want[l]!, 12));
        for (const l of [0, 1]) {
          const h = startProbe("hamming", { model: { ref: "net" }, data: { ref: "blobs" }, pairs: spec, layers: [l], normalize: true }, env, "gates").measure(context(2)) as SeedFields;
          expect(got.fields["agreement"]![s]![l]).toBeCloseTo(1 - h.fields["mean"]![s]!, 14);
        }
        expect(want[0]).toBeLessThan(1); // the pairs really differ in some gates
      }
    } finally {
      env.dispose();
      net.dispose();
    }
  });
});

// ── gate agreement and feature cosine together: the arc-cosine closed form ────

describe("gate_agreement and feature_cosine of a wide isotropic ReLU layer", () => {
  it("follow the degree-1 arc-cosine relation: agreement 1 − θ/π, cosine (sin θ + (π − θ) cos θ)/π", () => {
    // Unit weight vectors w_u = (cos φ_u, sin φ_u), φ_u evenly spaced on the circle: across units the two rows'
    // pre-activations are those of isotropic weights, so for inputs at angle θ the share of equal gates is
    // 1 − θ/π and Σ relu(w·x) relu(w·x') / Σ relu(w·x)² → ((π − θ) cos θ + sin θ)/π (the Riemann sum of the
    // integral over the overlap of the two half-circles); the doc's Fig 8 section uses this relation.
    const units = 3600;
    const phi = Array.from({ length: units }, (_, u) => (2 * Math.PI * (u + 0.5)) / units);
    for (const theta of [0.4, 1.2, 2.5]) {
      const net = sequential({ inShape: [2], layers: [layer("a", units, "relu", false), layer("out", CLASSES, null, false)], seeds: 1 });
      setParam(net, "a.weight", [phi.map(Math.cos), phi.map(Math.sin)]);
      const data: Dataset = { name: "two", n: 2, xShape: [2], x: Float32Array.from([1, 0, Math.cos(theta), Math.sin(theta)]), yDim: CLASSES, y: Float32Array.from([1, 0, 0, 0, 1, 0]) };
      const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([[data.name, [data]]]), loss: "cross_entropy", seeds: [3] });
      try {
        const gate = startProbe("gate_agreement", { model: { ref: "net" }, data: { ref: "two" }, pairs: { kind: "random_pairs", n: 20 } }, env, "arc").measure(context(1)) as SeedIndexed;
        const cosine = startProbe("feature_cosine", { model: { ref: "net" }, data: { ref: "two" }, pairs: "all" }, env).measure(context(1)) as SeedIndexed;
        expect(gate.fields["agreement"]![0]![0]).toBeCloseTo(1 - theta / Math.PI, 3);
        expect(cosine.fields["cosine"]![0]![0]).toBeCloseTo((Math.sin(theta) + (Math.PI - theta) * Math.cos(theta)) / Math.PI, 3);
      } finally {
        env.dispose();
        net.dispose();
      }
    }
  });
});
