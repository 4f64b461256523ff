/** Neuron features and cosine similarity of hand-set layers against hand computations. */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import { cosineMatrix } from "../../stdlib/condensation/cosine.js";
import { reorderByLeadingEigenvector } from "../../numerics/eigen.js";
import { neuronFeatures, orientationAngle } from "../../stdlib/condensation/features.js";
import { layerNeurons } from "../../stdlib/condensation/layer.js";
import { mlp } from "../../runtime/nn/index.js";
import { setParam } from "../../runtime/params.js";
import { measureProbe, type SeedIndexed, type SeedTensors } from "../../stdlib/probes/index.js";
import { context, envFor, f32, twoLayer } from "./helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

describe("neuron_features", () => {
  // w, b, a chosen so every quadrant and the ±w pair at b = 0 appear.
  const w = [1, -1, 0.5, -2, 3];
  const b = [1, 0, -0.5, -2, 0];
  const a = [2, -0.5, 1, 0.25, -1];

  it("gives atan2(b, w) in [−π, π), |a|·‖(w, b)‖ and −b/w per neuron", () => {
    const net = twoLayer(w, b, a);
    const env = envFor(net);
    const value = measureProbe("neuron_features", { model: { ref: "net" }, layer: 0, bias: true, project: null }, context(1), env) as SeedIndexed;
    expect(value.dim).toBe("neuron");
    const [W, B, A] = [f32(w), f32(b), f32(a)];
    // hand values: atan2 quadrants written out, not computed with the same helper
    const angles = [Math.PI / 4, -Math.PI, -Math.PI / 4, (-3 * Math.PI) / 4, 0];
    angles.forEach((phi, k) => expect(value.fields["angle"]![0]![k]).toBeCloseTo(phi, 6));
    W.forEach((wk, k) => {
      expect(value.fields["amplitude"]![0]![k]).toBeCloseTo(Math.abs(A[k]!) * Math.hypot(wk, B[k]!), 6);
      expect(value.fields["kink"]![0]![k]).toBeCloseTo(-B[k]! / wk, 6);
    });
    env.dispose();
    net.dispose();
  });

  it("separates +w from −w (atan2, not arctan(b/w)) and maps π to −π", () => {
    expect(orientationAngle(1, 0)).toBe(0);
    expect(orientationAngle(-1, 0)).toBe(-Math.PI);
    expect(orientationAngle(-1, -0)).toBeCloseTo(-Math.PI, 12);
    expect(orientationAngle(1, 1)).not.toBeCloseTo(orientationAngle(-1, -1), 3);
  });

  it("projects high-dimensional neurons on p = 1/√n", () => {
    const net = mlp({ inDim: 3, hidden: [2], outDim: 1, seeds: [0] });
    setParam(net, "hidden0.weight", [[1, 0], [1, 0], [1, 3]]);
    setParam(net, "hidden0.bias", [1, 4]);
    setParam(net, "out.weight", [[2], [1]]);
    const f = neuronFeatures(layerNeurons(net, 0, true)[0]!);
    // neuron 0 = (1,1,1,1): ŵ·p = 1; neuron 1 = (0,0,3,4): (3+4)/5/2 = 0.7
    expect(f.angle[0]).toBeCloseTo(1, 6);
    expect(f.angle[1]).toBeCloseTo(0.7, 6);
    expect(f.amplitude[0]).toBeCloseTo(2 * 2, 6);
    expect(f.amplitude[1]).toBeCloseTo(1 * 5, 6);
    expect(Number.isNaN(f.kink[0]!)).toBe(true);
    net.dispose();
  });

  it("reports a bad layer index clearly", () => {
    const net = twoLayer([1], [0], [1]);
    expect(() => measureProbe("neuron_features", { model: { ref: "net" }, layer: 3 }, context(1), envFor(net))).toThrow(/layer must be a hidden-layer index in 0..0/);
    net.dispose();
  });
});

describe("cosine_similarity", () => {
  it("is 1 for planted duplicates, −1 for opposites, 0 for orthogonal vectors, NaN for a zero vector", () => {
    // rows: u, v ⟂ u, 2u, −v, 0, 3v
    const u = [1, 2, 2];
    const v = [2, -1, 0];
    const rows = [u, v, u.map((x) => 2 * x), v.map((x) => -x), [0, 0, 0], v.map((x) => 3 * x)];
    const d = cosineMatrix(Float64Array.from(rows.flat()), 6, 3);
    const at = (i: number, j: number): number => d[i * 6 + j]!;
    expect(at(0, 2)).toBeCloseTo(1, 12);
    expect(at(1, 5)).toBeCloseTo(1, 12);
    expect(at(1, 3)).toBeCloseTo(-1, 12);
    expect(at(0, 1)).toBeCloseTo(0, 12);
    expect(at(0, 0)).toBe(1);
    expect(Number.isNaN(at(4, 0))).toBe(true);
  });

  it("reorders by the leading eigenvector so that planted groups become contiguous blocks", () => {
    // 3 groups of duplicates interleaved: neuron k belongs to group k mod 3, directions at 0°, 60°, 150°
    const dirs = [0, Math.PI / 3, (5 * Math.PI) / 6].map((t) => [Math.cos(t), Math.sin(t)]);
    const m = 12;
    const rows = Array.from({ length: m }, (_, k) => dirs[k % 3]!.map((x) => x * (1 + k / 10)));
    const { values, order } = reorderByLeadingEigenvector(cosineMatrix(Float64Array.from(rows.flat()), m, 2), m);
    const groups = [...order].map((k) => k % 3);
    // contiguous: the group label changes exactly twice along the new order
    const changes = groups.slice(1).filter((g, i) => g !== groups[i]).length;
    expect(changes).toBe(2);
    // within-block entries are 1
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (groups[i] === groups[j]) expect(values[i * m + j]).toBeCloseTo(1, 12);
  });

  it("the probe writes one m × m matrix per seed from the layer's (w, b) rows", () => {
    const net = twoLayer([1, 2, -1], [1, 2, 0], [1, 1, 1]);
    const value = measureProbe("cosine_similarity", { model: { ref: "net" }, layer: 0, bias: true, order: "none" }, context(1), envFor(net)) as SeedTensors;
    expect(value.shape).toEqual([3, 3]);
    const m = value.perSeed[0]!;
    expect(m[1]).toBeCloseTo(1, 6); // (1,1) ∥ (2,2)
    expect(m[2]).toBeCloseTo(-1 / Math.SQRT2, 6); // (1,1)·(−1,0)
    net.dispose();
  });
});
