/**
 * The training loop for one seed-batched run.
 *
 * Order within step k (parameters θ_k, i.e. after k updates):
 *   1. if k < T: draw batch k, compute the loss at θ_k on it and the gradient (nothing read back);
 *   2. run the probes due at step k (they see θ_k, batch k and its loss), then the event-triggered ones;
 *   3. if k < T: every probe that observes steps (`TrainProbe.observe`) sees batch k at θ_k, whether it
 *      measures at k or not (after its measurement at k, which covers the updates before k only);
 *   4. progress line and divergence check when due (the only other read-backs);
 *   5. if k < T: apply update k → θ_{k+1}.
 * Step T (`end`) runs probes only. Results go to the recorder as soon as they exist, so a run that stops
 * (divergence, error) keeps everything it measured.
 *
 * Divergence policy: seeds never mix in the computation (batched matMul, elementwise optimizer state, a
 * loss summed over seeds whose gradient is 1 for each), so a seed whose loss turns NaN/±Inf cannot affect
 * the others' numbers, and they train on. Non-finite losses are tracked on the backend every step and
 * read back at each divergence check (every `checkDivergenceEvery` steps, at every step where probes are
 * due — before they run, so the recorder knows every seed that diverged before their step — and at the
 * end); the exact first non-finite step is recorded on the backend, so the report names it even between
 * checks. From its check on, a diverged seed is frozen (its updates masked out; had the check come at its
 * first bad step, its parameters are the last finite ones) and reported to the recorder. When every seed
 * has diverged the run stops after that step's probes; the recorder hears of every scheduled (every/at)
 * measurement of the steps not trained (`notMeasured`), so it can record them as NaN, and the `end`
 * probes still run (see afterStop); a probe run on an event that had not fired for a diverged seed is
 * reported not measured for that seed once, at the step after its divergence (eventProbesLost), and the
 * seed's events fire no more. The loop ends with DyncRuntimeError RUN020 naming the seeds and
 * steps, unless `onDivergence: "continue"`. Masking only after detection keeps healthy runs free of its
 * cost (a broadcast tf.where per parameter and step).
 */
import { tf } from "../tf.js";
import { ensureGradients } from "../backend.js";
import type { Dataset } from "../dataset.js";
import { DyncRuntimeError } from "../errors.js";
import { l2Penalty, lossFunction, type LossFn, type LossKind } from "../loss.js";
import type { Model, Param, StepPathCounts, TrainingStepPath } from "../../contract/model.js";
import type { Optimizer } from "../optim.js";
import { makeSchedule, type Schedule } from "../schedule.js";
import { nativeScalarNetTrain } from "../kernels/native-fused.js";
import { simdScalarNetTrain } from "../kernels/ops.js";
import { BatchSampler, type BatchSpec, type DurationSpec } from "./batches.js";
import { CadenceScheduler, type Cadence, type EventSpec, type FiredEvent } from "./cadence.js";
import { TrainData, type BatchTensors } from "./data.js";
import { DivergenceTracker, type DivergedSeed } from "./divergence.js";
import { captureModel, restoreModel, type CheckpointConfig, type TrainingSnapshot } from "./checkpoint.js";

/** The loss of update k at θ_k on batch k; tensors owned by the loop (valid during the probe call). */
export interface StepLoss {
  /** Data loss per sample, `[S, B]`. */
  readonly perSample: tf.Tensor2D;
  /** Data loss per seed (mean over the batch), `[S]`. */
  readonly perSeed: tf.Tensor1D;
  /** What is minimised per seed: data loss plus the L2 term, `[S]`. */
  readonly objective: tf.Tensor1D;
}

/** The batch of update k: per-seed sample indices and the gathered tensors (owned by the loop). */
export interface StepBatch extends BatchTensors {
  readonly indices: readonly Int32Array[];
}

/** What a probe sees. Tensors belong to the loop; read them, do not dispose them. */
export interface ProbeContext {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly step: number;
  /** Completed epochs: ⌊step / stepsPerEpoch⌋. */
  readonly epoch: number;
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  /** Seed values of the batch, by seed index. */
  readonly seeds: readonly number[];
  /** The seed indices this call is for: all for scheduled probes, those an event fired for otherwise. */
  readonly seedIndices: readonly number[];
  /** The training data on the backend (`data.full()` gives it as one `[S, n, …]` batch). */
  readonly data: TrainData;
  /** Batch k, or null at step T (`end`). */
  readonly batch: StepBatch | null;
  /** Loss on batch k at θ_k, or null at step T. */
  readonly loss: StepLoss | null;
  /** Learning rate of update k, or null at step T. */
  readonly lr: number | null;
}

/** A measurement during training. Its value is passed to the recorder and to events watching it. */
export interface TrainProbe {
  readonly name: string;
  readonly cadence: Cadence | readonly Cadence[];
  run(ctx: ProbeContext): unknown | Promise<unknown>;
  /**
   * Called at every training step k < T, after the measurements due at k, with batch k, its loss and lr at
   * θ_k (the state update k starts from), for the seeds not known to have diverged: a probe that accumulates
   * over the actual training steps (`common_direction`'s per-sample updates) sees each step's batch here,
   * whatever its cadence. Nothing is recorded.
   */
  observe?(ctx: ProbeContext): void | Promise<void>;
}

export interface ProbeRecord {
  readonly probe: string;
  readonly step: number;
  readonly epoch: number;
  readonly seedIndices: readonly number[];
  readonly value: unknown;
}

export interface ProgressInfo {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  /** Per-seed loss of the current batch (read back for this line), or null at `end`. */
  readonly loss: Float32Array | null;
  readonly elapsedMs: number;
}

/** A scheduled measurement (its probe, step and seeds) that was not taken. */
export type ProbePoint = Omit<ProbeRecord, "value">;

/** Where results go as they are produced. */
export interface TrainRecorder {
  probe?(record: ProbeRecord): void | Promise<void>;
  event?(fired: FiredEvent): void | Promise<void>;
  progress?(info: ProgressInfo): void;
  diverged?(seeds: readonly DivergedSeed[]): void | Promise<void>;
  /**
   * A measurement divergence made impossible: after every seed diverged and training stopped, each
   * `every`/`at` measurement of the steps that were not trained, in step order (all seeds); and for each
   * seed that diverged at step d, each probe run on an event that had not fired for it, at d + 1 (that seed).
   */
  notMeasured?(point: ProbePoint): void | Promise<void>;
}

export interface TrainConfig {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly loss: LossKind | LossFn;
  /** λ of the L2 term λ·Σ‖θ‖² (per seed); `l2Params` chooses the parameters (default: all). */
  readonly l2?: number;
  readonly l2Params?: readonly Param[];
  /** Learning rate per update; default: the optimizer's constant lr. */
  readonly schedule?: Schedule;
  /** One dataset shared by all seeds, or one per seed (equal size and shapes). */
  readonly data: Dataset | readonly Dataset[];
  /**
   * Fresh training data for update k ≥ 1 (update 0 trains on `data`): the same size and shapes as `data`,
   * a new draw of the same distribution ("D → ∞": every step sees new samples). Batches are then taken
   * from the draw of their own step; it must depend on k alone, so a resumed run draws what it would have.
   * Probes still see `data` as the training set.
   */
  readonly redraw?: (step: number) => Dataset | readonly Dataset[];
  /** Seed values by seed index (length = model.seeds); each fixes that seed's batch order. */
  readonly seeds: readonly number[];
  readonly duration: DurationSpec;
  readonly batch: BatchSpec;
  readonly probes?: readonly TrainProbe[];
  readonly events?: readonly EventSpec[];
  readonly recorder?: TrainRecorder;
  /** Steps between progress reports (0 or absent: none). */
  readonly progressEvery?: number;
  /** With `progressEvery`: also report when this many milliseconds passed since the last report (slow steps). */
  readonly progressEveryMs?: number;
  /** Steps between divergence read-backs (default 10); also checked whenever probes ran, and at the end. */
  readonly checkDivergenceEvery?: number;
  /** "throw" (default): end with RUN020 when any seed diverged; "continue": only report them. */
  readonly onDivergence?: "throw" | "continue";
  /**
   * Stops training at the next step boundary once aborted (Ctrl-C, SIGTERM): the steps measured so far are
   * recorded, nothing after, and the result says `interrupted`. The loop yields to the event loop at least
   * every `YIELD_EVERY_MS` so that the signal handler that aborts it gets to run.
   */
  readonly stop?: AbortSignal;
  /**
   * false: train every update on its own, never several in one fused call (trainQuietStretch); the results are
   * the same bit for bit (tests compare the two). Default true.
   */
  readonly fuseSteps?: boolean;
  /** Snapshots of the whole training state at a cadence (checkpoint.ts), for `dync run --resume`. */
  readonly checkpoint?: CheckpointConfig;
  /**
   * Continue from this snapshot (of this very run: same model, optimizer, data, seeds and probes) instead
   * of step 0; the recorder is expected to hold the measurements of the steps before it already.
   */
  readonly resumeFrom?: TrainingSnapshot;
}

export interface TrainResult {
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  /** Steps actually completed (less than totalSteps only when every seed diverged). */
  readonly stepsDone: number;
  readonly diverged: readonly DivergedSeed[];
  /** Per event, per seed index, the step it fired at (−1: never). */
  readonly events: ReadonlyMap<string, Int32Array>;
  /** True when `stop` ended training early; `stepsDone` steps were trained and measured. */
  readonly interrupted: boolean;
  /** How many updates each training step served (a resumed run's include those before its checkpoint). */
  readonly stepPaths: StepPathCounts;
}

/**
 * Longest stretch of training without a macrotask turn. Signals, timers and worker messages are handled
 * only between macrotasks; awaiting a promise that is already resolved does not yield to them, and a seed-
 * batched step never awaits real I/O. Checking the clock each step and yielding every 50 ms costs far less
 * than a step (measured on examples/quickstart.dyn, see docs/run-directory.md).
 */
const YIELD_EVERY_MS = 50;

/**
 * Most updates trained in one fused call (trainQuietStretch): the loop checks for a stop between calls, and
 * with the default divergence check every 10 steps a stretch is at most 9 anyway.
 */
const MAX_FUSED_STEPS = 16;

/** Whether a model's fused step may serve this training at all: no L2 penalty and a built-in loss (it has neither). */
function fusable(config: Pick<TrainConfig, "l2" | "loss">): config is Pick<TrainConfig, "l2"> & { readonly loss: LossKind } {
  return (config.l2 ?? 0) === 0 && typeof config.loss !== "function";
}

/**
 * The training step `train` takes for `model`'s updates in this process, decided as the loop decides it but
 * without training (a well-formed batch assumed): `--resume` compares it with what a run recorded.
 */
export function trainingStepPath(model: Model, config: Pick<TrainConfig, "l2" | "loss">): TrainingStepPath {
  return (fusable(config) && model.fusedStepPath?.(config.loss)) || "taped";
}

/** Train `config.model` as configured, calling probes at their cadence; see the file comment for order. */
export async function train(config: TrainConfig): Promise<TrainResult> {
  validateConfig(config);
  await ensureGradients();
  const run = new TrainingRun(config);
  try {
    return await run.execute();
  } finally {
    run.dispose();
  }
}

class TrainingRun {
  private readonly data: TrainData;
  private readonly sampler: BatchSampler;
  private readonly scheduler: CadenceScheduler;
  private readonly divergence: DivergenceTracker;
  private readonly lossFn: LossFn;
  private readonly schedule: Schedule;
  private readonly probes: Map<string, TrainProbe>;
  /** The probes that see every step's batch (`TrainProbe.observe`), found once rather than every step. */
  private readonly observers: readonly TrainProbe[];
  private readonly variables: tf.Variable[];
  private readonly diverged: DivergedSeed[] = [];
  /** `[S]` bool, false for seeds known to have diverged; absent until one has (masking costs time). */
  private frozenMask: tf.Tensor1D | undefined;
  private readonly started = Date.now();
  private lastYield = performance.now();
  /** When the last progress report was made (for `progressEveryMs`). */
  private lastProgress = performance.now();
  /** The step of the last snapshot taken or resumed from (none is taken twice at one step). */
  private lastSnapshot = -1;
  /** `checkpoint.at` as a set, built on first use. */
  private checkpointSteps: Set<number> | undefined;
  /** How many updates each training step served so far (manifest.json `runs[].step`). */
  private readonly stepPaths: Partial<Record<TrainingStepPath, number>> = {};

  constructor(private readonly config: TrainConfig) {
    const S = config.model.seeds;
    this.data = new TrainData(config.data, S);
    this.sampler = new BatchSampler(this.data.n, config.batch, config.seeds, config.duration);
    const { totalSteps, stepsPerEpoch } = this.sampler.plan;
    this.probes = new Map((config.probes ?? []).map((p) => [p.name, p]));
    this.observers = (config.probes ?? []).filter((p) => p.observe);
    this.scheduler = new CadenceScheduler(config.probes ?? [], config.events ?? [], { totalSteps, stepsPerEpoch, seeds: S });
    this.divergence = new DivergenceTracker(config.seeds);
    this.lossFn = typeof config.loss === "function" ? config.loss : lossFunction(config.loss);
    this.schedule = config.schedule ?? makeSchedule({ kind: "constant" }, config.optimizer.spec.lr);
    this.variables = config.model.params.map((p) => p.variable);
  }

  async execute(): Promise<TrainResult> {
    const { totalSteps, stepsPerEpoch } = this.sampler.plan;
    let step = this.config.resumeFrom ? this.restore(this.config.resumeFrom) : 0;
    let interrupted = false;
    for (; step <= totalSteps; step++) {
      interrupted = await this.interrupted();
      if (interrupted) {
        if (this.config.checkpoint?.onStop) await this.snapshot(step);
        break;
      }
      if (this.snapshotDue(step)) await this.snapshot(step);
      const fused = this.trainQuietStretch(step);
      if (fused > 0) {
        step += fused - 1;
        continue;
      }
      const stopped = await this.runStep(step, step < totalSteps);
      if (stopped) break;
    }
    await this.checkDivergence();
    if (interrupted) return { totalSteps, stepsPerEpoch, stepsDone: step, diverged: this.diverged, events: this.firedEvents(), interrupted, stepPaths: { ...this.stepPaths } };
    if (step < totalSteps) await this.afterStop(step + 1);
    if (this.diverged.length > 0 && (this.config.onDivergence ?? "throw") === "throw") {
      throw divergedError(this.diverged, this.config.seeds.length);
    }
    return { totalSteps, stepsPerEpoch, stepsDone: Math.min(step, totalSteps), diverged: this.diverged, events: this.firedEvents(), interrupted, stepPaths: { ...this.stepPaths } };
  }

  /** Yield to the event loop when due, then say whether `stop` was aborted (checked between steps only). */
  private async interrupted(): Promise<boolean> {
    if (performance.now() - this.lastYield >= YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
    }
    return this.config.stop?.aborted === true;
  }

  private snapshotDue(step: number): boolean {
    const checkpoint = this.config.checkpoint;
    if (!checkpoint) return false;
    if ("every" in checkpoint) return step % checkpoint.every === 0;
    this.checkpointSteps ??= new Set(checkpoint.at);
    return this.checkpointSteps.has(step);
  }

  /** Hand the state before step `step` to the checkpoint's `save` (not at 0 or T: nothing to resume there). */
  private async snapshot(step: number): Promise<void> {
    if (!this.config.checkpoint || step <= 0 || step >= this.sampler.plan.totalSteps || step === this.lastSnapshot) return;
    this.lastSnapshot = step;
    await this.config.checkpoint.save({
      step,
      ...captureModel(this.config.model, this.config.optimizer),
      sampler: this.sampler.state(),
      divergence: this.divergence.state(),
      diverged: this.diverged.map((d) => ({ ...d })),
      events: this.scheduler.firedState(),
      conditions: this.scheduler.conditionState(),
      stepPaths: { ...this.stepPaths },
    });
  }

  /** Set every piece of loop state from a snapshot; returns the step to continue at. */
  private restore(snapshot: TrainingSnapshot): number {
    const { totalSteps } = this.sampler.plan;
    if (!Number.isInteger(snapshot.step) || snapshot.step <= 0 || snapshot.step >= totalSteps || snapshot.sampler.nextStep !== snapshot.step) {
      throw new DyncRuntimeError("RUN032", `the checkpoint is at step ${snapshot.step}, which is not inside this run's ${totalSteps} steps`);
    }
    restoreModel(this.config.model, this.config.optimizer, snapshot);
    this.sampler.restore(snapshot.sampler);
    this.divergence.restore(snapshot.divergence);
    this.scheduler.restoreFired(snapshot.events);
    this.scheduler.restoreConditions(snapshot.conditions);
    this.diverged.push(...snapshot.diverged.map((d) => ({ ...d })));
    Object.assign(this.stepPaths, snapshot.stepPaths ?? {});
    if (this.diverged.length > 0) {
      this.frozenMask = tf.tensor1d(this.aliveSeeds(), "bool");
    }
    this.lastSnapshot = snapshot.step;
    return snapshot.step;
  }

  private firedEvents(): Map<string, Int32Array> {
    return new Map((this.config.events ?? []).map((e) => [e.name, this.scheduler.firedSteps(e.name)]));
  }

  dispose(): void {
    this.data.dispose();
    this.divergence.dispose();
    this.frozenMask?.dispose();
  }

  /** One step as in the file comment; returns true when the run must stop (every seed diverged). */
  private async runStep(step: number, update: boolean): Promise<boolean> {
    const batch = update ? this.batchAt(step) : null;
    const lr = update ? this.schedule(step) : null;
    const computed = batch ? this.lossAndGradients(batch) : null;
    try {
      if (computed) this.divergence.observe(computed.loss.objective, step);
      if (this.scheduler.scheduledAt(step).length > 0 || this.divergenceCheckDue(step)) await this.checkDivergence();
      await this.runProbes(step, batch, computed?.loss ?? null, lr);
      if (batch && computed) await this.observeStep(step, batch, computed.loss, lr!);
      this.reportProgress(step, computed?.loss ?? null);
      if (this.divergence.allDiverged) return true;
      if (computed) {
        this.config.optimizer.step(computed.grads, lr!, this.frozenMask);
        this.countUpdates(computed.path, 1);
      }
      return false;
    } finally {
      if (computed) tf.dispose([...computed.grads, computed.loss.perSample, computed.loss.perSeed, computed.loss.objective]);
      if (batch && (!this.sampler.isFull || this.redrawn(step))) tf.dispose([batch.x, batch.y]);
    }
  }

  /**
   * Updates `from`, `from` + 1, … of a stretch in which nothing looks at the state between updates (no probe
   * due, no divergence check, progress line or snapshot, no observer, no seed frozen), trained in one fused
   * call where the model is a 1→W→1 network on full batches and the optimizer has a native rule (on the native
   * path any sgd/momentum/adam/adamw; on wasm plain sgd and adam without weight decay, the rules whose
   * step-by-step form is one SIMD kernel): the
   * same arithmetic as the steps one by one (each step's gradient, then its update; bitwise, tested), without
   * the per-step tfjs kernels and bookkeeping that dominate small nets (benchmark case (c)). Returns the number
   * of updates trained, 0 when the step must run on its own.
   */
  private trainQuietStretch(from: number): number {
    const { model, optimizer } = this.config;
    if (this.config.fuseSteps === false || this.observers.length > 0 || this.frozenMask || !this.sampler.isFull || this.config.redraw) return 0;
    if (!fusable(this.config) || !optimizer.fusedPlan || !optimizer.acceptFused) return 0;
    // the model first: most nets are not 1→W→1, and then no step needs the look ahead over the schedule
    const net = model.scalarNet?.(this.config.loss);
    if (!net) return 0;
    const count = this.quietSteps(from);
    if (count < 2) return 0;
    const lrs = Array.from({ length: count }, (_, k) => this.schedule(from + k));
    const plan = optimizer.fusedPlan(lrs);
    const { x, y } = this.data.full();
    const native = plan && nativeScalarNetTrain(x, y, net, plan.slots, plan.rules);
    const trained = native ?? (plan && simdScalarNetTrain(x, y, net, plan.slots, plan.rules));
    if (!trained) return 0;
    this.countUpdates(native ? "native-scalar" : "simd-scalar", count);
    for (let k = 0; k < count; k++) this.sampler.indicesAt(from + k); // the sampler stays where the steps leave it
    this.divergence.observeSteps(trained.losses, from);
    trained.losses.dispose();
    optimizer.acceptFused(trained.params, trained.slots, count);
    return count;
  }

  /** How many updates from `from` on are quiet (see trainQuietStretch), at most MAX_FUSED_STEPS. */
  private quietSteps(from: number): number {
    const every = this.config.recorder?.progress ? (this.config.progressEvery ?? 0) : 0;
    const lateProgress = every > 0 && this.config.progressEveryMs !== undefined && performance.now() - this.lastProgress >= this.config.progressEveryMs;
    if (lateProgress) return 0;
    let count = 0;
    for (let step = from; step < this.sampler.plan.totalSteps && count < MAX_FUSED_STEPS; step++, count++) {
      const busy =
        this.scheduler.scheduledAt(step).length > 0 ||
        this.divergenceCheckDue(step) ||
        (step > from && this.snapshotDue(step)) ||
        (every > 0 && step % every === 0);
      if (busy) break;
    }
    return count;
  }

  /** Whether update `step` trains on a fresh draw rather than on `data`. */
  private redrawn(step: number): boolean {
    return this.config.redraw !== undefined && step > 0;
  }

  private batchAt(step: number): StepBatch {
    const indices = this.sampler.indicesAt(step);
    if (this.redrawn(step)) return { indices, ...this.freshBatch(step, indices) };
    const tensors = this.sampler.isFull ? this.data.full() : this.data.gather(indices);
    return { indices, x: tensors.x, y: tensors.y };
  }

  /** Batch `step` from that step's own draw of the training data (owned by the caller). */
  private freshBatch(step: number, indices: readonly Int32Array[]): BatchTensors {
    const drawn = new TrainData(this.config.redraw!(step), this.config.model.seeds);
    try {
      if (drawn.n !== this.data.n || drawn.yDim !== this.data.yDim) {
        throw new DyncRuntimeError("RUN040", `the training data drawn for step ${step} has ${drawn.n} samples with ${drawn.yDim} targets, the first draw ${this.data.n} with ${this.data.yDim}`);
      }
      if (!this.sampler.isFull) return drawn.gather(indices);
      const full = drawn.full();
      return { x: tf.clone(full.x), y: tf.clone(full.y) };
    } finally {
      drawn.dispose();
    }
  }

  /** Loss at θ_k on the batch and its gradient for every parameter; nothing is read back. */
  private lossAndGradients(batch: StepBatch): { loss: StepLoss; grads: tf.Tensor[]; path: TrainingStepPath } {
    const { model, l2 = 0 } = this.config;
    const fused = fusable(this.config) ? model.fusedLossAndGradients?.(batch.x, batch.y, this.config.loss) : undefined;
    if (fused) {
      const objective = tf.clone(fused.perSeed);
      return { loss: { perSample: fused.perSample, perSeed: fused.perSeed, objective }, grads: [...fused.grads], path: fused.path };
    }
    let loss: StepLoss | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const values = this.lossFn(model.forward(batch.x, { training: true }), batch.y);
      const objective = l2 > 0 ? tf.add(values.perSeed, l2Penalty(this.config.l2Params ?? model.params, l2)) : values.perSeed;
      loss = {
        perSample: tf.keep(values.perSample),
        perSeed: tf.keep(values.perSeed),
        objective: (objective === values.perSeed ? tf.keep(tf.clone(objective)) : tf.keep(objective)) as tf.Tensor1D,
      };
      return tf.sum(objective) as tf.Scalar;
    }, this.variables);
    value.dispose();
    // A parameter the loss does not reach (e.g. a layer a custom forward skips) has gradient zero.
    return { loss: loss!, grads: this.variables.map((v) => grads[v.name] ?? tf.zerosLike(v)), path: "taped" };
  }

  private countUpdates(path: TrainingStepPath, count: number): void {
    this.stepPaths[path] = (this.stepPaths[path] ?? 0) + count;
  }

  /** Scheduled and event-triggered probes at `step`. */
  private async runProbes(step: number, batch: StepBatch | null, loss: StepLoss | null, lr: number | null): Promise<void> {
    const { stepsPerEpoch, totalSteps } = this.sampler.plan;
    const epoch = Math.floor(step / stepsPerEpoch);
    const recorder = this.config.recorder;
    const fired = await this.scheduler.runStep(step, async (name, seedIndices) => {
      const ctx: ProbeContext = {
        model: this.config.model,
        optimizer: this.config.optimizer,
        step,
        epoch,
        totalSteps,
        stepsPerEpoch,
        seeds: this.config.seeds,
        seedIndices,
        data: this.data,
        batch,
        loss,
        lr,
      };
      const value = await this.probes.get(name)!.run(ctx);
      await recorder?.probe?.({ probe: name, step, epoch, seedIndices, value });
      return value;
    });
    for (const f of fired) await recorder?.event?.(f);
  }

  /** Step `step`'s batch for the probes that observe every step (TrainProbe.observe), before its update. */
  private async observeStep(step: number, batch: StepBatch, loss: StepLoss, lr: number): Promise<void> {
    if (this.observers.length === 0) return;
    const { stepsPerEpoch, totalSteps } = this.sampler.plan;
    const seedIndices = this.aliveSeeds().flatMap((alive, s) => (alive ? [s] : []));
    const { model, optimizer, seeds } = this.config;
    const ctx: ProbeContext = { model, optimizer, step, epoch: Math.floor(step / stepsPerEpoch), totalSteps, stepsPerEpoch, seeds, seedIndices, data: this.data, batch, loss, lr };
    for (const probe of this.observers) await probe.observe!(ctx);
  }

  /**
   * Every seed diverged and training stopped before step `from`: the `every`/`at` measurements of the steps
   * not trained go to `notMeasured`, except those of `end`, which need no training: they run as usual (on
   * the frozen parameters), so the recorder sees exactly the measurements a finished run makes there (a
   * batch probe has none at `end`). One that fails on the diverged parameters is reported not measured.
   */
  private async afterStop(from: number): Promise<void> {
    const recorder = this.config.recorder;
    const { stepsPerEpoch, totalSteps } = this.sampler.plan;
    const seedIndices = this.config.seeds.map((_, s) => s);
    const point = (probe: string, step: number) => ({ probe, step, epoch: Math.floor(step / stepsPerEpoch), seedIndices });
    for (let step = from; step < totalSteps && recorder?.notMeasured; step++) {
      for (const probe of this.scheduler.scheduledAt(step)) await recorder.notMeasured(point(probe, step));
    }
    for (const probe of this.scheduler.scheduledAt(totalSteps)) {
      try {
        const value = await this.probes.get(probe)!.run(this.endContext(seedIndices));
        await recorder?.probe?.({ ...point(probe, totalSteps), value });
      } catch (error) {
        if (!(error instanceof DyncRuntimeError)) throw error;
        await recorder?.notMeasured?.(point(probe, totalSteps));
      }
    }
  }

  private endContext(seedIndices: readonly number[]): ProbeContext {
    const { stepsPerEpoch, totalSteps } = this.sampler.plan;
    const { model, optimizer, seeds } = this.config;
    const epoch = Math.floor(totalSteps / stepsPerEpoch);
    return { model, optimizer, step: totalSteps, epoch, totalSteps, stepsPerEpoch, seeds, seedIndices, data: this.data, batch: null, loss: null, lr: null };
  }

  private reportProgress(step: number, loss: StepLoss | null): void {
    const every = this.config.progressEvery ?? 0;
    const recorder = this.config.recorder;
    if (!recorder?.progress || every <= 0) return;
    const now = performance.now();
    const late = this.config.progressEveryMs !== undefined && now - this.lastProgress >= this.config.progressEveryMs;
    if (step % every !== 0 && step !== this.sampler.plan.totalSteps && !late) return;
    this.lastProgress = now;
    recorder.progress({
      step,
      totalSteps: this.sampler.plan.totalSteps,
      epoch: Math.floor(step / this.sampler.plan.stepsPerEpoch),
      loss: loss ? (loss.perSeed.dataSync() as Float32Array) : null,
      elapsedMs: Date.now() - this.started,
    });
  }

  private divergenceCheckDue(step: number): boolean {
    const every = this.config.checkDivergenceEvery ?? 10;
    return step % every === 0 || step === this.sampler.plan.totalSteps;
  }

  /** Per seed, whether it is still training (has not diverged). */
  private aliveSeeds(): boolean[] {
    return this.config.seeds.map((_, s) => !this.diverged.some((d) => d.seedIndex === s));
  }

  private async checkDivergence(): Promise<void> {
    const fresh = this.divergence.check();
    if (fresh.length === 0) return;
    this.diverged.push(...fresh);
    this.frozenMask?.dispose();
    this.frozenMask = tf.tensor1d(this.aliveSeeds(), "bool");
    await this.config.recorder?.diverged?.(fresh);
    for (const seed of fresh) await this.eventProbesLost(seed);
  }

  /**
   * A seed diverged at step d: its events that had not fired never will, and each probe run on one of them
   * goes to `notMeasured` for that seed at step d + 1, the first step whose state was lost (none when d is
   * the last step: the events were decided there). So such a probe has one NaN row for the seed, as a
   * scheduled probe has NaN rows for the steps it would have measured, whether the other seeds train on or not.
   */
  private async eventProbesLost(seed: DivergedSeed): Promise<void> {
    const { totalSteps, stepsPerEpoch } = this.sampler.plan;
    const step = seed.step + 1;
    const lost = this.scheduler.retire(seed.seedIndex);
    if (step > totalSteps || !this.config.recorder?.notMeasured) return;
    const point = { step, epoch: Math.floor(step / stepsPerEpoch), seedIndices: [seed.seedIndex] };
    for (const event of lost) {
      for (const probe of this.scheduler.triggeredBy(event)) await this.config.recorder.notMeasured({ ...point, probe });
    }
  }
}

function divergedError(diverged: readonly DivergedSeed[], seedCount: number): DyncRuntimeError {
  const sorted = [...diverged].sort((a, b) => a.step - b.step || a.seedIndex - b.seedIndex);
  const listed = sorted.slice(0, 10).map((d) => `seed ${d.seed} at step ${d.step}`);
  const more = sorted.length > 10 ? `, and ${sorted.length - 10} more` : "";
  const scope = seedCount === 1 ? "" : ` for ${diverged.length} of ${seedCount} seeds`;
  return new DyncRuntimeError(
    "RUN020",
    `training diverged${scope}: the loss became NaN or infinite (${listed.join(", ")}${more})`,
    seedCount === diverged.length
      ? "lower the learning rate or check the data for huge values; results measured before divergence are kept"
      : "the other seeds trained to the end and their results are kept; diverged seeds were frozen when their loss became non-finite",
  );
}

function validateConfig(config: TrainConfig): void {
  const S = config.model.seeds;
  if (config.seeds.length !== S) {
    throw new DyncRuntimeError("RUN040", `${config.seeds.length} seed values given for a model with ${S} seeds`);
  }
  const known = new Set(config.model.params.map((p) => p.variable));
  if (config.optimizer.params.length !== known.size || !config.optimizer.params.every((v) => known.has(v))) {
    throw new DyncRuntimeError("RUN040", "the optimizer was built over different parameters than the model's");
  }
  const every = config.checkDivergenceEvery ?? 10;
  if (!Number.isInteger(every) || every < 1) {
    throw new DyncRuntimeError("RUN040", `checkDivergenceEvery must be a whole number ≥ 1, got ${every}`);
  }
  const checkpoint = config.checkpoint;
  if (checkpoint && "every" in checkpoint && (!Number.isInteger(checkpoint.every) || checkpoint.every < 1)) {
    throw new DyncRuntimeError("RUN040", `checkpoint every must be a whole number of steps ≥ 1, got ${checkpoint.every}`);
  }
  if (checkpoint && "at" in checkpoint && !checkpoint.at.every((step) => Number.isInteger(step) && step >= 0)) {
    throw new DyncRuntimeError("RUN040", `checkpoint steps must be whole numbers ≥ 0, got ${checkpoint.at.join(", ")}`);
  }
}
