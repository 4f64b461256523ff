/**
 * Parameter addressing, snapshots, hand-set parameters and seed slices. The hand-set test evaluates the
 * lottery-ticket paper's hand-built width-1 SiLU network, which approximates x² as w → 0, against its
 * float64 evaluation in JS and against x² itself.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { mlp } from "../../runtime/nn/mlp.js";
import {
  extractSeed,
  findParam,
  parameterCount,
  restore,
  seedSlice,
  selectParams,
  setParam,
  snapshot,
  snapshotTensors,
} from "../../runtime/params.js";

beforeAll(async () => {
  await selectBackend("cpu");
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe("addressing", () => {
  it("finds parameters by name, layer and role; unknown names list the known ones", () => {
    const net = mlp({ inDim: 2, hidden: [3, 4], outDim: 1, seeds: 2, norm: "batchnorm" });
    expect(findParam(net, "hidden1.gamma").variable.shape).toEqual([2, 4]);
    expect(selectParams(net, { layer: "hidden0" }).map((p) => p.role)).toEqual(["weight", "bias", "gamma", "beta"]);
    expect(selectParams(net, { role: "weight" }).map((p) => p.layer)).toEqual(["hidden0", "hidden1", "out"]);
    expect(parameterCount(net)).toBe(2 * 3 + 3 + 6 + 3 * 4 + 4 + 8 + 4 + 1);
    try {
      findParam(net, "hidden2.weight");
      throw new Error("expected an error");
    } catch (error) {
      expect(error).toBeInstanceOf(DyncRuntimeError);
      expect((error as DyncRuntimeError).hint).toContain("out.bias");
    }
    expect(() => selectParams(net, { layer: "conv0" })).toThrow(/no layer "conv0"/);
    net.dispose();
  });
});

describe("snapshots", () => {
  it("JS copies and cloned tensors restore parameters and batch-norm state exactly", () => {
    const net = mlp({ inDim: 2, hidden: [3], outDim: 1, seeds: 2, norm: "batchnorm" });
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    net.forward(x, { training: true }); // moves the running statistics
    const copy = snapshot(net);
    const clones = snapshotTensors(net);
    const original = net.params.map((p) => values(p.variable));
    const originalState = net.state.map(values);
    for (const p of net.params) p.variable.assign(tf.zerosLike(p.variable));
    for (const v of net.state) v.assign(tf.zerosLike(v));
    restore(net, copy);
    expect(net.params.map((p) => values(p.variable))).toEqual(original);
    expect(net.state.map(values)).toEqual(originalState);
    for (const p of net.params) p.variable.assign(tf.onesLike(p.variable));
    restore(net, clones);
    expect(net.params.map((p) => values(p.variable))).toEqual(original);
    // The copy is a copy: changing the model does not change it.
    expect(Array.from(copy.params.get("hidden0.weight")!.values)).toEqual(original[0]);
    tf.dispose([...clones.values()]);
    const other = mlp({ inDim: 2, hidden: [5], outDim: 1, seeds: 2 });
    expect(() => restore(other, copy)).toThrow(DyncRuntimeError);
    other.dispose();
    net.dispose();
  });
});

describe("setting parameters by hand", () => {
  it("sets one seed, all seeds, and PyTorch [out, in] matrices", () => {
    const net = mlp({ inDim: 3, hidden: [2], outDim: 1, seeds: 2 });
    setParam(net, "hidden0.weight", [[1, 2, 3], [4, 5, 6]], { layout: "out_in" }); // torch [out=2, in=3]
    expect(Array.from(seedSlice(net, "hidden0.weight", 1).values)).toEqual([1, 4, 2, 5, 3, 6]);
    setParam(net, "hidden0.bias", [7, 8], { seed: 1 });
    expect(Array.from(seedSlice(net, "hidden0.bias", 1).values)).toEqual([7, 8]);
    expect(Array.from(seedSlice(net, "hidden0.bias", 0).values)).not.toEqual([7, 8]);
    expect(() => setParam(net, "hidden0.bias", [1, 2, 3])).toThrow(/one seed needs 2/);
    expect(() => setParam(net, "hidden0.bias", [1, 2], { seed: 2 })).toThrow(/out of range/);
    const one = extractSeed(net, 1);
    expect([...one.keys()]).toEqual(["hidden0.weight", "hidden0.bias", "out.weight", "out.bias"]);
    expect(one.get("hidden0.weight")!.shape).toEqual([3, 2]);
    net.dispose();
  });

  it("evaluates the lottery paper's hand-built SiLU network f = v·silu(w x + x*) + c ≈ x²", () => {
    // Near its minimum x* = −1.2785, silu ≈ A(x − x*)² + B; with v = 1/(A w²), c = −vB, f → x² as w → 0.
    const silu = (z: number) => z / (1 + Math.exp(-z));
    const xStar = -1.27846454276107; // silu'(x*) = 0 (solved to float64 precision)
    const h = 1e-4;
    const A = (silu(xStar + h) - 2 * silu(xStar) + silu(xStar - h)) / (2 * h * h);
    const B = silu(xStar);
    const k = 1e-3;
    const S3 = (silu(xStar + 2 * k) - 2 * silu(xStar + k) + 2 * silu(xStar - k) - silu(xStar - 2 * k)) / (2 * k ** 3);
    expect(A).toBeCloseTo(0.1089, 3);
    expect(B).toBeCloseTo(-0.2785, 4);
    const w = 0.02;
    const v = 1 / (A * w * w);
    const c = -v * B;
    const net = mlp({ inDim: 1, hidden: [1], outDim: 1, act: "silu", seeds: 1 });
    setParam(net, "hidden0.weight", [w]);
    setParam(net, "hidden0.bias", [xStar]);
    setParam(net, "out.weight", [v]);
    setParam(net, "out.bias", [c]);
    const xs = [-2, -1, -0.5, 0, 0.5, 1, 2];
    const y = values(net.forward(tf.tensor3d(xs, [1, xs.length, 1]), { training: false }));
    xs.forEach((x, i) => {
      const exact = v * silu(w * x + xStar) + c; // the same network in float64
      // float32 cancellation: v ≈ 2.3e4 times a silu value known to ~3e-8 → ≈ 2e-3.
      expect(Math.abs(y[i]! - exact)).toBeLessThan(5e-3);
      // What is left beyond x² is the cubic Taylor term silu'''(x*)·w·x³/(6A), up to O(w²x⁴).
      expect(Math.abs(exact - x * x - (S3 * w * x ** 3) / (6 * A))).toBeLessThan(5e-3);
    });
    net.dispose();
  });
});
