/**
 * `plot line`: a result against training steps or a sweep variable, one series per colour value (and per
 * value of any other dimension left in the data, drawn in the same colour), with an optional band of
 * mean ± std or min–max over a dimension, log axes, labelled horizontal reference lines and vertical
 * rules at event and snapshot steps (plot-marks.ts).
 */
import type { TopLevelSpec } from "vega-lite";
import { groupRows, keyId, type Row } from "../runtime/analysis/table.js";
import type { Dim, PlotSpec } from "../contract/program.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { REFERENCE_GREY } from "./colors.js";
import { LINE_CAP, thinMinMax } from "./downsample.js";
import { addMarkData, markLayers } from "./plot-marks.js";
import { divergedLayer, divergedMarkers, divergedNote, splitDiverged } from "./plot-diverged.js";
import {
  assemble,
  colorEncoding,
  dimTitle,
  facetDomain,
  keepPlottable,
  onlyLayer,
  orderedValues,
  positionEncoding,
  requirePlotDim,
  rowNumber,
  hoverNumber,
  SERIES_DIM,
  tableOf,
  valueLabel,
  type Datum,
  type PlotTables,
} from "./plot-common.js";

type LineSpec = Extract<PlotSpec, { kind: "line" }>;

/** Series with at most this many points also draw a marker at each point (sweeps, sparse probes). */
const MARKERS_UP_TO = 50;

/** One point of a series: the line's value and, with a band, its lower and upper edge. */
interface LinePoint {
  x: number | string;
  y: number;
  lo?: number;
  hi?: number;
}

/** The vega-lite spec of a line plot. */
export function linePlot(given: LineSpec, tables: PlotTables): TopLevelSpec {
  // Several results: each its own colour, or, when the plot is coloured by something else, its own dashes.
  const dashed = given.series !== undefined && given.color !== null;
  const spec = given.series !== undefined && given.color === null ? { ...given, color: SERIES_DIM } : given;
  const table = tableOf(tables, "y", spec);
  for (const [dim, role] of [[spec.x, "x"], [spec.color, "colour"], [spec.facet, "facet"], [spec.band?.over ?? null, "band"]] as const) {
    if (dim !== null) requirePlotDim(table, dim, role, spec);
  }
  const notes: string[] = [];
  const split = splitDiverged(table.rows, (r) => ({ key: r.key, values: [rowNumber(r, spec)] }), table.dims, tables.divergence);
  const rows = keepPlottable(split.kept, [{ value: (r) => rowNumber(r, spec), log: spec.logY, axis: "y" }, ...(isNumericX(table.rows, spec.x) ? [{ value: (r: Row) => Number(r.key[spec.x]), log: spec.logX, axis: "x" }] : [])], notes);
  const seriesDims = [spec.facet, spec.color].filter((d): d is Dim => d !== null);
  const detailDims = table.dims.filter((d) => d !== spec.x && !seriesDims.includes(d) && d !== spec.band?.over);
  const color = spec.color === null ? null : orderedValues(rows, spec.color);
  const data: Datum[] = [];
  let thinned = 0;
  let clipped = 0;
  for (const series of groupRows(rows, [...seriesDims, ...detailDims])) {
    let points = seriesPoints(series.rows, spec);
    if (points.length > LINE_CAP) {
      points = thinMinMax(points, LINE_CAP, (p) => p.y);
      thinned++;
    }
    const fields: Datum = {};
    if (spec.color !== null) fields["_color"] = valueLabel(series.key[spec.color]!);
    if (spec.facet !== null) fields["_facet"] = valueLabel(series.key[spec.facet]!);
    if (detailDims.length) fields["_detail"] = keyId(series.key, detailDims);
    if (dashed) fields["_dash"] = valueLabel(series.key[SERIES_DIM]!);
    // A line's hover text (its SVG <title>): which series it is; points say their own values.
    // With several results the series' own name is its result (`test_loss`), not "series = test_loss".
    const result = given.series ? valueLabel(series.key[SERIES_DIM]!) : spec.yLabel;
    const which = [...seriesDims, ...detailDims].filter((d) => d !== SERIES_DIM).map((d) => `${dimTitle(d)} = ${valueLabel(series.key[d]!)}`);
    fields["_name"] = [result, ...which].join(", ");
    for (const p of points) {
      data.push({ _layer: "line", ...fields, x: p.x, y: p.y, _tip: [`${result} = ${hoverNumber(p.y)} at ${dimTitle(spec.x)} ${hoverNumber(p.x)}`, ...which].join(", ") });
      if (p.lo === undefined || p.hi === undefined) continue;
      // On a log axis mean − std can be ≤ 0; the band stops at the line's own value there.
      const lo = spec.logY && p.lo <= 0 ? ((clipped++), p.y) : p.lo;
      data.push({ _layer: "band", ...fields, x: p.x, lo, hi: p.hi });
    }
  }
  const diverged = divergedMarkers(
    split.diverged.map(({ key }) => ({ key, x: typeof key[spec.x] === "number" ? (key[spec.x] as number) : valueLabel(key[spec.x]!) })).sort(byX),
    spec.x,
    spec.logX,
    (key) => ({ ...(spec.color === null ? {} : { _color: valueLabel(key[spec.color]!) }), ...(spec.facet === null ? {} : { _facet: valueLabel(key[spec.facet]!) }) }),
  );
  data.push(...diverged);
  if (split.diverged.length) notes.push(divergedNote(split.diverged.length, split.runs, diverged.length > 0));
  if (thinned) notes.push(`${thinned} series thinned to ≤ ${LINE_CAP} points each (each bucket's min and max kept)`);
  if (clipped) notes.push(`band's lower edge cut at the line where mean − std ≤ 0 (log axis)`);
  if (spec.band) notes.push(spec.band.fn === "std" ? `line: mean over ${dimTitle(spec.band.over)}; band: ± 1 std` : `line: mean over ${dimTitle(spec.band.over)}; band: min–max`);
  const undistinguished = detailDims.filter((d) => !(dashed && d === SERIES_DIM)); // dashes tell the series apart
  if (undistinguished.length && spec.band === null) notes.push(`one line per ${undistinguished.map(dimTitle).join(" × ")}`);
  const facet = facetDomain(rows, spec);
  const refs = addReferences(spec, data, facet?.labels ?? null, notes);
  const sweepRefs = addSweepReferences(spec, tables, data, facet?.labels ?? null, notes);
  const marks = addMarkData(spec, tables, facet?.labels ?? null, data, notes);
  const markers = Math.max(0, ...groupRows(rows, [...seriesDims, ...detailDims]).map((g) => new Set(g.rows.map((r) => String(r.key[spec.x]))).size)) <= MARKERS_UP_TO;
  const yAxis = spec.logY ? axisValues(data, ["y", "lo", "hi"]) : false;
  const x = xEncoding([...rows, ...split.diverged.map((d) => d.item)], spec, spec.logX ? axisValues(data, ["x"]) : false);
  const y = positionEncoding("y", spec.yLabel, yAxis);
  const dashes = dashed ? { strokeDash: { field: "_dash", type: "nominal", title: SERIES_DIM, sort: given.series!.map((r) => r.label) } } : {};
  const series = { ...colorEncoding(spec.color, color), ...(detailDims.length ? { detail: { field: "_detail" } } : {}) };
  const layers: Record<string, unknown>[] = [];
  if (spec.band) {
    layers.push({ name: "band", transform: onlyLayer("band"), mark: { type: "area", opacity: 0.2 }, encoding: { x, y: { ...positionEncoding("lo", spec.yLabel, yAxis) }, y2: { field: "hi" }, ...series, description: { field: "_name" } } });
  }
  layers.push({ name: "lines", transform: onlyLayer("line"), mark: { type: "line", strokeWidth: 1.8, ...(spec.color === null ? { color: "#0072B2" } : {}) }, encoding: { x, y, ...series, ...dashes, description: { field: "_name" } } });
  if (markers) layers.push({ name: "points", transform: onlyLayer("line"), mark: { type: "point", filled: true, size: 36, ...(spec.color === null ? { color: "#0072B2" } : {}) }, encoding: { x, y, ...series, description: { field: "_tip" } } });
  if (refs || sweepRefs.rules) layers.push(...referenceLayers(spec.yLabel, yAxis));
  if (sweepRefs.curves) layers.push(referenceCurveLayer(x, y));
  layers.push(...markLayers(x, colorEncoding(spec.color, color), marks));
  if (diverged.length) layers.push(divergedLayer(x));
  return assemble({ title: spec.title ?? `${spec.yLabel} vs ${dimTitle(spec.x)}`, notes, data, layers, facet });
}

/** The series' points sorted by x; with a band, one point per x summarising the `band.over` values. */
function seriesPoints(rows: readonly Row[], spec: LineSpec): LinePoint[] {
  const numeric = rows.every((r) => typeof r.key[spec.x] === "number");
  const xOf = (r: Row) => (numeric ? (r.key[spec.x] as number) : valueLabel(r.key[spec.x]!));
  let points: LinePoint[];
  if (spec.band === null) points = rows.map((r) => ({ x: xOf(r), y: rowNumber(r, spec) }));
  else points = groupRows(rows, [spec.x]).map((g) => bandPoint(xOf(g.rows[0]!), g.rows.map((r) => rowNumber(r, spec)), spec.band!.fn));
  return numeric ? points.sort((a, b) => (a.x as number) - (b.x as number)) : points;
}

/** Mean of the values with mean ± sample std (no band for a single value) or min–max around it. */
function bandPoint(x: number | string, values: readonly number[], fn: "std" | "range"): LinePoint {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (fn === "range") return { x, y: mean, lo: Math.min(...values), hi: Math.max(...values) };
  if (n < 2) return { x, y: mean };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { x, y: mean, lo: mean - std, hi: mean + std };
}

function byX(a: { x: number | string }, b: { x: number | string }): number {
  return typeof a.x === "number" && typeof b.x === "number" ? a.x - b.x : 0;
}

function isNumericX(rows: readonly Row[], x: Dim): boolean {
  return rows.every((r) => typeof r.key[x] === "number");
}

/** Steps and numeric sweep variables are quantitative; a named sweep variable (`act`) is ordinal. */
function xEncoding(rows: readonly Row[], spec: LineSpec, log: false | readonly number[]): Record<string, unknown> {
  if (isNumericX(rows, spec.x)) return positionEncoding("x", dimTitle(spec.x), log);
  return { field: "x", type: "ordinal", title: dimTitle(spec.x), sort: orderedValues(rows, spec.x).labels };
}

/** The numbers of `fields` over every datum: what a log axis must show (lines, bands, references). */
function axisValues(data: readonly Datum[], fields: readonly string[]): number[] {
  return data.flatMap((d) => fields.map((f) => d[f]).filter((v): v is number => typeof v === "number"));
}

/** Adds a datum per constant reference (per panel); power references need a sweep and are drawn by loglog. */
function addReferences(spec: LineSpec, data: Datum[], facets: readonly string[] | null, notes: string[]): boolean {
  let any = false;
  for (const ref of spec.refs) {
    if (ref.kind === "sweep") continue;
    if (ref.kind !== "constant") {
      notes.push(`reference ${ref.label} (a power law) is drawn only on loglog plots`);
      continue;
    }
    if (!Number.isFinite(ref.value) || (spec.logY && ref.value <= 0)) {
      notes.push(`reference ${ref.label} = ${ref.value} cannot be drawn on this axis`);
      continue;
    }
    for (const facet of facets ?? [null]) data.push({ _layer: "ref", y: ref.value, label: ref.label, ...(facet === null ? {} : { _facet: facet }) });
    any = true;
  }
  return any;
}

/**
 * References that read sweep variables (`ref: 2/lr` over a swept lr), one value per sweep point. When the x
 * axis is that sweep variable the values form a dashed curve over x; otherwise each point gets its own
 * horizontal rule, in its facet's panel when the plot is faceted by the variable, labelled with its value
 * (and its point, unless the facet already says it).
 */
function addSweepReferences(spec: LineSpec, tables: PlotTables, data: Datum[], facets: readonly string[] | null, notes: string[]): { rules: boolean; curves: boolean } {
  const drawn = { rules: false, curves: false };
  spec.refs.forEach((ref, i) => {
    const table = ref.kind === "sweep" ? tables.refs?.[i] : undefined;
    if (ref.kind !== "sweep") return;
    if (!table) throw new DyncRuntimeError("RUN090", `plot (line ${spec.line}) is missing the values of reference ${ref.label}`);
    for (const row of table.rows) {
      const value = rowNumber(row, spec);
      if (!Number.isFinite(value) || (spec.logY && value <= 0)) {
        notes.push(`reference ${ref.label} = ${value} at ${formatPoint(row.key, table.dims)} cannot be drawn on this axis`);
        continue;
      }
      // A reference over the facet variable belongs to its own panel; any other is drawn in every panel.
      const panels = spec.facet !== null && table.dims.includes(spec.facet) ? [valueLabel(row.key[spec.facet]!)] : (facets ?? [null]);
      const shown = table.dims.filter((d) => d !== spec.facet && d !== spec.x);
      const where = shown.length ? ` (${formatPoint(row.key, shown)})` : "";
      for (const panel of panels) {
        const facet: Datum = panel === null ? {} : { _facet: panel };
        if (table.dims.includes(spec.x)) {
          data.push({ _layer: "refcurve", x: Number(row.key[spec.x]), y: value, _ref: `${ref.label}${where}`, ...facet });
          drawn.curves = true;
        } else {
          data.push({ _layer: "ref", y: value, label: `${ref.label} = ${formatRefValue(value)}${where}`, ...facet });
          drawn.rules = true;
        }
      }
    }
    if (table.dims.includes(spec.x)) notes.push(`dashed: reference ${ref.label} at each ${dimTitle(spec.x)}`);
  });
  return drawn;
}

function formatPoint(key: Row["key"], dims: readonly Dim[]): string {
  return dims.map((d) => `${dimTitle(d)} = ${valueLabel(key[d]!)}`).join(", ");
}

function formatRefValue(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

/** The dashed grey curve of a reference over a sweep variable on the x axis. */
function referenceCurveLayer(x: Record<string, unknown>, y: Record<string, unknown>): Record<string, unknown> {
  return { name: "ref_curves", transform: onlyLayer("refcurve"), mark: { type: "line", color: REFERENCE_GREY, strokeDash: [6, 4], strokeWidth: 1.4 }, encoding: { x, y, detail: { field: "_ref" } } };
}

/** A dashed grey horizontal rule per reference, labelled at the panel's right edge. */
export function referenceLayers(yTitle: string, logY: boolean | readonly number[]): Record<string, unknown>[] {
  const y = positionEncoding("y", yTitle, logY);
  return [
    { name: "refs", transform: onlyLayer("ref"), mark: { type: "rule", color: REFERENCE_GREY, strokeDash: [6, 4], strokeWidth: 1.4 }, encoding: { y } },
    {
      name: "ref_labels",
      transform: onlyLayer("ref"),
      mark: { type: "text", align: "right", baseline: "bottom", dx: -4, dy: -3, color: REFERENCE_GREY, fontSize: 12 },
      encoding: { y, x: { value: "width" }, text: { field: "label" } },
    },
  ];
}
