/**
 * `neuron_curve(net, neuron: k)` on the nets of a width sweep: one `neuron` serves every sweep point, so the
 * width-1 nets of a sweep over widths 1, 2, … asked for `neuron: 1` (the second neuron, indices are 0-based)
 * record NaN curves instead of failing the run with RUN040; the width-2 nets get neuron 1's curve, checked
 * against the trained parameters read back by hand.
 */
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { mlpLayers } from "../../contract/layer-list.js";
import { ensureGradients, selectBackend } from "../../runtime/backend.js";
import { Sequential } from "../../runtime/nn/sequential.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { isSeedIndexed, measureProbe, RunProbeEnv } from "../../stdlib/probes/index.js";

/** neuron_curve(net, neuron: 1, n: 5) on a fresh silu net of the given width, two seeds. */
async function curveOfNeuron1(width: number): Promise<{ fields: Record<string, (Float64Array | undefined)[]>; w: number[]; b: number[]; v: number[] }> {
  const layers = mlpLayers({ hidden: [width], outDim: 1, act: "silu", bias: true, norm: "none", dropout: 0, encode: null, outputScale: null });
  const net = new Sequential({ inShape: [1], layers, seeds: [0, 1] });
  const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map(), loss: "mse" });
  try {
    const ctx = { model: net, step: 0, seeds: [0, 1], seedIndices: [0, 1], lr: null, loss: null } as unknown as ProbeContext;
    const value = await measureProbe("neuron_curve", { model: { ref: "net" }, neuron: 1, n: 5 }, ctx, env);
    if (!isSeedIndexed(value)) throw new Error("neuron_curve should give indexed values");
    const [w, b, out] = [net.params[0]!, net.params[1]!, net.params[2]!].map((p) => Array.from(p.variable.dataSync()));
    return { fields: value.fields as Record<string, (Float64Array | undefined)[]>, w: w!, b: b!, v: out! };
  } finally {
    env.dispose();
    net.dispose();
  }
}

describe("neuron_curve across a width sweep", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
    await ensureGradients();
  });

  it("a width-1 net has no neuron 1: the grid, NaN curves, no RUN040", async () => {
    const { fields } = await curveOfNeuron1(1);
    for (const s of [0, 1]) {
      expect([...fields["x"]![s]!]).toEqual([-2, -1, 0, 1, 2]);
      for (const key of ["pre", "post", "out"]) expect([...fields[key]![s]!].every(Number.isNaN), key).toBe(true);
    }
  });

  it("a width-2 net's neuron 1 is its second hidden neuron: w₁x + b₁ and v₁·silu(w₁x + b₁) by hand", async () => {
    const { fields, w, b, v } = await curveOfNeuron1(2);
    // weights are [S, fanIn = 1, fanOut = 2], biases [S, 2], output weights [S, 2, 1]: seed s's neuron 1 sits at 2s + 1
    for (const s of [0, 1]) {
      const [wk, bk, vk] = [w[2 * s + 1]!, b[2 * s + 1]!, v[2 * s + 1]!];
      [-2, -1, 0, 1, 2].forEach((x, i) => {
        const pre = wk * x + bk;
        const post = pre / (1 + Math.exp(-pre));
        expect(fields["pre"]![s]![i]).toBeCloseTo(pre, 6);
        expect(fields["post"]![s]![i]).toBeCloseTo(post, 6);
        expect(fields["out"]![s]![i]).toBeCloseTo(vk * post, 6);
      });
    }
  });
});
