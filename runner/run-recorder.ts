/**
 * The training loop's recorder for one run: every probe value goes to the run directory (scalars per seed,
 * tensors as .npy) and, for scalars, to the in-memory result table the analyses read.
 *
 * Divergence rule: a seed whose loss first became non-finite at step d has every measurement at a step
 * after d recorded as NaN (its value at d, the state whose loss went non-finite, is kept as measured). When
 * every seed diverged and training stopped, the loop lists the scheduled measurements it skipped
 * (`notMeasured`) and they are recorded as NaN too, in the shape the probe recorded before (scalars and
 * fields also when it never did), so that `last(x)` of a diverged seed is NaN, never an earlier value; so
 * is a probe run on an event that had not fired for a seed when it diverged (once, at the next step).
 */
import { DyncRuntimeError } from "../runtime/errors.js";
import type { RunSpec } from "../contract/program.js";
import type { DivergedSeed, FiredEvent, ProbePoint, ProbeRecord, ProgressInfo, TrainRecorder } from "../runtime/train/index.js";
import { fieldProbeName, isSeedFields, isSeedIndexed, isSeedScalars, isSeedTensors, type SeedIndexed } from "../stdlib/probes/index.js";
import { registry } from "../stdlib/registry/index.js";
import { resultShape, type Lowered } from "../stdlib/registry/types.js";
import type { ResultSink, RunSink } from "./run-sink.js";

/** What a probe recorded last in this run: enough to record a NaN of the same shape. */
type RecordedShape =
  | { readonly kind: "scalars" }
  | { readonly kind: "fields"; readonly fields: readonly string[] }
  | { readonly kind: "tensors"; readonly shape: readonly number[] }
  | { readonly kind: "indexed"; readonly dim: string; readonly lengths: Readonly<Record<string, number>> };

/** What a recorder knows besides the files, for a checkpoint: diverged seeds, fired events, recorded shapes. */
export interface RecorderState {
  readonly diverged: readonly DivergedSeed[];
  readonly fired: readonly FiredEvent[];
  readonly shapes: Readonly<Record<string, RecordedShape>>;
}

export class RunResultRecorder implements TrainRecorder {
  /** Seeds found diverged, with the step their loss first became non-finite. */
  readonly divergedSeeds: DivergedSeed[] = [];
  readonly firedEvents: FiredEvent[] = [];
  /** Per-seed loss of the latest progress report. */
  lastLoss: Float32Array | null = null;
  private readonly shapes = new Map<string, RecordedShape>();

  constructor(
    private readonly run: RunSpec,
    private readonly seeds: readonly number[],
    private readonly recorder: RunSink,
    private readonly results: ResultSink,
    /** Each progress report: the step and each seed's batch loss there. */
    private readonly onProgress?: (step: number, loss: readonly number[] | null) => void,
  ) {}

  probe(record: ProbeRecord): void {
    const { value } = record;
    if (value === undefined) return; // the probe had nothing to measure at this step (e.g. train_loss at `end`)
    if (isSeedScalars(value)) {
      this.shapes.set(record.probe, { kind: "scalars" });
      this.recordScalars(record, value);
    } else if (isSeedTensors(value)) {
      this.shapes.set(record.probe, { kind: "tensors", shape: value.shape });
      this.recordTensors(record, value.perSeed, value.shape);
    } else if (isSeedFields(value)) {
      this.shapes.set(record.probe, { kind: "fields", fields: Object.keys(value.fields) });
      for (const [field, perSeed] of Object.entries(value.fields)) this.recordScalars({ ...record, probe: fieldProbeName(record.probe, field) }, perSeed);
    } else if (isSeedIndexed(value)) {
      const lengths = Object.fromEntries(Object.entries(value.fields).map(([f, perSeed]) => [f, perSeed.find((d) => d)?.length ?? 0]));
      this.shapes.set(record.probe, { kind: "indexed", dim: value.dim, lengths });
      this.recordIndexed(record, value);
    } else throw new DyncRuntimeError("RUN090", `probe "${record.probe}" returned a value the recorder cannot store`);
  }

  /** A measurement skipped because every seed diverged: recorded as NaN in the probe's shape. */
  notMeasured(point: ProbePoint): void {
    const shape = this.shapes.get(point.probe) ?? this.declaredShape(point.probe);
    const S = this.seeds.length;
    const nan = (n: number) => new Float64Array(n).fill(NaN);
    if (!shape) return;
    if (shape.kind === "scalars") this.recordScalars(point, nan(S));
    else if (shape.kind === "fields") for (const f of shape.fields) this.recordScalars({ ...point, probe: fieldProbeName(point.probe, f) }, nan(S));
    else if (shape.kind === "tensors") {
      const size = shape.shape.reduce((a, b) => a * b, 1);
      this.recordTensors(point, this.seeds.map(() => new Float32Array(size).fill(NaN)), shape.shape);
    } else {
      const fields = Object.fromEntries(Object.entries(shape.lengths).map(([f, n]) => [f, this.seeds.map(() => nan(n))]));
      this.recordIndexed(point, { kind: "indexed", dim: shape.dim, fields });
    }
  }

  state(): RecorderState {
    return structuredClone({ diverged: this.divergedSeeds, fired: this.firedEvents, shapes: Object.fromEntries(this.shapes) });
  }

  /** Continue a run resumed from a checkpoint: NaN after divergence and NaN shapes as before it. */
  restore(state: RecorderState): void {
    this.divergedSeeds.push(...state.diverged);
    this.firedEvents.push(...state.fired);
    for (const [probe, shape] of Object.entries(state.shapes)) this.shapes.set(probe, shape);
  }

  /** Told of each event as it fires (the handoff writer takes a value read `at first(…)` of another run). */
  onEvent?: (fired: FiredEvent) => void;

  event(fired: FiredEvent): void {
    this.firedEvents.push(fired);
    this.onEvent?.(fired);
  }

  diverged(seeds: readonly DivergedSeed[]): void {
    this.divergedSeeds.push(...seeds);
  }

  /** An arrow property: the training loop calls `recorder.progress` detached from the recorder. */
  progress = (info: ProgressInfo): void => {
    if (info.loss) this.lastLoss = info.loss;
    this.onProgress?.(info.step, info.loss && Array.from(info.loss));
  };

  private recordScalars(record: ProbePoint, perSeed: Float64Array): void {
    const { probe, step, epoch, seedIndices } = record;
    const values = seedIndices.map((s) => (this.divergedBefore(s, step) ? NaN : perSeed[s]!));
    const seeds = seedIndices.map((s) => this.seeds[s]!);
    this.recorder.seedScalars({ run: this.run.id, step, epoch, probe, seeds, values });
    seedIndices.forEach((_, k) => {
      this.results.add({ run: this.run.id, point: this.run.point, seed: seeds[k]!, step, epoch, probe, value: values[k]! });
    });
  }

  private recordTensors(record: ProbePoint, perSeed: readonly (Float32Array | undefined)[], shape: readonly number[]): void {
    const { probe, step, epoch } = record;
    for (const s of record.seedIndices) {
      const data = perSeed[s];
      if (!data) continue;
      const values = this.divergedBefore(s, step) ? new Float32Array(data.length).fill(NaN) : data;
      this.recorder.tensor({ run: this.run.id, seed: this.seeds[s]!, step, epoch, probe, data: values, shape });
    }
  }

  /**
   * Per-unit values: a row of one stacked array per field, run and seed for numpy users (every per-unit
   * probe: isStacked), and rows with the unit index for analyses.
   */
  private recordIndexed(record: ProbePoint, value: SeedIndexed): void {
    const { step, epoch } = record;
    const stacked = this.isStacked(record.probe);
    for (const [field, perSeed] of Object.entries(value.fields)) {
      const probe = fieldProbeName(record.probe, field);
      for (const s of record.seedIndices) {
        const data = perSeed[s];
        if (!data) continue;
        const frozen = this.divergedBefore(s, step);
        const seed = this.seeds[s]!;
        this.recorder.tensor({ run: this.run.id, seed, step, epoch, probe, data: frozen ? new Float64Array(data.length).fill(NaN) : data, shape: [data.length], ...(stacked ? { stacked } : {}) });
        for (let i = 0; i < data.length; i++) {
          this.results.add({ run: this.run.id, point: this.run.point, seed, step, epoch, probe, value: frozen ? NaN : data[i]!, index: { [value.dim]: i } });
        }
      }
    }
  }

  /**
   * The shape of a probe that never recorded in this run, from its declaration: fields and plain values are
   * scalars per seed; matrices and per-unit values have sizes only a measurement knows (null: no rows).
   */
  private declaredShape(probe: string): RecordedShape | null {
    const spec = this.run.probes.find((p) => p.name === probe);
    if (!spec || spec.index || registry.get("probe", spec.probe)?.result?.matrix) return null;
    return spec.fields ? { kind: "fields", fields: spec.fields } : { kind: "scalars" };
  }

  /**
   * Whether the probe's measurements go to one stacked array per run, seed and field: every per-unit probe
   * (its result has an `index`: per point, per eigenvalue, per layer, …; each measurement has the same
   * length), so a probe measured every step writes two files per seed, not one per step.
   */
  private isStacked(probe: string): boolean {
    const spec = this.run.probes.find((p) => p.name === probe);
    const entry = spec ? registry.get("probe", spec.probe) : undefined;
    const shape = entry && spec ? resultShape(entry, spec.args as Readonly<Record<string, Lowered>>) : undefined;
    return shape?.index !== undefined;
  }

  private divergedBefore(seedIndex: number, step: number): boolean {
    return this.divergedSeeds.some((d) => d.seedIndex === seedIndex && d.step < step);
  }
}
