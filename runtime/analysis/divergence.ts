/**
 * Which diverged runs a result row can come from, and how to say so: `run lr=1 diverged at step 13 (3 of
 * 3 seeds)`. Expectations name the run behind a NaN with it, and plots mark and list the runs whose
 * points they could not draw.
 */
import type { Dim, SweepValue } from "../../contract/program.js";
import type { DivergedSeedRecord } from "./results.js";
import { SEEDS, sameValue, type Key } from "./table.js";
import { runLabel } from "../../contract/plan.js";

/** A run in which at least one seed diverged. */
export interface DivergedRun {
  /** The run id (`lr=1`), what the console and the manifest call it. */
  readonly id: string;
  readonly point: Readonly<Record<string, SweepValue>>;
  readonly seeds: readonly DivergedSeedRecord[];
  /** Seeds the run trained. */
  readonly seedCount: number;
}

export class DivergenceIndex {
  constructor(
    readonly runs: readonly DivergedRun[],
    private readonly sweepVars: readonly string[],
  ) {}

  /**
   * The diverged runs a row keyed by `key` over `dims` may come from: those whose sweep point agrees with
   * the key on every sweep variable in it (a reduced-away variable matches every run) and, when the key
   * names a seed, in which that seed diverged.
   */
  matching(key: Key, dims: readonly Dim[]): DivergedRun[] {
    const sweepDims = dims.filter((d) => this.sweepVars.includes(d));
    return this.runs.filter(
      (run) =>
        sweepDims.every((d) => run.point[d] !== undefined && sameValue(run.point[d]!, key[d]!)) &&
        (!dims.includes(SEEDS) || run.seeds.some((s) => sameValue(s.seed, key[SEEDS]!))),
    );
  }

  /** `run lr=1 diverged at step 13 (3 of 3 seeds)` for the runs matching the row, or null for none. */
  explain(key: Key, dims: readonly Dim[]): string | null {
    const runs = this.matching(key, dims);
    return runs.length === 0 ? null : describeDiverged(runs);
  }
}

/** `run lr=1 diverged at step 13 (3 of 3 seeds)`; several runs joined by `; `. */
export function describeDiverged(runs: readonly DivergedRun[]): string {
  return runs.map((run) => `${runLabel(run.id)} diverged ${stepsText(run.seeds)} (${run.seeds.length} of ${run.seedCount} seed${run.seedCount === 1 ? "" : "s"})`).join("; ");
}

function stepsText(seeds: readonly DivergedSeedRecord[]): string {
  const steps = seeds.map((s) => s.step);
  const [lo, hi] = [Math.min(...steps), Math.max(...steps)];
  return lo === hi ? `at step ${lo}` : `at steps ${lo}–${hi}`;
}

/** The diverged runs of a result table, given each run's sweep point and seed count. */
export function divergedRuns(
  diverged: Readonly<Record<string, readonly DivergedSeedRecord[]>> | undefined,
  runs: readonly { readonly id: string; readonly point: Readonly<Record<string, SweepValue>> }[],
  seedCount: number,
): DivergedRun[] {
  if (!diverged) return [];
  return runs.filter((r) => (diverged[r.id]?.length ?? 0) > 0).map((r) => ({ id: r.id, point: r.point, seeds: diverged[r.id]!, seedCount }));
}
