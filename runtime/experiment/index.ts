/** Running compiled experiments: `runMain` for generated programs, `runExperiment` for API users and tests. */
export { runMain, parseMainArgs, parseJobs, resolveJobs, usage, UsageError } from "./cli.js";
export type { MainArgs, MainOptions, MainStreams } from "./cli.js";
export { runPool } from "./pool.js";
export type { PoolOptions } from "./pool.js";
export { runExperiment, choosePlan } from "./experiment.js";
export type { ExperimentOptions, ExperimentOutcome } from "./experiment.js";
export { executeRun } from "./run.js";
export type { RunContext, RunOutcome } from "./run.js";
export { buildDataset, buildRunData } from "./data.js";
export type { DataContext } from "./data.js";
export { eventFromSpec } from "./event-condition.js";
export { durationInSteps, scheduleInSteps } from "./schedule.js";
export { evaluatePlan, formatAnalysisError, formatExpect } from "./analysis.js";
export type { ExpectOutcome, ProfileEvaluation, ProfileEvaluator } from "./analysis.js";
export { ResultCollector } from "./results.js";
export type { ResultRow, ResultTable } from "./results.js";
