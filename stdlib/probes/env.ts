/** The probe environment of one run: its model and data sets by `.dyn` name, data uploaded lazily and once. */
import { sampleSize, type Dataset } from "../../runtime/dataset.js";
import { Rng } from "../../runtime/rng.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { LossKind } from "../../runtime/loss.js";
import type { Model } from "../../contract/model.js";
import type { DataRef } from "../../contract/program.js";
import { EvalData } from "./eval-data.js";
import type { ProbeEnv } from "./types.js";

/** The name inside a `{ ref: name }` argument, or undefined when `value` is not a reference. */
export function refName(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const ref = (value as { ref?: unknown }).ref;
  return typeof ref === "string" ? ref : undefined;
}

/**
 * The rows of a group argument (contract/program.ts DataRef): listed, `n` drawn per seed (`random_subset(train,
 * n, seed: k)`), listed per seed index (`seedRows`), or the set `found` names, found during the run.
 */
export type GroupRows =
  | { readonly rows: NonNullable<DataRef["rows"]> }
  | { readonly random: NonNullable<DataRef["random"]> }
  | { readonly seedRows: readonly (readonly number[])[] }
  | { readonly found: string };

/** The group part of a data reference, or undefined for a whole data set. */
export function groupOf(value: unknown): GroupRows | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { rows, random, found } = value as { rows?: unknown; random?: unknown; found?: { name?: unknown } };
  const whole = (v: unknown, min: number) => typeof v === "number" && Number.isInteger(v) && v >= min;
  if (found !== undefined) {
    if (typeof found?.name === "string") return { found: found.name };
    throw new DyncRuntimeError("RUN040", `a found group must name its index set, got ${JSON.stringify(found)}`);
  }
  if (rows !== undefined) {
    if (Array.isArray(rows) && rows.length > 0 && rows.every((r) => whole(r, 0))) return { rows: rows as number[] };
    throw new DyncRuntimeError("RUN040", `a group's rows must be a non-empty list of whole numbers ≥ 0, got ${JSON.stringify(rows)}`);
  }
  if (random !== undefined) {
    const { n, seed } = (random ?? {}) as { n?: unknown; seed?: unknown };
    if (whole(n, 1) && whole(seed, 0)) return { random: { n: n as number, seed: seed as number } };
    throw new DyncRuntimeError("RUN040", `a random group needs a whole n ≥ 1 and seed ≥ 0, got ${JSON.stringify(random)}`);
  }
  return undefined;
}

/**
 * The group's rows of a data set as data sets of their own (rows in the order given): one shared set when
 * the rows are listed and the data set is shared, else one per seed. `random_subset` draws n distinct rows
 * per seed from `new Rng(seed value).fork("random_subset").fork(data set).fork(k)`, so it is the same
 * group in every probe of the run that names it, and each seed has its own.
 */
export function groupRows(datasets: readonly Dataset[], group: Exclude<GroupRows, { found: string }>, seeds: readonly number[]): Dataset[] {
  const name = datasets[0]!.name;
  const n = datasets[0]!.n;
  const inside = (rows: readonly number[]): void => {
    const outside = rows.find((r) => !(Number.isInteger(r) && r >= 0 && r < n));
    if (outside !== undefined) throw new DyncRuntimeError("RUN040", `row ${outside} of group ${name}[…] is outside data set "${name}" (rows 0 to ${n - 1})`, "index rows below the data set's size");
  };
  if ("rows" in group) {
    inside(group.rows);
    return datasets.map((d) => subsetDataset(d, group.rows));
  }
  if ("seedRows" in group) {
    if (group.seedRows.length !== seeds.length) throw new DyncRuntimeError("RUN040", `a group of rows per seed needs ${seeds.length} row lists, got ${group.seedRows.length}`);
    group.seedRows.forEach(inside);
    return group.seedRows.map((rows, s) => subsetDataset(datasets[datasets.length === 1 ? 0 : s]!, rows));
  }
  const { n: count, seed } = group.random;
  if (count > n) throw new DyncRuntimeError("RUN040", `random_subset(${name}, ${count}) asks for more rows than data set "${name}" has (${n})`, `ask for at most ${n} rows`);
  return seeds.map((value, s) => {
    const rows = new Rng(value).fork("random_subset").fork(name).fork(String(seed)).permutation(n).subarray(0, count);
    return subsetDataset(datasets[datasets.length === 1 ? 0 : s]!, Array.from(rows));
  });
}

/** Rows `rows` of a data set, in that order. */
function subsetDataset(d: Dataset, rows: readonly number[]): Dataset {
  const width = sampleSize(d.xShape);
  const x = new Float32Array(rows.length * width);
  const y = new Float32Array(rows.length * d.yDim);
  rows.forEach((r, i) => {
    x.set(d.x.subarray(r * width, (r + 1) * width), i * width);
    y.set(d.y.subarray(r * d.yDim, (r + 1) * d.yDim), i * d.yDim);
  });
  const labels = d.labels ? Int32Array.from(rows, (r) => d.labels![r]!) : undefined;
  return { ...d, n: rows.length, x, y, ...(labels ? { labels } : {}) };
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
  /** Per seed index, the rows of an index set found during the run (`train[up]`), once it is found. */
  readonly found?: (name: string) => readonly (readonly number[])[];
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

  /** The data set, or group of its rows (`{ ref, rows }`, `{ ref, random }`), named by `args[key]`. */
  data(args: Readonly<Record<string, unknown>>, key = "data"): EvalData {
    const name = this.requireRef(args, key, "a data set");
    const group = groupOf(args[key]);
    const cacheKey = group ? `${name}${JSON.stringify(group)}` : name;
    const cached = this.uploaded.get(cacheKey);
    if (cached) return cached;
    const datasets = this.options.datasets.get(name);
    if (!datasets) {
      const known = [...this.options.datasets.keys()].join(", ");
      throw new DyncRuntimeError("RUN040", `probe argument ${key} names data set "${name}", which the run does not have (it has ${known})`);
    }
    const rows = group && "found" in group ? { seedRows: this.foundRows(group.found) } : group;
    const data = new EvalData(rows ? groupRows(datasets, rows, this.seeds) : datasets, this.options.model.seeds);
    this.uploaded.set(cacheKey, data);
    return data;
  }

  private foundRows(name: string): readonly (readonly number[])[] {
    if (!this.options.found) throw new DyncRuntimeError("RUN040", `a probe reads the index set "${name}" found during the run, but this run finds no sets`);
    return this.options.found(name);
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
