/**
 * Where one run's measurements go. In the serial path these are the experiment's `RunRecorder` and
 * `ResultCollector` themselves; in a pool worker they are forwarders that post every call to the main
 * thread, which replays them in run order into the real ones (see pool.ts).
 */
import type { RunStatus, ScalarRecord, SweepValue, TensorRecord } from "../runtime/record/index.js";
import type { ResultRow } from "../runtime/analysis/results.js";
import type { HvpPathCounts, StepPathCounts } from "../contract/model.js";

/** The part of `RunRecorder` a run writes to. */
export interface RunSink {
  beginRun(run: string, sweep: Readonly<Record<string, SweepValue>>, seeds: readonly number[]): void;
  endRun(run: string, status: Exclude<RunStatus, "running">, message?: string): void;
  /** The permutation `shuffle_labels: seed` applied to the run's data set `dataset` (the manifest's `runs[…].shuffledLabels`). */
  labelPermutation(run: string, dataset: string, seed: number, permutation: Int32Array): void;
  /** Which training step served the run's updates (before `endRun`; the manifest's `runs[…].step`). */
  runTrainingStep(run: string, counts: StepPathCounts): void;
  /**
   * How the run's probes computed their Hessian-vector products, per path (before `endRun`; the manifest's
   * `runs[…].hvp`), counted from step `from` on where they do not cover the run from step 0 (`runs[…].hvpFrom`).
   */
  runHvpPaths(run: string, counts: HvpPathCounts, from?: number): void;
  seedScalars(record: Omit<ScalarRecord, "seed" | "value"> & { seeds: readonly number[]; values: ArrayLike<number> }): void;
  tensor(record: TensorRecord): unknown;
}

/** The part of `ResultCollector` a run fills. */
export interface ResultSink {
  readonly totalSteps: Readonly<Record<string, number>>;
  add(row: ResultRow): void;
  setTotalSteps(run: string, steps: number, stepsPerEpoch: number): void;
}
