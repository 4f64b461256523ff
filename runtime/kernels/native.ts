/**
 * Optional native matrix products: dync's own Node-API addon over one sgemm (native/dync_blas.c and dync_gemm.h,
 * built by tools/build-native.mjs into dist/native/dync_blas.node when gcc and OpenBLAS are present): oneDNN's
 * where the addon was built with it (Debian's libdnnl-dev), else OpenBLAS's; `DYNC_GEMM=openblas` picks OpenBLAS.
 * On the wasm backend it multiplies in place in the wasm heap (the tensors' memory), one sgemm per seed, and
 * serves every product `bmm` makes (runtime/nn/bmm.ts: dense and conv layers, encodings, their gradients and
 * Hessian-vector products). Without the addon, or with `DYNC_NATIVE=0`, the products run on the wasm path as
 * before. Why: one wasm thread runs XNNPACK at ~10–25 GFLOP/s, OpenBLAS's AVX2 kernels at ~80–125 and oneDNN's
 * AVX-512 ones at ~200–260 on this project's machine (docs/performance.md, "Native matrix products", "oneDNN
 * products").
 *
 * Threads: one unless `DYNC_BLAS_THREADS=N` asks for N (the benchmark compares one thread against PyTorch's one).
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import { loadNativeAddon } from "./native-addon.js";

/** The addon's exports (native/dync_blas.c). */
interface DyncBlasAddon {
  /** Per batch s: C_s = op(A_s)·op(B_s), row-major float32, operands as ArrayBuffer + byte offset. */
  sgemm(
    a: ArrayBuffer, aOffset: number, b: ArrayBuffer, bOffset: number, c: ArrayBuffer, cOffset: number,
    batches: number, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean,
  ): void;
  setThreads(threads: number): void;
  threads(): number;
  /** The serving library and the kernels it runs: "<library> / <core>". */
  config(): string;
  /** Which library serves the products. */
  gemm(): NativeGemm;
}

/** The libraries that can serve the native products (native/dync_gemm.h). */
export type NativeGemm = "onednn" | "openblas";

/** What a run records about its matrix products (manifest.json `backend.matmul`). */
export interface NativeMatMulInfo {
  /**
   * "native" when the addon serves the products, else "wasm" (tfjs's XNNPACK and dync's SIMD kernels).
   * Directories written before oneDNN served record "openblas" for the native path (`matmulPathOf`).
   */
  readonly path: "native" | "wasm";
  /** native: the library serving the products (oneDNN's or OpenBLAS's sgemm). */
  readonly gemm?: NativeGemm;
  /** native: the library's description and the kernels it runs, "<library> / <core>". */
  readonly library?: string;
  /**
   * native: the kernels the library runs, each summing in its own order: oneDNN's instruction set
   * ("avx512_core_bf16") or OpenBLAS's core ("Haswell"; OpenBLAS picks it from the CPU, or OPENBLAS_CORETYPE
   * forces it: some machines set it because older OpenBLAS builds compute wrong results with the kernels they
   * would pick; dync never changes it).
   */
  readonly core?: string;
  /** native: the thread count it runs with. */
  readonly threads?: number;
  /** wasm: why the native path is not in use. */
  readonly reason?: string;
  /** native: `NATIVE_KERNELS_REVISION` (absent in directories written before it was recorded: revision 1). */
  readonly revision?: number;
}

/** The matmul path a manifest's `backend.matmul` records: "native", "wasm" (also when absent: older directories). */
export function matmulPathOf(matmul: { readonly path?: string } | undefined): "native" | "wasm" {
  return matmul?.path === "native" || matmul?.path === "openblas" ? "native" : "wasm";
}

/** The library that served a manifest's native products: older directories ran on OpenBLAS. */
export function gemmOf(matmul: { readonly gemm?: string } | undefined): string {
  return matmul?.gemm ?? "openblas";
}

/**
 * The native path's arithmetic, numbered: bump it whenever the same program would round differently on the
 * native path (another kernel serves a step, a summation order changes), so `--resume` refuses to continue a
 * run with other roundings (RUN031). 1: up to 2026-12-03. 2: 2026-12-04, the native 1→W→1 step, input
 * encodings in the fused step, whole conv kernels on OpenBLAS. 3: 2026-12-04, conv kernels in 4× taller tiles of
 * patch rows (native/dync_conv.c `tile_rows`): OpenBLAS rounds a product's rows by its row count, and the filter
 * gradient sums fewer tile products. 4: 2026-12-04, exact Hessian-vector products of plain dense MLPs on the native
 * R-operator (native/dync_hvp.c), and Lanczos's float64 reorthogonalisation in C (native/dync_lanczos.c): curvature
 * probes' values change at float32 rounding level (the reorthogonalisation alone at ~1e-15). 5: 2026-12-04, MLPs with
 * batch norm take the native R-operator too (their curvature was the taped product's).
 */
export const NATIVE_KERNELS_REVISION = 5;

export const NATIVE_MATMUL_KERNEL = "DyncNativeMatMul";

let addon: DyncBlasAddon | undefined;
let unavailable: string | undefined;
let loaded = false;
/** Tests and the benchmark compare both paths in one process. */
let enabled = true;

/** The thread count asked for with DYNC_BLAS_THREADS (default 1); a bad value is a configuration error. */
export function requestedBlasThreads(env: NodeJS.ProcessEnv = process.env): number {
  const text = env["DYNC_BLAS_THREADS"];
  if (text === undefined || text === "") return 1;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new DyncRuntimeError("RUN040", `DYNC_BLAS_THREADS="${text}" is not a thread count`, "set it to a whole number from 1 to 1024, or unset it for 1");
  }
  return threads;
}

function loadAddon(): void {
  if (loaded) return;
  loaded = true;
  if (process.env["DYNC_NATIVE"] === "0") {
    unavailable = "switched off by DYNC_NATIVE=0";
    return;
  }
  const load = loadNativeAddon<DyncBlasAddon>("dync_blas");
  if (!("addon" in load)) {
    unavailable = "missing" in load ? "the native addon is not built (needs gcc and OpenBLAS, e.g. Debian's libopenblas-dev; then `npm run native`)" : `the native addon did not load (${load.error})`;
    return;
  }
  addon = load.addon;
  addon.setThreads(requestedBlasThreads());
  const asked = requestedGemm();
  if (asked !== undefined && asked !== addon.gemm()) {
    throw new DyncRuntimeError("RUN040", `DYNC_GEMM=${asked}, but the native addon was built without oneDNN`, "install oneDNN (Debian: libdnnl-dev) and run `npm run native`, or unset DYNC_GEMM");
  }
}

/** The library DYNC_GEMM asks for (unset: oneDNN where built in, else OpenBLAS); a bad value is a configuration error. */
export function requestedGemm(env: NodeJS.ProcessEnv = process.env): NativeGemm | undefined {
  const text = env["DYNC_GEMM"];
  if (text === undefined || text === "") return undefined;
  if (text === "onednn" || text === "openblas") return text;
  throw new DyncRuntimeError("RUN040", `DYNC_GEMM="${text}" names no library`, "set it to onednn or openblas, or unset it (oneDNN where the addon was built with it)");
}

/** The addon when it serves the current backend (wasm), else undefined. */
function activeAddon(): DyncBlasAddon | undefined {
  if (!enabled || tf.getBackend() !== "wasm") return undefined;
  loadAddon();
  if (addon && !registered) registerKernel();
  return addon;
}

/** Whether products go to the native addon in this process now (backend wasm, addon built and loaded, not switched off). */
export function nativeMatMulActive(): boolean {
  return activeAddon() !== undefined;
}

/** For the backend line and the manifest: which path serves the products, and why not the native one. */
export function nativeMatMulInfo(): NativeMatMulInfo {
  if (activeAddon()) {
    const library = addon!.config();
    return { path: "native", gemm: addon!.gemm(), library, core: library.split(" / ").at(-1)!, threads: addon!.threads(), revision: NATIVE_KERNELS_REVISION };
  }
  const reason = !enabled ? "switched off in this process" : tf.getBackend() !== "wasm" ? `backend ${tf.getBackend()}` : unavailable;
  return reason === undefined ? { path: "wasm" } : { path: "wasm", reason };
}

/** Why the addon is not in use (after a first attempt), or undefined. */
export function nativeMatMulUnavailableReason(): string | undefined {
  loadAddon();
  return unavailable;
}

/** Route products to the addon (true, the default) or to the wasm path (false); for tests and the benchmark. */
export function setNativeMatMulEnabled(on: boolean): void {
  enabled = on;
}

/**
 * `[S,M,K]×[S,K,N]` (with `transposeA`, a is `[S,K,M]`; with `transposeB`, b is `[S,N,K]`) on OpenBLAS, or
 * undefined where the addon does not serve the backend. No gradient: for bmm's custom-gradient forward pass.
 */
export function nativeProduct(a: tf.Tensor3D, b: tf.Tensor3D, transposeA = false, transposeB = false): tf.Tensor3D | undefined {
  if (!activeAddon()) return undefined;
  return tf.engine().runKernel(NATIVE_MATMUL_KERNEL, { a, b }, { transposeA, transposeB } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

let registered = false;

function registerKernel(): void {
  registered = true;
  tf.registerKernel({ kernelName: NATIVE_MATMUL_KERNEL, backendName: "wasm", kernelFunc: nativeMatMulKernel });
}

function nativeMatMulKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const wasm = backend as unknown as WasmBackendLike;
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length !== 3 || b.shape.length !== 3) {
    throw new Error(`${NATIVE_MATMUL_KERNEL}: expects rank-3 float32 tensors, got ${a.dtype}${JSON.stringify(a.shape)} × ${b.dtype}${JSON.stringify(b.shape)}`);
  }
  const s = a.shape[0]!;
  const [m, k] = transposeA ? [a.shape[2]!, a.shape[1]!] : [a.shape[1]!, a.shape[2]!];
  const [kb, n] = transposeB ? [b.shape[2]!, b.shape[1]!] : [b.shape[1]!, b.shape[2]!];
  if (b.shape[0] !== s || kb !== k) {
    throw new Error(`${NATIVE_MATMUL_KERNEL}: shapes ${JSON.stringify(a.shape)} × ${JSON.stringify(b.shape)} do not fit`);
  }
  const out = wasm.makeOutput([s, m, n], "float32");
  // The heap's buffer read after makeOutput: an allocation may grow the heap, which replaces the buffer.
  const heap = wasm.wasm.HEAPU8.buffer as ArrayBuffer;
  const at = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset;
  addon!.sgemm(heap, at(a), heap, at(b), heap, at(out), s, m, k, n, transposeA, transposeB);
  return out;
}
