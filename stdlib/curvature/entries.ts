/**
 * The curvature family's schemas: Hessian-based probes (Cohen et al.'s sharpness). Schema only; the
 * implementations in this folder import it.
 */
import { data, model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { probeEntry } from "../registry/entry.js";
import type { Entry } from "../registry/types.js";

export const sharpness = probeEntry({
  name: "sharpness",
  kind: "probe",
  doc: "Sharpness: the top eigenvalue λ_max(∇²L) of the Hessian of the run's loss on `data` (without the `l2` term) with respect to every parameter, per seed (Cohen et al. 2021, Gradient Descent on Neural Networks Typically Occurs at the Edge of Stability: under GD it rises to ≈ 2/η). Power iteration on Hessian-vector products (nested autodiff, evaluation mode) from a Gaussian start drawn from the seed, stopping when the Rayleigh quotient changes by less than `tol` relative or after `iters` products; strictly it is the eigenvalue of largest magnitude, the top one whenever no negative eigenvalue is larger in magnitude. Each HVP costs about two backward passes over the subset.",
  params: [
    model,
    data,
    { name: "iters", type: { t: "number", integer: true, min: 1 }, default: 20, doc: "Largest number of power iterations (Hessian-vector products)." },
    { name: "tol", type: { t: "number", min: 0 }, default: 0.001, doc: "Relative change of the estimate between iterations below which a seed stops." },
    { name: "samples", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Evaluate on this many evenly spaced rows of `data` (Cohen et al.'s abridged subset; default: all rows)." },
    { name: "batch", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Rows per Hessian-vector pass (physical batch, for memory; the result does not depend on it)." },
  ],
  cites: papers.opposing,
  // At most `iters` HVPs over the subset (fewer when every seed converges first).
  cost: (args, shape) => {
    const n = shape.rows(args["data"]) ?? 0;
    const rows = typeof args["samples"] === "number" ? Math.min(args["samples"], n) : n;
    return { hvps: Number(args["iters"]) * rows };
  },
});

export const curvatureProbes: readonly Entry[] = [sharpness];
