/**
 * The schema of `common_direction` (feature diversity, Liu et al. 2021: P4, P6–P8, P12). Schema only; the
 * implementation (./common-direction.ts) imports it.
 */
import { data, model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { probeEntry } from "../registry/entry.js";
import type { Lowered, ProbeCostShape } from "../registry/types.js";

/** The dense layer `layer: k` names: its input width and its units (fan-out). */
const layerShape = (args: Readonly<Record<string, Lowered>>, shape: ProbeCostShape) => shape.layers[Number(args["layer"] ?? 0)] ?? { fanIn: 0, width: 0 };

export const commonDirection = probeEntry({
  name: "common_direction",
  kind: "probe",
  doc:
    "The primary common direction of a dense layer's per-sample weight changes (feature diversity, P4/P6): G = mean over (step, row) pairs of g_x g_xᵀ = mean ‖a_x‖² δ_x δ_xᵀ (fan-out × fan-out, float64), g_x = δ_x a_xᵀ the per-sample weight change (ΔW|x = −(η/B) g_x under plain SGD; a the layer's input, δ_x = ∂ℓ/∂z_x, z its output before norm and activation; the bias left out). " +
    "`updates: steps` (default): the rows of every training batch, at the parameters its update starts from, in the step's mode (batch norm on the batch's statistics, so δ_x = B·∂L_batch/∂z_x and Σ_x g_x is the step's gradient; running statistics untouched, dropout off): the actual updates of the steps in the window (each measurement covers the steps before it). `updates: data`: every row of `data` at the current parameters in evaluation mode, at each call (a proxy). " +
    "C₁..C_k are the top k eigenvectors of G (directions in the layer's output space; V|x = g_xᵀC the per-sample coefficients in its input space), found by Lanczos with deflation. " +
    "Per direction i (dimension `direction`, 0 the primary): `strength` √λᵢ = ‖Cᵢ Vᵢᵀ‖_F / √(pairs) (Table 1: the primary ≈ 10× the next); `mean_strength` ‖ḡᵀCᵢ‖, the mean update ḡ = mean g_x along Cᵢ (‖Cᵢ V̄ᵢᵀ‖_F; under `updates: steps` the window's mean step per row); `share` λᵢ / trace G; `alignment` (P8) per class (argmax of the targets) the mean over its rows of `data` at this call of cos(V̄ᵢ, a_x) with V̄ᵢ = ḡᵀCᵢ, its absolute value (C's sign is arbitrary), averaged over the classes; `neuron_alignment` (P12) the mean over the layer's input units j of |cos(w_j, Cᵢ)|, w_j the weights from unit j to the layer (the paper's columns of W). NaN while the window holds no rows (at step 0 with `updates: steps`). " +
    "Stateful: every call closes a part of the window (the steps since the previous call, or this call's rows of `data`); each result covers all parts so far, or the last `window` (per seed: an event adds to the seeds it fired for; checkpoints keep the sums). η is dropped (strengths in gradient units); with momentum a row's gradient reaches W over later steps too, η/(1−m) in all, so G keeps its directions; L2/weight decay is not per-sample and is left out.",
  params: [
    model,
    data,
    { name: "layer", type: { t: "number", integer: true, min: 0 }, default: 0, doc: "Which hidden dense layer: 0 is `net.hidden[0]`." },
    { name: "k", type: { t: "number", integer: true, min: 1, max: 64 }, default: 5, doc: "How many deflated directions to report." },
    { name: "window", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Accumulate over the last `window` calls only (each call's part: the steps since the previous call, or its rows of `data`); default: every call since the run started." },
    {
      name: "updates",
      type: { t: "choice", options: ["steps", "data"] },
      default: "steps",
      doc: "Whose per-sample changes G accumulates: `steps`, the training batches' rows at every step (the updates SGD took); `data`, every row of `data` at each call (current parameters, evaluation mode). `data` is only used for the alignment with `steps`.",
    },
  ],
  result: { index: "direction", fields: ["strength", "mean_strength", "share", "alignment", "neuron_alignment"] },
  cites: papers.diversity,
  // Per call: `updates: data` one forward/backward (≈ 3 forward passes) per row of `data`, per row fanOut² +
  // fanIn·fanOut float64 multiply-adds (G and the mean gradient); `steps` one forward per row (the alignment's
  // features) here, and between calls a forward/backward of every training batch (not counted: it depends on
  // the cadence); Lanczos with deflation ≈ 2·k·fanOut products of G with a vector.
  cost: (args, shape) => {
    const { fanIn, width } = layerShape(args, shape);
    const rows = shape.rows(args["data"]) ?? 0;
    const k = Number(args["k"] ?? 5);
    const perRow = args["updates"] === "data" ? { passes: 3, flops: 2 * width * (width + fanIn) } : { passes: 1, flops: 0 };
    return { forwardPasses: perRow.passes * rows, flops: rows * perRow.flops + 4 * k * width ** 3 };
  },
});
