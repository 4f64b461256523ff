/**
 * What `--resume` compares of the curvature kernels and of dync's own wasm kernels (runner/resume.ts
 * `checkResumeBackend` refuses with RUN031 where these find a mismatch): only what would change numbers.
 *
 * Hessian-vector products (`runs[].hvp`, `backend.hvp`): the native R-operator, the one in tfjs ops (rop), the tape
 * and differences sum in other orders. The directory a resume finishes must hold what one process computes:
 *  1. each kept run that recorded its products' paths, and each run continuing from a checkpoint that carries them,
 *     must be one this process would compute with the same paths (decided as the operator decides it, on the run's
 *     model and loss: `predictedHvpPath`). This also catches a
 *     dync that routes a model otherwise than the one that wrote the directory (batch-norm MLPs took the tape on
 *     the wasm path before the tfjs R-operator covered batch norm; the process's `backend.hvp` said rop for both);
 *  2. every other run (trained from step 0 now; kept or continuing without a product recorded: written before runs
 *     and checkpoints recorded them, or none computed yet; or whose counts start after step 0: `hvpFrom`) whose exact products
 *     take the process's R-operator route (a plain dense MLP under a loss the R-operators implement) needs the
 *     same route (`backend.hvp.path`) as the process that wrote the directory: a continuing run would mix them.
 *     A directory without `backend.hvp` (wasm before 2026-12-04 18:08, other backends before 18:50) took the
 *     R-operator a kept run recorded (cpu directories of 18:40–18:50 took rop) or, where none did, the tape.
 *     A program with no curvature probe, or whose curvature is all on the tape (a CNN) or by differences,
 *     resumes under any route;
 *  3. each kept or continuing run whose recorded products took the rop path (`rop` counts) needs the tfjs
 *     R-operator's arithmetic of the directory (`backend.hvp.ropRevision`, native-hvp.ts `ROP_HVP_REVISION`;
 *     absent: 1) where this process offers rop (where it does not, rule 1 refuses it). Only those: a directory written
 *     before the revision was recorded is revision 1, and every later one records its runs' counts (a run with none
 *     computed none, so has none to mix).
 * Reorthogonalisation (`backend.reorth`, Lanczos and power iteration: `sharpness`, `hessian`, `hessian_density`):
 * the native and wasm kernels round alike bit for bit and count as one; the JS loops differ at ~1e-15, which can
 * move a Lanczos stop decided near `tol` by a step, so a change between them is refused where a run of the plan
 * reorthogonalises (no run records which served: every run counts). Directories written before it was recorded:
 * the other backends always ran the JS loops; on wasm it is not known (native, wasm or JS) and not compared.
 * dync's wasm kernels (`backend.dyncKernelsRevision`, wasm-kernels.ts `WASM_KERNELS_REVISION`): where they
 * served both processes, the same revision (absent: 1); they serve training, so every program.
 */
import type { HvpPath, HvpPathCounts } from "../contract/model.js";
import type { Manifest } from "../runtime/record/index.js";

/**
 * What a run continuing from its checkpoint recorded of its products (the checkpoint's `hvp`, `hvpFrom`): the counts
 * per path before it, and the step they start at where not step 0 (it continued earlier from an older checkpoint).
 */
export interface HvpRecord {
  readonly counts: HvpPathCounts;
  readonly from?: number;
}

/** The curvature a run of the plan measures in this process. */
export interface RunCurvature {
  /** The paths its Hessian-vector products would take (none: no curvature probe). */
  readonly paths: readonly HvpPath[];
  /** Whether its exact products take the process's R-operator route (`backend.hvp.path`): a plain dense MLP. */
  readonly rOperator: boolean;
  /** Whether it reorthogonalises (a Lanczos or power-iteration probe). */
  readonly reorth: boolean;
}

/** What `--resume` knows of the plan's curvature (runner/run.ts `plannedCurvature`). */
export interface ResumeCurvature {
  /** The plan's run ids (this shard's), in order. */
  readonly runs: readonly string[];
  readonly predict: (id: string) => RunCurvature;
  /** The runs continuing from checkpoints that carry their products' counts (runner/resume.ts `recordedHvp`), by run id. */
  readonly continuing?: ReadonlyMap<string, HvpRecord>;
}

/**
 * A run's own record of its products: a kept run's manifest entry (`runs[].hvp`, `hvpFrom`) or the checkpoint a run
 * continues from: the paths that served them, and whether it counts them from step 0.
 */
interface OwnRecord {
  readonly run: string;
  readonly paths: readonly HvpPath[];
  readonly fromStart: boolean;
}

function ownRecords(manifest: Manifest, curvature: ResumeCurvature | undefined): OwnRecord[] {
  const kept = (manifest.runs ?? []).map((entry) => ({ run: entry.run, paths: servedPaths(entry.hvp), fromStart: entry.hvpFrom === undefined }));
  const continuing = [...(curvature?.continuing ?? [])].map(([run, record]) => ({ run, paths: servedPaths(record.counts), fromStart: record.from === undefined }));
  return [...kept, ...continuing];
}

/**
 * Whether rule 2 may leave a run to rule 1: its record names the paths of all its products. Not one without products
 * (an older dync wrote no record; a run that computed none yet says nothing of the path), nor one whose counts start
 * after step 0 (the products before were computed on a path nothing records).
 */
const judgedByOwnRecord = (entry: OwnRecord): boolean => entry.paths.length > 0 && entry.fromStart;

/** Why the directory cannot be resumed here, and how it can. */
export interface KernelMismatch {
  readonly why: string;
  readonly hint: string;
}

type BackendRecord = Readonly<Record<string, unknown>>;

/** The first reason resuming `manifest`'s directory in a process on `backend` would change curvature numbers, if any. Without the plan (tests of the other backend checks), every run counts as measuring curvature on the R-operator route. */
export function curvatureMismatch(manifest: Manifest, backend: BackendRecord, curvature?: ResumeCurvature): KernelMismatch | undefined {
  return (curvature ? recordedRunMismatch(manifest, backend, curvature) : undefined) ?? routeMismatch(manifest, backend, curvature) ?? ropRevisionMismatch(manifest, backend, curvature) ?? reorthMismatch(manifest, backend, curvature);
}

/** The first run of the plan `holds` is true of (`{}` without the plan: every run counts), or undefined. */
function firstRun(curvature: ResumeCurvature | undefined, holds: (id: string, run: RunCurvature) => boolean): { readonly run?: string } | undefined {
  if (!curvature) return {};
  const run = curvature.runs.find((id) => holds(id, curvature.predict(id)));
  return run === undefined ? undefined : { run };
}

/** Rule 1: a kept or continuing run that recorded a path this process would not compute its products with. */
function recordedRunMismatch(manifest: Manifest, backend: BackendRecord, curvature: ResumeCurvature): KernelMismatch | undefined {
  for (const entry of ownRecords(manifest, curvature)) {
    const recorded = entry.paths;
    if (recorded.length === 0) continue; // no product recorded: rule 2 judges it (and no model is built for it here)
    const now = curvature.predict(entry.run).paths;
    const missing = recorded.find((path) => !now.includes(path));
    if (missing === undefined) continue;
    const instead = now.filter((path) => !recorded.includes(path));
    const would = instead.length === 0 ? "would compute none" : `would compute them on the ${instead.join(" and ")} path${instead.length > 1 ? "s" : ""}`;
    const sameRoute = missing === hvpRoute(manifest) && hvpRoute(manifest) !== routeOf(backend);
    return {
      why: `run ${entry.run} computed its Hessian-vector products on the ${missing} path, this process ${would}; their float32 sums differ`,
      // Where the route differs, the one recorded brings the run back; else this dync routes the run's model otherwise than the one that wrote it.
      hint: sameRoute ? hvpHint(missing, matmulNative(backend)) : "this dync computes that run's products on another path than the dync that wrote the directory: finish it with that dync, or start a new run with --out",
    };
  }
  return undefined;
}

/** Rule 2: the R-operator route changed and a run not judged by its own record takes it. */
function routeMismatch(manifest: Manifest, backend: BackendRecord, curvature: ResumeCurvature | undefined): KernelMismatch | undefined {
  const was = hvpRoute(manifest);
  const now = routeOf(backend);
  if (was === now) return undefined;
  const recorded = new Set(ownRecords(manifest, curvature).filter(judgedByOwnRecord).map((entry) => entry.run));
  const affected = firstRun(curvature, (id, run) => !recorded.has(id) && run.rOperator);
  if (affected === undefined) return undefined;
  const which = affected.run === undefined ? "" : ` (run ${affected.run} measures them)`;
  return { why: `its Hessian-vector products of dense MLPs ran on the ${was} path, this process uses the ${now} one${which}`, hint: hvpHint(was, matmulNative(backend)) };
}

/** Rule 3: a run whose products took the rop path, and this process's tfjs R-operator rounds them otherwise. */
function ropRevisionMismatch(manifest: Manifest, backend: BackendRecord, curvature: ResumeCurvature | undefined): KernelMismatch | undefined {
  const now = ropRevision(backend);
  const was = ropRevision(manifest.backend) ?? 1;
  if (now === undefined || now === was) return undefined;
  const run = ownRecords(manifest, curvature).find((entry) => entry.paths.includes("rop"))?.run;
  if (run === undefined) return undefined;
  return {
    why: `run ${run} computed its Hessian-vector products with the tfjs R-operator of revision ${was}, this dync's is revision ${now}; their float32 sums differ`,
    hint: "finish it with the dync that wrote it, or start a new run with --out",
  };
}

/** The tfjs R-operator's revision a process recorded (`backend.hvp.ropRevision`), where the rop path served it. */
function ropRevision(backend: BackendRecord): number | undefined {
  const revision = (backend["hvp"] as { ropRevision?: unknown } | undefined)?.ropRevision;
  return typeof revision === "number" ? revision : undefined;
}

/** The reorthogonalisation: native and wasm round alike; the JS loops do not. */
function reorthMismatch(manifest: Manifest, backend: BackendRecord, curvature: ResumeCurvature | undefined): KernelMismatch | undefined {
  const was = reorthPath(manifest.backend);
  const now = reorthPath(backend);
  if (was === undefined || now === undefined || (was === "js") === (now === "js")) return undefined;
  const affected = firstRun(curvature, (_id, run) => run.reorth);
  if (affected === undefined) return undefined;
  const which = affected.run === undefined ? "" : ` (run ${affected.run} runs Lanczos or power iteration)`;
  const reason = (backend["reorth"] as { reason?: string } | undefined)?.reason;
  return {
    why: `its Lanczos reorthogonalisation ran on the ${was} kernels, this process has the ${now} ones${now === "js" && reason ? ` (${reason})` : ""}${which}; they round differently`,
    hint: was === "js" ? "finish it with the dync build that wrote it (without dync_lanczos.node), or start a new run with --out" : "resume where dync_lanczos.node is built (npm run native)",
  };
}

/**
 * dync's own wasm kernels: the same revision where they served both processes (their on/off is compared with the
 * backend, `dyncKernels`).
 */
export function dyncKernelsMismatch(manifest: Manifest, backend: BackendRecord): KernelMismatch | undefined {
  if (manifest.backend["dyncKernels"] !== true || backend["dyncKernels"] !== true) return undefined;
  const revision = (b: BackendRecord) => (typeof b["dyncKernelsRevision"] === "number" ? b["dyncKernelsRevision"] : 1);
  if (revision(manifest.backend) === revision(backend)) return undefined;
  return {
    why: `its wasm kernels (dync's SIMD and reorthogonalisation modules) are revision ${revision(manifest.backend)}, this dync's are revision ${revision(backend)} (they round differently)`,
    hint: "finish it with the dync that wrote it, or start a new run with --out",
  };
}

/** The paths that served products (counts > 0). (`manifest.runs ?? []` above: a manifest cut down to its backend, as the other checks' tests write them.) */
function servedPaths(counts: HvpPathCounts | undefined): HvpPath[] {
  return Object.entries(counts ?? {}).filter(([, n]) => n !== undefined && n > 0).map(([path]) => path as HvpPath);
}

/** The R-operator route a process offers plain dense MLPs (`backend.hvp.path`). */
function routeOf(backend: BackendRecord): string {
  return (backend["hvp"] as { path?: string } | undefined)?.path ?? "taped";
}

/** The route of the process that wrote the directory; without `backend.hvp`, the R-operator a kept run recorded, else the tape. */
function hvpRoute(manifest: Manifest): string {
  const recorded = (manifest.backend["hvp"] as { path?: string } | undefined)?.path;
  if (recorded !== undefined) return recorded;
  return ownRecords(manifest, undefined).flatMap((entry) => entry.paths).find((path) => path === "native" || path === "rop") ?? "taped";
}

/** The reorthogonalisation kernels a process recorded; without `backend.reorth`, JS on the backends that only had them, else unknown. */
function reorthPath(backend: BackendRecord): string | undefined {
  const recorded = (backend["reorth"] as { path?: string } | undefined)?.path;
  return recorded ?? (backend["name"] === "wasm" ? undefined : "js");
}

function matmulNative(backend: BackendRecord): boolean {
  return (backend["matmul"] as { path?: string } | undefined)?.path === "native";
}

/** How to resume with the Hessian-vector product a directory recorded (`backend.hvp.path`). */
function hvpHint(recorded: string, nativeMatMul: boolean): string {
  if (recorded === "native") return "resume where the HVP addon is built (npm run native) and DYNC_NATIVE_HVP is unset";
  const nativeOff = nativeMatMul ? "DYNC_NATIVE_HVP=0 and " : "";
  return recorded === "rop" ? `resume with ${nativeOff}DYNC_ROP_HVP unset` : `resume with ${nativeOff}DYNC_ROP_HVP=0`;
}
