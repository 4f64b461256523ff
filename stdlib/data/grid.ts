/**
 * Evenly spaced grids with inclusive or exclusive ends: `grid(t in [0, 1), n: 2048)` is t_i = i/2048,
 * i = 0..2047 (numpy's `arange(0, 1, 1/2048)`); `grid(x in [-1, 1], n: 201)` is `linspace(-1, 1, 201)`.
 */
import { checkCount, invalid, type InputTable } from "./inputs.js";

/** Which ends of `[lo, hi]` belong to the grid: both `[lo, hi]`, left `[lo, hi)`, right `(lo, hi]`, none `(lo, hi)`. */
export type GridEnds = "both" | "left" | "right" | "none";

export interface GridAxis {
  /** Input variable name, e.g. `t`. */
  readonly name: string;
  readonly lo: number;
  readonly hi: number;
  /** Number of grid points on this axis. */
  readonly n: number;
  /** Defaults to `both`. */
  readonly ends?: GridEnds;
}

/** The n values of one axis in float64: spacing (hi−lo)/(n−1), /n, /n or /(n+1) by which ends are included. */
export function gridValues(axis: GridAxis): Float64Array {
  const { lo, hi } = axis;
  const n = checkCount(axis.n, `grid size of ${axis.name}`);
  const ends = axis.ends ?? "both";
  if (!(hi > lo)) invalid(`grid ${axis.name} needs lo < hi, got [${lo}, ${hi}]`);
  if (ends === "both" && n === 1) invalid(`grid ${axis.name} over [${lo}, ${hi}] with both ends needs n >= 2`);
  const out = new Float64Array(n);
  const [intervals, offset] = { both: [n - 1, 0], left: [n, 0], right: [n, 1], none: [n + 1, 1] }[ends];
  for (let i = 0; i < n; i++) out[i] = lo + ((i + offset) * (hi - lo)) / intervals;
  // Pin an included right end exactly (the division above can round it away from hi).
  if (ends === "both" || ends === "right") out[n - 1] = hi;
  return out;
}

/** A 1-D grid as an input table. */
export function grid1d(axis: GridAxis): InputTable {
  return gridInputs([axis]);
}

/** A 2-D grid (first axis slowest: point (i, j) is row i·n₂ + j, numpy's `meshgrid(..., indexing="ij")`). */
export function grid2d(first: GridAxis, second: GridAxis): InputTable {
  return gridInputs([first, second]);
}

/** The Cartesian product of several axes, first axis slowest. */
export function gridInputs(axes: readonly GridAxis[]): InputTable {
  if (axes.length === 0) invalid("a grid needs at least one axis");
  const values = axes.map(gridValues);
  const d = axes.length;
  const n = values.reduce((count, v) => count * v.length, 1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let rest = i;
    for (let j = d - 1; j >= 0; j--) {
      const len = values[j]!.length;
      x[i * d + j] = values[j]![rest % len]!;
      rest = Math.floor(rest / len);
    }
  }
  return { n, names: axes.map((a) => a.name), x };
}
