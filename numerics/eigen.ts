/**
 * The leading eigenvector of a symmetric matrix by power iteration, and the reordering by it that makes
 * condensed groups of a cosine-similarity matrix show as blocks (the condensation probes and the heatmap);
 * the largest singular value of a matrix by Lanczos (spectral_norm).
 */
import { fdlibmSin } from "./fdlibm.js";
import { hypotOf } from "./hypot.js";
import { symmetricEigen } from "./linalg.js";

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
    const norm = hypotOf(next); // not Math.hypot: engine-defined last bits
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

/** σ_max of a matrix, the right singular vector it converged to, and the Krylov steps taken. */
export interface TopSingular {
  readonly sigma: number;
  /** Unit vector of length `cols` (a start vector for the next call on a nearby matrix). */
  readonly vector: Float64Array;
  readonly iterations: number;
}

/** How often (in steps) Lanczos checks the top Ritz value for convergence. */
const CHECK_EVERY = 4;

/**
 * The largest singular value of the rows × cols row-major matrix `a`, by Lanczos on AᵀA (never formed: two
 * products per step) with full reorthogonalisation. Lanczos is power iteration that keeps the whole Krylov
 * space: on random matrices, whose top singular values crowd together, plain power iteration needs
 * thousands of steps where Lanczos needs tens. σ² is the top eigenvalue of the tridiagonal T (a Ritz value:
 * a Rayleigh quotient of AᵀA, so σ never exceeds σ_max; exact once the space is invariant). Stops when σ²
 * changes by less than tol·σ² between checks, after `iters` steps, or at cols steps. `start` (length
 * cols, e.g. the previous call's vector) defaults to a fixed vector with no zero entry. Float64 throughout.
 */
export function largestSingularValue(a: ArrayLike<number>, rows: number, cols: number, iters: number, tol: number, start?: Float64Array): TopSingular {
  const first = start && start.length === cols && norm(start) > 0 ? start : new Float64Array(cols).map((_, i) => 1 + i / (cols * 7));
  const basis: Float64Array[] = [scaled(first, 1 / norm(first))];
  const alpha: number[] = [];
  const beta: number[] = [];
  const av = new Float64Array(rows);
  let lambda = NaN;
  const steps = Math.min(iters, cols);
  for (let j = 0; j < steps; j++) {
    const q = basis[j]!;
    const w = gramProduct(a, rows, cols, q, av);
    alpha.push(dot(q, w));
    // Full reorthogonalisation, twice ("twice is enough"): keeps the basis orthogonal in floating point.
    for (let pass = 0; pass < 2; pass++) for (const b of basis) axpy(w, b, -dot(b, w));
    const size = norm(w);
    // An invariant Krylov space (w ≈ 0 against the scale of AᵀA): its Ritz values are exact eigenvalues.
    const done = j + 1 === steps || !(size > 1e-13 * Math.max(...alpha.map(Math.abs)));
    if (done || j === 0 || (j + 1) % CHECK_EVERY === 0) {
      const previous = lambda;
      lambda = topTridiagonalEigenvalue(alpha, beta);
      if (done || Math.abs(lambda - previous) <= tol * lambda) break;
    }
    beta.push(size);
    basis.push(scaled(w, 1 / size));
  }
  const k = alpha.length;
  const t = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? alpha[i]! : Math.abs(i - j) === 1 ? beta[Math.min(i, j)]! : 0)));
  const ritz = symmetricEigen(t).vectors[0]!;
  const vector = new Float64Array(cols);
  ritz.forEach((y, i) => axpy(vector, basis[i]!, y));
  const size = norm(vector);
  return { sigma: Math.sqrt(Math.max(0, lambda)), vector: size > 0 ? scaled(vector, 1 / size) : basis[0]!, iterations: k };
}

/** AᵀAq (av is scratch of length rows). */
function gramProduct(a: ArrayLike<number>, rows: number, cols: number, q: Float64Array, av: Float64Array): Float64Array {
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += a[i * cols + j]! * q[j]!;
    av[i] = sum;
  }
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const x = av[i]!;
    if (x !== 0) for (let j = 0; j < cols; j++) out[j]! += a[i * cols + j]! * x;
  }
  return out;
}

/**
 * The largest eigenvalue of the symmetric tridiagonal matrix with diagonal `alpha` and off-diagonal `beta`
 * (beta.length ≥ alpha.length − 1), by bisection on the Sturm count inside the Gershgorin bounds.
 */
export function topTridiagonalEigenvalue(alpha: readonly number[], beta: readonly number[]): number {
  const k = alpha.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < k; i++) {
    const r = (i > 0 ? Math.abs(beta[i - 1]!) : 0) + (i < k - 1 ? Math.abs(beta[i]!) : 0);
    lo = Math.min(lo, alpha[i]! - r);
    hi = Math.max(hi, alpha[i]! + r);
  }
  // Eigenvalues greater than x: the count of negative pivots of T − x·I, subtracted from k.
  const above = (x: number): number => {
    let below = 0;
    let d = 1;
    for (let i = 0; i < k; i++) {
      d = alpha[i]! - x - (i > 0 ? beta[i - 1]! ** 2 / d : 0);
      if (d === 0) d = -1e-300;
      if (d < 0) below++;
    }
    return k - below;
  };
  for (let it = 0; it < 200 && hi - lo > 1e-15 * Math.max(Math.abs(lo), Math.abs(hi)); it++) {
    const mid = (lo + hi) / 2;
    if (above(mid) >= 1) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** y += k·x, in place. */
function axpy(y: Float64Array, x: Float64Array, k: number): void {
  for (let i = 0; i < y.length; i++) y[i]! += k * x[i]!;
}

function norm(v: Float64Array): number {
  return Math.sqrt(dot(v, v));
}

function scaled(v: Float64Array, k: number): Float64Array {
  return v.map((x) => x * k);
}

/**
 * The first principal direction of n points in R^d (rows of `points`, row-major): the unit eigenvector of
 * the largest eigenvalue of the covariance (1/n) Σ (xᵢ − x̄)(xᵢ − x̄)ᵀ, by power iteration on the centred
 * points (two products per step, never the d × d matrix). Float64; deterministic start; the sign makes the
 * largest-magnitude component positive. NaN entries when the points do not vary.
 */
export function firstPrincipalDirection(points: ArrayLike<number>, n: number, d: number, iterations = 2000): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += points[i * d + j]! / n;
  const covarianceTimes = (v: Float64Array): Float64Array => {
    const out = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let j = 0; j < d; j++) t += (points[i * d + j]! - mean[j]!) * v[j]!;
      for (let j = 0; j < d; j++) out[j]! += ((points[i * d + j]! - mean[j]!) * t) / n;
    }
    return out;
  };
  let v: Float64Array = new Float64Array(d).map((_, j) => 1 + fdlibmSin(j + 1) / 2); // not orthogonal to a generic direction
  for (let it = 0; it < iterations; it++) {
    const next = covarianceTimes(v);
    const size = hypotOf(next);
    if (!(size > 0)) return new Float64Array(d).fill(NaN);
    let change = 0;
    for (let j = 0; j < d; j++) {
      next[j] = next[j]! / size;
      change = Math.max(change, Math.abs(next[j]! - v[j]!));
    }
    v = next;
    if (change < 1e-13) break;
  }
  let top = 0;
  for (let j = 1; j < d; j++) if (Math.abs(v[j]!) > Math.abs(v[top]!)) top = j;
  return v[top]! < 0 ? v.map((x) => -x) : v;
}
