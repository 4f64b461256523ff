/**
 * What every plot kind shares: reading cells as numbers, ordering dimension values, the panel layout with
 * optional facets, the title with its notes, fonts and sizes.
 */
import type { TopLevelSpec } from "vega-lite";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { Dim, PlotSpec, SweepValue } from "../contract/program.js";
import { numberOf, type Row, type Table } from "../runtime/analysis/table.js";
import { formatNumber } from "../runtime/analysis/numbers.js";
import { EPOCHS, SEEDS, STEPS } from "../runtime/analysis/table.js";
import { colorScale } from "./colors.js";
import type { MatrixSnapshot } from "./recorded-tensors.js";
import type { DivergenceIndex } from "../runtime/analysis/divergence.js";

/**
 * The tables a plot is drawn from: `y` (line, loglog, scatter), `x` (scatter), `values` (histogram,
 * density, table heatmaps); `matrices` (matrix heatmaps: the recorded snapshots, with notes on how they
 * were chosen); `marks` (line plots: per mark, a table of the steps to draw a rule at).
 */
export interface PlotTables {
  readonly y?: Table;
  readonly x?: Table;
  readonly values?: Table;
  /** Scatter plots with `shade`: the value colouring each point. */
  readonly shade?: Table;
  /** Scatter plots with `panels`: the category choosing each point's panel. */
  readonly panels?: Table;
  readonly matrices?: { readonly snapshots: readonly MatrixSnapshot[]; readonly notes: readonly string[] };
  readonly marks?: readonly { readonly label: string; readonly steps: Table }[];
  /** Line plots: the values of each reference that reads sweep variables, by its index in `refs` (`2/lr` per lr). */
  readonly refs?: readonly (Table | undefined)[];
  /** Images: one table per channel (one, or red, green, blue) and the two input-coordinate tables over `point`. */
  readonly channels?: readonly Table[];
  readonly coords?: readonly [Table, Table];
  /** The runs in which a seed diverged: their NaN points are marked and named, not silently left out. */
  readonly divergence?: DivergenceIndex;
}

/** The dimension a line plot of several results draws them along (`line([train_loss, test_loss])`). */
export const SERIES_DIM = "series";

/** One datum of the vega-lite data: which layer it belongs to, its position and its series fields. */
export type Datum = Record<string, string | number>;

/** Font stack: the browser uses the first it has; resvg (PNG) finds DejaVu Sans on Debian. */
export const FONT = "Helvetica Neue, Helvetica, Arial, DejaVu Sans, sans-serif";

/** Panel size in pixels, alone and as one of several small multiples. */
// A single panel about as wide as the report's column (1180 px less margins, y axis and legend); three
// small multiples to a row fill it as well.
const SINGLE = { width: 860, height: 360 };
const MULTIPLE = { width: 320, height: 220 };
/** Small multiples per row. */
const FACET_COLUMNS = 3;

/** A dimension as a person reads it on an axis or legend: `seeds` → `seed`, `steps` → `step`. */
export function dimTitle(dim: Dim): string {
  return dim === SEEDS ? "seed" : dim === STEPS ? "step" : dim === EPOCHS ? "epoch" : dim;
}

/** A dimension value as a label. */
export function valueLabel(v: SweepValue): string {
  return String(v);
}

/** A number in hover text: 4 significant digits as dync prints numbers (`0.8597`, `1.669e-3`); names as they are. */
export function hoverNumber(v: number | string): string {
  return typeof v === "number" ? formatNumber(v, 4) : v;
}

/** The table a plot needs under `role`; RUN090 if the caller did not evaluate it. */
export function tableOf(tables: PlotTables, role: "x" | "y" | "values", spec: PlotSpec): Table {
  const table = tables[role];
  if (!table) throw new DyncRuntimeError("RUN090", `plot (line ${spec.line}) is missing its ${role} data`);
  return table;
}

/** RUN051 unless `dim` (the plot's x, colour, facet or band dimension) is one of the table's dimensions. */
export function requirePlotDim(table: Table, dim: Dim, role: string, spec: PlotSpec): void {
  if (!table.dims.includes(dim)) {
    throw new DyncRuntimeError(
      "RUN051",
      `plot \`${spec.text}\` (line ${spec.line}): its ${role} "${dim}" is not a dimension of the data; the data's dimensions are ${table.dims.map(dimTitle).join(", ") || "none (a single value)"}`,
    );
  }
}

/** A row's value as a number (a fit stands for its α); RUN040 for true/false. */
export function rowNumber(row: Row, spec: PlotSpec): number {
  return numberOf(row.value, `plot at line ${spec.line}`);
}

/** Distinct values of `dim` over `rows`: numbers ascending when all are numbers, else in order of appearance. */
export function orderedValues(rows: readonly Row[], dim: Dim): { labels: string[]; numeric: boolean } {
  const seen = new Map<string, SweepValue>();
  for (const r of rows) {
    const v = r.key[dim]!;
    if (!seen.has(valueLabel(v))) seen.set(valueLabel(v), v);
  }
  const values = [...seen.values()];
  const numeric = values.every((v) => typeof v === "number");
  if (numeric) values.sort((a, b) => (a as number) - (b as number));
  return { labels: values.map(valueLabel), numeric };
}

/** The colour encoding for a colour dimension, or nothing. */
export function colorEncoding(dim: Dim | null, domain: { labels: string[]; numeric: boolean } | null, field = "_color"): Record<string, unknown> {
  if (dim === null || domain === null) return {};
  return {
    color: {
      field,
      type: domain.numeric ? "ordinal" : "nominal",
      title: dimTitle(dim),
      scale: colorScale(domain.labels, domain.numeric),
      sort: domain.labels,
    },
  };
}

/**
 * A quantitative position encoding; log axes label their ticks as plain numbers (`0.001`, `1e-7`), not SI.
 * `log` as the values drawn on the axis: the axis runs between 1-2-5 ticks around them and labels both
 * ends (logTicks), so the extreme points never sit beyond the last label.
 */
export function positionEncoding(field: string, title: string, log: boolean | readonly number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ticks = typeof log === "object" ? logTicks(log) : null;
  return {
    field,
    type: "quantitative",
    title,
    // Log scales are not "niced" out to whole decades, which can leave most of the panel empty.
    scale: ticks ? { type: "log", domain: [ticks[0], ticks[ticks.length - 1]] } : log ? { type: "log", nice: false, padding: 12 } : { zero: false },
    axis: ticks ? { format: "~g", values: ticks, labelOverlap: false } : log ? { format: "~g" } : {},
    ...extra,
  };
}

/** Mantissas of the ticks of a short log axis. */
const LOG_STEPS = [1, 2, 5];
/** More 1-2-5 ticks than this and the axis is labelled at decades. */
const MAX_LOG_TICKS = 8;

/**
 * Ticks of a log axis over `values` (the finite positive ones): from the largest 1-2-5 number (1·10ᵏ,
 * 2·10ᵏ, 5·10ᵏ) at or below the smallest value to the smallest at or above the largest, every 1-2-5
 * number between; over a wider range, decades from the one at or below the smallest value to the one at or
 * above the largest (every n-th decade when there are many, the ends still labelled). null without values.
 */
export function logTicks(values: readonly number[]): number[] | null {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return null;
  const min = Math.min(...positive);
  const max = Math.max(...positive);
  const fine = niceLogRange(min, max, LOG_STEPS);
  if (fine.length <= MAX_LOG_TICKS) return fine;
  const decades = niceLogRange(min, max, [1]);
  const every = Math.ceil((decades.length - 1) / (MAX_LOG_TICKS - 1));
  const first = Math.log10(decades[0]!);
  const span = Math.ceil((Math.log10(decades[decades.length - 1]!) - first) / every) * every;
  return Array.from({ length: span / every + 1 }, (_, i) => decade(first + i * every));
}

/** m·10ᵏ (m from `steps`) from the largest ≤ min to the smallest ≥ max; two ticks when min = max is one. */
function niceLogRange(min: number, max: number, steps: readonly number[]): number[] {
  const ticks: number[] = [];
  for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)) + 1; k++) for (const m of steps) ticks.push(Number(`${m}e${k}`));
  // Compare with a relative tolerance: 0.3 read from a table need not equal 3 * 0.1 exactly.
  const below = ticks.filter((t) => t <= min * (1 + 1e-9));
  const above = ticks.filter((t) => t >= max * (1 - 1e-9));
  let lo = below[below.length - 1]!;
  let hi = above[0]!;
  if (lo === hi) [lo, hi] = [ticks[ticks.indexOf(lo) - 1]!, ticks[ticks.indexOf(hi) + 1]!];
  return ticks.filter((t) => t >= lo && t <= hi);
}

/** 10ᵏ as the nearest double to the decimal (Math.pow(10, -3) is 0.0010000000000000002). */
function decade(k: number): number {
  return Number(`1e${k}`);
}

/** Keeps rows whose numbers are finite (and positive on a log axis); notes how many were dropped and why. */
export function keepPlottable<T>(items: readonly T[], checks: readonly { value: (t: T) => number; log: boolean; axis: string }[], notes: string[]): T[] {
  let nonFinite = 0;
  const nonPositive = new Map<string, number>();
  const kept = items.filter((item) => {
    for (const c of checks) {
      const v = c.value(item);
      if (!Number.isFinite(v)) return (nonFinite++, false);
      if (c.log && v <= 0) return (nonPositive.set(c.axis, (nonPositive.get(c.axis) ?? 0) + 1), false);
    }
    return true;
  });
  if (nonFinite) notes.push(`${nonFinite} NaN/infinite value${nonFinite === 1 ? "" : "s"} omitted (e.g. diverged seeds)`);
  for (const [axis, n] of nonPositive) notes.push(`${n} value${n === 1 ? "" : "s"} ≤ 0 omitted on the log ${axis} axis`);
  return kept;
}

/** The facet dimension's values, or null when the plot is a single panel. */
export function facetDomain(rows: readonly Row[], spec: PlotSpec): { dim: Dim; labels: string[] } | null {
  return spec.facet === null ? null : { dim: spec.facet, labels: orderedValues(rows, spec.facet).labels };
}

/** The complete vega-lite spec: data, one panel or small multiples of the layers, title with notes, fonts. */
export function assemble(options: {
  readonly title: string;
  readonly notes: readonly string[];
  readonly data: readonly Datum[];
  readonly layers: readonly Record<string, unknown>[];
  readonly facet: { dim: Dim; labels: string[] } | null;
  /** Each panel its own y range (panels by a result's category, whose ranges may differ by orders of magnitude). */
  readonly independentY?: boolean;
}): TopLevelSpec {
  // One facet value makes one panel: no header over it, the value said in the notes instead.
  const oneValue = options.facet !== null && options.facet.labels.length === 1;
  const notes = oneValue ? [`${dimTitle(options.facet!.dim)} = ${options.facet!.labels[0]}`, ...options.notes] : options.notes;
  const title = { text: options.title, ...(notes.length ? { subtitle: [...notes] } : {}), anchor: "start" };
  const common = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", title, data: { values: options.data }, config: CONFIG };
  if (options.facet === null || oneValue) return { ...common, ...SINGLE, layer: options.layers } as unknown as TopLevelSpec;
  return {
    ...common,
    facet: { field: "_facet", type: "ordinal", sort: options.facet.labels, header: { title: dimTitle(options.facet.dim), labelFontSize: 12, titleFontSize: 13 } },
    columns: Math.min(FACET_COLUMNS, options.facet.labels.length),
    spec: { ...MULTIPLE, layer: options.layers },
    ...(options.independentY ? { resolve: { scale: { y: "independent" } } } : {}),
  } as unknown as TopLevelSpec;
}

/** Keeps a layer's own data out of the shared data array. */
export function onlyLayer(name: string): Record<string, unknown>[] {
  return [{ filter: { field: "_layer", equal: name } }];
}

/** Fonts readable on screen and in print: 12 px labels, 13 px axis titles, a 15 px figure title. */
export const CONFIG = {
  font: FONT,
  background: "white",
  padding: 8,
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: "#444", fontWeight: "bold", offset: 10 },
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal", gridColor: "#e6e6e6", labelColor: "#222", titleColor: "#111" },
  // A y title longer than the panel would stretch the figure (its bounds include the rotated text): cut it.
  axisY: { titleLimit: 300 },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal", symbolStrokeWidth: 2, symbolOpacity: 1, labelLimit: 260 },
  view: { stroke: "#bbb" },
};
