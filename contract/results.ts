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
