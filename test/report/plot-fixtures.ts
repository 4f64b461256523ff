/** Plot specs and tables for the plot tests: small synthetic results with known structure. */
import { checkSource } from "../../compiler/check/index.js";
import type { Row, Table } from "../../runtime/analysis/table.js";
import type { AnalysisExpr, PlotSpec } from "../../contract/program.js";

const probe = (name: string): AnalysisExpr => ({ op: "probe", name });
const base = { line: 7, color: null, facet: null, title: null } as const;

/** A line plot spec with defaults that each test overrides. */
export function lineSpec(over: Partial<Extract<PlotSpec, { kind: "line" }>> = {}): Extract<PlotSpec, { kind: "line" }> {
  return { ...base, kind: "line", text: "plot line(loss)", y: probe("loss"), yLabel: "training loss", x: "steps", band: null, logX: false, logY: false, refs: [], ...over };
}

/** A loglog spec. */
export function loglogSpec(over: Partial<Extract<PlotSpec, { kind: "loglog" }>> = {}): Extract<PlotSpec, { kind: "loglog" }> {
  return { ...base, kind: "loglog", text: "plot loglog(median_loss)", y: probe("m"), yLabel: "median loss", x: "width", fit: true, refs: [], ...over };
}

/** A scatter spec. */
export function scatterSpec(over: Partial<Extract<PlotSpec, { kind: "scatter" }>> = {}): Extract<PlotSpec, { kind: "scatter" }> {
  return { ...base, kind: "scatter", text: "plot scatter(a, b)", x: probe("a"), y: probe("b"), xLabel: "feature norm", yLabel: "angle", logX: false, logY: false, ...over };
}

/** A histogram spec. */
export function histogramSpec(over: Partial<Extract<PlotSpec, { kind: "histogram" }>> = {}): Extract<PlotSpec, { kind: "histogram" }> {
  return { ...base, kind: "histogram", text: "plot histogram(final_loss)", values: probe("f"), label: "final loss", bins: 10, log10: false, ...over };
}

/** A density spec. */
export function densitySpec(over: Partial<Extract<PlotSpec, { kind: "density" }>> = {}): Extract<PlotSpec, { kind: "density" }> {
  return { ...base, kind: "density", text: "plot density(final_loss)", values: probe("f"), label: "final loss", log10: false, ...over };
}

/** loss[act, seeds, steps] = (1 + seed/10)·c_act·exp(−step/50), steps 0, 10, …, (steps−1)·10. */
export function trainingCurves(acts: readonly string[], seeds: readonly number[], steps: number): Table {
  const rows: Row[] = [];
  acts.forEach((act, a) => {
    for (const seed of seeds) for (let k = 0; k < steps; k++) rows.push({ key: { act, seeds: seed, steps: k * 10 }, value: (1 + seed / 10) * (a + 1) * Math.exp((-k * 10) / 50) });
  });
  return { dims: ["act", "seeds", "steps"], rows };
}

/** y = c·width^(−alpha) per activation, exactly: the fit must recover alpha. */
export function powerLaws(laws: Readonly<Record<string, { c: number; alpha: number }>>, widths: readonly number[]): Table {
  const rows: Row[] = [];
  for (const [act, { c, alpha }] of Object.entries(laws)) for (const width of widths) rows.push({ key: { width, act }, value: c * width ** -alpha });
  return { dims: ["width", "act"], rows };
}

/** A one-dimensional table over `dim` with the given values (key = index). */
export function valuesTable(values: readonly number[], extra: Record<string, string | number> = {}, dim = "seeds"): Table {
  return { dims: [dim, ...Object.keys(extra)], rows: values.map((value, i) => ({ key: { [dim]: i, ...extra }, value })) };
}

/** Concatenates tables with the same dims. */
export function concat(...tables: Table[]): Table {
  return { dims: tables[0]!.dims, rows: tables.flatMap((t) => t.rows) };
}

/** A deterministic pseudo-random sequence (LCG) for fixture data, independent of the code under test. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Normal draws by Box–Muller from `lcg`. */
export function normals(n: number, seed: number, mean = 0, std = 1): number[] {
  const u = lcg(seed);
  return Array.from({ length: n }, () => mean + std * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
}

/** The default profile's lowered plots of a `.dyn` source, and its errors as `CODE message`. */
export function lowerPlots(source: string): { plots: readonly PlotSpec[]; errors: string[] } {
  const result = checkSource(source, "e.dyn");
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  return { plots: result.experiments[0]?.profiles["default"]?.plots ?? [], errors };
}
