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
