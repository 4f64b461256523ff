/**
 * `dync run --resume DIR`: continue a run directory that a kill, a crash or a signal left unfinished, so
 * that it ends byte for byte as an uninterrupted run on the same backend would have.
 *
 * The files are in run order (pool.ts writes them so), which decides what can be kept:
 *   1. the runs before the first unfinished one (in plan order) are kept whole: their rows, .npy files and
 *      manifest entries (`ok`, `diverged` and `failed` runs stay as they were);
 *   2. the first unfinished run continues from its checkpoint when the files hold its rows up to that
 *      checkpoint, else it restarts from step 0;
 *   3. every later run likewise continues from its own checkpoint when the files hold its rows up to it
 *      (after a signal with `--jobs N` the runs the other workers were training follow the first unfinished
 *      run's rows, each up to the checkpoint taken where it stopped); those rows are *held*: cut from the
 *      files here and written back, byte for byte, when the run begins again (the recorder does it, in run
 *      order, after the runs before it), so the order stays the uninterrupted one. Other later runs are
 *      trained again from step 0 (after a SIGKILL, a later run's rows were never written).
 * Rows after what is kept are cut from metrics.csv and metrics.jsonl (a torn last row with them), .npy files
 * of runs not kept that no kept or held row names are deleted, and the manifest is rewritten (before the
 * cut: a second kill meanwhile leaves a directory this same procedure resumes). Held rows are saved beside
 * their run's checkpoint (`checkpoints/<run>.held`) before they are cut, and that file is deleted once the
 * recorder has written them back; so when the resuming process is killed too, the next resume finds them
 * there for a run whose rows the files lack and whose checkpoint is still the one they were held for (the
 * first unfinished run gets them appended to the files, a later one holds them again).
 *
 * It still is that one when the run checkpoints again before its held rows are written back (on a pool worker,
 * while the runs before it train): a worker's checkpoint is only *pending* until the main thread has written the
 * rows before it, held rows included (runner/checkpoint.ts `promoteCheckpoint`), so `<run>.ckpt` is always one
 * whose rows the files or the held copy have. Killed outright meanwhile, the run continues from the checkpoint
 * its rows were held for and trains its steps since again (their rows were in memory only); stopped by a signal,
 * every row is written in run order and it continues from where it stopped. (The old checkpoint is kept beside
 * the new one until the new one's rows are safe. Extending the held copy with the run's rows since, at each new
 * checkpoint, would also save those steps after a SIGKILL, but needs the main thread to write a run's rows and
 * .npy files out of run order, for held runs only; no measurement is lost either way, only steps trained twice.)
 * The cut deletes what a killed process left that no checkpoint needs: pending checkpoints, unused held copies.
 */
import { appendFileSync, existsSync, rmSync, truncateSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DyncRuntimeError } from "../runtime/errors.js";
import { gemmOf, matmulPathOf } from "../runtime/kernels/native.js";
import { pathSegment, readCheckpointFile, runPaths, stepsPath, writeCheckpointFile, writeManifest, type Manifest, type RunEntry } from "../runtime/record/index.js";
import type { ResultCollector } from "../runtime/analysis/results.js";
import type { ExperimentProgram, ProfilePlan } from "../contract/program.js";
import { loadResults, readManifest, tensorFiles } from "../report/run-files.js";
import { dropAllPendingCheckpoints, heldRowsPath, readRunCheckpoint, type RunCheckpoint } from "./checkpoint.js";
import { curvatureMismatch, dyncKernelsMismatch, type ResumeCurvature } from "./resume-kernels.js";
import type { RunOutcome } from "./run.js";
import type { StepPathCounts, TrainingStepPath } from "../contract/model.js";

/** What resuming a directory amounts to. */
export type ResumeState =
  | { readonly kind: "finished"; readonly manifest: Manifest }
  | {
      readonly kind: "resume";
      /** The manifest to continue with: the kept runs, status `running`. */
      readonly manifest: Manifest;
      /** Plan index of the first run to train; the runs before it are kept. */
      readonly first: number;
      /** The checkpoint that run continues from, or null (step 0). */
      readonly checkpoint: RunCheckpoint | null;
      /** Metrics rows kept in the files. */
      readonly metricRows: number;
      /** Later runs that continue from their checkpoints, by run id, with their rows before it (held). */
      readonly held: ReadonlyMap<string, HeldRun>;
      /** The first run's rows up to its checkpoint when an earlier resume held them (saved), not in the files: appended by the cut. */
      readonly restored?: HeldRows;
      readonly planHash: string;
    };

/**
 * A run after the first unfinished one that continues from its checkpoint (the step it was taken at), and its
 * rows up to that checkpoint. The checkpoint itself is read again where the run trains (a worker reads its
 * own): kept here for every such run, a sweep of large models would hold all their parameters at once.
 */
export interface HeldRun {
  readonly step: number;
  readonly rows: HeldRows;
  /** How many of its updates before the checkpoint each training step served (absent: an older checkpoint). */
  readonly stepPaths?: StepPathCounts;
}

/** Whole metrics rows as the files held them (the same rows in both), to be written back unchanged. */
export interface HeldRows {
  readonly csv: Buffer;
  readonly jsonl: Buffer;
  readonly count: number;
  /** The .npy files they name (a stacked array's steps file included). */
  readonly files: readonly string[];
}

const FINISHED: ReadonlySet<string> = new Set(["ok", "diverged", "failed"]);

/**
 * Check that `dir` was written by this program and profile, and say what resuming it means; nothing is
 * changed on disk (see `cutForResume`). RUN010/RUN011 for a directory that is not a run, RUN031 for another program.
 */
export function inspectResume(dir: string, program: ExperimentProgram, profile: string, plan: ProfilePlan, hash: string): ResumeState {
  const manifest = readManifest(dir);
  const recordedProfile = (manifest.config as { profile?: unknown } | null)?.profile;
  if (manifest.experiment !== program.name || recordedProfile !== profile) {
    throw mismatch(dir, `it holds experiment ${manifest.experiment}, profile ${String(recordedProfile)}; this is experiment ${program.name}, profile ${profile}`);
  }
  if (manifest.planHash === undefined) throw mismatch(dir, "its manifest has no plan hash (it was written by an older dync)");
  if (manifest.planHash !== hash) {
    throw mismatch(dir, "it was written by a different program (the plan hash differs: a model, data set, optimizer, probe, seed or sweep changed)");
  }
  const entries = new Map(manifest.runs.map((e) => [e.run, e]));
  let first = plan.runs.findIndex((run) => !FINISHED.has(entries.get(run.id)?.status ?? "running"));
  if (first < 0) first = plan.runs.length;
  // `failed` with runs left is an experiment stopped by an error (a full disk): resumable like a kill.
  if (manifest.status !== "running" && manifest.status !== "interrupted" && first === plan.runs.length) return { kind: "finished", manifest };
  const kept = new Set(plan.runs.slice(0, first).map((r) => r.id));
  const rows = metricRows(dir);
  const keptRows = rows.findIndex((r) => !kept.has(r.run));
  const prefix = keptRows < 0 ? rows.length : keptRows;
  if (rows.slice(prefix).some((r) => kept.has(r.run))) throw new DyncRuntimeError("RUN011", `${runPaths(dir).metricsJsonl}: the runs' rows are not in run order`);
  const runId = plan.runs[first]?.id;
  let own = 0;
  while (runId !== undefined && prefix + own < rows.length && rows[prefix + own]!.run === runId) own++;
  const found = runId === undefined ? null : readRunCheckpoint(dir, runId, hash);
  const inFiles = found && found.rows <= own ? found : null;
  // Rows an earlier resume held for this run and never wrote back (it was killed first): saved beside the checkpoint.
  const restored = !inFiles && found && own === 0 ? savedHeldRows(dir, runId!, hash, found) : undefined;
  const checkpoint = inFiles ?? (restored ? found : null);
  const held = heldRuns(dir, plan.runs.slice(first + 1).map((r) => r.id), rows, prefix + own, hash);
  const resumed: Manifest = {
    ...manifest,
    runs: manifest.runs.filter((e) => kept.has(e.run)),
    status: "running",
    resumes: [...(manifest.resumes ?? []), { at: new Date().toISOString(), run: runId ?? null, step: checkpoint?.training.step ?? 0 }],
  };
  for (const key of ["endedAt", "durationMs", "message", "expects", "analysisErrors"] as const) delete (resumed as unknown as Record<string, unknown>)[key];
  return { kind: "resume", manifest: resumed, first, checkpoint, metricRows: prefix + (checkpoint?.rows ?? 0), held, planHash: hash, ...(restored ? { restored } : {}) };
}

/**
 * The later runs (`runs`, in plan order) whose rows follow from row `start` on, each run's in one block, and
 * whose checkpoint lies within its block: they continue from it, their rows up to it held (file comment, 3).
 */
function heldRuns(dir: string, runs: readonly string[], rows: readonly MetricRow[], start: number, hash: string): Map<string, HeldRun> {
  const held = new Map<string, HeldRun>();
  const csv = readFileSync(runPaths(dir).metricsCsv);
  const jsonl = readFileSync(runPaths(dir).metricsJsonl);
  let at = start;
  for (const run of runs) {
    let count = 0;
    while (at + count < rows.length && rows[at + count]!.run === run) count++;
    // Without rows in the files (a SIGKILL with --jobs N) the run restarts whatever its checkpoint says, unless
    // an earlier resume saved them as held rows for that very checkpoint.
    const checkpoint = count > 0 || existsSync(heldRowsPath(dir, run)) ? readRunCheckpoint(dir, run, hash) : null;
    const rowsBefore = !checkpoint ? undefined : count > 0 ? (checkpoint.rows <= count ? rowBytes(csv, jsonl, rows, at, at + checkpoint.rows) : undefined) : savedHeldRows(dir, run, hash, checkpoint);
    if (checkpoint && rowsBefore) {
      const { step, stepPaths } = checkpoint.training;
      held.set(run, { step, rows: rowsBefore, ...(stepPaths ? { stepPaths } : {}) });
    }
    at += count;
  }
  return held;
}

/** Rows [from, to) of both files, as bytes. */
function rowBytes(csv: Buffer, jsonl: Buffer, rows: readonly MetricRow[], from: number, to: number): HeldRows {
  const csvStart = from === 0 ? csvRowEnds(csv)[0] ?? 0 : rows[from - 1]!.csvEnd;
  const jsonlStart = from === 0 ? 0 : rows[from - 1]!.jsonlEnd;
  const csvEnd = to === from ? csvStart : rows[to - 1]!.csvEnd;
  const jsonlEnd = to === from ? jsonlStart : rows[to - 1]!.jsonlEnd;
  const files = rows.slice(from, to).flatMap((r) => (r.file === null ? [] : [r.file, stepsPath(r.file)]));
  return { csv: Buffer.from(csv.subarray(csvStart, csvEnd)), jsonl: Buffer.from(jsonl.subarray(jsonlStart, jsonlEnd)), count: to - from, files };
}

/**
 * Make the directory hold exactly what `state` keeps: the manifest first, then metrics.csv/jsonl cut after
 * the kept rows, then the .npy files of the runs trained again that no kept row names (a stacked array keeps
 * its steps file).
 */
export function cutForResume(dir: string, plan: ProfilePlan, state: Extract<ResumeState, { kind: "resume" }>): void {
  const paths = runPaths(dir);
  for (const [run, held] of state.held) saveHeldRows(dir, run, state.planHash, held); // before they are cut
  writeManifest(paths.manifest, state.manifest);
  const rows = metricRows(dir);
  const inFiles = state.metricRows - (state.restored?.count ?? 0);
  const keep = rows.slice(0, inFiles);
  truncateSync(paths.metricsCsv, inFiles === 0 ? headerBytes(paths.metricsCsv) : keep.at(-1)!.csvEnd);
  truncateSync(paths.metricsJsonl, inFiles === 0 ? 0 : keep.at(-1)!.jsonlEnd);
  if (state.restored) {
    appendFileSync(paths.metricsCsv, state.restored.csv);
    appendFileSync(paths.metricsJsonl, state.restored.jsonl);
    forgetHeldRows(dir, state.checkpoint!.run);
  }
  // A stacked array's steps file is named by no row; it goes with its array (runtime/record/stacked.ts).
  const heldFiles = [...state.held.values(), ...(state.restored ? [{ rows: state.restored }] : [])].flatMap((h) => h.rows.files);
  const named = new Set([...keep.flatMap((r) => (r.file === null ? [] : [r.file, stepsPath(r.file)])), ...heldFiles]);
  const redone = new Set(plan.runs.slice(state.first).map((r) => pathSegment(r.id)));
  for (const file of tensorFiles(dir)) {
    const runSegment = file.split("/").at(-2)!;
    if (redone.has(runSegment) && !named.has(file)) rmSync(join(dir, file), { force: true });
  }
  // What a killed process left that no longer belongs to a checkpoint: pending checkpoints (their rows were never
  // recorded) and saved held rows of runs not held now (written back already, or for a checkpoint since replaced).
  dropAllPendingCheckpoints(dir);
  for (const run of plan.runs.slice(state.first)) if (!state.held.has(run.id)) forgetHeldRows(dir, run.id);
}

/** Held rows as saved beside their run's checkpoint, for the checkpoint at `step` after `count` rows. */
interface SavedHeldRows {
  readonly format: typeof HELD_FORMAT;
  readonly run: string;
  readonly planHash: string;
  readonly step: number;
  readonly count: number;
  readonly csv: Uint8Array;
  readonly jsonl: Uint8Array;
  readonly files: readonly string[];
}

const HELD_FORMAT = "dync-held-rows/1";

/** Write `held`'s rows to `checkpoints/<run>.held` (atomically, fsynced, as a checkpoint is). */
function saveHeldRows(dir: string, run: string, planHash: string, held: HeldRun): void {
  const { csv, jsonl, count, files } = held.rows;
  const saved: SavedHeldRows = { format: HELD_FORMAT, run, planHash, step: held.step, count, csv: new Uint8Array(csv), jsonl: new Uint8Array(jsonl), files };
  writeCheckpointFile(heldRowsPath(dir, run), saved);
}

/** The rows saved for `run` if they are those before `checkpoint` (same plan, step and row count); else undefined (it restarts). */
function savedHeldRows(dir: string, run: string, planHash: string, checkpoint: RunCheckpoint): HeldRows | undefined {
  const path = heldRowsPath(dir, run);
  if (!existsSync(path)) return undefined;
  let saved: Partial<SavedHeldRows> | null;
  try {
    saved = readCheckpointFile(path) as Partial<SavedHeldRows> | null;
  } catch {
    return undefined; // unreadable: the run trains again from step 0, which gives the same rows
  }
  const matches = saved?.format === HELD_FORMAT && saved.run === run && saved.planHash === planHash && saved.step === checkpoint.training.step && saved.count === checkpoint.rows;
  if (!matches || !(saved!.csv instanceof Uint8Array) || !(saved!.jsonl instanceof Uint8Array)) return undefined;
  return { csv: Buffer.from(saved!.csv), jsonl: Buffer.from(saved!.jsonl), count: saved!.count!, files: [...(saved!.files ?? [])] };
}

/** Once the recorder wrote `run`'s held rows back to the files, their saved copy is no longer needed. */
export function forgetHeldRows(dir: string, run: string): void {
  rmSync(heldRowsPath(dir, run), { force: true });
}

/**
 * After `cutForResume`: the kept rows back in the result table (as the first pass had them in memory:
 * scalars, and per-unit .npy vectors expanded), each kept run's steps, and its outcome as first reported.
 */
export function restoreKeptResults(dir: string, plan: ProfilePlan, state: Extract<ResumeState, { kind: "resume" }>, results: ResultCollector): RunOutcome[] {
  const { manifest } = state;
  for (const entry of manifest.runs) if (entry.steps !== undefined) results.setTotalSteps(entry.run, entry.steps, entry.stepsPerEpoch);
  const points = new Map(plan.runs.map((r) => [r.id, r.point]));
  for (const row of loadResults(dir, manifest, {}, plan).rows) results.add({ ...row, point: points.get(row.run) ?? row.point });
  return manifest.runs.map((entry) => keptOutcome(entry, plan));
}

/**
 * After the recorder wrote run `run`'s held rows back (as it begins again): those rows into the result
 * table, at the place in it the uninterrupted run gives them (before the run's later rows).
 */
export function restoreHeldResults(dir: string, plan: ProfilePlan, manifest: Manifest, run: string, results: ResultCollector): void {
  const point = plan.runs.find((r) => r.id === run)?.point;
  for (const row of loadResults(dir, manifest, {}, plan).rows) if (row.run === run) results.add({ ...row, point: point ?? row.point });
}

function keptOutcome(entry: RunEntry, plan: ProfilePlan): RunOutcome {
  const diverged = (entry.diverged ?? []).map(({ seed, step }) => ({ seed, step, seedIndex: plan.seeds.indexOf(seed) }));
  return { id: entry.run, status: entry.status as RunOutcome["status"], ...(entry.message === undefined ? {} : { message: entry.message }), diverged, totalSteps: entry.steps ?? 0 };
}

/** What `--resume` knows of the training steps a directory's runs took, and what this process would take. */
export interface ResumeSteps {
  /** Each run trained before the resume (kept, or continuing from a checkpoint) with the paths that served it. */
  readonly recorded: ReadonlyMap<string, readonly TrainingStepPath[]>;
  /** The path this process would train run `id` with (runtime/train `trainingStepPath`). */
  readonly predict: (id: string) => TrainingStepPath;
}

/**
 * The runs of a resumed directory that record their training step: the kept runs' manifest entries (`step`,
 * each path of a `mixed` one) and the checkpoints the first unfinished run and the held runs continue from.
 */
export function recordedSteps(state: Extract<ResumeState, { kind: "resume" }>): Map<string, readonly TrainingStepPath[]> {
  const served = (counts: StepPathCounts | undefined): TrainingStepPath[] => Object.entries(counts ?? {}).filter(([, n]) => n !== undefined && n > 0).map(([path]) => path as TrainingStepPath);
  const recorded = new Map<string, readonly TrainingStepPath[]>();
  for (const entry of state.manifest.runs) {
    const paths = entry.step === "mixed" ? served(entry.stepCounts) : entry.step === undefined ? [] : [entry.step];
    if (paths.length > 0) recorded.set(entry.run, paths);
  }
  const continuing: [string, StepPathCounts | undefined][] = [...state.held].map(([run, held]) => [run, held.stepPaths]);
  if (state.checkpoint) continuing.push([state.checkpoint.run, state.checkpoint.training.stepPaths]);
  for (const [run, counts] of continuing) if (served(counts).length > 0) recorded.set(run, served(counts));
  return recorded;
}

/**
 * The backend must be the one that wrote the directory: another would mix two backends' float32 roundings. On
 * wasm that includes the matmul path (native or wasm; directories written before it was recorded ran on wasm)
 * and, on the native path, its library and kernels and their revision; and the training step: each run that
 * recorded the step it trained with (`steps`) must be one this process would train with the same step; a
 * directory whose runs recorded none (written before they were recorded, or killed before any run ended or
 * checkpointed) falls back to what the whole process offered (`backend.fusedStep` on the native path: fused
 * native or taped); and, where the plan (`curvature`; without it every run counts) measures with them, the paths of
 * its Hessian-vector products and its Lanczos reorthogonalisation, and dync's wasm kernels' revision
 * (./resume-kernels.ts).
 */
export function checkResumeBackend(dir: string, manifest: Manifest, backend: Readonly<Record<string, unknown>> & { readonly name: string }, steps?: ResumeSteps, curvature?: ResumeCurvature): void {
  const same = (key: string) => manifest.backend[key] === backend[key];
  const matmulPath = (b: Readonly<Record<string, unknown>>) => matmulPathOf(b["matmul"] as { path?: string } | undefined);
  if (manifest.backend.name === "wasm" && backend.name === "wasm" && matmulPath(manifest.backend) !== matmulPath(backend)) {
    throw mismatch(
      dir,
      `its matrix products ran on the ${matmulPath(manifest.backend)} path, this process runs them on the ${matmulPath(backend)} path`,
      matmulPath(manifest.backend) === "wasm" ? "resume with DYNC_NATIVE=0" : "resume where dync's native addon is built (npm run native)",
    );
  }
  if (matmulPath(manifest.backend) === "native" && matmulPath(backend) === "native") checkResumeNativeKernels(dir, manifest.backend["matmul"] as NativeMatMulRecord, backend["matmul"] as NativeMatMulRecord);
  // On the native path, the training step too: the fused native MLP step sums in another order than the tape
  // (directories written before it was recorded trained on the tape).
  const stepPath = (b: Readonly<Record<string, unknown>>) => (b["fusedStep"] as { path?: string } | undefined)?.path ?? "taped";
  const perRun = steps !== undefined && steps.recorded.size > 0;
  if (!perRun && matmulPath(backend) === "native" && stepPath(manifest.backend) !== stepPath(backend)) {
    throw mismatch(
      dir,
      `its dense MLPs trained with the ${stepPath(manifest.backend)} step, this process uses the ${stepPath(backend)} one`,
      stepPath(manifest.backend) === "taped" ? "resume with DYNC_FUSED_STEP=0" : "resume where the fused-step addon is built (npm run native) and DYNC_FUSED_STEP is unset",
    );
  }
  if (!same("name") || !same("simd") || !same("dyncKernels")) {
    const describe = (b: Readonly<Record<string, unknown>> & { readonly name: string }) => `${b.name}${b.name === "wasm" ? ` (simd ${String(b["simd"])}, dync kernels ${String(b["dyncKernels"])})` : ""}`;
    throw mismatch(dir, `it was recorded on ${describe(manifest.backend)}, this process runs ${describe(backend)}`, `resume with --backend ${manifest.backend.name} (and the same DYNC_SIMD_KERNELS setting)`);
  }
  // dync's wasm kernels' revision, and the curvature kernels where the plan measures with them (./resume-kernels.ts).
  const kernels = dyncKernelsMismatch(manifest, backend) ?? curvatureMismatch(manifest, backend, curvature);
  if (kernels) throw mismatch(dir, kernels.why, kernels.hint);
  if (perRun) checkRecordedSteps(dir, steps, backend);
}

/** RUN031 for the first recorded run this process would train with another step than the one(s) it recorded. */
function checkRecordedSteps(dir: string, steps: ResumeSteps, backend: Readonly<Record<string, unknown>>): void {
  for (const [run, paths] of steps.recorded) {
    const now = steps.predict(run);
    if (paths.includes(now)) continue;
    const was = paths.length === 1 ? `the ${paths[0]} step` : `the ${paths.join(" and ")} steps`;
    const reason = (backend["fusedStep"] as { reason?: string } | undefined)?.reason;
    const why = now === "taped" && paths.some((p) => p.startsWith("native")) && reason ? ` (${reason})` : "";
    throw mismatch(dir, `run ${run} trained with ${was}, this process would train it with the ${now} step${why}; their float32 sums differ`, stepHint(paths, now));
  }
}

/** How to resume with the step a run recorded (`was`) rather than the one this process offers (`now`). */
function stepHint(was: readonly TrainingStepPath[], now: TrainingStepPath): string {
  if (was.some((p) => p.startsWith("native"))) return "resume where dync's fused-step addon is built (npm run native), with DYNC_FUSED_STEP and DYNC_NATIVE unset";
  if (now.startsWith("native")) return "resume with DYNC_FUSED_STEP=0";
  return "resume with the same DYNC_SIMD_KERNELS setting";
}

/** What a manifest's `backend.matmul` says about the native path (fields absent in older directories). */
interface NativeMatMulRecord {
  readonly gemm?: string;
  readonly library?: string;
  readonly core?: string;
  readonly revision?: number;
}

/**
 * Both sides ran their products natively: the same library (oneDNN or OpenBLAS; older directories ran on
 * OpenBLAS), the same kernels of it (oneDNN's instruction set, OpenBLAS's core; older directories name the core
 * at the end of `library`), and the same revision of dync's own kernels — each sums in its own order.
 */
function checkResumeNativeKernels(dir: string, written: NativeMatMulRecord, current: NativeMatMulRecord): void {
  const core = (m: NativeMatMulRecord) => m.core ?? m.library?.split(" / ").at(-1);
  if (gemmOf(written) !== gemmOf(current)) {
    throw mismatch(dir, `its matrix products ran on ${gemmOf(written)}, this process runs them on ${gemmOf(current)} (they round differently)`, `resume with DYNC_GEMM=${gemmOf(written)}`);
  }
  if (core(written) !== core(current)) {
    throw mismatch(
      dir,
      `its matrix products ran on ${gemmOf(written)}'s ${core(written)} kernels, this process has its ${core(current)} kernels (they round differently)`,
      gemmOf(written) === "openblas" ? `resume with OPENBLAS_CORETYPE=${core(written)?.toUpperCase()}` : "resume on a machine with the same instruction set",
    );
  }
  const revision = (m: NativeMatMulRecord) => m.revision ?? 1;
  if (revision(written) !== revision(current)) {
    throw mismatch(
      dir,
      `its native kernels are revision ${revision(written)}, this dync's are revision ${revision(current)} (they round differently)`,
      "finish it with the dync that wrote it, or start a new run with --out",
    );
  }
}

function mismatch(dir: string, why: string, hint = "resume with the same .dyn file and profile, or start a new run with --out"): DyncRuntimeError {
  return new DyncRuntimeError("RUN031", `cannot resume ${dir}: ${why}`, hint);
}

/** One whole metrics row: its run, its .npy file, and where it ends in each file. */
interface MetricRow {
  readonly run: string;
  readonly file: string | null;
  readonly csvEnd: number;
  readonly jsonlEnd: number;
}

/**
 * The rows both files hold whole, in order (a row cut off by a kill, or written to one file only, is not).
 * JSON lines hold no raw newline; a CSV row may (in a quoted field), so its ends are found quote-aware.
 */
function metricRows(dir: string): MetricRow[] {
  const paths = runPaths(dir);
  const csv = readFileSync(paths.metricsCsv);
  const jsonl = readFileSync(paths.metricsJsonl);
  const csvEnds = csvRowEnds(csv).slice(1); // the first row is the header
  const rows: MetricRow[] = [];
  let start = 0;
  for (let k = 0; k < csvEnds.length; k++) {
    const end = jsonl.indexOf(10, start);
    if (end < 0) break;
    let parsed: { run?: unknown; npy_file?: unknown };
    try {
      parsed = JSON.parse(jsonl.toString("utf8", start, end)) as typeof parsed;
    } catch {
      throw new DyncRuntimeError("RUN011", `${paths.metricsJsonl}: row ${k + 1} is not valid JSON`);
    }
    rows.push({ run: String(parsed.run), file: typeof parsed.npy_file === "string" ? parsed.npy_file : null, csvEnd: csvEnds[k]!, jsonlEnd: end + 1 });
    start = end + 1;
  }
  return rows;
}

/** Byte offsets just past each whole CSV row's newline (quotes respected). */
function csvRowEnds(bytes: Buffer): number[] {
  const ends: number[] = [];
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 34) quoted = !quoted;
    else if (b === 10 && !quoted) ends.push(i + 1);
  }
  return ends;
}

function headerBytes(path: string): number {
  return csvRowEnds(readFileSync(path))[0] ?? 0;
}
