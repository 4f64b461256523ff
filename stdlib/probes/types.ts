/**
 * What probes return (one value per seed, in one of four shapes) and the run environment that resolves
 * their model and data references. Implementations are defined with `defineProbe` (./define.ts).
 */
import type { LossKind } from "../../runtime/loss.js";
import type { Model } from "../../contract/model.js";
import type { EvalData } from "./eval-data.js";
export { fieldProbeName, VALUE_FIELD } from "../../contract/results.js";

/** One number per seed index (length S); NaN where a seed was not measured (event-triggered calls). */
export type SeedScalars = Float64Array;

/** One array per seed index, each of `shape`; `undefined` for seeds not measured. */
export interface SeedTensors {
  readonly kind: "tensors";
  readonly shape: readonly number[];
  readonly perSeed: readonly (Float32Array | undefined)[];
}

/** Several named values per seed (`angle`, `amplitude`), recorded as probes `name.field`. */
export interface SeedFields {
  readonly kind: "fields";
  readonly fields: Readonly<Record<string, SeedScalars>>;
}

/**
 * One value per unit along an extra dimension (`neuron`, `frequency`) per seed, for every field:
 * `fields[f][s]` is seed index s's array (undefined for seeds not measured). Written as .npy per seed and
 * kept in the results with the unit index as a dimension, so analyses and plots can use it.
 */
export interface SeedIndexed {
  readonly kind: "indexed";
  readonly dim: string;
  readonly fields: Readonly<Record<string, readonly (Float64Array | undefined)[]>>;
}

/** A probe's result at one step; `undefined` when the probe has nothing to measure at that step. */
export type ProbeValue = SeedScalars | SeedTensors | SeedFields | SeedIndexed | undefined;

/** The run a probe measures: `{ ref: name }` arguments resolved to its model and data sets. */
export interface ProbeEnv {
  /** The model named by `args[key]` (a `{ ref }`). */
  model(args: Readonly<Record<string, unknown>>, key?: string): Model;
  /** The data set named by `args[key]` (a `{ ref }`), uploaded to the backend once per run. */
  data(args: Readonly<Record<string, unknown>>, key?: string): EvalData;
  /** The loss the run trains with; what `loss(model, data)` measures. */
  readonly loss: LossKind;
  /** The run's seed values, by seed index (what per-seed random draws start from). */
  readonly seeds: readonly number[];
  /**
   * What probes of this run publish for later probes of the same run, by the publishing probe's name (a
   * `hessian` probe's eigenvectors: stdlib/curvature/eigen-board.ts). One board per run, empty at its start.
   */
  readonly board: Map<string, unknown>;
}

/** Whether a probe value is per-seed scalars (as opposed to tensors or nothing). */
export function isSeedScalars(value: unknown): value is SeedScalars {
  return value instanceof Float64Array;
}

/** Whether a probe value is per-seed tensors. */
export function isSeedTensors(value: unknown): value is SeedTensors {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "tensors";
}

/** Whether a probe value holds several named per-seed values. */
export function isSeedFields(value: unknown): value is SeedFields {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "fields";
}

/** Whether a probe value is per-unit along an extra dimension. */
export function isSeedIndexed(value: unknown): value is SeedIndexed {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "indexed";
}
