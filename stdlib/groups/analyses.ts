/**
 * The groups family's analysis functions (schemas: ./entries.ts): `diff(x) over steps`, the change between
 * consecutive measurements, `top_k` / `bottom_k(x, k) over point`, index sets as 0/1 indicators, and
 * `peak_step(x)`, the step of a series' largest value (where a loss spike happens).
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { groupRows, numberOf, requireDim, STEPS, type Row, type Table } from "../../runtime/analysis/table.js";
import { type AnalysisDefinition, defineAnalysis } from "../analyses/define.js";
import * as entries from "./entries.js";
import { firstStepPerGroup } from "../../runtime/analysis/series.js";

/** Per series (every dimension but steps): value at each measurement minus the one before, from the second on. */
export function diffOverSteps(table: Table, over: readonly string[]): Table {
  if (over.some((d) => d !== STEPS)) throw new DyncRuntimeError("RUN050", `diff differences consecutive measurements in time, so it runs over steps, not over ${over.join(", ")}`, "write `diff(x) over steps` (or just `diff(x)`)");
  requireDim(table, STEPS, "the argument of diff");
  const series = table.dims.filter((d) => d !== STEPS);
  const rows: Row[] = [];
  for (const group of groupRows(table.rows, series)) {
    const ordered = [...group.rows].sort((a, b) => Number(a.key[STEPS]) - Number(b.key[STEPS]));
    for (let j = 1; j < ordered.length; j++) {
      rows.push({ key: ordered[j]!.key, value: numberOf(ordered[j]!.value, "diff") - numberOf(ordered[j - 1]!.value, "diff") });
    }
  }
  return { dims: table.dims, rows };
}

/**
 * In each group of the dimensions not in `over`: 1 on the k rows with the largest (`largest`) or smallest
 * values, 0 on the others; ties keep the earlier row, NaN rows are never chosen.
 */
export function extremeK(name: string, table: Table, k: number, over: readonly string[], largest: boolean): Table {
  if (over.length === 0) throw new DyncRuntimeError("RUN050", `${name} chooses points across a dimension: write \`${name}(x, k: ${k}) over point\``);
  for (const d of over) requireDim(table, d, `the argument of ${name}`);
  const keep = table.dims.filter((d) => !over.includes(d));
  const rows: Row[] = [];
  for (const group of groupRows(table.rows, keep)) {
    const values = group.rows.map((r) => numberOf(r.value, name));
    const order = values.map((_, i) => i).filter((i) => !Number.isNaN(values[i]!));
    order.sort((a, b) => (largest ? values[b]! - values[a]! : values[a]! - values[b]!) || a - b);
    const chosen = new Set(order.slice(0, k));
    group.rows.forEach((r, i) => rows.push({ key: r.key, value: chosen.has(i) ? 1 : 0 }));
  }
  return { dims: table.dims, rows };
}

/** Per group of every dimension but steps: the step of the largest value (the earliest on ties; NaN values skipped). */
export function peakStep(table: Table): Table {
  return firstStepPerGroup(table, "peak_step", (cell) => numberOf(cell, "peak_step"), (values) => {
    let best = -1;
    values.forEach((v, i) => {
      if (!Number.isNaN(v) && (best < 0 || v > values[best]!)) best = i;
    });
    return best;
  });
}

const diffAnalysis = defineAnalysis(entries.diff, ([table], _options, over) => diffOverSteps(table!, over));
const topKAnalysis = defineAnalysis(entries.topK, ([table], { k }, over) => extremeK("top_k", table!, k, over, true));
const bottomKAnalysis = defineAnalysis(entries.bottomK, ([table], { k }, over) => extremeK("bottom_k", table!, k, over, false));

const peakStepAnalysis = defineAnalysis(entries.peakStep, ([table]) => peakStep(table!));

export const groupAnalysisImplementations: readonly AnalysisDefinition[] = [diffAnalysis, topKAnalysis, bottomKAnalysis, peakStepAnalysis];
