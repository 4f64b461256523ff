/**
 * How results are named: the recorder writes a probe's fields under these names and the report and the
 * analyses read them back by the same names, so the rule lives here, below both.
 */

/** The field a single-valued indexed or multi-field probe records under its own name. */
export const VALUE_FIELD = "value";

/** The probe name a field is recorded under: `feats.angle`, or `feats` for the single `value` field. */
export function fieldProbeName(probe: string, field: string): string {
  return field === VALUE_FIELD ? probe : `${probe}.${field}`;
}

/**
 * The metrics' own columns (metrics.csv/.jsonl), in order; the sweep variables' columns go between `seed`
 * and `step`. The recorder writes these and the checker rejects a sweep variable named like one of them
 * (it would overwrite the column), so both read this one list.
 */
export const METRIC_COLUMNS = ["run", "seed", "step", "epoch", "probe", "value", "npy_file"] as const;

/** Column names of the metrics for the given sweep axes: `run, seed, <axes…>, step, …`. */
export function metricColumns(sweepAxes: readonly string[]): string[] {
  const [run, seed, ...after] = METRIC_COLUMNS;
  return [run, seed, ...sweepAxes, ...after];
}
