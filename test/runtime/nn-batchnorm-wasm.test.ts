/**
 * Batch norm on wasm, where its per-feature statistics go through dync's row kernels (sum over the batch
 * axis, copy into every row) instead of tf.mean and broadcasting (runtime/nn/batchnorm.ts): the training
 * and evaluation outputs and the running-statistics update against float64 hand computation (PyTorch's
 * formulas), and the gradient and a Hessian-vector product through it against the cpu backend's (which
 * nn-sequential.test.ts checks against a float64 finite-difference Hessian). Also that a training step's
 * kernels include no middle-axis reduction (Sum, Mean) or Transpose, the cause of its former cost.
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { applyBatchNorm, createBatchNorm } from "../../runtime/nn/batchnorm.js";
import { Rng } from "../../runtime/rng.js";

const [S, B, N] = [2, 37, 5];

function inputs() {
  const rng = new Rng(31).fork("bn");
  const draw = (n: number, scale: number, shift = 0) => Array.from({ length: n }, () => shift + scale * rng.normal());
  return { x: draw(S * B * N, 2, 0.5), gamma: draw(S * N, 0.5, 1), beta: draw(S * N, 0.3), w: draw(S * B * N, 1), v: draw(S * B * N, 1) };
}

/** Loss Σ w ⊙ tanh(bn(x))², its gradient in (x, γ, β), and the Hessian-vector product along (v, 0, 0). */
function measure() {
  const d = inputs();
  const bn = createBatchNorm("l", S, N);
  const x = tf.tensor3d(d.x, [S, B, N]);
  const w = tf.tensor3d(d.w, [S, B, N]);
  const v = tf.tensor3d(d.v, [S, B, N]);
  // γ and β as plain tensors in the parameters' places, so tf.grads differentiates with respect to them
  const f = (p: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const params = { ...bn, gamma: { ...bn.gamma, variable: g as tf.Variable }, beta: { ...bn.beta, variable: b as tf.Variable } };
    return tf.sum(tf.mul(w, tf.square(tf.tanh(applyBatchNorm(params, p as tf.Tensor3D, true, false))))) as tf.Scalar;
  };
  const gamma = tf.tensor2d(d.gamma, [S, N]);
  const beta = tf.tensor2d(d.beta, [S, N]);
  const grads = tf.grads(f)([x, gamma, beta]).map((t) => Array.from(t.dataSync()));
  const hvp = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.grads(f)([p, gamma, beta])[0]!, v)))(x);
  const result = { grads, hvp: Array.from(hvp.dataSync()), backend: tf.getBackend() };
  tf.dispose([x, w, v, gamma, beta, hvp]);
  return result;
}

const maxRel = (a: number[], b: number[]) => {
  const scale = Math.max(1e-3, ...b.map(Math.abs));
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / scale));
};

describe("batch norm on wasm (row kernels)", () => {
  afterAll(async () => {
    await selectBackend("cpu");
  });

  it("training and evaluation outputs and the running statistics equal float64 hand computation", async () => {
    await selectBackend("wasm");
    const d = inputs();
    const bn = createBatchNorm("l", S, N);
    bn.gamma.variable.assign(tf.tensor2d(d.gamma, [S, N]));
    bn.beta.variable.assign(tf.tensor2d(d.beta, [S, N]));
    const x = tf.tensor3d(d.x, [S, B, N]);
    const train = Array.from(applyBatchNorm(bn, x, true, true).dataSync());
    const runningMean = Array.from(bn.runningMean.dataSync());
    const runningVar = Array.from(bn.runningVar.dataSync());
    const evalOut = Array.from(applyBatchNorm(bn, x, false, false).dataSync());
    for (let s = 0; s < S; s++) {
      for (let n = 0; n < N; n++) {
        const col = Array.from({ length: B }, (_, b) => d.x[(s * B + b) * N + n]!);
        const mean = col.reduce((a, c) => a + c, 0) / B;
        const biased = col.reduce((a, c) => a + (c - mean) ** 2, 0) / B;
        const [g, be] = [d.gamma[s * N + n]!, d.beta[s * N + n]!];
        const rm = 0.1 * mean;
        const rv = 0.9 + (0.1 * biased * B) / (B - 1);
        expect(Math.abs(runningMean[s * N + n]! - rm)).toBeLessThan(1e-6);
        expect(Math.abs(runningVar[s * N + n]! - rv) / rv).toBeLessThan(1e-6);
        for (let b = 0; b < B; b++) {
          const i = (s * B + b) * N + n;
          expect(Math.abs(train[i]! - (g * (col[b]! - mean)) / Math.sqrt(biased + 1e-5) - be)).toBeLessThan(1e-5);
          expect(Math.abs(evalOut[i]! - (g * (col[b]! - rm)) / Math.sqrt(rv + 1e-5) - be)).toBeLessThan(1e-5);
        }
      }
    }
  });

  it("gradients in x, γ, β and a Hessian-vector product equal the cpu backend's", async () => {
    await selectBackend("wasm");
    const onWasm = measure();
    await selectBackend("cpu");
    const onCpu = measure();
    expect([onWasm.backend, onCpu.backend]).toEqual(["wasm", "cpu"]);
    for (let k = 0; k < 3; k++) expect(maxRel(onWasm.grads[k]!, onCpu.grads[k]!)).toBeLessThan(1e-5);
    expect(maxRel(onWasm.hvp, onCpu.hvp)).toBeLessThan(1e-4);
  });

  it("a training forward and backward runs no Sum, Mean or Transpose kernel", async () => {
    await selectBackend("wasm");
    const bn = createBatchNorm("l", S, N);
    const x = tf.randomNormal([S, B, N]) as tf.Tensor3D;
    const dy = tf.randomNormal([S, B, N]);
    const profile = await tf.profile(() => {
      const forward = (p: tf.Tensor, g: tf.Tensor) => applyBatchNorm({ ...bn, gamma: { ...bn.gamma, variable: g as tf.Variable } }, p as tf.Tensor3D, true, false);
      tf.dispose(tf.grads(forward)([x, bn.gamma.variable], dy)); // dy given: no loss reduction of our own in the profile
    });
    const names = new Set(profile.kernels.map((k) => k.name));
    expect(names.has("DyncSumRows")).toBe(true);
    for (const slow of ["Sum", "Mean", "Transpose"]) expect(names.has(slow), slow).toBe(false);
    tf.dispose([x, dy]);
  });
});
