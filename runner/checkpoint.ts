/**
 * A run's checkpoint: the training loop's snapshot (runtime/train/checkpoint.ts) plus what the runner keeps
 * per run — each probe's state (`save`/`restore`), the recorder's (diverged seeds, fired events, recorded
 * shapes) and how many metrics rows the run had written — in `<run dir>/checkpoints/<run>.ckpt`
 * (runtime/record/checkpoint-file.ts; on a pool worker pending beside it until those rows are written, see
 * `pendingCheckpointPath`), and the plan hash that ties a run directory to its program.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DyncRuntimeError } from "../runtime/errors.js";
import { readCheckpointFile, writeCheckpointFile } from "../runtime/record/index.js";
import type { TrainingSnapshot } from "../runtime/train/index.js";
import { checkpointCadence, type CheckpointCadence, type CheckpointSpec, type ExperimentProgram, type ProfilePlan, type RunSpec } from "../contract/program.js";
import type { RecorderState } from "./run-recorder.js";

export const CHECKPOINT_FORMAT = "dync-checkpoint/1";

export interface RunCheckpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly run: string;
  /** `planHash` of the program that wrote it. */
  readonly planHash: string;
  /** Metrics rows this run had written when the snapshot was taken (its rows after those are cut on resume). */
  readonly rows: number;
  readonly training: TrainingSnapshot;
  /** `ProbeInstance.save()` per probe name. */
  readonly probes: Readonly<Record<string, unknown>>;
  readonly recorder: RecorderState;
  /** The index sets found during the run and the rows they are still to be found from (runner/found-sets.ts); absent when it finds none. */
  readonly sets?: unknown;
}

/** Where checkpoints live, how often to take them, and the hash they are stamped with. */
export interface CheckpointSetup {
  /** The run directory. */
  readonly dir: string;
  readonly planHash: string;
  /** `--checkpoint-every N`: overrides each run's own `checkpoint every` (in steps). */
  readonly everySteps?: number;
}

/** The checkpoint file of run `run` in the run directory `dir`. */
export function checkpointPath(dir: string, run: string): string {
  return join(dir, "checkpoints", `${encodeURIComponent(run)}.ckpt`);
}

/**
 * Where `--resume` keeps the rows of a run it holds back (runner/resume.ts) until they are written back: beside
 * its checkpoint, so a resume killed before then still has them.
 */
export function heldRowsPath(dir: string, run: string): string {
  return join(dir, "checkpoints", `${encodeURIComponent(run)}.held`);
}

/**
 * When `run` checkpoints in a run of `totalSteps` steps: every N steps of the command line's override, else as its
 * `checkpoint every` says (N steps or epochs, or a share of training); undefined: never.
 */
export function checkpointCadenceOf(run: RunSpec, totalSteps: number, stepsPerEpoch: number, override: number | undefined): CheckpointCadence | undefined {
  if (override !== undefined) return { every: override };
  const spec: CheckpointSpec | null | undefined = run.checkpoint;
  return spec ? checkpointCadence(spec, totalSteps, stepsPerEpoch) : undefined;
}

export function writeRunCheckpoint(dir: string, checkpoint: RunCheckpoint): void {
  writeCheckpointFile(checkpointPath(dir, checkpoint.run), checkpoint);
}

/**
 * A checkpoint is usable only while the files hold the rows it counts (`rows`), so on a pool worker, whose rows
 * the main thread records later (and a later run's only after every run before it), a checkpoint is written
 * *pending* beside the run's checkpoint, and the main thread promotes it to `<run>.ckpt` once it has recorded
 * the rows before it (`promoteCheckpoint`). Until then the run's previous checkpoint stays: the one a resumed
 * run's held rows belong to (runner/resume.ts), or the last one whose rows are in the files.
 */
export function pendingCheckpointPath(dir: string, run: string, step: number): string {
  return `${checkpointPath(dir, run)}.${step}${PENDING}`;
}

const PENDING = ".pending";

export function writePendingCheckpoint(dir: string, checkpoint: RunCheckpoint): void {
  writeCheckpointFile(pendingCheckpointPath(dir, checkpoint.run, checkpoint.training.step), checkpoint);
}

/**
 * The rows before `run`'s checkpoint at `step` are recorded: that checkpoint replaces the run's previous one. Gone
 * already: the worker took a later one meanwhile and dropped it (that one is promoted in its turn).
 */
export function promoteCheckpoint(dir: string, run: string, step: number): void {
  try {
    renameSync(pendingCheckpointPath(dir, run, step), checkpointPath(dir, run));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new DyncRuntimeError("RUN032", `cannot make ${pendingCheckpointPath(dir, run, step)} the checkpoint of run ${run}: ${(error as Error).message}`, "check that the run directory is writable");
  }
}

/** A pending checkpoint a later one of the same run superseded (promoted already, or never to be). */
export function dropPendingCheckpoint(dir: string, run: string, step: number): void {
  rmSync(pendingCheckpointPath(dir, run, step), { force: true });
}

/** Delete the pending checkpoints a killed process left (their rows were never recorded): `--resume` does, before it trains. */
export function dropAllPendingCheckpoints(dir: string): void {
  const folder = join(dir, "checkpoints");
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) if (name.endsWith(PENDING) || name.endsWith(`${PENDING}.tmp`)) rmSync(join(folder, name), { force: true });
}

/**
 * The checkpoint of `run` in `dir`, or null when it has none. RUN032 when it is unreadable or belongs to
 * another run; null (restart from step 0) when it was written by another program (another plan hash).
 */
export function readRunCheckpoint(dir: string, run: string, planHash: string): RunCheckpoint | null {
  const path = checkpointPath(dir, run);
  if (!existsSync(path)) return null;
  const value = readCheckpointFile(path) as Partial<RunCheckpoint> | null;
  if (!value || value.format !== CHECKPOINT_FORMAT || value.run !== run || typeof value.rows !== "number" || !value.training) {
    throw new DyncRuntimeError("RUN032", `${path} is not a checkpoint of run ${run} (format ${CHECKPOINT_FORMAT})`, "delete it to restart that run from step 0");
  }
  return value.planHash === planHash ? (value as RunCheckpoint) : null;
}

/**
 * The checkpoint `--resume` found for `run` and continues from (its rows before it are in the files or held):
 * RUN032 if it is gone meanwhile, rather than train from step 0 after rows that step 0 would write again.
 */
export function requireCheckpoint(dir: string, run: string, planHash: string): RunCheckpoint {
  const checkpoint = readRunCheckpoint(dir, run, planHash);
  if (!checkpoint) throw new DyncRuntimeError("RUN032", `the checkpoint of run ${run} (${checkpointPath(dir, run)}) that --resume continues from is gone`, "resume again: that run then restarts from step 0");
  return checkpoint;
}

/**
 * A hash of everything that decides a profile's measurements: the experiment's name, seeds and runs (data,
 * model, optimizer, schedule, probes, events) and its target functions (by their code). Left out: what
 * changes no measurement — a checkpoint cadence (so one can be added to resume a run started without),
 * source line numbers (an added comment), analyses, expects and plots (evaluated afresh at the end).
 */
export function planHash(program: ExperimentProgram, plan: ProfilePlan): string {
  const runs = plan.runs.map(({ checkpoint: _checkpoint, ...rest }) => rest);
  const measured = { experiment: program.name, seeds: plan.seeds, runs, targets: program.targets };
  const text = JSON.stringify(measured, (key, value: unknown) =>
    key === "line" && typeof value === "number" ? undefined : typeof value === "function" ? `fn:${String(value)}` : value,
  );
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}
