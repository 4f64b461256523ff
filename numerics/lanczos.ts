/**
 * Symmetric eigenproblems through matrix-vector products only, in float64: Lanczos with full
 * reorthogonalisation (top-k eigenpairs; the nodes and weights of stochastic Lanczos quadrature) and power
 * iteration with deflation, both as steppers — the caller asks for the vector to multiply, multiplies it
 * (for the Hessian: one seed-batched Hessian-vector product advances every seed's stepper at once) and hands
 * the product back. The tridiagonal eigenproblem is solved by implicit QL (tqli), eigenvectors included.
 * The reorthogonalisation, the steps' O(dim·steps) loop, is a strategy (`VectorKernels`) the caller may inject:
 * the JS one here by default, native code where the caller's layer has it (this folder imports nothing outside it).
 */
import { hypot2 } from "./hypot.js";

/**
 * The steppers' O(dim·steps) float64 loop, which a caller may serve otherwise (runtime/kernels/native-lanczos.ts):
 * orthogonalising against a growing basis of orthonormal vectors.
 */
export interface VectorKernels {
  /** An empty basis for vectors of length `dim`. */
  basis(dim: number): OrthogonalBasis;
}

/** Orthonormal vectors to orthogonalise against (the Krylov basis; the eigenvectors found so far). */
export interface OrthogonalBasis {
  /** Appends a unit vector orthogonal to the others; it must not change afterwards (an implementation may keep it). */
  push(v: Float64Array): void;
  /** Vector b as pushed (the same array, or a copy where the implementation keeps its own): not to be changed. */
  vector(b: number): Float64Array;
  /**
   * w minus its components along the basis, in place, by classical Gram–Schmidt twice (as `orthogonalizeTwice`:
   * every coefficient of a pass from the same w, then the subtractions). An implementation may sum the dot
   * products in another order: results then differ at rounding level.
   */
  orthogonalizeTwice(w: Float64Array): void;
  /**
   * out += Σ_b coefficients[b]·v_b over the first coefficients.length vectors (Ritz vectors), each element's sum
   * in order of b — exactly as repeated `axpy`, so every implementation gives the same bits.
   */
  accumulate(coefficients: ArrayLike<number>, out: Float64Array): void;
}

/** Eigenvalues in descending order and the matching unit eigenvectors (`vectors[i]` has length n, or the rows asked for). */
export interface TridiagonalEigen {
  readonly values: Float64Array;
  readonly vectors: readonly Float64Array[];
}

/**
 * The eigen-decomposition of the symmetric tridiagonal matrix with diagonal `alpha` (length n) and
 * off-diagonal `beta` (the first n − 1 entries are used), by the implicit QL method with Wilkinson shifts
 * (Numerical Recipes' tqli), accumulating the rotations into the eigenvectors. O(n²) per eigenvalue.
 * `rows` (default: all) picks the eigenvectors' components to accumulate; each vector then holds those, in that
 * order. Each rotation acts on every component on its own, so they are the numbers the full accumulation gives,
 * at O(n·rows) per eigenvalue: a Lanczos stepper's residuals need only the last component, each step.
 */
export function tridiagonalEigen(alpha: ArrayLike<number>, beta: ArrayLike<number>, rows?: readonly number[]): TridiagonalEigen {
  const n = alpha.length;
  const d = Float64Array.from(alpha);
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = beta[i]!;
  // z[r][i]: component rows[r] of eigenvector i (starts as the identity's rows).
  const z = (rows ?? [...Array(n).keys()]).map((k) => Float64Array.from({ length: n }, (_, i) => (i === k ? 1 : 0)));
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (iter === 100) throw new RangeError("tridiagonal eigenproblem: no convergence after 100 QL iterations");
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = hypot2(g, 1); // not Math.hypot: engine-defined last bits
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = hypot2(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (const zk of z) {
          const t = zk[i + 1]!;
          zk[i + 1] = s * zk[i]! + c * t;
          zk[i] = c * zk[i]! - s * t;
        }
      }
      if (underflow) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  const order = [...Array(n).keys()].sort((a, b) => d[b]! - d[a]!);
  return { values: Float64Array.from(order, (i) => d[i]!), vectors: order.map((i) => Float64Array.from(z, (row) => row[i]!)) };
}

/** A converged (or last) estimate of one eigenpair. */
export interface Eigenpair {
  readonly value: number;
  /** Unit vector. */
  readonly vector: Float64Array;
  /** ‖A·x − θ·x‖ for the Ritz pair (exact in exact arithmetic: β_j·|last component|). */
  readonly residual: number;
}

/**
 * Lanczos with full reorthogonalisation on a symmetric operator of dimension `dim`, as a stepper:
 * `vector()` is the unit vector to multiply next, `accept(product)` takes A·vector(). The Krylov basis is
 * kept in float64 and each new direction is orthogonalised against all of it twice ("twice is enough"), so
 * the Ritz values stay free of the ghost copies plain Lanczos produces in floating point. After j steps
 * the Ritz values (eigenvalues of the j×j tridiagonal T) approximate A's extreme eigenvalues; the top-k ones
 * are the largest *algebraic* eigenvalues (a dominant negative eigenvalue is not among them).
 */
export class Lanczos {
  /** The Krylov basis, kept by the injected kernels (one copy: the wasm kernels keep theirs in wasm memory). */
  private readonly basis: OrthogonalBasis;
  private readonly alpha: number[] = [];
  private readonly beta: number[] = [];
  /** True once the Krylov space is invariant (the next direction vanished): the Ritz values are exact. */
  private invariant = false;

  constructor(
    readonly dim: number,
    start: Float64Array,
    kernels: VectorKernels = jsVectorKernels,
  ) {
    const size = norm(start);
    if (start.length !== dim || !(size > 0)) throw new RangeError(`Lanczos needs a nonzero start vector of length ${dim}`);
    this.basis = kernels.basis(dim);
    this.basis.push(scaled(start, 1 / size));
  }

  /** Steps taken (products accepted). */
  get steps(): number {
    return this.alpha.length;
  }

  /** Whether another step can add anything (false once the space is invariant or spans every dimension). */
  get canStep(): boolean {
    return !this.invariant && this.alpha.length < this.dim;
  }

  /** The vector whose product `accept` expects next (the basis's array, or a copy: see `OrthogonalBasis.vector`). */
  vector(): Float64Array {
    return this.basis.vector(this.alpha.length);
  }

  accept(product: Float64Array): void {
    const j = this.alpha.length;
    const q = this.basis.vector(j);
    const w = Float64Array.from(product);
    const a = dot(q, w);
    this.alpha.push(a);
    this.basis.orthogonalizeTwice(w);
    const size = norm(w);
    const largest = Math.max(...this.alpha.map(Math.abs), ...this.beta.map(Math.abs));
    if (!(size > 1e-10 * largest) || j + 1 === this.dim) {
      this.invariant = true;
      this.beta.push(0);
      return;
    }
    this.beta.push(size);
    scale(w, 1 / size); // w is this stepper's own copy: normalised in place, no second 326 KB array per step of case (h)
    this.basis.push(w);
  }

  /** The eigen-decomposition of the current T (with `rows`: those components of its eigenvectors, as tridiagonalEigen). */
  tridiagonal(rows?: readonly number[]): TridiagonalEigen {
    return tridiagonalEigen(this.alpha, this.beta, rows);
  }

  /**
   * The top-k Ritz pairs (largest algebraic first) with their residuals ‖A·x − θ·x‖ = β_j·|y_last|: some
   * eigenvalue of A lies within the residual of each Ritz value (and the error of a converged one is about
   * residual²/gap, far smaller). `withVectors` forms the Ritz vectors (k·j·dim work).
   */
  ritz(k: number, withVectors: boolean): Eigenpair[] {
    const j = this.alpha.length;
    // Without vectors only the last components are needed (the residuals): y holds component j − 1 alone.
    const t = this.tridiagonal(withVectors ? undefined : [j - 1]);
    const last = this.beta[j - 1] ?? 0;
    return t.vectors.slice(0, Math.min(k, j)).map((y, i) => {
      let vector: Float64Array = new Float64Array(0);
      if (withVectors) {
        vector = new Float64Array(this.dim);
        this.basis.accumulate(y, vector);
        const size = norm(vector);
        if (size > 0) vector = scaled(vector, 1 / size);
      }
      return { value: t.values[i]!, vector, residual: Math.abs(last * y[y.length - 1]!) };
    });
  }

  /**
   * Stochastic Lanczos quadrature for a start vector v of unit norm: vᵀ f(A) v ≈ Σᵢ wᵢ f(θᵢ) with nodes θᵢ
   * the Ritz values and weights wᵢ the squared first components of T's eigenvectors (they sum to 1).
   */
  quadrature(): { nodes: Float64Array; weights: Float64Array } {
    const t = this.tridiagonal([0]);
    return { nodes: t.values, weights: Float64Array.from(t.vectors, (y) => y[0]! * y[0]!) };
  }
}

/**
 * Power iteration with deflation for the top-k eigenpairs (PyHessian's method), as a stepper like
 * `Lanczos`. Each pair iterates v ← A·v / ‖A·v‖ orthogonalised against the pairs found before it, until the
 * residual ‖A·v − λ·v‖ is at most tol·|λ| (then the Rayleigh quotient λ is within ~residual²/gap) or `iters`
 * products. Power iteration converges to the eigenvalue of largest *magnitude*; when that is negative and
 * the largest algebraic one is wanted, the pair restarts on A − λ·I (every eigenvalue shifted to ≥ 0), whose
 * dominant eigenvalue is the top one.
 */
export class PowerIteration {
  readonly found: Eigenpair[] = [];
  /** The found pairs' vectors, kept by the injected kernels. */
  private readonly deflation: OrthogonalBasis;
  private v: Float64Array;
  private value = NaN;
  private stepsOnPair = 0;
  private shift = 0;
  private total = 0;

  constructor(
    readonly dim: number,
    private readonly k: number,
    private readonly iters: number,
    private readonly tol: number,
    /** Start vector of pair i (warm start or random); called once per pair. */
    private readonly start: (i: number) => Float64Array,
    private readonly algebraic: boolean,
    kernels: VectorKernels = jsVectorKernels,
  ) {
    this.deflation = kernels.basis(dim);
    this.v = this.deflated(start(0));
  }

  get steps(): number {
    return this.total;
  }

  get done(): boolean {
    return this.found.length >= Math.min(this.k, this.dim);
  }

  vector(): Float64Array {
    return this.v;
  }

  accept(product: Float64Array): void {
    this.total++;
    this.stepsOnPair++;
    const w = Float64Array.from(product);
    axpy(w, this.v, -this.shift);
    this.deflate(w);
    const lambda = dot(this.v, w);
    const r = Float64Array.from(w);
    axpy(r, this.v, -lambda);
    const residual = norm(r);
    const size = norm(w);
    const converged = residual <= this.tol * Math.abs(lambda) || !(size > 0) || this.stepsOnPair >= this.iters;
    this.value = lambda;
    if (!converged) {
      this.v = scaled(w, 1 / size);
      return;
    }
    if (this.algebraic && this.shift === 0 && lambda < 0 && this.stepsOnPair < this.iters) {
      // The dominant eigenvalue is negative: restart on A − λ·I, whose dominant eigenvalue is λ_max − λ.
      this.shift = lambda;
      this.stepsOnPair = 0;
      this.v = this.deflated(this.start(this.found.length));
      return;
    }
    this.found.push({ value: this.value + this.shift, vector: this.v, residual });
    this.deflation.push(this.v);
    this.stepsOnPair = 0;
    if (!this.done) this.v = this.deflated(this.start(this.found.length));
  }

  private deflate(w: Float64Array): void {
    this.deflation.orthogonalizeTwice(w);
  }

  private deflated(v: Float64Array): Float64Array {
    const w = Float64Array.from(v);
    this.deflate(w);
    const size = norm(w);
    if (!(size > 0)) throw new RangeError("power iteration: the start vector lies in the span of the pairs already found");
    return scaled(w, 1 / size);
  }
}

/**
 * w minus its components along the orthonormal `vectors`, twice ("twice is enough": the second pass removes what
 * rounding left of the first), by classical Gram–Schmidt in blocks of four: the four coefficients of a block are
 * read in one pass over w, then subtracted in one more. Why not modified Gram–Schmidt (a dot and an axpy per
 * vector): the same arithmetic, but each vector's pass over w is a chain of dependent additions, and on case (h)'s
 * 40,801 parameters × up to 60 vectors that loop was half of the probe (~0.48 s); blocks of four run the four
 * chains side by side (~1.7× in a micro-benchmark). Two passes of classical Gram–Schmidt orthogonalise to working
 * precision as two of modified do (test/curvature/lanczos.test.ts).
 */
export function orthogonalizeTwice(w: Float64Array, vectors: readonly Float64Array[]): void {
  const h = new Float64Array(vectors.length);
  for (let pass = 0; pass < 2; pass++) {
    let b = 0;
    for (; b + 3 < vectors.length; b += 4) dots4(w, vectors, b, h);
    for (; b < vectors.length; b++) h[b] = dot(vectors[b]!, w);
    b = 0;
    for (; b + 3 < vectors.length; b += 4) subtract4(w, vectors, b, h);
    for (; b < vectors.length; b++) axpy(w, vectors[b]!, -h[b]!);
  }
}

/** The JS kernels (`orthogonalizeTwice` below): the steppers' default. */
export const jsVectorKernels: VectorKernels = {
  basis() {
    const vectors: Float64Array[] = [];
    return {
      push: (v) => vectors.push(v),
      vector: (b) => vectors[b]!,
      orthogonalizeTwice: (w) => orthogonalizeTwice(w, vectors),
      accumulate: (c, out) => accumulate(c, vectors, out),
    };
  },
};

/** out += Σ_b coefficients[b]·vectors[b] over the first coefficients.length vectors, by repeated axpy. */
export function accumulate(coefficients: ArrayLike<number>, vectors: readonly Float64Array[], out: Float64Array): void {
  for (let b = 0; b < coefficients.length; b++) axpy(out, vectors[b]!, coefficients[b]!);
}

/** h[b..b+3] = vectors[b..b+3] · w, in one pass over w. */
function dots4(w: Float64Array, vectors: readonly Float64Array[], b: number, h: Float64Array): void {
  const [v0, v1, v2, v3] = [vectors[b]!, vectors[b + 1]!, vectors[b + 2]!, vectors[b + 3]!];
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < w.length; i++) {
    const wi = w[i]!;
    s0 += v0[i]! * wi;
    s1 += v1[i]! * wi;
    s2 += v2[i]! * wi;
    s3 += v3[i]! * wi;
  }
  [h[b], h[b + 1], h[b + 2], h[b + 3]] = [s0, s1, s2, s3];
}

/** w −= Σ h[b+i]·vectors[b+i] for i < 4, in one pass over w. */
function subtract4(w: Float64Array, vectors: readonly Float64Array[], b: number, h: Float64Array): void {
  const [v0, v1, v2, v3] = [vectors[b]!, vectors[b + 1]!, vectors[b + 2]!, vectors[b + 3]!];
  const [h0, h1, h2, h3] = [h[b]!, h[b + 1]!, h[b + 2]!, h[b + 3]!];
  for (let i = 0; i < w.length; i++) w[i]! -= h0 * v0[i]! + h1 * v1[i]! + h2 * v2[i]! + h3 * v3[i]!;
}

export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** y += k·x, in place. */
export function axpy(y: Float64Array, x: ArrayLike<number>, k: number): void {
  for (let i = 0; i < y.length; i++) y[i]! += k * x[i]!;
}

export function norm(v: ArrayLike<number>): number {
  return Math.sqrt(dot(v, v));
}

/** v·k, in place. A plain loop: `map` with a callback took ~4× as long on case (h)'s vectors. */
function scale(v: Float64Array, k: number): void {
  for (let i = 0; i < v.length; i++) v[i]! *= k;
}

/** v·k, a new array. */
function scaled(v: Float64Array, k: number): Float64Array {
  const out = v.slice();
  scale(out, k);
  return out;
}
