/**
 * The public runtime API (`dync/runtime`): what generated programs import, and what a TypeScript or
 * JavaScript user needs to build and run an experiment by hand.
 */

// Running experiments
export { runMain, runExperiment, parseMainArgs, usage, UsageError, choosePlan, executeRun } from "./experiment/index.js";
export type { ExperimentOptions, ExperimentOutcome, MainArgs, MainStreams, RunOutcome } from "./experiment/index.js";
export { buildDataset, buildRunData, evaluatePlan, formatExpect, ResultCollector } from "./experiment/index.js";
export type { ExpectOutcome, ProfileEvaluation, ProfileEvaluator, ResultRow, ResultTable } from "./experiment/index.js";
export { evaluateProfile } from "./analysis/index.js";
export { expandPlan, seedValues, sweepPoints, runId } from "./plan.js";

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
} from "./program.js";

// Backends, errors, randomness
export { selectBackend, ensureGradients } from "./backend.js";
export type { BackendInfo, BackendName, BackendRequest } from "./backend.js";
export { DyncRuntimeError } from "./errors.js";
export type { RuntimeErrorCode } from "./errors.js";
export { Rng } from "./rng.js";

// Models, parameters, initialisation
export { mlp, Mlp, resolveSeeds } from "./nn/index.js";
export type { MlpOptions, ActivationSpec, EncodingSpec, MlpInit, SeedList } from "./nn/index.js";
export type { Model, Param, ParamRole, ForwardOptions } from "./model.js";
export { setParam, seedSlice, extractSeed, parameterCount, findParam, snapshot, restore } from "./params.js";
export type { InitDist, InitSchemeName, LayerInit } from "./init.js";

// Training
export { train, trainingPlan } from "./train/index.js";
export type { BatchSpec, Cadence, DurationSpec, EventSpec, ProbeContext, TrainConfig, TrainProbe, TrainRecorder, TrainResult } from "./train/index.js";
export { createOptimizer } from "./optim.js";
export type { Optimizer, OptimizerSpec } from "./optim.js";
export { makeSchedule } from "./schedule.js";
export type { Schedule, ScheduleSpec } from "./schedule.js";
export { lossFunction, l2Penalty } from "./loss.js";
export type { LossKind, LossFn } from "./loss.js";

// Data
export type { Dataset } from "./dataset.js";
export {
  dataRng,
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
export { probeImplementations, datasetLoss, datasetAccuracy, parameterNorm, EvalData, RunProbeEnv } from "../stdlib/probes/index.js";
export type { ProbeEnv, ProbeFn, ProbeValue } from "../stdlib/probes/index.js";

// Recording and progress
export { RunRecorder, freshRunDirectory } from "./record/index.js";
export type { Manifest, RecorderOptions } from "./record/index.js";
export { ProgressReporter } from "./progress.js";
export { targetMath, erf } from "./target-math.js";
