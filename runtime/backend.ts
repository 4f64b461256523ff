/**
 * Choosing and initialising the tfjs backend, and recording which one ran.
 *
 * `gpu` is `@tensorflow/tfjs-node-gpu` (CUDA) and `tensorflow` is `@tensorflow/tfjs-node` (libtensorflow): both
 * are optional peer dependencies, loaded (by `require`) only when asked for (or tried under `auto`).
 * `wasm` (`@tensorflow/tfjs-backend-wasm`, the embedded default) and `cpu` (`@tensorflow/tfjs-backend-cpu`,
 * pure JS) are regular dependencies. Nothing here pretends to be a GPU: `gpu` is reported only when the
 * tfjs-node-gpu package itself was loaded and initialised.
 *
 * Gradients: `@tensorflow/tfjs-core` alone registers no gradient functions (the `@tensorflow/tfjs` union
 * package normally does it), and its `dist/register_all_gradients.js` is ESM with extension-less relative
 * imports that plain Node cannot resolve. `ensureGradients` (called by `selectBackend`) imports it one of two
 * ways: a single-file bundle of it cached in `node_modules/.cache/dync/` (~10 ms to load), built once with
 * esbuild when esbuild is installed; otherwise through a resolve hook scoped to tfjs-core's `dist/`, which
 * loads several hundred small modules one by one (1–2 s, the largest part of a small run's start-up).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tf } from "./tf.js";
import { nativeMatMulInfo, requestedBlasThreads, type NativeMatMulInfo } from "./kernels/native.js";
import { nativeFusedStepInfo, type NativeFusedStepInfo } from "./kernels/native-fused.js";
import { nativeHvpInfo, type NativeHvpInfo } from "./kernels/native-hvp.js";
import { simdKernelsActive, WASM_KERNELS_REVISION } from "./kernels/wasm-kernels.js";
import { lanczosKernelsInfo, type ReorthInfo } from "./kernels/lanczos-kernels.js";
import { DyncRuntimeError } from "./errors.js";
import { AUTO_ORDER, BACKEND_PACKAGES, resolveInstalledPackage, type BackendName, type BackendRequest } from "./backend-packages.js";

export type { BackendRequest, BackendName } from "./backend-packages.js";

/** What a run records about the backend it used (manifest.json). */
export interface BackendInfo {
  readonly name: BackendName;
  /** The npm package that provides it. */
  readonly package: string;
  /** That package's version, read from its package.json. */
  readonly version: string;
  /** wasm only: whether the SIMD binary was loaded. */
  readonly simd?: boolean;
  /** wasm only: whether the multi-threaded binary was loaded (tfjs 4.22 never enables threads in Node). */
  readonly threads?: boolean;
  /** wasm only: whether dync's own SIMD kernels (runtime/kernels) serve it (off with DYNC_SIMD_KERNELS=0). */
  readonly dyncKernels?: boolean;
  /** wasm only: what serves dense and batched matrix products, OpenBLAS through dync's addon or the wasm path. */
  readonly matmul?: NativeMatMulInfo;
  /**
   * wasm only: whether plain dense MLPs train with the fused native step (one addon call for loss and
   * gradients, one for the optimizer update; runtime/kernels/native-fused.ts) or on tfjs's tape.
   */
  readonly fusedStep?: NativeFusedStepInfo;
  /**
   * Whether exact Hessian-vector products of plain dense MLPs run the native R-operator (wasm only)
   * (runtime/kernels/native-hvp.ts), the R-operator in tfjs ops (stdlib/curvature/rop-hvp.ts) or on tfjs's tape;
   * each run's `hvp` says which path served its products.
   */
  readonly hvp?: NativeHvpInfo;
  /**
   * Which float64 reorthogonalisation Lanczos and power iteration take (runtime/kernels/lanczos-kernels.ts): the
   * native kernels, dync's wasm SIMD ones (the two round alike) or the JS loops, and why not the faster ones.
   */
  readonly reorth?: ReorthInfo;
  /** wasm, where `dyncKernels`: the revision of dync's wasm kernels' arithmetic (wasm-kernels.ts `WASM_KERNELS_REVISION`). */
  readonly dyncKernelsRevision?: number;
  /** Backends tried before this one under `auto`, and why each was passed over. */
  readonly skipped?: readonly string[];
}

/** How packages are found and loaded; injectable so selection logic is testable without the packages. */
export interface PackageLoader {
  /** Absolute path of the package's package.json, or undefined when the package is not installed. */
  resolve(pkg: string): string | undefined;
  /** Load the package (registers its tfjs backend as a side effect) and return its module namespace. */
  load(pkg: string): Promise<Record<string, unknown>>;
  /** Make `tfName` the active tfjs backend; false when its initialisation failed. */
  activate(tfName: string): Promise<boolean>;
}

const requireHere = createRequire(import.meta.url);

/** The loader used outside tests: Node resolution from this file, dynamic import, tf.setBackend. */
export const nodePackageLoader: PackageLoader = {
  resolve: resolveInstalledPackage,
  async load(pkg) {
    // require, as for tfjs-core (runtime/tf.ts): the backends are CommonJS, and an ES import would detect
    // their format and scan them for export names first. An ES-only package is imported.
    try {
      return requireHere(pkg) as Record<string, unknown>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ERR_REQUIRE_ESM") throw error;
      return (await import(pkg)) as Record<string, unknown>;
    }
  },
  async activate(tfName) {
    const ok = await tf.setBackend(tfName);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === tfName;
  },
};

/** Initialise tfjs with the requested backend (trying gpu, tensorflow, wasm, cpu under `auto`) and describe it. */
export async function selectBackend(
  request: BackendRequest,
  loader: PackageLoader = nodePackageLoader,
): Promise<BackendInfo> {
  if (!(request === "auto" || request in BACKEND_PACKAGES)) {
    throw new DyncRuntimeError(
      "RUN040",
      `unknown backend "${String(request)}"`,
      "use one of auto, gpu, tensorflow, wasm, cpu",
    );
  }
  await ensureGradients();
  requestedBlasThreads(); // a bad DYNC_BLAS_THREADS is an error of its own, not a reason for `auto` to pass wasm over
  if (request !== "auto") return initBackend(request, loader, []);
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      return await initBackend(name, loader, skipped);
    } catch (error) {
      if (!(error instanceof DyncRuntimeError)) throw error;
      skipped.push(`${name}: ${error.message}`);
    }
  }
  throw new DyncRuntimeError("RUN002", `no tfjs backend could be initialised (${skipped.join("; ")})`);
}

async function initBackend(name: BackendName, loader: PackageLoader, skipped: string[]): Promise<BackendInfo> {
  const { pkg, tfName } = BACKEND_PACKAGES[name];
  const manifestPath = loader.resolve(pkg);
  if (manifestPath === undefined) {
    throw new DyncRuntimeError(
      "RUN001",
      `backend "${name}" needs the package ${pkg}, which is not installed`,
      `npm install ${pkg}@${tf.version_core}` + (name === "gpu" ? " (needs CUDA and cuDNN)" : ""),
    );
  }
  let module: Record<string, unknown>;
  try {
    module = await loader.load(pkg);
  } catch (error) {
    throw new DyncRuntimeError("RUN002", `backend "${name}": loading ${pkg} failed: ${messageOf(error)}`);
  }
  if (name === "wasm") pointWasmAtPackage(module, manifestPath);
  let ok: boolean;
  try {
    ok = await loader.activate(tfName);
  } catch (error) {
    throw new DyncRuntimeError("RUN002", `backend "${name}" (${pkg}) failed to initialise: ${messageOf(error)}`);
  }
  if (!ok) {
    throw new DyncRuntimeError(
      "RUN002",
      `backend "${name}" (${pkg}) failed to initialise`,
      `check that ${pkg} matches @tensorflow/tfjs-core ${tf.version_core}`,
    );
  }
  if (name === "cpu") silenceCpuBanner();
  const info: BackendInfo = { name, package: pkg, version: packageVersion(manifestPath) };
  const withWasm = name === "wasm" ? { ...info, ...(await wasmFeatures()), ...dyncKernelsInfo(), matmul: nativeMatMulInfo(), fusedStep: nativeFusedStepInfo(), hvp: nativeHvpInfo(), reorth: lanczosKernelsInfo() } : { ...info, hvp: nativeHvpInfo(), reorth: lanczosKernelsInfo() };
  return skipped.length > 0 ? { ...withWasm, skipped: [...skipped] } : withWasm;
}

/** Whether dync's SIMD kernels serve the wasm backend, and where they do, their arithmetic's revision. */
function dyncKernelsInfo(): { dyncKernels: boolean; dyncKernelsRevision?: number } {
  return simdKernelsActive() ? { dyncKernels: true, dyncKernelsRevision: WASM_KERNELS_REVISION } : { dyncKernels: false };
}

/**
 * tfjs's cpu backend prints a "looks like you are running TensorFlow.js in Node.js … install our node
 * backend" banner at its first tensor, once per thread (so once per pool worker). dync prints its own
 * backend line, with the backends it passed over and why; the banner is cleared by marking the backend
 * as already used (its `firstUse` flag, the only thing that gates the banner).
 */
function silenceCpuBanner(): void {
  const backend = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (backend && "firstUse" in backend) backend.firstUse = false;
}

/**
 * Load the .wasm binaries from the installed package directory (no network). The package's Node build
 * already looks next to itself, but being explicit keeps this true when the runtime is bundled.
 */
function pointWasmAtPackage(module: Record<string, unknown>, manifestPath: string): void {
  const setWasmPaths = module["setWasmPaths"];
  if (typeof setWasmPaths !== "function") return;
  try {
    setWasmPaths(`${dirname(manifestPath)}/dist/`);
  } catch {
    // Already initialised once in this process: tfjs refuses a second call and keeps the first paths.
  }
}

async function wasmFeatures(): Promise<{ simd?: boolean; threads?: boolean }> {
  try {
    const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    const threads = Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
    return { simd, threads };
  } catch {
    return {}; // the flags exist only once the wasm package is loaded; an injected loader may skip that
  }
}

function packageVersion(manifestPath: string): string {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : "unknown";
  } catch {
    return "unknown";
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === "object" && "message" in error) return String(error.message);
  return String(error);
}

/** Resolve hook: extension-less relative imports inside tfjs-core's ESM `dist/` get `.js` (or `/index.js`). */
export const TFJS_CORE_ESM_HOOK = `
const inCoreDist = (url) => typeof url === "string" && url.includes("/@tensorflow/tfjs-core/dist/");
export async function resolve(specifier, context, nextResolve) {
  if (!inCoreDist(context.parentURL) || !specifier.startsWith(".") || specifier.endsWith(".js")) {
    return nextResolve(specifier, context);
  }
  try {
    return { ...(await nextResolve(specifier + ".js", context)), format: "module" };
  } catch {
    return { ...(await nextResolve(specifier + "/index.js", context)), format: "module" };
  }
}
export async function load(url, context, nextLoad) {
  const esm = inCoreDist(url) && !url.endsWith(".node.js") && url.endsWith(".js");
  return nextLoad(url, esm ? { ...context, format: "module" } : context);
}`;

let gradientsReady: Promise<void> | undefined;

/** Register tfjs-core's gradient functions once per process (tf.grad fails on every op without them). */
export function ensureGradients(): Promise<void> {
  gradientsReady ??= registerAllGradients();
  return gradientsReady;
}

async function registerAllGradients(): Promise<void> {
  await registerTfjsGradients();
  registerComparisonGradients();
}

async function registerTfjsGradients(): Promise<void> {
  if (gradientsRegistered()) return;
  const bundle = gradientBundle();
  if (bundle !== undefined) {
    try {
      await import(pathToFileURL(bundle).href);
    } catch {
      // A damaged cache file: the resolve-hook path below registers the same functions.
    }
  }
  if (!gradientsRegistered()) await registerGradientsThroughHook();
  if (!gradientsRegistered()) {
    throw new DyncRuntimeError("RUN002", "tfjs gradient functions could not be registered");
  }
}

/** The comparisons that mask gradients (tfjs's max, maxPool and min gradients multiply dy by `equal(x, max)`). */
const COMPARISONS = ["Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual"] as const;

/**
 * Comparisons are piecewise constant, so their gradient is zero (almost everywhere). tfjs registers none, so
 * differentiating twice through max pooling, whose gradient is dy·[x = max], failed with "gradient function
 * not found for Equal"; with these the second derivative of a max-pool net is the exact one (tested against
 * finite differences in test/curvature/).
 */
function registerComparisonGradients(): void {
  for (const kernelName of COMPARISONS) {
    if (tf.getGradient(kernelName) != null) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ["a", "b"],
      gradFunc: (_dy, saved) => ({ a: () => tf.zerosLike(saved[0]!), b: () => tf.zerosLike(saved[1]!) }),
    });
  }
}

function gradientsRegistered(): boolean {
  return tf.getGradient("Tanh") != null && tf.getGradient("BatchMatMul") != null;
}

/** Import tfjs-core's `dist/register_all_gradients.js` module by module through the resolve hook (the slow path). */
export async function registerGradientsThroughHook(): Promise<void> {
  register(`data:text/javascript,${encodeURIComponent(TFJS_CORE_ESM_HOOK)}`);
  // A variable specifier: TypeScript need not type this deep import, and bundlers leave it alone.
  const specifier = "@tensorflow/tfjs-core/dist/register_all_gradients.js";
  await import(specifier);
}

/** The subset of esbuild's API used here (esbuild is a build-time tool: not a run-time dependency of dync). */
interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles?: { contents: Uint8Array }[] };
}

/** File name of the gradient bundle for the installed tfjs-core version. */
export function gradientBundleName(): string {
  return `tfjs-core-${tf.version_core}-gradients.mjs`;
}

/**
 * Path of the single-file ESM bundle of `register_all_gradients.js` for the installed tfjs-core version:
 * the one `npm run build` writes next to this module in dist/ (so an installed dync needs no esbuild), or
 * one cached in node_modules/.cache/dync, built there (esbuild, under a second, once per installation)
 * when missing; undefined when none can be found or built (no esbuild, read-only node_modules), and the
 * caller takes the hook path. The bundle is the same modules the hook path loads, so it registers the same
 * gradient functions (a test compares the two).
 */
export function gradientBundle(): string | undefined {
  const shipped = fileURLToPath(new URL(`./${gradientBundleName()}`, import.meta.url));
  if (existsSync(shipped)) return shipped;
  let coreDir: string;
  try {
    coreDir = dirname(requireHere.resolve("@tensorflow/tfjs-core/package.json"));
  } catch {
    return undefined;
  }
  // node_modules/@tensorflow/tfjs-core → node_modules/.cache/dync (the usual place for tool caches).
  const path = join(coreDir, "..", "..", ".cache", "dync", gradientBundleName());
  if (existsSync(path)) return path;
  return writeGradientBundle(path) ? path : undefined;
}

/** Bundle tfjs-core's gradient registrations into one ESM file at `path` with esbuild; false when impossible. */
export function writeGradientBundle(path: string): boolean {
  try {
    const coreDir = dirname(requireHere.resolve("@tensorflow/tfjs-core/package.json"));
    const esbuild = requireHere("esbuild") as EsbuildLike;
    const built = esbuild.buildSync({
      entryPoints: [join(coreDir, "dist", "register_all_gradients.js")],
      bundle: true,
      format: "esm",
      platform: "node",
      write: false,
      logLevel: "silent",
    });
    const contents = built.outputFiles?.[0]?.contents;
    if (contents === undefined) return false;
    mkdirSync(dirname(path), { recursive: true });
    // Write then rename: processes starting at once (test workers) never import a half-written file.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, contents);
    renameSync(partial, path);
    return true;
  } catch {
    return false;
  }
}
