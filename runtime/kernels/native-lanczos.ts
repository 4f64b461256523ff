/**
 * Lanczos's and power iteration's float64 reorthogonalisation on the native path: native/dync_lanczos.c (an addon
 * built next to dync_blas.c) runs `orthogonalizeTwice` — classical Gram–Schmidt twice against the Krylov basis —
 * and the Ritz vectors' `accumulate` on the callers' Float64Arrays in place with AVX-512 or AVX2. Why: on benchmark case (h) (40,801 parameters, up to
 * 60 basis vectors) the JS loops were ~0.3 s of the probe; natively they take a fifth of that (docs/performance.md,
 * "Lanczos reorthogonalisation").
 *
 * Active exactly where the native matrix products are (wasm backend, addon built, not `DYNC_NATIVE=0`; see
 * native.ts); lanczos-kernels.ts picks the strategy.
 */
import type { VectorKernels } from "../../numerics/lanczos.js";
import { nativeMatMulActive } from "./native.js";
import { loadNativeAddon, type AddonLoad } from "./native-addon.js";

/** The addon's exports (native/dync_lanczos.c). */
interface DyncLanczosAddon {
  /** As numerics/lanczos.ts's `orthogonalizeTwice`; `vectors` must be an Array of Float64Arrays of w's length. */
  orthogonalizeTwice(w: Float64Array, vectors: readonly Float64Array[]): void;
  /** As numerics/lanczos.ts's `accumulate`, bit for bit. */
  accumulate(coefficients: Float64Array, vectors: readonly Float64Array[], out: Float64Array): void;
}

let load: AddonLoad<DyncLanczosAddon> | undefined;
let kernels: VectorKernels | undefined;
/** Tests: the native products without this addon (a build that lacks dync_lanczos.node) in one process. */
let enabled = true;

/** Route the reorthogonalisation to the addon (true, the default) or past it, as where it is not built (false); for tests. */
export function setNativeLanczosEnabled(on: boolean): void {
  enabled = on;
}

/** Why the native kernels do not serve in this process now, or undefined where they do. */
export function nativeVectorKernelsUnavailableReason(): string | undefined {
  if (!nativeMatMulActive()) return "the native matrix products are off";
  if (!enabled) return "switched off in this process";
  load ??= loadNativeAddon<DyncLanczosAddon>("dync_lanczos");
  if ("missing" in load) return "dync_lanczos.node is not built (`npm run native`)";
  return "error" in load ? `dync_lanczos.node did not load (${load.error})` : undefined;
}

/** The native kernels when the native path serves and the addon loads, else undefined. */
export function nativeVectorKernels(): VectorKernels | undefined {
  if (nativeVectorKernelsUnavailableReason() !== undefined || !load || !("addon" in load)) return undefined;
  const addon = load.addon;
  kernels ??= {
    basis() {
      const vectors: Float64Array[] = []; // the callers' own arrays: the addon reads them in place
      return {
        push: (v) => vectors.push(v),
        vector: (b) => vectors[b]!,
        orthogonalizeTwice: (w) => addon.orthogonalizeTwice(w, vectors),
        accumulate: (coefficients, out) => addon.accumulate(Float64Array.from(coefficients), vectors, out),
      };
    },
  };
  return kernels;
}
