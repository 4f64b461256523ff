/**
 * The core family's schemas: the probes every experiment uses (loss, accuracy, weight norm, one parameter's
 * statistic, the training step's own loss and learning rate, the optimizer's statistics, the network's
 * outputs) and the reductions and fit of the analysis
 * language. Schema only (no runtime imports): the registry and the compiler read it; the implementations
 * in this folder import it (`defineProbe`), and test/stdlib/registry.test.ts checks the two agree.
 */
import { papers } from "../registry/citations.js";
import { analysisEntry, probeEntry } from "../registry/entry.js";
import { FIT_FIELDS, REDUCE_FNS, type ReduceFn } from "../../contract/program.js";
import { OPTIMIZER_STATS, type OptimizerStat } from "../../contract/training-specs.js";
import type { Entry, Param, ProbeCostShape } from "../registry/types.js";

export const model = { name: "model", type: { t: "ref", of: "model" }, doc: "The model to measure." } as const satisfies Param;
export const data = { name: "data", type: { t: "ref", of: "data" }, doc: "The data set to evaluate on." } as const satisfies Param;

/** One forward pass over every row of the `data` argument. */
const forwardOverData = (args: Readonly<Record<string, unknown>>, shape: ProbeCostShape) => ({ forwardPasses: shape.rows(args["data"]) ?? 0 });

export const loss = probeEntry({
  name: "loss",
  kind: "probe",
  doc: "The training loss of the model on a whole data set, per seed (evaluation mode).",
  params: [model, data],
  cost: forwardOverData,
});

export const accuracy = probeEntry({
  name: "accuracy",
  kind: "probe",
  doc: "Fraction of samples whose arg-max output is the true class, per seed. With `by: class` one value per class (dimension `class`, in target-column order): the fraction of that class's samples classified correctly (NaN for a class without samples); `count_above(acc, threshold: 0.1) over class` (10 classes) is the number of classes above chance.",
  params: [
    model,
    data,
    { name: "by", type: { t: "choice", options: ["all", "class"] }, default: "all", doc: "`all`: one accuracy over every sample; `class`: per class (dimension `class`)." },
  ],
  resultFor: (args) => (args["by"] === "class" ? { index: "class" } : undefined),
  cost: forwardOverData,
});

export const weightNorm = probeEntry({
  name: "weight_norm",
  kind: "probe",
  doc: "‖θ‖₂ over every parameter of the model, per seed.",
  params: [model],
  cost: (_args, shape) => ({ flops: 2 * shape.params }),
});

export const param = probeEntry({
  name: "param",
  kind: "probe",
  doc: "One number from a parameter tensor, per seed: `param(net, \"b_o\")` is the mean of layer `b_o`'s weight (a layer name means its weight; a full name like `\"hidden0.bias\"` picks any parameter). `stat`: `mean` (1ᵀθ/size: its sign is that of θ's component along the all-ones direction), `sum`, `norm` (‖θ‖₂), `max_abs`, or `first` (the first entry: the value of a scalar such as `c`).",
  params: [
    model,
    { name: "name", type: { t: "string" }, doc: "A layer name (its weight) or a parameter name `layer.role` (`b_o`, `c`, `hidden0.bias`)." },
    { name: "stat", type: { t: "choice", options: ["mean", "sum", "norm", "max_abs", "first"] }, default: "mean", doc: "How the tensor's entries become one number." },
  ],
  cost: (_args, shape) => ({ flops: shape.params }),
});

export const weights = probeEntry({
  name: "weights",
  kind: "probe",
  doc: "The values of one parameter tensor, per seed, written as .npy (`tensors/`, one file per measurement): `weights(net, \"hidden0\") every 500 steps` saves that layer's weight matrix, `[fan_in, fan_out]` (θ in y = xθ + b), as training goes; `\"hidden0.bias\"` its bias. A layer name means its weight; a full name picks any parameter (as `param`). `np.load` reads each file; checkpoints of the weights without resuming anything.",
  params: [model, { name: "name", type: { t: "string" }, doc: "A layer name (its weight) or a parameter name `layer.role` (`hidden0.bias`)." }],
  result: { matrix: true },
  cost: (_args, shape) => ({ flops: shape.params }),
});

export const featureNorm = probeEntry({
  name: "feature_norm",
  kind: "probe",
  doc: "The norm of a hidden layer's representation: the mean over the samples of `data` of ‖φ(x)‖₂, φ(x) the output of hidden layer `layer` (after its activation, and pooling for a conv block; all its values), per seed. The default, the last hidden layer, is the penultimate representation; on a one-image data set such as `constant_image(…)` it is that image's feature norm (Rosenfeld & Risteski, Fig. 5: it grows fast, then slowly decays).",
  params: [
    model,
    data,
    { name: "layer", type: { t: "number", integer: true, min: 0 }, default: null, doc: "Hidden layer (0 is `net.hidden[0]`; in a cnn the conv blocks come first; default: the last hidden layer)." },
  ],
  cites: papers.opposing,
  cost: forwardOverData,
});

export const classProbs = probeEntry({
  name: "class_probs",
  kind: "probe",
  doc: "The predicted class distribution: the softmax of the network's outputs, averaged over the samples of `data`, per seed and class (dimension `class`, in output order; the values of a seed sum to 1). The softmax is taken in float64 from the float32 outputs, max-shifted. On a one-image data set such as `constant_image(…)` it is that image's class probabilities (Rosenfeld & Risteski, Fig. 5: a solid sky-coloured image's probabilities oscillate under GD); on a data set, the mean predicted distribution (`max(p) over class`, or `p[class = 3]` for one class). Stored like `per_sample_loss`: one array `tensors/<probe>/<run>/seed<s>.npy` of shape [measurements, classes] per run and seed.",
  params: [model, data],
  // meant for every step (Fig. 5 follows it step by step): one array per run, not a file per measurement
  result: { index: "class" },
  cites: papers.opposing,
  cost: forwardOverData,
});

export const optimizerStat = probeEntry({
  name: "optimizer_stat",
  kind: "probe",
  doc: `A statistic the run's optimizer reports about its most recent update, per seed (NaN before the first update): ${Object.keys(OPTIMIZER_STATS)
    .map((s) => `\`${s}\` (${OPTIMIZER_STATS[s as OptimizerStat].map((k) => `\`${k}\``).join(", ")})`)
    .join(", ")}. \`optimizer_stat(above_threshold)\` is the fraction of all parameter coordinates whose momentum |m| exceeded the threshold and so took a fixed-size sign step (Rosenfeld & Risteski, App. F: ≈ 10–25%). At step k it describes the update from step k − 1 to k.`,
  params: [{ name: "name", type: { t: "choice", options: Object.keys(OPTIMIZER_STATS) as OptimizerStat[] }, doc: "Which statistic; the run's optimizer must report it." }],
  cites: papers.opposing,
  cost: (_args, shape) => ({ flops: shape.params }),
});

export const trainLoss = probeEntry({
  name: "train_loss",
  kind: "probe",
  doc: "The loss of the current minibatch before its update, per seed (no extra forward pass).",
  params: [],
});

export const lr = probeEntry({
  name: "lr",
  kind: "probe",
  doc: "The learning rate of the current update.",
  params: [],
});

export const outputs = probeEntry({
  name: "outputs",
  kind: "probe",
  doc: "The network's output on every sample of a data set with any number of inputs (dimension `point`): input coordinates `x0`, `x1`, … (the first 4 input columns), output columns `output`, `output1`, … and target columns `target`, `target1`, … (the first 4), and `region`, the id of the point's activation pattern in a hidden layer (which neurons have pre-activation > 0), numbered 0, 1, … in order of first appearance over the samples. On a `grid(x in …, y in …)` data set `plot image(f.output)` draws the learned function and `plot image(f.region)` the layer's activation regions.",
  params: [
    model,
    { ...data, doc: "The data set; over a two-input `grid(…)` the probe's values can be drawn with `plot image`." },
    { name: "layer", type: { t: "number", integer: true, min: 0 }, default: null, doc: "Hidden layer of `region` (0 is `net.hidden[0]`; default: the last hidden layer)." },
  ],
  result: { index: "point", fields: ["x0", "x1", "x2", "x3", "output", "output1", "output2", "output3", "target", "target1", "target2", "target3", "region"] },
  cites: papers.regions,
  cost: forwardOverData,
});

export const coreProbes: readonly Entry[] = [loss, accuracy, weightNorm, param, weights, featureNorm, classProbs, trainLoss, lr, optimizerStat, outputs];

/** What each reduction of the analysis IR does (every `ReduceFn` needs one: the record is exhaustive). */
const REDUCTION_DOCS: Record<ReduceFn, string> = {
  median: "Median (mean of the two middle values for an even count).",
  mean: "Arithmetic mean.",
  std: "Sample standard deviation (n − 1).",
  min: "Minimum.",
  max: "Maximum.",
  sum: "Sum.",
  prod: "Product (of per-layer spectral norms: `prod(sn.sigma) over layer`).",
  count: "Number of values.",
  first: "The earliest measurement.",
  last: "The latest measurement.",
  quantile: "The q-quantile (linear interpolation, as numpy's default).",
  nanmedian: "Median of the values that are not NaN (a diverged seed's), as numpy's nanmedian; NaN when all are.",
  nanmean: "Mean of the values that are not NaN (a diverged seed's), as numpy's nanmean; NaN when all are.",
  nanmin: "Minimum of the values that are not NaN (a diverged seed's), as numpy's nanmin; NaN when all are.",
  nanmax: "Maximum of the values that are not NaN (a diverged seed's), as numpy's nanmax; NaN when all are.",
};

const values = { name: "values", type: { t: "ref", of: "probe" }, doc: "A probe or an analysis." } as const satisfies Param;

/**
 * Reductions and fits usable in analyses (`let m = median(final) over seeds`), from the analysis
 * vocabulary of the contract (contract/program.ts: REDUCE_FNS, FIT_FIELDS). The compiler lowers them to
 * IR nodes (`reduce`, `fit_power_law`), which runtime/analysis evaluates; these entries document them.
 */
/** Phase detection on a loss curve (the feature-diversity paper gives no rule; this is dync's, stated in full). */
export const plateauEnd = analysisEntry({
  name: "plateau_end",
  kind: "analysis",
  doc: "The end of an initial plateau of a positive series such as a loss: the first step at which its smoothed value has fallen by the fraction `drop` from its start, per seed (and per remaining group); NaN when it never does. Rule: in step order, mᵢ is the mean of the `smooth` measurements ending at measurement i; the start is the first such mean (of the first `smooth` measurements); the result is the step of the first i with mᵢ ≤ (1 − `drop`)·start (NaN also when the start is not a positive number). `plateau_end(train_loss, drop: 0.2, smooth: 5)`; with `smooth: 1` the raw series is used.",
  params: [
    values,
    { name: "drop", type: { t: "number", above: 0, below: 1 }, default: 0.1, doc: "The fraction of the starting value the smoothed series must lose." },
    { name: "smooth", type: { t: "number", integer: true, min: 1 }, default: 1, unit: "measurements", doc: "Measurements in the trailing moving average (1: no smoothing)." },
  ],
});

/** Oscillation through zero, counted: a parameter or output flipping sign step after step. */
export const signChanges = analysisEntry({
  name: "sign_changes",
  kind: "analysis",
  doc: "The number of sign changes of a series over steps, per seed (and per remaining group): in step order, consecutive nonzero measurements of opposite sign count one each (zeros and NaN are skipped). `sign_changes(bo) >= 10` holds when `bo` oscillates through 0 at least ten times.",
  params: [values],
});

/** How closely two results move together: Fig 8's "gate similarity rises with feature similarity" as one number. */
export const correlation = analysisEntry({
  name: "correlation",
  kind: "analysis",
  doc: "The correlation of two results across the dimensions after `over` (default: `steps`), per group of the other dimensions: `x` and `y` are joined on their shared dimensions (keyed alike, e.g. two probes measured at the same steps; rows without a partner are dropped), and each group's pairs (x, y) give `method: pearson`, Pearson's r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² Σ(y − ȳ)²) in float64, or `spearman`, Pearson's r of the ranks (ties share their mean rank). NaN for a group with fewer than 3 pairs (two points always give ±1), a NaN value or a constant side. `correlation(gate.agreement, fcos.cosine)` is, per seed and layer, how closely the gate agreement follows the feature cosine through the run; `correlation(gate.agreement before p1, fcos.cosine before p1)` through phase 1 only.",
  params: [
    { name: "x", type: { t: "ref", of: "probe" }, doc: "The first result (a probe or an analysis)." },
    { name: "y", type: { t: "ref", of: "probe" }, doc: "The second result, keyed like `x` on the dimensions after `over`." },
    { name: "method", type: { t: "choice", options: ["pearson", "spearman"] }, default: "pearson", doc: "Pearson's r of the values, or of their ranks (Spearman's ρ: any monotone relation gives ±1)." },
  ],
});

export const coreAnalyses: readonly Entry[] = [
  ...REDUCE_FNS.map(
    (name): Entry => ({
      name,
      kind: "analysis",
      doc: `${REDUCTION_DOCS[name]} Reduces over the dimensions after \`over\`${name === "quantile" ? "" : " (default: over time)"}.`,
      params: name === "quantile" ? [values, { name: "q", type: { t: "number", min: 0, max: 1 }, doc: "Quantile level in [0, 1]." }] : [values],
    }),
  ),
  {
    name: "fit_power_law",
    kind: "analysis",
    doc: `Least-squares fit of log y = log c + p·log x across a sweep variable: \`fit_power_law(y ~ width) by act\`. Fields: ${FIT_FIELDS.map((f) => (f === "alpha" ? "alpha (= −exponent)" : f)).join(", ")}.`,
    params: [{ name: "relation", type: { t: "ref", of: "probe" }, doc: "`y ~ x`: a result against a sweep variable." }],
  },
  plateauEnd,
  signChanges,
  correlation,
];
