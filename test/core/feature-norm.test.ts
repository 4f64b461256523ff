/**
 * `feature_norm(net, data, layer)`: the mean over samples of ‖φ(x)‖₂, φ a hidden layer's output, per seed.
 * A 1 → 3 → 2 → 1 ReLU net with hand-set weights on two points, worked out by hand.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { mlpLayers } from "../../contract/layer-list.js";
import { ensureGradients, selectBackend } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { Sequential } from "../../runtime/nn/sequential.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { measureProbe, RunProbeEnv } from "../../stdlib/probes/index.js";

beforeAll(async () => {
  await selectBackend("cpu");
  await ensureGradients();
});

const points: Dataset = { name: "p", n: 2, xShape: [1], x: Float32Array.from([1, -2]), yDim: 1, y: new Float32Array(2) };

describe("feature_norm", () => {
  it("is the mean over samples of the hidden layer's output norm, per seed", async () => {
    const net = new Sequential({ inShape: [1], layers: mlpLayers({ hidden: [3, 2], outDim: 1, act: "relu", bias: true, norm: "none", dropout: 0, encode: null, outputScale: null }), seeds: [0, 1] });
    const set = (name: string, values: number[]) => {
      const p = net.params.find((q) => q.name === name)!;
      p.variable.assign(tf.tensor(values, p.variable.shape));
    };
    // Seed 0: hidden0 weights (1, −1, 2), biases (0, 1, −1); seed 1: weights (2, 2, 2), biases 0.
    set("hidden0.weight", [1, -1, 2, 2, 2, 2]);
    set("hidden0.bias", [0, 1, -1, 0, 0, 0]);
    // hidden1: seed 0 sums units 0 and 2 into unit 0, unit 1 into unit 1; seed 1 all ones; no biases.
    set("hidden1.weight", [1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
    set("hidden1.bias", [0, 0, 0, 0]);
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["p", [points]]]), loss: "mse" });
    const ctx = { model: net, step: 0, seeds: [0, 1], seedIndices: [0, 1] } as unknown as ProbeContext;
    const norm = async (layer: number | null) => Array.from((await measureProbe("feature_norm", { model: { ref: "net" }, data: { ref: "p" }, layer }, ctx, env)) as Float64Array);
    // Layer 0, seed 0: x = 1 → relu(1, 0, 1) = (1, 0, 1), norm √2; x = −2 → relu(−2, 3, −5) = (0, 3, 0), norm 3.
    // Seed 1: x = 1 → (2, 2, 2), norm √12; x = −2 → 0. Means: (√2 + 3)/2, √12/2.
    const first = await norm(0);
    expect(first[0]).toBeCloseTo((Math.SQRT2 + 3) / 2, 5);
    expect(first[1]).toBeCloseTo(Math.sqrt(12) / 2, 5);
    // Layer 1 (the default, the last hidden layer), seed 0: (1 + 1, 0) = (2, 0) and (0, 3) → (2 + 3)/2;
    // seed 1: (6, 6) and (0, 0) → √72/2.
    for (const layer of [1, null]) {
      const last = await norm(layer);
      expect(last[0]).toBeCloseTo(2.5, 5);
      expect(last[1]).toBeCloseTo(Math.sqrt(72) / 2, 5);
    }
    env.dispose();
    net.dispose();
  });
});
