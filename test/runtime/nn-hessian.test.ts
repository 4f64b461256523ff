/**
 * Hessian-vector products by nested tf.grad through `mlp` (custom-gradient dense layers and activations)
 * against the exact Hessian of the same tiny net, computed in float64 JS by central finite differences
 * of a hand-written forward pass. Also: the custom-gradient batched matMul against tf.matMul autodiff.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import type { Model } from "../../contract/model.js";
import { bmm } from "../../runtime/nn/bmm.js";
import { type ActivationSpec } from "../../runtime/nn/activations.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { Rng } from "../../runtime/rng.js";

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const erf = (x: number) => {
  let sum = 0;
  let term = x;
  for (let n = 0; n < 80; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
};
const jsActs: Record<string, (x: number) => number> = {
  relu: (x) => Math.max(0, x),
  leaky_relu: (x) => (x > 0 ? x : 0.01 * x),
  tanh: Math.tanh,
  sigmoid: sig,
  silu: (x) => x * sig(x),
  xtanh: (x) => x * Math.tanh(x),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  softplus: (x) => Math.log1p(Math.exp(x)),
};

const IN = 3;
const HID = 5;
const N = 4;
const rng = new Rng(11).fork("data");
const X = Array.from({ length: N * IN }, () => rng.uniformIn(-1.5, 1.5));
const Y = Array.from({ length: N }, () => rng.uniformIn(-1, 1));

/** ½·mean squared error of the 3→5→1 net in float64; θ = [W1 (in×hid, row-major), b1, W2 (hid), b2]. */
function lossF64(theta: Float64Array, act: (x: number) => number): number {
  let total = 0;
  for (let n = 0; n < N; n++) {
    let out = theta[IN * HID + HID + HID]!;
    for (let j = 0; j < HID; j++) {
      let z = theta[IN * HID + j]!;
      for (let i = 0; i < IN; i++) z += X[n * IN + i]! * theta[i * HID + j]!;
      out += act(z) * theta[IN * HID + HID + j]!;
    }
    total += 0.5 * (out - Y[n]!) ** 2;
  }
  return total / N;
}

/** Exact Hessian (to ~1e-7) by 4-point central differences in float64. */
function hessianF64(theta: Float64Array, act: (x: number) => number): number[][] {
  const P = theta.length;
  const h = 1e-4;
  const at = (i: number, di: number, j: number, dj: number) => {
    const t = Float64Array.from(theta);
    t[i]! += di;
    t[j]! += dj;
    return lossF64(t, act);
  };
  return Array.from({ length: P }, (_, i) =>
    Array.from({ length: P }, (_, j) => (at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h)),
  );
}

function lossTf(model: Model): tf.Scalar {
  const x = tf.tensor3d(X, [1, N, IN]);
  const y = tf.tensor3d(Y, [1, N, 1]);
  return tf.mul(tf.mean(tf.square(tf.sub(model.forward(x, { training: true }), y))), 0.5) as tf.Scalar;
}

/** H·v by differentiating ⟨∇L, v⟩ once more (the path curvature probes use). */
function hvpTf(model: Model, v: tf.Tensor[]): Float64Array {
  const vars = model.params.map((p) => p.variable);
  const parts = tf.tidy(() =>
    tf.grads(() => {
      const g = tf.grads(() => lossTf(model))(vars);
      return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, v[i]!))));
    })(vars),
  );
  const flat = Float64Array.from(parts.flatMap((t) => Array.from(t.dataSync())));
  tf.dispose(parts);
  return flat;
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`HVP through mlp on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const [name, act] of Object.entries(jsActs)) {
      it(`${name}: nested tf.grad H·v equals the float64 finite-difference Hessian times v`, () => {
        const spec: ActivationSpec = name as ActivationSpec;
        const model = mlp({ inDim: IN, hidden: [HID], outDim: 1, act: spec, seeds: [3], init: "glorot_normal" });
        // Non-zero biases so every activation is probed away from 0.
        const theta = Float64Array.from(model.params.flatMap((p) => Array.from(p.variable.dataSync())));
        theta.set([0.3, -0.5, 0.8, -0.2, 0.6], IN * HID);
        tf.tidy(() => model.params[1]!.variable.assign(tf.tensor2d([[0.3, -0.5, 0.8, -0.2, 0.6]])));
        const vr = new Rng(5).fork("v");
        const vFlat = Array.from({ length: theta.length }, () => vr.normal());
        let offset = 0;
        const v = model.params.map((p) => {
          const t = tf.tensor(vFlat.slice(offset, offset + p.variable.size), p.variable.shape);
          offset += p.variable.size;
          return t;
        });
        const before = tf.memory().numTensors;
        const hv = hvpTf(model, v);
        expect(tf.memory().numTensors).toBe(before);
        const H = hessianF64(theta, act);
        const expected = H.map((row) => row.reduce((s, hij, j) => s + hij * vFlat[j]!, 0));
        const scale = Math.max(...expected.map(Math.abs));
        expect(scale).toBeGreaterThan(1e-2);
        expected.forEach((e, i) => expect(Math.abs(hv[i]! - e)).toBeLessThan(2e-4 * scale + 1e-6));
        tf.dispose(v);
        model.dispose();
      });
    }

    it("bmm: forward, gradient and HVP equal tf.matMul autodiff (relu: tfjs's own second derivatives are right)", () => {
      tf.tidy(() => {
        const r = new Rng(2).fork("bmm");
        const rand = (shape: number[]) =>
          tf.tensor3d(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r.normal()), shape as [number, number, number]);
        const a = rand([2, 3, 4]);
        const b = rand([2, 4, 5]);
        const v = rand([2, 4, 5]);
        const f = (mm: (x: tf.Tensor3D, y: tf.Tensor3D) => tf.Tensor3D) => (A: tf.Tensor3D, B: tf.Tensor3D) => tf.sum(tf.square(tf.relu(mm(A, B))));
        const mine = f(bmm);
        const plain = f((A, B) => tf.matMul(A, B) as tf.Tensor3D);
        const close = (x: tf.Tensor, y: tf.Tensor) => expect(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]).toBeLessThan(1e-4);
        close(bmm(a, b), tf.matMul(a, b));
        const [ga, gb] = tf.grads(mine as (...t: tf.Tensor[]) => tf.Tensor)([a, b]);
        const [pa, pb] = tf.grads(plain as (...t: tf.Tensor[]) => tf.Tensor)([a, b]);
        close(ga!, pa!);
        close(gb!, pb!);
        const hvp = (fn: typeof mine) =>
          tf.grad((B: tf.Tensor) => tf.sum(tf.mul(tf.grad((BB: tf.Tensor) => fn(a, BB as tf.Tensor3D))(B), v)))(b);
        close(hvp(mine), hvp(plain));
        // Seed independence: seed 1's output does not depend on seed 0's matrices.
        const g0 = tf.grad((A: tf.Tensor) => tf.sum(tf.slice(bmm(A as tf.Tensor3D, b), [1, 0, 0], [1, 3, 5])))(a);
        expect(Array.from(tf.slice(g0, [0, 0, 0], [1, 3, 4]).dataSync()).every((z) => z === 0)).toBe(true);
      });
    });
  });
}
