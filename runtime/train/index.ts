/** The training half of the runtime: loop, batching, cadences, divergence handling. */
export { train, trainingStepPath } from "./loop.js";
export type {
  ProbeContext,
  ProbePoint,
  ProbeRecord,
  ProgressInfo,
  StepBatch,
  StepLoss,
  TrainConfig,
  TrainProbe,
  TrainRecorder,
  TrainResult,
} from "./loop.js";
export { BatchSampler, trainingPlan } from "./batches.js";
export type { BatchSpec, DurationSpec, SamplerState, TrainingPlan } from "./batches.js";
export { captureModel, restoreModel } from "./checkpoint.js";
export type { CheckpointConfig, SavedValues, TrainingSnapshot } from "./checkpoint.js";
export { CadenceScheduler } from "./cadence.js";
export type { Cadence, CadencePoint, EventSpec, FiredEvent, ProbeRunner, ScheduledProbe, Timeline } from "./cadence.js";
export { TrainData } from "./data.js";
export type { BatchTensors } from "./data.js";
export { DivergenceTracker } from "./divergence.js";
export type { DivergedSeed, DivergenceState } from "./divergence.js";
