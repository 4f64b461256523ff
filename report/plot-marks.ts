/**
 * Event and snapshot markers of line plots (`mark: groups`, `mark: learned_at`): vertical rules at steps,
 * labelled with the mark's name, coloured like the series when the steps have the plot's colour dimension.
 */
import { evaluate } from "../runtime/analysis/evaluate.js";
import type { AnalysisEnv } from "../runtime/analysis/source.js";
import { EPOCHS, STEPS, type Row, type Table } from "../runtime/analysis/table.js";
import type { PlotMark, PlotSpec } from "../contract/program.js";
import { REFERENCE_GREY } from "./colors.js";
import { rowNumber, valueLabel, type Datum, type PlotTables } from "./plot-common.js";
import type { RecordedTensors } from "./recorded-tensors.js";

type LineSpec = Extract<PlotSpec, { kind: "line" }>;

/**
 * The steps of a mark as a table (value = step): a probe's measurement steps (from the result table, or
 * from its recorded tensors for a matrix probe), or the values of an analysis (e.g. `convergence_step`).
 */
export function markSteps(mark: PlotMark, env: AnalysisEnv, recorded?: RecordedTensors): Table {
  if (mark.kind === "steps") return evaluate(mark.expr, env);
  const series = env.probe(mark.name);
  if (series.rows.length > 0) {
    const dims = series.dims.filter((d) => d !== STEPS);
    // A NaN measurement is one divergence made impossible (docs/analyses.md): nothing happened at its step.
    const measured = series.rows.filter((r) => !(typeof r.value === "number" && Number.isNaN(r.value)));
    return { dims, rows: measured.map((r) => ({ key: Object.fromEntries(dims.map((d) => [d, r.key[d]!])), value: Number(r.key[STEPS]) })) };
  }
  const tensors = recorded?.records.filter((r) => r.probe === mark.name && r.seed !== null) ?? [];
  const dims = [...Object.keys(tensors[0]?.point ?? {}), "seeds"];
  return { dims, rows: tensors.map((r) => ({ key: { ...r.point, seeds: r.seed! }, value: r.step })) };
}

/** Adds one datum per distinct (panel, colour, step) rule of every mark; returns whether any are coloured or grey. */
export function addMarkData(spec: LineSpec, tables: PlotTables, facets: readonly string[] | null, data: Datum[], notes: string[]): { colored: boolean; grey: boolean } {
  let colored = false;
  let grey = false;
  if (!tables.marks?.length) return { colored, grey };
  if (spec.x !== STEPS && spec.x !== EPOCHS) {
    notes.push(`marks (${tables.marks.map((m) => m.label).join(", ")}) are drawn only on plots over steps or epochs`);
    return { colored, grey };
  }
  for (const mark of tables.marks) {
    const seen = new Set<string>();
    let skipped = 0;
    const byColor = spec.color !== null && mark.steps.dims.includes(spec.color);
    const byFacet = spec.facet !== null && mark.steps.dims.includes(spec.facet);
    for (const row of mark.steps.rows) {
      const step = stepOf(row, spec);
      if (!Number.isFinite(step) || (spec.logX && step <= 0)) {
        skipped++;
        continue;
      }
      const colour = byColor ? valueLabel(row.key[spec.color!]!) : null;
      for (const facet of byFacet ? [valueLabel(row.key[spec.facet!]!)] : (facets ?? [null])) {
        const id = `${facet}\u0001${colour}\u0001${step}`;
        if (seen.has(id)) continue;
        seen.add(id);
        data.push({ _layer: colour === null ? "mark" : "mark_colored", x: step, label: mark.label, ...(colour === null ? {} : { _color: colour }), ...(facet === null ? {} : { _facet: facet }) });
        if (colour === null) grey = true;
        else colored = true;
      }
    }
    const count = seen.size;
    notes.push(`dotted rules: ${mark.label} (${count} step${count === 1 ? "" : "s"})`);
    if (skipped) notes.push(`${skipped} ${mark.label} value${skipped === 1 ? "" : "s"} not drawn (NaN: never happened${spec.logX ? ", or step 0 on the log axis" : ""})`);
  }
  return { colored, grey };
}

function stepOf(row: Row, spec: LineSpec): number {
  return typeof row.value === "number" ? row.value : rowNumber(row, spec);
}

/** The rules and their rotated labels: grey ones, and ones coloured by the plot's colour encoding. */
export function markLayers(x: Record<string, unknown>, color: Record<string, unknown>, which: { colored: boolean; grey: boolean }): Record<string, unknown>[] {
  const layers: Record<string, unknown>[] = [];
  const rule = { type: "rule", strokeDash: [2, 3], strokeWidth: 1.6 };
  const label = { type: "text", angle: 270, align: "right", baseline: "bottom", dx: -4, dy: -3, fontSize: 11 };
  const top = { y: { value: 0 } };
  if (which.grey) {
    layers.push({ name: "marks", transform: [{ filter: { field: "_layer", equal: "mark" } }], mark: { ...rule, color: REFERENCE_GREY }, encoding: { x } });
    layers.push({ name: "mark_labels", transform: [{ filter: { field: "_layer", equal: "mark" } }], mark: { ...label, color: REFERENCE_GREY }, encoding: { x, ...top, text: { field: "label" } } });
  }
  if (which.colored) {
    layers.push({ name: "marks_colored", transform: [{ filter: { field: "_layer", equal: "mark_colored" } }], mark: rule, encoding: { x, ...color } });
    layers.push({ name: "mark_labels_colored", transform: [{ filter: { field: "_layer", equal: "mark_colored" } }], mark: label, encoding: { x, ...top, text: { field: "label" }, ...color } });
  }
  return layers;
}
