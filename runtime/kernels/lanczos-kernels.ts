/**
 * Which reorthogonalisation serves Lanczos and power iteration (numerics/lanczos.ts `VectorKernels`), by the rules
 * of the products and dync's SIMD kernels, so a run's manifest says which served: `backend.matmul.path` "native" →
 * native/dync_lanczos.c (native-lanczos.ts; where built — an older build without it falls through to the next);
 * else, where dync's SIMD kernels serve the wasm backend (`backend.dyncKernels`; not `DYNC_SIMD_KERNELS=0`) → the
 * wasm SIMD kernels (wasm-lanczos.ts); else the JS loops. The first two round alike, bit for bit; the JS loops sum
 * each dot product in one running sum, so eigenvalues differ from theirs at rounding level.
 */
import { jsVectorKernels, type VectorKernels } from "../../numerics/lanczos.js";
import { nativeVectorKernels } from "./native-lanczos.js";
import { simdKernelsActive } from "./wasm-kernels.js";
import { wasmVectorKernels } from "./wasm-lanczos.js";

/** The kernels for the Lanczos and power-iteration steppers in this process now. */
export function lanczosKernels(): VectorKernels {
  return nativeVectorKernels() ?? (simdKernelsActive() ? wasmVectorKernels() : undefined) ?? jsVectorKernels;
}
