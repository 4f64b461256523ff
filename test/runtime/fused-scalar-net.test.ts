/**
 * The fused training step of 1→W→1 networks (Mlp.fusedLossAndGradients: on the wasm SIMD kernel, or with the
 * native addons built on the native kernel, which fused-scalar-net-native.test.ts checks further): its loss
 * and gradients against differentiating `forward` with tfjs's tape (the path every other model takes), for
 * every activation it has, both losses, a batch that is not a multiple of four (masked lanes) and an output
 * scale; the networks it must decline; and whole training runs with and without it.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import type { LossKind } from "../../runtime/loss.js";
import { type ActivationSpec } from "../../runtime/nn/activations.js";
import { mlp, type MlpOptions } from "../../runtime/nn/mlp.js";
import { createOptimizer } from "../../runtime/optim.js";
import { nativeFusedStepActive } from "../../runtime/kernels/native-fused.js";
import { train } from "../../runtime/train/index.js";
import { relativeError, taped } from "./tape-reference.js";

const ACTIVATIONS: ActivationSpec[] = ["relu", "silu", "tanh", "sigmoid", { name: "leaky_relu", slope: 0.2 }, "identity"];

describe("fused 1→W→1 training step on wasm", () => {
  beforeAll(async () => {
    await selectBackend("wasm");
  });

  for (const act of ACTIVATIONS) {
    const name = typeof act === "string" ? act : act.name;
    it(`${name}: loss and gradients equal the taped path (mse and half_mse; B = 7, 13 = 8 + 4 + 1 and 256: every block size)`, () => {
      for (const [S, B, W, loss] of [[3, 7, 5, "mse"], [2, 13, 3, "mse"], [2, 256, 50, "half_mse"]] as [number, number, number, LossKind][]) {
        const model = mlp({ inDim: 1, hidden: [W], outDim: 1, act, seeds: S });
        const x = tf.randomUniform([S, B, 1], -2, 2, "float32", 1);
        const y = tf.randomUniform([S, B, 1], -1, 1, "float32", 2);
        const fused = model.fusedLossAndGradients(x, y, loss)!;
        const plain = taped(model, x, y, loss);
        expect(fused.perSample.shape).toEqual([S, B]);
        expect(relativeError(fused.perSeed, plain.perSeed)).toBeLessThan(2e-6);
        fused.grads.forEach((g, i) => {
          expect(g.shape).toEqual(plain.grads[i]!.shape);
          expect(relativeError(g, plain.grads[i]!)).toBeLessThan(1e-5);
        });
        tf.dispose([x, y, fused.perSample, fused.perSeed, ...fused.grads, plain.perSeed, ...plain.grads]);
        model.dispose();
      }
    });
  }

  it("the per-sample loss is the squared residual (hand computation on a 1→1→1 relu net)", () => {
    const model = mlp({ inDim: 1, hidden: [1], outDim: 1, act: "relu", seeds: 1 });
    const [w1, b1, w2, b2] = model.params.map((p) => p.variable);
    w1!.assign(tf.tensor3d([[[2]]]));
    b1!.assign(tf.tensor2d([[-1]]));
    w2!.assign(tf.tensor3d([[[3]]]));
    b2!.assign(tf.tensor2d([[0.5]]));
    const x = tf.tensor3d([[[1], [0], [2]]]);
    const y = tf.tensor3d([[[1], [1], [10]]]);
    // f = 3·relu(2x − 1) + 0.5 = 3.5, 0.5, 9.5; r = 2.5, −0.5, −0.5
    const fused = model.fusedLossAndGradients(x, y, "mse")!;
    expect(Array.from(fused.perSample.dataSync())).toEqual([6.25, 0.25, 0.25]);
    expect(fused.perSeed.dataSync()[0]).toBeCloseTo(6.75 / 3, 6);
    // dL/df = 2r/3; db2 = Σ = 2(2.5 − 0.5 − 0.5)/3 = 1; dw2 = Σ g·h = (2·2.5/3)·1 + (2·−0.5/3)·3 = 2/3
    expect(fused.grads[3]!.dataSync()[0]).toBeCloseTo(1, 6);
    expect(fused.grads[2]!.dataSync()[0]).toBeCloseTo(2 / 3, 6);
    model.dispose();
  });

  it("an output scale (the phase init's 1/α) is applied and differentiated", () => {
    const options: MlpOptions = { inDim: 1, hidden: [20], outDim: 1, act: "tanh", seeds: 2, outputScale: 0.125 };
    const model = mlp(options);
    expect(model.outputScale).toBe(0.125);
    const x = tf.randomUniform([2, 9, 1], -1, 1, "float32", 3);
    const y = tf.randomUniform([2, 9, 1], -1, 1, "float32", 4);
    const fused = model.fusedLossAndGradients(x, y, "mse")!;
    const plain = taped(model, x, y, "mse");
    expect(relativeError(fused.perSeed, plain.perSeed)).toBeLessThan(2e-6);
    fused.grads.forEach((g, i) => expect(relativeError(g, plain.grads[i]!)).toBeLessThan(1e-5));
    model.dispose();
  });

  it("declines what it does not compute: deeper, wider-input, unbiased, dropout nets and cross-entropy", () => {
    const x = tf.zeros([1, 4, 1]);
    const declined: MlpOptions[] = [
      { inDim: 1, hidden: [4, 4], outDim: 1, seeds: 1 },
      { inDim: 1, hidden: [4], outDim: 1, seeds: 1, bias: false },
      { inDim: 1, hidden: [4], outDim: 1, seeds: 1, dropout: 0.5 },
      // the wasm SIMD kernel has no gelu; the native one (fused-scalar-net-native.test.ts) has
      ...(nativeFusedStepActive() ? [] : [{ inDim: 1, hidden: [4], outDim: 1, seeds: 1, act: "gelu" } as MlpOptions]),
      { inDim: 1, hidden: [4], outDim: 1, seeds: 1, norm: "batchnorm" },
    ];
    for (const options of declined) expect(mlp(options).fusedLossAndGradients(x, x, "mse")).toBeUndefined();
    expect(mlp({ inDim: 2, hidden: [4], outDim: 1, seeds: 1 }).fusedLossAndGradients(tf.zeros([1, 4, 2]), x, "mse")).toBeUndefined();
    expect(mlp({ inDim: 1, hidden: [4], outDim: 1, seeds: 1 }).fusedLossAndGradients(x, x, "cross_entropy")).toBeUndefined();
  });

  it("a training run (Adam, minibatches, 40 steps, 3 seeds) ends where the taped path ends", async () => {
    const xs = Array.from({ length: 51 }, (_, i) => -2 + (4 * i) / 50);
    const data: Dataset = { name: "train", n: 51, xShape: [1], x: Float32Array.from(xs), yDim: 1, y: Float32Array.from(xs.map(Math.sin)) };
    let fusedSteps = 0;
    const run = async (fused: boolean) => {
      const model = mlp({ inDim: 1, hidden: [30], outDim: 1, act: "silu", seeds: [1, 2, 3] });
      const kernelStep = model.fusedLossAndGradients.bind(model);
      model.fusedLossAndGradients = (...args) => {
        const step = fused ? kernelStep(...args) : undefined;
        if (step) fusedSteps++;
        return step;
      };
      const optimizer = createOptimizer({ kind: "adam", lr: 0.01 }, model.params);
      await train({ model, optimizer, loss: "mse", data, seeds: [1, 2, 3], duration: { steps: 40 }, batch: { size: 16 } });
      const values = model.params.map((p) => Array.from(p.variable.dataSync()));
      model.dispose();
      return values;
    };
    const [withKernel, withTape] = [await run(true), await run(false)];
    expect(fusedSteps).toBe(40);
    withKernel.forEach((values, i) => {
      values.forEach((v, j) => expect(Math.abs(v - withTape[i]![j]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(withTape[i]![j]!))));
    });
  });
});

describe("fused step elsewhere", () => {
  it("is not taken on the cpu backend", async () => {
    await selectBackend("cpu");
    const model = mlp({ inDim: 1, hidden: [4], outDim: 1, seeds: 1 });
    expect(model.fusedLossAndGradients(tf.zeros([1, 4, 1]), tf.zeros([1, 4, 1]), "mse")).toBeUndefined();
    model.dispose();
  });
});
