/**
 * `plot image`: per-`point` values of an `outputs` probe placed on the 2-D grid their recorded input
 * coordinates form (x across, y up, equal aspect, axes in input units), one raster per panel through the
 * heatmap's path (block means past RASTER_MAX_SIDE pixels, PNG in a data URL). One value is colour-mapped
 * like a heatmap; three are red, green and blue, each clipped to [0, 1]; region ids get categorical colours.
 * Panels: one row per `at` snapshot, one column per facet value. The grid's shape comes from the recorded
 * coordinates, not the plan, so a rebuilt report reshapes exactly like the run did.
 */
import type { TopLevelSpec } from "vega-lite";
import { evaluate } from "../runtime/analysis/evaluate.js";
import type { AnalysisEnv } from "../runtime/analysis/source.js";
import { numberOf, sameValue, SEEDS, STEPS, type Key, type Row, type Table } from "../runtime/analysis/table.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { Dim, HeatmapSnapshot, PlotSpec, SweepValue } from "../contract/program.js";
import { OKABE_ITO } from "./colors.js";
import { heatColorScale, parseRgb } from "./heatmap-colors.js";
import { blockMeans, pixelMap, valueAxis, type HeatMatrix, type PixelMap } from "./heatmap-grid.js";
import { CONFIG, dimTitle, orderedValues, valueLabel, type Datum, type PlotTables } from "./plot-common.js";
import { heatmapPixels } from "./plot-heatmap.js";
import { encodePng, pngDataUrl } from "./png.js";

type ImageSpec = Extract<PlotSpec, { kind: "image" }>;

/** The per-unit dimension an image reshapes. */
export const POINT = "point";
/** Region ids are coloured by the Okabe–Ito palette, repeating every this many ids. */
export const REGION_PALETTE: readonly string[] = OKABE_ITO;

/** The channels' tables and the coordinate tables; RUN051 when the data set does not have exactly two inputs. */
export function imageTables(spec: ImageSpec, env: AnalysisEnv): PlotTables {
  const probe = spec.coordLabels[0].replace(/\.x0$/, "");
  const coordinate = (expr: ImageSpec["coords"][number], i: number): Table => {
    try {
      return evaluate(expr, env);
    } catch (e) {
      if (i === 1) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): probe "${probe}" recorded no second input coordinate (${probe}.x1); an image needs a data set with two inputs, e.g. \`grid(x in [-1, 1], y in [-1, 1], n: 64)\``);
      throw e;
    }
  };
  const coords: [Table, Table] = [coordinate(spec.coords[0], 0), coordinate(spec.coords[1], 1)];
  let third: Table | null = null;
  try {
    third = evaluate({ op: "probe", name: `${probe}.x2` }, env);
  } catch {
    third = null; // the expected case: two inputs
  }
  if (third && third.rows.length) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): probe "${probe}" recorded three or more input coordinates; an image needs a data set with exactly two inputs`);
  return { channels: spec.values.map((v) => evaluate(v, env)), coords };
}

/** One panel: a snapshot (row) of one facet value (column), channels as grid matrices over its axes. */
interface ImagePanel {
  readonly row: string | null;
  readonly col: string | null;
  readonly channels: readonly HeatMatrix[];
  readonly xEdges: Float64Array;
  readonly yEdges: Float64Array;
}

/** The vega-lite spec of an image plot. */
export function imagePlot(spec: ImageSpec, tables: PlotTables): TopLevelSpec {
  const channels = tables.channels;
  const coords = tables.coords;
  if (!channels?.length || !coords) throw new DyncRuntimeError("RUN090", `plot (line ${spec.line}) is missing its image data`);
  if (spec.colors === "rgb" && channels.length !== 3) throw new DyncRuntimeError("RUN040", `an RGB image needs three channels, got ${channels.length}`);
  const notes: string[] = [];
  const panels = layoutPanels(spec, channels, coords, notes);
  const data: Datum[] = [];
  const layers: Record<string, unknown>[] = [];
  const first = panels[0]!;
  const x = axis("x0", spec.coordLabels[0], extent(panels.map((p) => p.xEdges)), false);
  const y = axis("y0", spec.coordLabels[1], extent(panels.map((p) => p.yEdges)), false);
  const paint = painter(spec, panels, notes);
  for (const p of panels) {
    const cols = pixelMap(p.xEdges);
    const rows = pixelMap(p.yEdges);
    const png = encodePng(paint(p, cols, rows), cols.pixels, rows.pixels);
    data.push({ _layer: "image", url: pngDataUrl(png), x0: cols.lo, x1: cols.hi, y0: rows.lo, y1: rows.hi, ...facetFields(p) });
  }
  const big = panels.find((p) => p.xEdges.length - 1 > 512 || p.yEdges.length - 1 > 512);
  if (big) notes.push(`${big.yEdges.length - 1} × ${big.xEdges.length - 1} points drawn as an image of at most 512 pixels a side (${spec.colors === "regions" ? "each pixel the region of the middle point of its block" : "each pixel the mean of its block of points"})`);
  layers.push({
    name: "image",
    transform: [{ filter: { field: "_layer", equal: "image" } }],
    mark: { type: "image", aspect: false, smooth: false, clip: true, aria: false },
    encoding: { url: { field: "url", type: "nominal" }, x, x2: { field: "x1" }, y, y2: { field: "y1" } },
  });
  if (paint.scale) {
    // The legend is drawn from two invisible data at the ends of the colour domain (a raster has no cells).
    for (const v of paint.scale.domain) data.push({ _layer: "legend", v, x0: first.xEdges[0]!, x1: first.xEdges[0]!, y0: first.yEdges[0]!, y1: first.yEdges[0]!, ...facetFields(first) });
    const color = { field: "v", type: "quantitative", title: spec.labels[0], scale: paint.scale.vegaLite, legend: { gradientLength: 160, format: "~g" } };
    layers.push({ name: "legend_domain", transform: [{ filter: { field: "_layer", equal: "legend" } }], mark: { type: "rect", opacity: 0 }, encoding: { x, x2: { field: "x1" }, y, y2: { field: "y1" }, color } });
  }
  const what = spec.colors === "rgb" ? `RGB (${spec.labels.join(", ")})` : spec.labels[0]!;
  const title = spec.title ?? `${what} over ${spec.coordLabels[0]} × ${spec.coordLabels[1]}`;
  return assembleImage(spec, title, notes, data, layers, panels);
}

/** Selects rows and snapshots, then reshapes every panel's points onto the coordinates' grid. */
function layoutPanels(spec: ImageSpec, channels: readonly Table[], coords: readonly [Table, Table], notes: string[]): ImagePanel[] {
  const main = channels[0]!;
  if (!main.dims.includes(POINT)) {
    throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): its values have no \`point\` dimension (dimensions: ${main.dims.map(dimTitle).join(", ") || "none"}); an image draws one value per point`);
  }
  const facet = spec.facet;
  if (facet !== null && !main.dims.includes(facet)) {
    throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): its facet "${dimTitle(facet)}" is not a dimension of the data; the data's dimensions are ${main.dims.map(dimTitle).join(", ")}`);
  }
  // Fix every dimension but point, steps and the facet at one value (the chosen seed, else the first).
  let rows: readonly Row[] = main.rows;
  const fixed: Record<Dim, SweepValue> = {};
  for (const d of main.dims) {
    if (d === POINT || d === STEPS || d === facet) continue;
    const values = orderedValues(rows, d).labels;
    let pick = values[0]!;
    if (d === SEEDS && spec.seed !== null) {
      if (!values.includes(String(spec.seed))) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): seed ${spec.seed} was not measured; seeds: ${values.join(", ")}`);
      pick = String(spec.seed);
    }
    rows = rows.filter((r) => valueLabel(r.key[d]!) === pick);
    fixed[d] = rows[0]!.key[d]!;
    if (d === SEEDS) notes.push(spec.seed === null && values.length > 1 ? `seed ${pick} (first of ${values.length}; seed: or facet: seeds for others)` : `seed ${pick}`);
    else if (values.length > 1) notes.push(`${dimTitle(d)} = ${pick} (first of ${values.length}; facet: ${d} shows all)`);
  }
  const facetValues = facet === null ? [null] : orderedValues(rows, facet).labels;
  const atRows = spec.at.length > 1;
  const panels: ImagePanel[] = [];
  for (const fv of facetValues) {
    const inFacet = fv === null ? rows : rows.filter((r) => valueLabel(r.key[facet!]!) === fv);
    const facetKey: Record<Dim, SweepValue> = fv === null ? {} : { [facet!]: inFacet[0]!.key[facet!]! };
    const steps = main.dims.includes(STEPS) ? [...new Set(inFacet.map((r) => numberOf(r.key[STEPS]! as number, "step")))].sort((a, b) => a - b) : null;
    for (const at of spec.at) {
      const step = steps === null ? null : snapshotStep(steps, at, notes, !atRows);
      if (steps !== null && step === null) continue;
      const key: Key = { ...fixed, ...facetKey, ...(step === null ? {} : { [STEPS]: step }) };
      const grid = reshape(spec, channels, coords, key);
      panels.push({ row: atRows ? atLabel(at) : null, col: fv, ...grid });
    }
  }
  if (panels.length === 0) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): none of the requested snapshots was recorded`);
  return panels;
}

function atLabel(at: HeatmapSnapshot): string {
  return typeof at === "string" ? at : `step ${at.step}`;
}

/** The recorded step an `at` entry names: 0, the last, or the nearest to the one asked for (noted). */
function snapshotStep(steps: readonly number[], at: HeatmapSnapshot, notes: string[], single: boolean): number | null {
  const add = (note: string): void => void (notes.includes(note) || notes.push(note));
  if (at === "end") {
    add(single ? `snapshot: end (step ${steps[steps.length - 1]})` : `end: step ${steps[steps.length - 1]}`);
    return steps[steps.length - 1]!;
  }
  if (at === "start") {
    if (steps[0] === 0) {
      if (single) add("snapshot: start (step 0)");
      return 0;
    }
    add("no measurement at start (step 0) was recorded; add `start` to the probe's `at`");
    return null;
  }
  const nearest = steps.reduce((best, s) => (Math.abs(s - at.step) < Math.abs(best - at.step) ? s : best));
  if (nearest !== at.step) add(`step ${at.step} was not recorded: drawn at the nearest recorded step ${nearest}`);
  return nearest;
}

/** Rows of `table` that agree with `key` on the table's dimensions; dimensions the key lacks (but point) at their first value. */
function rowsAt(table: Table, key: Key): Row[] {
  let rows = table.rows.filter((r) => table.dims.every((d) => d === POINT || !(d in key) || sameValue(r.key[d]!, key[d]!)));
  for (const d of table.dims) {
    if (d === POINT || d in key || rows.length === 0) continue;
    const first = orderedValues(rows, d).labels[0];
    rows = rows.filter((r) => valueLabel(r.key[d]!) === first);
  }
  return rows;
}

/** Point → value of the rows (one row per point). */
function byPoint(rows: readonly Row[], spec: ImageSpec): Map<string, number> {
  return new Map(rows.map((r) => [valueLabel(r.key[POINT]!), numberOf(r.value, `plot at line ${spec.line}`)]));
}

/**
 * The channels at `key` as matrices over the grid of the points' coordinates: rows by x1 ascending (the
 * first row at the bottom), columns by x0 ascending. RUN051 unless the points fill the grid exactly once.
 */
function reshape(spec: ImageSpec, channels: readonly Table[], coords: readonly [Table, Table], key: Key): { channels: HeatMatrix[]; xEdges: Float64Array; yEdges: Float64Array } {
  const xs = byPoint(rowsAt(coords[0], key), spec);
  const ys = byPoint(rowsAt(coords[1], key), spec);
  const xAxis = coordinateAxis(spec.coordLabels[0], [...new Set(xs.values())]);
  const yAxis = coordinateAxis(spec.coordLabels[1], [...new Set(ys.values())]);
  const nx = xAxis.order.length;
  const ny = yAxis.order.length;
  if (xs.size !== nx * ny || ys.size !== xs.size) {
    throw new DyncRuntimeError(
      "RUN051",
      `plot \`${spec.text}\` (line ${spec.line}): the ${xs.size} recorded points do not form a grid (${nx} distinct ${spec.coordLabels[0]} × ${ny} distinct ${spec.coordLabels[1]}); an image needs a data set like \`grid(x in [-1, 1], y in [-1, 1], n: 64)\``,
    );
  }
  const xIndex = new Map(xAxis.order.map((v, i) => [v as number, i]));
  const yIndex = new Map(yAxis.order.map((v, i) => [v as number, i]));
  const cell = new Map<string, number>();
  const filled = new Uint8Array(nx * ny);
  for (const [point, xv] of xs) {
    const yv = ys.get(point);
    if (yv === undefined) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): point ${point} has no ${spec.coordLabels[1]}`);
    const k = yIndex.get(yv)! * nx + xIndex.get(xv)!;
    if (filled[k]) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): two points share the coordinates (${xv}, ${yv}); the points do not form a grid`);
    filled[k] = 1;
    cell.set(point, k);
  }
  const matrices = channels.map((table, c) => {
    const values = new Float64Array(nx * ny).fill(NaN);
    const rows = rowsAt(table, key);
    if (rows.length === 0) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): ${spec.labels[c]} has no values at ${JSON.stringify(key)}`);
    for (const [point, v] of byPoint(rows, spec)) {
      const k = cell.get(point);
      if (k !== undefined) values[k] = v;
    }
    return { rows: ny, cols: nx, values };
  });
  return { channels: matrices, xEdges: xAxis.axis.edges, yEdges: yAxis.axis.edges };
}

/** Relative deviation from even spacing (in units of the spacing) still read as a uniform grid: float32 coordinates. */
export const UNIFORM_TOLERANCE = 1e-3;

/**
 * A coordinate axis: the sorted values, each cell centred on its value. The recorded coordinates are
 * float32 (a grid's −1 + 2i/15 is not evenly spaced to 1e-9), so values within UNIFORM_TOLERANCE of an
 * even grid get exactly even cells, one raster pixel each; truly uneven values fall back to the heatmap's
 * cells halfway between neighbours (resampled when rasterised).
 */
export function coordinateAxis(title: string, values: readonly number[]): { axis: { edges: Float64Array }; order: number[] } {
  const { axis, order } = valueAxis(title, values);
  const sorted = order as number[];
  const n = sorted.length;
  if (n < 2) return { axis, order: sorted };
  const h = (sorted[n - 1]! - sorted[0]!) / (n - 1);
  if (!sorted.every((v, i) => Math.abs(v - (sorted[0]! + i * h)) <= UNIFORM_TOLERANCE * h)) return { axis, order: sorted };
  return { axis: { edges: Float64Array.from({ length: n + 1 }, (_, i) => sorted[0]! + (i - 0.5) * h) }, order: sorted };
}

/** How a panel becomes RGBA pixels (rows top to bottom), with the shared colour scale of a colour-mapped image. */
type Painter = ((p: ImagePanel, cols: PixelMap, rows: PixelMap) => Uint8Array) & { scale?: ReturnType<typeof heatColorScale> };

function painter(spec: ImageSpec, panels: readonly ImagePanel[], notes: string[]): Painter {
  if (spec.colors === "rgb") {
    countClipped(panels, notes);
    return (p, cols, rows) => rgbPixels(p.channels.map((m) => blockMeans(m, cols, rows)), cols.pixels, rows.pixels);
  }
  if (spec.colors === "regions") {
    const counts = panels.map((p) => new Set(p.channels[0]!.values.filter((v) => Number.isFinite(v))).size);
    // Colours repeat once an id reaches the palette's length (ids are 0, 1, … but a table may skip some).
    const largest = panels.reduce((a, p) => p.channels[0]!.values.reduce((b, v) => (Number.isFinite(v) && v > b ? v : b), a), -Infinity);
    const many = largest >= REGION_PALETTE.length ? `; colours repeat every ${REGION_PALETTE.length} ids` : "";
    const where = panels.map((p) => [p.row, p.col === null ? null : `${dimTitle(spec.facet!)} ${p.col}`].filter((s) => s !== null).join(", "));
    const listed = panels.length === 1 ? `${counts[0]} activation region${counts[0] === 1 ? "" : "s"}` : `activation regions: ${counts.map((c, i) => `${where[i]}: ${c}`).join("; ")}`;
    notes.push(`${listed} (ids in order of first appearance${many})`);
    return (p, cols, rows) => regionPixels(middleCells(p.channels[0]!, cols, rows), cols.pixels, rows.pixels);
  }
  const all = Float64Array.from(panels.flatMap((p) => [...p.channels[0]!.values]));
  const scale = heatColorScale(all, { range: spec.range, log: false });
  const blank = all.filter((v) => !Number.isFinite(v)).length;
  if (blank) notes.push(`${blank} NaN/infinite point${blank === 1 ? "" : "s"} left blank`);
  const paint: Painter = (p, cols, rows) => heatmapPixels(blockMeans(p.channels[0]!, cols, rows), cols.pixels, rows.pixels, scale, true);
  paint.scale = scale;
  return paint;
}

/** Notes how many channel values lie outside [0, 1] (drawn clipped). */
function countClipped(panels: readonly ImagePanel[], notes: string[]): void {
  let low = 0;
  let high = 0;
  let total = 0;
  for (const p of panels) {
    for (const m of p.channels) {
      for (const v of m.values) {
        total++;
        if (v < 0) low++;
        else if (v > 1) high++;
      }
    }
  }
  notes.push(`red, green, blue each clipped to [0, 1]${low + high ? ` (${low} of ${total} values below 0, ${high} above 1)` : ""}`);
}

/** The byte of a channel value: clipped to [0, 1], times 255, rounded. */
export function channelByte(v: number): number {
  return Math.round(255 * Math.min(1, Math.max(0, v)));
}

/** RGBA of three channels (rows bottom-up in the matrices, so flipped: y grows upwards); NaN pixels transparent. */
function rgbPixels(channels: readonly Float64Array[], width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let r = 0; r < height; r++) {
    const source = height - 1 - r;
    for (let c = 0; c < width; c++) {
      const i = source * width + c;
      if (channels.some((ch) => !Number.isFinite(ch[i]!))) continue;
      const k = (r * width + c) * 4;
      for (let j = 0; j < 3; j++) rgba[k + j] = channelByte(channels[j]![i]!);
      rgba[k + 3] = 255;
    }
  }
  return rgba;
}

/** Region ids are not averaged: each pixel takes the id of the middle cell of its block. */
function middleCells(m: HeatMatrix, cols: PixelMap, rows: PixelMap): Float64Array {
  const out = new Float64Array(rows.pixels * cols.pixels);
  for (let py = 0; py < rows.pixels; py++) {
    const i = (rows.start[py]! + rows.end[py]! - 1) >> 1;
    for (let px = 0; px < cols.pixels; px++) out[py * cols.pixels + px] = m.values[i * m.cols + ((cols.start[px]! + cols.end[px]! - 1) >> 1)]!;
  }
  return out;
}

/** The RGB bytes of region id `id`: the palette, repeating. */
export function regionColor(id: number): [number, number, number] {
  return parseRgb(REGION_PALETTE[((id % REGION_PALETTE.length) + REGION_PALETTE.length) % REGION_PALETTE.length]!);
}

function regionPixels(ids: Float64Array, width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const id = ids[(height - 1 - r) * width + c]!;
      if (!Number.isFinite(id)) continue;
      const k = (r * width + c) * 4;
      rgba.set(regionColor(Math.round(id)), k);
      rgba[k + 3] = 255;
    }
  }
  return rgba;
}

function facetFields(p: ImagePanel): Datum {
  return { ...(p.row === null ? {} : { _row: p.row }), ...(p.col === null ? {} : { _col: p.col }) };
}

function extent(edges: readonly Float64Array[]): [number, number] {
  return [Math.min(...edges.map((e) => e[0]!)), Math.max(...edges.map((e) => e[e.length - 1]!))];
}

function axis(field: string, title: string, domain: [number, number], reverse: boolean): Record<string, unknown> {
  return { field, type: "quantitative", title, scale: { domain, nice: false, zero: false, ...(reverse ? { reverse: true } : {}) }, axis: { grid: false } };
}

/** Panels with equal aspect (one input unit is as long across as upwards): rows = snapshots, columns = facet values. */
function assembleImage(spec: ImageSpec, title: string, notes: readonly string[], data: Datum[], layers: Record<string, unknown>[], panels: readonly ImagePanel[]): TopLevelSpec {
  const rowValues = [...new Set(panels.map((p) => p.row).filter((r): r is string => r !== null))];
  const colValues = [...new Set(panels.map((p) => p.col).filter((c): c is string => c !== null))];
  const side = rowValues.length > 1 || colValues.length > 1 ? 220 : 360;
  const [x0, x1] = extent(panels.map((p) => p.xEdges));
  const [y0, y1] = extent(panels.map((p) => p.yEdges));
  const longest = Math.max(x1 - x0, y1 - y0);
  const size = { width: Math.round((side * (x1 - x0)) / longest), height: Math.round((side * (y1 - y0)) / longest) };
  const head = { title: { text: title, ...(notes.length ? { subtitle: [...notes] } : {}), anchor: "start" }, data: { values: data }, config: CONFIG };
  const schema = { $schema: "https://vega.github.io/schema/vega-lite/v6.json" };
  if (rowValues.length === 0 && colValues.length === 0) return { ...schema, ...head, ...size, layer: layers } as unknown as TopLevelSpec;
  const header = (t: string | null) => ({ title: t, labelFontSize: 12, titleFontSize: 13 });
  const facet: Record<string, unknown> = {};
  if (rowValues.length) facet["row"] = { field: "_row", type: "ordinal", sort: rowValues, header: header("snapshot") };
  if (colValues.length) facet["column"] = { field: "_col", type: "ordinal", sort: colValues, header: header(spec.facet === null ? null : dimTitle(spec.facet)) };
  return { ...schema, ...head, facet, spec: { ...size, layer: layers } } as unknown as TopLevelSpec;
}
