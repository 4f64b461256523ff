/**
 * The training loop's state at a step boundary, as plain data, and its restoration: what a checkpoint
 * holds besides the probes' and the recorder's state (runner/checkpoint.ts adds those and writes the file).
 *
 * Taken before step k runs (k updates applied, every measurement of steps < k delivered), it holds every
 * value step k onward depends on: the parameters and the model's non-trainable state (batch-norm running
 * statistics), the dropout streams' positions, the optimizer's state variables (momentum buffers, Adam
 * moments) and update count (Adam's bias corrections, SGD's first-step buffer), the batch sampler's streams
 * and current epoch order, the divergence tracker (which seeds went non-finite, at which step, which were
 * reported), every event's firing steps and what event conditions keep (earlier values). The learning-rate schedule is a pure function of the step and
 * needs nothing. Restored into a freshly built run, training continues bit for bit as if never stopped.
 */
import type { CheckpointCadence } from "../../contract/program.js";
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import type { Model, StepPathCounts } from "../../contract/model.js";
import type { Optimizer } from "../optim.js";
import type { SamplerState } from "./batches.js";
import type { DivergedSeed, DivergenceState } from "./divergence.js";

/** A tensor's values copied off the backend. */
export type SavedValues = Float32Array | Int32Array | Uint8Array;

export interface TrainingSnapshot {
  /** The step training continues at: updates applied so far. */
  readonly step: number;
  /** Parameter values by `Param.name`. */
  readonly params: Readonly<Record<string, SavedValues>>;
  /** `Model.state` values, in order. */
  readonly modelState: readonly SavedValues[];
  /** `Model.randomState()`, or null for a model that draws nothing while training. */
  readonly modelRandom: unknown;
  readonly optimizer: { readonly updates: number; readonly state: readonly SavedValues[] };
  readonly sampler: SamplerState;
  readonly divergence: DivergenceState;
  /** Seeds the loop has reported diverged (their updates are masked from then on). */
  readonly diverged: readonly DivergedSeed[];
  /** Per event, per seed index: the step it fired at, or −1. */
  readonly events: Readonly<Record<string, Int32Array>>;
  /** By event, what its condition keeps between steps (a watched probe's value at an earlier step), for events that keep something. */
  readonly conditions?: Readonly<Record<string, unknown>>;
  /** How many of the updates so far each training step served (absent in checkpoints written before it was recorded). */
  readonly stepPaths?: StepPathCounts;
}

/**
 * When and where the loop hands out snapshots: before every step k with k % every = 0, or before each step k listed
 * in `at` (a share of training, contract/program.ts checkpointCadence); never at k = 0 or k = T.
 */
export type CheckpointConfig = CheckpointCadence & {
  /** Also snapshot at the step boundary where `stop` ended training (a signal). */
  readonly onStop?: boolean;
  save(snapshot: TrainingSnapshot): void | Promise<void>;
};

/** Parameters, model state, model randomness and optimizer state of a run now. */
export function captureModel(model: Model, optimizer: Optimizer): Pick<TrainingSnapshot, "params" | "modelState" | "modelRandom" | "optimizer"> {
  return {
    params: Object.fromEntries(model.params.map((p) => [p.name, read(p.variable)])),
    modelState: model.state.map(read),
    modelRandom: model.randomState?.() ?? null,
    optimizer: { updates: optimizer.updates, state: optimizer.state.map(read) },
  };
}

/** Assign a snapshot's values to a freshly built model and optimizer of the same run. */
export function restoreModel(model: Model, optimizer: Optimizer, snapshot: TrainingSnapshot): void {
  for (const p of model.params) {
    const saved = snapshot.params[p.name];
    if (!saved) throw mismatch(`has no values for parameter ${p.name}`);
    assign(p.variable, saved, p.name);
  }
  if (snapshot.modelState.length !== model.state.length) throw mismatch(`holds ${snapshot.modelState.length} model state tensors, the model has ${model.state.length}`);
  model.state.forEach((v, i) => assign(v, snapshot.modelState[i]!, `model state ${i}`));
  if (snapshot.modelRandom !== null) {
    if (!model.restoreRandomState) throw mismatch("holds random streams for a model that draws none");
    model.restoreRandomState(snapshot.modelRandom);
  }
  if (snapshot.optimizer.state.length !== optimizer.state.length) throw mismatch(`holds ${snapshot.optimizer.state.length} optimizer state tensors, the optimizer has ${optimizer.state.length}`);
  optimizer.state.forEach((v, i) => assign(v, snapshot.optimizer.state[i]!, `optimizer state ${i}`));
  optimizer.resumeAt(snapshot.optimizer.updates);
}

function read(v: tf.Variable): SavedValues {
  const values = v.dataSync();
  return v.dtype === "int32" ? Int32Array.from(values) : v.dtype === "bool" ? Uint8Array.from(values) : Float32Array.from(values);
}

function assign(v: tf.Variable, values: SavedValues, what: string): void {
  if (values.length !== v.size) throw mismatch(`holds ${values.length} values for ${what}, which has ${v.size} (shape [${v.shape.join(", ")}])`);
  const t = tf.tensor(values, v.shape, v.dtype);
  v.assign(t);
  t.dispose();
}

function mismatch(what: string): DyncRuntimeError {
  return new DyncRuntimeError("RUN032", `the checkpoint ${what}`, "delete it to restart that run from step 0");
}
