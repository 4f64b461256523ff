/**
 * The condensation family's schemas (condensation notes; Luo et al. 2021 phase diagram; Xu et al.
 * frequency principle): probes and analyses. Schema only; the implementations in this folder import it.
 */
import { model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { analysisEntry, probeEntry } from "../registry/entry.js";
import type { Entry, Param, ProbeCostShape, Rule } from "../registry/types.js";

const data = { name: "data", type: { t: "ref", of: "data" }, doc: "A data set with one input and one target column." } as const satisfies Param;
const layer = { name: "layer", type: { t: "number", integer: true, min: 0 }, default: 0, doc: "Which hidden layer: 0 is `net.hidden[0]`." } as const satisfies Param;
const bias = { name: "bias", type: { t: "bool" }, default: true, doc: "Fold the bias into each neuron's vector, wₖ = (W[:, k], bₖ)." } as const satisfies Param;
const probeResult = <const N extends string>(name: N, doc: string) => ({ name, type: { t: "ref", of: "probe" }, doc }) as const;
/** The layer, bias and channel slice of the cosine probes, dense or conv. */
const cosineLayer = { ...layer, doc: "Which hidden layer: 0 is `net.hidden[0]`; in a `cnn` conv blocks come first (0 is `net.convs[0]`)." } as const satisfies Param;
const cosineBias = { ...bias, default: null, doc: "Append each neuron's (kernel's) bias to its vector (default: yes, except for a `channel` slice, which has none)." } as const satisfies Param;
/** A channel slice of a conv kernel has no bias: the bias belongs to the whole kernel. */
const channelWithoutBias: Rule = {
  params: ["bias", "channel"],
  holds: (a) => a["channel"] === null || a["bias"] !== true,
  message: "a `channel` slice of a kernel has no bias (the bias belongs to the whole kernel); drop `bias: true` or `channel`",
};
const channel = { name: "channel", type: { t: "number", integer: true, min: 0 }, default: null, doc: "Conv layers: compare only input channel `channel`'s k×k slice of each kernel (default: kernels flattened whole, k·k·C_in values)." } as const satisfies Param;

/** The hidden layer a probe's `layer` argument names (fan-in and width), when the model has it. */
const layerShape = (args: Readonly<Record<string, unknown>>, shape: ProbeCostShape) => shape.layers[Number(args["layer"] ?? 0)] ?? { fanIn: 0, width: 0 };
/** m² dot products of (fan-in + 1)-vectors: the cosine matrix of a layer. */
const cosineCost = (args: Readonly<Record<string, unknown>>, shape: ProbeCostShape) => {
  const { fanIn, width } = layerShape(args, shape);
  return { flops: 2 * width * width * (fanIn + 1) };
};
/** The sweep variables holding γ and γ' (phase_regime, plot phase_plane). */
export const gammaParams = [
  { name: "gamma", type: { t: "string" }, default: "gamma", doc: "The sweep variable holding γ." },
  { name: "gamma_prime", type: { t: "string" }, default: "gamma_prime", doc: "The sweep variable holding γ'." },
] as const satisfies readonly Param[];

export const neuronFeatures = probeEntry({
  name: "neuron_features",
  kind: "probe",
  doc: "Per neuron of a hidden layer: `angle` (1-D input: atan2(bₖ, wₖ) ∈ [−π, π); more inputs: the projection ŵₖ·p, p = 1/√n), `amplitude` |aₖ|·‖wₖ‖ and `kink` −bₖ/wₖ (1-D; NaN otherwise). Dimension `neuron`; measured every N steps it gives per-neuron trajectories.",
  params: [model, layer, bias, { name: "project", type: { t: "list", of: { t: "number" } }, default: null, doc: "Projection vector p for high-dimensional inputs (default 1/√n in every component)." }],
  rules: [{ params: ["project"], holds: (a) => a["project"] === null || (a["project"] as number[]).some((x) => x !== 0), message: "`project` must be a non-zero vector (it is normalised to unit length)" }],
  result: { index: "neuron", fields: ["angle", "amplitude", "kink"] },
  cites: papers.condensation,
  cost: (args, shape) => ({ flops: 4 * layerShape(args, shape).width * (layerShape(args, shape).fanIn + 2) }),
});

export const cosineSimilarity = probeEntry({
  name: "cosine_similarity",
  kind: "probe",
  doc: "The m × m matrix D(u, v) = uᵀv/(‖u‖‖v‖) of a hidden layer's neuron vectors (a conv layer's kernels: m = output channels), per seed, written as .npy (`tensors/`); `order: eigen` sorts rows and columns by the leading eigenvector of D so condensed groups form blocks. Zero vectors get NaN rows, placed last. Lazzari & Liu's 2048 × 2048 hyperplane matrix (P7) stacks every hidden layer's weight rows (the first zero-padded): its diagonal blocks are `cosine_similarity(net, layer: k, bias: false, order: none)`; its off-diagonal blocks compare vectors of different layers' input spaces and are not measured.",
  params: [
    model,
    cosineLayer,
    cosineBias,
    channel,
    { name: "order", type: { t: "choice", options: ["eigen", "none"] }, default: "eigen", doc: "Row order: by the leading eigenvector, or neuron order." },
  ],
  rules: [channelWithoutBias],
  result: { matrix: true },
  cites: papers.condensation,
  cost: cosineCost,
});

export const cosineShare = probeEntry({
  name: "cosine_share",
  kind: "probe",
  doc: "How condensed a layer is, as numbers an `expect` can check: among the distinct pairs of its neuron vectors (conv kernels), the share with |D| > `above` (`aligned`), D > `above` (`parallel`) and D < −`above` (`opposite`), D the cosine similarity of `cosine_similarity`; zero vectors are left out.",
  params: [
    model,
    cosineLayer,
    cosineBias,
    channel,
    { name: "above", type: { t: "number", min: 0, below: 1 }, default: 0.9, doc: "Threshold on |D|." },
  ],
  rules: [channelWithoutBias],
  result: { fields: ["aligned", "parallel", "opposite"] },
  cites: papers.condensation,
  cost: cosineCost,
});

export const relativeChange = probeEntry({
  name: "relative_change",
  kind: "probe",
  doc: "RD = ‖θ_w(t) − θ_w(0)‖/‖θ_w(0)‖ of a hidden layer's input weights (and bias), per seed: the phase diagram's order parameter. The initial weights are rebuilt from the seeds, so no `at start` is needed. The regime is the slope of log RD vs log m over a width sweep: `fit_power_law(rd ~ width)`.",
  params: [model, layer, bias],
  cites: papers.condensation,
  cost: (args, shape) => ({ flops: 4 * layerShape(args, shape).width * (layerShape(args, shape).fanIn + 1) }),
});

export const condensedDirections = probeEntry({
  name: "condensed_directions",
  kind: "probe",
  doc: "Fields `directions` (groups of active neurons with cosine similarity > `similarity` to the group's leader), `active` (neurons with amplitude ≥ `active` × the largest), `kinks` (one input only: distinct kinks −b/w of those groups inside the range of `data`'s inputs; groups opening left and right at the same point share a kink, lines w·x + b = 0 with cosine > `similarity` once oriented to w > 0), `merged_width` (groups of all neurons that also share their activation pattern on `data` and output-weight sign, so the merge is exact there), `loss` and `merged_loss`: the loss on `data` of the network and of the merged network with one neuron per group (float64; one-hidden-layer MLPs). Merging uses σ(w·x) = ‖w‖σ(ŵ·x) for relu/leaky_relu/identity, the notes' mean-vector rule otherwise.",
  params: [
    model,
    data,
    layer,
    { name: "active", type: { t: "number", min: 0, max: 1 }, default: 0.05, doc: "Activity threshold as a fraction of the largest amplitude." },
    { name: "similarity", type: { t: "number", min: -1, max: 1 }, default: 0.99, doc: "Cosine similarity above which a neuron joins a group." },
  ],
  result: { fields: ["directions", "active", "kinks", "merged_width", "loss", "merged_loss"] },
  cites: papers.condensation,
  cost: (args, shape) => ({ flops: cosineCost(args, shape).flops + 4 * (shape.rows(args["data"]) ?? 0) * shape.forwardMultiplyAdds }),
});

export const frequencyError = probeEntry({
  name: "frequency_error",
  kind: "probe",
  doc: "Frequency principle: the target's `peaks` largest spectral peaks, or the listed `frequencies` (direct DFT; exact DFT on a uniform 1-D grid), and per peak (dimension `frequency`, lowest first) the relative error `error` = ‖Ŷₖ − Yₖ‖/‖Yₖ‖ of the network's output and its frequency `freq` = k/L. Inputs with more than one value (images) are projected on one direction, by default their first principal direction (Xu et al.'s projection method); several target columns (one-hot classes) are transformed column by column and compared by the norm over columns; a run trained with cross-entropy is compared through the softmax of its output.",
  params: [
    model,
    { ...data, doc: "A data set: one input (a 1-D function) or many (projected), one or more target columns." },
    { name: "peaks", type: { t: "number", integer: true, min: 1, max: 64 }, default: 4, doc: "How many peaks of the target's spectrum to follow." },
    { name: "frequencies", type: { t: "list", of: { t: "number", integer: true, min: 1 }, minLength: 1 }, default: null, doc: "Follow these frequencies instead of the target's peaks: k cycles over the range of the inputs (or of their projection), e.g. `[1, 4, 16, 64]`. For real data, whose projected spectrum falls from k = 0 into a noise floor without clear peaks." },
    { name: "project", type: { t: "list", of: { t: "number" } }, default: null, doc: "Direction to project the inputs on, one component per input value (default: one input is used as it is; more are projected on their first principal direction)." },
  ],
  rules: [{ params: ["project"], holds: (a) => a["project"] === null || (a["project"] as number[]).some((x) => x !== 0), message: "`project` must be a non-zero vector (it is normalised to unit length)" }],
  result: { index: "frequency", fields: ["error", "freq"] },
  cites: papers.frequency,
  cost: (args, shape) => ({ forwardPasses: shape.rows(args["data"]) ?? 0, flops: 8 * Number(args["peaks"]) * (shape.rows(args["data"]) ?? 0) }),
});

export const learnedFunction = probeEntry({
  name: "learned_function",
  kind: "probe",
  doc: "The network's output on every sample of a 1-D data set (dimension `point`): fields `x`, `output`, `target`; at several steps it gives snapshots of the learned function against the data.",
  params: [model, data],
  result: { index: "point", fields: ["x", "output", "target"] },
  cites: papers.condensation,
  cost: (args, shape) => ({ forwardPasses: shape.rows(args["data"]) ?? 0 }),
});

export const condensationProbes: readonly Entry[] = [neuronFeatures, cosineSimilarity, cosineShare, relativeChange, condensedDirections, frequencyError, learnedFunction];

export const convergenceStep = analysisEntry({
  name: "convergence_step",
  kind: "analysis",
  doc: "The first step at which a series drops to `below` or less (NaN if it never does), per remaining group: `convergence_step(fp.error, below: 0.1)` gives, per frequency peak, when it was learned.",
  params: [probeResult("series", "A series over steps, e.g. `fp.error`."), { name: "below", type: { t: "number", above: 0 }, doc: "Threshold." }],
  cites: papers.frequency,
});

export const phaseRegime = analysisEntry({
  name: "phase_regime",
  kind: "analysis",
  doc: "The regime Luo et al.'s phase diagram predicts for each row from its sweep values γ and γ' (γ' = 0 when not swept): −1 linear (γ < 1 or γ' > γ − 1), 0 critical (on the boundary), 1 condensed (γ > 1 and γ' < γ − 1).",
  params: [
    probeResult("rows", "A table whose rows carry the γ (and γ') sweep values."),
    ...gammaParams,
  ],
  cites: papers.condensation,
});

export const slopeRegime = analysisEntry({
  name: "slope_regime",
  kind: "analysis",
  doc: "The regime a slope of log RD vs log m indicates: −1 (linear) below −`tolerance`, 1 (condensed) above `tolerance`, 0 (critical) in between; takes slopes or `fit_power_law` fits (their exponent).",
  params: [probeResult("slope", "Slopes, or fits of RD against width."), { name: "tolerance", type: { t: "number", min: 0 }, default: 0.1, doc: "Half-width of the critical band." }],
  cites: papers.condensation,
});

export const condensationAnalyses: readonly Entry[] = [convergenceStep, phaseRegime, slopeRegime];
