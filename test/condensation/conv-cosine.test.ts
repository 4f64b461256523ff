/**
 * `cosine_similarity` on conv layers: kernels flattened whole (with and without the bias) and one input
 * channel's k×k slice, against hand computations; planted duplicate and negated kernels give D = ±1.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { convNet, type ConvNet } from "../../runtime/nn/index.js";
import { setParam } from "../../runtime/params.js";
import { Rng } from "../../runtime/rng.js";
import { cosineMatrix, cosineShares, cosineVectors } from "../../stdlib/condensation/cosine.js";
import { measureProbe, RunProbeEnv, type SeedFields, type SeedTensors } from "../../stdlib/probes/index.js";
import { context } from "./helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

/** A 4×4×2 → conv(3 kernels of 2×2) → dense 2 net, one seed. */
function smallNet(): ConvNet {
  return convNet({ inShape: [4, 4, 2], convs: [{ filters: 3, kernel: 2 }], hidden: [], outDim: 2, seeds: [0] });
}

/** Set conv0's weight from kernels given as [o][i][j][c] (the layer stores [i][j][c][o]). */
function setKernels(net: ConvNet, kernels: number[][][][], name = "conv0"): void {
  const k = kernels[0]!.length;
  const cin = kernels[0]![0]![0]!.length;
  const flat: number[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let c = 0; c < cin; c++) for (const kernel of kernels) flat.push(kernel[i]![j]![c]!);
  setParam(net, `${name}.weight`, flat);
}

function probe(net: ConvNet, args: Record<string, unknown>): { values: Float32Array; m: number } {
  const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map(), loss: "cross_entropy" });
  const out = measureProbe("cosine_similarity", { model: { ref: "net" }, order: "none", ...args }, context(1), env) as SeedTensors;
  env.dispose();
  return { values: out.perSeed[0]!, m: out.shape[0]! };
}

describe("cosine_similarity of conv kernels", () => {
  // kernel[o][i][j][c]: K0 has channel 0 = e(0,0) and channel 1 = e(0,1); K1 the same with channel 1 negated; K2 = −3·K0.
  const K0 = [[[1, 0], [0, 1]], [[0, 0], [0, 0]]];
  const K1 = [[[1, 0], [0, -1]], [[0, 0], [0, 0]]];
  const K2 = K0.map((row) => row.map((px) => px.map((v) => -3 * v)));

  it("flattens whole kernels: hand-computed D with and without the bias", () => {
    const net = smallNet();
    setKernels(net, [K0, K1, K2]);
    setParam(net, "conv0.bias", [1, 1, 0]);
    const noBias = probe(net, { bias: false });
    expect(noBias.m).toBe(3);
    // D(K0, K1) = (1 − 1)/2 = 0; D(K0, K2) = −1; D(K1, K2) = −(1 − 1)·3/… = 0
    expect(Array.from(noBias.values)).toEqual([1, 0, -1, 0, 1, 0, -1, 0, 1].map(Math.fround));
    const withBias = probe(net, {});
    // (1, 1 | 1)·(1, −1 | 1) = 1 over √3·√3; (1, 1 | 1)·(−3, −3 | 0) = −6 over √3·√18; (1, −1 | 1)·(−3, −3 | 0) = 0
    const expected = [1, 1 / 3, -6 / Math.sqrt(54), 1 / 3, 1, 0, -6 / Math.sqrt(54), 0, 1];
    Array.from(withBias.values).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    net.dispose();
  });

  it("takes one input channel's k×k slice with `channel`, never with the bias", () => {
    const net = smallNet();
    setKernels(net, [K0, K1, K2]);
    setParam(net, "conv0.bias", [5, -7, 2]);
    // channel 0: all three slices are multiples of e(0,0): D = [[1, 1, −1], [1, 1, −1], [−1, −1, 1]]
    expect(Array.from(probe(net, { channel: 0 }).values)).toEqual([1, 1, -1, 1, 1, -1, -1, -1, 1]);
    // channel 1: e(0,1), −e(0,1), −3·e(0,1)
    expect(Array.from(probe(net, { channel: 1 }).values)).toEqual([1, -1, -1, -1, 1, 1, -1, 1, 1]);
    const vectors = cosineVectors(net, { layer: 0, bias: null, channel: 1 });
    expect(vectors[0]!.dim).toBe(4);
    net.dispose();
  });

  it("planted duplicate and negated kernels of a random layer give |D| = 1 exactly where planted", () => {
    const net = convNet({ inShape: [8, 8, 3], convs: [{ filters: 8, kernel: 3 }], hidden: [4], outDim: 2, seeds: [0, 1] });
    const rng = new Rng(7);
    const bases = [0, 1].map(() => Array.from({ length: 27 }, () => rng.normal()));
    // kernel o = sign · scale · base[o mod 2]
    const signs = [1, 1, -1, 1, -1, -1, 1, -1];
    const flat: number[] = [];
    for (let q = 0; q < 27; q++) for (let o = 0; o < 8; o++) flat.push(signs[o]! * (1 + o / 4) * bases[o % 2]![q]!);
    setParam(net, "conv0.weight", flat, { seed: 1 });
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map(), loss: "cross_entropy" });
    const out = measureProbe("cosine_similarity", { model: { ref: "net" }, bias: false }, context(2), env) as SeedTensors;
    env.dispose();
    const planted = out.perSeed[1]!;
    const order = [...Array(8).keys()]; // the eigen order permutes rows; count pairs instead of positions
    let ones = 0;
    let minusOnes = 0;
    for (const i of order) for (const j of order) {
      const d = planted[i * 8 + j]!;
      if (Math.abs(d - 1) < 1e-5) ones++;
      else if (Math.abs(d + 1) < 1e-5) minusOnes++;
      else expect(Math.abs(d)).toBeLessThan(0.9);
    }
    // per base: 4 kernels, signs (+, −, −, +) for base 0 and (+, +, −, −) for base 1: 2 + 2 each side
    // same-sign ordered pairs (incl. diagonal): 2·(2² + 2²) = 16; opposite-sign: 2·(2·2·2) = 16
    expect([ones, minusOnes]).toEqual([16, 16]);
    // the random seed-0 layer has no such structure
    const random = Array.from(out.perSeed[0]!).filter((d, i) => i % 9 !== 0 && Math.abs(d) > 0.99);
    expect(random).toEqual([]);
    net.dispose();
  });

  it("rejects a channel that the layer does not have, channel on a dense layer, and bias: true with channel", () => {
    const net = convNet({ inShape: [4, 4, 2], convs: [{ filters: 3, kernel: 2 }], hidden: [3], outDim: 2, seeds: [0] });
    expect(() => probe(net, { channel: 2 })).toThrow(/channel must be an input channel of conv0 in 0\.\.1/);
    expect(() => probe(net, { layer: 1, channel: 0 })).toThrow(/this layer is dense/);
    expect(() => probe(net, { channel: 0, bias: true })).toThrow(DyncRuntimeError);
    // the dense layer after the convolutions still works as neurons: 3 × 3
    expect(probe(net, { layer: 1 }).m).toBe(3);
    net.dispose();
  });
});

describe("cosine_share", () => {
  it("counts parallel, opposite and aligned pairs by hand, leaving zero vectors out", () => {
    // u, u, −u, an orthogonal w, and a zero vector: of the 6 pairs among the first four, (0,1) is
    // parallel, (0,2) and (1,2) opposite, the three with w neither; the zero vector's pairs are NaN.
    const vectors = Float64Array.from([1, 2, 0, 1, 2, 0, -1, -2, 0, -2, 1, 3, 0, 0, 0]);
    const d = cosineMatrix(vectors, 5, 3);
    expect(cosineShares(d, 5, 0.9)).toEqual({ aligned: 3 / 6, parallel: 1 / 6, opposite: 2 / 6 });
    // a threshold above every |D| of a non-trivial pair still counts exact ±1 pairs
    expect(cosineShares(d, 5, 0.999)).toEqual({ aligned: 3 / 6, parallel: 1 / 6, opposite: 2 / 6 });
    expect(cosineShares(cosineMatrix(Float64Array.from([1, 0, 0, 0]), 2, 2), 2, 0.9).aligned).toBeNaN();
  });

  it("the probe gives the shares of a planted conv layer's kernels, per field", () => {
    const net = smallNet();
    const K0 = [[[1, 0], [0, 1]], [[0, 0], [0, 0]]];
    const K1 = [[[1, 0], [0, -1]], [[0, 0], [0, 0]]];
    const K2 = K0.map((row) => row.map((px) => px.map((v) => -3 * v)));
    setKernels(net, [K0, K1, K2]);
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map(), loss: "cross_entropy" });
    const out = measureProbe("cosine_share", { model: { ref: "net" }, bias: false, above: 0.9 }, context(1), env) as SeedFields;
    env.dispose();
    // pairs: (K0,K1) D = 0, (K0,K2) D = −1, (K1,K2) D = 0
    expect(Array.from(out.fields["aligned"]!)).toEqual([1 / 3]);
    expect(Array.from(out.fields["parallel"]!)).toEqual([0]);
    expect(Array.from(out.fields["opposite"]!)).toEqual([1 / 3]);
    expect(() => measureProbe("cosine_share", { model: { ref: "net" }, above: 1.5 }, context(1), env)).toThrow(DyncRuntimeError);
  });
});
