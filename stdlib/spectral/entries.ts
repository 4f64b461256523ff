/**
 * The spectral family's schemas (Lazzari & Liu 2023, the spectral bias of coordinate MLPs): the spectral
 * norms of a network's weight matrices (P10), the distance of data points to the nearest neuron boundary
 * (P9) and the distance matrix of an input encoding over a data set (P6). Schema only; the implementations
 * in this folder import it. The paper's hyperplane cosine matrix (P7) is `cosine_similarity` (condensation).
 */
import { data, model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { probeEntry } from "../registry/entry.js";
import type { Entry, Lowered, ProbeCostShape } from "../registry/types.js";

/** Largest data set `encoding_distance` accepts by default: a 64 × 64 grid (a 4096² matrix, 64 MB per seed). */
export const ENCODING_DISTANCE_MAX_POINTS = 4096;

/** Multiply-adds of one product WᵀWv over the hidden layers (the output layer's fan-out is not in the shape; counted as 1). */
function hiddenGramProduct(shape: ProbeCostShape): number {
  const last = shape.layers.at(-1)?.width ?? 0;
  return shape.layers.reduce((sum, l) => sum + 2 * l.fanIn * l.width, 0) + 2 * last;
}

export const spectralNorm = probeEntry({
  name: "spectral_norm",
  kind: "probe",
  doc: "σ_max of every weight matrix (dense and conv layers in forward order, the output layer last; biases excluded), per seed, as field `sigma` over dimension `layer` (0 = the first weighted layer). A conv kernel [k, k, C_in, C_out] counts as its (k·k·C_in) × C_out matrix, not as the convolution operator. Lanczos on WᵀW in float64 (power iteration keeping its Krylov space, with full reorthogonalisation), warm-started from the previous call's singular vector; the estimate is a Ritz value, so it never exceeds σ_max. The product over layers (the paper's Lipschitz bound): `prod(sn.sigma) over layer`.",
  params: [
    model,
    { name: "iters", type: { t: "number", integer: true, min: 1 }, default: 150, doc: "Largest number of Lanczos steps (products WᵀWv) per matrix and call." },
    { name: "tol", type: { t: "number", min: 0 }, default: 1e-12, doc: "Stop once σ² changes by less than tol·σ² between checks (every 4 steps)." },
  ],
  result: { index: "layer", fields: ["sigma"] },
  cites: papers.spectral,
  cost: (args, shape) => ({ flops: 2 * Number(args["iters"]) * hiddenGramProduct(shape) }),
});

/** Hidden pre-activations of every row; the gradient method adds one forward and two backward passes per input dimension. */
function boundaryCost(args: Readonly<Record<string, Lowered>>, shape: ProbeCostShape) {
  const rows = shape.rows(args["data"]) ?? 0;
  // The gradient method differentiates once per raw input dimension; the first layer's fan-in bounds it (it is the encoded width).
  const directions = args["method"] === "gradient" ? (shape.layers[0]?.fanIn ?? 1) : 0;
  return { forwardPasses: rows * (1 + 5 * directions), flops: 3 * rows * shape.layers.reduce((sum, l) => sum + l.width, 0) };
}

export const boundaryDistance = probeEntry({
  name: "boundary_distance",
  kind: "probe",
  doc: "Mean over the rows of `data` of the distance to the nearest neuron boundary (a hidden pre-activation zᵢ(x) = 0), per seed. `method: weights` (the authors' code): min over neurons of |zᵢ(x)|/‖wᵢ‖, wᵢ the neuron's input weights in its own layer's input space (the encoded input for the first layer, the previous layer's activations after), bias excluded. `method: gradient`: min over neurons of |zᵢ(x)|/‖∇ₓzᵢ(x)‖, the first-order distance in the data's own input space (through the model's encoding, if any); exact for the first layer of an unencoded ReLU net. Neurons with ‖wᵢ‖ = 0 or ∇ₓzᵢ = 0 have no boundary and are left out. Dense hidden layers only; `weights` needs no batch/layer norm (z = w·h + b). Cost: `weights` one forward pass per row; `gradient` about five passes per row and raw input dimension.",
  params: [
    model,
    data,
    { name: "method", type: { t: "choice", options: ["weights", "gradient"] }, default: "weights", doc: "`weights`: |z|/‖w‖ per layer (the authors'); `gradient`: |z|/‖∇ₓz‖ in input space." },
    { name: "layers", type: { t: "list", of: { t: "number", integer: true, min: 0 } }, default: null, doc: "Hidden layers whose neurons count (0 is `net.hidden[0]`; default: all)." },
  ],
  cites: papers.spectral,
  cost: boundaryCost,
});

/** γ's output width for two input coordinates (the encoding's input width is not in the cost shape). */
function encodedWidth(encoding: Lowered | undefined): number {
  const spec = (encoding ?? {}) as { kind?: string; L?: number; features?: number; include_input?: boolean };
  const raw = spec.include_input ? 2 : 0;
  if (spec.kind === "fourier") return 4 * (spec.L ?? 1) + raw;
  if (spec.kind === "gaussian_features") return 2 * (spec.features ?? 1) + raw;
  return 2;
}

export const encodingDistance = probeEntry({
  name: "encoding_distance",
  kind: "probe",
  doc: "The n × n matrix ‖γ(xᵢ) − γ(xⱼ)‖ over the rows of `data` (in row order: a `grid` row by row) for an input encoding γ (`fourier(L: 5)`, `coords(range: [-1, 1])`, `gaussian_features(…)` with each seed's own frequencies), computed with the encoding layer's own code and written as .npy per seed for `plot heatmap`. The encoding is not trained, so one call (`at start`) suffices. Data sets above `max_points` rows are refused: the matrix takes 4n² bytes per seed.",
  params: [
    { name: "encoding", type: { t: "entry", kind: "encoding" }, doc: "The encoding γ, e.g. `fourier(L: 5)`." },
    data,
    { name: "max_points", type: { t: "number", integer: true, min: 1 }, default: ENCODING_DISTANCE_MAX_POINTS, doc: "Largest data set accepted (n² entries are recorded per seed)." },
  ],
  result: { matrix: true },
  cites: papers.spectral,
  cost: (args, shape) => {
    const n = shape.rows(args["data"]) ?? 0;
    return { flops: 3 * n * n * encodedWidth(args["encoding"]) };
  },
});

export const spectralProbes: readonly Entry[] = [spectralNorm, boundaryDistance, encodingDistance];
