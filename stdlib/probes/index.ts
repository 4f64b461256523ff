/**
 * Probes as the runner uses them: the implementation table (built from the family folders), starting a
 * probe on a run, and the shared pieces (evaluation data, the run environment, value shapes).
 */
import type { ProbeContext } from "../../runtime/train/index.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { probeImplementations } from "../implementations.js";
import type { ProbeInstance } from "./define.js";
import type { ProbeEnv, ProbeValue } from "./types.js";

export { probeImplementations } from "../implementations.js";
export { datasetAccuracy } from "../core/accuracy.js";
export { datasetLoss } from "../core/loss.js";
export { parameterNorm } from "../core/weight-norm.js";
export { HessianOperator, hessianEigenpairs, latestEigenpairs, subsetRows } from "../curvature/index.js";
export type { Eigenpairs, HessianCallOptions, HessianEigenpairs, HvpOptions } from "../curvature/index.js";
export { EvalData } from "./eval-data.js";
export type { RowRange } from "./eval-data.js";
export { refName, RunProbeEnv } from "./env.js";
export type { RunProbeEnvOptions } from "./env.js";
export { defineProbe } from "./define.js";
export type { ProbeArgs, ProbeDefinition, ProbeInstance, ProbeResult, ProbeRun } from "./define.js";
export { fieldProbeName, isSeedFields, isSeedIndexed, isSeedScalars, isSeedTensors, VALUE_FIELD } from "./types.js";
export type { ProbeEnv, ProbeValue, SeedFields, SeedIndexed, SeedScalars, SeedTensors } from "./types.js";

/** Probe `name` started on a run: arguments defaulted and resolved, per-run state set up; `probeName` is its name in the experiment. */
export function startProbe(name: string, args: Readonly<Record<string, unknown>>, env: ProbeEnv, probeName: string = name): ProbeInstance {
  const definition = probeImplementations.get(name);
  if (!definition) {
    throw new DyncRuntimeError("RUN040", `probe "${name}" is not implemented in this runtime (it has ${[...probeImplementations.keys()].join(", ")})`);
  }
  return definition.start(args, env, probeName);
}

/** One measurement of probe `name` on a fresh instance (set up, measured once, finished): for tests and API users. */
export function measureProbe(name: string, args: Readonly<Record<string, unknown>>, ctx: ProbeContext, env: ProbeEnv): ProbeValue | Promise<ProbeValue> {
  const probe = startProbe(name, args, env);
  let value: ProbeValue | Promise<ProbeValue>;
  try {
    value = probe.measure(ctx);
  } catch (error) {
    probe.finish?.();
    throw error;
  }
  if (value instanceof Promise) return value.finally(() => probe.finish?.());
  probe.finish?.();
  return value;
}
