/**
 * The in-memory results of one profile: every scalar probe measurement of every run, seed and step,
 * plus how long each run trained. This is what the analysis module (`runtime/analysis`) evaluates
 * `analysis` and `expect` statements over; the same values are also written to the run directory.
 */
import type { SweepValue } from "../../contract/program.js";

/** One scalar measurement: probe `probe` of seed `seed` in run `run` (at sweep point `point`) at `step`. */
export interface ResultRow {
  /** `RunSpec.id` of the run. */
  readonly run: string;
  /** The run's sweep point (`RunSpec.point`); the same object for every row of a run. */
  readonly point: Readonly<Record<string, SweepValue>>;
  /** The seed value (from `ProfilePlan.seeds`), not its index. */
  readonly seed: number;
  /** Optimizer steps taken when measured (0 = before training). */
  readonly step: number;
  /** Completed epochs when measured: ⌊step / steps per epoch⌋ (as in the metrics files). */
  readonly epoch: number;
  /** `ProbeSpec.name` of the probe. */
  readonly probe: string;
  /**
   * The measured value. NaN for measurements of a seed taken after it was found diverged (its parameters
   * are frozen from then on, so its later values say nothing about training); such rows are kept, not dropped.
   */
  readonly value: number;
  /** Position along the extra dimensions of a per-unit probe, e.g. `{ neuron: 17 }`. */
  readonly index?: Readonly<Record<string, number>>;
}

/** A seed whose loss first became NaN or infinite at `step` (its later measurements are NaN). */
export interface DivergedSeedRecord {
  readonly seed: number;
  readonly step: number;
}

/** Everything an analysis needs: the scalar rows and each run's total training length. */
export interface ResultTable {
  /** The sweep variables in declaration order (`ExperimentProgram.sweepVars`). */
  readonly sweepVars: readonly string[];
  /** Seed values of the profile, in order. */
  readonly seeds: readonly number[];
  readonly rows: readonly ResultRow[];
  /** Total steps each run was scheduled to train, by run id: `after 50%` means step ≥ totalSteps[run]/2. */
  readonly totalSteps: Readonly<Record<string, number>>;
  /** Optimizer steps per epoch of each run, by run id (plots over `epochs`); absent for results recorded without it. */
  readonly stepsPerEpoch?: Readonly<Record<string, number>>;
  /** The diverged seeds of each run that had any, by run id (to say why a value is NaN). */
  readonly diverged?: Readonly<Record<string, readonly DivergedSeedRecord[]>>;
}

/** A result table being filled while runs train. */
export class ResultCollector implements ResultTable {
  readonly rows: ResultRow[] = [];
  readonly totalSteps: Record<string, number> = {};
  readonly stepsPerEpoch: Record<string, number> = {};
  readonly diverged: Record<string, readonly DivergedSeedRecord[]> = {};

  constructor(
    readonly sweepVars: readonly string[],
    readonly seeds: readonly number[],
  ) {}

  /** Adds one measurement. */
  add(row: ResultRow): void {
    this.rows.push(row);
  }

  /** Records how many steps `run` trains in total, and (when known) its steps per epoch. */
  setTotalSteps(run: string, steps: number, stepsPerEpoch?: number): void {
    this.totalSteps[run] = steps;
    if (stepsPerEpoch !== undefined) this.stepsPerEpoch[run] = stepsPerEpoch;
  }

  /** Records which seeds of `run` diverged, and at which step. */
  setDiverged(run: string, seeds: readonly DivergedSeedRecord[]): void {
    if (seeds.length > 0) this.diverged[run] = seeds.map(({ seed, step }) => ({ seed, step }));
  }
}
