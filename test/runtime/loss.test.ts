import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { crossEntropyLoss, halfMseLoss, halfSseLoss, l2Penalty, lossFunction, mseLoss } from "../../runtime/loss.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// S = 2 seeds, B = 3 samples, 2 outputs; values chosen so every squared error differs.
const pred = [
  [[1, 2], [0.5, -1], [3, 0]],
  [[0, 0], [2, 2], [-1, 4]],
];
const targ = [
  [[0, 2], [1, 1], [1, -1]],
  [[1, 1], [2, 0], [0, 4]],
];

/** float64 hand computation: per-sample mean over outputs of (p − y)², per seed mean over samples. */
function handMse(): { perSample: number[][]; perSeed: number[] } {
  const perSample = pred.map((seed, s) =>
    seed.map((row, b) => row.reduce((acc, p, o) => acc + (p - targ[s]![b]![o]!) ** 2, 0) / row.length),
  );
  return { perSample, perSeed: perSample.map((r) => r.reduce((a, b) => a + b, 0) / r.length) };
}

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe("mse and half_mse", () => {
  it("match a float64 hand computation per sample and per seed", () => {
    const { perSample, perSeed } = handMse();
    const out = mseLoss(tf.tensor3d(pred), tf.tensor3d(targ));
    expect(out.perSample.shape).toEqual([2, 3]);
    expect(out.perSeed.shape).toEqual([2]);
    values(out.perSample).forEach((v, i) => expect(v).toBeCloseTo(perSample.flat()[i]!, 6));
    values(out.perSeed).forEach((v, i) => expect(v).toBeCloseTo(perSeed[i]!, 6));
    // Seed 0 by hand: samples (1 + 0)/2, (0.25 + 4)/2, (4 + 1)/2 → mean (0.5 + 2.125 + 2.5)/3.
    expect(perSeed[0]).toBeCloseTo((0.5 + 2.125 + 2.5) / 3, 12);
    const half = halfMseLoss(tf.tensor3d(pred), tf.tensor3d(targ));
    values(half.perSeed).forEach((v, i) => expect(v).toBeCloseTo(perSeed[i]! / 2, 6));
    values(half.perSample).forEach((v, i) => expect(v).toBeCloseTo(perSample.flat()[i]! / 2, 6));
  });

  it("gives each seed the gradient 2(p − y)/(B·out) of its own loss when summed over seeds", () => {
    const y = tf.tensor3d(targ);
    const grad = tf.grad((p: tf.Tensor) => tf.sum(mseLoss(p, y).perSeed))(tf.tensor3d(pred));
    const expected = pred.flat(2).map((p, i) => (2 * (p - targ.flat(2)[i]!)) / 6);
    values(grad).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it("half_sse sums over outputs: ½·Σ_o (p − y)² per sample, C = 2 times half_mse", () => {
    const out = halfSseLoss(tf.tensor3d(pred), tf.tensor3d(targ));
    // Seed 0 by hand: samples ½(1 + 0), ½(0.25 + 4), ½(4 + 1) → 0.5, 2.125, 2.5; seed 1: ½(1 + 1), ½(0 + 4), ½(1 + 0).
    expect(values(out.perSample)).toEqual([0.5, 2.125, 2.5, 1, 2, 0.5]);
    values(out.perSeed).forEach((v, i) => expect(v).toBeCloseTo([(0.5 + 2.125 + 2.5) / 3, 3.5 / 3][i]!, 6));
    const half = halfMseLoss(tf.tensor3d(pred), tf.tensor3d(targ));
    values(half.perSeed).forEach((v, i) => expect(values(out.perSeed)[i]).toBeCloseTo(2 * v, 6));
    expect(lossFunction("half_sse")).toBe(halfSseLoss);
  });

  it("half_sse's gradient is (p − y)/B, C times half_mse's (p − y)/(B·C)", () => {
    const y = tf.tensor3d(targ);
    const grad = tf.grad((p: tf.Tensor) => tf.sum(halfSseLoss(p, y).perSeed))(tf.tensor3d(pred));
    const expected = pred.flat(2).map((p, i) => (p - targ.flat(2)[i]!) / 3);
    values(grad).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it("rejects mismatched shapes with a RUN040 error", () => {
    expect(() => mseLoss(tf.zeros([2, 3, 1]), tf.zeros([2, 3, 2]))).toThrow(DyncRuntimeError);
    expect(() => lossFunction("hinge" as never)).toThrow(/unknown loss "hinge"/);
  });
});

describe("cross_entropy", () => {
  const logits = [
    [[2, 0, -1], [0.5, 0.5, 0.5]],
    [[10, -3, 1], [-2, 4, 0]],
  ];
  const labels = [
    [0, 2],
    [1, 1],
  ];
  /** −log softmax(z)[label] in float64. */
  const hand = (z: number[], label: number) => Math.log(z.reduce((a, v) => a + Math.exp(v), 0)) - z[label]!;

  it("matches −log softmax in float64 for labels and for one-hot targets alike", () => {
    const expected = logits.map((seed, s) => seed.map((z, b) => hand(z, labels[s]![b]!)));
    const fromLabels = crossEntropyLoss(tf.tensor3d(logits), tf.tensor2d(labels, undefined, "int32"));
    const oneHot = tf.oneHot(tf.tensor2d(labels, undefined, "int32"), 3);
    const fromOneHot = crossEntropyLoss(tf.tensor3d(logits), tf.cast(oneHot, "float32"));
    for (const out of [fromLabels, fromOneHot]) {
      values(out.perSample).forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i]!, 5));
      values(out.perSeed).forEach((v, s) => expect(v).toBeCloseTo((expected[s]![0]! + expected[s]![1]!) / 2, 5));
    }
    // A uniform row has loss log(3).
    expect(expected[0]![1]).toBeCloseTo(Math.log(3), 12);
  });

  it("with smoothing ε matches −Σ_c ((1 − ε)·y_c + ε/C)·log softmax(z)_c in float64", () => {
    const eps = 0.1;
    const logSoftmax = (z: number[], c: number) => z[c]! - Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
    const smoothed = (z: number[], label: number) => -z.reduce((acc, _v, c) => acc + ((c === label ? 1 - eps : 0) + eps / 3) * logSoftmax(z, c), 0);
    const expected = logits.map((seed, s) => seed.map((z, b) => smoothed(z, labels[s]![b]!)));
    const fromLabels = crossEntropyLoss(tf.tensor3d(logits), tf.tensor2d(labels, undefined, "int32"), eps);
    const oneHot = tf.cast(tf.oneHot(tf.tensor2d(labels, undefined, "int32"), 3), "float32");
    const fromKind = lossFunction({ name: "cross_entropy", smoothing: eps })(tf.tensor3d(logits), oneHot);
    for (const out of [fromLabels, fromKind]) values(out.perSample).forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i]!, 5));
    // Independent check of one value: z = (2, 0, −1), label 0: (1 − ε)·CE + ε·mean_c(−log p_c).
    const z = [2, 0, -1];
    const ce = hand(z, 0);
    const uniform = (hand(z, 0) + hand(z, 1) + hand(z, 2)) / 3;
    expect(expected[0]![0]).toBeCloseTo((1 - eps) * ce + eps * uniform, 12);
    // Smoothed targets make a confident correct logit costly: the gradient pulls the top logit down at ε/C.
    const grad = tf.grad((l: tf.Tensor) => tf.sum(crossEntropyLoss(l, tf.tensor2d([[0]], undefined, "int32"), eps).perSeed))(tf.tensor3d([[[30, 0, 0]]]));
    expect(values(grad)[0]).toBeCloseTo(1 - (1 - eps + eps / 3), 5);
  });

  it("stays finite for large logits", () => {
    const out = crossEntropyLoss(tf.tensor3d([[[1000, 0]]]), tf.tensor2d([[1]], undefined, "int32"));
    expect(values(out.perSample)[0]).toBeCloseTo(1000, 2);
  });

  it("rejects labels that do not match the logits", () => {
    expect(() => crossEntropyLoss(tf.zeros([2, 3, 4]), tf.zeros([2, 2], "int32"))).toThrow(/labels have shape/);
  });
});

describe("l2 penalty", () => {
  it("is λ·Σ‖θ‖² per seed over all parameters", () => {
    const w = tf.tensor3d([[[1, 2]], [[3, -1]]]); // [2, 1, 2]
    const b = tf.tensor2d([[0.5], [-2]]); // [2, 1]
    const out = l2Penalty([w, b], 0.1);
    expect(out.shape).toEqual([2]);
    const v = values(out);
    expect(v[0]).toBeCloseTo(0.1 * (1 + 4 + 0.25), 6);
    expect(v[1]).toBeCloseTo(0.1 * (9 + 1 + 4), 6);
    expect(() => l2Penalty([w], -1)).toThrow(/l2 coefficient/);
  });
});
