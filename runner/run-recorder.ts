/**
 * The training loop's recorder for one run: every probe value goes to the run directory (scalars per seed,
 * tensors as .npy) and, for scalars, to the in-memory result table the analyses read.
 */
import { DyncRuntimeError } from "../runtime/errors.js";
import type { ProgressReporter } from "../runtime/progress.js";
import type { RunSpec } from "../contract/program.js";
import type { DivergedSeed, FiredEvent, ProbeRecord, ProgressInfo, TrainRecorder } from "../runtime/train/index.js";
import { fieldProbeName, isSeedFields, isSeedIndexed, isSeedScalars, isSeedTensors, type SeedIndexed } from "../stdlib/probes/index.js";
import type { ResultSink, RunSink } from "./run-sink.js";

export class RunResultRecorder implements TrainRecorder {
  /** Seed indices found diverged: their later measurements are recorded as NaN (their parameters are frozen). */
  readonly divergedSeeds: DivergedSeed[] = [];
  readonly firedEvents: FiredEvent[] = [];
  /** Per-seed loss of the latest progress report. */
  lastLoss: Float32Array | null = null;

  constructor(
    private readonly run: RunSpec,
    private readonly seeds: readonly number[],
    private readonly recorder: RunSink,
    private readonly results: ResultSink,
    private readonly progressReporter?: ProgressReporter,
  ) {}

  probe(record: ProbeRecord): void {
    const { value } = record;
    if (value === undefined) return; // the probe had nothing to measure at this step (e.g. train_loss at `end`)
    if (isSeedScalars(value)) this.recordScalars(record, value);
    else if (isSeedTensors(value)) this.recordTensors(record, value.perSeed, value.shape);
    else if (isSeedFields(value)) {
      for (const [field, perSeed] of Object.entries(value.fields)) this.recordScalars({ ...record, probe: fieldProbeName(record.probe, field) }, perSeed);
    } else if (isSeedIndexed(value)) this.recordIndexed(record, value);
    else throw new DyncRuntimeError("RUN090", `probe "${record.probe}" returned a value the recorder cannot store`);
  }

  event(fired: FiredEvent): void {
    this.firedEvents.push(fired);
  }

  diverged(seeds: readonly DivergedSeed[]): void {
    this.divergedSeeds.push(...seeds);
  }

  /** An arrow property: the training loop calls `recorder.progress` detached from the recorder. */
  progress = (info: ProgressInfo): void => {
    if (info.loss) this.lastLoss = info.loss;
    this.progressReporter?.update(info.step);
  };

  private recordScalars(record: ProbeRecord, perSeed: Float64Array): void {
    const { probe, step, epoch, seedIndices } = record;
    const values = seedIndices.map((s) => (this.isFrozen(s) ? NaN : perSeed[s]!));
    const seeds = seedIndices.map((s) => this.seeds[s]!);
    this.recorder.seedScalars({ run: this.run.id, step, epoch, probe, seeds, values });
    seedIndices.forEach((_, k) => {
      this.results.add({ run: this.run.id, point: this.run.point, seed: seeds[k]!, step, epoch, probe, value: values[k]! });
    });
  }

  private recordTensors(record: ProbeRecord, perSeed: readonly (Float32Array | undefined)[], shape: readonly number[]): void {
    const { probe, step, epoch } = record;
    for (const s of record.seedIndices) {
      const data = perSeed[s];
      if (!data) continue;
      const values = this.isFrozen(s) ? new Float32Array(data.length).fill(NaN) : data;
      this.recorder.tensor({ run: this.run.id, seed: this.seeds[s]!, step, epoch, probe, data: values, shape });
    }
  }

  /** Per-unit values: an .npy per field and seed for numpy users, and rows with the unit index for analyses. */
  private recordIndexed(record: ProbeRecord, value: SeedIndexed): void {
    const { step, epoch } = record;
    for (const [field, perSeed] of Object.entries(value.fields)) {
      const probe = fieldProbeName(record.probe, field);
      for (const s of record.seedIndices) {
        const data = perSeed[s];
        if (!data) continue;
        const frozen = this.isFrozen(s);
        const seed = this.seeds[s]!;
        this.recorder.tensor({ run: this.run.id, seed, step, epoch, probe, data: frozen ? new Float64Array(data.length).fill(NaN) : data, shape: [data.length] });
        for (let i = 0; i < data.length; i++) {
          this.results.add({ run: this.run.id, point: this.run.point, seed, step, epoch, probe, value: frozen ? NaN : data[i]!, index: { [value.dim]: i } });
        }
      }
    }
  }

  private isFrozen(seedIndex: number): boolean {
    return this.divergedSeeds.some((d) => d.seedIndex === seedIndex);
  }
}
