/**
 * A tiny experiment with analyses, expects and one plot of every kind, trained end to end by the experiment
 * executor on the cpu backend (3 widths × 3 seeds × 40 steps), for the report tests.
 */
import type { AnalysisExpr, ExperimentProgram, PlotSpec, ProfilePlan } from "../../contract/program.js";
import { expandPlan } from "../../contract/plan.js";
import { regressionProgram, regressionRun } from "../runtime/experiment-fixture.js";

/** Text a report must show escaped, never as markup. */
export const XSS = "</script><script>alert(1)</script>";

export const SOURCE = `// ${XSS}
experiment square {
  sweep width in [4, 8, 16]
  seeds 3
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  model net = mlp(in: 1, hidden: [width], out: 1, act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train 40 steps, batch full
  probe tl = train_loss every 10 steps
  let median_loss = median(last(final_loss) over steps) over seeds
  expect median_loss < 10
  expect median_loss < 0
  plot line(tl, x: steps, color: width, band: std over seeds, log_y: true, ref: 2/lr) "${XSS}"
}
`;

const probe = (name: string): AnalysisExpr => ({ op: "probe", name });
const lastOverSteps = (arg: AnalysisExpr): AnalysisExpr => ({ op: "reduce", fn: "last", arg, over: ["steps"] });
const medianLoss: AnalysisExpr = { op: "reduce", fn: "median", arg: lastOverSteps(probe("final_loss")), over: ["seeds"] };
const common = { line: 14, color: "width", facet: null, title: null } as const;

/** One plot of each kind over the fixture's probes. */
export const PLOTS: PlotSpec[] = [
  { ...common, kind: "line", text: `line(tl, x: steps, color: width, band: std over seeds, log_y: true, ref: 2/lr) "${XSS}"`, title: XSS, y: probe("tl"), yLabel: `train loss ${XSS}`, x: "steps", band: { fn: "std", over: "seeds" }, logX: false, logY: true, refs: [{ kind: "constant", value: 0.05, label: "2/lr" }] },
  { ...common, kind: "loglog", text: "loglog(median_loss, x: width, fit: true, ref: width^-1)", color: null, y: { op: "let", name: "median_loss" }, yLabel: "median final loss", x: "width", fit: true, refs: [{ kind: "power", exponent: -1, label: "width⁻¹" }] },
  { ...common, kind: "scatter", text: "scatter(wn, last(final_loss), color: width)", x: lastOverSteps(probe("wn")), y: lastOverSteps(probe("final_loss")), xLabel: "weight norm", yLabel: "final loss", logX: false, logY: true },
  { ...common, kind: "histogram", text: "histogram(tl, log10: true, facet: width)", color: null, facet: "width", values: probe("tl"), label: "train loss", bins: 8, log10: true },
  { ...common, kind: "density", text: "density(tl, log10: true, color: width)", values: probe("tl"), label: "train loss", log10: true },
];

/** The program: the shared regression fixture with this file's source, analyses, expects and plots. */
export function reportProgram(): ExperimentProgram {
  const base = regressionProgram([4, 8, 16].map((w) => regressionRun(w)));
  const plan: ProfilePlan = {
    ...expandPlan(base.profiles["default"]!),
    analyses: [{ name: "median_loss", expr: medianLoss, line: 11 }],
    expects: [
      { text: "median_loss < 10", line: 12, expr: { op: "compare", fn: "<", left: { op: "let", name: "median_loss" }, right: { op: "number", value: 10 } } },
      { text: "median_loss < 0", line: 13, expr: { op: "compare", fn: "<", left: { op: "let", name: "median_loss" }, right: { op: "number", value: 0 } } },
    ],
    plots: PLOTS,
  };
  return { ...base, source: SOURCE, profiles: { default: plan } };
}
