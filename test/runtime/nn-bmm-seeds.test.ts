/**
 * The seed-batched product on wasm with several seeds (runtime/kernels DyncSeedMatMul, issue #21 item 0):
 * tfjs's wasm BatchMatMul runs a scalar fallback loop for any batch above 1, so `bmm` calls tfjs's own
 * batch-1 XNNPACK product once per seed, on views of the seeds' matrices. Checked here: every seed's
 * block is bit for bit what tf.matMul computes for that seed alone, and within float32 rounding of a
 * float64 JS product; fresh weights after a call are used (no stale packed operator); the small shapes
 * it declines; nothing leaks. Gradients and Hessian-vector products through it: nn-bmm-fastpath.test.ts.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { SEED_PRODUCT_MIN_MACS, simdSeedProduct } from "../../runtime/kernels/ops.js";
import { setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { bmm } from "../../runtime/nn/bmm.js";
import { Rng } from "../../runtime/rng.js";

function randomValues(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniformIn(-1.5, 1.5));
}

/** Seed s's `[M, N]` block of a·b in float64, and Σ|a_ik·b_kj| per entry (the scale of its rounding error). */
function float64Product(a: Float32Array, b: Float32Array, [S, M, K, N]: number[]) {
  const value = new Float64Array(S! * M! * N!);
  const magnitude = new Float64Array(S! * M! * N!);
  for (let s = 0; s < S!; s++) {
    for (let i = 0; i < M!; i++) {
      for (let j = 0; j < N!; j++) {
        let sum = 0;
        let abs = 0;
        for (let k = 0; k < K!; k++) {
          const term = a[(s * M! + i) * K! + k]! * b[(s * K! + k) * N! + j]!;
          sum += term;
          abs += Math.abs(term);
        }
        value[(s * M! + i) * N! + j] = sum;
        magnitude[(s * M! + i) * N! + j] = abs;
      }
    }
  }
  return { value, magnitude };
}

/** tf.matMul of each seed alone (batch 1: tfjs's XNNPACK path), stacked. */
function perSeedMatMul(a: tf.Tensor3D, b: tf.Tensor3D): Float32Array {
  const [S, M, K] = a.shape;
  const N = b.shape[2];
  const out = new Float32Array(S * M * N);
  for (let s = 0; s < S; s++) {
    tf.tidy(() => {
      const one = tf.matMul(tf.slice(a, [s, 0, 0], [1, M, K]), tf.slice(b, [s, 0, 0], [1, K, N]));
      out.set(one.dataSync(), s * M * N);
    });
  }
  return out;
}

// [S, M, K, N]: odd sizes (SIMD tails, unaligned seed offsets), a wide inner dimension, the 4×512 layer's shape at
// a few rows, and one just above the size threshold.
const SHAPES = [
  [2, 37, 29, 41],
  [3, 5, 300, 7],
  [2, 64, 512, 512],
  [4, 17, 23, 21],
];

describe("seed-batched product on wasm (one XNNPACK product per seed)", () => {
  beforeAll(async () => {
    await selectBackend("wasm");
  });

  it("each seed's block equals tf.matMul of that seed alone bit for bit, and float64 within float32 rounding", () => {
    const rng = new Rng(21).fork("seed-product");
    for (const shape of SHAPES) {
      const [S, M, K, N] = shape as [number, number, number, number];
      expect(M * K * N).toBeGreaterThanOrEqual(SEED_PRODUCT_MIN_MACS);
      const av = randomValues(S * M * K, rng);
      const bv = randomValues(S * K * N, rng);
      tf.tidy(() => {
        const a = tf.tensor3d(av, [S, M, K]);
        const b = tf.tensor3d(bv, [S, K, N]);
        const got = simdSeedProduct(a, b);
        expect(got, `shape ${shape}`).toBeDefined();
        expect(got!.shape).toEqual([S, M, N]);
        const values = got!.dataSync() as Float32Array;
        expect(Array.from(values)).toEqual(Array.from(perSeedMatMul(a, b)));
        const { value, magnitude } = float64Product(av, bv, shape);
        // float32 summation of K terms: |error| ≤ K·u·Σ|terms| (u = 2⁻²⁴), with room for the order XNNPACK uses
        for (let i = 0; i < values.length; i++) {
          expect(Math.abs(values[i]! - value[i]!)).toBeLessThanOrEqual(K * 2 ** -24 * magnitude[i]! + 1e-30);
        }
        // bmm on the wasm path takes this product (with dync's native addon built, bmm takes OpenBLAS instead:
        // native-matmul.test.ts)
        setNativeMatMulEnabled(false);
        try {
          expect(Array.from(bmm(a, b).dataSync())).toEqual(Array.from(values));
        } finally {
          setNativeMatMulEnabled(true);
        }
      });
    }
  });

  it("a second product with other weights of the same shape uses them (no stale packed operator)", () => {
    const rng = new Rng(22).fork("fresh");
    const [S, M, K, N] = [3, 40, 30, 20];
    tf.tidy(() => {
      const a = tf.tensor3d(randomValues(S * M * K, rng), [S, M, K]);
      for (let round = 0; round < 3; round++) {
        const b = tf.tensor3d(randomValues(S * K * N, rng), [S, K, N]);
        expect(Array.from(simdSeedProduct(a, b)!.dataSync())).toEqual(Array.from(perSeedMatMul(a, b)));
        b.dispose();
      }
    });
  });

  it("frees each seed's XNNPACK operator: the wasm heap does not grow over 400 products with fresh weights", () => {
    // each product creates S operators holding packed copies of the weights (64 KiB each here) in the heap
    const heapBytes = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    const a = tf.ones([4, 16, 128]) as tf.Tensor3D;
    const base = tf.ones([4, 128, 128]);
    const run = (n: number) => {
      for (let i = 0; i < n; i++) tf.tidy(() => simdSeedProduct(a, tf.mul(base, i) as tf.Tensor3D)!.dataSync());
    };
    run(20);
    const before = heapBytes();
    run(400);
    expect(heapBytes()).toBe(before);
    tf.dispose([a, base]);
  });

  it("declines one seed and small matrices (tf.matMul's job), and leaks no tensors", () => {
    const rng = new Rng(23).fork("decline");
    const one = tf.tensor3d(randomValues(64 * 512, rng), [1, 64, 512]);
    const w = tf.tensor3d(randomValues(512 * 512, rng), [1, 512, 512]);
    expect(simdSeedProduct(one, w)).toBeUndefined();
    const small = tf.ones([8, 4, 10]) as tf.Tensor3D;
    expect(simdSeedProduct(small, tf.ones([8, 10, 10]) as tf.Tensor3D)).toBeUndefined();
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const a = tf.tensor3d(randomValues(2 * 37 * 29, rng), [2, 37, 29]);
      const b = tf.tensor3d(randomValues(2 * 29 * 41, rng), [2, 29, 41]);
      tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(bmm(p as tf.Tensor3D, q as tf.Tensor3D)))([a, b]);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([one, w, small]);
  });
});

describe("where it does not serve", () => {
  it("on the cpu backend it declines (bmm uses tf.matMul)", async () => {
    await selectBackend("cpu");
    const a = tf.ones([2, 64, 512]) as tf.Tensor3D;
    const b = tf.ones([2, 512, 512]) as tf.Tensor3D;
    expect(simdSeedProduct(a, b)).toBeUndefined();
    tf.dispose([a, b]);
  });
});
