/**
 * `plot heatmap`: a matrix probe's recorded snapshots (one panel per snapshot × facet value) or a table over
 * two dimensions (`x: steps, y: frequency`). Small panels are one SVG rectangle per cell; larger ones are
 * rasterised into an embedded PNG (block means past RASTER_MAX_SIDE pixels a side), noted in the subtitle.
 */
import type { TopLevelSpec } from "vega-lite";
import { groupRows, type Row } from "../runtime/analysis/table.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { Dim, PlotSpec } from "../contract/program.js";
import { heatColorScale, type HeatColorScale } from "./heatmap-colors.js";
import { blockMeans, eigenReorder, indexAxis, pixelMap, RASTER_MAX_SIDE, valueAxis, type HeatAxis, type HeatMatrix, type PixelMap } from "./heatmap-grid.js";
import { CONFIG, dimTitle, orderedValues, requirePlotDim, rowNumber, tableOf, valueLabel, type Datum, type PlotTables } from "./plot-common.js";
import { encodePng, pngDataUrl } from "./png.js";

type HeatmapSpec = Extract<PlotSpec, { kind: "heatmap" }>;

/** Heatmaps with more cells than this (over all panels) are rasterised instead of drawn as rectangles. */
export const RECT_CAP = 6000;

interface Panel {
  readonly row: string | null;
  readonly col: string | null;
  readonly matrix: HeatMatrix;
  readonly x: HeatAxis;
  readonly y: HeatAxis;
}

interface Layout {
  readonly panels: readonly Panel[];
  /** Matrices put row 0 at the top; tables put the smallest y at the bottom. */
  readonly topDown: boolean;
  readonly square: boolean;
  readonly rowTitle: string | null;
  readonly colTitle: string | null;
}

/** The vega-lite spec of a heatmap. */
export function heatmapPlot(spec: HeatmapSpec, tables: PlotTables): TopLevelSpec {
  const notes: string[] = [];
  const layout = spec.data.source === "matrix" ? matrixLayout(spec, tables, notes) : tableLayout(spec, tables, notes);
  const scale = heatColorScale(concatValues(layout.panels), { range: spec.range, log: spec.logColor });
  countBlanks(layout.panels, scale, notes);
  const raster = layout.panels.reduce((a, p) => a + p.matrix.rows * p.matrix.cols, 0) > RECT_CAP;
  const data = raster ? imageData(layout, scale, notes) : cellData(layout, scale);
  const first = layout.panels[0]!;
  // The legend is drawn from two invisible data at the ends of the colour domain (a raster has no cells).
  for (const v of scale.domain) data.push({ _layer: "legend", v, x0: first.x.edges[0]!, x1: first.x.edges[0]!, y0: first.y.edges[0]!, y1: first.y.edges[0]!, ...facetFields(first) });
  // Matrices of different sizes (a width sweep) get their own axes, each spanning its matrix.
  const independent = new Set(layout.panels.map((p) => `${p.matrix.rows}×${p.matrix.cols}`)).size > 1;
  const x = axisEncoding("x0", first.x, independent ? null : extent(layout.panels.map((p) => p.x.edges)), false);
  const y = axisEncoding("y0", first.y, independent ? null : extent(layout.panels.map((p) => p.y.edges)), layout.topDown);
  const legend = { gradientLength: 160, format: "~g", ...(scale.log ? { values: decades(scale.domain) } : {}) };
  const color = { field: "v", type: "quantitative", title: spec.label, scale: scale.vegaLite, legend };
  const layers: Record<string, unknown>[] = [];
  if (raster) {
    layers.push({
      name: "image",
      transform: [{ filter: { field: "_layer", equal: "image" } }],
      mark: { type: "image", aspect: false, smooth: false, clip: true, aria: false },
      encoding: { url: { field: "url", type: "nominal" }, x, x2: { field: "x1" }, y, y2: { field: "y1" } },
    });
  } else {
    // A hairline stroke in the cell's own colour hides the anti-aliasing seams between neighbouring cells.
    // (its own field, so Vega-Lite keeps one gradient legend for the fill).
    const stroke = { ...color, field: "s", legend: null };
    layers.push({ name: "cells", transform: [{ filter: { field: "_layer", equal: "cell" } }], mark: { type: "rect", aria: false, strokeWidth: 0.5 }, encoding: { x, x2: { field: "x1" }, y, y2: { field: "y1" }, color, stroke } });
  }
  layers.push({ name: "legend_domain", transform: [{ filter: { field: "_layer", equal: "legend" } }], mark: { type: "rect", opacity: 0 }, encoding: { x, x2: { field: "x1" }, y, y2: { field: "y1" }, color } });
  const title = spec.title ?? (spec.data.source === "matrix" ? spec.label : `${spec.label} over ${dimTitle(spec.data.x)} × ${dimTitle(spec.data.y)}`);
  return assembleHeatmap(title, notes, data, layers, layout, independent);
}

/** One panel per recorded snapshot: rows are the `at` entries, columns the facet's values. */
function matrixLayout(spec: HeatmapSpec, tables: PlotTables, notes: string[]): Layout {
  const matrices = tables.matrices;
  if (!matrices) throw new DyncRuntimeError("RUN090", `plot (line ${spec.line}) is missing its recorded matrices`);
  notes.push(...matrices.notes);
  const rows = [...new Set(matrices.snapshots.map((s) => s.at))];
  const steps = new Map<string, Set<number>>();
  for (const s of matrices.snapshots) steps.set(s.at, (steps.get(s.at) ?? new Set()).add(s.step));
  for (const [at, set] of steps) if (at === "start" || at === "end") notes.push(`${at}: step ${[...set].join(", ")}`);
  const eigen = spec.order === "eigen";
  if (eigen) notes.push("rows and columns of each panel in its leading-eigenvector order");
  const facet = spec.facet;
  const panels = matrices.snapshots.map((s): Panel => {
    let matrix: HeatMatrix = { rows: s.rows, cols: s.cols, values: s.values };
    if (eigen) matrix = eigenReorder(matrix).matrix;
    const suffix = eigen ? " (eigenvector order)" : "";
    const col = facet === null ? null : facet === "seeds" ? String(s.seed) : valueLabel(s.point[facet]!);
    return { row: rows.length > 1 ? s.at : null, col, matrix, x: indexAxis(`column${suffix}`, s.cols), y: indexAxis(`row${suffix}`, s.rows) };
  });
  if (rows.length === 1) notes.push(`snapshot: ${rows[0]}`);
  return { panels, topDown: true, square: true, rowTitle: rows.length > 1 ? "snapshot" : null, colTitle: facet === null ? null : dimTitle(facet) };
}

/** A table over x × y (and the facet); any other dimension is fixed at its first value, as the notes say. */
function tableLayout(spec: HeatmapSpec, tables: PlotTables, notes: string[]): Layout {
  if (spec.data.source !== "table") throw new DyncRuntimeError("RUN090", "not a table heatmap");
  const { x: xDim, y: yDim } = spec.data;
  const table = tableOf(tables, "values", spec);
  requirePlotDim(table, xDim, "x", spec);
  requirePlotDim(table, yDim, "y", spec);
  if (spec.facet !== null) requirePlotDim(table, spec.facet, "facet", spec);
  let rows: readonly Row[] = table.rows;
  for (const d of table.dims) {
    if (d === xDim || d === yDim || d === spec.facet) continue;
    const values = orderedValues(rows, d).labels;
    if (values.length < 2) continue;
    rows = rows.filter((r) => valueLabel(r.key[d]!) === values[0]);
    notes.push(`${dimTitle(d)} = ${values[0]} (first of ${values.length}; reduce it, e.g. median(…) over ${d}, or facet by it)`);
  }
  const xAxis = valueAxis(dimTitle(xDim), distinct(rows, xDim));
  const yAxis = valueAxis(dimTitle(yDim), distinct(rows, yDim));
  const xIndex = new Map(xAxis.order.map((v, i) => [valueLabel(v), i]));
  const yIndex = new Map(yAxis.order.map((v, i) => [valueLabel(v), i]));
  const groups = spec.facet === null ? [{ key: {}, rows: [...rows] }] : groupRows(rows, [spec.facet]);
  const facetOrder = spec.facet === null ? null : orderedValues(rows, spec.facet).labels;
  if (facetOrder) groups.sort((a, b) => facetOrder.indexOf(valueLabel(a.key[spec.facet!]!)) - facetOrder.indexOf(valueLabel(b.key[spec.facet!]!)));
  const panels = groups.map((g): Panel => {
    const values = new Float64Array(yAxis.order.length * xAxis.order.length).fill(NaN);
    for (const r of g.rows) values[yIndex.get(valueLabel(r.key[yDim]!))! * xAxis.order.length + xIndex.get(valueLabel(r.key[xDim]!))!] = rowNumber(r, spec);
    return { row: null, col: spec.facet === null ? null : valueLabel(g.key[spec.facet]!), matrix: { rows: yAxis.order.length, cols: xAxis.order.length, values }, x: xAxis.axis, y: yAxis.axis };
  });
  return { panels, topDown: false, square: false, rowTitle: null, colTitle: spec.facet === null ? null : dimTitle(spec.facet) };
}

function distinct(rows: readonly Row[], dim: Dim): (string | number | boolean)[] {
  const seen = new Map<string, string | number | boolean>();
  for (const r of rows) seen.set(valueLabel(r.key[dim]!), r.key[dim]!);
  return [...seen.values()];
}

function concatValues(panels: readonly Panel[]): Float64Array {
  const out = new Float64Array(panels.reduce((a, p) => a + p.matrix.values.length, 0));
  let offset = 0;
  for (const p of panels) {
    out.set(p.matrix.values, offset);
    offset += p.matrix.values.length;
  }
  return out;
}

function countBlanks(panels: readonly Panel[], scale: HeatColorScale, notes: string[]): void {
  let nan = 0;
  let nonPositive = 0;
  for (const p of panels) {
    for (const v of p.matrix.values) {
      if (!Number.isFinite(v)) nan++;
      else if (scale.log && v <= 0) nonPositive++;
    }
  }
  if (nan) notes.push(`${nan} NaN/infinite cell${nan === 1 ? "" : "s"} left blank`);
  if (nonPositive) notes.push(`${nonPositive} cell${nonPositive === 1 ? "" : "s"} ≤ 0 left blank (log colour)`);
}

function facetFields(p: Panel): Datum {
  return { ...(p.row === null ? {} : { _row: p.row }), ...(p.col === null ? {} : { _col: p.col }) };
}

/** One rectangle per drawable cell. */
function cellData(layout: Layout, scale: HeatColorScale): Datum[] {
  const data: Datum[] = [];
  for (const p of layout.panels) {
    const fields = facetFields(p);
    for (let i = 0; i < p.matrix.rows; i++) {
      for (let j = 0; j < p.matrix.cols; j++) {
        const v = p.matrix.values[i * p.matrix.cols + j]!;
        if (!Number.isFinite(v) || Number.isNaN(scale.position(v))) continue;
        data.push({ _layer: "cell", x0: p.x.edges[j]!, x1: p.x.edges[j + 1]!, y0: p.y.edges[i]!, y1: p.y.edges[i + 1]!, v, s: v, ...fields });
      }
    }
  }
  return data;
}

/** One PNG per panel, embedded as a data URL, spanning the cells' extent (a partial last block a little past it). */
function imageData(layout: Layout, scale: HeatColorScale, notes: string[]): Datum[] {
  const data: Datum[] = [];
  const described = new Set<string>();
  for (const p of layout.panels) {
    const cols = pixelMap(p.x.edges);
    const rows = pixelMap(p.y.edges);
    const means = blockMeans(p.matrix, cols, rows);
    const png = encodePng(heatmapPixels(means, cols.pixels, rows.pixels, scale, !layout.topDown), cols.pixels, rows.pixels);
    data.push({ _layer: "image", url: pngDataUrl(png), x0: cols.lo, x1: cols.hi, y0: rows.lo, y1: rows.hi, ...facetFields(p) });
    const note = rasterNote(p.matrix, cols, rows);
    if (!described.has(note)) notes.push(note);
    described.add(note);
  }
  return data;
}

/** RGBA bytes of the block means; NaN pixels transparent; `flip` puts the last row on top (y grows upwards). */
export function heatmapPixels(means: Float64Array, width: number, height: number, scale: HeatColorScale, flip: boolean): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let r = 0; r < height; r++) {
    const source = flip ? height - 1 - r : r;
    for (let c = 0; c < width; c++) {
      const rgb = scale.rgb(means[source * width + c]!);
      if (!rgb) continue;
      const k = (r * width + c) * 4;
      rgba[k] = rgb[0];
      rgba[k + 1] = rgb[1];
      rgba[k + 2] = rgb[2];
      rgba[k + 3] = 255;
    }
  }
  return rgba;
}

function rasterNote(m: HeatMatrix, cols: PixelMap, rows: PixelMap): string {
  const parts = [`${m.rows} × ${m.cols} cells drawn as a ${rows.pixels} × ${cols.pixels}-pixel image`];
  if (cols.block > 1 || rows.block > 1) parts.push(`each pixel the mean of ${Math.max(rows.block, 1)} × ${Math.max(cols.block, 1)} cells`);
  if (cols.block === 0 || rows.block === 0) parts.push(`uneven ${cols.block === 0 ? "columns" : "rows"} resampled to ${RASTER_MAX_SIDE} pixels`);
  return parts.join(", ");
}


/** A position encoding over cell edges: numeric and index axes as they are, categorical axes labelled per cell. */
function axisEncoding(field: string, axis: HeatAxis, domain: [number, number] | null, reverse: boolean): Record<string, unknown> {
  const n = axis.edges.length - 1;
  const scale = { ...(domain ? { domain } : {}), nice: false, zero: false, ...(reverse ? { reverse: true } : {}) };
  // Whole-number cells (rows, steps, peak indices) get whole-number ticks, not 0.5, 1.5.
  const whole = axis.edges.every((e) => Number.isInteger(e)) || axis.edges.every((e, i) => i === n || Number.isInteger((e + axis.edges[i + 1]!) / 2));
  if (axis.labels === null) return { field, type: "quantitative", title: axis.title, scale, axis: { grid: false, ...(whole ? { tickMinStep: 1 } : {}) } };
  const every = Math.max(1, Math.ceil(n / 20));
  const ticks = Array.from({ length: Math.ceil(n / every) }, (_, k) => k * every + 0.5);
  return { field, type: "quantitative", title: axis.title, scale, axis: { grid: false, values: ticks, labelExpr: `${JSON.stringify(axis.labels)}[floor(datum.value)]` } };
}

/** Powers of ten from lo to hi (a log scale's domain spans whole decades). */
function decades([lo, hi]: readonly [number, number]): number[] {
  const out: number[] = [];
  for (let e = Math.round(Math.log10(lo)); e <= Math.round(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

/** The smallest first edge and largest last edge over the panels' axes. */
function extent(edges: readonly Float64Array[]): [number, number] {
  return [Math.min(...edges.map((e) => e[0]!)), Math.max(...edges.map((e) => e[e.length - 1]!))];
}

/** Panels in a grid: rows (snapshots) × columns (the facet's values); square panels for matrices. */
function assembleHeatmap(title: string, notes: readonly string[], data: Datum[], layers: Record<string, unknown>[], layout: Layout, independent: boolean): TopLevelSpec {
  const rowValues = [...new Set(layout.panels.map((p) => p.row).filter((r): r is string => r !== null))];
  const colValues = [...new Set(layout.panels.map((p) => p.col).filter((c): c is string => c !== null))];
  const many = rowValues.length > 1 || colValues.length > 1;
  const size = layout.square ? (many ? { width: 220, height: 220 } : { width: 360, height: 360 }) : many ? { width: 300, height: 200 } : { width: 520, height: 300 };
  const head = { title: { text: title, ...(notes.length ? { subtitle: [...notes] } : {}), anchor: "start" }, data: { values: data }, config: CONFIG };
  const schema = { $schema: "https://vega.github.io/schema/vega-lite/v6.json" };
  if (rowValues.length === 0 && colValues.length === 0) return { ...schema, ...head, ...size, layer: layers } as unknown as TopLevelSpec;
  const header = (t: string | null) => ({ title: t, labelFontSize: 12, titleFontSize: 13 });
  const facet: Record<string, unknown> = {};
  if (rowValues.length) facet["row"] = { field: "_row", type: "ordinal", sort: rowValues, header: header(layout.rowTitle) };
  if (colValues.length) facet["column"] = { field: "_col", type: "ordinal", sort: colValues, header: header(layout.colTitle) };
  const resolve = independent ? { resolve: { scale: { x: "independent", y: "independent" } } } : {};
  return { ...schema, ...head, facet, spec: { ...size, layer: layers }, ...resolve } as unknown as TopLevelSpec;
}
