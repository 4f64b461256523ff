/**
 * Registry entries of the lottery-ticket scaling-law library (Liu & Tegmark, arXiv 2310.02258): probes of
 * trained two-layer nets (ticket decomposition, distillation, parameter PCA across seeds, per-neuron
 * values), analyses over seeds and widths (multimodality, ensemble-vs-coordination resampling, local
 * exponents) and the `values(…)` distribution that sets a parameter by hand. Schema only; the
 * implementations in this folder import it.
 */
import { papers } from "../registry/citations.js";
import { analysisEntry, probeEntry } from "../registry/entry.js";
import type { Entry, Lowered, Param, ProbeCostShape, Rule } from "../registry/types.js";

const model = { name: "model", type: { t: "ref", of: "model" }, doc: "A two-layer net `mlp(in: 1, hidden: [N], out: 1)`." } as const satisfies Param;
const fitParams = [
  { name: "domain", type: { t: "interval" }, default: [-2, 2], doc: "The interval of the fitting grid." },
  { name: "n", type: { t: "number", integer: true, min: 3 }, default: 1001, doc: "Grid points (evenly spaced, both ends included)." },
  {
    name: "target",
    type: { t: "choice", options: ["square", "cube", "quartic", "sin", "cos", "exp", "sin_squared", "exp_square", "tanh", "relu"] },
    default: "square",
    doc: "The target evaluated in float64: x², x³, x⁴, sin, cos, exp, sin², exp(x²), tanh, relu.",
  },
  { name: "min_r2", type: { t: "number", max: 1 }, default: 0.9, doc: "Tickets with R² below this are left out of the bound and the correlation." },
] as const satisfies readonly Param[];
const [domain, n, target] = fitParams;
// 2²⁴ = 1/u₃₂ (stdlib/lottery/tickets.ts DEFAULT_MAX_COND; literal here: entries import no implementation)
const maxCond = {
  name: "max_cond",
  type: { t: "number", above: 1 },
  default: 16777216,
  doc: "Pairs whose refit is ill-conditioned are left out: the condition number of the design [σ(wᵢx+bᵢ), σ(wⱼx+bⱼ), 1] with unit-norm columns above this. The default 2²⁴ = 1/u₃₂ (float32's unit roundoff) marks a refit whose coefficients the float32 rounding of the activations can change by 100%: it rests on differences between the neurons' curves that the trained float32 net cannot represent, e.g. two collapsed neurons (|w| ≲ 1e-4) refit to x² through their Taylor terms with output weights ~1/w². Raise it (up to ~1e15, float64's limit) and set `float32_check: false` to study the float64 refit itself.",
} as const satisfies Param;
const float32Check = {
  name: "float32_check",
  type: { t: "bool" },
  default: true,
  doc: "Also leave out pairs whose refit loss more than doubles when their activations are rounded to float32: the loss is then a float64 artifact (output weights of 1e5…1e11 cancelling to a precision no float32 net has), as for two collapsed neurons with pre-activations ~1e-5, whose κ is only ~1e5. `false` with a large `max_cond` gives the float64 refit of every pair.",
} as const satisfies Param;
const domainRule: Rule = { params: ["domain"], holds: (a) => (a["domain"] as number[])[0]! < (a["domain"] as number[])[1]!, message: "`domain` must have lo < hi" };
const values = { name: "values", type: { t: "ref", of: "probe" }, doc: "A probe or an analysis (e.g. `final_loss`)." } as const satisfies Param;
const log10 = { name: "log10", type: { t: "bool" }, default: true, doc: "Work on log10 of the values (the paper's histograms are of log10 loss)." } as const satisfies Param;
const modeOptions = [
  log10,
  { name: "bandwidth", type: { t: "number", above: 0 }, default: 0.5, doc: "Kernel bandwidth as a fraction of Scott's rule σ̂·n^(−1/5). It narrows as the sample grows, so with more seeds finer structure (a shoulder) counts as a mode." },
  {
    name: "kernel_width",
    type: { t: "number", above: 0 },
    default: null,
    doc: "Kernel bandwidth in the values' own units (decades for log10), replacing `bandwidth`: the count then settles as seeds are added instead of resolving ever finer structure, so a check on it does not depend on the seed count.",
  },
  { name: "min_height", type: { t: "number", min: 0, max: 1 }, default: 0.05, doc: "A mode counts when its density is at least this fraction of the highest mode's." },
  { name: "min_dip", type: { t: "number", min: 0, max: 1 }, default: 0.2, doc: "…and the density between it and a higher mode dips at least this fraction below it." },
] as const satisfies readonly Param[];

/** Per ticket (N/2 pairs) two least-squares refits on the n-point grid (float64 and float32-rounded activations): about 40·N·n flops. */
const ticketCost = (args: Readonly<Record<string, unknown>>, shape: ProbeCostShape) => ({ flops: 40 * (shape.layers[0]?.width ?? 0) * Number(args["n"] ?? 0) });
/** The ticket refits, plus the QR of the weighted average (~N/2 columns) and of the whole output layer (N + 1 columns): ≈ 2.5·N²·n. */
const decompositionCost = (args: Readonly<Record<string, unknown>>, shape: ProbeCostShape) => {
  const width = shape.layers[0]?.width ?? 0;
  return { flops: ticketCost(args, shape).flops + 2.5 * width * width * Number(args["n"] ?? 0) };
};

export const ticketsEntry = probeEntry({
  name: "tickets",
  kind: "probe",
  doc:
    "Ticket decomposition of a trained two-layer net (float64): neurons paired as (w, b)/(−w, b) by a low-cost matching, each pair refit to the target by least squares. Pairs whose refit is ill-conditioned (condition number of the unit-norm design above `max_cond`, default 1/u₃₂ = 2²⁴: numerically dependent at float32 precision, e.g. collapsed neurons that fake exact tickets) or whose refit loss more than doubles on float32-rounded activations (`float32_check`) are left out of every value and counted in `ill_conditioned`. Values: `loss` (the whole net on the grid), `bound` (ensemble bound (Σ 1/|eₖ|²)⁻¹), `n_eff` (participation ratio of the error-correlation matrix), `tickets` (pairs with R² ≥ min_r2), `mean_r2` (mean R² of those pairs), `best_loss`, `pair_cost` (mean (wᵢ+wⱼ)² + (bᵢ−bⱼ)²), `taylor_const` (2σ(b)v + c) and `taylor_x2` (vσ''(b)w²) of the best pair; `ensemble_loss` (the lowest loss of a weighted average Σ aₖfₖ, Σ aₖ = 1, of the tickets with R² ≥ min_r2, their error correlations included: 1/(1ᵀG⁻¹1), Gₖₗ = mean(eₖeₗ); equals `bound` for orthogonal errors), `refit_loss` (least-squares refit of the whole output layer: the best any output layer does with the trained first layer; NaN unless N + 1 < n) and `odd_share` (share of those tickets' error energy in the odd part e(x) − e(−x), NaN unless the domain is symmetric about 0; an exact mirror pair fitting an even target has none).",
  params: [model, ...fitParams, maxCond, float32Check],
  rules: [domainRule],
  result: { fields: ["loss", "bound", "n_eff", "tickets", "mean_r2", "best_loss", "pair_cost", "taylor_const", "taylor_x2", "ensemble_loss", "refit_loss", "odd_share", "ill_conditioned"] },
  cites: papers.lottery,
  cost: decompositionCost,
});

export const ticketR2 = probeEntry({
  name: "ticket_r2",
  kind: "probe",
  doc: "Every ticket's R² and MSE after its least-squares refit, sorted by decreasing R², indexed by `ticket` (Fig 12); pairs with an ill-conditioned refit (`max_cond`, `float32_check`) are left out.",
  params: [model, ...fitParams, maxCond, float32Check],
  rules: [domainRule],
  result: { index: "ticket", fields: ["r2", "mse"] },
  cites: papers.lottery,
  cost: ticketCost,
});

export const neuronsEntry = probeEntry({
  name: "neurons",
  kind: "probe",
  doc: "Each hidden neuron's input weight `w`, bias `b` and output weight `v`, indexed by `neuron` (Figs 2a, 12: the (w, b) scatter).",
  params: [model],
  result: { index: "neuron", fields: ["w", "b", "v"] },
  cites: papers.lottery,
  cost: (_args, shape) => ({ flops: 3 * (shape.layers[0]?.width ?? 0) }),
});

export const wbCurveEntry = probeEntry({
  name: "wb_curve",
  kind: "probe",
  doc: "How closely the hidden neurons' (w, b) lie on a curve b = g(w), and whether g is even (Fig 2a: for a very wide SiLU net fitting x² they lie on a bell-shaped curve symmetric under w → −w). The neurons are cut into `bins` equal-count bins of |w| (`r2_abs`) or of w (`r2_signed`); each field is the share of the variance of b explained by the bins' means, 1 − Σ within-bin squared deviations / Σ squared deviations from the mean. Independent w and b (the init) give ≈ 0; any curve gives `r2_signed` ≈ 1; only an even curve also gives `r2_abs` ≈ 1 (an odd one, b(−w) = −b(w), is two-valued in |w|).",
  params: [model, { name: "bins", type: { t: "number", integer: true, min: 2 }, default: 50, doc: "Equal-count bins (at most half the width, so every bin holds two neurons)." }],
  result: { fields: ["r2_abs", "r2_signed"] },
  cites: papers.lottery,
  cost: (_args, shape) => ({ flops: 40 * (shape.layers[0]?.width ?? 0) }),
});

export const distillEntry = probeEntry({
  name: "distill",
  kind: "probe",
  doc: "Distillation (Fig 13): the best ticket as a width-2 net whose output layer (v, c) is refit by least squares in float64 on a float64 grid. The best among the pairs whose refit is meaningful at float32 precision (`max_cond`, `float32_check`). Values: `loss`, `cond` (condition number of the refit, columns scaled to unit norm), `r2`, and the pair's mean `w` (of |w|) and `b`. The refit cannot beat the pair's x⁴ Taylor term ≈ (σ⁗(b)/(12σ″(b)))²·w⁴·Var⊥(x⁴), so low losses need small |w| and an exact mirror pair; the float64 refit itself floors at a few 1e-16 (test/lottery/distill.test.ts).",
  params: [model, domain, n, target, maxCond, float32Check],
  rules: [domainRule],
  result: { fields: ["loss", "cond", "r2", "w", "b"] },
  cites: papers.lottery,
  cost: ticketCost,
});

export const paramPca = probeEntry({
  name: "param_pca",
  kind: "probe",
  doc: "PCA of the parameter vectors (w₁…w_N, b₁…b_N, v₁…v_N, c) across all seeds of a run (Figs 9–11): each seed's `pc1`, `pc2`, and the explained-variance fractions `var1`, `var2`.",
  params: [model],
  result: { fields: ["pc1", "pc2", "var1", "var2"] },
  cites: papers.lottery,
  cost: (_args, shape) => ({ flops: 2 * shape.params * shape.params }),
});

export const neuronCurveEntry = probeEntry({
  name: "neuron_curve",
  kind: "probe",
  doc: "One hidden neuron's curve on an evenly spaced grid (float64), indexed by `point` (Figs 10–11: the activation curves of the clusters' neurons): `x`, the pre-activation `pre` = wₖx + bₖ, the activation `post` = σ(wₖx + bₖ) and its contribution `out` = vₖσ(wₖx + bₖ) to the output. Plot `line`/`scatter(c.x, c.post)` for the curve, `scatter(c.pre, c.post)` for post- vs pre-activation.",
  params: [
    model,
    { name: "neuron", type: { t: "number", integer: true, min: 0 }, default: 0, doc: "Which hidden neuron (0-based). Nets without it (narrower than `neuron` + 1, e.g. the width-1 nets of a sweep over widths 1, 2, …) get NaN curves: the sweep point is recorded, not failed." },
    domain,
    { name: "n", type: { t: "number", integer: true, min: 2 }, default: 101, doc: "Grid points (evenly spaced, both ends included)." },
  ],
  rules: [domainRule],
  result: { index: "point", fields: ["x", "pre", "post", "out"] },
  cites: papers.lottery,
  cost: (args) => ({ flops: 10 * Number(args["n"] ?? 0) }),
});

export const lotteryProbes: readonly Entry[] = [ticketsEntry, ticketR2, neuronsEntry, wbCurveEntry, distillEntry, paramPca, neuronCurveEntry];

export const inRange = analysisEntry({
  name: "in_range",
  kind: "analysis",
  doc: "The rows whose sweep variable `along` lies in [min, max], e.g. to fit the scaling law over N = 10..50 only: `fit_power_law(in_range(median_loss, min: 10) ~ width)`.",
  params: [
    values,
    { name: "along", type: { t: "string" }, default: "width", doc: "A numeric sweep variable." },
    { name: "min", type: { t: "number" }, default: null, doc: "Smallest value kept (default: no bound)." },
    { name: "max", type: { t: "number" }, default: null, doc: "Largest value kept (default: no bound)." },
  ],
  cites: papers.lottery,
});

export const modesEntry = analysisEntry({
  name: "modes",
  kind: "analysis",
  doc: "Number of modes of a distribution (by default of log10 values): local maxima of a Gaussian KDE that are high enough and separated by a deep enough dip. `modes(final_loss) over seeds` per width (Fig 3: multimodal for N ≤ 4).",
  params: [values, ...modeOptions],
  cites: papers.lottery,
});

export const lowestMode = analysisEntry({
  name: "lowest_mode",
  kind: "analysis",
  doc: "1 for the values in the lowest mode of their distribution (the lottery tickets), 0 for the others; keeps every dimension. `mean(lowest_mode(l) over seeds) over seeds` is the ticket fraction.",
  params: [values, ...modeOptions],
  cites: papers.lottery,
});

export const ensembleTest = analysisEntry({
  name: "ensemble_test",
  kind: "analysis",
  doc: "Ensembling vs coordination (Fig 4): for each N whose half N/2 was also run, draws pairs (L_a, L_b) from the width-N/2 losses, forms (1/L_a + 1/L_b)⁻¹ and compares with the width-N losses. `stat`: `ks` (Kolmogorov–Smirnov distance), `median_ratio` (median of the ensembles / median at N), `median` (median of the ensembles).",
  params: [
    values,
    { name: "along", type: { t: "string" }, default: "width", doc: "The width sweep variable." },
    { name: "stat", type: { t: "choice", options: ["ks", "median_ratio", "median"] }, default: "ks", doc: "What to report." },
    { name: "pairs", type: { t: "number", integer: true, min: 1 }, default: 10000, doc: "Resampled pairs." },
    { name: "seed", type: { t: "number", integer: true, min: 0 }, default: 0, doc: "Seed of the resampling." },
  ],
  cites: papers.lottery,
});

export const localExponents = analysisEntry({
  name: "local_exponents",
  kind: "analysis",
  doc: "Local scaling exponents αₖ = −Δln y / Δln x between neighbouring values of a sweep variable (keyed by the larger one): shows LeakyReLU's N⁻⁴ → N⁻¹ crossover.",
  params: [values, { name: "along", type: { t: "string" }, default: "width", doc: "The sweep variable x." }],
  cites: papers.lottery,
});

export const clustersEntry = analysisEntry({
  name: "clusters",
  kind: "analysis",
  doc: "Clusters of points (x, y) across the dimensions after `over`, per group of the other dimensions: single linkage (float64), cutting every edge of the minimum spanning tree longer than `cut` × the median nearest-neighbour distance, so the cut is scale-free (points in any units, e.g. `param_pca` coordinates). `clusters(pca.pc1, pca.pc2, stat: count) over seeds` is the number of clusters of at least `min_size` points per width (Fig 9); `stat: label` keeps every dimension and gives each point its cluster (0 = the largest, then by size), `stat: size` each point its cluster's size. With the defaults a single 2-D Gaussian blob of 48–96 points gives 1 cluster in about 96–99% of draws; at 1000 points its sparse tails break into a few more, since the median neighbour distance shrinks with the point count (test/lottery/clusters.test.ts). The cut is set by the densest points, so a loose cluster beside tight ones may split (the width-2 lottery nets at 50k steps: 8 clusters at `cut: 5`, 6 at `cut: 8`).",
  params: [
    { name: "x", type: { t: "ref", of: "probe" }, doc: "First coordinate of each point (a probe or an analysis)." },
    { name: "y", type: { t: "ref", of: "probe" }, doc: "Second coordinate, keyed like `x`." },
    { name: "stat", type: { t: "choice", options: ["count", "label", "size"] }, default: "count", doc: "What to report: the cluster count per group, or per point its cluster's label or size." },
    { name: "cut", type: { t: "number", above: 0 }, default: 5, doc: "Tree edges longer than `cut` × the median nearest-neighbour distance separate clusters." },
    { name: "min_size", type: { t: "number", integer: true, min: 1 }, default: 3, doc: "Smallest cluster `stat: count` counts (smaller ones are outliers; they still get labels)." },
  ],
  cites: papers.lottery,
});

export const lotteryAnalyses: readonly Entry[] = [inRange, modesEntry, lowestMode, ensembleTest, localExponents, clustersEntry];

/** `values([[…], …])`: nested lists → shape and row-major values. */
function lowerValues(a: Readonly<Record<string, Lowered>>): unknown {
  const list = a["values"] as readonly (number | readonly number[])[];
  const nested = list.length > 0 && Array.isArray(list[0]);
  const rows = list as readonly (readonly number[])[];
  return nested
    ? { kind: "values", shape: [rows.length, rows[0]!.length], values: rows.flat() }
    : { kind: "values", shape: [list.length], values: [...(list as readonly number[])] };
}

export const lotteryDistributions: Entry[] = [
  {
    name: "values",
    kind: "distribution",
    doc: "A parameter set by hand, the same for every seed (initialisation only): a bias as a list, a weight matrix [in, out] as one list per input, e.g. `init net.hidden[0].weight ~ values([[-0.83, 0.83]])`.",
    params: [
      {
        name: "values",
        type: { t: "oneOf", of: [{ t: "list", of: { t: "number" }, minLength: 1 }, { t: "list", of: { t: "list", of: { t: "number" }, minLength: 1 }, minLength: 1 }] },
        doc: "The numbers: a list, or a list of rows.",
      },
    ],
    rules: [
      {
        params: ["values"],
        holds: (a) => {
          const rows = a["values"] as readonly (number | readonly number[])[];
          return !Array.isArray(rows[0]) || rows.every((r) => Array.isArray(r) && r.length === (rows[0] as readonly number[]).length);
        },
        message: "the rows of a matrix must all have the same length",
      },
    ],
    cites: papers.lottery,
    lower: lowerValues,
  },
];

export const lotteryEntries: Entry[] = [...lotteryProbes, ...lotteryAnalyses, ...lotteryDistributions];
