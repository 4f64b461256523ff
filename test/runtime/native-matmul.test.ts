/**
 * dync's native matrix products (runtime/kernels/native.ts over native/dync_blas.c, OpenBLAS's sgemm in place in
 * the wasm heap; issue #21 item 1). Checked here: products (plain and transposed operands, several seeds, odd
 * sizes, empty inner dimension) against a float64 JS product within float32 rounding and against the wasm path;
 * gradients and a Hessian-vector product of a dense net through it against the wasm path; a product whose
 * output grows the wasm heap mid-call; no tensor leaks; bounds checks of the addon itself.
 *
 * Needs the addon (`npm run native`: gcc + libopenblas-dev). Without it these tests are skipped with the reason,
 * except under CI=true, where .ci/run installs OpenBLAS and a missing addon is a failure.
 */
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import {
  NATIVE_KERNELS_REVISION,
  nativeMatMulActive,
  nativeMatMulInfo,
  nativeMatMulUnavailableReason,
  nativeProduct,
  requestedBlasThreads,
  requestedGemm,
  setNativeMatMulEnabled,
} from "../../runtime/kernels/native.js";
import { bmm, nativeBmm, transposeLast2 } from "../../runtime/nn/bmm.js";
import { Rng } from "../../runtime/rng.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Manifest } from "../../runtime/record/index.js";
import { checkResumeBackend } from "../../runner/resume.js";

await selectBackend("wasm");
const reason = nativeMatMulUnavailableReason();
const available = reason === undefined;
const inCi = process.env["CI"] === "true";

function randomValues(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniformIn(-1.5, 1.5));
}

/** Row-major `[S, R, C]` element (s, i, j), read as stored transposed (`[S, C, R]`) when `transposed`. */
const element = (x: Float32Array, [R, C]: [number, number], transposed: boolean, s: number, i: number, j: number) =>
  transposed ? x[(s * C + j) * R + i]! : x[(s * R + i) * C + j]!;

/** op(a)·op(b) in float64 per seed, and Σ|terms| per entry (the scale of float32 rounding). */
function float64Product(a: Float32Array, b: Float32Array, [S, M, K, N]: number[], ta: boolean, tb: boolean) {
  const value = new Float64Array(S! * M! * N!);
  const magnitude = new Float64Array(S! * M! * N!);
  for (let s = 0; s < S!; s++) {
    for (let i = 0; i < M!; i++) {
      for (let j = 0; j < N!; j++) {
        let sum = 0;
        let abs = 0;
        for (let k = 0; k < K!; k++) {
          const term = element(a, [M!, K!], ta, s, i, k) * element(b, [K!, N!], tb, s, k, j);
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

/** |got − exact| ≤ K·u·Σ|terms| + tiny, entry by entry (the standard bound for a float32 dot product). */
function expectWithinRounding(got: Float32Array, exact: { value: Float64Array; magnitude: Float64Array }, k: number) {
  const u = 2 ** -24;
  for (let i = 0; i < got.length; i++) {
    const bound = (k + 2) * u * exact.magnitude[i]! + 1e-30;
    if (!(Math.abs(got[i]! - exact.value[i]!) <= bound)) {
      throw new Error(`entry ${i}: ${got[i]} vs ${exact.value[i]} (bound ${bound})`);
    }
  }
}

/** The tensors of one case: a `[S,M,K]` (or `[S,K,M]`), b `[S,K,N]` (or `[S,N,K]`). */
function operands([S, M, K, N]: number[], ta: boolean, tb: boolean, rng: Rng) {
  const aShape: [number, number, number] = ta ? [S!, K!, M!] : [S!, M!, K!];
  const bShape: [number, number, number] = tb ? [S!, N!, K!] : [S!, K!, N!];
  const av = randomValues(S! * M! * K!, rng);
  const bv = randomValues(S! * K! * N!, rng);
  return { av, bv, a: tf.tensor3d(av, aShape), b: tf.tensor3d(bv, bShape) };
}

// [S, M, K, N]: odd sizes, one seed and many, vector sides (the shapes dync's SIMD kernels take on the wasm path),
// an inner dimension of 1, and the first layer of benchmark (a) at a few rows.
const SHAPES = [
  [1, 37, 29, 41],
  [3, 5, 300, 7],
  [7, 1, 33, 19],
  [5, 23, 17, 1],
  [4, 9, 1, 11],
  [2, 13, 784, 256],
  [64, 3, 5, 2],
];

describe.skipIf(!available && !inCi)(`native matrix products${available ? "" : ` (addon unavailable: ${reason})`}`, () => {
  beforeAll(() => setNativeMatMulEnabled(true));
  afterEach(() => setNativeMatMulEnabled(true));

  it("is built and serves the wasm backend (required under CI=true, where .ci/run installs OpenBLAS)", () => {
    expect(reason).toBeUndefined();
    expect(nativeMatMulActive()).toBe(true);
    const info = nativeMatMulInfo();
    expect(info.path).toBe("native");
    expect(info.library).toMatch(info.gemm === "onednn" ? /^oneDNN \d+\.\d+\.\d+ sgemm \/ / : /^OpenBLAS /);
    expect(info.threads).toBe(requestedBlasThreads());
    expect(info.revision).toBe(NATIVE_KERNELS_REVISION);
    expect(info.library!.endsWith(` / ${info.core}`)).toBe(true);
  });

  it("runs oneDNN's sgemm where the addon was built with it (required under CI=true, where .ci/run installs libdnnl-dev)", () => {
    if (inCi) expect(nativeMatMulInfo().gemm).toBe("onednn");
    expect(nativeMatMulInfo().gemm).toBe(existsSync("/usr/include/oneapi/dnnl/dnnl.h") ? "onednn" : "openblas");
  });

  for (const shape of SHAPES) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`op(a)·op(b) for [S,M,K,N] = ${JSON.stringify(shape)}, transposeA ${ta}, transposeB ${tb}`, () => {
        const rng = new Rng(shape.reduce((x, y) => x * 31 + y, ta ? 7 : 3) + (tb ? 1 : 0));
        const { av, bv, a, b } = operands(shape, ta, tb, rng);
        const got = nativeProduct(a, b, ta, tb)!;
        expect(got.shape).toEqual([shape[0], shape[1], shape[3]]);
        expectWithinRounding(got.dataSync() as Float32Array, float64Product(av, bv, shape, ta, tb), shape[2]!);
        tf.dispose([a, b, got]);
      });
    }
  }

  it("bmm gives the wasm path's product within float32 rounding", () => {
    const rng = new Rng(11);
    for (const shape of SHAPES) {
      const { a, b } = operands(shape, false, false, rng);
      const native = bmm(a, b);
      setNativeMatMulEnabled(false);
      const wasm = bmm(a, b);
      setNativeMatMulEnabled(true);
      const scale = Math.sqrt(shape[2]!) * 1.5 * 1.5; // |entries| ≲ √K·max|a|·max|b|
      const diff = tf.max(tf.abs(tf.sub(native, wasm))).dataSync()[0]!;
      expect(diff).toBeLessThanOrEqual(shape[2]! * 2 ** -23 * scale * 4);
      tf.dispose([a, b, native, wasm]);
    }
  });

  it("an empty inner dimension gives zeros, empty outputs stay empty", () => {
    const zeros = nativeProduct(tf.ones([2, 3, 0]) as tf.Tensor3D, tf.ones([2, 0, 4]) as tf.Tensor3D)!;
    expect(Array.from(zeros.dataSync())).toEqual(new Array(24).fill(0));
    const empty = nativeProduct(tf.ones([2, 0, 3]) as tf.Tensor3D, tf.ones([2, 3, 4]) as tf.Tensor3D)!;
    expect(empty.shape).toEqual([2, 0, 4]);
  });

  it("gradients and a Hessian-vector product of a dense net through it match the wasm path", () => {
    const rng = new Rng(5);
    const [S, B, D, H] = [3, 17, 6, 9];
    const x = tf.tensor3d(randomValues(S * B * D, rng), [S, B, D]);
    const w1 = tf.tensor3d(randomValues(S * D * H, rng), [S, D, H]);
    const w2 = tf.tensor3d(randomValues(S * H * 1, rng), [S, H, 1]);
    const v1 = tf.tensor3d(randomValues(S * D * H, rng), [S, D, H]);
    const v2 = tf.tensor3d(randomValues(S * H, rng), [S, H, 1]);
    const loss = (p1: tf.Tensor, p2: tf.Tensor) => tf.sum(tf.square(bmm(tf.sin(bmm(x, p1 as tf.Tensor3D)), p2 as tf.Tensor3D)));
    const gradients = () => tf.grads(loss)([w1, w2]);
    // H·v = ∇(∇L · v)
    const hvp = () => tf.grads((p1: tf.Tensor, p2: tf.Tensor) => {
      const [g1, g2] = tf.grads(loss)([p1, p2]);
      return tf.add(tf.sum(tf.mul(g1!, v1)), tf.sum(tf.mul(g2!, v2)));
    })([w1, w2]);
    const both = (f: () => tf.Tensor[]) => {
      const native = f().map((t) => t.dataSync() as Float32Array);
      setNativeMatMulEnabled(false);
      const wasm = f().map((t) => t.dataSync() as Float32Array);
      setNativeMatMulEnabled(true);
      return { native, wasm };
    };
    for (const f of [gradients, hvp]) {
      const { native, wasm } = both(f);
      native.forEach((values, i) => {
        const scale = Math.max(...wasm[i]!.map(Math.abs));
        values.forEach((value, j) => expect(Math.abs(value - wasm[i]![j]!)).toBeLessThanOrEqual(1e-5 * scale));
      });
    }
  });

  it("transposed operands as flags: gradients and second derivatives equal explicit transposes on the wasm path", () => {
    const rng = new Rng(17);
    const [S, M, K, N] = [2, 7, 5, 6];
    const weights = tf.tensor3d(randomValues(S * M * N, rng), [S, M, N]);
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const { a, b } = operands([S, M, K, N], ta, tb, rng);
      const va = tf.randomNormal(a.shape, 0, 1, "float32", 3) as tf.Tensor3D;
      const vb = tf.randomNormal(b.shape, 0, 1, "float32", 4) as tf.Tensor3D;
      // a smooth, non-quadratic function of the product, so the second derivatives are not trivial
      const lossNative = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(weights, tf.sin(nativeBmm(x as tf.Tensor3D, y as tf.Tensor3D, ta, tb))));
      const lossExplicit = (x: tf.Tensor, y: tf.Tensor) => {
        const opA = ta ? transposeLast2(x as tf.Tensor3D) : (x as tf.Tensor3D);
        const opB = tb ? transposeLast2(y as tf.Tensor3D) : (y as tf.Tensor3D);
        return tf.sum(tf.mul(weights, tf.sin(bmm(opA, opB))));
      };
      const derivatives = (loss: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => {
        const gradient = tf.grads(loss as (x: tf.Tensor, y: tf.Tensor) => tf.Scalar)([a, b]);
        const hvp = tf.grads((x: tf.Tensor, y: tf.Tensor) => {
          const [gx, gy] = tf.grads(loss as (x: tf.Tensor, y: tf.Tensor) => tf.Scalar)([x, y]);
          return tf.add(tf.sum(tf.mul(gx!, va)), tf.sum(tf.mul(gy!, vb)));
        })([a, b]);
        return [...gradient, ...hvp].map((t) => Array.from(t.dataSync()));
      };
      const native = derivatives(lossNative);
      setNativeMatMulEnabled(false);
      const explicit = derivatives(lossExplicit);
      setNativeMatMulEnabled(true);
      native.forEach((values, i) => values.forEach((value, j) => expect(value).toBeCloseTo(explicit[i]![j]!, 4)));
      tf.dispose([a, b, va, vb]);
    }
    weights.dispose();
  });

  it("a product whose output grows the wasm heap is written into the new heap", () => {
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    const before = backend.wasm.HEAPU8.buffer;
    // An output larger than the whole current heap: makeOutput must grow it, replacing the ArrayBuffer.
    const [M, K] = [1024, 3];
    const N = Math.ceil(before.byteLength / 4 / M) + 256;
    const rng = new Rng(9);
    const { av, bv, a, b } = operands([1, M, K, N], false, false, rng);
    const out = nativeProduct(a, b)!;
    expect(backend.wasm.HEAPU8.buffer).not.toBe(before);
    expect(backend.wasm.HEAPU8.buffer.byteLength).toBeGreaterThan(before.byteLength);
    const got = out.dataSync() as Float32Array;
    // spot checks: the corners and a sample of rows (a full float64 product would be 10^9 terms' work)
    for (const [i, j] of [[0, 0], [M - 1, N - 1], [0, N - 1], [M - 1, 0], [517, 1234 % N], [3, N - 2]] as const) {
      let exact = 0;
      for (let k = 0; k < K; k++) exact += av[i * K + k]! * bv[k * N + j]!;
      expect(got[i * N + j]).toBeCloseTo(exact, 5);
    }
    tf.dispose([a, b, out]);
  });

  it("leaks no tensors or heap bytes, in products or through gradients", () => {
    const rng = new Rng(13);
    const { a, b } = operands([4, 33, 21, 17], false, false, rng);
    const step = () => tf.tidy(() => tf.grads((p: tf.Tensor) => tf.sum(bmm(a, p as tf.Tensor3D)))([b]));
    tf.dispose(step()); // warm-up (kernel registration)
    const before = tf.memory();
    for (let i = 0; i < 5; i++) tf.dispose([...step(), nativeProduct(a, b)!]);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([a, b]);
  });

  it("with more OpenBLAS threads (DYNC_BLAS_THREADS) the products are the same within float32 rounding", async () => {
    const { createRequire } = await import("node:module");
    const { fileURLToPath } = await import("node:url");
    const addon = createRequire(import.meta.url)(fileURLToPath(new URL("../../dist/native/dync_blas.node", import.meta.url))) as {
      setThreads(n: number): void;
      threads(): number;
    };
    const shape = [2, 300, 200, 260]; // large enough for OpenBLAS to split the work between threads
    const { av, bv, a, b } = operands(shape, false, true, new Rng(23));
    addon.setThreads(2);
    try {
      expect(addon.threads()).toBe(2);
      expect(nativeMatMulInfo().threads).toBe(2);
      const got = nativeProduct(a, b, false, true)!;
      expectWithinRounding(got.dataSync() as Float32Array, float64Product(av, bv, shape, false, true), shape[2]!);
      got.dispose();
    } finally {
      addon.setThreads(requestedBlasThreads());
      tf.dispose([a, b]);
    }
  });

  it("the addon checks bounds and alignment (a wrong offset is an error, not a stray write)", async () => {
    const { createRequire } = await import("node:module");
    const { fileURLToPath } = await import("node:url");
    const addon = createRequire(import.meta.url)(fileURLToPath(new URL("../../dist/native/dync_blas.node", import.meta.url))) as {
      sgemm(...args: unknown[]): void;
    };
    const buffer = new ArrayBuffer(64);
    expect(() => addon.sgemm(buffer, 0, buffer, 0, buffer, 52, 1, 2, 2, 2, false, false)).toThrow(/do not fit/);
    expect(() => addon.sgemm(buffer, 2, buffer, 0, buffer, 32, 1, 2, 2, 2, false, false)).toThrow(/misaligned/);
    expect(() => addon.sgemm(new Float32Array(4), 0, buffer, 0, buffer, 32, 1, 1, 1, 1, false, false)).toThrow(/ArrayBuffer/);
    expect(() => addon.sgemm(buffer, -4, buffer, 0, buffer, 32, 1, 1, 1, 1, false, false)).toThrow(/integer >= 0/);
  });
});

describe("DYNC_BLAS_THREADS", () => {
  it("defaults to one thread and takes a whole number", () => {
    expect(requestedBlasThreads({})).toBe(1);
    expect(requestedBlasThreads({ DYNC_BLAS_THREADS: "4" })).toBe(4);
  });

  it("rejects anything else with RUN040, naming the value", () => {
    for (const text of ["0", "two", "1.5", "-1"]) {
      expect(() => requestedBlasThreads({ DYNC_BLAS_THREADS: text })).toThrow(DyncRuntimeError);
      expect(() => requestedBlasThreads({ DYNC_BLAS_THREADS: text })).toThrow(new RegExp(`DYNC_BLAS_THREADS="${text.replace(".", "\\.")}"`));
    }
  });
});

describe("resuming a run directory across matmul paths", () => {
  const manifestOn = (matmul: object | undefined) =>
    ({ backend: { name: "wasm", package: "@tensorflow/tfjs-backend-wasm", version: "4.22.0", simd: true, dyncKernels: true, ...(matmul ? { matmul } : {}) } }) as unknown as Manifest;
  const openblas = { name: "wasm", simd: true, dyncKernels: true, matmul: { path: "native", gemm: "openblas", threads: 1 } };
  const wasm = { name: "wasm", simd: true, dyncKernels: true, matmul: { path: "wasm", reason: "switched off by DYNC_NATIVE=0" } };

  it("is refused with RUN031 (the roundings would mix), naming the paths and how to resume", () => {
    expect(() => checkResumeBackend("d", manifestOn({ path: "wasm" }), openblas)).toThrow(DyncRuntimeError);
    expect(() => checkResumeBackend("d", manifestOn({ path: "wasm" }), openblas)).toThrow(/its matrix products ran on the wasm path, this process runs them on the native path/);
    expect(() => checkResumeBackend("d", manifestOn({ path: "native" }), wasm)).toThrow(/ran on the native path, this process runs them on the wasm path/);
    // directories written before oneDNN served name the native path "openblas"
    expect(() => checkResumeBackend("d", manifestOn({ path: "openblas" }), wasm)).toThrow(/ran on the native path, this process runs them on the wasm path/);
  });

  it("treats directories written before the path was recorded as wasm, and allows the same path", () => {
    expect(() => checkResumeBackend("d", manifestOn(undefined), openblas)).toThrow(/ran on the wasm path/);
    expect(() => checkResumeBackend("d", manifestOn(undefined), wasm)).not.toThrow();
    expect(() => checkResumeBackend("d", manifestOn({ path: "openblas", threads: 2 }), openblas)).not.toThrow();
  });

  it("refuses another revision of the native kernels (RUN031): the same program rounds differently on them", () => {
    const current = { ...openblas, matmul: { path: "native", gemm: "openblas", threads: 1, revision: NATIVE_KERNELS_REVISION } };
    expect(() => checkResumeBackend("d", manifestOn({ path: "openblas", threads: 1 }), current)).toThrow(
      new RegExp(`its native kernels are revision 1, this dync's are revision ${NATIVE_KERNELS_REVISION}`),
    );
    expect(() => checkResumeBackend("d", manifestOn({ path: "openblas", threads: 1, revision: NATIVE_KERNELS_REVISION }), current)).not.toThrow();
    // a directory written on the wasm path carries no revision and resumes on wasm as before
    expect(() => checkResumeBackend("d", manifestOn({ path: "wasm" }), wasm)).not.toThrow();
  });

  it("refuses another OpenBLAS core (RUN031), read from `library` in directories written before `core`, and names the OPENBLAS_CORETYPE that resumes", () => {
    const on = (core: string) => ({ ...openblas, matmul: { path: "native", gemm: "openblas", threads: 1, library: `OpenBLAS 0.3.21 DYNAMIC_ARCH / ${core}`, core } });
    const written = manifestOn({ path: "openblas", threads: 1, library: "OpenBLAS 0.3.21 DYNAMIC_ARCH / Haswell" });
    expect(() => checkResumeBackend("d", written, on("SkylakeX"))).toThrow(/ran on openblas's Haswell kernels, this process has its SkylakeX kernels/);
    expect(() => checkResumeBackend("d", written, on("SkylakeX"))).toThrow(DyncRuntimeError);
    const thrown = (() => {
      try {
        checkResumeBackend("d", written, on("SkylakeX"));
      } catch (error) {
        return error as DyncRuntimeError;
      }
      return undefined;
    })();
    expect(thrown?.hint).toBe("resume with OPENBLAS_CORETYPE=HASWELL");
    expect(() => checkResumeBackend("d", written, on("Haswell"))).not.toThrow();
    expect(() => checkResumeBackend("d", manifestOn({ path: "openblas", threads: 1, core: "SkylakeX" }), on("SkylakeX"))).not.toThrow();
  });

  it("refuses another library of the native path (RUN031): oneDNN and OpenBLAS sum in other orders; older directories ran on OpenBLAS", () => {
    const onednn = { ...openblas, matmul: { path: "native", gemm: "onednn", threads: 1, library: "oneDNN 2.6.3 sgemm / avx512_core_bf16", core: "avx512_core_bf16" } };
    const old = manifestOn({ path: "openblas", threads: 1, library: "OpenBLAS 0.3.21 DYNAMIC_ARCH / Haswell" });
    expect(() => checkResumeBackend("d", old, onednn)).toThrow(/its matrix products ran on openblas, this process runs them on onednn/);
    expect(() => checkResumeBackend("d", manifestOn(onednn.matmul), onednn)).not.toThrow();
    const avx2 = manifestOn({ ...onednn.matmul, library: "oneDNN 2.6.3 sgemm / avx2", core: "avx2" });
    expect(() => checkResumeBackend("d", avx2, onednn)).toThrow(/ran on onednn's avx2 kernels, this process has its avx512_core_bf16 kernels/);
  });

  it("takes DYNC_GEMM=onednn|openblas and refuses anything else with RUN040", () => {
    expect(requestedGemm({})).toBeUndefined();
    expect(requestedGemm({ DYNC_GEMM: "openblas" })).toBe("openblas");
    expect(requestedGemm({ DYNC_GEMM: "onednn" })).toBe("onednn");
    expect(() => requestedGemm({ DYNC_GEMM: "mkl" })).toThrow(/DYNC_GEMM="mkl" names no library/);
  });
});
