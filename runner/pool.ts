/**
 * Training the runs of a profile on a pool of worker threads, each with its own tfjs backend.
 *
 * Runs are handed out in run order to whichever worker is free. What a worker measures reaches the main
 * thread as forwarded recorder calls (pool-protocol.ts); those of the earliest unfinished run are recorded
 * as they arrive, later runs' are held until every run before them is recorded, so metrics.csv/jsonl,
 * tensors/, the manifest and the result table come out exactly as the serial path writes them. Each run's
 * `startedAt`/`endedAt` are the worker's own timestamps. Progress lines are printed as workers send them
 * (to the live view, live-view.ts, which shows every run in training).
 *
 * Failures: a run that fails or diverges is reported by its worker like in the serial path. A worker that
 * dies (out of memory, a wasm abort) fails the run it was on with RUN060, keeping what that run had
 * recorded; the other runs go on (on a fresh worker if needed).
 *
 * Interrupts (`stop` aborted by SIGINT/SIGTERM/SIGHUP, see interrupt.ts): no further run is started, each
 * busy worker is told to stop at its next step boundary and ends its run `interrupted` after sending every
 * measurement it made; runs other workers had finished are recorded whole. Once every busy worker has
 * answered, everything is recorded in run order and the pool resolves with the outcomes of the runs that
 * started (a prefix of the plan, as runs are handed out in order). A worker that has not answered
 * `stopGraceMs` (default STOP_GRACE_MS) after the signal — stuck in one long computation, or hung — is
 * terminated: its run is recorded `interrupted` with what the worker had sent, so `dync run` never waits
 * forever after SIGTERM.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { BackendName } from "../runtime/backend.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { RunSpec } from "../contract/program.js";
import type { RunRecorder } from "../runtime/record/index.js";
import { replayProgress, type FromWorker, type RunOp, type ToWorker, type WorkerSetup } from "./pool-protocol.js";
import type { RunProgress } from "./live-view.js";
import { interruptSignalOf } from "./interrupt.js";
import { producersOf } from "../contract/handoff.js";
import type { ResultCollector } from "../runtime/analysis/results.js";
import type { RunOutcome } from "./run.js";
import { dropAllPendingCheckpoints, promoteCheckpoint, type CheckpointSetup } from "./checkpoint.js";
import { runLabel } from "../contract/plan.js";

export interface PoolOptions {
  readonly moduleUrl: string;
  readonly experiment: string;
  readonly profile: string;
  readonly backend: BackendName;
  readonly dataRoot: string;
  readonly runs: readonly RunSpec[];
  readonly seeds: readonly number[];
  /** Worker threads to start (at most one per run). */
  readonly jobs: number;
  readonly recorder: RunRecorder;
  readonly results: ResultCollector;
  /** The live view the workers' runs report their progress to; none when quiet. */
  readonly progress?: RunProgress;
  /** Called once per run, in run order, after its measurements are recorded. */
  readonly onRunRecorded?: (outcome: RunOutcome) => void;
  /** Aborted by a signal: stop every worker at its next step boundary (see the file comment). */
  readonly stop?: AbortSignal;
  /** Plan index of `runs[0]` (a resumed directory trains the runs from there on); default 0. */
  readonly firstIndex?: number;
  /** Checkpoints: where and how often (each worker writes its runs' own). */
  readonly checkpoints?: CheckpointSetup;
  /** The runs (by id) that continue from their checkpoints in `checkpoints.dir` (`--resume`). */
  readonly resumed?: ReadonlySet<string>;
  /** Milliseconds a busy worker gets to stop after `stop` is aborted before it is terminated; default STOP_GRACE_MS. */
  readonly stopGraceMs?: number;
  /** The run directory, where runs hand values to each other (handoff.ts). */
  readonly handoffDir?: string;
}

/** How long busy workers get to finish their step after a signal (a step of a large model can take seconds). */
export const STOP_GRACE_MS = 10_000;

/** What the pool knows about one run while it trains. */
interface RunSlot {
  ops: RunOp[];
  begun: boolean;
  ended: boolean;
  outcome?: RunOutcome;
}

/** Train every run on `min(jobs, runs)` workers; the outcomes in run order. */
export function runPool(options: PoolOptions): Promise<RunOutcome[]> {
  return new RunPool(options).start();
}

class RunPool {
  private readonly slots: RunSlot[];
  private readonly workers = new Set<Worker>();
  /** Which run each busy worker is training. */
  private readonly assigned = new Map<Worker, number>();
  /** Runs not yet handed to a worker, in run order. */
  private readonly unstarted: number[];
  /** Workers with nothing to do while the runs left wait for their producers (contract/handoff.ts). */
  private readonly idle: Worker[] = [];
  /** The earliest run not yet fully recorded: its operations are recorded as they arrive. */
  private head = 0;
  private settled = false;
  /** Set once `stop` is aborted: no run is started any more. */
  private stopping = false;
  private resolve!: (outcomes: RunOutcome[]) => void;
  private reject!: (error: unknown) => void;
  private readonly onInterrupt = (): void => this.interrupt();
  /** Per run: the runs of this pool whose values it reads, which must have finished before it starts. */
  private readonly producers: number[][];
  /** Plan index of slot 0 (workers address runs by plan index). */
  private readonly first: number;
  /** After a signal: terminates the workers that have not stopped in time. */
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PoolOptions) {
    this.slots = options.runs.map(() => ({ ops: [], begun: false, ended: false }));
    this.unstarted = options.runs.map((_, i) => i);
    this.first = options.firstIndex ?? 0;
    const position = new Map(options.runs.map((r, i) => [r.id, i] as const));
    // A producer outside this pool (kept by --resume) has finished already.
    this.producers = options.runs.map((r) => producersOf(r).flatMap((id) => (position.has(id) ? [position.get(id)!] : [])));
  }

  start(): Promise<RunOutcome[]> {
    const done = new Promise<RunOutcome[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (this.slots.length === 0) {
      this.resolve([]);
      return done;
    }
    if (this.options.stop?.aborted) {
      this.settle();
      this.resolve([]);
      return done;
    }
    this.options.stop?.addEventListener("abort", this.onInterrupt, { once: true });
    const count = Math.max(1, Math.min(this.options.jobs, this.slots.length));
    for (let i = 0; i < count; i++) this.spawn();
    return done;
  }

  private spawn(): void {
    const setup: WorkerSetup = {
      moduleUrl: this.options.moduleUrl,
      experiment: this.options.experiment,
      profile: this.options.profile,
      backend: this.options.backend,
      dataRoot: this.options.dataRoot,
      progress: this.options.progress !== undefined,
      ...(this.options.checkpoints ? { checkpoints: this.options.checkpoints } : {}),
      ...(this.options.handoffDir !== undefined ? { handoffDir: this.options.handoffDir } : {}),
    };
    const { script, eval: isCode } = workerScript();
    const worker = new Worker(script, { workerData: setup, eval: isCode });
    this.workers.add(worker);
    worker.on("message", (message: FromWorker) => this.guard(() => this.onMessage(worker, message)));
    worker.on("error", (error) => this.guard(() => this.onWorkerDeath(worker, error.message)));
    worker.on("exit", (code) => this.guard(() => this.onWorkerDeath(worker, `exit code ${code}`)));
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case "ready":
        this.assignNext(worker);
        break;
      case "init-failed":
        this.fail(new DyncRuntimeError("RUN060", `a worker thread could not start: ${message.message}`, "run with --jobs 1 to train in this process"));
        break;
      case "progress":
        if (this.options.progress) replayProgress(this.options.progress, message.call);
        break;
      case "ops":
        this.slots[message.index - this.first]!.ops.push(...message.ops);
        if (message.index - this.first === this.head) this.recordHead();
        break;
      case "done":
        this.slots[message.index - this.first]!.outcome = message.outcome;
        this.assigned.delete(worker);
        this.recordHead();
        this.assignNext(worker);
        this.wakeIdle();
        this.finishIfStopped();
        break;
    }
  }

  /** A worker that ends while training a run fails that run; the rest go on, on a fresh worker if needed. */
  private onWorkerDeath(worker: Worker, reason: string): void {
    if (!this.workers.delete(worker)) return; // `error` is followed by `exit`: handle the first
    const index = this.assigned.get(worker);
    this.assigned.delete(worker);
    if (index === undefined) {
      if (this.workers.size === 0 && this.unstarted.length > 0) {
        this.fail(new DyncRuntimeError("RUN060", `a worker thread stopped before training any run (${reason})`, "run with --jobs 1 to train in this process"));
      }
      return;
    }
    const run = this.options.runs[index]!;
    this.closeRun(index, "failed", new DyncRuntimeError("RUN060", `the worker thread training ${runLabel(run.id)} stopped unexpectedly (${reason})`).oneLine());
    this.recordHead();
    if (this.stopping) this.finishIfStopped();
    else if (this.unstarted.length > 0) {
      this.wakeIdle();
      this.spawn();
    }
  }

  /** Ends run `index` whose worker is gone with `status`, keeping the operations the worker had sent. */
  private closeRun(index: number, status: "failed" | "interrupted", message: string): void {
    const run = this.options.runs[index]!;
    const slot = this.slots[index]!;
    const atMs = Date.now();
    this.options.progress?.drop(run.id);
    if (!slot.begun && !slot.ops.some((op) => op.kind === "begin")) slot.ops.unshift({ kind: "begin", run: run.id, sweep: { ...run.point }, seeds: [...this.options.seeds], atMs });
    slot.ops.push({ kind: "end", run: run.id, status, message, atMs });
    slot.outcome = { id: run.id, status, message, diverged: [], totalSteps: this.options.results.totalSteps[run.id] ?? totalStepsOf(slot) };
  }

  /** The grace after a signal is over: terminate every worker still busy, its run `interrupted`, and resolve. */
  private terminateBusy(graceMs: number): void {
    const signal = interruptSignalOf(this.options.stop!);
    for (const [worker, index] of this.assigned) {
      this.workers.delete(worker); // its `exit` is then not taken for a crash
      void worker.terminate();
      const message = `interrupted by ${signal}: the worker thread did not stop within ${graceMs / 1000} s and was terminated (measurements it had sent are recorded)`;
      this.closeRun(index, "interrupted", message);
    }
    this.assigned.clear();
    this.finishIfStopped();
  }

  /**
   * Hand `worker` the first run not started whose producers have finished; none ready but some left: the
   * worker waits (idle) until a run finishes; none left: it ends.
   */
  private assignNext(worker: Worker): void {
    if (this.settled) return;
    if (this.stopping || this.unstarted.length === 0) {
      void worker.terminate();
      return;
    }
    const ready = this.unstarted.findIndex((i) => this.producers[i]!.every((p) => this.slots[p]!.outcome !== undefined));
    if (ready < 0) {
      if (!this.idle.includes(worker)) this.idle.push(worker);
      return;
    }
    const [index] = this.unstarted.splice(ready, 1) as [number];
    this.assigned.set(worker, index);
    const resume = this.options.resumed?.has(this.options.runs[index]!.id) === true;
    worker.postMessage({ type: "run", index: this.first + index, ...(resume ? { resume } : {}) } satisfies ToWorker);
  }

  /** After a run finished: the idle workers try again (its readers may start now). */
  private wakeIdle(): void {
    for (const worker of this.idle.splice(0)) if (this.workers.has(worker)) this.assignNext(worker);
  }

  /** Record the head run's operations; past every finished run at the head, in order; resolve at the end. */
  private recordHead(): void {
    while (this.head < this.slots.length) {
      const slot = this.slots[this.head]!;
      this.replay(slot);
      if (!slot.outcome) return;
      this.options.onRunRecorded?.(slot.outcome);
      this.head++;
    }
    this.settle();
    this.resolve(this.slots.map((s) => s.outcome!));
  }

  private replay(slot: RunSlot): void {
    const { recorder, results } = this.options;
    const point = this.options.runs[this.slots.indexOf(slot)]!.point;
    for (const op of slot.ops) {
      switch (op.kind) {
        case "begin":
          recorder.beginRun(op.run, op.sweep, op.seeds, op.atMs);
          slot.begun = true;
          break;
        case "end":
          recorder.endRun(op.run, op.status, op.message, op.atMs);
          slot.ended = true;
          break;
        case "scalars":
          recorder.seedScalars(op.record);
          break;
        case "tensor":
          recorder.tensor(op.record);
          break;
        case "rows":
          for (const row of op.rows) results.add({ ...row, point });
          break;
        case "permutation":
          recorder.labelPermutation(op.run, op.dataset, op.seed, op.permutation);
          break;
        case "step":
          recorder.runTrainingStep(op.run, op.counts);
          break;
        case "hvp":
          recorder.runHvpPaths(op.run, op.counts);
          break;
        case "total":
          results.setTotalSteps(op.run, op.steps, op.stepsPerEpoch);
          recorder.runSteps(op.run, op.steps, op.stepsPerEpoch);
          break;
        case "checkpoint":
          // Every row before it is recorded now (its held rows too, written back at its "begin").
          promoteCheckpoint(this.options.checkpoints!.dir, op.run, op.step);
          break;
      }
    }
    slot.ops = [];
  }

  /** A signal: start no more runs, tell the busy workers to stop at their next step boundary. */
  private interrupt(): void {
    if (this.settled || this.stopping) return;
    this.stopping = true;
    const signal = interruptSignalOf(this.options.stop!);
    for (const worker of this.workers) {
      if (this.assigned.has(worker)) worker.postMessage({ type: "stop", signal } satisfies ToWorker);
      else void worker.terminate();
    }
    const graceMs = this.options.stopGraceMs ?? STOP_GRACE_MS;
    this.graceTimer = setTimeout(() => this.guard(() => this.terminateBusy(graceMs)), graceMs);
    this.finishIfStopped();
  }

  /** While stopping, once no worker is busy: every started run is recorded (recordHead did it in order); resolve. */
  private finishIfStopped(): void {
    if (!this.stopping || this.settled || this.assigned.size > 0) return;
    this.recordHead();
    if (this.settled) return; // every run had finished: recordHead resolved
    this.settle();
    this.resolve(this.slots.slice(0, this.head).map((s) => s.outcome!));
  }

  /** Any error while recording (an unwritable run directory…) stops the pool and rejects. */
  private guard(action: () => void): void {
    if (this.settled) return;
    try {
      action();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settle();
    this.reject(error);
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.graceTimer);
    this.options.stop?.removeEventListener("abort", this.onInterrupt);
    for (const worker of this.workers) void worker.terminate();
    this.workers.clear();
    // Every run's operations are recorded (its checkpoints promoted) or never will be: what is pending is of no use.
    if (this.options.checkpoints) dropAllPendingCheckpoints(this.options.checkpoints.dir);
  }
}

function totalStepsOf(slot: RunSlot): number {
  const total = slot.ops.find((op) => op.kind === "total");
  return total?.kind === "total" ? total.steps : 0;
}

/**
 * The worker's script: pool-worker.js next to this module. Run from TypeScript sources (tests), it is
 * pool-worker.ts, imported through tsx's API (a dev dependency) by a small bootstrap: plain Node cannot
 * import TypeScript, and Node 20 does not apply `--import` loaders given in a worker's execArgv.
 */
function workerScript(): { script: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith(".ts")) return { script: new URL("./pool-worker.js", import.meta.url), eval: false };
  const tsxApi = join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "esm", "api", "index.mjs");
  const worker = new URL("./pool-worker.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then(({ tsImport }) => tsImport(${JSON.stringify(worker)}, ${JSON.stringify(import.meta.url)}));`;
  return { script: code, eval: true };
}
