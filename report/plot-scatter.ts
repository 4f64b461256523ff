/**
 * `plot scatter`: one result against another, joined on their shared dimensions (as analyses join), coloured
 * and faceted by dimensions; more than SCATTER_CAP points are thinned to a fixed-seed uniform subset.
 */
import type { TopLevelSpec } from "vega-lite";
import { join } from "../runtime/analysis/table.js";
import type { Key, Row, Table } from "../runtime/analysis/table.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { PlotSpec } from "../contract/program.js";
import { SCATTER_CAP, thinUniform } from "./downsample.js";
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
import { divergedLayer, divergedMarkers, divergedNote, splitDiverged } from "./plot-diverged.js";

type ScatterSpec = Extract<PlotSpec, { kind: "scatter" }>;

interface Pair {
  key: Key;
  x: number;
  y: number;
  /** The `shade` value colouring the point, when the plot has one. */
  shade?: number;
  /** The `panels` value choosing the point's panel, when the plot has one. */
  panel?: number;
}

/** The pairs joined with the `panels` table on their shared dimensions; pairs without a finite category are dropped and counted in `notes`. */
function paneled(pairs: { dims: string[]; rows: Pair[] }, panels: Table, spec: ScatterSpec, notes: string[]): { dims: string[]; rows: Pair[] } {
  const indexed = { dims: pairs.dims, rows: pairs.rows.map((p, i) => ({ key: p.key, value: i })) };
  const joined = join(indexed, panels, (l: Row, r: Row, key): Pair => ({ ...pairs.rows[l.value as number]!, key, panel: rowNumber(r, spec) }));
  const rows = joined.rows.filter((p) => Number.isFinite(p.panel));
  if (rows.length < joined.rows.length) notes.push(`${joined.rows.length - rows.length} points without a finite ${spec.panels!.label} omitted`);
  return { dims: joined.dims, rows };
}

/**
 * The panels' labels in numeric order (a result's values, not a dimension's), titled by the result. Such
 * panels (clusters of nets, say) hold curves whose ranges differ by orders of magnitude, so each gets its own
 * y axis (see `assemble`): on a shared one the small-range panels would be flat lines.
 */
function panelDomain(pairs: readonly Pair[], spec: ScatterSpec): { dim: string; labels: string[] } | null {
  if (!spec.panels) return null;
  const values = [...new Set(pairs.map((p) => p.panel!))].sort((a, b) => a - b);
  return { dim: spec.panels.label, labels: values.map((v) => valueLabel(v)) };
}

/** The pairs joined with the `shade` table on their shared dimensions; pairs whose shade is not finite are dropped and counted in `notes`. */
function shaded(pairs: { dims: string[]; rows: Pair[] }, shade: Table, spec: ScatterSpec, notes: string[]): { dims: string[]; rows: Pair[] } {
  const indexed = { dims: pairs.dims, rows: pairs.rows.map((p, i) => ({ key: p.key, value: i })) };
  const joined = join(indexed, shade, (l: Row, r: Row, key): Pair => ({ ...pairs.rows[l.value as number]!, key, shade: rowNumber(r, spec) }));
  const rows = joined.rows.filter((p) => Number.isFinite(p.shade));
  if (rows.length < joined.rows.length) notes.push(`${joined.rows.length - rows.length} points without a finite ${spec.shade!.label} omitted`);
  return { dims: joined.dims, rows };
}

function requireShade(tables: PlotTables, spec: ScatterSpec): Table {
  return requireTable(tables.shade, "shade", spec);
}

function requireTable(table: Table | undefined, what: string, spec: ScatterSpec): Table {
  if (!table) throw new DyncRuntimeError("RUN090", `plot (line ${spec.line}) is missing its ${what} data`);
  return table;
}

/** The vega-lite spec of a scatter plot. */
export function scatterPlot(spec: ScatterSpec, tables: PlotTables): TopLevelSpec {
  const notes: string[] = [];
  const xy = join(tableOf(tables, "x", spec), tableOf(tables, "y", spec), (l: Row, r: Row, key): Pair => ({ key, x: rowNumber(l, spec), y: rowNumber(r, spec) }));
  const colored = spec.shade ? shaded(xy, requireShade(tables, spec), spec, notes) : xy;
  const joined = spec.panels ? paneled(colored, requireTable(tables.panels, "panels", spec), spec, notes) : colored;
  const asTable = { dims: joined.dims, rows: joined.rows.map((p) => ({ key: p.key, value: 0 })) };
  if (spec.color !== null) requirePlotDim(asTable, spec.color, "colour", spec);
  if (spec.facet !== null) requirePlotDim(asTable, spec.facet, "facet", spec);
  const split = splitDiverged(joined.rows, (p) => ({ key: p.key, values: [p.x, p.y] }), joined.dims, tables.divergence);
  let pairs = keepPlottable(split.kept, [{ value: (p) => p.x, log: spec.logX, axis: "x" }, { value: (p) => p.y, log: spec.logY, axis: "y" }], notes);
  if (pairs.length > SCATTER_CAP) {
    notes.push(`showing a uniform random ${SCATTER_CAP.toLocaleString("en-US")} of ${pairs.length.toLocaleString("en-US")} points (fixed seed)`);
    pairs = thinUniform(pairs, SCATTER_CAP, spec.text);
  }
  const keyed = pairs.map((p) => ({ key: p.key, value: 0 }));
  const color = spec.color === null ? null : orderedValues(keyed, spec.color);
  const data: Datum[] = pairs.map((p) => ({
    _layer: "points",
    x: p.x,
    y: p.y,
    ...(spec.color === null ? {} : { _color: valueLabel(p.key[spec.color]!) }),
    ...(spec.facet === null ? {} : { _facet: valueLabel(p.key[spec.facet]!) }),
    ...(p.panel === undefined ? {} : { _facet: valueLabel(p.panel) }),
    ...(p.shade === undefined ? {} : { _shade: p.shade }),
  }));
  // A diverged point's panel is its `panels` value, which its key does not hold: looked up by key object.
  const panelOf = new Map(split.diverged.map((d) => [d.key, d.item.panel]));
  const seriesFields = (key: Key): Datum => ({
    ...(spec.color === null ? {} : { _color: valueLabel(key[spec.color]!) }),
    ...(spec.facet === null ? {} : { _facet: valueLabel(key[spec.facet]!) }),
    ...(panelOf.get(key) === undefined ? {} : { _facet: valueLabel(panelOf.get(key)!) }),
  });
  // A diverged point is marked at its x when that is a number (its y is the NaN); otherwise only named.
  const diverged = divergedMarkers(split.diverged.filter((d) => Number.isFinite(d.item.x)).map((d) => ({ key: d.key, x: d.item.x })), null, spec.logX, seriesFields);
  data.push(...diverged);
  if (split.diverged.length) notes.push(divergedNote(split.diverged.length, split.runs, diverged.length > 0));
  // Dense clouds get smaller, lighter points so that their density stays visible.
  const dense = pairs.length > 1000;
  const mark = { type: "point", filled: true, size: dense ? 10 : 36, opacity: dense ? 0.45 : 0.8, ...(spec.color === null && !spec.shade ? { color: "#0072B2" } : {}) };
  // A shade is a value, not a category: a continuous, perceptually uniform scale with its own legend.
  const shade = spec.shade ? { color: { field: "_shade", type: "quantitative", title: spec.shade.label, scale: { scheme: "viridis" } } } : {};
  const x = positionEncoding("x", spec.xLabel, spec.logX);
  const layers = [
    { name: "points", transform: onlyLayer("points"), mark, encoding: { x, y: positionEncoding("y", spec.yLabel, spec.logY), ...colorEncoding(spec.color, color), ...shade } },
    ...(diverged.length ? [divergedLayer(x)] : []),
  ];
  return assemble({ title: spec.title ?? `${spec.yLabel} vs ${spec.xLabel}`, notes, data, layers, facet: panelDomain(pairs, spec) ?? facetDomain(keyed, spec), independentY: spec.panels !== undefined });
}
