/**
 * Registry entries for probes: measurements taken during training at a cadence. Each has a runtime
 * implementation of the same name in stdlib/probes (the executor looks it up by name); a test checks
 * that every entry here has one.
 */
import type { Entry } from "../registry/types.js";

const model = { name: "model", type: { t: "ref", of: "model" }, doc: "The model to measure." } as const;
const data = { name: "data", type: { t: "ref", of: "data" }, doc: "The data set to evaluate on." } as const;

export const probes: Entry[] = [
  {
    name: "loss",
    kind: "probe",
    doc: "The training loss of the model on a whole data set, per seed (evaluation mode).",
    params: [model, data],
  },
  {
    name: "accuracy",
    kind: "probe",
    doc: "Fraction of samples whose arg-max output is the true class, per seed.",
    params: [model, data],
  },
  {
    name: "weight_norm",
    kind: "probe",
    doc: "‖θ‖₂ over every parameter of the model, per seed.",
    params: [model],
  },
  {
    name: "train_loss",
    kind: "probe",
    doc: "The loss of the current minibatch before its update, per seed (no extra forward pass).",
    params: [],
  },
  {
    name: "lr",
    kind: "probe",
    doc: "The learning rate of the current update.",
    params: [],
  },
];

/**
 * Reductions and fits usable in analyses (`let m = median(final) over seeds`). The compiler lowers them
 * to the analysis IR of runtime/program.ts; runtime/analysis evaluates them.
 */
export const analyses: Entry[] = [
  ...(["median", "mean", "std", "min", "max", "sum", "count", "first", "last"] as const).map(
    (name): Entry => ({
      name,
      kind: "analysis",
      doc: {
        median: "Median (mean of the two middle values for an even count).",
        mean: "Arithmetic mean.",
        std: "Sample standard deviation (n − 1).",
        min: "Minimum.",
        max: "Maximum.",
        sum: "Sum.",
        count: "Number of values.",
        first: "The earliest measurement.",
        last: "The latest measurement.",
      }[name] + " Reduces over the dimensions after `over` (default: over time).",
      params: [{ name: "values", type: { t: "ref", of: "probe" }, doc: "A probe or an analysis." }],
    }),
  ),
  {
    name: "quantile",
    kind: "analysis",
    doc: "The q-quantile (linear interpolation, as numpy's default). Reduces over the dimensions after `over`.",
    params: [
      { name: "values", type: { t: "ref", of: "probe" }, doc: "A probe or an analysis." },
      { name: "q", type: { t: "number", min: 0, max: 1 }, doc: "Quantile level in [0, 1]." },
    ],
  },
  {
    name: "fit_power_law",
    kind: "analysis",
    doc: "Least-squares fit of log y = log c + p·log x across a sweep variable: `fit_power_law(y ~ width) by act`. Fields: exponent, alpha (= −exponent), coefficient, r2, stderr, ci_low, ci_high.",
    params: [{ name: "relation", type: { t: "ref", of: "probe" }, doc: "`y ~ x`: a result against a sweep variable." }],
  },
];
