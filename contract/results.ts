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

/**
 * results.csv's own columns before the dimension columns (`value` follows them): what a value is (`let`
 * or `expect`), its name, its source line and its field. A sweep variable becomes a dimension column there,
 * so the checker rejects one named like these (runner/results-file.ts writes them from this list).
 */
export const RESULT_LEAD_COLUMNS = ["kind", "name", "line", "field"] as const;

/**
 * The dimensions every probe series has besides the sweep variables (`over seeds`, `x[steps = 100]`; columns
 * of results.csv): a sweep variable of the same name would be taken for one of them.
 */
export const SERIES_DIMS = ["seeds", "steps"] as const;
