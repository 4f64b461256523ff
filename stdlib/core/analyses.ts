/**
 * The core family's analysis functions (schema: ./entries.ts): `plateau_end(series, drop, smooth)`, phase
 * detection on a loss curve, and `sign_changes(series)`, oscillation through zero.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { firstStepPerGroup } from "../../runtime/analysis/series.js";
import { groupRows, numberOf, STEPS, type Table } from "../../runtime/analysis/table.js";
import { type AnalysisDefinition, defineAnalysis } from "../analyses/define.js";
import * as entries from "./entries.js";

/**
 * Index of the first measurement whose trailing mean over `smooth` measurements is ≤ (1 − drop) times
 * the first such mean; −1 when none is, or when that start is not a positive number.
 */
export function plateauEndIndex(values: readonly number[], drop: number, smooth: number): number {
  if (values.length < smooth) return -1;
  const mean = (end: number) => values.slice(end - smooth + 1, end + 1).reduce((a, v) => a + v, 0) / smooth;
  const start = mean(smooth - 1);
  if (!(start > 0)) return -1;
  const threshold = (1 - drop) * start;
  for (let i = smooth - 1; i < values.length; i++) if (mean(i) <= threshold) return i;
  return -1;
}

const plateauEnd = defineAnalysis(entries.plateauEnd, ([series], { drop, smooth }) =>
  firstStepPerGroup(series!, "plateau_end", (cell) => numberOf(cell, "plateau_end"), (values) => plateauEndIndex(values, drop, smooth)),
);

/** Sign changes between consecutive nonzero, non-NaN values, in the order given. */
export function countSignChanges(values: readonly number[]): number {
  let changes = 0;
  let previous = 0;
  for (const v of values) {
    if (!(v !== 0 && !Number.isNaN(v))) continue;
    if (previous !== 0 && Math.sign(v) !== previous) changes++;
    previous = Math.sign(v);
  }
  return changes;
}

/** Per group of every dimension but `steps`, the sign changes of its values in step order. */
function signChangesPerGroup(table: Table): Table {
  if (!table.dims.includes(STEPS)) throw new DyncRuntimeError("RUN051", "sign_changes needs a series over steps");
  const keep = table.dims.filter((d) => d !== STEPS);
  return {
    dims: keep,
    rows: groupRows(table.rows, keep).map((g) => {
      const sorted = [...g.rows].sort((a, b) => Number(a.key[STEPS]) - Number(b.key[STEPS]));
      return { key: g.key, value: countSignChanges(sorted.map((r) => numberOf(r.value, "sign_changes"))) };
    }),
  };
}

const signChanges = defineAnalysis(entries.signChanges, ([series]) => signChangesPerGroup(series!));

export const coreAnalysisImplementations: readonly AnalysisDefinition[] = [plateauEnd, signChanges];
