/**
 * The sampling family's analysis functions, counts of values across a dimension: `share_below(x, threshold)
 * over pair` and `count_above(x, threshold) over class` (schema: ./entries.ts).
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { groupRows, numberOf, requireDim, type Table } from "../../runtime/analysis/table.js";
import { type AnalysisDefinition, defineAnalysis } from "../analyses/define.js";
import * as entries from "./entries.js";

/** The fraction of the non-NaN `values` below `threshold`; NaN when none is a number. */
export function shareBelow(values: readonly number[], threshold: number): number {
  const numbers = values.filter((v) => !Number.isNaN(v));
  return numbers.length === 0 ? NaN : numbers.filter((v) => v < threshold).length / numbers.length;
}

/** How many of `values` are above `threshold` (NaN values are never above it). */
export function countAbove(values: readonly number[], threshold: number): number {
  return values.filter((v) => v > threshold).length;
}

/** One number per group of every dimension but `over`, from that group's values; `example` names a dimension for the message. */
function acrossDims(name: string, example: string, table: Table, over: readonly string[], summarize: (values: number[]) => number): Table {
  if (over.length === 0) throw new DyncRuntimeError("RUN050", `${name} counts values across a dimension: write \`${name}(…) over ${example}\``);
  for (const d of over) requireDim(table, d, `the argument of ${name}`);
  const keep = table.dims.filter((d) => !over.includes(d));
  return {
    dims: keep,
    rows: groupRows(table.rows, keep).map((g) => ({ key: g.key, value: summarize(g.rows.map((r) => numberOf(r.value, name))) })),
  };
}

const shareBelowAnalysis = defineAnalysis(entries.shareBelow, ([table], { threshold }, over) => acrossDims("share_below", "pair", table!, over, (v) => shareBelow(v, threshold)));

const countAboveAnalysis = defineAnalysis(entries.countAbove, ([table], { threshold }, over) => acrossDims("count_above", "class", table!, over, (v) => countAbove(v, threshold)));

export const samplingAnalysisImplementations: readonly AnalysisDefinition[] = [shareBelowAnalysis, countAboveAnalysis];
