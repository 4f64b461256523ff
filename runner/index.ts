/**
 * The public runtime API (`dync/runtime`): what generated programs import, and what a TypeScript or
 * JavaScript user needs to build and run an experiment by hand.
 */

// Running experiments
export { runMain, runExperiments, parseMainArgs, usage, UsageError, type ExperimentSummary } from "./cli.js";
export type { MainArgs, MainStreams } from "./cli.js";
export { runExperiment, choosePlan } from "./experiment.js";
export { EXIT, worseExit, type ExitStatus } from "./exit-codes.js";
export type { ExperimentOptions, ExperimentOutcome } from "./experiment.js";
export { executeRun } from "./run.js";
export type { RunOutcome } from "./run.js";
export { buildDataset, buildRunData } from "./data.js";
export { evaluatePlan, formatExpect } from "../runtime/analysis/profile.js";
export type { ExpectOutcome, ProfileEvaluation, ProfileEvaluator } from "../runtime/analysis/profile.js";
export { ResultCollector } from "../runtime/analysis/results.js";
export type { ResultRow, ResultTable } from "../runtime/analysis/results.js";
export { evaluateProfile } from "./evaluate.js";
export { expandPlan, seedValues, sweepPoints, runId } from "../contract/plan.js";

// The program contract the compiler emits
export type {
  AnalysisExpr,
  AnalysisSpec,
  DataSpec,
  Dim,
  Duration,
  EventSpecData,
  ExpectSpec,
  ExperimentProgram,
  ExplicitPlan,
  GridAxisSpec,
  ModelSpec,
  PatchValue,
  PlanResults,
  PlanTemplate,
  PlotSpec,
  ProbeSpec,
  ProfilePlan,
  ProfileSpec,
  ReduceFn,
  RunBase,
  RunPatch,
  RunSpec,
  ScheduleWithDurations,
  Seeds,
  SweepAxis,
  SweepValue,
  TargetFunction,
} from "../contract/program.js";

// Backends, errors, randomness
export { selectBackend, ensureGradients } from "../runtime/backend.js";
export type { BackendInfo, BackendName, BackendRequest } from "../runtime/backend.js";
export { DyncRuntimeError } from "../runtime/errors.js";
export type { RuntimeErrorCode } from "../runtime/errors.js";
export { Rng } from "../runtime/rng.js";

// Models, parameters, initialisation
export { mlp, Mlp, resolveSeeds } from "../runtime/nn/index.js";
export type { MlpOptions, ActivationSpec, EncodingSpec, MlpInit, SeedList } from "../runtime/nn/index.js";
export type { Model, Param, ParamRole, ForwardOptions } from "../contract/model.js";
export { setParam, seedSlice, extractSeed, parameterCount, findParam, snapshot, restore } from "../runtime/params.js";
export type { InitDist, InitSchemeName, LayerInit } from "../runtime/init.js";

// Training
export { train, trainingPlan } from "../runtime/train/index.js";
export type { BatchSpec, Cadence, DurationSpec, EventSpec, ProbeContext, TrainConfig, TrainProbe, TrainRecorder, TrainResult } from "../runtime/train/index.js";
export { createOptimizer } from "../runtime/optim.js";
export type { Optimizer, OptimizerSpec } from "../runtime/optim.js";
export { makeSchedule } from "../runtime/schedule.js";
export type { Schedule, ScheduleSpec } from "../runtime/schedule.js";
export { lossFunction, l2Penalty } from "../runtime/loss.js";
export type { LossKind, LossFn } from "../runtime/loss.js";

// Data
export type { Dataset } from "../runtime/dataset.js";
export type { DataStreams, TargetDraws } from "../stdlib/data/index.js";
export {
  dataRng,
  dataStreams,
  taskRng,
  targetDraws,
  pointwiseWithDraws,
  uniformInputs,
  normalInputs,
  gridInputs,
  pointsInputs,
  withTarget,
  pointwise,
  chebyshev,
  gaussianMixture,
  sumOfSinusoids,
  loadMnist,
  loadFashionMnist,
  loadCifar10,
  loadCifar100,
} from "../stdlib/data/index.js";

// Probes
export { probeImplementations, startProbe, measureProbe, defineProbe, datasetLoss, datasetAccuracy, parameterNorm, EvalData, RunProbeEnv } from "../stdlib/probes/index.js";
export type { ProbeDefinition, ProbeEnv, ProbeInstance, ProbeValue } from "../stdlib/probes/index.js";

// Recording and progress
export { RunRecorder, freshRunDirectory } from "../runtime/record/index.js";
export type { Manifest, RecorderOptions } from "../runtime/record/index.js";
export { ProgressReporter } from "../runtime/progress.js";
export { targetMath, erf } from "../runtime/target-math.js";
