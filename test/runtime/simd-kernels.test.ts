/**
 * dync's SIMD kernels on the wasm backend (runtime/kernels): the committed module is the source assembled;
 * each kernel against float64 truth (Math.tanh, the logistic function in float64, exact sums and index
 * permutations), lane tails that never write past `n`, the registered gradients to second order against
 * closed forms, and the buffer-sharing Identity. The activation tests (nn-activations.test.ts) and the
 * Hessian tests run the same code through the layers on cpu and wasm.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { SIMD_WASM_MODULE_PATH, assembleSimdKernels, simdWasmModuleText } from "../../tools/assemble-kernels.js";
import { selectBackend } from "../../runtime/backend.js";
import { heapOffset, simdKernelExports, simdKernelsActive } from "../../runtime/kernels/wasm-kernels.js";
import { simdAdamUpdate, simdObserveLoss, simdSgdUpdate, simdSumRows, simdTanh, simdTranspose, simdVectorProduct } from "../../runtime/kernels/ops.js";

const f32 = Math.fround;
const sig64 = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Inputs that reach every branch: zeros, tiny, the 0.625 switch, saturation, the exp clamp, specials. */
function probeInputs(): Float32Array {
  const values = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 1e-3, 0.3, 0.6249, 0.625, 0.6251, -0.625, 1, 2, 5, 9, 9.1, 20];
  values.push(40, 87, 88, -87, -88, -100, 100, 1e4, -1e4);
  for (let i = -4000; i <= 4000; i++) values.push(i / 200); // every 0.005 in [−20, 20]
  for (let i = 0; i < 2000; i++) values.push(Math.sinh(((i * 7919) % 2000) / 100 - 10)); // spread over decades
  return Float32Array.from(values);
}

/**
 * Relative error with a floor, so values near 0 are judged absolutely at that floor; `scale[i]`, where
 * given, replaces |want[i]| (the size of the terms of a sum that has a root, e.g. SiLU′ near x = −1.28).
 */
function maxRelError(got: Float32Array, want: number[], floor: number, scale?: number[]): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const size = Math.max(scale?.[i] ?? Math.abs(want[i]!), floor);
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / size);
  }
  return worst;
}

describe("the committed SIMD module", () => {
  it("is runtime/kernels/simd-source.ts assembled (run `npm run kernels` after changing the source)", async () => {
    const bytes = await assembleSimdKernels();
    expect(readFileSync(SIMD_WASM_MODULE_PATH, "utf8")).toBe(simdWasmModuleText(bytes));
  });
});

describe("SIMD kernels on wasm", () => {
  beforeAll(async () => {
    await selectBackend("wasm");
  });

  const unary = (fn: "tanh" | "sigmoid" | "silu", x: Float32Array) => {
    const input = tf.tensor1d(x);
    const out = tf.zeros([x.length]);
    simdKernelExports()[fn](heapOffset(input), heapOffset(out), x.length);
    const values = out.dataSync() as Float32Array;
    tf.dispose([input, out]);
    return values;
  };

  it("tanh: within 3e-7 relative of float64 Math.tanh everywhere (tiny inputs exactly), odd, ±1 beyond 9", () => {
    const x = probeInputs();
    const got = unary("tanh", x);
    expect(maxRelError(got, Array.from(x, Math.tanh), 1e-38)).toBeLessThan(3e-7);
    for (let i = 0; i < x.length; i++) {
      if (Math.abs(x[i]!) < 1e-6) expect(got[i]).toBe(x[i]); // tanh x = x to float32 precision
      if (Math.abs(x[i]!) >= 9.1) expect(Math.abs(got[i]!)).toBe(1);
    }
    expect(Object.is(unary("tanh", Float32Array.of(-0))[0], -0)).toBe(true);
    const special = unary("tanh", Float32Array.of(Infinity, -Infinity, NaN));
    expect([special[0], special[1]]).toEqual([1, -1]);
    expect(special[2]).toBeNaN();
  });

  it("sigmoid and SiLU: within 3e-7 relative of float64 above the exp clamp (x ≥ −87), NaN stays NaN", () => {
    const x = probeInputs().filter((v) => v >= -87);
    expect(maxRelError(unary("sigmoid", x), Array.from(x, sig64), 1e-38)).toBeLessThan(3e-7);
    expect(maxRelError(unary("silu", x), Array.from(x, (v) => v * sig64(v)), 1e-38)).toBeLessThan(3e-7);
    expect(unary("sigmoid", Float32Array.of(NaN))[0]).toBeNaN();
    expect(Array.from(unary("sigmoid", Float32Array.of(Infinity, -Infinity)))).toEqual([1, expect.any(Number)]);
    expect(unary("sigmoid", Float32Array.of(-Infinity))[0]).toBeLessThan(2e-38); // the documented clamp
  });

  it("derivative kernels: dy·f′(x) within 1e-6 relative of float64 closed forms; relu's is dy·[x > 0], NaN kept", () => {
    const x = probeInputs().filter((v) => v >= -80 && v <= 80);
    const dy = Float32Array.from(x, (_, i) => f32(Math.cos(i) * 3));
    const run = (fn: "tanh_grad" | "sigmoid_grad" | "silu_grad" | "relu_grad", xs: Float32Array, dys: Float32Array) => {
      const [a, b, out] = [tf.tensor1d(xs), tf.tensor1d(dys), tf.zeros([xs.length])];
      simdKernelExports()[fn](heapOffset(a), heapOffset(b), heapOffset(out), xs.length);
      const values = out.dataSync() as Float32Array;
      tf.dispose([a, b, out]);
      return values;
    };
    const sech2 = (v: number) => 1 / Math.cosh(v) ** 2;
    const dsig = (v: number) => Math.exp(-Math.abs(v)) / (1 + Math.exp(-Math.abs(v))) ** 2; // no cancellation
    const want = (f: (v: number) => number) => Array.from(x, (v, i) => dy[i]! * f(v));
    expect(maxRelError(run("tanh_grad", x, dy), want(sech2), 1e-30)).toBeLessThan(1e-6);
    expect(maxRelError(run("sigmoid_grad", x, dy), want(dsig), 1e-30)).toBeLessThan(1e-6);
    const siluTerms = Array.from(x, (v, i) => Math.abs(dy[i]!) * (sig64(v) + Math.abs(v) * dsig(v)));
    expect(maxRelError(run("silu_grad", x, dy), want((v) => sig64(v) + v * dsig(v)), 1e-30, siluTerms)).toBeLessThan(1e-6);
    const relu = run("relu_grad", Float32Array.of(-1, 0, -0, 2, NaN, 1e-30), Float32Array.of(5, 5, 5, 5, 5, 5));
    expect(Array.from(relu.subarray(0, 4))).toEqual([0, 0, 0, 5]);
    expect(relu[4]).toBeNaN();
    expect(relu[5]).toBe(5);
  });

  it("1–7 elements (the lane-by-lane tail) are computed and nothing past n is written", () => {
    for (let n = 1; n <= 7; n++) {
      const x = tf.tensor1d(Array.from({ length: 12 }, (_, i) => i / 4 - 1));
      const out = tf.fill([12], 42);
      simdKernelExports().tanh(heapOffset(x), heapOffset(out), n);
      const got = out.dataSync();
      for (let i = 0; i < 12; i++) {
        if (i < n) expect(got[i]).toBeCloseTo(Math.tanh(i / 4 - 1), 6);
        else expect(got[i]).toBe(42);
      }
      tf.dispose([x, out]);
    }
  });

  it("sum over the middle axis equals the float64 sum (to float32 accumulation) for awkward shapes", () => {
    for (const shape of [[1, 1, 1], [2, 3, 5], [3, 17, 4], [1, 4096, 7], [4, 1, 9], [2, 0, 3]] as [number, number, number][]) {
      const x = tf.randomNormal(shape, 0, 1, "float32", 7) as tf.Tensor3D;
      const values = x.dataSync();
      const got = simdSumRows(x)!;
      expect(got.shape).toEqual([shape[0], shape[2]]);
      const sums = got.dataSync();
      for (let s = 0; s < shape[0]; s++) {
        for (let c = 0; c < shape[2]; c++) {
          let exact = 0;
          for (let r = 0; r < shape[1]; r++) exact += values[(s * shape[1] + r) * shape[2] + c]!;
          expect(Math.abs(sums[s * shape[2] + c]! - exact)).toBeLessThanOrEqual(1e-6 * shape[1] * 4);
        }
      }
      tf.dispose([x, got]);
    }
  });

  it("vector products [S,1,K]×[S,K,N] and [S,M,K]×[S,K,1] equal float64 sums (K with and without a tail)", () => {
    const cases: [[number, number, number], [number, number, number]][] = [
      [[3, 1, 7], [3, 7, 5]],
      [[2, 1, 256], [2, 256, 50]],
      [[3, 9, 6], [3, 6, 1]],
      [[2, 256, 50], [2, 50, 1]],
      [[2, 1, 5], [2, 5, 1]],
    ];
    for (const [aShape, bShape] of cases) {
      const a = tf.randomNormal(aShape, 0, 1, "float32", 5) as tf.Tensor3D;
      const b = tf.randomNormal(bShape, 0, 1, "float32", 6) as tf.Tensor3D;
      const got = simdVectorProduct(a, b)!;
      const [S, M, K] = aShape as [number, number, number];
      const N = bShape[2]!;
      expect(got.shape).toEqual([S, M, N]);
      const [av, bv, gv] = [a.dataSync(), b.dataSync(), got.dataSync()];
      for (let s = 0; s < S; s++) {
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let exact = 0;
            let size = 0;
            for (let k = 0; k < K; k++) {
              const term = av[(s * M + m) * K + k]! * bv[(s * K + k) * N + n]!;
              exact += term;
              size += Math.abs(term);
            }
            expect(Math.abs(gv[(s * M + m) * N + n]! - exact)).toBeLessThanOrEqual(2e-7 * K * size + 1e-30);
          }
        }
      }
      tf.dispose([a, b, got]);
    }
    const square = tf.ones([1, 3, 3]) as tf.Tensor3D;
    expect(simdVectorProduct(square, square)).toBeUndefined(); // neither side a vector: tf.matMul's job
  });

  it("transpose of the last two axes moves every element exactly (tile edges included)", () => {
    for (const shape of [[1, 2, 3], [2, 17, 33], [3, 16, 16], [1, 300, 5]] as [number, number, number][]) {
      const x = tf.randomNormal(shape, 0, 1, "float32", 3) as tf.Tensor3D;
      const got = simdTranspose(x)!;
      expect(got.shape).toEqual([shape[0], shape[2], shape[1]]);
      expect(Array.from(got.dataSync())).toEqual(Array.from(tf.transpose(x, [0, 2, 1]).dataSync()));
      tf.dispose([x, got]);
    }
  });

  it("gradients: tanh′ and tanh″ through nested tf.grad match the closed forms; sum and transpose adjoints", () => {
    const xs = [-2.5, -0.7, -0.1, 0, 0.4, 0.62, 0.63, 3];
    const x = tf.tensor1d(xs);
    const first = tf.grad((t: tf.Tensor) => tf.sum(simdTanh(t)!))(x).dataSync();
    const second = tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(simdTanh(u)!))(t)))(x).dataSync();
    xs.forEach((v, i) => {
      const t = Math.tanh(v);
      expect(first[i]).toBeCloseTo(1 - t * t, 6);
      expect(second[i]).toBeCloseTo(-2 * t * (1 - t * t), 5);
    });
    const m = tf.randomNormal([2, 5, 3], 0, 1, "float32", 1);
    const w = tf.randomNormal([2, 3], 0, 1, "float32", 2);
    const dSum = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(simdSumRows(t as tf.Tensor3D)!, w)))(m);
    expect(Array.from(dSum.dataSync())).toEqual(Array.from(tf.broadcastTo(tf.reshape(w, [2, 1, 3]), [2, 5, 3]).dataSync()));
    const v = tf.randomNormal([2, 3, 5], 0, 1, "float32", 4);
    const dT = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(simdTranspose(t as tf.Tensor3D)!, v)))(m);
    expect(Array.from(dT.dataSync())).toEqual(Array.from(tf.transpose(v, [0, 2, 1]).dataSync()));
  });

  it("SGD and Adam updates are bit-identical to the tfjs compositions of runtime/optim.ts (odd sizes, three steps)", () => {
    const theta0 = tf.randomNormal([3, 7, 5], 0, 1, "float32", 8);
    const g = tf.randomNormal([3, 7, 5], 0, 1, "float32", 9);
    const lr = 0.037;
    const sgd = simdSgdUpdate(theta0, g, lr)!;
    expect(Array.from(sgd.dataSync())).toEqual(Array.from(tf.sub(theta0, tf.mul(g, lr)).dataSync()));
    const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
    let [theta, m, v] = [theta0, tf.zerosLike(theta0), tf.zerosLike(theta0)];
    let [thetaRef, mRef, vRef] = [theta0, m, v];
    for (let t = 1; t <= 3; t++) {
      const grad = tf.randomNormal([3, 7, 5], 0, 1, "float32", 10 + t);
      const step = lr / (1 - beta1 ** t);
      const c2 = Math.sqrt(1 - beta2 ** t);
      [theta, m, v] = simdAdamUpdate(theta, grad, m, v, {
        beta1,
        oneMinusBeta1: 1 - beta1,
        beta2,
        oneMinusBeta2: 1 - beta2,
        c2,
        eps,
        step,
      })!;
      mRef = tf.add(tf.mul(mRef, beta1), tf.mul(grad, 1 - beta1));
      vRef = tf.add(tf.mul(vRef, beta2), tf.mul(tf.square(grad), 1 - beta2));
      thetaRef = tf.sub(thetaRef, tf.mul(tf.div(mRef, tf.add(tf.div(tf.sqrt(vRef), c2), eps)), step));
    }
    expect(Array.from(m.dataSync())).toEqual(Array.from(mRef.dataSync()));
    expect(Array.from(v.dataSync())).toEqual(Array.from(vRef.dataSync()));
    expect(Array.from(theta.dataSync())).toEqual(Array.from(thetaRef.dataSync()));
  });

  it("the divergence fold: a live seed whose loss turns non-finite dies at this step; dead seeds keep their step", () => {
    const loss = tf.tensor1d([1, NaN, Infinity, 2, -Infinity]);
    const alive = tf.tensor1d([true, true, false, true, true], "bool");
    const firstBad = tf.tensor1d([-1, -1, 3, -1, -1], "int32");
    const [nextAlive, nextFirstBad] = simdObserveLoss(loss, alive, firstBad, 7)!;
    expect(nextAlive.dtype).toBe("bool");
    expect(Array.from(nextAlive.dataSync())).toEqual([1, 0, 0, 1, 0]);
    expect(Array.from(nextFirstBad.dataSync())).toEqual([-1, 7, 3, -1, 7]);
  });

  it("Identity shares the buffer: a clone keeps its values after the original is disposed, and nothing leaks", () => {
    const before = tf.memory().numBytes;
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });

  it("Cast to the same dtype shares the buffer too; other casts still convert (float32 → int32 truncates)", () => {
    const before = tf.memory().numBytes;
    const a = tf.tensor1d([1.7, -1.7, 2.5]);
    const same = tf.cast(a, "float32");
    const asInt = tf.cast(a, "int32");
    a.dispose();
    expect(Array.from(same.dataSync())).toEqual(Array.from(Float32Array.from([1.7, -1.7, 2.5])));
    expect([asInt.dtype, Array.from(asInt.dataSync())]).toEqual(["int32", [1, -1, 2]]);
    const back = tf.cast(asInt, "float32");
    expect(Array.from(back.dataSync())).toEqual([1, -1, 2]);
    tf.dispose([same, asInt, back]);
    expect(tf.memory().numBytes).toBe(before);
  });
});

describe("where the kernels do not serve", () => {
  it("on the cpu backend the ops decline (callers use plain tfjs)", async () => {
    await selectBackend("cpu");
    expect(simdKernelsActive()).toBe(false);
    expect(simdTanh(tf.scalar(1))).toBeUndefined();
  });

  it("DYNC_SIMD_KERNELS=0 switches them off on wasm", () => {
    const script = `
      import { selectBackend } from "./dist/runtime/backend.js";
      import { simdKernelsActive, simdKernelsUnavailableReason } from "./dist/runtime/kernels/wasm-kernels.js";
      await selectBackend("wasm");
      console.log(JSON.stringify([simdKernelsActive(), simdKernelsUnavailableReason()]));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, DYNC_SIMD_KERNELS: "0" },
      encoding: "utf8",
    });
    expect(JSON.parse(child.stdout.trim().split("\n").pop()!)).toEqual([false, "switched off by DYNC_SIMD_KERNELS=0"]);
  });
});
