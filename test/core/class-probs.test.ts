/**
 * `class_probs(net, data)`: the softmax of the outputs averaged over the samples, per seed and class. A 1 → 2 → 3
 * ReLU net with hand-set weights on two points; the reference softmax is computed directly in float64 from the
 * hand-worked logits. A regression output (one column) is a named error.
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
import type { SeedIndexed } from "../../stdlib/probes/types.js";

beforeAll(async () => {
  await selectBackend("cpu");
  await ensureGradients();
});

const points: Dataset = { name: "p", n: 2, xShape: [1], x: Float32Array.from([1, -2]), yDim: 3, y: Float32Array.from([1, 0, 0, 0, 0, 1]) };

function softmax(logits: readonly number[]): number[] {
  const exps = logits.map(Math.exp);
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

function net(outDim: number): Sequential {
  const model = new Sequential({ inShape: [1], layers: mlpLayers({ hidden: [2], outDim, act: "relu", bias: true, norm: "none", dropout: 0, encode: null, outputScale: null }), seeds: [0, 1] });
  const set = (name: string, values: number[]) => {
    const p = model.params.find((q) => q.name === name)!;
    p.variable.assign(tf.tensor(values, p.variable.shape));
  };
  // Hidden: seed 0 weights (1, −1), seed 1 weights (2, 0.5); no biases. Out (2 × outDim): per seed, rows per hidden unit.
  set("hidden0.weight", [1, -1, 2, 0.5]);
  set("hidden0.bias", [0, 0, 0, 0]);
  if (outDim === 3) {
    set("out.weight", [1, 0, -1, 0, 2, 1, 0.5, 0.5, 0, -1, 3, 1]);
    set("out.bias", [0, 0, 0.5, 1, 0, 0]);
  }
  return model;
}

async function measure(model: Sequential): Promise<SeedIndexed> {
  const env = new RunProbeEnv({ model, modelName: "net", datasets: new Map([["p", [points]]]), loss: "cross_entropy" });
  const ctx = { model, step: 0, seeds: [0, 1], seedIndices: [0, 1] } as unknown as ProbeContext;
  try {
    return (await measureProbe("class_probs", { model: { ref: "net" }, data: { ref: "p" } }, ctx, env)) as SeedIndexed;
  } finally {
    env.dispose();
  }
}

describe("class_probs", () => {
  it("is the mean over samples of softmax(outputs), per seed and class", async () => {
    const model = net(3);
    const probs = await measure(model);
    expect(probs.dim).toBe("class");
    // Seed 0: x = 1 → h = relu(1, −1) = (1, 0) → logits (1, 0, −1) + (0, 0, 0.5) = (1, 0, −0.5);
    //          x = −2 → h = (0, 2) → logits 2·(0, 2, 1) + bias = (0, 4, 2.5).
    // Seed 1: x = 1 → h = (2, 0.5) → 2·(0.5, 0.5, 0) + 0.5·(−1, 3, 1) + (1, 0, 0) = (1.5, 2.5, 0.5);
    //          x = −2 → h = 0 → logits = bias (1, 0, 0).
    const expected = [
      [softmax([1, 0, -0.5]), softmax([0, 4, 2.5])],
      [softmax([1.5, 2.5, 0.5]), softmax([1, 0, 0])],
    ].map(([a, b]) => a!.map((v, c) => (v + b![c]!) / 2));
    for (const s of [0, 1]) {
      const got = Array.from(probs.fields["value"]![s]!);
      got.forEach((v, c) => expect(v).toBeCloseTo(expected[s]![c]!, 6));
      expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    model.dispose();
  });

  it("names the cause on a model with one output", async () => {
    const model = net(1);
    await expect(measure(model)).rejects.toThrow(/class_probs needs a model with 2 or more outputs/);
    model.dispose();
  });
});
