/**
 * The groups family's schemas: measurements per training point and per group of points, the vocabulary of
 * Rosenfeld & Risteski's opposing signals (per-sample losses every step, gradient norms of small groups
 * against random groups of the same size). A group is a data reference: a whole data set, its rows
 * `train[0..19]` / `train[[3, 17, 42]]`, or `random_subset(train, 20)` (compiler/check/evaluate.ts lowers
 * them to `{ ref, rows | random }`, stdlib/probes/env.ts resolves them). Schema only; ./probes.ts implements it.
 */
import { data, model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { analysisEntry, probeEntry } from "../registry/entry.js";
import type { Entry } from "../registry/types.js";

const group = { ...data, doc: "The points: a data set, some of its rows (`train[0..19]`, `train[[3, 17]]`), `random_subset(train, 20)`, or an index set the run finds (`train[up]` with `let up = top_k(d[steps = 150], k: 20) over point`: measured from that step on)." } as const;

export const perSampleLoss = probeEntry({
  name: "per_sample_loss",
  kind: "probe",
  doc: "The loss ℓᵢ(θ) of every point i of `data` (dimension `point`, in the data set's row order), per seed, evaluation mode, without the `l2` term. Measured every step it is stored compactly: one array `tensors/<probe>/<run>/seed<s>.npy` of shape [measurements, points] per run and seed, with the steps in `seed<s>_steps.npy`. Free under full-batch training on the training set when the model has no dropout or batch norm (train and evaluation mode agree): the training step's own per-sample loss at θ_t is reused; otherwise one forward pass over `data`. `diff(psl) over steps` is Δᵢ = ℓᵢ(θ_t) − ℓᵢ(θ_{t−1}); `mean(diff(psl) > 0) over point` the fraction of points whose loss rose; `top_k(diff(psl), k: 20) over point` the points whose loss rose most at each step.",
  params: [model, group],
  result: { index: "point" },
  cites: papers.opposing,
  // Free when the training step's own per-sample losses are reused (the implementation's `trainingStepLosses`).
  cost: (args, shape) => (shape.trainingStepCovers(args["data"]) ? {} : { forwardPasses: shape.rows(args["data"]) ?? 0 }),
});

export const gradNorm = probeEntry({
  name: "grad_norm",
  kind: "probe",
  doc: "‖∇θ L_G‖₂, the norm of the gradient of the mean loss L_G = (1/|G|)·Σ_{i∈G} ℓᵢ over the points G of `data` (a group such as `train[0..19]` or `random_subset(train, 20)`) with respect to every parameter, per seed, evaluation mode, without the `l2` term (Rosenfeld & Risteski's group gradient norm, against a random subset of the same size). With `by: layer` one norm per layer with parameters (dimension `layer`, 0 the first such layer in forward order: weight and bias together); their squares sum to the square of the total. The squares are summed in float64.",
  params: [
    model,
    group,
    { name: "by", type: { t: "choice", options: ["all", "layer"] }, default: "all", doc: "`all`: one norm over every parameter; `layer`: one per layer with parameters (dimension `layer`)." },
  ],
  resultFor: (args) => (args["by"] === "layer" ? { index: "layer" } : undefined),
  cites: papers.opposing,
  // A forward and a backward pass over the group (a backward pass costs about two forward passes).
  cost: (args, shape) => ({ forwardPasses: 3 * (shape.rows(args["data"]) ?? 0) }),
});

export const groupProbes: readonly Entry[] = [perSampleLoss, gradNorm];

const values = { name: "values", type: { t: "ref", of: "probe" }, doc: "A probe or an analysis." } as const;
const k = { name: "k", type: { t: "number", integer: true, min: 1 }, doc: "How many points the set holds (all of a group's points when it has fewer)." } as const;

export const diff = analysisEntry({
  name: "diff",
  kind: "analysis",
  doc: "The change between consecutive measurements, per series: at each measured step but the first, the value there minus the value at the measurement before (numpy's `np.diff` along time); `diff(psl) over steps` with `psl = per_sample_loss(net, train)` is Δᵢ(t) = ℓᵢ(θ_t) − ℓᵢ(θ_{t−1}) for every point i. Keeps every dimension (a step's row is the change that ended there); `over` may only name `steps` (the default).",
  params: [values],
  cites: papers.opposing,
});

const INDICATOR =
  "An index set as data: the result keeps every dimension and is 1 on the chosen points and 0 elsewhere, so `(sum(psl * s) over point) / k` is the group's mean loss at every step and `mean(…)` of a condition over the set works the same way. Ties keep the earlier point; NaN values are never chosen. Chosen from values pinned to one step (`d[steps = 150]`), it is also a group probes of the same run can read (`grad_norm(net, train[s])`), found during the run at that step.";

export const topK = analysisEntry({
  name: "top_k",
  kind: "analysis",
  doc: `The k points with the largest values across the dimensions after \`over\`, in each group of the other dimensions: \`top_k(last(diff(psl) before 51 steps), k: 20) over point\` is, per seed, the 20 points whose loss rose most at step 50. ${INDICATOR}`,
  params: [values, k],
  cites: papers.opposing,
});

export const bottomK = analysisEntry({
  name: "bottom_k",
  kind: "analysis",
  doc: `The k points with the smallest values across the dimensions after \`over\`, in each group of the other dimensions (\`bottom_k(Δ, k: 20) over point\`: the points whose loss fell most). ${INDICATOR}`,
  params: [values, k],
  cites: papers.opposing,
});

export const peakStep = analysisEntry({
  name: "peak_step",
  kind: "analysis",
  doc: "The step at which a series is largest (the earliest on ties; NaN values never chosen; NaN when every value is), per remaining group: `peak_step(diff(total) after 40%)` is the step at which the total loss rose most (a loss spike), a step per seed for `d during [s, s + 1)` or `x after s`.",
  params: [{ name: "series", type: { t: "ref", of: "probe" }, doc: "A series over steps, e.g. `diff(total) over steps`." }],
  cites: papers.opposing,
});

export const groupAnalyses: readonly Entry[] = [diff, topK, bottomK, peakStep];
