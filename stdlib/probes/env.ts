/** The probe environment of one run: its model and data sets by `.dyn` name, data uploaded lazily and once. */
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { LossKind } from "../../runtime/loss.js";
import type { Model } from "../../contract/model.js";
import { EvalData } from "./eval-data.js";
import type { ProbeEnv } from "./types.js";

/** The name inside a `{ ref: name }` argument, or undefined when `value` is not a reference. */
export function refName(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const ref = (value as { ref?: unknown }).ref;
  return typeof ref === "string" ? ref : undefined;
}

export interface RunProbeEnvOptions {
  /** The run's model and its `.dyn` name. */
  readonly model: Model;
  readonly modelName: string;
  /** Every data set of the run by name: one shared by all seeds, or one per seed index. */
  readonly datasets: ReadonlyMap<string, readonly Dataset[]>;
  readonly loss: LossKind;
  /** The run's seed values by seed index (default 0 … S − 1, what a seed count resolves to). */
  readonly seeds?: readonly number[];
}

/** A `ProbeEnv` over one run; `dispose()` frees the uploaded data. */
export class RunProbeEnv implements ProbeEnv {
  readonly loss: LossKind;
  readonly seeds: readonly number[];
  readonly board = new Map<string, unknown>();
  private readonly uploaded = new Map<string, EvalData>();

  constructor(private readonly options: RunProbeEnvOptions) {
    this.loss = options.loss;
    this.seeds = options.seeds ?? Array.from({ length: options.model.seeds }, (_, s) => s);
    if (this.seeds.length !== options.model.seeds) {
      throw new DyncRuntimeError("RUN040", `the probe environment has ${this.seeds.length} seed values for a model of ${options.model.seeds} seeds`);
    }
  }

  model(args: Readonly<Record<string, unknown>>, key = "model"): Model {
    const name = this.requireRef(args, key, "a model");
    if (name !== this.options.modelName) {
      throw new DyncRuntimeError("RUN040", `probe argument ${key} names "${name}", but the run's model is "${this.options.modelName}"`);
    }
    return this.options.model;
  }

  data(args: Readonly<Record<string, unknown>>, key = "data"): EvalData {
    const name = this.requireRef(args, key, "a data set");
    const cached = this.uploaded.get(name);
    if (cached) return cached;
    const datasets = this.options.datasets.get(name);
    if (!datasets) {
      const known = [...this.options.datasets.keys()].join(", ");
      throw new DyncRuntimeError("RUN040", `probe argument ${key} names data set "${name}", which the run does not have (it has ${known})`);
    }
    const data = new EvalData(datasets, this.options.model.seeds);
    this.uploaded.set(name, data);
    return data;
  }

  /** Whether `name` is something a `{ ref }` argument may name in this run. */
  knows(name: string): boolean {
    return name === this.options.modelName || this.options.datasets.has(name);
  }

  dispose(): void {
    for (const data of this.uploaded.values()) data.dispose();
    this.uploaded.clear();
  }

  private requireRef(args: Readonly<Record<string, unknown>>, key: string, what: string): string {
    const name = refName(args[key]);
    if (name === undefined) {
      throw new DyncRuntimeError("RUN040", `probe argument ${key} must name ${what}, got ${JSON.stringify(args[key]) ?? "nothing"}`);
    }
    return name;
  }
}
