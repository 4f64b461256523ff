/**
 * Registry entries for probes: measurements taken during training at a cadence. Each has a runtime
 * implementation of the same name in stdlib/probes (the executor looks it up by name); a test checks
 * that every entry here has one.
 */
import { papers } from "../registry/citations.js";
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
    name: "sharpness",
    kind: "probe",
    doc: "Sharpness: the top eigenvalue λ_max(∇²L) of the Hessian of the run's loss on `data` (without the `l2` term) with respect to every parameter, per seed (Cohen et al. 2021, Gradient Descent on Neural Networks Typically Occurs at the Edge of Stability: under GD it rises to ≈ 2/η). Power iteration on Hessian-vector products (nested autodiff, evaluation mode) from a Gaussian start drawn from the seed, stopping when the Rayleigh quotient changes by less than `tol` relative or after `iters` products; strictly it is the eigenvalue of largest magnitude, the top one whenever no negative eigenvalue is larger in magnitude. Each HVP costs about two backward passes over the subset.",
    params: [
      model,
      data,
      { name: "iters", type: { t: "number", integer: true, min: 1 }, default: 20, doc: "Largest number of power iterations (Hessian-vector products)." },
      { name: "tol", type: { t: "number", min: 0 }, default: 0.001, doc: "Relative change of the estimate between iterations below which a seed stops." },
      { name: "samples", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Evaluate on this many evenly spaced rows of `data` (Cohen et al.'s abridged subset; default: all rows)." },
      { name: "batch", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Rows per Hessian-vector pass (physical batch, for memory; the result does not depend on it)." },
    ],
    cites: papers.opposing,
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
 * to the analysis IR of contract/program.ts; runtime/analysis evaluates them.
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
