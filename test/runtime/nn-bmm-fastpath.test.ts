/**
 * The 1-wide fast paths of the seed-batched matMul (`bmm`) against the plain path, tf.matMul with its
 * built-in autodiff: the outer-product forward (inner dimension 1) bit for bit, reshape-transposes against
 * tf.transpose bit for bit, and first and second derivatives (nested tf.grad, a Hessian-vector product)
 * through every combination of 1-wide shapes to float32 rounding, and through the per-seed product of larger ones. Run on cpu and on wasm, where the fast
 * paths are taken for speed: on the wasm path, and on OpenBLAS through dync's native addon when it is built
 * (runtime/kernels/native.ts; its own tests: native-matmul.test.ts), so both paths stay tested where the addon exists.
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { nativeMatMulActive, setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { bmm, transposeLast2 } from "../../runtime/nn/bmm.js";
import { addBias } from "../../runtime/nn/dense.js";
import { Rng } from "../../runtime/rng.js";

const S = 3;

function randomTensor(shape: [number, number, number], rng: Rng): tf.Tensor3D {
  const n = shape[0] * shape[1] * shape[2];
  return tf.tensor3d(Float32Array.from({ length: n }, () => rng.uniformIn(-1.5, 1.5)), shape);
}

/** A scalar loss whose gradient and Hessian involve both inputs nonlinearly: Σ w ⊙ (a·b)². */
function objective(mul: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D, w: tf.Tensor3D) {
  return (a: tf.Tensor3D, b: tf.Tensor3D) => tf.sum(tf.mul(w, tf.square(mul(a, b)))) as tf.Scalar;
}

const plain = (a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D => tf.matMul(a, b);

/** Hessian-vector product of f at (a, b) along (va, vb), by differentiating ⟨∇f, v⟩. */
function hvp(f: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Scalar, a: tf.Tensor3D, b: tf.Tensor3D, va: tf.Tensor3D, vb: tf.Tensor3D) {
  const directional = (x: tf.Tensor3D, y: tf.Tensor3D) => {
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => f(p as tf.Tensor3D, q as tf.Tensor3D))([x, y]) as [tf.Tensor, tf.Tensor];
    return tf.add(tf.sum(tf.mul(ga, va)), tf.sum(tf.mul(gb, vb))) as tf.Scalar;
  };
  return tf.grads((p: tf.Tensor, q: tf.Tensor) => directional(p as tf.Tensor3D, q as tf.Tensor3D))([a, b]);
}

function maxRelDiff(x: tf.Tensor, y: tf.Tensor): number {
  const xs = x.dataSync();
  const ys = y.dataSync();
  expect(xs.length).toBe(ys.length);
  const scale = Math.max(1e-3, ...Array.from(ys, Math.abs));
  let worst = 0;
  for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(xs[i]! - ys[i]!) / scale);
  return worst;
}

// [M, K, N]: every 1-wide combination the fast paths handle, and a plain one as a control.
const SHAPES: Array<[number, number, number]> = [
  [7, 1, 5], // outer product (first layer of a scalar-input net)
  [7, 5, 1], // 1-wide output (last layer of a scalar-output net)
  [1, 5, 7], // one sample
  [7, 1, 1],
  [1, 1, 6],
  [4, 3, 5],
  [33, 21, 17], // above the seed-product threshold: one XNNPACK product per seed on wasm (nn-bmm-seeds.test.ts)
];

await selectBackend("wasm");
const nativeBuilt = nativeMatMulActive();

for (const [backend, native] of [["cpu", false], ["wasm", false], ["wasm", true]] as const) {
  describe.skipIf(native && !nativeBuilt)(`bmm fast paths on ${backend}${native ? " + openblas (the native addon)" : ""}`, () => {
    it("selects the backend and the matmul path", async () => {
      await selectBackend(backend);
      expect(tf.getBackend()).toBe(backend);
      setNativeMatMulEnabled(native);
      expect(nativeMatMulActive()).toBe(native);
    });
    afterAll(() => setNativeMatMulEnabled(true));

    it("transposeLast2 equals tf.transpose bit for bit, and is a reshape when a dimension is 1", () => {
      const rng = new Rng(1).fork("t");
      for (const shape of [[S, 6, 1], [S, 1, 6], [S, 1, 1], [S, 4, 3]] as Array<[number, number, number]>) {
        tf.tidy(() => {
          const t = randomTensor(shape, rng);
          const fast = transposeLast2(t);
          expect(fast.shape).toEqual([S, shape[2], shape[1]]);
          expect(Array.from(fast.dataSync())).toEqual(Array.from(tf.transpose(t, [0, 2, 1]).dataSync()));
        });
      }
    });

    it("forward equals tf.matMul (bit for bit for an inner dimension of 1)", () => {
      const rng = new Rng(2).fork("fwd");
      for (const [M, K, N] of SHAPES) {
        tf.tidy(() => {
          const a = randomTensor([S, M, K], rng);
          const b = randomTensor([S, K, N], rng);
          const fast = bmm(a, b);
          const ref = tf.matMul(a, b);
          expect(fast.shape).toEqual(ref.shape);
          if (K === 1) expect(Array.from(fast.dataSync())).toEqual(Array.from(ref.dataSync()));
          else expect(maxRelDiff(fast, ref)).toBeLessThan(1e-6);
        });
      }
    });

    it("gradients equal tf.matMul's autodiff for every 1-wide shape", () => {
      const rng = new Rng(3).fork("grad");
      for (const [M, K, N] of SHAPES) {
        tf.tidy(() => {
          const a = randomTensor([S, M, K], rng);
          const b = randomTensor([S, K, N], rng);
          const w = randomTensor([S, M, N], rng);
          const g = (mul: typeof plain) => tf.grads((p: tf.Tensor, q: tf.Tensor) => objective(mul, w)(p as tf.Tensor3D, q as tf.Tensor3D))([a, b]);
          const [fa, fb] = g(bmm);
          const [ra, rb] = g(plain);
          expect(fa!.shape).toEqual([S, M, K]);
          expect(fb!.shape).toEqual([S, K, N]);
          expect(maxRelDiff(fa!, ra!)).toBeLessThan(1e-5);
          expect(maxRelDiff(fb!, rb!)).toBeLessThan(1e-5);
        });
      }
    });

    it("Hessian-vector products equal tf.matMul's (second order through the fast paths)", () => {
      const rng = new Rng(4).fork("hvp");
      for (const [M, K, N] of SHAPES) {
        tf.tidy(() => {
          const a = randomTensor([S, M, K], rng);
          const b = randomTensor([S, K, N], rng);
          const w = randomTensor([S, M, N], rng);
          const va = randomTensor([S, M, K], rng);
          const vb = randomTensor([S, K, N], rng);
          const [fa, fb] = hvp(objective(bmm, w), a, b, va, vb);
          const [ra, rb] = hvp(objective(plain, w), a, b, va, vb);
          expect(maxRelDiff(fa!, ra!)).toBeLessThan(1e-5);
          expect(maxRelDiff(fb!, rb!)).toBeLessThan(1e-5);
        });
      }
    });

    it("addBias: value, gradient and Hessian-vector product equal tf.add's broadcast autodiff", () => {
      const rng = new Rng(6).fork("bias");
      for (const [B, N] of [[5, 4], [1, 3], [6, 1]]) {
        tf.tidy(() => {
          const x = randomTensor([S, B, N], rng);
          const bias = tf.reshape(randomTensor([S, 1, N], rng), [S, N]) as tf.Tensor2D;
          const w = randomTensor([S, B, N], rng);
          const v = tf.reshape(randomTensor([S, 1, N], rng), [S, N]);
          const plainAdd = (p: tf.Tensor, q: tf.Tensor) => tf.add(p, tf.expandDims(q, 1));
          const fastAdd = (p: tf.Tensor, q: tf.Tensor) => addBias(p as tf.Tensor3D, q as tf.Tensor2D);
          // Σ w ⊙ (x + b)³: a gradient in b that depends on b, so the HVP is not zero.
          const f = (add: typeof plainAdd) => (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(w, tf.pow(add(p, q), 3))) as tf.Scalar;
          expect(Array.from(fastAdd(x, bias).dataSync())).toEqual(Array.from(plainAdd(x, bias).dataSync()));
          const [fx, fb] = tf.grads(f(fastAdd))([x, bias]);
          const [rx, rb] = tf.grads(f(plainAdd))([x, bias]);
          expect(maxRelDiff(fx!, rx!)).toBeLessThan(1e-6);
          expect(maxRelDiff(fb!, rb!)).toBeLessThan(1e-5);
          const hv = (add: typeof plainAdd) =>
            tf.grad((q: tf.Tensor) => tf.sum(tf.mul(tf.grads(f(add))([x, q])[1]!, v)))(bias);
          expect(maxRelDiff(hv(fastAdd), hv(plainAdd))).toBeLessThan(1e-5);
        });
      }
    });

    it("differentiating one operand computes only its gradient (one product backward), equal to the full gradient's part", async () => {
      const rng = new Rng(7).fork("prune");
      const products = /MatMul|VecMat|MatVec/;
      for (const [M, K, N] of [[4, 3, 5], [33, 21, 17]] as Array<[number, number, number]>) {
        const [a, b, w] = [randomTensor([S, M, K], rng), randomTensor([S, K, N], rng), randomTensor([S, M, N], rng)];
        const f = objective(bmm, w);
        const both = tf.grads((p: tf.Tensor, q: tf.Tensor) => f(p as tf.Tensor3D, q as tf.Tensor3D))([a, b]);
        // Only b varies (a is the data of a first layer), then only a (an input gradient).
        const onlyB = await tf.profile(() => tf.grad((q: tf.Tensor) => f(a, q as tf.Tensor3D))(b));
        const onlyA = await tf.profile(() => tf.grad((p: tf.Tensor) => f(p as tf.Tensor3D, b))(a));
        const countProducts = (info: Awaited<ReturnType<typeof tf.profile>>) => info.kernels.filter((k) => products.test(k.name)).length;
        // One forward product, one backward product (the plain tf.matMul's autodiff would compute both).
        expect(countProducts(onlyB)).toBe(2);
        expect(countProducts(onlyA)).toBe(2);
        const gb = tf.grad((q: tf.Tensor) => f(a, q as tf.Tensor3D))(b);
        const ga = tf.grad((p: tf.Tensor) => f(p as tf.Tensor3D, b))(a);
        expect(Array.from(gb.dataSync())).toEqual(Array.from(both[1]!.dataSync()));
        expect(Array.from(ga.dataSync())).toEqual(Array.from(both[0]!.dataSync()));
        tf.dispose([a, b, w, ...both, ga, gb, onlyA.result as tf.Tensor, onlyB.result as tf.Tensor]);
      }
    });

    it("leaves no tensors behind", () => {
      const rng = new Rng(5).fork("leak");
      const a = randomTensor([S, 6, 1], rng);
      const b = randomTensor([S, 1, 4], rng);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(bmm(p as tf.Tensor3D, q as tf.Tensor3D)))([a, b]);
      });
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([a, b]);
    });
  });
}
