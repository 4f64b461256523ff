/**
 * Probe implementations by registry name. Each takes its lowered arguments (`{ ref: name }` for the model
 * and data sets), the training context and the run's environment, and returns one value per seed index.
 */
import { accuracyProbe } from "./accuracy.js";
import { condensationProbes } from "./condensation/index.js";
import { sharpnessProbe } from "./hessian.js";
import { lotteryProbes } from "./lottery/index.js";
import { lossProbe } from "./loss.js";
import { learningRateProbe, trainLossProbe } from "./training.js";
import type { ProbeFn } from "./types.js";
import { weightNormProbe } from "./weight-norm.js";

export { datasetAccuracy } from "./accuracy.js";
export { datasetLoss } from "./loss.js";
export { hessianVectorProduct, topHessianEigenvalue } from "./hessian.js";
export type { HvpBatch, SharpnessOptions, SharpnessResult } from "./hessian.js";
export { parameterNorm } from "./weight-norm.js";
export { EvalData } from "./eval-data.js";
export type { RowRange } from "./eval-data.js";
export { refName, RunProbeEnv } from "./env.js";
export type { RunProbeEnvOptions } from "./env.js";
export { fieldProbeName, isSeedFields, isSeedIndexed, isSeedScalars, isSeedTensors, VALUE_FIELD } from "./types.js";
export type { ProbeEnv, ProbeFn, ProbeValue, SeedFields, SeedIndexed, SeedScalars, SeedTensors } from "./types.js";

/** Every probe the runtime can run, by registry name; arguments: `model` and `data` references. */
export const probeImplementations: Readonly<Record<string, ProbeFn>> = {
  loss: lossProbe,
  weight_norm: weightNormProbe,
  accuracy: accuracyProbe,
  train_loss: trainLossProbe,
  lr: learningRateProbe,
  sharpness: sharpnessProbe,
  ...lotteryProbes,
  ...condensationProbes,
};

/** The implementation of probe `name`, or undefined when the runtime has none. */
export function probeImplementation(name: string): ProbeFn | undefined {
  return Object.hasOwn(probeImplementations, name) ? probeImplementations[name] : undefined;
}
