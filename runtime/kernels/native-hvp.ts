/**
 * The Hessian-vector product of a plain dense MLP on the native path: native/dync_hvp.c computes Pearlmutter's
 * R-operator (forward-over-reverse) with the products on dync_gemm.h's sgemm and the activations' first and
 * second derivatives in C, instead of a second backward pass over tfjs's recorded tape
 * (stdlib/curvature/recorded-gradient.ts). stdlib/curvature/operator.ts serves every exact HVP with it where
 * the model offers a `DenseMlpPlan` and the loss is one of `FUSED_LOSS_CODES`; docs/performance.md "Native HVP".
 *
 * Active exactly where the native matrix products are (wasm backend, addon built, not `DYNC_NATIVE=0`; see
 * native.ts) and the HVP addon loads; otherwise `nativeHvp` returns undefined and the caller runs the taped
 * path. The addon copies the rows and θ when prepared: products read no tfjs tensor.
 */
import type { ActivationName } from "../../contract/model-specs.js";
import { nativeMatMulActive } from "./native.js";
import { loadNativeAddon } from "./native-addon.js";
import { ACTIVATION_CODES, FUSED_LOSS_CODES, type FusedLoss } from "./native-fused.js";

interface DyncHvpAddon {
  hvpPrepare(descriptor: Float64Array, x: Float32Array, y: Float32Array, theta: Float32Array, running: Float32Array): object;
  hvpProduct(state: object, v: Float32Array, out: Float64Array): void;
  hvpFree(state: object): void;
}

/**
 * A layer's batch norm between its product and its activation: the physical batch's statistics (differentiated
 * through), or the running ones when given (`[S, fanOut]` each, an affine map). γ and β are in θ after the bias.
 */
export interface NativeHvpNorm {
  readonly eps: number;
  readonly running?: { readonly mean: Float32Array; readonly variance: Float32Array };
}

/** One dense layer as the native HVP takes it: x·W (+ b), then its batch norm if any, then the activation. */
export interface NativeHvpLayer {
  readonly fanIn: number;
  readonly fanOut: number;
  readonly activation: ActivationName;
  /** leaky_relu's slope. */
  readonly alpha: number;
  readonly bias: boolean;
  readonly norm?: NativeHvpNorm;
}

/** native/dync_hvp.c's NORM_* codes. */
const NORM_CODES = { none: 0, batch: 1, running: 2 } as const;

/** The measurement: the network, its loss, the rows and how they are cut into physical batches. */
export interface NativeHvpProblem {
  readonly layers: readonly NativeHvpLayer[];
  readonly loss: FusedLoss;
  /** The factor on the last layer's output. */
  readonly scale: number;
  readonly seeds: number;
  /** Rows per seed, and rows per physical batch. */
  readonly rows: number;
  readonly batch: number;
  /** `[S, rows, fanIn₀]` encoded inputs and `[S, rows, out]` target rows (cross-entropy: smoothed), float32. */
  readonly x: Float32Array;
  readonly y: Float32Array;
  /** `[S, P]`: per seed every parameter flat, layer by layer weight, bias, then the norm's γ and β (the vectors' layout). */
  readonly theta: Float32Array;
}

/** A prepared product: H·v for `[S, P]` float32 directions into `[S, P]` float64, until `dispose()`. */
export interface NativeHvp {
  product(v: Float32Array, out: Float64Array): void;
  dispose(): void;
}

let addon: DyncHvpAddon | undefined;
let unavailable: string | undefined;
let loaded = false;
/** Tests and the benchmark compare the native and the taped HVP in one process; `DYNC_NATIVE_HVP=0` turns it off. */
let enabled = process.env["DYNC_NATIVE_HVP"] !== "0";

/**
 * Where the native product does not serve, plain dense MLPs take Pearlmutter's R-operator in tfjs ops
 * (stdlib/curvature/rop-hvp.ts) before the tape; `DYNC_ROP_HVP=0` (or `setRopHvpEnabled(false)`) sends them to the tape.
 */
let ropEnabled = process.env["DYNC_ROP_HVP"] !== "0";

/** Route exact HVPs of plain dense MLPs that the native kernel does not take to the tfjs R-operator (true, the default) or to the tape. */
export function setRopHvpEnabled(on: boolean): void {
  ropEnabled = on;
}

/** Whether the tfjs R-operator may serve where the native product does not. */
export function ropHvpEnabled(): boolean {
  return ropEnabled;
}

/** Floats of forward/backward state a prepared product keeps at most (0: the addon's default, 1 GiB). */
let stateBudget = 0;

/** Tests: a small budget makes products recompute the state per seed and physical batch (the large-measurement mode). */
export function setNativeHvpStateBudget(floats: number): void {
  stateBudget = floats;
}

/** Route exact HVPs of plain dense MLPs to the native kernel (true, the default) or to the tape (false). */
export function setNativeHvpEnabled(on: boolean): void {
  enabled = on;
}

function loadAddon(): void {
  if (loaded) return;
  loaded = true;
  const load = loadNativeAddon<DyncHvpAddon>("dync_hvp");
  if ("addon" in load) addon = load.addon;
  else unavailable = "missing" in load ? "the HVP addon is not built (`npm run native`)" : `the HVP addon did not load (${load.error})`;
}

function activeAddon(): DyncHvpAddon | undefined {
  if (!enabled || !nativeMatMulActive()) return undefined;
  loadAddon();
  return addon;
}

/** Whether the native HVP can serve in this process now. */
export function nativeHvpActive(): boolean {
  return activeAddon() !== undefined;
}

/**
 * The tfjs R-operator's arithmetic (stdlib/curvature/rop-hvp.ts: its formulas and the order of its float32 sums),
 * numbered. Raise it whenever a change to rop-hvp.ts (or to what it calls: runtime/nn/bmm.ts, `simdSumRows`) makes
 * the same product round differently, so `--resume` refuses to continue a run whose products took the rop path with
 * other roundings (RUN031; the manifest's `backend.hvp.ropRevision`, absent in directories written before it was
 * recorded: revision 1). test/curvature/rop-hvp-revision.test.ts pins the bits of each revision's products on the
 * cpu backend. Kept here, not beside rop-hvp.ts, because the backend record (runtime/backend.ts) reads it and
 * runtime/ imports nothing from stdlib/. The native R-operator has the native kernels' revision (native.ts
 * `NATIVE_KERNELS_REVISION`).
 * 1: up to 2026-12-04.
 */
export const ROP_HVP_REVISION = 1;

/** What a run records about its Hessian-vector products (manifest.json `backend.hvp`). */
export interface NativeHvpInfo {
  /**
   * "native": exact HVPs of plain dense MLPs run the native R-operator; "rop": the R-operator in tfjs ops
   * (stdlib/curvature/rop-hvp.ts); "taped": every exact HVP runs on tfjs's tape.
   */
  readonly path: "native" | "rop" | "taped";
  /** rop and taped: why not native (taped: and why not rop). */
  readonly reason?: string;
  /** rop: the revision of the tfjs R-operator's arithmetic (`ROP_HVP_REVISION`). */
  readonly ropRevision?: number;
}

/** For the backend line and the manifest: which exact HVP serves plain dense MLPs in this process, and why not the native one. */
export function nativeHvpInfo(): NativeHvpInfo {
  if (activeAddon()) return { path: "native" };
  const reason = nativeHvpUnavailableReason() ?? "the native matrix products are off";
  if (ropEnabled) return { path: "rop", reason, ropRevision: ROP_HVP_REVISION };
  return { path: "taped", reason: `${reason}; the tfjs R-operator ${process.env["DYNC_ROP_HVP"] === "0" ? "switched off by DYNC_ROP_HVP=0" : "switched off in this process"}` };
}

/** Why the native HVP cannot serve in this process (undefined when it can). */
export function nativeHvpUnavailableReason(): string | undefined {
  if (!nativeMatMulActive()) return "the native matrix products are off";
  if (!enabled) return process.env["DYNC_NATIVE_HVP"] === "0" ? "switched off by DYNC_NATIVE_HVP=0" : "switched off in this process";
  loadAddon();
  return unavailable;
}

/** The prepared product of a measurement (its forward and backward state kept per physical batch), or undefined where the native path does not serve. */
export function nativeHvp(problem: NativeHvpProblem): NativeHvp | undefined {
  const native = activeAddon();
  if (!native) return undefined;
  const { layers } = problem;
  const descriptor = new Float64Array(8 + 7 * layers.length);
  descriptor.set([problem.seeds, problem.rows, problem.batch, layers.length, FUSED_LOSS_CODES[problem.loss], problem.scale, problem.rows, stateBudget]);
  layers.forEach((l, i) => {
    const norm = l.norm ? NORM_CODES[l.norm.running ? "running" : "batch"] : NORM_CODES.none;
    descriptor.set([l.fanIn, l.fanOut, ACTIVATION_CODES[l.activation], l.alpha, l.bias ? 1 : 0, norm, l.norm?.eps ?? 0], 8 + 7 * i);
  });
  const runningStats = layers.flatMap((l) => (l.norm?.running ? [l.norm.running.mean, l.norm.running.variance] : []));
  const running = new Float32Array(runningStats.reduce((n, a) => n + a.length, 0));
  runningStats.reduce((at, a) => (running.set(a, at), at + a.length), 0);
  const state = native.hvpPrepare(descriptor, problem.x, problem.y, problem.theta, running);
  let freed = false;
  return {
    product: (v, out) => native.hvpProduct(state, v, out),
    dispose() {
      if (!freed) native.hvpFree(state);
      freed = true;
    },
  };
}
