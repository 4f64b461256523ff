/**
 * `plot histogram` and `plot density`: the distribution of a result's values (pooled over every dimension
 * but colour and facet), optionally of their log10. Histogram bins are shared by all series and panels so
 * they compare directly; densities are Gaussian KDEs with Scott's bandwidth, computed in float64 here.
 */
import type { TopLevelSpec } from "vega-lite";
import { groupRows, type Row } from "../runtime/analysis/table.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { Dim, PlotSpec } from "../contract/program.js";
import { gaussianKde, linspace } from "../numerics/kde.js";
import { densityBandwidth } from "../runtime/analysis/density.js";
import {
  assemble,
  colorEncoding,
  facetDomain,
  keepPlottable,
  onlyLayer,
  orderedValues,
  positionEncoding,
  requirePlotDim,
  rowNumber,
  tableOf,
  valueLabel,
  type Datum,
  type PlotTables,
} from "./plot-common.js";

type HistogramSpec = Extract<PlotSpec, { kind: "histogram" }>;
type DensitySpec = Extract<PlotSpec, { kind: "density" }>;

/** Points at which each density curve is evaluated. */
export const DENSITY_POINTS = 256;

interface Group {
  color: string | null;
  facet: string | null;
  values: number[];
}

/** The vega-lite spec of a histogram: `bins` equal-width bins over the range of all values. */
export function histogramPlot(spec: HistogramSpec, tables: PlotTables): TopLevelSpec {
  if (!(Number.isInteger(spec.bins) && spec.bins >= 1)) {
    throw new DyncRuntimeError("RUN040", `plot \`${spec.text}\` (line ${spec.line}): bins must be a positive whole number, got ${spec.bins}`);
  }
  const { groups, notes, rows } = distributionGroups(spec, tables);
  const all = groups.flatMap((g) => g.values);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / spec.bins;
  const data: Datum[] = [];
  for (const g of groups) {
    const counts = new Array<number>(spec.bins).fill(0);
    // Bins are [lo + kw, lo + (k+1)w); the largest value belongs to the last bin.
    for (const v of g.values) counts[Math.min(spec.bins - 1, Math.floor((v - lo) / width))]!++;
    counts.forEach((count, k) => data.push({ _layer: "bins", ...seriesFields(g), x: lo + k * width, x2: lo + (k + 1) * width, y: count }));
  }
  const color = spec.color === null ? null : orderedValues(rows, spec.color);
  const overlaid = groups.length > 1 && spec.color !== null;
  const mark = { type: "rect", opacity: overlaid ? 0.55 : 0.85, stroke: "white", strokeWidth: 0.5, ...(spec.color === null ? { color: "#0072B2" } : {}) };
  const layers = [
    {
      name: "bars",
      transform: onlyLayer("bins"),
      mark,
      encoding: { x: positionEncoding("x", axisTitle(spec), false), x2: { field: "x2" }, y: { field: "y", type: "quantitative", title: "count", stack: null }, y2: { datum: 0 }, ...colorEncoding(spec.color, color) },
    },
  ];
  if (overlaid) notes.push("series overlaid (translucent), not stacked");
  return assemble({ title: spec.title ?? `distribution of ${spec.label}`, notes, data, layers, facet: facetDomain(rows, spec) });
}

/** The vega-lite spec of a density plot: one KDE curve per colour and panel. */
export function densityPlot(spec: DensitySpec, tables: PlotTables): TopLevelSpec {
  const { groups, notes, rows } = distributionGroups(spec, tables);
  const fitted: { group: Group; h: number }[] = [];
  for (const g of groups) {
    try {
      fitted.push({ group: g, h: densityBandwidth(g.values) });
    } catch (error) {
      if (!(error instanceof DyncRuntimeError)) throw error;
      notes.push(`no density for ${[g.facet, g.color].filter((v) => v !== null).join(", ") || spec.label}: ${error.message}`);
    }
  }
  if (fitted.length === 0) throw new DyncRuntimeError("RUN050", `plot \`${spec.text}\` (line ${spec.line}) has no series with enough distinct values for a density`);
  // One grid for every curve, reaching 3 bandwidths past the data so that each tail is drawn.
  const hMax = Math.max(...fitted.map((f) => f.h));
  const all = fitted.flatMap((f) => f.group.values);
  const grid = linspace(Math.min(...all) - 3 * hMax, Math.max(...all) + 3 * hMax, DENSITY_POINTS);
  const data: Datum[] = [];
  for (const { group, h } of fitted) {
    gaussianKde(group.values, grid, h).forEach((density, i) => data.push({ _layer: "density", ...seriesFields(group), x: grid[i]!, y: density }));
  }
  notes.push("Gaussian kernel density, Scott's bandwidth h = σ̂·n^(−1/5)");
  const color = spec.color === null ? null : orderedValues(rows, spec.color);
  const layers = [
    {
      name: "curves",
      transform: onlyLayer("density"),
      mark: { type: "line", strokeWidth: 2, ...(spec.color === null ? { color: "#0072B2" } : {}) },
      encoding: { x: positionEncoding("x", axisTitle(spec), false), y: { field: "y", type: "quantitative", title: "density" }, ...colorEncoding(spec.color, color) },
    },
  ];
  return assemble({ title: spec.title ?? `density of ${spec.label}`, notes, data, layers, facet: facetDomain(rows, spec) });
}

function axisTitle(spec: HistogramSpec | DensitySpec): string {
  return spec.log10 ? `log₁₀ ${spec.label}` : spec.label;
}

function seriesFields(g: Group): Datum {
  return { ...(g.color === null ? {} : { _color: g.color }), ...(g.facet === null ? {} : { _facet: g.facet }) };
}

/** The values (log10'd if asked, non-finite dropped) grouped by facet and colour. */
function distributionGroups(spec: HistogramSpec | DensitySpec, tables: PlotTables): { groups: Group[]; notes: string[]; rows: Row[] } {
  const table = tableOf(tables, "values", spec);
  if (spec.color !== null) requirePlotDim(table, spec.color, "colour", spec);
  if (spec.facet !== null) requirePlotDim(table, spec.facet, "facet", spec);
  const notes: string[] = [];
  const rows = keepPlottable(table.rows, [{ value: (r) => rowNumber(r, spec), log: spec.log10, axis: "value" }], notes);
  if (rows.length === 0) throw new DyncRuntimeError("RUN050", `plot \`${spec.text}\` (line ${spec.line}) has no values to show`);
  const dims = [spec.facet, spec.color].filter((d): d is Dim => d !== null);
  const groups = groupRows(rows, dims).map((g) => ({
    color: spec.color === null ? null : valueLabel(g.key[spec.color]!),
    facet: spec.facet === null ? null : valueLabel(g.key[spec.facet]!),
    values: g.rows.map((r) => (spec.log10 ? Math.log10(rowNumber(r, spec)) : rowNumber(r, spec))),
  }));
  return { groups, notes, rows };
}
