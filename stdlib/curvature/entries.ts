/**
 * The curvature family's schemas: probes of the Hessian of the run's loss (Cohen et al.'s sharpness, the
 * top-k spectrum, the trace and the spectral density, after PyHessian). Schema only; the implementations in
 * this folder import it. Every probe multiplies by the Hessian through one Hessian-vector product
 * (./operator.ts) whose knobs — the abridged subset, the physical batch, batch-norm statistics, exact or
 * finite-difference products — are the shared `hvpParams` below.
 */
import { data, model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { probeEntry } from "../registry/entry.js";
import type { Entry, Lowered, Param, ProbeCostShape } from "../registry/types.js";

const samples = { name: "samples", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Evaluate on this many rows of `data` (Cohen et al.'s abridged subset; default: all rows)." } as const satisfies Param;
const subset = {
  name: "subset",
  type: { t: "choice", options: ["spaced", "first", "random"] },
  default: "spaced",
  doc: "Which `samples` rows: evenly spaced (row ⌊k·n/m⌋), the first m (Cohen et al.), or m distinct rows drawn once per run from the seed. The same rows at every call.",
} as const satisfies Param;
const batch = { name: "batch", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Rows per Hessian-vector pass (physical batch, for memory; passes are summed in float64, so the result does not depend on it — except batch-norm statistics under `bn: batch`, which are each pass's)." } as const satisfies Param;
const bn = {
  name: "bn",
  type: { t: "choice", options: ["batch", "running"] },
  default: "batch",
  doc: "Batch norm during the products: `batch` normalises with the statistics of the rows evaluated (training mode, as Cohen et al. measure; running statistics untouched, dropout off), `running` with the running statistics (evaluation mode).",
} as const satisfies Param;
const hvp = {
  name: "hvp",
  type: { t: "choice", options: ["exact", "difference"] },
  default: "exact",
  doc: "Hessian-vector products by double backward (`exact`; for plain dense MLPs, batch norm after their dense layers included, Pearlmutter's R-operator: in native code on the native path, else in tfjs ops; the same product up to float32 rounding), or by the central difference (∇L(θ+εv) − ∇L(θ−εv))/2ε, ε = 1e-3·(1 + RMS θ) (`difference`: two gradients per product, ~1e-4 relative error, wrong where ±εv crosses a kink — a ReLU or a max-pool switch; for ops tfjs cannot differentiate twice).",
} as const satisfies Param;

/** The Hessian-vector product's knobs, shared by every curvature probe. */
const hvpParams = [samples, subset, batch, bn, hvp] as const;

/** Rows one product evaluates per seed. */
function subsetSize(args: Readonly<Record<string, Lowered>>, shape: ProbeCostShape): number {
  const n = shape.rows(args["data"]) ?? 0;
  return typeof args["samples"] === "number" ? Math.min(args["samples"], n) : n;
}

/** `products` Hessian-vector products over the subset (a `difference` product is two gradients, priced like one exact HVP). */
const hvpCost = (products: number, args: Readonly<Record<string, Lowered>>, shape: ProbeCostShape) => ({ hvps: products * subsetSize(args, shape) });

const eigenParams = [
  model,
  data,
  { name: "method", type: { t: "choice", options: ["lanczos", "power"] }, default: "lanczos", doc: "Lanczos with full reorthogonalisation (largest algebraic eigenvalues), or power iteration with deflation (PyHessian's; see the doc line for which eigenvalues it returns)." },
  { name: "iters", type: { t: "number", integer: true, min: 1 }, default: 100, doc: "Largest number of Hessian-vector products per call (power: per eigenvalue)." },
  { name: "tol", type: { t: "number", min: 0 }, default: 0.001, doc: "Stop once every wanted eigenpair's residual ‖Hv − λv‖ is below tol·|λ| (Lanczos: of the Ritz pairs). An eigenvalue lies within the residual of λ, and a converged one is typically within residual²/gap, far closer." },
  ...hvpParams,
  { name: "warm", type: { t: "bool" }, default: true, doc: "Start from the previous call's eigenvectors (plus a random component), as the Hessian moves little between calls; `false`: a fresh random start every call." },
] as const;

const eigenDoc =
  "Lanczos (the default) runs on Hessian-vector products with full reorthogonalisation in float64, solves the tridiagonal eigenproblem in float64 and stops when every wanted Ritz pair's residual is below `tol` relative (a bound on the eigenvalue error), so the defaults agree with a dense float64 eigen-solve to ~1e-3 or better; it returns the largest *algebraic* eigenvalues (a dominant negative eigenvalue is not the sharpness). Like any single-vector Krylov method it may list an exactly repeated eigenvalue (one forced by a symmetry) once; close but distinct ones are resolved. `method: power` is power iteration with deflation (PyHessian): it converges to the eigenvalue of largest magnitude and, when that is negative, restarts on H − λI, so it returns the largest algebraic ones too, more slowly. Warm-started from the previous call's eigenvectors, which later probes of the run can read (stdlib/curvature/eigen-board.ts).";

export const hessian = probeEntry({
  name: "hessian",
  kind: "probe",
  doc: `The top-k eigenvalues λ₁ ≥ … ≥ λ_k of the Hessian ∇²L of the run's loss on \`data\` (without the \`l2\` term) with respect to every parameter, per seed, along dimension \`eigenvalue\` (0 = the largest). ${eigenDoc} After Cohen et al. 2021 (the sharpness λ₁ under GD rises to ≈ 2/η) and PyHessian (Yao et al. 2020).`,
  params: [...eigenParams.slice(0, 2), { name: "k", type: { t: "number", integer: true, min: 1 }, default: 1, doc: "How many of the largest eigenvalues." }, ...eigenParams.slice(2)],
  result: { index: "eigenvalue" },
  publishes: "eigenpairs",
  reorthogonalises: true,
  cites: papers.pyhessian,
  // At most `iters` products over the subset (power iteration: per eigenvalue); warm starts usually stop far earlier.
  cost: (args, shape) => hvpCost(Number(args["iters"]) * (args["method"] === "power" ? Number(args["k"]) : 1), args, shape),
});

export const sharpness = probeEntry({
  name: "sharpness",
  kind: "probe",
  doc: `Sharpness: the top eigenvalue λ_max(∇²L) of the Hessian of the run's loss on \`data\` (without the \`l2\` term), per seed — \`hessian(…, k: 1)\` as one number per seed (use \`hessian\` for the top k). Cohen et al. 2021, Gradient Descent on Neural Networks Typically Occurs at the Edge of Stability: under GD of step η it rises to ≈ 2/η. ${eigenDoc}`,
  params: eigenParams,
  publishes: "eigenpairs",
  reorthogonalises: true,
  cites: papers.edgeOfStability,
  cost: (args, shape) => hvpCost(Number(args["iters"]), args, shape),
});

export const hessianTrace = probeEntry({
  name: "hessian_trace",
  kind: "probe",
  doc: "The trace of the Hessian of the run's loss on `data` (without the `l2` term), per seed, by Hutchinson's estimator tr H ≈ (1/N)·Σ zᵀHz over N Rademacher vectors z drawn from the seed and the call (PyHessian, Yao et al. 2020); `trace.stderr` is the estimate's standard error, the sample standard deviation of zᵀHz over √N (zero on a diagonal Hessian). Stops after `vectors` products, or earlier once the standard error is below `tol` relative to |trace| (after at least 10).",
  params: [
    model,
    data,
    { name: "vectors", type: { t: "number", integer: true, min: 1 }, default: 100, doc: "Largest number of random vectors (one Hessian-vector product each)." },
    { name: "tol", type: { t: "number", min: 0 }, default: 0.01, doc: "Stop once the standard error is below tol·|trace| (0: always use `vectors`)." },
    ...hvpParams,
  ],
  result: { fields: ["value", "stderr"] },
  cites: papers.pyhessian,
  cost: (args, shape) => hvpCost(Number(args["vectors"]), args, shape),
});

export const hessianDensity = probeEntry({
  name: "hessian_density",
  kind: "probe",
  doc: "The spectral density of the Hessian of the run's loss on `data`, per seed, by stochastic Lanczos quadrature (PyHessian, Yao et al. 2020; Ghorbani et al. 2019): for each of `vectors` Gaussian start vectors, `steps` Lanczos steps (full reorthogonalisation, float64) give nodes θⱼ (Ritz values) and weights wⱼ (squared first components of the tridiagonal's eigenvectors). Along dimension `node`, `density` holds the nodes and `density.weight` their weights divided by `vectors` (they sum to 1): the density is Σⱼ wⱼ·δ(λ − θⱼ), to be smoothed with a Gaussian of chosen width for a plot. Nodes the Krylov space ran out of (a Hessian of fewer than `steps` dimensions) are NaN with weight 0.",
  params: [
    model,
    data,
    { name: "vectors", type: { t: "number", integer: true, min: 1 }, default: 1, doc: "Random start vectors (PyHessian's n_v)." },
    { name: "steps", type: { t: "number", integer: true, min: 1 }, default: 40, doc: "Lanczos steps per vector (Hessian-vector products; the nodes per vector)." },
    ...hvpParams,
  ],
  result: { index: "node", fields: ["value", "weight"] },
  reorthogonalises: true,
  cites: papers.pyhessian,
  cost: (args, shape) => hvpCost(Number(args["vectors"]) * Number(args["steps"]), args, shape),
});

// ── probes along another probe's eigenvector ─────────────────────────────────────────────────────────────

const along = {
  name: "along",
  type: { t: "ref", of: "probe", publishes: "eigenpairs" },
  doc: "The `hessian` or `sharpness` probe whose eigenvector v is used: its latest call's, per seed (a probe declared after it sees the same step's; NaN before its first call). A probe measured once (`at first(…)`, `at 100`) gives a fixed v.",
} as const satisfies Param;
const eigenIndex = { name: "index", type: { t: "number", integer: true, min: 0 }, default: 0, doc: "Which of its eigenvectors: 0 = the top eigenvalue's (NaN when it measured fewer)." } as const satisfies Param;
const alongDoc = "An eigenvector's sign is arbitrary (Lanczos may flip it between calls): read signed values against one fixed v.";

export const curvature = probeEntry({
  name: "curvature",
  kind: "probe",
  doc: `The curvature of the loss on \`data\` along another probe's eigenvector v: the Rayleigh quotient vᵀHv / vᵀv of the Hessian H of the run's loss on \`data\` (without the \`l2\` term), one Hessian-vector product per seed. On the data set the eigenvector was measured on, at the step it was measured, this is its eigenvalue; on a subset (a group of points), the group's curvature along the global top direction (Rosenfeld & Risteski 2024, Fig. 2).`,
  params: [model, data, along, eigenIndex, ...hvpParams],
  cost: (args, shape) => hvpCost(1, args, shape),
});

export const eigenShare = probeEntry({
  name: "eigen_share",
  kind: "probe",
  doc: "How another probe's eigenvector v spreads over the layers: ‖v_ℓ‖² / ‖v‖² for each layer ℓ with parameters (its weight and bias entries), along dimension `layer` in the model's layer order; the shares sum to 1. Where the curvature lives (Rosenfeld & Risteski 2024, App. D: in the first layer).",
  params: [model, along, eigenIndex],
  result: { index: "layer" },
  // a square and a sum per parameter
  cost: (_args, shape) => ({ flops: 2 * shape.params }),
});

export const project = probeEntry({
  name: "project",
  kind: "probe",
  doc: `The parameters projected on another probe's unit eigenvector v: ⟨θ_t, v⟩, per seed (θ flat over every parameter). With v fixed (the \`hessian\` probe measured once), its trace shows the iterates crossing the valley along v (Rosenfeld & Risteski 2024, Fig. 6b). ${alongDoc}`,
  params: [model, along, eigenIndex],
  // one inner product over the parameters
  cost: (_args, shape) => ({ flops: 2 * shape.params }),
});

export const stepAlong = probeEntry({
  name: "step_along",
  kind: "probe",
  doc: "The effective step along another probe's unit eigenvector v: |⟨θ_t − θ_prev, v⟩|, per seed, where θ_prev are the parameters at this probe's previous call (measured `every 1 steps`, the step of one update; NaN at the first call). Its state, the previous parameters, is checkpointed. Adam's step along the top direction falls toward 0 where GD's does not (Rosenfeld & Risteski 2024, Fig. 6b).",
  params: [model, along, eigenIndex],
  // a difference and an inner product over the parameters (plus the copy it keeps)
  cost: (_args, shape) => ({ flops: 3 * shape.params }),
});

export const curvatureProbes: readonly Entry[] = [sharpness, hessian, hessianTrace, hessianDensity, curvature, eigenShare, project, stepAlong];
