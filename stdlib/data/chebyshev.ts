/**
 * Chebyshev polynomials of the first kind (edge-of-stability notes: Cohen et al.'s 1-D regression fits T_k on
 * evenly spaced x in [−1, 1] with full-batch GD).
 */
import type { Dataset } from "../../runtime/dataset.js";
import { grid1d, type GridAxis } from "./grid.js";
import { invalid } from "./inputs.js";
import { withTarget, type TargetFn } from "./target.js";

/** T_k(x) by the three-term recurrence T_{j+1} = 2x T_j − T_{j−1} (exact for every real x, not only |x| ≤ 1). */
export function chebyshevT(k: number, x: number): number {
  if (!Number.isInteger(k) || k < 0) invalid(`Chebyshev degree must be a non-negative integer, got ${k}`);
  if (k === 0) return 1;
  let previous = 1;
  let current = x;
  for (let j = 1; j < k; j++) [previous, current] = [current, 2 * x * current - previous];
  return current;
}

/** The target x ↦ T_k(x) of a one-input table. */
export function chebyshevTarget(degree: number): TargetFn {
  chebyshevT(degree, 0); // validate the degree once, up front
  return (cols) => {
    if (cols.length !== 1) invalid(`a Chebyshev target needs one input variable, got ${cols.length}`);
    return cols[0]!.map((x) => chebyshevT(degree, x));
  };
}

/** `chebyshev(degree: k, n: 40, x in [-1, 1])`: T_k on a grid (default: n evenly spaced points of [−1, 1]). */
export function chebyshev(options: { name: string; degree: number; n?: number; axis?: GridAxis }): Dataset {
  const axis = options.axis ?? { name: "x", lo: -1, hi: 1, n: options.n ?? invalid("chebyshev needs n or an axis") };
  return withTarget(options.name, grid1d(axis), chebyshevTarget(options.degree));
}
