/** The core family's analysis function `plateau_end(series, drop, smooth)`: phase detection on a loss curve (schema: ./entries.ts). */
import { firstStepPerGroup } from "../../runtime/analysis/series.js";
import { numberOf } from "../../runtime/analysis/table.js";
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

export const coreAnalysisImplementations: readonly AnalysisDefinition[] = [plateauEnd];
