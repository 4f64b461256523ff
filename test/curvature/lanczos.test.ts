/**
 * numerics/lanczos.ts on dense float64 matrices with planted spectra (A = Q·diag(λ)·Qᵀ, Q a random orthogonal
 * matrix from Householder reflections), with float32-like noise on every product (relative 1e-7 of ‖A‖, what
 * an HVP in float32 carries): the tridiagonal solver against Jacobi; Lanczos and power iteration against the
 * planted eigenvalues — close top eigenvalues, a dominant negative eigenvalue (largest algebraic returned),
 * stopping by residual at tol 1e-3; SLQ weights summing to one.
 */
import { describe, expect, it } from "vitest";
import { Lanczos, orthogonalizeTwice, PowerIteration, tridiagonalEigen } from "../../numerics/lanczos.js";
import { symmetricEigen } from "../../numerics/linalg.js";
import { Rng } from "../../runtime/rng.js";

/** A symmetric n×n matrix (row-major) with eigenvalues `values`. */
function planted(values: readonly number[], seed: number): Float64Array {
  const n = values.length;
  const rng = new Rng(seed);
  // Q = H₁·H₂·…·H_n applied to the identity's columns: a random orthogonal matrix.
  const q = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let r = 0; r < n; r++) {
    const v = Float64Array.from({ length: n }, () => rng.normal());
    const vv = v.reduce((a, x) => a + x * x, 0);
    for (const row of q) {
      const d = row.reduce((a, x, j) => a + x * v[j]!, 0);
      for (let j = 0; j < n; j++) row[j]! -= (2 * d * v[j]!) / vv;
    }
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = values.reduce((s, l, k) => s + q[i]![k]! * l * q[j]![k]!, 0);
  return a;
}

/** A·v plus noise of relative size 1e-7·‖A‖ (float32 products). */
function product(a: Float64Array, n: number, scale: number, rng: Rng): (v: Float64Array) => Float64Array {
  return (v) => Float64Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j]! * v[j]!;
    return s + 1e-7 * scale * rng.normal();
  });
}

/** Lanczos until every top-k Ritz residual is ≤ tol·|θ| (as the hessian probe stops). */
function lanczosTop(a: Float64Array, n: number, k: number, tol: number, scale: number): { values: number[]; steps: number } {
  const rng = new Rng(9);
  const run = new Lanczos(n, Float64Array.from({ length: n }, () => rng.normal()));
  const mul = product(a, n, scale, rng);
  while (run.canStep) {
    run.accept(mul(run.vector()));
    if (run.steps < k) continue;
    const ritz = run.ritz(k, false);
    if (ritz.every((p) => p.residual <= tol * Math.abs(p.value) + 1e-6 * scale)) break;
  }
  return { values: run.ritz(k, false).map((p) => p.value), steps: run.steps };
}

describe("orthogonalising against a basis (blocked classical Gram–Schmidt, twice)", () => {
  /** k orthonormal vectors of length n by modified Gram–Schmidt, twice, written out here as the reference. */
  const mgs2 = (w: Float64Array, vectors: readonly Float64Array[]) => {
    const dotOf = (x: Float64Array, y: Float64Array) => x.reduce((s, xi, i) => s + xi * y[i]!, 0);
    for (let pass = 0; pass < 2; pass++) {
      for (const v of vectors) {
        const c = dotOf(v, w);
        for (let i = 0; i < w.length; i++) w[i]! -= c * v[i]!;
      }
    }
  };
  const basis = (rng: Rng, n: number, k: number) => {
    const vectors: Float64Array[] = [];
    for (let j = 0; j < k; j++) {
      const v = Float64Array.from({ length: n }, () => rng.normal());
      mgs2(v, vectors);
      const size = Math.hypot(...v);
      vectors.push(v.map((x) => x / size));
    }
    return vectors;
  };

  it("leaves w orthogonal to every vector to working precision and equal to modified Gram–Schmidt's result", () => {
    const rng = new Rng(21);
    for (const k of [1, 3, 4, 7, 13]) {
      const vectors = basis(rng, 2000, k);
      // mostly inside the span (as a Lanczos product is: α·q_j + β·q_{j−1} + a small new direction)
      const w = Float64Array.from({ length: 2000 }, () => 1e-3 * rng.normal());
      vectors.forEach((v, j) => v.forEach((x, i) => (w[i]! += (j + 1) * 10 * x)));
      const reference = Float64Array.from(w);
      const before = Math.hypot(...w);
      mgs2(reference, vectors);
      orthogonalizeTwice(w, vectors);
      const size = Math.hypot(...w);
      for (const v of vectors) expect(Math.abs(v.reduce((s, x, i) => s + x * w[i]!, 0))).toBeLessThan(1e-13 * size);
      // the two differ by rounding of the components removed, which were up to ~10⁴ times the remainder
      const gap = Math.hypot(...w.map((x, i) => x - reference[i]!));
      expect(gap).toBeLessThan(1e-14 * before);
      expect(gap).toBeLessThan(1e-10 * size);
    }
  });
});

describe("the tridiagonal eigensolver", () => {
  it("agrees with Jacobi on random tridiagonals (values and AV = VΛ)", () => {
    const rng = new Rng(1);
    for (const n of [1, 2, 7, 40]) {
      const alpha = Array.from({ length: n }, () => rng.normal());
      const beta = Array.from({ length: n - 1 }, () => rng.normal());
      const dense = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? alpha[i]! : Math.abs(i - j) === 1 ? beta[Math.min(i, j)]! : 0)));
      const t = tridiagonalEigen(alpha, beta);
      symmetricEigen(dense).values.forEach((v, i) => expect(t.values[i]!).toBeCloseTo(v, 12));
      t.vectors.forEach((y, k) => dense.forEach((row, i) => expect(row.reduce((s, x, j) => s + x * y[j]!, 0)).toBeCloseTo(t.values[k]! * y[i]!, 12)));
    }
  });

  it("accumulating only some components gives those components of the full eigenvectors, bit for bit", () => {
    const rng = new Rng(2);
    const n = 30;
    const alpha = Array.from({ length: n }, () => rng.normal());
    const beta = Array.from({ length: n - 1 }, () => rng.normal());
    const full = tridiagonalEigen(alpha, beta);
    for (const rows of [[n - 1], [0], [3, 0, 17]]) {
      const part = tridiagonalEigen(alpha, beta, rows);
      expect(Array.from(part.values)).toEqual(Array.from(full.values));
      part.vectors.forEach((y, k) => expect(Array.from(y)).toEqual(rows.map((r) => full.vectors[k]![r]!)));
    }
  });
});

describe("Lanczos and power iteration on planted spectra with float32-level noise", () => {
  const n = 120;
  const bulk = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: n - 3 }, () => rng.uniformIn(-0.5, 3));
  };

  it("close top eigenvalues (10, 9.99, 9.98): each within 1e-3 relative at tol 1e-3", () => {
    const values = [10, 9.99, 9.98, ...bulk(2)];
    const found = lanczosTop(planted(values, 3), n, 3, 1e-3, 10);
    [10, 9.99, 9.98].forEach((v, i) => expect(Math.abs(found.values[i]! / v - 1)).toBeLessThan(1e-3));
    expect(found.steps).toBeLessThan(n);
  });

  it("a dominant negative eigenvalue (−20): Lanczos and power iteration return the largest algebraic, 8", () => {
    const values = [8, 6, -20, ...bulk(4)];
    const a = planted(values, 5);
    const found = lanczosTop(a, n, 2, 1e-3, 20);
    expect(Math.abs(found.values[0]! / 8 - 1)).toBeLessThan(1e-3);
    expect(Math.abs(found.values[1]! / 6 - 1)).toBeLessThan(1e-3);
    const rng = new Rng(6);
    const mul = product(a, n, 20, rng);
    const power = new PowerIteration(n, 2, 5000, 1e-4, () => Float64Array.from({ length: n }, () => rng.normal()), true);
    while (!power.done) power.accept(mul(power.vector()));
    const top = power.found.map((p) => p.value).sort((x, y) => y - x);
    expect(Math.abs(top[0]! / 8 - 1)).toBeLessThan(1e-3);
    expect(Math.abs(top[1]! / 6 - 1)).toBeLessThan(1e-3);
    // Without the shift, power iteration finds the eigenvalue of largest magnitude.
    const magnitude = new PowerIteration(n, 1, 5000, 1e-4, () => Float64Array.from({ length: n }, () => rng.normal()), false);
    while (!magnitude.done) magnitude.accept(mul(magnitude.vector()));
    expect(magnitude.found[0]!.value).toBeCloseTo(-20, 2);
  });

  it("SLQ: the weights sum to 1 and Σ w·θ is the Rayleigh quotient of the start vector", () => {
    const values = [5, 4, ...bulk(7), 0.1];
    const a = planted(values, 8);
    const rng = new Rng(10);
    const start = Float64Array.from({ length: n }, () => rng.normal());
    const unit = start.map((x) => x / Math.hypot(...start));
    const run = new Lanczos(n, start);
    const exact = product(a, n, 0, rng);
    for (let j = 0; j < 30; j++) run.accept(exact(run.vector()));
    const { nodes, weights } = run.quadrature();
    expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
    const av = exact(unit);
    expect(nodes.reduce((s, t, i) => s + weights[i]! * t, 0)).toBeCloseTo(unit.reduce((s, x, i) => s + x * av[i]!, 0), 10);
  });
});
