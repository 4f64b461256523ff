/** The sampling family's analysis function: `share_below(x, threshold) over pair` (schema: ./entries.ts). */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { groupRows, numberOf, requireDim } from "../../runtime/analysis/table.js";
import { type AnalysisDefinition, defineAnalysis } from "../analyses/define.js";
import * as entries from "./entries.js";

/** The fraction of the non-NaN `values` below `threshold`; NaN when none is a number. */
export function shareBelow(values: readonly number[], threshold: number): number {
  const numbers = values.filter((v) => !Number.isNaN(v));
  return numbers.length === 0 ? NaN : numbers.filter((v) => v < threshold).length / numbers.length;
}

const shareBelowAnalysis = defineAnalysis(entries.shareBelow, ([table], { threshold }, over) => {
  if (over.length === 0) throw new DyncRuntimeError("RUN050", "share_below counts values across a dimension: write `share_below(…) over pair`");
  for (const d of over) requireDim(table!, d, "the argument of share_below");
  const keep = table!.dims.filter((d) => !over.includes(d));
  return {
    dims: keep,
    rows: groupRows(table!.rows, keep).map((g) => ({ key: g.key, value: shareBelow(g.rows.map((r) => numberOf(r.value, "share_below")), threshold) })),
  };
});

export const samplingAnalysisImplementations: readonly AnalysisDefinition[] = [shareBelowAnalysis];
