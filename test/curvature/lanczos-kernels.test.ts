/**
 * The steppers' reorthogonalisation strategies (numerics/lanczos.ts `VectorKernels`): the JS one, the native one
 * (native/dync_lanczos.c through runtime/kernels/native-lanczos.ts) and the wasm SIMD one (reorth-source.ts through
 * wasm-lanczos.ts). Each against modified Gram–Schmidt twice written out here (the float64 reference) and against
 * the JS one, over lengths with and without a tail past the kernels' 8 lanes and bases of 0, 1, 3–5 (blocks of four
 * and a remainder) and more vectors (the wasm memory growing several times); native and wasm against each other bit
 * for bit; Lanczos and power iteration with each on a diagonal operator with known top eigenvalues; which strategy
 * serves (the products' rule, then dync's SIMD kernels'); the addon's argument checks; the committed wasm bytes.
 *
 * The native part needs the addon (`npm run native`: gcc). Without it it is skipped with the reason, except under
 * CI=true, where a missing addon is a failure.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { jsVectorKernels, Lanczos, PowerIteration, type VectorKernels } from "../../numerics/lanczos.js";
import { selectBackend } from "../../runtime/backend.js";
import { lanczosKernels, lanczosKernelsInfo } from "../../runtime/kernels/lanczos-kernels.js";
import { nativeVectorKernels, setNativeLanczosEnabled } from "../../runtime/kernels/native-lanczos.js";
import { nativeMatMulUnavailableReason, setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { simdKernelsActive } from "../../runtime/kernels/wasm-kernels.js";
import { wasmVectorKernels, wasmVectorKernelsUnavailableReason } from "../../runtime/kernels/wasm-lanczos.js";
import { Rng } from "../../runtime/rng.js";
import { assembleKernels, kernelsModuleText, REORTH_KERNELS } from "../../tools/assemble-kernels.js";

await selectBackend("wasm");
const native = nativeVectorKernels();
const reason = native === undefined ? (nativeMatMulUnavailableReason() ?? "dist/native/dync_lanczos.node not built or not loadable") : undefined;
const inCi = process.env["CI"] === "true";
const wasm = wasmVectorKernels();

afterEach(() => setNativeMatMulEnabled(true));

const dotOf = (x: Float64Array, y: Float64Array) => x.reduce((s, xi, i) => s + xi * y[i]!, 0);
const normOf = (x: Float64Array) => Math.sqrt(dotOf(x, x));

/** Modified Gram–Schmidt twice, one vector at a time: the reference. */
function mgs2(w: Float64Array, vectors: readonly Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (const v of vectors) {
      const c = dotOf(v, w);
      for (let i = 0; i < w.length; i++) w[i]! -= c * v[i]!;
    }
  }
}

/** k orthonormal random vectors of length n (k ≤ n). */
function orthonormal(rng: Rng, n: number, k: number): Float64Array[] {
  const vectors: Float64Array[] = [];
  while (vectors.length < k) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    mgs2(v, vectors);
    const size = normOf(v);
    vectors.push(v.map((x) => x / size));
  }
  return vectors;
}

/** A Lanczos-like w: mostly inside the span (components up to 10·k), plus a small new direction. */
function mostlyInside(rng: Rng, vectors: readonly Float64Array[], n: number): Float64Array {
  const w = Float64Array.from({ length: n }, () => 1e-3 * rng.normal());
  vectors.forEach((v, j) => v.forEach((x, i) => (w[i]! += (j + 1) * 10 * x)));
  return w;
}

function orthogonalized(kernels: VectorKernels, w: Float64Array, vectors: readonly Float64Array[]): Float64Array {
  const basis = kernels.basis(w.length);
  vectors.forEach((v) => basis.push(v));
  const out = Float64Array.from(w);
  basis.orthogonalizeTwice(out);
  return out;
}

/** ‖Qᵀ·out‖ at working precision: ≤ 1e-14·‖out‖ (where out is not all rounding: k < n) and ≤ 1e-15·‖w‖. */
function expectOrthogonal(out: Float64Array, vectors: readonly Float64Array[], w: Float64Array): void {
  const projection = Math.sqrt(vectors.reduce((s, v) => s + dotOf(v, out) ** 2, 0));
  expect(projection).toBeLessThanOrEqual(1e-15 * normOf(w));
  if (vectors.length < w.length) expect(projection).toBeLessThanOrEqual(1e-14 * normOf(out));
}

const gap = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));

/** A diagonal operator with top eigenvalues 10, 9, 8, 7, 6 and the rest spread over [0, 1]: A·v and its spectrum. */
function diagonal(n: number): { apply: (v: Float64Array) => Float64Array; top: number[] } {
  const top = [10, 9, 8, 7, 6];
  const d = Float64Array.from({ length: n }, (_, i) => (i < top.length ? top[i]! : (i - top.length) / (n - top.length)));
  return { apply: (v) => v.map((x, i) => d[i]! * x), top };
}

/** The top 5 Ritz values after `steps` products, each checked to come with the unit vector of its axis (±e_i). */
function lanczosTop(kernels: VectorKernels, n: number, steps: number): number[] {
  const { apply } = diagonal(n);
  const rng = new Rng(5);
  const run = new Lanczos(n, Float64Array.from({ length: n }, () => rng.normal()), kernels);
  for (let j = 0; j < steps && run.canStep; j++) run.accept(apply(run.vector()));
  const pairs = run.ritz(5, true);
  pairs.forEach((p, i) => expect(Math.abs(Math.abs(p.vector[i]!) - 1)).toBeLessThan(1e-10));
  return pairs.map((p) => p.value);
}

function powerTop(kernels: VectorKernels, n: number): number[] {
  const { apply } = diagonal(n);
  const rng = new Rng(6);
  const power = new PowerIteration(n, 3, 3000, 1e-9, () => Float64Array.from({ length: n }, () => rng.normal()), true, kernels);
  while (!power.done) power.accept(apply(power.vector()));
  return power.found.map((p) => p.value).sort((x, y) => y - x);
}

describe("the JS strategy", () => {
  it("agrees with modified Gram–Schmidt twice and leaves w orthogonal to the basis, for every length and basis size", () => {
    const rng = new Rng(31);
    for (const n of [1, 7, 8, 9, 17, 2003]) {
      for (const k of [0, 1, 3, 4, 5, 9].filter((k) => k <= n)) {
        const vectors = orthonormal(rng, n, k);
        const w = mostlyInside(rng, vectors, n);
        const reference = Float64Array.from(w);
        mgs2(reference, vectors);
        const out = orthogonalized(jsVectorKernels, w, vectors);
        expect(gap(out, reference)).toBeLessThanOrEqual(1e-14 * normOf(w));
        expectOrthogonal(out, vectors, w);
      }
    }
  });

  it("Lanczos and power iteration find the diagonal operator's top eigenvalues", () => {
    lanczosTop(jsVectorKernels, 3000, 60).forEach((value, i) => expect(Math.abs(value / diagonal(3000).top[i]! - 1)).toBeLessThan(1e-12));
    powerTop(jsVectorKernels, 300).forEach((value, i) => expect(Math.abs(value / diagonal(300).top[i]! - 1)).toBeLessThan(1e-9));
  });
});

describe("the committed wasm module", () => {
  it("is runtime/kernels/reorth-source.ts assembled (run `npm run kernels` after changing the source)", async () => {
    expect(readFileSync(REORTH_KERNELS.path, "utf8")).toBe(kernelsModuleText(REORTH_KERNELS, await assembleKernels(REORTH_KERNELS)));
  });
});

/** What every other strategy must do as the JS one does. */
function strategyTests(kernels: () => VectorKernels): void {
  it("agrees with the JS strategy to rounding and with the reference, orthogonal to working precision, for every length and basis size", () => {
    const rng = new Rng(32);
    for (const n of [1, 2, 7, 8, 9, 15, 16, 17, 2003, 40801]) {
      for (const k of [0, 1, 3, 4, 5, 8, 9, 13].filter((k) => k <= n && (n < 40801 || k === 13))) {
        const vectors = orthonormal(rng, n, k);
        const w = mostlyInside(rng, vectors, n);
        const reference = Float64Array.from(w);
        mgs2(reference, vectors);
        const js = orthogonalized(jsVectorKernels, w, vectors);
        const out = orthogonalized(kernels(), w, vectors);
        // Both remove components up to ~10⁴ times the remainder: they differ by rounding of those.
        expect(gap(out, js)).toBeLessThanOrEqual(1e-15 * normOf(w));
        expect(gap(out, reference)).toBeLessThanOrEqual(1e-14 * normOf(w));
        expectOrthogonal(out, vectors, w);
      }
    }
  });

  it("accumulates Ritz vectors as the JS strategy does, bit for bit, for every length and number of coefficients", () => {
    const rng = new Rng(34);
    for (const n of [1, 7, 9, 2003]) {
      for (const m of [0, 1, 3, 4, 5, 9].filter((m) => m <= n)) {
        const vectors = orthonormal(rng, n, m);
        for (const count of new Set([0, Math.max(0, m - 1), m])) {
          const coefficients = Float64Array.from({ length: count }, () => rng.normal());
          const start = Float64Array.from({ length: n }, () => rng.normal());
          const [mine, js] = [kernels(), jsVectorKernels].map((k) => {
            const basis = k.basis(n);
            vectors.forEach((v) => basis.push(v));
            const out = Float64Array.from(start);
            basis.accumulate(coefficients, out);
            return out;
          });
          expect(mine).toEqual(js);
          // and it is start + Σ c_b·v_b
          const expected = start.map((x, i) => x + coefficients.reduce((s, c, b) => s + c * vectors[b]![i]!, 0));
          expect(gap(mine!, expected)).toBeLessThanOrEqual(1e-14 * (normOf(start) + count));
        }
      }
    }
  });

  it("gives back each vector as pushed, also after many pushes (the wasm memory grown several times)", () => {
    const rng = new Rng(36);
    const vectors = Array.from({ length: 13 }, () => Float64Array.from({ length: 40801 }, () => rng.normal()));
    const basis = kernels().basis(40801);
    vectors.forEach((v) => basis.push(v));
    vectors.forEach((v, b) => expect(basis.vector(b)).toEqual(v));
  });

  it("takes empty arrays (no vectors, no coefficients, length 0)", () => {
    const basis = kernels().basis(0);
    const w = new Float64Array(0);
    basis.orthogonalizeTwice(w);
    basis.push(new Float64Array(0));
    basis.orthogonalizeTwice(w);
    basis.accumulate(new Float64Array(0), w);
    basis.accumulate([1], w);
    expect(w.length).toBe(0);
  });

  it("orthogonalises exactly like the JS strategy where no dot product needs rounding (integer data)", () => {
    // Unit vectors along axes with integer w: every product and sum is exact, so both strategies give w with
    // those coordinates zeroed, whatever the order of the sums.
    const n = 21;
    const axes = [0, 5, 8, 9, 20].map((a) => Float64Array.from({ length: n }, (_, i) => (i === a ? 1 : 0)));
    const w = Float64Array.from({ length: n }, (_, i) => i - 7);
    const out = orthogonalized(kernels(), w, axes);
    expect(Array.from(out)).toEqual(Array.from(w, (x, i) => ([0, 5, 8, 9, 20].includes(i) ? 0 : x)));
    expect(Array.from(out)).toEqual(Array.from(orthogonalized(jsVectorKernels, w, axes)));
  });

  it("Lanczos and power iteration find the diagonal operator's top eigenvalues, as with the JS strategy", () => {
    const top = diagonal(3000).top;
    const found = lanczosTop(kernels(), 3000, 60);
    const js = lanczosTop(jsVectorKernels, 3000, 60);
    found.forEach((value, i) => {
      expect(Math.abs(value / top[i]! - 1)).toBeLessThan(1e-12);
      expect(Math.abs(value / js[i]! - 1)).toBeLessThan(1e-12);
    });
    powerTop(kernels(), 300).forEach((value, i) => expect(Math.abs(value / diagonal(300).top[i]! - 1)).toBeLessThan(1e-9));
  });
}

describe.skipIf(wasm === undefined && !inCi)(`the wasm SIMD strategy${wasm === undefined ? ` (unavailable: ${wasmVectorKernelsUnavailableReason()})` : ""}`, () => {
  strategyTests(() => wasm!);

  it("serves where dync's SIMD kernels do and the native path does not (DYNC_SIMD_KERNELS=0: the JS strategy)", () => {
    setNativeMatMulEnabled(false);
    expect(simdKernelsActive()).toBe(process.env["DYNC_SIMD_KERNELS"] !== "0");
    expect(lanczosKernels()).toBe(simdKernelsActive() ? wasm : jsVectorKernels);
    expect(lanczosKernelsInfo()).toEqual(simdKernelsActive() ? { path: "wasm" } : { path: "js", reason: "wasm: switched off by DYNC_SIMD_KERNELS=0" });
  });

  it("past dim vectors (no longer orthonormal) carries on with the JS loops, their bits", () => {
    const rng = new Rng(35);
    // 9 doubles: 8 lanes and a tail, so the wasm kernels would sum in another order than the JS loops
    const vectors = Array.from({ length: 12 }, () => Float64Array.from({ length: 9 }, () => rng.normal()));
    const w = Float64Array.from({ length: 9 }, () => rng.normal());
    expect(orthogonalized(wasm!, w, vectors)).toEqual(orthogonalized(jsVectorKernels, w, vectors));
    const [mine, js] = [wasm!, jsVectorKernels].map((k) => {
      const basis = k.basis(9);
      vectors.forEach((v) => basis.push(v));
      const out = Float64Array.from(w);
      basis.accumulate(Array.from({ length: 12 }, (_, b) => b - 5.5), out);
      return out;
    });
    expect(mine).toEqual(js);
  });

  it("refuses a vector or w of another length (RangeError)", () => {
    expect(() => wasm!.basis(4).push(new Float64Array(5))).toThrow(RangeError);
    expect(() => wasm!.basis(4).orthogonalizeTwice(new Float64Array(3))).toThrow(RangeError);
  });
});

describe.skipIf(native === undefined && !inCi)(`the native strategy${reason === undefined ? "" : ` (unavailable: ${reason})`}`, () => {
  it("serves in CI", () => {
    expect(native, reason).toBeDefined();
  });

  strategyTests(() => native!);

  it("rounds as the wasm strategy, bit for bit", () => {
    const rng = new Rng(33);
    for (const [n, k] of [[9, 5], [2003, 13], [40801, 6]] as const) {
      const vectors = orthonormal(rng, n, k);
      const w = mostlyInside(rng, vectors, n);
      expect(orthogonalized(native!, w, vectors)).toEqual(orthogonalized(wasm!, w, vectors));
    }
  });

  it("serves where the native matrix products do: switched off with them, the steppers get another strategy", () => {
    expect(lanczosKernels()).toBe(native);
    setNativeMatMulEnabled(false);
    expect(nativeVectorKernels()).toBeUndefined();
    expect(lanczosKernels()).not.toBe(native);
  });

  it("the manifest's backend.reorth says which served: native; the wasm kernels (and why) for a build with the native products but without the addon; wasm without the native products", () => {
    expect(lanczosKernelsInfo()).toEqual({ path: "native" });
    setNativeLanczosEnabled(false);
    try {
      expect(lanczosKernels()).toBe(simdKernelsActive() ? wasm : jsVectorKernels);
      expect(lanczosKernelsInfo()).toEqual(simdKernelsActive() ? { path: "wasm", reason: "native: switched off in this process" } : { path: "js", reason: expect.stringMatching(/^native: switched off in this process; wasm: /) });
    } finally {
      setNativeLanczosEnabled(true);
    }
    setNativeMatMulEnabled(false);
    expect(lanczosKernelsInfo()).toEqual(simdKernelsActive() ? { path: "wasm" } : { path: "js", reason: expect.stringMatching(/^wasm: /) });
  });

  it("on a vector set, Lanczos and power iteration give the same eigenpairs with native and wasm, bit for bit, and the JS loops differ from them at rounding level", () => {
    // A symmetric operator with a spread spectrum and no axis-aligned eigenvectors: diag(d) + u·uᵀ − w·wᵀ.
    const n = 2003;
    const rng = new Rng(41);
    const d = Float64Array.from({ length: n }, () => rng.normal());
    const [u, w] = [0, 1].map(() => Float64Array.from({ length: n }, () => rng.normal() / 8));
    const apply = (v: Float64Array) => {
      const [uv, wv] = [dotOf(u!, v), dotOf(w!, v)];
      return v.map((x, i) => d[i]! * x + u![i]! * uv - w![i]! * wv);
    };
    const start = Float64Array.from({ length: n }, () => rng.normal());
    const lanczos = (kernels: VectorKernels) => {
      const run = new Lanczos(n, Float64Array.from(start), kernels);
      for (let j = 0; j < 40 && run.canStep; j++) run.accept(apply(run.vector()));
      return run.ritz(3, true);
    };
    const power = (kernels: VectorKernels) => {
      const draw = new Rng(42);
      const iteration = new PowerIteration(n, 2, 60, 0, () => Float64Array.from({ length: n }, () => draw.normal()), true, kernels);
      while (!iteration.done) iteration.accept(apply(iteration.vector()));
      return iteration.found;
    };
    const [onNative, onWasm, onJs] = [native!, wasm!, jsVectorKernels].map(lanczos);
    expect(onNative).toEqual(onWasm);
    expect(power(native!)).toEqual(power(wasm!));
    // The JS loops sum in another order: not the same bits, the same eigenvalues to ~1e-13 relative.
    expect(onJs.map((p) => p.value)).not.toEqual(onNative!.map((p) => p.value));
    onJs.forEach((p, i) => expect(Math.abs(p.value / onNative![i]!.value - 1)).toBeLessThan(1e-12));
  });

  it("refuses vectors of another length, sharing w's memory, or not Float64Arrays (TypeError, no crash)", () => {
    const basis = native!.basis(4);
    basis.push(new Float64Array(5));
    expect(() => basis.orthogonalizeTwice(new Float64Array(4))).toThrow(/vectors\[0\] must be a Float64Array of length 4/);
    const buffer = new Float64Array(8);
    const shared = native!.basis(4);
    shared.push(buffer.subarray(2, 6));
    expect(() => shared.orthogonalizeTwice(buffer.subarray(0, 4))).toThrow(TypeError);
    const wrongType = native!.basis(4);
    wrongType.push(new Float32Array(4) as unknown as Float64Array);
    expect(() => wrongType.orthogonalizeTwice(new Float64Array(4))).toThrow(TypeError);
    expect(() => native!.basis(4).orthogonalizeTwice(new Float32Array(4) as unknown as Float64Array)).toThrow(/w must be a Float64Array/);
  });
});
