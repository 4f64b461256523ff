/**
 * The run-directory recorder: the one object a generated program hands its measurements to.
 *
 * Everything is written synchronously as it arrives (see metrics-writer.ts), so an interrupted run keeps
 * what it measured and its manifest says `running`; `finish` stamps the end time and the final status.
 */
import { mkdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { METRIC_COLUMNS } from "../../contract/results.js";
import type { HvpPathCounts, StepPathCounts, TrainingStepPath } from "../../contract/model.js";
import { DyncRuntimeError } from "../errors.js";
import { writeNpy, type NpyData } from "../npy.js";
import { collectVersions, writeManifest, type BackendInfo, type Manifest, type RunEntry, type RunStatus, type ShardRecord, type SweepValue, type Versions } from "./manifest.js";
import { MetricsWriter, type MetricLine } from "./metrics-writer.js";
import { pathSegment, prepareRunDirectory, runPaths, unwritable, type RunPaths } from "./run-dir.js";
import { StackedArrays } from "./stacked.js";

export interface RecorderOptions {
  /** The run directory (created; must not already hold a run). */
  dir: string;
  experiment: string;
  config: unknown;
  /** Sweep variable names, in the column order of the metrics. */
  sweepAxes?: readonly string[];
  backend: BackendInfo;
  /** Overrides or additions to the collected versions (e.g. `{ "tfjs-backend-wasm": "4.22.0" }`). */
  versions?: Partial<Versions>;
  source?: unknown;
  /** Milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  clock?: () => number;
  /** Longest time between fsyncs of the metrics files, ms (default 2000). */
  syncIntervalMs?: number;
  /** `planHash` of the program (runner/checkpoint.ts), for `dync run --resume`. */
  planHash?: string;
  /** The shard of the plan this directory holds (`dync run --shard i/n`). */
  shard?: ShardRecord;
  /**
   * Continue a run directory (`dync run --resume`): its manifest as prepared for resuming (the runs kept,
   * status `running`) and the metrics rows kept; the files are appended to, not created.
   */
  resume?: {
    manifest: Manifest;
    metricRows: number;
    /**
     * Rows of runs that continue from their checkpoints, cut from the files and written back here as each
     * such run begins (runner/resume.ts: with `--jobs N` they followed an earlier unfinished run's rows).
     */
    held?: ReadonlyMap<string, { readonly csv: Uint8Array; readonly jsonl: Uint8Array; readonly count: number }>;
    /** Called after a run's held rows were written back. */
    onHeldWritten?: (run: string) => void;
  };
}

/** A scalar measurement. `seed` is the seed's value (not its index); omit it for a value over all seeds. */
export interface ScalarRecord {
  run: string;
  seed?: number;
  step: number;
  epoch?: number;
  probe: string;
  value: number;
}

/** A tfjs tensor, read through `dataSync` (kept structural so the recorder needs no backend). */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  dataSync(): ArrayLike<number>;
}

/** A vector/matrix measurement, stored as .npy and referenced from the metrics' `npy_file` column. */
export interface TensorRecord {
  run: string;
  seed?: number;
  step: number;
  epoch?: number;
  probe: string;
  /** A typed array (with `shape`, default 1-D) or a tfjs tensor. */
  data: NpyData | TensorLike;
  shape?: readonly number[];
  /**
   * Store it as the next row of one array per probe, run and seed (runtime/record/stacked.ts) instead of a
   * file of its own; its metrics row's `value` is then the row's index in that array.
   */
  stacked?: boolean;
}

const RESERVED_COLUMNS: ReadonlySet<string> = new Set(METRIC_COLUMNS);

export class RunRecorder {
  readonly paths: RunPaths;
  private readonly manifest: Manifest;
  private readonly runs = new Map<string, RunEntry>();
  private readonly metrics: MetricsWriter;
  private readonly clock: () => number;
  private readonly startMs: number;
  private readonly stacks = new StackedArrays();
  private finished = false;
  private readonly held: Map<string, { readonly csv: Uint8Array; readonly jsonl: Uint8Array; readonly count: number }>;
  private readonly onHeldWritten: ((run: string) => void) | undefined;

  /** Create the directory, write the initial manifest (status `running`) and open the metrics files. */
  constructor(options: RecorderOptions) {
    const sweepAxes = [...(options.sweepAxes ?? [])];
    const clash = sweepAxes.find((axis) => RESERVED_COLUMNS.has(axis));
    if (clash) throw new DyncRuntimeError("RUN040", `sweep variable "${clash}" clashes with a metrics column name (${[...RESERVED_COLUMNS].join(", ")})`);
    this.clock = options.clock ?? Date.now;
    this.startMs = this.clock();
    this.held = new Map(options.resume?.held ?? []);
    this.onHeldWritten = options.resume?.onHeldWritten;
    if (options.resume) {
      this.paths = runPaths(options.dir);
      this.manifest = options.resume.manifest;
      for (const entry of this.manifest.runs) this.runs.set(entry.run, entry);
      writeManifest(this.paths.manifest, this.manifest);
      this.metrics = new MetricsWriter({ csv: this.paths.metricsCsv, jsonl: this.paths.metricsJsonl }, sweepAxes, this.clock, options.syncIntervalMs ?? 2000, options.resume.metricRows);
      return;
    }
    this.paths = prepareRunDirectory(options.dir);
    const rel = (p: string) => relative(this.paths.dir, p).split(sep).join("/");
    this.manifest = {
      format: "dync-run/1",
      experiment: options.experiment,
      config: options.config,
      sweepAxes,
      seeds: [],
      runs: [],
      backend: options.backend,
      versions: { ...collectVersions(), ...(options.versions as Record<string, string> | undefined) },
      ...(options.source === undefined ? {} : { source: options.source }),
      ...(options.planHash === undefined ? {} : { planHash: options.planHash }),
      ...(options.shard === undefined ? {} : { shard: options.shard }),
      startedAt: new Date(this.startMs).toISOString(),
      status: "running",
      files: { metricsCsv: rel(this.paths.metricsCsv), metricsJsonl: rel(this.paths.metricsJsonl), tensors: rel(this.paths.tensors), plots: rel(this.paths.plots), report: rel(this.paths.report) },
    };
    writeManifest(this.paths.manifest, this.manifest);
    this.metrics = new MetricsWriter(
      { csv: this.paths.metricsCsv, jsonl: this.paths.metricsJsonl },
      sweepAxes,
      this.clock,
      options.syncIntervalMs ?? 2000,
    );
  }

  /**
   * Register a run (a sweep point and its seeds) before recording its metrics; updates the manifest.
   * `atMs` (ms since the epoch) is when the run really started, for runs trained elsewhere (a worker
   * thread) and recorded later; default now.
   */
  beginRun(run: string, sweep: Readonly<Record<string, SweepValue>>, seeds: readonly number[], atMs?: number): void {
    this.checkOpen();
    if (this.runs.has(run)) throw new DyncRuntimeError("RUN090", `run "${run}" was registered twice`);
    const missing = this.manifest.sweepAxes.filter((axis) => !(axis in sweep));
    const extra = Object.keys(sweep).filter((key) => !this.manifest.sweepAxes.includes(key));
    if (missing.length || extra.length) {
      throw new DyncRuntimeError("RUN090", `run "${run}" has sweep values for [${Object.keys(sweep).join(", ")}] but the axes are [${this.manifest.sweepAxes.join(", ")}]`);
    }
    const entry: RunEntry = { run, sweep: { ...sweep }, seeds: [...seeds], status: "running", startedAt: this.isoAt(atMs) };
    this.runs.set(run, entry);
    this.manifest.runs.push(entry);
    this.manifest.seeds = [...new Set([...this.manifest.seeds, ...seeds])].sort((a, b) => a - b);
    writeManifest(this.paths.manifest, this.manifest);
    const held = this.held.get(run);
    if (held) {
      this.held.delete(run);
      this.metrics.writeRows(held.csv, held.jsonl, held.count);
      this.onHeldWritten?.(run);
    }
  }

  /** Mark one run finished (`ok`, `diverged` or `failed` with a message) at `atMs` (default now); updates the manifest. */
  endRun(run: string, status: Exclude<RunStatus, "running">, message?: string, atMs?: number): void {
    const entry = this.entry(run);
    entry.status = status;
    entry.endedAt = this.isoAt(atMs);
    if (message !== undefined) entry.message = message;
    writeManifest(this.paths.manifest, this.manifest);
  }

  /**
   * Record how many steps `run` was scheduled to train and its steps per epoch (the manifest's
   * `runs[…].steps` and `runs[…].stepsPerEpoch`), written at once: a report of the run while it trains
   * needs them (`after 50%`, `x: epochs`).
   */
  runSteps(run: string, steps: number, stepsPerEpoch?: number): void {
    const entry = this.entry(run);
    entry.steps = steps;
    if (stepsPerEpoch !== undefined) entry.stepsPerEpoch = stepsPerEpoch;
    writeManifest(this.paths.manifest, this.manifest);
  }

  /**
   * Record which training step served `run`'s updates (the manifest's `runs[…].step`, `stepCounts` when
   * several did); written with the `endRun` that follows.
   */
  runTrainingStep(run: string, counts: StepPathCounts): void {
    const served = Object.entries(counts).filter(([, n]) => n !== undefined && n > 0) as [TrainingStepPath, number][];
    if (served.length === 0) return;
    const entry = this.entry(run);
    entry.step = served.length === 1 ? served[0]![0] : "mixed";
    if (served.length > 1) entry.stepCounts = Object.fromEntries(served);
  }

  /**
   * Record how `run`'s probes computed their Hessian-vector products (`runs[…].hvp`), and from which step the counts
   * run where not from step 0 (`runs[…].hvpFrom`); written with the `endRun` that follows.
   */
  runHvpPaths(run: string, counts: HvpPathCounts, from?: number): void {
    const served = Object.entries(counts).filter(([, n]) => n !== undefined && n > 0);
    if (served.length > 0) this.entry(run).hvp = Object.fromEntries(served);
    if (from !== undefined) this.entry(run).hvpFrom = from;
  }

  /**
   * Write the permutation `shuffle_labels: seed` applied to data set `dataset` of `run` (sample i took the label
   * of sample `permutation[i]`) to `data/<run>/<dataset>.label_permutation.npy` (int32) and name it in the
   * manifest's `runs[…].shuffledLabels`.
   */
  labelPermutation(run: string, dataset: string, seed: number, permutation: Int32Array): void {
    this.checkOpen();
    const dir = join(this.paths.data, pathSegment(run));
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw unwritable(dir, error);
    }
    const path = join(dir, `${pathSegment(dataset)}.label_permutation.npy`);
    writeNpy(path, permutation, [permutation.length]);
    const entry = this.entry(run);
    const file = relative(this.paths.dir, path).split(sep).join("/");
    entry.shuffledLabels = { ...entry.shuffledLabels, [dataset]: { seed, n: permutation.length, permutation: file } };
    writeManifest(this.paths.manifest, this.manifest);
  }

  /** Record which seeds of `run` diverged and at which step (the manifest's `runs[…].diverged`). */
  runDiverged(run: string, seeds: readonly { readonly seed: number; readonly step: number }[]): void {
    if (seeds.length === 0) return;
    this.entry(run).diverged = [...seeds].map(({ seed, step }) => ({ seed, step })).sort((a, b) => a.step - b.step || a.seed - b.seed);
    writeManifest(this.paths.manifest, this.manifest);
  }

  /** Append scalar measurements (one write for the whole batch). */
  scalars(records: readonly ScalarRecord[]): void {
    this.checkOpen();
    this.metrics.write(records.map((r) => this.line(r, r.value, undefined)));
  }

  /** Append one scalar measurement. */
  scalar(record: ScalarRecord): void {
    this.scalars([record]);
  }

  /** Append one value per seed of a run (e.g. a seed-batched loss), `values[k]` belonging to `seeds[k]`. */
  seedScalars(record: Omit<ScalarRecord, "seed" | "value"> & { seeds: readonly number[]; values: ArrayLike<number> }): void {
    if (record.seeds.length !== record.values.length) {
      throw new DyncRuntimeError("RUN090", `probe ${record.probe}: ${record.values.length} values for ${record.seeds.length} seeds`);
    }
    const { seeds, values, ...common } = record;
    this.scalars(seeds.map((seed, k) => ({ ...common, seed, value: values[k]! })));
  }

  /**
   * Write a tensor to `tensors/<probe>/<run>/seed<seed>_step<step>.npy` (`seedall_…` when no seed is given)
   * and append a metrics row whose `npy_file` column holds that path relative to the run directory. A
   * `stacked` record becomes the next row of `tensors/<probe>/<run>/seed<seed>.npy` (steps in
   * `seed<seed>_steps.npy`) and its metrics row's `value` is the row's index there.
   * Returns the relative path.
   */
  tensor(record: TensorRecord): string {
    this.checkOpen();
    const { data, shape } = asNpy(record);
    const dir = join(this.paths.tensors, pathSegment(record.probe), pathSegment(record.run));
    const fileName = record.stacked ? `seed${record.seed ?? "all"}.npy` : `seed${record.seed ?? "all"}_step${record.step}.npy`;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw unwritable(dir, error);
    }
    const row = record.stacked ? this.stacks.append(join(dir, fileName), record.step, data, shape) : undefined;
    if (!record.stacked) writeNpy(join(dir, fileName), data, shape);
    const file = relative(this.paths.dir, join(dir, fileName)).split(sep).join("/");
    this.metrics.write([this.line(record, row, file)]);
    return file;
  }

  /** Rows written to metrics.csv (and the same rows to metrics.jsonl) so far. */
  get metricRows(): number {
    return this.metrics.rows;
  }

  /** Force the metrics to stable storage now. */
  flush(): void {
    this.metrics.sync();
  }

  /** Close the metrics and stamp the manifest with the end time and overall status. Idempotent. */
  finish(status: Exclude<RunStatus, "running">, message?: string): void {
    if (this.finished) return;
    this.metrics.close();
    const end = this.clock();
    this.manifest.endedAt = new Date(end).toISOString();
    this.manifest.durationMs = end - this.startMs;
    this.manifest.status = status;
    if (message !== undefined) this.manifest.message = message;
    writeManifest(this.paths.manifest, this.manifest);
    this.finished = true;
  }

  /** A copy of the manifest as currently written. */
  snapshot(): Manifest {
    return structuredClone(this.manifest);
  }

  private line(record: Omit<ScalarRecord, "value">, value: number | undefined, file: string | undefined): MetricLine {
    const entry = this.entry(record.run);
    if (!Number.isFinite(record.step)) throw new DyncRuntimeError("RUN090", `probe ${record.probe}: step ${record.step} is not a number`);
    return { run: record.run, seed: record.seed, sweep: entry.sweep, step: record.step, epoch: record.epoch, probe: record.probe, value, file };
  }

  private entry(run: string): RunEntry {
    const entry = this.runs.get(run);
    if (!entry) throw new DyncRuntimeError("RUN090", `run "${run}" was not registered with beginRun`);
    return entry;
  }

  private checkOpen(): void {
    if (this.finished) throw new DyncRuntimeError("RUN090", "the run recorder is already finished");
  }

  private isoAt(atMs: number | undefined): string {
    return new Date(atMs ?? this.clock()).toISOString();
  }
}

/** A tensor record's data as a typed array and its shape (a tfjs tensor is read back here). */
export function asNpy(record: TensorRecord): { data: NpyData; shape: readonly number[] } {
  const { data } = record;
  if (ArrayBuffer.isView(data)) return { data, shape: record.shape ?? [data.length] };
  const values = data.dataSync();
  const typed = data.dtype === "int32" ? Int32Array.from(values) : data.dtype === "bool" ? Uint8Array.from(values) : Float32Array.from(values);
  return { data: typed, shape: record.shape ?? data.shape };
}
