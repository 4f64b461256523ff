/**
 * The leading eigenvector of a symmetric matrix by power iteration, and the reordering by it that makes
 * condensed groups of a cosine-similarity matrix show as blocks (the condensation probes and the heatmap).
 */

/** A symmetric matrix (e.g. cosine similarities) reordered, and the order its rows and columns follow. */
export interface ReorderedMatrix {
  /** n × n row-major, n = m; rows of zero-norm neurons (no direction) are NaN and placed last. */
  readonly values: Float64Array;
  readonly n: number;
  /** order[i] = the neuron shown at row/column i. */
  readonly order: Int32Array;
}

/**
 * The eigenvector of the largest eigenvalue of a symmetric matrix (NaN entries read as 0), by power
 * iteration on D + I: the shift makes the largest algebraic eigenvalue dominant for a cosine matrix,
 * whose eigenvalues are ≥ 0 (a Gram matrix). Float64, deterministic start vector.
 */
export function leadingEigenvector(matrix: Float64Array, n: number, iterations = 300): Float64Array {
  let v = new Float64Array(n).map((_, i) => 1 + i / (n * 7)); // not orthogonal to any planted block
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = v[i]!;
      for (let j = 0; j < n; j++) {
        const d = matrix[i * n + j]!;
        if (!Number.isNaN(d)) sum += d * v[j]!;
      }
      next[i] = sum;
    }
    const norm = Math.hypot(...next);
    if (!(norm > 0)) break;
    let change = 0;
    for (let i = 0; i < n; i++) {
      next[i] = next[i]! / norm;
      change = Math.max(change, Math.abs(next[i]! - v[i]!));
    }
    v = next;
    if (change < 1e-12) break;
  }
  return v;
}

/** Rows/columns sorted by the leading eigenvector's entries (NaN rows last); the matrix permuted accordingly. */
export function reorderByLeadingEigenvector(matrix: Float64Array, n: number): ReorderedMatrix {
  const vec = leadingEigenvector(matrix, n);
  const dead = (i: number): boolean => Number.isNaN(matrix[i * n + i]!);
  const order = Int32Array.from([...Array(n).keys()].sort((a, b) => Number(dead(a)) - Number(dead(b)) || vec[a]! - vec[b]! || a - b));
  return { values: permute(matrix, n, order), n, order };
}

function permute(matrix: Float64Array, n: number, order: Int32Array): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = matrix[order[i]! * n + order[j]!]!;
  return out;
}

/** σ_max of a matrix by power iteration, the right singular vector it converged to, and the iterations taken. */
export interface TopSingular {
  readonly sigma: number;
  /** Unit vector of length `cols` (a start vector for the next call on a nearby matrix). */
  readonly vector: Float64Array;
  readonly iterations: number;
}

/**
 * The largest singular value of the rows × cols row-major matrix `a`, by power iteration on AᵀA without
 * forming it (v ← AᵀAv/‖AᵀAv‖, two products per step). σ is √(vᵀAᵀAv) = ‖Av‖ for the unit v, a lower bound
 * that converges quadratically in the vector's error; it stops when σ² changes by less than tol·σ² or
 * after `iters` steps. `start` (length cols, e.g. the previous call's vector) defaults to a fixed vector
 * with no zero entry. Float64 throughout.
 */
export function largestSingularValue(a: ArrayLike<number>, rows: number, cols: number, iters: number, tol: number, start?: Float64Array): TopSingular {
  let v = start && start.length === cols && norm(start) > 0 ? scaled(start, 1 / norm(start)) : new Float64Array(cols).map((_, i) => 1 + i / (cols * 7));
  v = scaled(v, 1 / norm(v));
  const av = new Float64Array(rows);
  let lambda = NaN;
  let iterations = 0;
  for (let it = 1; it <= iters; it++) {
    iterations = it;
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += a[i * cols + j]! * v[j]!;
      av[i] = sum;
    }
    const next = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const x = av[i]!;
      if (x !== 0) for (let j = 0; j < cols; j++) next[j]! += a[i * cols + j]! * x;
    }
    const previous = lambda;
    lambda = norm(av) ** 2; // vᵀAᵀAv with ‖v‖ = 1
    const size = norm(next);
    if (!(size > 0)) return { sigma: 0, vector: v, iterations };
    v = scaled(next, 1 / size);
    if (Math.abs(lambda - previous) <= tol * lambda) break;
  }
  // The Rayleigh quotient of the last (better) vector.
  let last = 0;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += a[i * cols + j]! * v[j]!;
    last += sum * sum;
  }
  return { sigma: Math.sqrt(Math.max(last, Number.isNaN(lambda) ? 0 : lambda)), vector: v, iterations };
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function scaled(v: Float64Array, k: number): Float64Array {
  return v.map((x) => x * k);
}
