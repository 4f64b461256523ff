/**
 * The factor C between `half_sse` (Cohen et al.'s ½·Σ over outputs) and `half_mse` (½·mean over outputs):
 * on a network with C = 3 outputs the loss, and so its Hessian and the sharpness probe's top eigenvalue, are
 * exactly 3 times larger under half_sse. Measured through the `loss` and `sharpness` probes with each loss.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mlpLayers } from "../../contract/layer-list.js";
import type { LossKind } from "../../contract/training-specs.js";
import { ensureGradients, selectBackend } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { Sequential } from "../../runtime/nn/sequential.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { measureProbe, RunProbeEnv } from "../../stdlib/probes/index.js";

beforeAll(async () => {
  await selectBackend("cpu");
  await ensureGradients();
});

const xs = Array.from({ length: 12 }, (_, i) => -1 + (2 * i) / 11);
const data: Dataset = {
  name: "d",
  n: xs.length,
  xShape: [1],
  x: Float32Array.from(xs),
  yDim: 3,
  y: Float32Array.from(xs.flatMap((x) => [Math.sin(2 * x), x * x, -x])),
};

async function measure(loss: LossKind, hidden: number[] = [8], d: Dataset = data): Promise<{ loss: number[]; sharpness: number[] }> {
  const net = new Sequential({ inShape: [1], layers: mlpLayers({ hidden, outDim: 3, act: "tanh", bias: true, norm: "none", dropout: 0, encode: null, outputScale: null }), seeds: [0, 1] });
  const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["d", [d]]]), loss });
  const ctx = { model: net, step: 0, seeds: [0, 1], seedIndices: [0, 1] } as unknown as ProbeContext;
  const args = { model: { ref: "net" }, data: { ref: "d" } };
  try {
    const l = (await measureProbe("loss", args, ctx, env)) as Float64Array;
    const s = (await measureProbe("sharpness", { ...args, iters: 300, tol: 1e-7 }, ctx, env)) as Float64Array;
    return { loss: Array.from(l), sharpness: Array.from(s) };
  } finally {
    env.dispose();
    net.dispose();
  }
}

describe("half_sse is C·half_mse", () => {
  it("with 3 outputs: 3× the loss and 3× the sharpness, so 2/η is reached at a third of the step size", async () => {
    const mean = await measure("half_mse");
    const sum = await measure("half_sse");
    for (let s = 0; s < 2; s++) {
      expect(sum.loss[s]! / mean.loss[s]!).toBeCloseTo(3, 5);
      expect(sum.sharpness[s]! / mean.sharpness[s]!).toBeCloseTo(3, 3);
    }
  });
});

describe("cross_entropy(smoothing: ε) in the sharpness probe", () => {
  it("on a linear model the Hessian is Xᵀ(diag p − ppᵀ)X whatever the targets (they sum to 1), so smoothing leaves the sharpness and raises the loss", async () => {
    const soft: Dataset = { ...data, y: Float32Array.from(xs.flatMap((x) => (x < -0.3 ? [1, 0, 0] : x < 0.3 ? [0, 1, 0] : [0, 0, 1]))) };
    const plain = await measure("cross_entropy", [], soft);
    const smoothed = await measure({ name: "cross_entropy", smoothing: 0.2 }, [], soft);
    for (let s = 0; s < 2; s++) {
      expect(Number.isFinite(smoothed.sharpness[s])).toBe(true);
      expect(smoothed.sharpness[s]! / plain.sharpness[s]!).toBeCloseTo(1, 3);
      expect(smoothed.loss[s]).not.toBeCloseTo(plain.loss[s]!, 3);
    }
  });
});
