/**
 * `plot phase_plane`: the (γ, γ') plane of Luo et al. (2021), "Phase diagram for two-layer ReLU neural
 * networks at infinite-width limit" (JMLR), with its regions drawn from the paper's boundaries — linear
 * (γ < 1 or γ' > γ − 1), condensed (γ > 1 and γ' < γ − 1), critical on the boundary between them — and the
 * swept (γ, γ') points on top, coloured by a measured value: a regime from `slope_regime`/`phase_regime`
 * (−1 linear, 0 critical, 1 condensed) or any number (e.g. the RD slope), labelled with that number.
 */
import type { TopLevelSpec } from "vega-lite";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { PlotSpec } from "../contract/program.js";
import { numberOf, type Row } from "../runtime/analysis/table.js";
import { OKABE_ITO, REFERENCE_GREY } from "./colors.js";
import { assemble, dimTitle, facetDomain, keepPlottable, onlyLayer, requirePlotDim, tableOf, valueLabel, type Datum, type PlotTables } from "./plot-common.js";

type PhaseSpec = Extract<PlotSpec, { kind: "phase_plane" }>;

/** Regime names in code order −1, 0, 1, and their colours (point, region tint). */
const REGIMES = ["linear", "critical", "condensed"] as const;
const REGIME_COLORS = [OKABE_ITO[0]!, "#000000", OKABE_ITO[1]!];
const LINEAR_TINT = "#d6e9f5";
const CONDENSED_TINT = "#f8dccb";
const REGION_LABEL = { type: "text", baseline: "middle", fontSize: 13, fontStyle: "italic", color: "#333" };

/** The named initialisations the paper marks on its diagram. */
const LANDMARKS: readonly { gamma: number; gammaPrime: number; label: string }[] = [
  { gamma: 0.5, gammaPrime: 0, label: "NTK" },
  { gamma: 1, gammaPrime: 0, label: "mean field" },
  { gamma: 0.5, gammaPrime: 0.5, label: "LeCun/He" },
];

/** A swept point with its measured value. */
interface PhasePoint {
  gamma: number;
  gammaPrime: number;
  value: number;
  facet: string | null;
}

/** The vega-lite spec of the (γ, γ') phase plane. */
export function phasePlanePlot(spec: PhaseSpec, tables: PlotTables): TopLevelSpec {
  const table = tableOf(tables, "values", spec);
  requirePlotDim(table, spec.gamma, "γ", spec);
  requirePlotDim(table, spec.gamma_prime, "γ'", spec);
  if (spec.facet !== null) requirePlotDim(table, spec.facet, "facet", spec);
  const placed = [spec.gamma, spec.gamma_prime, ...(spec.facet === null ? [] : [spec.facet])];
  const extra = table.dims.filter((d) => !placed.includes(d));
  if (extra.length) {
    throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): one value per (${spec.gamma}, ${spec.gamma_prime}) point is needed, but the data also vary over ${extra.map(dimTitle).join(", ")}`, `reduce them first, e.g. \`median(x) over ${extra[0]}\` or \`slope_regime(fit_power_law(rd ~ width) by (${spec.gamma}, ${spec.gamma_prime}))\``);
  }
  const notes: string[] = [];
  const points = keepPlottable(table.rows.map((r) => toPoint(r, spec)), [{ value: (p) => p.gamma, log: false, axis: "x" }, { value: (p) => p.gammaPrime, log: false, axis: "y" }, { value: (p) => p.value, log: false, axis: "colour" }], notes);
  const regimes = points.every((p) => p.value === -1 || p.value === 0 || p.value === 1);
  const box = planeBox(points);
  const facet = facetDomain(table.rows, spec);
  const data: Datum[] = [];
  for (const panel of facet?.labels ?? [null]) {
    const tag: Datum = panel === null ? {} : { _facet: panel };
    data.push(...regionData(box).map((d) => ({ ...d, ...tag })));
    for (const l of LANDMARKS) if (inside(box, l.gamma, l.gammaPrime)) data.push({ _layer: "landmark", x: l.gamma, y: l.gammaPrime, label: l.label, ...tag });
  }
  for (const p of points) {
    data.push({ _layer: "point", x: p.gamma, y: p.gammaPrime, v: regimes ? REGIMES[p.value + 1]! : p.value, label: regimes ? "" : formatValue(p.value), ...(p.facet === null ? {} : { _facet: p.facet }) });
  }
  notes.push("regions (Luo et al. 2021): linear if γ < 1 or γ' > γ − 1;", "condensed if γ > 1 and γ' < γ − 1; critical on the line between");
  return assemble({ title: spec.title ?? `${spec.label} on the (γ, γ') phase plane`, notes, data, layers: layers(spec, box, regimes), facet });
}

function toPoint(row: Row, spec: PhaseSpec): PhasePoint {
  return {
    gamma: Number(row.key[spec.gamma]),
    gammaPrime: Number(row.key[spec.gamma_prime]),
    // A power-law fit stands for its exponent here (the RD slope), not for α = −exponent as elsewhere.
    value: typeof row.value === "object" ? row.value.exponent : numberOf(row.value, `plot at line ${spec.line}`),
    facet: spec.facet === null ? null : valueLabel(row.key[spec.facet]!),
  };
}

/** The plotted rectangle: the paper's landmarks and boundary corner, widened to hold every swept point. */
export interface PlaneBox {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** The part of the plane shown: at least γ ∈ [0, 2], γ' ∈ [−0.5, 1], and every point with a margin. */
export function planeBox(points: readonly { gamma: number; gammaPrime: number }[]): PlaneBox {
  const gs = points.map((p) => p.gamma);
  const gps = points.map((p) => p.gammaPrime);
  const margin = 0.25;
  return {
    x0: Math.min(0, ...gs.map((g) => g - margin)),
    x1: Math.max(2, ...gs.map((g) => g + margin)),
    y0: Math.min(-0.5, ...gps.map((g) => g - margin)),
    y1: Math.max(1, ...gps.map((g) => g + margin)),
  };
}

function inside(box: PlaneBox, x: number, y: number): boolean {
  return x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1;
}

/**
 * The regions as data: the whole box tinted linear, the condensed region {γ > 1, γ' < γ − 1} as an area
 * between γ' = y0 and γ' = min(γ − 1, y1), and the critical boundary as a polyline from (1, y0) up to
 * (1, 0) and along γ' = γ − 1 to the box's edge.
 */
export function regionData(box: PlaneBox): Datum[] {
  const data: Datum[] = [];
  data.push({ _layer: "linear", x: box.x0, y: box.y0, y2: box.y1 }, { _layer: "linear", x: box.x1, y: box.y0, y2: box.y1 });
  const xs = [1, ...(1 + box.y1 < box.x1 ? [1 + box.y1] : []), box.x1];
  for (const x of xs) data.push({ _layer: "condensed", x, y: box.y0, y2: Math.min(x - 1, box.y1) });
  const edge = Math.min(box.x1, 1 + box.y1);
  const boundary: [number, number][] = [[1, box.y0], [1, 0], [edge, edge - 1]];
  boundary.forEach(([x, y], order) => data.push({ _layer: "critical", x, y, order }));
  data.push(
    { _layer: "label_linear", x: box.x0 + 0.05, y: box.y1 - 0.08, label: "linear" },
    { _layer: "label_condensed", x: box.x1 - 0.05, y: box.y0 + 0.08, label: "condensed" },
  );
  return data;
}

function formatValue(v: number): string {
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(2) : v.toExponential(1);
}

function layers(spec: PhaseSpec, box: PlaneBox, regimes: boolean): Record<string, unknown>[] {
  const x = { field: "x", type: "quantitative", title: `γ (${spec.gamma})`, scale: { domain: [box.x0, box.x1], nice: false, zero: false } };
  const y = { field: "y", type: "quantitative", title: `γ' (${spec.gamma_prime})`, scale: { domain: [box.y0, box.y1], nice: false, zero: false } };
  const color = regimes
    ? { field: "v", type: "nominal", title: spec.label, scale: { domain: [...REGIMES], range: REGIME_COLORS } }
    : { field: "v", type: "quantitative", title: spec.label, scale: { scheme: "blueorange", domainMid: 0 } };
  return [
    { name: "linear", transform: onlyLayer("linear"), mark: { type: "area", color: LINEAR_TINT, opacity: 1 }, encoding: { x, y, y2: { field: "y2" } } },
    { name: "condensed", transform: onlyLayer("condensed"), mark: { type: "area", color: CONDENSED_TINT, opacity: 1 }, encoding: { x, y, y2: { field: "y2" } } },
    { name: "critical", transform: onlyLayer("critical"), mark: { type: "line", color: "#000000", strokeWidth: 2.5 }, encoding: { x, y, order: { field: "order" } } },
    { name: "linear_label", transform: onlyLayer("label_linear"), mark: { ...REGION_LABEL, align: "left" }, encoding: { x, y, text: { field: "label" } } },
    { name: "condensed_label", transform: onlyLayer("label_condensed"), mark: { ...REGION_LABEL, align: "right" }, encoding: { x, y, text: { field: "label" } } },
    { name: "landmarks", transform: onlyLayer("landmark"), mark: { type: "point", shape: "cross", size: 60, color: REFERENCE_GREY, filled: true }, encoding: { x, y } },
    { name: "landmark_labels", transform: onlyLayer("landmark"), mark: { type: "text", align: "left", dx: 6, dy: -7, fontSize: 11, color: REFERENCE_GREY }, encoding: { x, y, text: { field: "label" } } },
    { name: "points", transform: onlyLayer("point"), mark: { type: "point", filled: true, size: 110, stroke: "#333333", strokeWidth: 1 }, encoding: { x, y, color } },
    ...(regimes ? [] : [{ name: "point_labels", transform: onlyLayer("point"), mark: { type: "text", align: "left", dx: 8, dy: 9, fontSize: 11, color: "#111" }, encoding: { x, y, text: { field: "label" } } }]),
  ];
}
