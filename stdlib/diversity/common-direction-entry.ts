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
    "The primary common direction of a dense layer's per-sample weight changes (feature diversity, P4/P6): at each call it takes every row x of `data`, its δ = ∂ℓ_x/∂z (z the layer's output before the activation) and its input a, and adds the per-sample gradients g_x = δ aᵀ (−ΔW|x/η for plain SGD; the layer's bias is left out) to G = mean over calls and rows of g_x g_xᵀ = mean ‖a‖² δδᵀ (fan-out × fan-out, float64). " +
    "C₁..C_k are the top k eigenvectors of G (directions in the layer's output space; V|x = g_xᵀC the per-sample coefficients in its input space), found by Lanczos with deflation. " +
    "Per direction i (dimension `direction`, 0 the primary): `strength` √λᵢ = ‖Cᵢ Vᵢᵀ‖_F / √(calls·rows) (Table 1: the primary ≈ 10× the next); `share` λᵢ / trace G; `alignment` (P8) the features' alignment with the mean update's coefficients V̄ᵢ = ḡᵀCᵢ: per class (argmax of the targets) the mean over its rows of cos(V̄ᵢ, a_x) at this call, its absolute value (C's sign is arbitrary), averaged over the classes; `neuron_alignment` (P12) the mean over the layer's input units j of |cos(w_j, Cᵢ)|, w_j the weights from unit j to the layer (the paper's columns of W). " +
    "Stateful: the window is the probe's cadence: every call adds to G, each result covers the calls so far, or the last `window` calls (per seed: an event adds to the seeds it fired for; checkpoints keep the sums). δ comes from the current parameters in evaluation mode, a proxy for the step's update: with momentum, weight decay or adaptive optimizers the actual update is a different mix of past gradients.",
  params: [
    model,
    data,
    { name: "layer", type: { t: "number", integer: true, min: 0 }, default: 0, doc: "Which hidden dense layer: 0 is `net.hidden[0]`." },
    { name: "k", type: { t: "number", integer: true, min: 1, max: 64 }, default: 5, doc: "How many deflated directions to report." },
    { name: "window", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Accumulate over the last `window` calls only (default: every call since the run started)." },
  ],
  result: { index: "direction", fields: ["strength", "share", "alignment", "neuron_alignment"] },
  cites: papers.diversity,
  // One forward/backward (≈ 3 forward passes) per row; per row fanOut² + fanIn·fanOut float64 multiply-adds
  // (G and the mean gradient); Lanczos with deflation ≈ 2·k·fanOut products of G with a vector.
  cost: (args, shape) => {
    const { fanIn, width } = layerShape(args, shape);
    const rows = shape.rows(args["data"]) ?? 0;
    const k = Number(args["k"] ?? 5);
    return { forwardPasses: 3 * rows, flops: 2 * rows * width * (width + fanIn) + 4 * k * width ** 3 };
  },
});
