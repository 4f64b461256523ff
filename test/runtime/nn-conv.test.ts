/**
 * The seed-batched conv stack: im2col convolution against a hand computation and against tf.conv2d run seed
 * by seed (values and gradients, stride 1 and 2, valid and same padding), pooling by hand, and the CNN
 * builder (shapes, names, seed batching).
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { conv2d, flatten, pool2d } from "../../runtime/nn/conv.js";
import { convNet } from "../../runtime/nn/convnet.js";
import { seedSlice } from "../../runtime/params.js";
import { Rng } from "../../runtime/rng.js";

beforeAll(async () => {
  await selectBackend("cpu");
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());
function random(shape: number[], seed: number): tf.Tensor {
  const r = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r.normal()), shape);
}
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;

describe("conv2d", () => {
  it("matches a hand computation (3×3 image, 2×2 kernel, valid, bias 0.5)", () => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3, 1]);
    const w = tf.tensor([1, 2, 0, -1], [1, 2, 2, 1, 1]); // [[1, 2], [0, −1]]
    const y = conv2d(x, w, tf.tensor([[0.5]]), { kernel: 2, stride: 1, padding: "valid" });
    // (1 + 4 − 5, 2 + 6 − 6, 4 + 10 − 8, 5 + 12 − 9) + 0.5
    expect(y.shape).toEqual([1, 1, 2, 2, 1]);
    expect(values(y)).toEqual([0.5, 2.5, 6.5, 8.5]);
  });

  for (const [stride, padding] of [
    [1, "valid"],
    [2, "valid"],
    [2, "same"],
    [1, "same"],
  ] as const) {
    it(`equals tf.conv2d seed by seed, values and gradients (stride ${stride}, ${padding})`, () => {
      tf.tidy(() => {
        const [S, B, H, W, C, F, k] = [2, 3, 7, 6, 2, 3, 3];
        const x = random([S, B, H, W, C], 1);
        const w = random([S, k, k, C, F], 2);
        const g = { kernel: k, stride, padding };
        const mine = (wt: tf.Tensor) => conv2d(x, wt, undefined, g);
        const reference = (wt: tf.Tensor) =>
          tf.stack(
            [0, 1].map((s) =>
              tf.conv2d(
                tf.squeeze(tf.slice(x, [s, 0, 0, 0, 0], [1, B, H, W, C]), [0]) as tf.Tensor4D,
                tf.squeeze(tf.slice(wt, [s, 0, 0, 0, 0], [1, k, k, C, F]), [0]) as tf.Tensor4D,
                stride,
                padding,
              ),
            ),
          );
        expect(mine(w).shape).toEqual(reference(w).shape);
        expect(maxDiff(mine(w), reference(w))).toBeLessThan(1e-4);
        const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.square(f(t)));
        expect(maxDiff(tf.grad(loss(mine))(w), tf.grad(loss(reference))(w))).toBeLessThan(1e-3);
      });
    });
  }
});

describe("pooling and flatten", () => {
  it("max and average over 2×2 windows, by hand; odd edges are dropped", () => {
    const x = tf.tensor(Array.from({ length: 20 }, (_, i) => i), [1, 1, 4, 5, 1]); // rows 0..4, 5..9, …
    expect(values(pool2d(x, "max", 2))).toEqual([6, 8, 16, 18]);
    expect(values(pool2d(x, "avg", 2))).toEqual([3, 5, 13, 15]);
    expect(flatten(pool2d(x, "max", 2)).shape).toEqual([1, 1, 4]);
  });
});

describe("convNet", () => {
  it("names layers, shapes parameters and output, and batches seeds exactly", () => {
    const options = {
      inShape: [8, 8, 1] as const,
      convs: [
        { filters: 4, kernel: 3, pool: { kind: "max" as const, size: 2 } },
        { filters: 6, kernel: 3, stride: 2, padding: "same" as const },
      ],
      hidden: [10],
      outDim: 3,
      act: "relu" as const,
    };
    const both = convNet({ ...options, seeds: [4, 8] });
    const alone = convNet({ ...options, seeds: [8] });
    expect(both.layerNames).toEqual(["conv0", "conv1", "hidden0", "out"]);
    // 8×8 → conv3 valid 6×6 → pool 3×3 → conv3 stride 2 same 2×2×6 = 24 features.
    expect(both.params.map((p) => p.variable.shape.join("x"))).toEqual([
      "2x3x3x1x4",
      "2x4",
      "2x3x3x4x6",
      "2x6",
      "2x24x10",
      "2x10",
      "2x10x3",
      "2x3",
    ]);
    for (const p of alone.params) {
      expect(Array.from(seedSlice(both, p.name, 1).values)).toEqual(Array.from(seedSlice(alone, p.name, 0).values));
    }
    tf.tidy(() => {
      const x = random([2, 5, 8, 8, 1], 3);
      const y = both.forward(x, { training: true });
      expect(y.shape).toEqual([2, 5, 3]);
      const y1 = alone.forward(tf.slice(x, [1, 0, 0, 0, 0], [1, 5, 8, 8, 1]), { training: true });
      expect(maxDiff(tf.slice(y, [1, 0, 0], [1, 5, 3]), y1)).toBeLessThan(1e-5);
    });
    expect(() => both.forward(tf.zeros([2, 5, 8, 8, 3]), { training: true })).toThrow(/convnet input/);
    both.dispose();
    alone.dispose();
  });
});
