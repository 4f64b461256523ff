/**
 * The feature-diversity family's schemas (Liu et al. 2021, the trap of feature diversity: P2, P3, P13):
 * how alike the hidden features of different samples are, per hidden layer — the mean pairwise cosine of
 * post-activation features and of their loss gradients over all, same-class or different-class pairs, and
 * the share of equal ReLU gates between sampled pairs. Schema only; ./probes.ts implements it.
 */
import { data, model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { probeEntry } from "../registry/entry.js";
import { pairCount } from "../sampling/entries.js";
import type { Entry, Lowered, Param, ProbeCostShape } from "../registry/types.js";
import { commonDirection } from "./common-direction-entry.js";

const layers = {
  name: "layers",
  type: { t: "list", of: { t: "number", integer: true, min: 0 }, minLength: 1 },
  default: null,
  doc: "Hidden layers measured, in this order along dimension `layer` (0 is `net.hidden[0]`; default: every hidden layer).",
} as const satisfies Param;

const pairs = {
  name: "pairs",
  type: { t: "choice", options: ["all", "same_class", "different_class"] },
  default: "all",
  doc: "Which distinct pairs of rows are averaged: all, pairs of one class, or pairs of two classes (these two need class labels).",
} as const satisfies Param;

const ZERO_ROWS =
  "A row whose vector is exactly zero (every unit of the layer dead at it) has no direction: it is left out of every pair, and field `zero` counts such rows.";

const PAIR_MEANS =
  "Computed without the m × m matrix: with f̂ = f/‖f‖ summed in float64, the mean over the m(m−1) ordered distinct pairs is (‖Σ f̂‖² − m)/(m(m−1)); `same_class` pools every same-class pair with equal weight, Σ_c(‖Σ_c f̂‖² − m_c) / Σ_c m_c(m_c−1) (a class of m_c rows weighs m_c(m_c−1)); `different_class` is the rest, (‖Σ f̂‖² − Σ_c‖Σ_c f̂‖²) / (m² − Σ_c m_c²). NaN when no such pair exists.";

/** Float64 work per row: a norm and a sum over every measured layer's width. */
const rowWork = (args: Readonly<Record<string, Lowered>>, shape: ProbeCostShape) => (shape.rows(args["data"]) ?? 0) * 3 * shape.layers.reduce((sum, l) => sum + l.width, 0);

export const featureCosine = probeEntry({
  name: "feature_cosine",
  kind: "probe",
  doc: `Mean cosine similarity cos(F(x), F(x')) of the post-activation features F of one hidden layer (what the next layer receives; a conv map flattened) over distinct pairs of rows of \`data\`, per seed: field \`cosine\` over dimension \`layer\` (entry k of \`layers\`), with \`zero\`. Falling feature diversity is a rising cosine (the paper's Fig. 2). ${PAIR_MEANS} ${ZERO_ROWS} One evaluation-mode forward pass over the rows (batch norm on running statistics).`,
  params: [model, data, layers, pairs],
  result: { index: "layer", fields: ["cosine", "zero"] },
  cites: papers.diversity,
  cost: (args, shape) => ({ forwardPasses: shape.rows(args["data"]) ?? 0, flops: rowWork(args, shape) }),
});

export const featureGradientCosine = probeEntry({
  name: "feature_gradient_cosine",
  kind: "probe",
  doc: `Mean cosine similarity of per-sample feature gradients ∂ℓ(x)/∂F(x), F a hidden layer's post-activation output (the paper's ∂L/∂F^(l), Fig. 2) and ℓ(x) the loss of row x alone, over distinct pairs of rows, per seed: field \`cosine\` over dimension \`layer\`, with \`zero\`. The gradient is taken with respect to the activation output, not the pre-activation: the pre-activation gradient is this one times the ReLU gates, so it would mix gate agreement (\`gate_agreement\`) into the measure. One evaluation-mode forward/backward of Σ_rows ℓ gives every row's δ = ∂ℓ/∂z of the next weighted layer, and ∂ℓ/∂F = δ·Wᵀ of that layer (needs a dense next layer; RUN040 otherwise). ${PAIR_MEANS} ${ZERO_ROWS}`,
  params: [model, data, layers, pairs],
  result: { index: "layer", fields: ["cosine", "zero"] },
  cites: papers.diversity,
  cost: (args, shape) => ({ forwardPasses: 3 * (shape.rows(args["data"]) ?? 0), flops: 2 * rowWork(args, shape) }),
});

export const gateAgreement = probeEntry({
  name: "gate_agreement",
  kind: "probe",
  doc: "Gate similarity (the paper's P13): the fraction of a hidden layer's ReLU gates (pre-activation > 0) that agree between the two rows of each sampled pair, 1 − Hamming/units, averaged over the pairs, per seed: field `agreement` over dimension `layer` (entry k of `layers`). The same patterns and Hamming distances as `hamming` (one pattern pass serves every layer): `1 − hamming(…, layers: [k], normalize: true).mean` is entry k. Pairs come from a sampler, drawn once per run and seed, e.g. `random_pairs(n: 5000)` or `knn(k: 5, class: different)`.",
  params: [
    model,
    data,
    { name: "pairs", type: { t: "entry", kind: "sampler" }, doc: "The pair sampler, e.g. `random_pairs(n: 5000)`." },
    layers,
  ],
  result: { index: "layer", fields: ["agreement"] },
  cites: papers.diversity,
  cost: (args, shape) => ({ forwardPasses: 2 * pairCount(args["pairs"]), flops: pairCount(args["pairs"]) * shape.layers.reduce((a, l) => a + l.width, 0) }),
});

export const diversityProbes: readonly Entry[] = [featureCosine, featureGradientCosine, gateAgreement, commonDirection];
