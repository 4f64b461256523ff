/** Condensed directions and the merged network: the merged net computes the same function. */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import { forwardTwoLayer, groupDirections, mergeGroups, twoLayerNet } from "../../stdlib/condensation/directions.js";
import { neuronFeatures } from "../../stdlib/condensation/features.js";
import { layerNeurons } from "../../stdlib/condensation/layer.js";
import { datasetLoss, EvalData, measureProbe, type SeedFields } from "../../stdlib/probes/index.js";
import { context, envFor, line, twoLayer } from "./helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

const xs = Array.from({ length: 41 }, (_, i) => -1 + i / 20);

// Two planted directions, (1, 0.5) and (−1, 0.2), each repeated with different norms and positive output
// weights, plus one negligible neuron: 2 condensed directions.
const w = [1, 2, 0.5, -1, -3, 0.01];
const b = [0.5, 1, 0.25, 0.21, 0.63, -0.004]; // no kink exactly on a sample: patterns are unambiguous
const a = [0.3, 0.1, 0.8, -0.5, -0.2, 1e-4];

describe("condensed_directions", () => {
  it("finds the planted directions and a merged net of that width with the same loss", () => {
    const net = twoLayer(w, b, a, 0.1);
    const data = line("train", xs, (x) => Math.abs(x));
    const env = envFor(net, [data]);
    const value = measureProbe("condensed_directions", { model: { ref: "net" }, data: { ref: "train" }, layer: 0, active: 0.05, similarity: 0.99 }, context(1), env) as SeedFields;
    expect(value.fields["directions"]![0]).toBe(2);
    expect(value.fields["active"]![0]).toBe(5);
    expect(value.fields["merged_width"]![0]).toBe(3); // the tiny neuron is its own group
    // the float64 loss agrees with the runtime's own float32 loss probe
    expect(value.fields["loss"]![0]).toBeCloseTo(datasetLoss(net, new EvalData([data], 1), "mse")[0]!, 6);
    expect(value.fields["merged_loss"]![0]).toBeCloseTo(value.fields["loss"]![0]!, 12);
    env.dispose();
    net.dispose();
  });

  it("counts kinks inside the data's range: left- and right-opening groups at one point share a kink", () => {
    // directions (1, 0.3) and (−2, −0.6): one kink at −0.3, opening right and left; (1, −0.4): kink 0.4;
    // (1, −1.5): kink 1.5, outside [−1, 1]; (0.5, 0.5)·2 = (1, 1) and (1, 1): one direction, kink −1 (an end
    // of the range, inside). By hand: 5 directions (the last two neurons are parallel), kinks −0.3, 0.4, −1 → 3.
    const net = twoLayer([1, -2, 1, 1, 0.5, 1], [0.3, -0.6, -0.4, -1.5, 0.5, 1], [1, 1, -1, 1, 2, 1]);
    const data = line("train", xs, (x) => x);
    const env = envFor(net, [data]);
    const value = measureProbe("condensed_directions", { model: { ref: "net" }, data: { ref: "train" }, layer: 0, active: 0.05, similarity: 0.99 }, context(1), env) as SeedFields;
    expect(value.fields["directions"]![0]).toBe(5);
    expect(value.fields["kinks"]![0]).toBe(3);
    // on a narrower range the kink at −1 and the one at 0.4 fall outside
    const narrow = line("narrow", Array.from({ length: 11 }, (_, i) => -0.5 + i / 20), (x) => x);
    const env2 = envFor(net, [narrow]);
    const inNarrow = measureProbe("condensed_directions", { model: { ref: "net" }, data: { ref: "narrow" }, layer: 0, active: 0.05, similarity: 0.99 }, context(1), env2) as SeedFields;
    expect(inNarrow.fields["kinks"]![0]).toBe(1);
    env.dispose();
    env2.dispose();
    net.dispose();
  });

  it("the merged network computes the same function as the original at every input", () => {
    const net = twoLayer(w, b, a, 0.1);
    const two = twoLayerNet(net, 0)!;
    const groups = groupDirections(layerNeurons(net, 0, true)[0]!, neuronFeatures(layerNeurons(net, 0, true)[0]!).amplitude, 0, 0.99);
    const merged = mergeGroups(two, groups);
    expect(merged.m).toBe(3);
    const dense = Array.from({ length: 401 }, (_, i) => -2 + i / 100);
    const original = forwardTwoLayer(two, dense, dense.length);
    const small = forwardTwoLayer(merged, dense, dense.length);
    dense.forEach((_, i) => expect(small[i]).toBeCloseTo(original[i]!, 12));
    // and the float64 forward is the network's own forward (float32) to 1e-5
    const out = tf.tidy(() => net.forward(tf.tensor(dense, [1, dense.length, 1]), { training: false }).dataSync());
    dense.forEach((_, i) => expect(out[i]).toBeCloseTo(original[i]!, 5));
    net.dispose();
  });

  it("merging non-parallel members changes the function (the check is not vacuous)", () => {
    const net = twoLayer([1, 1], [0.5, -0.5], [1, 1], 0);
    const two = twoLayerNet(net, 0)!;
    const merged = mergeGroups(two, [[0, 1]]);
    const x = [-0.8, 0, 0.8];
    const diff = forwardTwoLayer(merged, x, 3).map((v, i) => Math.abs(v - forwardTwoLayer(two, x, 3)[i]!));
    expect(Math.max(...diff)).toBeGreaterThan(0.1);
    net.dispose();
  });
});
