/**
 * `plot loglog`: a result against a sweep variable on log–log axes, points joined per colour, with the
 * least-squares power law fitted per series (runtime/analysis's fitPowerLaw, float64) drawn over the data and
 * its exponent in the legend (`silu: α = 1.02`), and reference power laws through the first point, dashed.
 */
import type { TopLevelSpec } from "vega-lite";
import { DyncRuntimeError } from "../runtime/errors.js";
import { fitPowerLaw } from "../runtime/analysis/power-law.js";
import { formatNumber } from "../runtime/analysis/format.js";
import { groupRows, type Row } from "../runtime/analysis/table.js";
import type { Dim, PlotSpec } from "../contract/program.js";
import { REFERENCE_GREY } from "./colors.js";
import {
  assemble,
  colorEncoding,
  dimTitle,
  facetDomain,
  keepPlottable,
  onlyLayer,
  orderedValues,
  hoverNumber,
  positionEncoding,
  requirePlotDim,
  rowNumber,
  tableOf,
  valueLabel,
  type Datum,
  type PlotTables,
} from "./plot-common.js";
import { divergedNote, splitDiverged } from "./plot-diverged.js";

type LoglogSpec = Extract<PlotSpec, { kind: "loglog" }>;

interface Series {
  color: string | null;
  facet: string | null;
  points: { x: number; y: number }[];
}

/** The vega-lite spec of a log–log plot with fits and reference power laws. */
export function loglogPlot(spec: LoglogSpec, tables: PlotTables): TopLevelSpec {
  const table = tableOf(tables, "y", spec);
  requirePlotDim(table, spec.x, "x", spec);
  if (spec.color !== null) requirePlotDim(table, spec.color, "colour", spec);
  if (spec.facet !== null) requirePlotDim(table, spec.facet, "facet", spec);
  // A dimension with one value throughout (the step of a probe measured only `at end`) does not vary:
  // it cannot split the points, so it needs no `last(…)` first.
  const extra = table.dims.filter((d) => d !== spec.x && d !== spec.color && d !== spec.facet && distinctValues(table, d) > 1);
  if (extra.length) {
    throw new DyncRuntimeError(
      "RUN050",
      `plot \`${spec.text}\` (line ${spec.line}) needs one value per ${[spec.x, spec.color, spec.facet].filter(Boolean).map((d) => dimTitle(d!)).join(" × ")}, but its data also vary over ${extra.map(dimTitle).join(", ")}`,
      `reduce them first, e.g. median(${spec.yLabel}) over ${extra.join(", ")}`,
    );
  }
  if (table.rows.some((r) => typeof r.key[spec.x] !== "number")) {
    throw new DyncRuntimeError("RUN050", `plot \`${spec.text}\` (line ${spec.line}): a log–log plot needs a numeric x, but ${spec.x} takes names`);
  }
  const notes: string[] = [];
  const split = splitDiverged(table.rows, (r) => ({ key: r.key, values: [rowNumber(r, spec)] }), table.dims, tables.divergence);
  if (split.diverged.length) notes.push(divergedNote(split.diverged.length, split.runs, false));
  const rows = keepPlottable(split.kept, [{ value: (r) => rowNumber(r, spec), log: true, axis: "y" }, { value: (r) => r.key[spec.x] as number, log: true, axis: "x" }], notes);
  const series = seriesOf(rows, spec);
  const facet = facetDomain(rows, spec);
  const colorDomain = spec.color === null ? null : orderedValues(rows, spec.color);
  // One panel: the exponent goes into the legend label. Small multiples share one legend, so each panel
  // prints its series' exponents next to the fitted lines instead.
  const legendHasAlpha = spec.fit && facet === null;
  const labels = new Map<Series, string>();
  const data: Datum[] = [];
  for (const s of series) {
    const fit = spec.fit ? tryFit(s, spec, notes) : null;
    const alpha = fit ? `α = ${formatNumber(fit.alpha)}` : null;
    const label = legendHasAlpha && alpha ? (s.color === null ? alpha : `${s.color}: ${alpha}`) : (s.color ?? spec.yLabel);
    labels.set(s, label);
    const fields: Datum = { _series: label, ...(s.facet === null ? {} : { _facet: s.facet }) };
    for (const p of s.points) data.push({ _layer: "data", ...fields, x: p.x, y: p.y, _tip: `${spec.yLabel} = ${hoverNumber(p.y)} at ${dimTitle(spec.x)} ${hoverNumber(p.x)}${s.color === null ? "" : `, ${dimTitle(spec.color!)} = ${s.color}`}` });
    if (!fit) continue;
    const xs = [s.points[0]!.x, s.points[s.points.length - 1]!.x];
    for (const x of xs) data.push({ _layer: "fit", ...fields, x, y: fit.coefficient * x ** fit.exponent, ...(legendHasAlpha ? {} : { label: alpha! }) });
  }
  addPowerReferences(spec, series, data);
  const legendDomain = colorDomain
    ? colorDomain.labels.flatMap((c) => [...new Set(series.filter((s) => s.color === c).map((s) => labels.get(s)!))])
    : [...new Set(series.map((s) => labels.get(s)!))];
  const x = positionEncoding("x", dimTitle(spec.x), data.map((d) => d["x"]).filter((v): v is number => typeof v === "number"));
  const y = positionEncoding("y", spec.yLabel, data.map((d) => d["y"]).filter((v): v is number => typeof v === "number"));
  const color = spec.color === null && !legendHasAlpha
    ? {}
    : colorEncoding(spec.color ?? "fit", { labels: legendDomain, numeric: colorDomain?.numeric ?? false }, "_series");
  const single = spec.color === null ? { color: "#0072B2" } : {};
  const layers: Record<string, unknown>[] = [
    { name: "series", transform: onlyLayer("data"), mark: { type: "line", strokeWidth: 1, opacity: 0.6, ...single }, encoding: { x, y, ...color, detail: { field: "_series" }, description: { field: "_series" } } },
    { name: "points", transform: onlyLayer("data"), mark: { type: "point", filled: true, size: 50, opacity: 1, ...single }, encoding: { x, y, ...color, description: { field: "_tip" } } },
  ];
  if (spec.fit) {
    layers.push({ name: "fits", transform: onlyLayer("fit"), mark: { type: "line", strokeWidth: 3, opacity: 0.45, ...single }, encoding: { x, y, ...color, detail: { field: "_series" }, description: { field: "_series" } } });
    if (!legendHasAlpha) {
      layers.push({ name: "fit_labels", transform: [...onlyLayer("fit"), { window: [{ op: "row_number", as: "_k" }], groupby: ["_series", "_facet"] }, { filter: "datum._k === 2" }], mark: { type: "text", align: "left", dx: 4, fontSize: 11, ...single }, encoding: { x, y, text: { field: "label" }, ...color } });
    }
  }
  if (spec.refs.some((r) => r.kind === "power")) {
    layers.push({ name: "refs", transform: onlyLayer("ref"), mark: { type: "line", color: REFERENCE_GREY, strokeDash: [6, 4], strokeWidth: 1.4 }, encoding: { x, y, detail: { field: "label" } } });
    layers.push({ name: "ref_labels", transform: [...onlyLayer("ref"), { filter: "datum._end === 1" }], mark: { type: "text", align: "left", dx: 4, color: REFERENCE_GREY, fontSize: 12 }, encoding: { x, y, text: { field: "label" } } });
  }
  for (const ref of spec.refs) if (ref.kind === "constant") notes.push(`reference ${ref.label} (a constant) is drawn only on line plots`);
  if (spec.fit) notes.push("thick lines: least-squares power-law fits of log y on log x; α = −slope");
  return assemble({ title: spec.title ?? `${spec.yLabel} vs ${dimTitle(spec.x)}`, notes, data, layers, facet });
}

function seriesOf(rows: readonly Row[], spec: LoglogSpec): Series[] {
  const dims = [spec.facet, spec.color].filter((d): d is Dim => d !== null);
  return groupRows(rows, dims).map((g) => ({
    color: spec.color === null ? null : valueLabel(g.key[spec.color]!),
    facet: spec.facet === null ? null : valueLabel(g.key[spec.facet]!),
    points: g.rows.map((r) => ({ x: r.key[spec.x] as number, y: rowNumber(r, spec) })).sort((a, b) => a.x - b.x),
  }));
}

/** The series' fit, or null (with a note) when it cannot be fitted, e.g. one point. */
function tryFit(s: Series, spec: LoglogSpec, notes: string[]) {
  try {
    return fitPowerLaw(s.points, `${spec.yLabel}${s.color === null ? "" : ` at ${s.color}`}`);
  } catch (error) {
    if (!(error instanceof DyncRuntimeError)) throw error;
    notes.push(`no fit for ${s.color ?? spec.yLabel}${s.facet === null ? "" : ` (${s.facet})`}: ${error.message}`);
    return null;
  }
}

/** y = y₀·(x/x₀)^p through the first point (smallest x of the panel's first series), over the panel's x range. */
function addPowerReferences(spec: LoglogSpec, series: readonly Series[], data: Datum[]): void {
  const refs = spec.refs.filter((r) => r.kind === "power");
  if (refs.length === 0) return;
  const panels = [...new Set(series.map((s) => s.facet))];
  for (const facet of panels) {
    const inPanel = series.filter((s) => s.facet === facet && s.points.length > 0);
    if (inPanel.length === 0) continue;
    const first = inPanel[0]!.points[0]!;
    const xMax = Math.max(...inPanel.map((s) => s.points[s.points.length - 1]!.x));
    for (const ref of refs) {
      for (const [x, end] of [[first.x, 0], [xMax, 1]] as const) {
        data.push({ _layer: "ref", x, y: first.y * (x / first.x) ** ref.exponent, label: ref.label, _end: end, ...(facet === null ? {} : { _facet: facet }) });
      }
    }
  }
}

/** How many different values dimension `dim` takes in the table's rows. */
function distinctValues(table: { rows: readonly { key: Readonly<Record<string, unknown>> }[] }, dim: string): number {
  return new Set(table.rows.map((r) => String(r.key[dim]))).size;
}
