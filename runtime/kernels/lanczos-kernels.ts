/**
 * Which reorthogonalisation serves Lanczos and power iteration (numerics/lanczos.ts `VectorKernels`), by the rules
 * of the products and dync's SIMD kernels, so a run's manifest says which served (`backend.reorth`):
 * `backend.matmul.path` "native" → native/dync_lanczos.c (native-lanczos.ts; where built — a build without it falls
 * through to the next); else, where dync's SIMD kernels serve the wasm backend (`backend.dyncKernels`; not
 * `DYNC_SIMD_KERNELS=0`) → the wasm SIMD kernels (wasm-lanczos.ts); else the JS loops. The first two round alike,
 * bit for bit (test/curvature/lanczos-kernels.test.ts); the JS loops sum each dot product in one running sum, so
 * eigenvalues differ from theirs at rounding level, and a Lanczos stop decided on a residual near `tol` can then
 * take another step: `--resume` refuses to mix them (runner/resume.ts).
 */
import { jsVectorKernels, type VectorKernels } from "../../numerics/lanczos.js";
import { nativeVectorKernels, nativeVectorKernelsUnavailableReason } from "./native-lanczos.js";
import { simdKernelsActive, simdKernelsUnavailableReason } from "./wasm-kernels.js";
import { wasmVectorKernels, wasmVectorKernelsUnavailableReason } from "./wasm-lanczos.js";

/** The reorthogonalisation kernels a process takes: native and wasm round alike; js does not. */
export type ReorthPath = "native" | "wasm" | "js";

/** What a run records about them (manifest.json `backend.reorth`). */
export interface ReorthInfo {
  readonly path: ReorthPath;
  /** wasm and js: why not native (where the native products serve); js: why not wasm. */
  readonly reason?: string;
}

/** The kernels for the Lanczos and power-iteration steppers in this process now. */
export function lanczosKernels(): VectorKernels {
  return nativeVectorKernels() ?? (simdKernelsActive() ? wasmVectorKernels() : undefined) ?? jsVectorKernels;
}

/** For the backend line and the manifest: which kernels `lanczosKernels` hands out now, and why not the faster ones. */
export function lanczosKernelsInfo(): ReorthInfo {
  const kernels = lanczosKernels();
  if (kernels === nativeVectorKernels()) return { path: "native" };
  const notNative = nativeVectorKernelsUnavailableReason();
  // Off the native products the native kernels are not expected: only a missing addon beside them is worth saying.
  const why = notNative === undefined || notNative === "the native matrix products are off" ? [] : [`native: ${notNative}`];
  if (kernels === wasmVectorKernels()) return why.length > 0 ? { path: "wasm", reason: why.join("; ") } : { path: "wasm" };
  const notWasm = simdKernelsActive() ? wasmVectorKernelsUnavailableReason() : (simdKernelsUnavailableReason() ?? "dync's SIMD kernels do not serve this backend");
  return { path: "js", reason: [...why, `wasm: ${notWasm}`].join("; ") };
}
