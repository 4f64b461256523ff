/**
 * The messages between the run pool (pool.ts, main thread) and its workers (pool-worker.ts), and the
 * worker-side sinks that turn a run's recorder and result calls into those messages.
 *
 * A worker forwards every `RunSink` call as an operation, with its own timestamps for `beginRun`/`endRun`,
 * and the result rows without their sweep point (the main thread re-attaches its own `RunSpec.point`).
 * Operations are batched and posted at each recorder call, so a worker that dies loses at most the rows
 * of the call it was in.
 */
import type { BackendName } from "../runtime/backend.js";
import { asNpy, type RunStatus, type ScalarRecord, type SweepValue, type TensorRecord } from "../runtime/record/index.js";
import type { NpyData } from "../runtime/npy.js";
import type { HvpPathCounts, StepPathCounts } from "../contract/model.js";
import type { ResultRow } from "../runtime/analysis/results.js";
import type { InterruptSignal } from "./interrupt.js";
import type { CheckpointSetup } from "./checkpoint.js";
import type { RunOutcome } from "./run.js";
import type { ResultSink, RunSink } from "./run-sink.js";
import type { RunProgress } from "./live-view.js";

/** What a worker is started with (`workerData`). */
export interface WorkerSetup {
  /** URL of the generated module that exports `experiments`. */
  readonly moduleUrl: string;
  readonly experiment: string;
  readonly profile: string;
  /** The backend the main thread selected; each worker initialises the same one. */
  readonly backend: BackendName;
  readonly dataRoot: string;
  /** Forward progress lines (off with --quiet). */
  readonly progress: boolean;
  /** Where and how often the runs checkpoint. */
  readonly checkpoints?: CheckpointSetup;
  /** The run directory, where runs hand values to each other (handoff.ts). */
  readonly handoffDir?: string;
}

/** One forwarded recorder or result call. */
export type RunOp =
  | { readonly kind: "begin"; readonly run: string; readonly sweep: Record<string, SweepValue>; readonly seeds: number[]; readonly atMs: number }
  | { readonly kind: "end"; readonly run: string; readonly status: Exclude<RunStatus, "running">; readonly message?: string; readonly atMs: number }
  | { readonly kind: "scalars"; readonly record: Omit<ScalarRecord, "seed" | "value"> & { seeds: number[]; values: number[] } }
  | { readonly kind: "tensor"; readonly record: Omit<TensorRecord, "data" | "shape"> & { data: NpyData; shape: readonly number[] } }
  | { readonly kind: "rows"; readonly rows: Omit<ResultRow, "point">[] }
  | { readonly kind: "total"; readonly run: string; readonly steps: number; readonly stepsPerEpoch: number }
  | { readonly kind: "step"; readonly run: string; readonly counts: StepPathCounts }
  | { readonly kind: "hvp"; readonly run: string; readonly counts: HvpPathCounts }
  | { readonly kind: "permutation"; readonly run: string; readonly dataset: string; readonly seed: number; readonly permutation: Int32Array }
  /** The run took a checkpoint at `step` after the operations before this one, written pending (runner/checkpoint.ts). */
  | { readonly kind: "checkpoint"; readonly run: string; readonly step: number };

/** One forwarded `RunProgress` call (live-view.ts). */
export type ProgressCall =
  | { readonly kind: "start"; readonly run: string; readonly total: number; readonly from: number }
  | { readonly kind: "step"; readonly run: string; readonly step: number; readonly loss: readonly number[] | null }
  | { readonly kind: "end"; readonly run: string; readonly done: number; readonly note?: string }
  | { readonly kind: "drop"; readonly run: string };

/** The worker's `RunProgress`: every call posted to the main thread's live view. */
export function forwardingProgress(post: (message: FromWorker) => void): RunProgress {
  const send = (call: ProgressCall) => post({ type: "progress", call });
  return {
    start: (run, total, from) => send({ kind: "start", run, total, from }),
    step: (run, step, loss) => send({ kind: "step", run, step, loss }),
    end: (run, done, note) => send({ kind: "end", run, done, ...(note === undefined ? {} : { note }) }),
    drop: (run) => send({ kind: "drop", run }),
  };
}

/** Replays a forwarded call on the main thread's view. */
export function replayProgress(view: RunProgress, call: ProgressCall): void {
  if (call.kind === "start") view.start(call.run, call.total, call.from);
  else if (call.kind === "step") view.step(call.run, call.step, call.loss);
  else if (call.kind === "end") view.end(call.run, call.done, call.note);
  else view.drop(call.run);
}

/** Main thread → worker: train run `index` (plan index; `resume`: from its checkpoint); or stop the run in training at its next step boundary (a signal). */
export type ToWorker = { readonly type: "run"; readonly index: number; readonly resume?: boolean } | { readonly type: "stop"; readonly signal: InterruptSignal };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "init-failed"; readonly message: string }
  | { readonly type: "ops"; readonly index: number; readonly ops: RunOp[] }
  | { readonly type: "progress"; readonly call: ProgressCall }
  | { readonly type: "done"; readonly index: number; readonly outcome: RunOutcome };

/** The worker's `RunSink` and `ResultSink` for run `index`: every call becomes a `RunOp` posted to `post`. */
export class ForwardingSinks implements RunSink, ResultSink {
  readonly totalSteps: Record<string, number> = {};
  private pending: RunOp[] = [];
  private rows: Omit<ResultRow, "point">[] = [];

  constructor(
    private readonly index: number,
    private readonly post: (message: FromWorker) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  beginRun(run: string, sweep: Readonly<Record<string, SweepValue>>, seeds: readonly number[]): void {
    this.push({ kind: "begin", run, sweep: { ...sweep }, seeds: [...seeds], atMs: this.clock() });
  }

  endRun(run: string, status: Exclude<RunStatus, "running">, message?: string): void {
    this.push({ kind: "end", run, status, ...(message === undefined ? {} : { message }), atMs: this.clock() });
  }

  labelPermutation(run: string, dataset: string, seed: number, permutation: Int32Array): void {
    this.push({ kind: "permutation", run, dataset, seed, permutation });
  }

  runTrainingStep(run: string, counts: StepPathCounts): void {
    this.push({ kind: "step", run, counts: { ...counts } });
  }

  runHvpPaths(run: string, counts: HvpPathCounts): void {
    this.push({ kind: "hvp", run, counts: { ...counts } });
  }

  /** The run wrote a pending checkpoint at `step`: the main thread promotes it once it has recorded what came before. */
  checkpointed(run: string, step: number): void {
    this.push({ kind: "checkpoint", run, step });
  }

  seedScalars(record: Omit<ScalarRecord, "seed" | "value"> & { seeds: readonly number[]; values: ArrayLike<number> }): void {
    this.push({ kind: "scalars", record: { ...record, seeds: [...record.seeds], values: Array.from(record.values) } });
  }

  /** Tensors travel as typed arrays (a tfjs tensor is read back here, in the thread that owns it). */
  tensor(record: TensorRecord): void {
    const { data, shape } = asNpy(record);
    const { data: _data, shape: _shape, ...rest } = record;
    this.push({ kind: "tensor", record: { ...rest, data: ownBuffer(data), shape: [...shape] } });
  }

  add(row: ResultRow): void {
    const { point: _point, ...rest } = row;
    this.rows.push(rest);
  }

  setTotalSteps(run: string, steps: number, stepsPerEpoch: number): void {
    this.totalSteps[run] = steps;
    this.pending.push({ kind: "total", run, steps, stepsPerEpoch });
  }

  /** Post everything not yet posted. */
  flush(): void {
    if (this.rows.length > 0) {
      this.pending.push({ kind: "rows", rows: this.rows });
      this.rows = [];
    }
    if (this.pending.length === 0) return;
    this.post({ type: "ops", index: this.index, ops: this.pending });
    this.pending = [];
  }

  private push(op: RunOp): void {
    // Rows added before this call belong before it (the order within each kind is what matters).
    if (this.rows.length > 0) {
      this.pending.push({ kind: "rows", rows: this.rows });
      this.rows = [];
    }
    this.pending.push(op);
    this.flush();
  }
}

/** A typed array that owns its whole buffer: cloning a view into a larger buffer would copy all of it. */
function ownBuffer(data: NpyData): NpyData {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : (data.slice() as NpyData);
}
