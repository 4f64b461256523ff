/**
 * Plots: a lowered `plot` statement (`PlotSpec`) and its evaluated tables become a Vega-Lite spec, which
 * Vega renders to SVG in Node (headless `View`, `renderer: "none"`, so no canvas package is needed) and
 * resvg rasterises to PNG.
 */
import { createRequire } from "node:module";
import type { Resvg as ResvgClass } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";
import { keepCompiledVega, vegaLibraries } from "./vega.js";
import { evaluate } from "../runtime/analysis/evaluate.js";
import type { AnalysisEnv } from "../runtime/analysis/source.js";
import { EPOCHS, type Table } from "../runtime/analysis/table.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { PlotSpec } from "../contract/program.js";
import { SERIES_DIM, type PlotTables } from "./plot-common.js";
import { densityPlot, histogramPlot } from "./plot-distribution.js";
import { linePlot } from "./plot-line.js";
import { phasePlanePlot } from "./plot-phase.js";
import { loglogPlot } from "./plot-loglog.js";
import { scatterPlot } from "./plot-scatter.js";
import { heatmapPlot } from "./plot-heatmap.js";
import { imagePlot, imageTables } from "./plot-image.js";
import { markSteps } from "./plot-marks.js";
import { markStepsToEpochs, stepsToEpochs } from "./plot-epochs.js";
import { selectSnapshots, type MatrixHeatmapSpec, type RecordedTensors } from "./recorded-tensors.js";

export type { PlotTables } from "./plot-common.js";
/** A Vega-Lite specification as produced by `plotToVegaLite`. */
export type VegaLiteSpec = TopLevelSpec;

/**
 * Evaluates the analysis expressions a plot draws (its `y`, `x` or `values`, a line's marks) over the
 * results; a matrix heatmap reads its snapshots from the run's recorded tensors instead.
 */
export function evaluatePlotTables(spec: PlotSpec, env: AnalysisEnv, recorded?: RecordedTensors): PlotTables {
  const tables = plotData(spec, env, recorded);
  return env.divergence ? { ...tables, divergence: env.divergence } : tables;
}

function plotData(spec: PlotSpec, env: AnalysisEnv, recorded?: RecordedTensors): PlotTables {
  switch (spec.kind) {
    case "line": {
      // `x: epochs`: the results (over steps) and the marks' steps in epochs of each row's run.
      const time = spec.x === EPOCHS ? (t: Table) => stepsToEpochs(t, env, spec) : (t: Table) => t;
      const markTime = spec.x === EPOCHS ? (t: Table) => markStepsToEpochs(t, env, spec) : (t: Table) => t;
      return {
        y: time(spec.series ? seriesTable(spec, spec.series.map((r) => ({ label: r.label, table: evaluate(r.y, env) }))) : evaluate(spec.y, env)),
        ...(spec.marks?.length ? { marks: spec.marks.map((m) => ({ label: m.label, steps: markTime(markSteps(m, env, recorded)) })) } : {}),
        ...(spec.refs.some((r) => r.kind === "sweep") ? { refs: spec.refs.map((r) => (r.kind === "sweep" ? evaluate(r.expr, env) : undefined)) } : {}),
      };
    }
    case "loglog":
      return { y: evaluate(spec.y, env) };
    case "heatmap": {
      if (spec.data.source === "table") return { values: evaluate(spec.data.values, env) };
      if (!recorded) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}) draws recorded matrices, which only a run directory holds`);
      const notes: string[] = [];
      const snapshots = selectSnapshots(spec as MatrixHeatmapSpec, recorded, notes);
      return { matrices: { snapshots, notes } };
    }
    case "scatter":
      return {
        x: evaluate(spec.x, env),
        y: evaluate(spec.y, env),
        ...(spec.shade ? { shade: evaluate(spec.shade.expr, env) } : {}),
        ...(spec.panels ? { panels: evaluate(spec.panels.expr, env) } : {}),
      };
    case "histogram":
    case "density":
    case "phase_plane":
      return { values: evaluate(spec.values, env) };
    case "image":
      return imageTables(spec, env);
    default:
      throw new DyncRuntimeError("RUN040", `unknown plot kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
}

/**
 * The results of a line plot of several, as one table with a `series` dimension holding each result's
 * label: they are drawn like the values of any dimension (a colour each, or a dash pattern each when the
 * plot is coloured by something else). They must have the same dimensions, or one could not share the axes.
 */
export function seriesTable(spec: PlotSpec, results: readonly { label: string; table: Table }[]): Table {
  const first = results[0]!.table;
  const differing = results.find((r) => r.table.dims.length !== first.dims.length || r.table.dims.some((d) => !first.dims.includes(d)));
  if (differing) {
    throw new DyncRuntimeError(
      "RUN051",
      `plot \`${spec.text}\` (line ${spec.line}): its results must have the same dimensions to share the axes, but ${results[0]!.label} has ${first.dims.join(", ") || "none"} and ${differing.label} has ${differing.table.dims.join(", ") || "none"}`,
    );
  }
  if (first.dims.includes(SERIES_DIM)) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): a sweep variable named \`${SERIES_DIM}\` clashes with the dimension of its several results`);
  return { dims: [...first.dims, SERIES_DIM], rows: results.flatMap((r) => r.table.rows.map((row) => ({ key: { ...row.key, [SERIES_DIM]: r.label }, value: row.value }))) };
}

/** The Vega-Lite spec of a plot from its evaluated tables. */
export function plotToVegaLite(spec: PlotSpec, tables: PlotTables): VegaLiteSpec {
  switch (spec.kind) {
    case "line":
      return linePlot(spec, tables);
    case "loglog":
      return loglogPlot(spec, tables);
    case "scatter":
      return scatterPlot(spec, tables);
    case "histogram":
      return histogramPlot(spec, tables);
    case "density":
      return densityPlot(spec, tables);
    case "heatmap":
      return heatmapPlot(spec, tables);
    case "image":
      return imagePlot(spec, tables);
    case "phase_plane":
      return phasePlanePlot(spec, tables);
    default:
      throw new DyncRuntimeError("RUN040", `unknown plot kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
}

/** Renders a Vega-Lite spec to an SVG document (text is escaped by Vega's SVG renderer). */
export async function renderSvg(vlSpec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = vegaLibraries();
  const view = new vega.View(vega.parse(vegaLite.compile(guardGuideTexts(vlSpec) as VegaLiteSpec).spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    keepCompiledVega();
    return hoverTitles(xmlText(svg));
  } finally {
    view.finalize();
  }
}

/**
 * Every drawn item that Vega describes (`aria-label` on a point, a line, a band, a heatmap cell: the
 * point's values, the line's series) also gets that text as its SVG `<title>`, which browsers show on
 * hover: values to read off the figure without any script (the report's CSP allows none). Vega writes the
 * items as empty elements; guides and containers are groups and are left alone.
 */
export function hoverTitles(svg: string): string {
  return svg.replace(/<(path|rect|circle|line|text|image)\b([^<>]*?\saria-label="([^"]*)"[^<>]*?role="graphics-symbol"[^<>]*?)\/>/g, "<$1$2><title>$3</title></$1>");
}

/**
 * The SVG with every character XML 1.0 forbids (C0 controls but tab and newlines, U+FFFE, U+FFFF, lone
 * surrogates) replaced by U+FFFD: a sweep value may hold `\u{0}`, Vega copies it into a legend label
 * verbatim, and resvg (like any XML parser) then refuses the whole figure.
 */
export function xmlText(svg: string): string {
  return svg.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** Spec keys whose string values Vega draws as guide text (axis, legend and plot titles). */
const GUIDE_TEXT_KEYS = new Set(["title", "text", "subtitle"]);

/**
 * The spec with the texts Vega cannot take as they are made safe, every string (data rows and `sort`
 * lists alike, so labels still match):
 * - U+2028 and U+2029 (a sweep value or title may hold them) become the text `\u2028`/`\u2029`: Vega-Lite
 *   copies labels and titles into Vega expressions, whose parser rejects them ("Unexpected token ILLEGAL").
 * - A guide text naming an Object.prototype member (`valueOf`, `constructor`, `__proto__`, …: a probe or
 *   sweep variable may be called that) gets a zero-width space after it: Vega 6.4's parser looks guide
 *   texts up in a plain object of signals, so such a title failed the plot or vanished.
 */
export function guardGuideTexts(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    const text = value.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
    return GUIDE_TEXT_KEYS.has(key) && text in Object.prototype ? `${text}\u200b` : text;
  }
  if (Array.isArray(value)) return value.map((v) => guardGuideTexts(v, key));
  if (typeof value !== "object" || value === null || !isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, guardGuideTexts(v, k)]));
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

let resvgClass: typeof ResvgClass | undefined;

/**
 * resvg, loaded at the first PNG (its native addon and platform probe take ~10 ms): a report whose figures are
 * all unchanged (`dync report` of a finished run) rasterises nothing and never loads it.
 */
function loadResvg(): typeof ResvgClass {
  return (resvgClass ??= (createRequire(import.meta.url)("@resvg/resvg-js") as { Resvg: typeof ResvgClass }).Resvg);
}

/** Rasterises an SVG to PNG at `scale`× its size (default 2, sharp on high-density screens and in print). */
export function renderPng(svg: string, scale = 2): Buffer {
  // Vega styles embedded rasters (heatmaps) `image-rendering: optimizeSpeed; image-rendering: pixelated`;
  // resvg does not know `pixelated`, and the unknown last value made it smooth the pixels: keep its own.
  const crisp = svg.replaceAll("image-rendering: optimizeSpeed; image-rendering: pixelated;", "image-rendering: optimizeSpeed;");
  const resvg = new (loadResvg())(crisp, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  const image = resvg.render();
  countPixmap(image);
  return image.asPng();
}

/**
 * resvg-js 2.6 keeps a rendered image's pixmap (w·h·4 bytes) in Rust memory that V8 does not see, so
 * nothing prompts the garbage collection that frees it: a process writing reports one after another grew
 * by the size of every PNG it made (≈ 10 MiB per report of bench/soak; thx/resvg-js#216). An ArrayBuffer
 * of that size held by the image object makes V8 count the memory and collect both together; the buffer
 * is calloc'd and never written, so its pages are never touched and cost no resident memory. The freeing
 * itself runs when the event loop next turns: see `releaseRenderedImages`.
 */
function countPixmap(image: { readonly width: number; readonly height: number }): void {
  Object.defineProperty(image, "pixmapSize", { value: new ArrayBuffer(image.width * image.height * 4) });
}

/**
 * Resolves once the event loop has turned, so Node runs the finalizers that free collected resvg images
 * (native finalizers wait for it). Await it after each `renderPng`: a caller that only awaits promises
 * never lets the loop turn (a report's plots, `runMain` called in a loop), and the images pile up.
 */
export function releaseRenderedImages(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}
