/**
 * A tiny experiment with a matrix probe (cosine similarity of the hidden neurons, at start and end) and a
 * per-unit probe (the learned function on a 21-point grid), with heatmaps of both, and line plots marked at
 * the matrix snapshots and where an `at first(tl < 0.1)` event fired, for the heatmap report and browser tests. Widths 4 and 80: the 80 × 80 matrices
 * make the heatmap rasterise; the 21 × 5 table stays rectangles.
 */
import type { AnalysisExpr, EventSpecData, ExperimentProgram, PlotSpec, ProbeSpec, ProfilePlan } from "../../contract/program.js";
import { expandPlan } from "../../contract/plan.js";
import { probes as baseProbes, regressionProgram, regressionRun } from "../runtime/experiment-fixture.js";

const probes: ProbeSpec[] = [
  ...baseProbes,
  { name: "cos", probe: "cosine_similarity", args: { model: { ref: "net" }, layer: 0, bias: true, order: "none" }, cadences: [{ kind: "at", points: ["start", "end"] }], line: 13 },
  { name: "lf", probe: "learned_function", fields: ["x", "output", "target"], index: "point", args: { model: { ref: "net" }, data: { ref: "test" } }, cadences: [{ kind: "every", n: 10, unit: "steps" }], line: 14 },
  // `probe crossed = weight_norm(net) at first(tl < 0.1)`: measured where each seed's event fires.
  { name: "crossed", probe: "weight_norm", args: { model: { ref: "net" } }, cadences: [{ kind: "on", event: "crossed@first" }], line: 15 },
];

/** The event the `crossed` probe waits for. */
export const CROSSED_BELOW = 0.1;
const events: EventSpecData[] = [{ name: "crossed@first", watch: ["tl"], condition: { op: "compare", fn: "<", left: { op: "probe", name: "tl" }, right: { op: "number", value: CROSSED_BELOW } } }];

const common = { line: 20, color: null, facet: null, title: null } as const;
const probe = (name: string): AnalysisExpr => ({ op: "probe", name });

/** The heatmaps and the marked line plot. */
export const HEATMAP_PLOTS: PlotSpec[] = [
  { ...common, kind: "heatmap", text: "heatmap(cos, at: [start, end], facet: width, range: [-1, 1], order: eigen)", facet: "width", label: "cos", range: [-1, 1], logColor: false, order: "eigen", data: { source: "matrix", probe: "cos", at: ["start", "end"], seed: null } },
  { ...common, kind: "heatmap", text: "heatmap(median(lf.output) over seeds, x: steps, y: point, facet: width)", facet: "width", label: "median(lf.output) over seeds", range: null, logColor: false, order: "none", data: { source: "table", values: { op: "reduce", fn: "median", arg: probe("lf.output"), over: ["seeds"] }, x: "steps", y: "point" } },
  { ...common, kind: "line", text: "line(tl, color: width, mark: cos)", color: "width", y: probe("tl"), yLabel: "train loss", x: "steps", band: null, logX: false, logY: true, refs: [], marks: [{ kind: "probe", name: "cos", label: "cos" }] },
  { ...common, kind: "scatter", text: "scatter(lf.x, lf.output, facet: width)", facet: "width", x: probe("lf.x"), y: probe("lf.output"), xLabel: "x", yLabel: "output", logX: false, logY: false },
  { ...common, kind: "line", text: "line(tl, color: width, facet: seeds, mark: crossed)", color: "width", facet: "seeds", y: probe("tl"), yLabel: "train loss", x: "steps", band: null, logX: false, logY: true, refs: [], marks: [{ kind: "probe", name: "crossed", label: "crossed" }] },
];

/** The program: widths 4 and 80, two seeds, the probes and plots above. */
export function heatmapProgram(): ExperimentProgram {
  const base = regressionProgram([4, 80].map((w) => ({ ...regressionRun(w), probes, events })));
  const plan: ProfilePlan = { ...expandPlan(base.profiles["default"]!), seeds: [0, 1], plots: HEATMAP_PLOTS };
  return { ...base, profiles: { default: plan } };
}
