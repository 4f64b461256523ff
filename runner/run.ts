/**
 * One run of a profile: build its data, model, optimizer, schedule and probes from the `RunSpec`, train all
 * seeds seed-batched, record as it goes, and dispose every tensor it made. A failure or a diverged seed is
 * recorded in the manifest and returned, never thrown: the experiment goes on with its other runs.
 */
import type { Dataset } from "../runtime/dataset.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { formatLoss } from "./live-view.js";
import { opposingLinear, type OpposingLinear, Sequential } from "../runtime/nn/index.js";
import { modelLayers } from "../contract/layer-list.js";
import type { HvpPathCounts, StepPathCounts, TrainingStepPath } from "../contract/model.js";
import { createOptimizer, type Optimizer, type OptimizerSpec } from "../runtime/optim.js";
import { l2Targets } from "../runtime/loss.js";
import type { RunProgress } from "./live-view.js";
import type { ExperimentProgram, ModelSpec, ProbeSpec, ProfilePlan, RunSpec } from "../contract/program.js";
import { cadencePointStep, type CadencePoint } from "../contract/training-specs.js";
import type { RunStatus, SweepValue, TensorRecord } from "../runtime/record/index.js";
import { makeSchedule } from "../runtime/schedule.js";
import { train, trainingPlan, trainingStepPath, type DivergedSeed, type ProbeContext, type TrainingSnapshot, type TrainProbe } from "../runtime/train/index.js";
import { CHECKPOINT_FORMAT, checkpointCadenceOf, writeRunCheckpoint, type CheckpointSetup, type RunCheckpoint } from "./checkpoint.js";
import { probeImplementations, refName, RunProbeEnv, type ProbeInstance } from "../stdlib/probes/index.js";
import { hvpPathCounts, predictedHvpPath } from "../stdlib/curvature/index.js";
import type { ResumeCurvature, RunCurvature } from "./resume-kernels.js";
import { buildRunData, redrawTrainingData } from "./data.js";
import { labelPermutation } from "../stdlib/data/index.js";
import { registry } from "../stdlib/registry/index.js";
import { interruptSignalOf } from "./interrupt.js";
import { eventFromSpec } from "./event-condition.js";
import { RunResultRecorder } from "./run-recorder.js";
import type { ResultSink, RunSink } from "./run-sink.js";
import { scheduleInSteps } from "./schedule.js";
import { assertRunArgs } from "./validate-args.js";
import { deferredProbe, FoundSets, readersLast, setsReadBy } from "./found-sets.js";
import { boardArguments, HandoffWriter, loadHandoffs, type HandoffSetup } from "./handoff.js";

/** Everything a run needs besides its spec. */
export interface RunContext {
  readonly program: ExperimentProgram;
  readonly seeds: readonly number[];
  readonly dataRoot: string;
  /** The experiment's `RunRecorder`, or a pool worker's forwarder to it. */
  readonly recorder: RunSink;
  /** The experiment's `ResultCollector`, or a pool worker's forwarder to it. */
  readonly results: ResultSink;
  /** Where the run reports its progress (the live view, or a worker's forwarder to it); none when quiet. */
  readonly progress?: RunProgress;
  /** Aborted by a signal (interrupt.ts): training stops at the next step boundary and the run is `interrupted`. */
  readonly stop?: AbortSignal;
  /** Where and how often to checkpoint (runs with a cadence, or every run under `--checkpoint-every`). */
  readonly checkpoints?: CheckpointSetup;
  /**
   * Writes the run's checkpoints (`checkpoints` says where and how often); default `writeRunCheckpoint`: at once
   * the run's checkpoint, its rows being in the files already. A pool worker's are pending (pool-worker.ts).
   */
  readonly saveCheckpoint?: (checkpoint: RunCheckpoint) => void;
  /** Continue the run from this checkpoint (`--resume`): its rows before it are already in the files. */
  readonly resumeFrom?: RunCheckpoint;
  /** Where runs hand values to each other (`along: h[opt = gd]`, handoff.ts); none: no run reads another's. */
  readonly handoff?: HandoffSetup;
}

/** How a run ended. */
export interface RunOutcome {
  readonly id: string;
  readonly status: Exclude<RunStatus, "running">;
  /** Why it failed, or which seeds diverged. */
  readonly message?: string;
  readonly diverged: readonly DivergedSeed[];
  readonly totalSteps: number;
}

/** Progress reports per run (each reads the batch loss back once)… */
const PROGRESS_REPORTS = 50;
/** …and one at least this often, so a slow run's step and loss stay current. */
const PROGRESS_EVERY_MS = 1000;

/** Train one run and record it; returns its outcome (failures included). */
export async function executeRun(run: RunSpec, context: RunContext): Promise<RunOutcome> {
  const { recorder, seeds } = context;
  recorder.beginRun(run.id, run.point, seeds);
  const owned: { dispose(): void }[] = [];
  try {
    assertRunArgs(run);
    const datasets = buildRunData(run.data, context, run.trainOn);
    recordLabelPermutations(run, datasets, recorder);
    const trainData = trainingData(run, datasets);
    const model = buildModel(run.model, seeds);
    owned.push(model);
    checkModelFits(run, model, trainData[0]!);
    const optimizer: Optimizer = createOptimizer(withoutNulls(run.optimizer), model.params);
    owned.push(optimizer);
    const plan = trainingPlan(trainData[0]!.n, run.batch, run.duration);
    const sets = new FoundSets(run, seeds, plan.totalSteps);
    const env = new RunProbeEnv({ model, modelName: run.model.name, datasets, loss: run.loss, seeds, ...(sets.any ? { found: (name: string) => sets.rows(name) } : {}) });
    owned.push(env);
    context.results.setTotalSteps(run.id, plan.totalSteps, plan.stepsPerEpoch);
    const progress = context.progress;
    const rows = new CountingSink(recorder, context.resumeFrom?.rows ?? 0);
    const results = new RunResultRecorder(run, seeds, rows, sets.tap(context.results), progress && ((step, loss) => progress.step(run.id, step, loss)));
    const probeNames = new Set(run.probes.map((p) => p.name));
    const { specs, keys } = boardArguments(run);
    const stepOf = (point: CadencePoint): number => cadencePointStep(point, plan.totalSteps, plan.stepsPerEpoch);
    const writer = context.handoff && new HandoffWriter(run, context.handoff, env.board, seeds, model, context.resumeFrom?.training.step, stepOf);
    if (writer) results.onEvent = (fired) => writer.eventFired(fired.event, fired.step, fired.seedIndices);
    if (context.handoff) loadHandoffs(run, context.handoff, env.board, model, seeds);
    else if (keys.size > 0) throw new DyncRuntimeError("RUN040", `run ${run.id} reads values of other runs (${[...keys].join(", ")}), which only \`dync run\` hands over`);
    const probes = readersLast(specs).map((spec) => startedProbe(spec, env, new Set([...probeNames, ...keys]), owned, writer, sets));
    const cadence = context.checkpoints ? checkpointCadenceOf(run, plan.totalSteps, plan.stepsPerEpoch, context.checkpoints.everySteps) : undefined;
    if (cadence !== undefined || context.resumeFrom) requireCheckpointable(probes);
    if (context.resumeFrom) {
      if (sets.any) sets.restore(context.resumeFrom.sets);
      restoreProbes(probes, context.resumeFrom);
      results.restore(context.resumeFrom.recorder);
    }
    progress?.start(run.id, plan.totalSteps, context.resumeFrom?.training.step ?? 0);
    const save = (training: TrainingSnapshot): void => {
      const probeStates = Object.fromEntries(probes.map(({ spec, instance }) => [spec.name, instance.save!()]));
      const checkpoint: RunCheckpoint = { format: CHECKPOINT_FORMAT, run: run.id, planHash: context.checkpoints!.planHash, rows: rows.rows, training, probes: probeStates, recorder: results.state(), ...(sets.any ? { sets: sets.save() } : {}) };
      if (context.saveCheckpoint) context.saveCheckpoint(checkpoint);
      else writeRunCheckpoint(context.checkpoints!.dir, checkpoint);
    };
    const outcome = await train({
      model,
      optimizer,
      loss: run.loss,
      l2: run.l2,
      l2Params: l2Targets(model.params, run.l2On ?? "all"),
      ...(run.schedule ? { schedule: makeSchedule(scheduleInSteps(run.schedule, plan.stepsPerEpoch), run.optimizer.lr) } : {}),
      data: trainData.length === 1 ? trainData[0]! : trainData,
      ...redrawOption(run, context),
      seeds,
      duration: run.duration,
      batch: run.batch,
      probes: probes.map((p) => p.train),
      events: run.events.map((event) => eventFromSpec(event, seeds.length)),
      recorder: results,
      progressEvery: progress ? Math.max(1, Math.ceil(plan.totalSteps / PROGRESS_REPORTS)) : 0,
      ...(progress ? { progressEveryMs: PROGRESS_EVERY_MS } : {}),
      onDivergence: "continue",
      ...(context.stop ? { stop: context.stop } : {}),
      ...(cadence !== undefined ? { checkpoint: { ...cadence, onStop: true, save } } : {}),
      ...(context.resumeFrom ? { resumeFrom: context.resumeFrom.training } : {}),
    });
    const status = outcome.interrupted ? "interrupted" : outcome.diverged.length > 0 ? "diverged" : "ok";
    const message =
      status === "interrupted"
        ? interruptedMessage(context.stop!, outcome.stepsDone, plan.totalSteps)
        : status === "diverged"
          ? divergedMessage(outcome.diverged, seeds.length)
          : undefined;
    progress?.end(run.id, outcome.stepsDone, message ?? lossSummary(results.lastLoss));
    recorder.runTrainingStep(run.id, outcome.stepPaths);
    const hvp = hvpPathCounts(env.board);
    if (hvp) recorder.runHvpPaths(run.id, hvp);
    recorder.endRun(run.id, status, message);
    return { id: run.id, status, ...(message ? { message } : {}), diverged: outcome.diverged, totalSteps: plan.totalSteps };
  } catch (error) {
    context.progress?.drop(run.id);
    const message = describeFailure(error);
    if (isOutputFailure(error)) {
      // The run directory cannot be written (a full disk): every later run would fail the same way.
      tryQuietly(() => recorder.endRun(run.id, "failed", message));
      throw error;
    }
    recorder.endRun(run.id, "failed", message);
    return { id: run.id, status: "failed", message, diverged: [], totalSteps: context.results.totalSteps[run.id] ?? 0 };
  } finally {
    for (const thing of owned.reverse()) thing.dispose();
  }
}

/**
 * The training step `run`'s updates take in this process (the loop's decision, `trainingStepPath`, on its model
 * built for one seed): `--resume` compares it with the step the run recorded.
 */
export function predictedTrainingStep(run: RunSpec, seed: number): TrainingStepPath {
  const model = buildModel(run.model, [seed]);
  try {
    return trainingStepPath(model, { loss: run.loss, l2: run.l2 });
  } finally {
    model.dispose();
  }
}

/** Whether probe `name` runs Lanczos or power iteration: its registry entry says so. */
const reorthogonalises = (name: string): boolean => registry.get("probe", name)?.reorthogonalises === true;

/**
 * The curvature each run of `plan` measures in this process, for `--resume` (./resume-kernels.ts): the paths of
 * its Hessian-vector products (each probe with the curvature family's `hvp` knob; lowered arguments carry every
 * default) decided on its model built for one seed, as the operator decides them. One build per model and loss.
 */
export function plannedCurvature(plan: ProfilePlan): ResumeCurvature {
  const known = new Map<string, RunCurvature>();
  const predict = (id: string): RunCurvature => {
    const run = plan.runs.find((r) => r.id === id)!;
    const products = run.probes.map((p) => p.args["hvp"]).filter((hvp): hvp is "exact" | "difference" => hvp === "exact" || hvp === "difference");
    const reorth = run.probes.some((p) => reorthogonalises(p.probe));
    if (products.length === 0) return { paths: [], rOperator: false, reorth };
    const key = JSON.stringify([run.model, run.loss, [...new Set(products)].sort()]);
    if (!known.has(key)) known.set(key, predictedCurvature(run, plan.seeds[0] ?? 0, products));
    return { ...known.get(key)!, reorth };
  };
  return { runs: plan.runs.map((r) => r.id), predict };
}

function predictedCurvature(run: RunSpec, seed: number, products: readonly ("exact" | "difference")[]): RunCurvature {
  const model = buildModel(run.model, [seed]);
  try {
    const predicted = products.map((hvp) => predictedHvpPath(model, run.loss, hvp));
    return { paths: [...new Set(predicted.map((p) => p.path))], rOperator: predicted.some((p) => p.rOperator), reorth: false };
  } finally {
    model.dispose();
  }
}

/**
 * The permutation each `shuffle_labels: s` data set of the run had applied, to the run directory: the same
 * function of s and the data set's size that permuted it (stdlib/data/shuffle-labels.ts), so a researcher
 * can index the original labels with it (`labels[perm]`) without re-implementing dync's random streams.
 */
function recordLabelPermutations(run: RunSpec, datasets: ReadonlyMap<string, Dataset[]>, recorder: RunSink): void {
  for (const [name, spec] of Object.entries(run.data)) {
    if (spec.shuffle_labels === undefined) continue;
    recorder.labelPermutation(run.id, name, spec.shuffle_labels, labelPermutation(spec.shuffle_labels, datasets.get(name)![0]!.n));
  }
}

/** `redraw` for training data with `resample: every_step`, else nothing. */
function redrawOption(run: RunSpec, context: RunContext): { redraw?: (step: number) => Dataset[] } {
  const spec = run.data[run.trainOn];
  const redraw = spec && redrawTrainingData(run.trainOn, spec, context);
  return redraw ? { redraw } : {};
}

function trainingData(run: RunSpec, datasets: ReadonlyMap<string, Dataset[]>): Dataset[] {
  const data = datasets.get(run.trainOn);
  if (!data) {
    throw new DyncRuntimeError("RUN040", `run ${run.id} trains on "${run.trainOn}", which is not one of its data sets (${[...datasets.keys()].join(", ")})`);
  }
  if (data[0]!.yDim === 0) {
    throw new DyncRuntimeError("RUN040", `data set "${run.trainOn}" has no targets, so the model cannot train on it`, "give it a target: `-> f(x)`");
  }
  return data;
}

/**
 * The seed-batched network a `ModelSpec` describes: `opposing_linear` as its own class (no layer list can say
 * it); every other model as a layer list: `model net { … }` as written,
 * `mlp(…)` and `cnn(…)` through the one list each stands for (contract/layer-list.ts). Every example's metrics
 * are byte-identical to the former Mlp/ConvNet classes (which remain as tested references and public API).
 */
function buildModel(spec: ModelSpec, seeds: readonly number[]): Sequential | OpposingLinear {
  if (spec.kind === "opposing_linear") return opposingLinear({ d1: spec.d1, d2: spec.d2, seeds });
  if (!["mlp", "convnet", "layers"].includes(spec.kind)) {
    throw new DyncRuntimeError("RUN040", `model "${spec.name}" has kind "${String(spec.kind)}", which the runtime cannot build`);
  }
  const { layers, inShape } = modelLayers(spec);
  return new Sequential({ inShape, layers, seeds, init: spec.init });
}

/** The compiler filled in/out dimensions; a mismatch with the data is a clear error here, not a tfjs shape error later. */
function checkModelFits(run: RunSpec, model: Sequential | OpposingLinear, data: Dataset): void {
  const inputs = data.xShape[0]!;
  if (model.inDim !== inputs) {
    throw new DyncRuntimeError("RUN040", `model "${run.model.name}" takes ${model.inDim} inputs but data set "${data.name}" has ${inputs} per sample`);
  }
  if (model.outDim !== data.yDim) {
    throw new DyncRuntimeError("RUN040", `model "${run.model.name}" has ${model.outDim} outputs but data set "${data.name}" has ${data.yDim} target columns`);
  }
}

/** A probe started on this run: its spec, its instance (for checkpoints) and the loop's view of it. */
interface StartedProbe {
  readonly spec: ProbeSpec;
  readonly instance: ProbeInstance;
  readonly train: TrainProbe;
}

/**
 * A `ProbeSpec`'s implementation started on this run (arguments defaulted, checked and resolved, per-run
 * state set up) before training starts; `owned` finishes it when the run ends.
 */
function startedProbe(spec: ProbeSpec, env: RunProbeEnv, probeNames: ReadonlySet<string>, owned: { dispose(): void }[], writer: HandoffWriter | undefined, sets: FoundSets): StartedProbe {
  const definition = probeImplementations.get(spec.probe);
  if (!definition) {
    throw new DyncRuntimeError(
      "RUN040",
      `probe ${spec.name} (line ${spec.line}) uses "${spec.probe}", which this runtime does not implement (it has ${[...probeImplementations.keys()].join(", ")})`,
    );
  }
  for (const [key, value] of Object.entries(spec.args)) {
    const name = refName(value);
    // A probe reference (`along: h`) names another probe of the run; the others a model or data set.
    const param = definition.entry.params.find((p) => p.name === key);
    const known = param?.type.t === "ref" && param.type.of === "probe" ? probeNames.has(name ?? "") : env.knows(name ?? "");
    if (name !== undefined && !known) {
      throw new DyncRuntimeError("RUN040", `probe ${spec.name} (line ${spec.line}): argument ${key} names "${name}", which the run does not define`);
    }
  }
  const start = (): ProbeInstance => inProbe(spec, () => definition.start(spec.args, env, spec.name));
  // A probe reading an index set found during the run starts when the set is found (runner/found-sets.ts).
  const probe: ProbeInstance = setsReadBy(spec).length > 0 ? deferredProbe(start, sets.startOf(spec)) : start();
  owned.push({ dispose: () => probe.finish?.() });
  const handOver = writer?.publishes(spec.name) ? writer : undefined;
  const measure = (ctx: ProbeContext): ReturnType<ProbeInstance["measure"]> => {
    const value = probe.measure(ctx);
    if (!handOver) return value;
    const after = (): void => handOver.afterCall(spec.name, ctx.step, ctx.seedIndices);
    if (value instanceof Promise) return value.then((v: unknown) => (after(), v)) as ReturnType<ProbeInstance["measure"]>;
    after();
    return value;
  };
  const train: TrainProbe = { name: spec.name, cadence: spec.cadences, run: (ctx) => inProbe(spec, () => measure(ctx)) };
  return { spec, instance: probe, train: probe.observe ? { ...train, observe: (ctx) => inProbe(spec, () => probe.observe!(ctx)) } : train };
}

/** A probe whose per-run state cannot be saved would resume silently wrong: refuse before training. */
function requireCheckpointable(probes: readonly StartedProbe[]): void {
  const stuck = probes.find((p) => !p.instance.save || !p.instance.restore);
  if (!stuck) return;
  throw new DyncRuntimeError(
    "RUN032",
    `probe ${stuck.spec.name} (line ${stuck.spec.line}): "${stuck.spec.probe}" keeps per-run state that cannot be checkpointed (it has no save/restore)`,
    "run without checkpoints (no `checkpoint every`, no --checkpoint-every) or give the probe save/restore hooks",
  );
}

function restoreProbes(probes: readonly StartedProbe[], checkpoint: RunCheckpoint): void {
  for (const { spec, instance } of probes) {
    if (!Object.hasOwn(checkpoint.probes, spec.name)) throw new DyncRuntimeError("RUN032", `the checkpoint of run ${checkpoint.run} has no state for probe ${spec.name}`, "delete it to restart that run from step 0");
    inProbe(spec, () => instance.restore!(checkpoint.probes[spec.name]));
  }
}

/** The run's sink, counting the metrics rows it writes (a checkpoint records how many precede it). */
class CountingSink implements RunSink {
  constructor(
    private readonly sink: RunSink,
    public rows: number,
  ) {}

  beginRun(run: string, sweep: Readonly<Record<string, SweepValue>>, seeds: readonly number[]): void {
    this.sink.beginRun(run, sweep, seeds);
  }

  endRun(run: string, status: Exclude<RunStatus, "running">, message?: string): void {
    this.sink.endRun(run, status, message);
  }

  runTrainingStep(run: string, counts: StepPathCounts): void {
    this.sink.runTrainingStep(run, counts);
  }

  runHvpPaths(run: string, counts: HvpPathCounts): void {
    this.sink.runHvpPaths(run, counts);
  }

  labelPermutation(run: string, dataset: string, seed: number, permutation: Int32Array): void {
    this.sink.labelPermutation(run, dataset, seed, permutation);
  }

  seedScalars(record: Parameters<RunSink["seedScalars"]>[0]): void {
    this.sink.seedScalars(record);
    this.rows += record.seeds.length;
  }

  tensor(record: TensorRecord): unknown {
    const file = this.sink.tensor(record);
    this.rows += 1;
    return file;
  }
}

/** Runs `f`, naming the probe and its line in any runtime error it throws. */
function inProbe<T>(spec: ProbeSpec, f: () => T): T {
  const rename = (error: unknown): never => {
    if (error instanceof DyncRuntimeError) throw new DyncRuntimeError(error.code, `probe ${spec.name} (line ${spec.line}): ${error.message}`, error.hint);
    throw error;
  };
  try {
    const value = f();
    return (value instanceof Promise ? value.catch(rename) : value) as T;
  } catch (error) {
    return rename(error);
  }
}

/** Optional optimizer fields the compiler left `null` mean "the optimizer's default". */
function withoutNulls(spec: OptimizerSpec): OptimizerSpec {
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== null && v !== undefined)) as unknown as OptimizerSpec;
}

/** `interrupted by SIGTERM after 120 of 400 steps (measurements up to step 119 are recorded)`. */
export function interruptedMessage(stop: AbortSignal, stepsDone: number, totalSteps: number): string {
  const kept = stepsDone > 0 ? ` (measurements up to step ${stepsDone - 1} are recorded)` : "";
  return `interrupted by ${interruptSignalOf(stop)} after ${stepsDone} of ${totalSteps} steps${kept}`;
}

function divergedMessage(diverged: readonly DivergedSeed[], seedCount: number): string {
  const listed = [...diverged].sort((a, b) => a.step - b.step).slice(0, 5).map((d) => `seed ${d.seed} at step ${d.step}`);
  const more = diverged.length > 5 ? `, and ${diverged.length - 5} more` : "";
  return `${diverged.length} of ${seedCount} seeds diverged (loss NaN or infinite): ${listed.join(", ")}${more}`;
}

function lossSummary(loss: Float32Array | null): string | undefined {
  if (!loss || loss.length === 0) return undefined;
  const sorted = Float64Array.from(loss).sort();
  const median = (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
  return `batch loss median ${formatLoss(median)}`; // as the live view prints losses: 2.05e-6, not 0.00000205
}

/** RUN030: the run directory can no longer be written; the experiment stops rather than fail every run. */
export function isOutputFailure(error: unknown): boolean {
  return error instanceof DyncRuntimeError && error.code === "RUN030";
}

/** Bookkeeping after a failure that must not replace that failure's error with its own. */
export function tryQuietly(action: () => void): boolean {
  try {
    action();
    return true;
  } catch {
    return false;
  }
}

/** A failure as one line for the manifest and stderr: `RUN0xx: …`, or the internal error's message. */
export function describeFailure(error: unknown): string {
  if (error instanceof DyncRuntimeError) return error.oneLine();
  return `internal error: ${error instanceof Error ? error.message : String(error)}`;
}
