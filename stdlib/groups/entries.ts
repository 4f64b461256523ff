/**
 * The groups family's schemas: measurements per training point and per group of points, the vocabulary of
 * Rosenfeld & Risteski's opposing signals (per-sample losses every step, gradient norms of small groups
 * against random groups of the same size). A group is a data reference: a whole data set, its rows
 * `train[0..19]` / `train[[3, 17, 42]]`, or `random_subset(train, 20)` (compiler/check/evaluate.ts lowers
 * them to `{ ref, rows | random }`, stdlib/probes/env.ts resolves them). Schema only; ./probes.ts implements it.
 */
import { data, model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { probeEntry } from "../registry/entry.js";
import type { Entry } from "../registry/types.js";

const group = { ...data, doc: "The points: a data set, some of its rows (`train[0..19]`, `train[[3, 17]]`) or `random_subset(train, 20)`." } as const;

export const perSampleLoss = probeEntry({
  name: "per_sample_loss",
  kind: "probe",
  doc: "The loss ℓᵢ(θ) of every point i of `data` (dimension `point`, in the data set's row order), per seed, evaluation mode, without the `l2` term. Measured every step it is stored compactly: one array `tensors/<probe>/<run>/seed<s>.npy` of shape [measurements, points] per run and seed, with the steps in `seed<s>_steps.npy`. Free under full-batch training on the training set when the model has no dropout or batch norm (train and evaluation mode agree): the training step's own per-sample loss at θ_t is reused; otherwise one forward pass over `data`. `diff(psl) over steps` is Δᵢ = ℓᵢ(θ_t) − ℓᵢ(θ_{t−1}); `mean(diff(psl) > 0) over point` the fraction of points whose loss rose; `top_k(diff(psl), k: 20) over point` the points whose loss rose most.",
  params: [model, group],
  result: { index: "point", stacked: true },
  cites: papers.opposing,
  cost: (args, shape) => ({ forwardPasses: shape.rows(args["data"]) ?? 0 }),
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
