/**
 * Small dense linear algebra in float64 JS numbers for the lottery-ticket probes: least squares by
 * Householder QR (backward stable: on the distillation refits, whose condition numbers reach 1e8 and more,
 * the residual is accurate down to a loss of ~1e-16, see test/lottery/distill.test.ts), condition numbers
 * by one-sided Jacobi SVD, and the symmetric eigenproblem by cyclic Jacobi rotations (parameter-space PCA).
 */
import { hypot2 } from "./hypot.js";

/** The least-squares solution of min ‖A·coef − y‖₂ with A given as columns, and its residual y − A·coef. */
export interface LeastSquares {
  readonly coef: number[];
  readonly residual: Float64Array;
  /** σ_max/σ_min of A (the singular values of R); Infinity when A is rank-deficient. */
  readonly cond: number;
}

/** Solves min ‖A·coef − y‖₂ by Householder QR; `columns[j]` is column j of A (each of length y.length). */
export function leastSquares(columns: readonly ArrayLike<number>[], y: ArrayLike<number>): LeastSquares {
  const m = y.length;
  const n = columns.length;
  if (n === 0 || m < n || columns.some((c) => c.length !== m)) {
    throw new RangeError(`least squares needs columns of ${m} rows and at most ${m} columns, got ${n} of lengths ${columns.map((c) => c.length).join(", ")}`);
  }
  const a = columns.map((c) => Float64Array.from(c)); // column-major copy, overwritten by R and the reflectors
  const b = Float64Array.from(y);
  for (let k = 0; k < n; k++) reflect(a, b, k);
  const coef = new Array<number>(n).fill(0);
  // A pivot at rounding level (≤ m·ε·max|rⱼⱼ|) marks a column that is numerically a combination of the
  // earlier ones: dividing by it would turn rounding noise into huge coefficients whose products swamp the
  // residual, so that column gets coefficient 0 (the others then fit what it would have).
  const tiny = m * Number.EPSILON * Math.max(...Array.from({ length: n }, (_, k) => Math.abs(a[k]![k]!)));
  for (let k = n - 1; k >= 0; k--) {
    let s = b[k]!;
    for (let j = k + 1; j < n; j++) s -= a[j]![k]! * coef[j]!;
    const r = a[k]![k]!;
    coef[k] = Math.abs(r) <= tiny ? 0 : s / r;
  }
  const residual = Float64Array.from(y);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) residual[i]! -= columns[j]![i]! * coef[j]!;
  // The condition number costs a Jacobi SVD of R (O(n³) per sweep): computed only when asked for, so a
  // refit of many columns that needs only its residual does not pay for it.
  let cond: number | undefined;
  return {
    coef,
    residual,
    get cond() {
      cond ??= conditionOfR(a, n);
      return cond;
    },
  };
}

/** One Householder step: zero column k below the diagonal, applying the reflector to later columns and b. */
function reflect(a: Float64Array[], b: Float64Array, k: number): void {
  const col = a[k]!;
  const m = col.length;
  let norm = 0;
  for (let i = k; i < m; i++) norm = hypot2(norm, col[i]!); // not Math.hypot: engine-defined last bits
  if (norm === 0) return;
  const alpha = col[k]! > 0 ? -norm : norm;
  const v = new Float64Array(m - k);
  v[0] = col[k]! - alpha;
  for (let i = k + 1; i < m; i++) v[i - k] = col[i]!;
  let vv = 0;
  for (const x of v) vv += x * x;
  if (vv === 0) return;
  const apply = (target: Float64Array): void => {
    let dot = 0;
    for (let i = k; i < m; i++) dot += v[i - k]! * target[i]!;
    const f = (2 * dot) / vv;
    for (let i = k; i < m; i++) target[i]! -= f * v[i - k]!;
  };
  for (let j = k; j < a.length; j++) apply(a[j]!);
  apply(b);
}

/**
 * σ_max/σ_min of the upper-triangular n×n R stored in the first n rows of the columns, from R's singular
 * values by one-sided Jacobi (Hestenes) rotations. Not from the eigenvalues of RᵀR: squaring the condition
 * number loses everything beyond ~1e8, and the distillation refits reach 1e9 and more.
 */
function conditionOfR(a: Float64Array[], n: number): number {
  const cols = Array.from({ length: n }, (_, j) => Float64Array.from({ length: n }, (_, i) => (i <= j ? a[j]![i]! : 0)));
  const sigma = singularValuesOfColumns(cols);
  const hi = Math.max(...sigma);
  const lo = Math.min(...sigma);
  return lo > 0 ? hi / lo : Infinity;
}

/** Singular values of the matrix whose columns are `cols` (overwritten), by one-sided Jacobi rotations. */
export function singularValuesOfColumns(cols: Float64Array[]): number[] {
  const dot = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols.length; p++) {
      for (let q = p + 1; q < cols.length; q++) {
        const [x, y] = [cols[p]!, cols[q]!];
        const [alpha, beta, gamma] = [dot(x, x), dot(y, y), dot(x, y)];
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < x.length; i++) [x[i], y[i]] = [c * x[i]! - s * y[i]!, s * x[i]! + c * y[i]!];
      }
    }
    if (!rotated) break;
  }
  return cols.map((c) => Math.sqrt(dot(c, c)));
}

/** Eigenvalues (descending) and unit eigenvectors (`vectors[k]` belongs to `values[k]`) of a symmetric matrix. */
export function symmetricEigen(matrix: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off === 0 || off < 1e-30 * frobeniusSquared(a)) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) rotate(a, v, p, q);
  }
  const order = [...Array(n).keys()].sort((i, j) => a[j]![j]! - a[i]![i]!);
  return { values: order.map((i) => a[i]![i]!), vectors: order.map((i) => v.map((row) => row[i]!)) };
}

function frobeniusSquared(a: number[][]): number {
  let s = 0;
  for (const row of a) for (const x of row) s += x * x;
  return s;
}

/** One Jacobi rotation zeroing a[p][q] (and a[q][p]), accumulated into the eigenvector matrix v. */
function rotate(a: number[][], v: number[][], p: number, q: number): void {
  const apq = a[p]![q]!;
  if (apq === 0) return;
  const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  const n = a.length;
  for (let k = 0; k < n; k++) {
    const akp = a[k]![p]!;
    const akq = a[k]![q]!;
    a[k]![p] = c * akp - s * akq;
    a[k]![q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p]![k]!;
    const aqk = a[q]![k]!;
    a[p]![k] = c * apk - s * aqk;
    a[q]![k] = s * apk + c * aqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k]![p]!;
    const vkq = v[k]![q]!;
    v[k]![p] = c * vkp - s * vkq;
    v[k]![q] = s * vkp + c * vkq;
  }
}
