/**
 * The lottery-ticket float64 math against independent truth: the paper's example ticket (eq. 2) and its
 * Taylor coefficients, the hand-built width-1 SiLU solution against its closed-form leading error, ticket
 * decomposition of hand-built symmetric nets, least squares against closed forms, and the eigen/PCA code
 * against planted structure.
 */
import { describe, expect, it } from "vitest";
import { leastSquares, symmetricEigen } from "../../numerics/linalg.js";
import { neuronCurveValues, parameterPca, parameterVector, ticketSummary } from "../../stdlib/lottery/probes.js";
import { bestWeightedAverage, decompose, DEFAULT_MAX_COND, ensembleMeasures, fitTicket, matchSymmetricPairs, NO_SCREEN, oddShare } from "../../stdlib/lottery/tickets.js";
import { ticketsEntry } from "../../stdlib/lottery/entries.js";
import { evaluateNet, grid, meanSquaredError, scalarActivation, type TwoLayerNet } from "../../stdlib/lottery/two-layer.js";

const silu = scalarActivation("silu");
const square = (x: number) => x * x;

/** The `tickets` probe's summary of one net on the grid xs. */
function summary(net: TwoLayerNet, xs: Float64Array, minR2: number) {
  const d = decompose(net, xs, square, minR2);
  return { d, s: ticketSummary(net, d, ensembleMeasures(net, d, xs, square)) };
}

/** Eq. 2 of Liu & Tegmark: (w₁, w₂, b₁, b₂, v₁, v₂, c). */
export const PAPER_TICKET: TwoLayerNet = {
  w: Float64Array.of(-0.83010483, 0.83010304),
  b: Float64Array.of(-1.1684233, -1.16842365),
  v: Float64Array.of(5.68583536, 5.68586636),
  c: 3.1539197,
  act: silu,
};

// Analytic SiLU derivatives from s = sigmoid: s' = s(1−s), s'' = s'(1−2s), s''' = s''(1−2s) − 2s'²;
// silu' = s + x s', silu'' = 2s' + x s'', silu''' = 3s'' + x s'''. Independent of the code under test.
function siluDerivatives(x: number): { d1: number; d2: number; d3: number } {
  const s = 1 / (1 + Math.exp(-x));
  const s1 = s * (1 - s);
  const s2 = s1 * (1 - 2 * s);
  const s3 = s2 * (1 - 2 * s) - 2 * s1 * s1;
  return { d1: s + x * s1, d2: 2 * s1 + x * s2, d3: 3 * s2 + x * s3 };
}

describe("the paper's example ticket (eq. 2)", () => {
  // U[−2, 2] by a fine grid: the grid mean converges to the uniform expectation (trapezoid-like error ~1/n²).
  const xs = grid(-2, 2, 200001);
  const mse = meanSquaredError(evaluateNet(PAPER_TICKET, xs), xs.map(square));

  it("has MSE ≈ 7.1e-6 on U[−2, 2] in float64 (log10 ≈ −5.15)", () => {
    expect(mse).toBeGreaterThan(7.0e-6);
    expect(mse).toBeLessThan(7.2e-6);
    expect(Math.log10(mse)).toBeCloseTo(-5.15, 2);
  });

  it("is a symmetric pair with 2σ(b)v + c ≈ 0.0031 and vσ''(b)w² ≈ 0.982, as the paper states", () => {
    const { d, s } = summary(PAPER_TICKET, grid(-2, 2, 2001), 0.9);
    expect(d.tickets.map((t) => t.neurons)).toEqual([[0, 1]]);
    expect(s["pair_cost"]).toBeLessThan(1e-11);
    // From the rounded eq. 2 parameters this is 0.00305; the paper prints 0.0031.
    expect(Math.abs(s["taylor_const"]! - 0.0031)).toBeLessThan(1e-4);
    expect(s["taylor_x2"]).toBeCloseTo(0.982, 3);
    // The least-squares refit of (v₁, v₂, c) can only improve on the trained output layer.
    expect(s["best_loss"]).toBeLessThanOrEqual(s["loss"]! * (1 + 1e-9));
    expect(s["loss"]).toBeCloseTo(mse, 7);
  });
});

describe("the hand-built width-1 SiLU solution", () => {
  // x* = argmin silu: Newton on silu'(x) = 0.
  let xStar = -1.3;
  for (let k = 0; k < 50; k++) xStar -= siluDerivatives(xStar).d1 / siluDerivatives(xStar).d2;
  const { d2, d3 } = siluDerivatives(xStar);
  const A = d2 / 2;

  it("has the paper's constants x* = −1.2785, A ≈ 0.1089, B = σ(x*) ≈ −0.2785", () => {
    expect(xStar).toBeCloseTo(-1.2785, 4);
    expect(A).toBeCloseTo(0.1089, 4);
    expect(silu(xStar)).toBeCloseTo(-0.2785, 4);
  });

  it("approximates x² with MSE → (σ'''/(3σ''))²·w²·E[x⁶], E[x⁶] = 64/7 on U[−2, 2]", () => {
    const xs = grid(-2, 2, 20001);
    const grid6 = xs.reduce((s, x) => s + x ** 6, 0) / xs.length; // the grid's own E[x⁶]
    expect(grid6).toBeCloseTo(64 / 7, 2);
    for (const w of [1e-2, 3e-3]) {
      const v = 1 / (A * w * w);
      const net: TwoLayerNet = { w: Float64Array.of(w), b: Float64Array.of(xStar), v: Float64Array.of(v), c: -v * silu(xStar), act: silu };
      const mse = meanSquaredError(evaluateNet(net, xs), xs.map(square));
      const leading = (d3 / (3 * d2)) ** 2 * w * w * grid6;
      expect(Math.abs(mse / leading - 1)).toBeLessThan(20 * w); // next order is O(w²) relative... loosely O(w)
    }
  });
});

describe("ticket decomposition of hand-built symmetric nets", () => {
  // Three planted mirror pairs, stored in scrambled order, plus distinct (w, b) per pair.
  const planted: [number, number][] = [[0, 4], [1, 3], [2, 5]];
  const pairsWB = [
    { w: 0.83, b: -1.17 },
    { w: 0.6, b: -0.9 },
    { w: 1.1, b: -1.4 },
  ];
  const w = new Float64Array(6);
  const b = new Float64Array(6);
  planted.forEach(([i, j], k) => {
    w[i] = pairsWB[k]!.w;
    w[j] = -pairsWB[k]!.w;
    b[i] = b[j] = pairsWB[k]!.b;
  });

  it("pairs every neuron with its mirror", () => {
    expect(matchSymmetricPairs(w, b)).toEqual(planted);
  });

  it("finds the mirror pairs under small perturbations too", () => {
    const noisy = w.map((x, i) => x + 1e-3 * Math.sin(7 * i));
    expect(matchSymmetricPairs(noisy, b)).toEqual(planted);
  });

  it("refits each pair to x² with R² ≈ 1, and the ensemble bound lies below every ticket's error", () => {
    const xs = grid(-2, 2, 1001);
    const net: TwoLayerNet = { w, b, v: new Float64Array(6).fill(1), c: 0, act: silu };
    const d = decompose(net, xs, square, 0.9);
    expect(d.tickets).toHaveLength(3);
    for (const t of d.tickets) {
      expect(t.r2).toBeGreaterThan(0.999);
      expect(t.coef[0]).toBeCloseTo(t.coef[1]!, 6); // a mirror pair fits an even target with v₁ = v₂
    }
    const minMse = Math.min(...d.tickets.map((t) => t.mse));
    expect(d.bound).toBeLessThan(minMse);
    expect(d.bound).toBeCloseTo(1 / d.tickets.reduce((s, t) => s + 1 / t.mse, 0), 20);
    // Participation ratio: K²/ΣC², between 1 (all errors parallel) and K (orthogonal).
    expect(d.nEff).toBeGreaterThanOrEqual(1 - 1e-12);
    expect(d.nEff).toBeLessThanOrEqual(3 + 1e-12);
    expect(d.correlation[0]![0]).toBeCloseTo(1, 12);
    // …and it is the spectral participation ratio (Σλ)²/Σλ² of the correlation matrix, computed another way.
    const { values } = symmetricEigen(d.correlation);
    expect(d.nEff).toBeCloseTo(values.reduce((s, l) => s + l, 0) ** 2 / values.reduce((s, l) => s + l * l, 0), 10);
  });
});

describe("tickets.mean_r2: the mean R² of the tickets with R² ≥ min_r2 only", () => {
  // A ReLU net with two mirror pairs. Refit to x² on U[−2, 2] each pair is a·relu(|x| − k) + c in t = |x| ~ U[0, 2]
  // (by symmetry both output weights are equal), so its R² is Cov(t², g)² / (Var(g)·Var(t²)), g = (t − k)₊, by hand:
  //   k = 0:   Var g = 1/3,     Cov = 2 − 4/3 = 2/3,                 Var t² = 16/5 − 16/9 = 64/45 → R² = 15/16
  //   k = 1.5: Var g = 13/768,  Cov = 0.2109375 − (4/3)(1/16)        → R² = Cov²/Var g/(64/45) ≈ 0.6764
  const relu = scalarActivation("relu");
  const net: TwoLayerNet = {
    w: Float64Array.of(1, -1, 1, -1),
    b: Float64Array.of(0, 0, -1.5, -1.5),
    v: Float64Array.of(1, 1, 1, 1),
    c: 0,
    act: relu,
  };
  const r2Kink0 = 15 / 16;
  const cov = 0.2109375 - (4 / 3) * (1 / 16);
  const r2Kink15 = (cov * cov) / (13 / 768) / (64 / 45);
  const xs = grid(-2, 2, 200001);

  it("averages only the tickets at or above the threshold", () => {
    const { s } = summary(net, xs, 0.9);
    expect(r2Kink15).toBeCloseTo(0.6764, 4);
    expect(s["tickets"]).toBe(1);
    expect(s["mean_r2"]).toBeCloseTo(r2Kink0, 4);
  });

  it("averages every ticket when the threshold admits them all", () => {
    const { s } = summary(net, xs, 0);
    expect(s["tickets"]).toBe(2);
    expect(s["mean_r2"]).toBeCloseTo((r2Kink0 + r2Kink15) / 2, 4);
  });

  it("is NaN when no ticket reaches the threshold", () => {
    expect(summary(net, xs, 0.99).s["mean_r2"]).toBeNaN();
  });
});

describe("least squares", () => {
  it("recovers an exact combination of neuron curves", () => {
    const xs = grid(-2, 2, 501);
    const g1 = xs.map((x) => silu(0.8 * x - 1.1));
    const g2 = xs.map((x) => silu(-0.5 * x + 0.3));
    const ones = xs.map(() => 1);
    const y = xs.map((_, i) => 2 * g1[i]! - 0.5 * g2[i]! + 0.3);
    const fit = leastSquares([g1, g2, ones], y);
    expect(fit.coef[0]).toBeCloseTo(2, 10);
    expect(fit.coef[1]).toBeCloseTo(-0.5, 10);
    expect(fit.coef[2]).toBeCloseTo(0.3, 10);
    expect(Math.max(...fit.residual.map(Math.abs))).toBeLessThan(1e-12);
  });

  it("fits x² on [x, 1] over a symmetric grid with slope 0 and intercept 4(n+1)/(3(n−1)) (closed form)", () => {
    const n = 101;
    const xs = grid(-2, 2, n);
    const fit = leastSquares([xs, xs.map(() => 1)], xs.map(square));
    expect(fit.coef[0]).toBeCloseTo(0, 12);
    expect(fit.coef[1]).toBeCloseTo((4 * (n + 1)) / (3 * (n - 1)), 12);
  });

  it("fits x² by N uniform kinks (a width-N LeakyReLU net's function class) with MSE ≈ (4/(N+1))⁴/180", () => {
    // Per interval of length h the best line leaves t(h − t) minus its mean: variance h⁴/30 − h⁴/36 = h⁴/180.
    // This is the approximation floor the LeakyReLU runs are compared against (N⁻⁴, approximation theory).
    const xs = grid(-2, 2, 4001);
    for (const N of [10, 20]) {
      const knots = Array.from({ length: N }, (_, j) => -2 + (4 * (j + 1)) / (N + 1));
      const fit = leastSquares([xs.map(() => 1), xs, ...knots.map((k) => xs.map((x) => Math.max(x - k, 0)))], xs.map(square));
      const mse = fit.residual.reduce((s, e) => s + e * e, 0) / xs.length;
      expect(Math.abs(mse / ((4 / (N + 1)) ** 4 / 180) - 1)).toBeLessThan(0.01);
    }
  });

  it("reports the condition number: 1 for orthonormal columns, √(λmax/λmin) otherwise", () => {
    expect(leastSquares([[1, 0, 0], [0, 1, 0]], [1, 2, 3]).cond).toBeCloseTo(1, 12);
    // columns (1, 0) and (1, ε): AᵀA = [[2, 1], [1, 1]] for ε = 1 → eigenvalues (3 ± √5)/2.
    expect(leastSquares([[1, 0], [1, 1]], [1, 1]).cond).toBeCloseTo(Math.sqrt((3 + Math.sqrt(5)) / (3 - Math.sqrt(5))), 10);
  });

  it("reports a condition number of 1e10 for A = U·diag(1, 1e-5, 1e-10)·Vᵀ (beyond what RᵀR eigenvalues resolve)", () => {
    const U = [[0.5, 0.5, 0.5, 0.5], [0.5, -0.5, 0.5, -0.5], [0.5, 0.5, -0.5, -0.5]]; // orthonormal columns of R⁴
    const V = [[1, 2, 2], [2, 1, -2], [2, -2, 1]].map((row) => row.map((x) => x / 3)); // orthogonal
    const sigma = [1, 1e-5, 1e-10];
    const columns = V.map((vRow) => Array.from({ length: 4 }, (_, i) => sigma.reduce((s, sk, k) => s + U[k]![i]! * sk * vRow[k]!, 0)));
    const cond = leastSquares(columns, [1, 2, 3, 4]).cond;
    expect(Math.abs(cond / 1e10 - 1)).toBeLessThan(1e-4);
  });
});

describe("symmetric eigenproblem and parameter PCA", () => {
  it("matches the closed-form eigenvalues of a 3×3 matrix", () => {
    // [[2, 1, 0], [1, 2, 1], [0, 1, 2]] has eigenvalues 2 + √2, 2, 2 − √2.
    const { values, vectors } = symmetricEigen([[2, 1, 0], [1, 2, 1], [0, 1, 2]]);
    expect(values[0]).toBeCloseTo(2 + Math.SQRT2, 12);
    expect(values[1]).toBeCloseTo(2, 12);
    expect(values[2]).toBeCloseTo(2 - Math.SQRT2, 12);
    expect(Math.abs(vectors[0]![1]!)).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it("recovers a planted principal direction and its share of the variance", () => {
    const u = [3, 4, 0, 0, 0, 0, 0].map((x) => x / 5);
    const perp = [0, 0, 1, 0, 0, 0, 0];
    const ts = Array.from({ length: 200 }, (_, i) => Math.sin(i * 1.7) * 3);
    const rs = Array.from({ length: 200 }, (_, i) => Math.cos(i * 2.3) * 0.1);
    const vectors = ts.map((t, i) => u.map((x, k) => 1 + t * x + rs[i]! * perp[k]!));
    const { pc1, var1, var2 } = parameterPca(vectors);
    const meanT = ts.reduce((s, t) => s + t, 0) / ts.length;
    ts.forEach((t, i) => expect(Math.abs(pc1[i]!)).toBeCloseTo(Math.abs(t - meanT), 1));
    expect(var1).toBeGreaterThan(0.99);
    expect(var1 + var2).toBeCloseTo(1, 10);
  });

  it("matches the closed-form PCA of 2-D points: eigenvalues (a+c)/2 ± √(((a−c)/2)² + b²) and PC1 along (b, λ₁ − a)", () => {
    // Four points (±p, ±q) rotated by θ: sample covariance (n − 1 = 3) in closed form, then its 2×2 eigen.
    const [p, q, theta] = [2, 0.5, 0.4];
    const pts = [[p, q], [-p, -q], [p, -q], [-p, q]].map(([u, v]) => [u! * Math.cos(theta) - v! * Math.sin(theta), u! * Math.sin(theta) + v! * Math.cos(theta)]);
    const sum = (f: (r: number[]) => number) => pts.reduce((s, r) => s + f(r), 0) / 3; // the points have mean 0
    const [a, b, c] = [sum((r) => r[0]! ** 2), sum((r) => r[0]! * r[1]!), sum((r) => r[1]! ** 2)];
    const l1 = (a + c) / 2 + Math.hypot((a - c) / 2, b);
    const l2 = (a + c) / 2 - Math.hypot((a - c) / 2, b);
    const axis = [b, l1 - a].map((x, _, v) => x / Math.hypot(v[0]!, v[1]!));
    const sign = Math.abs(axis[0]!) >= Math.abs(axis[1]!) ? Math.sign(axis[0]!) : Math.sign(axis[1]!); // largest entry positive
    const { pc1, pc2, var1, var2 } = parameterPca(pts);
    expect(var1).toBeCloseTo(l1 / (l1 + l2), 12);
    expect(var2).toBeCloseTo(l2 / (l1 + l2), 12);
    pts.forEach((r, i) => expect(pc1[i]).toBeCloseTo(sign * (r[0]! * axis[0]! + r[1]! * axis[1]!), 10));
    // PC2 is orthogonal: each point's squared distance from the mean splits into pc1² + pc2²
    pts.forEach((r, i) => expect(pc1[i]! ** 2 + pc2[i]! ** 2).toBeCloseTo(r[0]! ** 2 + r[1]! ** 2, 10));
  });

  it("orders a net's parameters as the paper does: (w₁, w₂, b₁, b₂, v₁, v₂, c)", () => {
    expect(parameterVector(PAPER_TICKET)).toEqual([...PAPER_TICKET.w, ...PAPER_TICKET.b, ...PAPER_TICKET.v, PAPER_TICKET.c]);
  });
});

describe("tickets: how the tickets combine (ensemble_loss, refit_loss, odd_share, n_eff) against hand computations", () => {
  const unit = (m: number, at: number, size: number) => Float64Array.from({ length: m }, (_, i) => (i === at ? size : 0));

  it("the best weighted average of orthogonal errors is the inverse-variance bound (Σ 1/|eₖ|²)⁻¹", () => {
    // e₁ = 3·u₁, e₂ = 4·u₂ on 4 points: mean squares 9/4 and 16/4, bound 1/(4/9 + 4/16) = 36/25.
    expect(bestWeightedAverage([unit(4, 0, 3), unit(4, 1, 4)])).toBeCloseTo(36 / 25, 12);
  });

  it("correlated errors cancel: parallel errors of different size reach 0, equal ones stay, opposite ones reach 0", () => {
    const u = Float64Array.of(1, -2, 0.5, 3);
    const meanSquare = (1 + 4 + 0.25 + 9) / 4;
    expect(bestWeightedAverage([u, u.map((x) => 2 * x)])).toBeLessThan(1e-28); // weights (2, −1)
    expect(bestWeightedAverage([u, u])).toBeCloseTo(meanSquare, 12);
    expect(bestWeightedAverage([u, u.map((x) => -x)])).toBeLessThan(1e-28); // weights (½, ½)
    expect(bestWeightedAverage([u])).toBeCloseTo(meanSquare, 12);
    expect(bestWeightedAverage([])).toBeNaN();
  });

  it("equals 1/(1ᵀG⁻¹1) for three general errors (Gram matrix inverted by cofactors)", () => {
    const e = [Float64Array.of(1, 0.2, -0.3, 0.5, 0), Float64Array.of(0.4, 1, 0.1, -0.2, 0.3), Float64Array.of(-0.1, 0.3, 1, 0.2, -0.4)];
    const G = e.map((a) => e.map((b) => a.reduce((s, x, i) => s + x * b[i]!, 0) / 5));
    const g = (i: number, j: number) => G[i]![j]!;
    const det = g(0, 0) * (g(1, 1) * g(2, 2) - g(1, 2) * g(2, 1)) - g(0, 1) * (g(1, 0) * g(2, 2) - g(1, 2) * g(2, 0)) + g(0, 2) * (g(1, 0) * g(2, 1) - g(1, 1) * g(2, 0));
    const cof = (i: number, j: number) => {
      const [r0, r1] = [0, 1, 2].filter((r) => r !== i);
      const [c0, c1] = [0, 1, 2].filter((c) => c !== j);
      return (-1) ** (i + j) * (g(r0!, c0!) * g(r1!, c1!) - g(r0!, c1!) * g(r1!, c0!));
    };
    let sumInverse = 0; // 1ᵀG⁻¹1 = Σᵢⱼ cof(j, i)/det
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) sumInverse += cof(j, i) / det;
    expect(bestWeightedAverage(e)).toBeCloseTo(1 / sumInverse, 12);
  });

  it("refit_loss of identity neurons is the variance of x² on the grid (their span is {1, x}, orthogonal to x² − mean)", () => {
    const xs = grid(-2, 2, 101);
    const net: TwoLayerNet = { w: Float64Array.of(1, -2, 0.5), b: Float64Array.of(0, 0.5, 0), v: Float64Array.of(1, 1, 1), c: 0, act: scalarActivation("identity") };
    const y = xs.map(square);
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    const variance = y.reduce((s, v) => s + (v - mean) ** 2, 0) / y.length;
    expect(summary(net, xs, -Infinity).s["refit_loss"]).toBeCloseTo(variance, 12);
  });

  it("refit_loss is NaN when the output layer has as many columns as grid points (a square system fits anything)", () => {
    const net: TwoLayerNet = { w: Float64Array.of(1, -2, 0.5, 0.3), b: Float64Array.of(0, 0.5, 0, 1), v: Float64Array.of(1, 1, 1, 1), c: 0, act: silu };
    expect(summary(net, grid(-2, 2, 5), -Infinity).s["refit_loss"]).toBeNaN(); // 4 neurons + constant = 5 columns on 5 points
    expect(summary(net, grid(-2, 2, 6), -Infinity).s["refit_loss"]).not.toBeNaN();
  });

  it("odd_share of e(x) = x + x² is Σx²/(Σx² + Σx⁴) on a symmetric grid (Σx³ = 0), NaN on an asymmetric one", () => {
    const xs = grid(-2, 2, 41);
    const sum = (p: number) => xs.reduce((s, x) => s + x ** p, 0);
    expect(oddShare([xs.map((x) => x + x * x)], xs)).toBeCloseTo(sum(2) / (sum(2) + sum(4)), 12);
    expect(oddShare([xs.map((x) => x * x)], xs)).toBeCloseTo(0, 12);
    expect(oddShare([xs.map((x) => x)], grid(-1, 2, 41))).toBeNaN();
  });

  it("exact mirror pairs leave even errors (odd_share 0); moving one neuron off its mirror makes them partly odd", () => {
    const xs = grid(-2, 2, 1001);
    const mirror: TwoLayerNet = { w: Float64Array.of(0.3, -0.3, 0.5, -0.5), b: Float64Array.of(-1.2, -1.2, -0.4, -0.4), v: new Float64Array(4).fill(1), c: 0, act: silu };
    expect(summary(mirror, xs, 0.9).s["odd_share"]).toBeLessThan(1e-20);
    const bent: TwoLayerNet = { ...mirror, w: Float64Array.of(0.3, -0.36, 0.5, -0.5), b: Float64Array.of(-1.2, -1.1, -0.4, -0.4) };
    expect(summary(bent, xs, 0.9).s["odd_share"]).toBeGreaterThan(0.01);
  });

  it("n_eff of two tickets is 4/(2 + 2c²) with c the cosine of their errors (computed here by hand)", () => {
    const xs = grid(-2, 2, 1001);
    const net: TwoLayerNet = { w: Float64Array.of(0.3, -0.36, 0.5, -0.5), b: Float64Array.of(-1.2, -1.1, -0.4, -0.4), v: new Float64Array(4).fill(1), c: 0, act: silu };
    const { d, s } = summary(net, xs, 0.9);
    expect(d.goodErrors).toHaveLength(2);
    const [a, b] = d.goodErrors as [Float64Array, Float64Array];
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < a.length; i++) [ab, aa, bb] = [ab + a[i]! * b[i]!, aa + a[i]! ** 2, bb + b[i]! ** 2];
    const c = ab / Math.sqrt(aa * bb);
    expect(s["n_eff"]).toBeCloseTo(4 / (2 + 2 * c * c), 12);
    // Feasibility orders them: one ticket is a weighted average (weight 1), and every weighted average of
    // tickets is an output layer of this net, so refit ≤ ensemble ≤ best single ticket.
    expect(s["ensemble_loss"]).toBeLessThanOrEqual(s["best_loss"]! * (1 + 1e-12));
    expect(s["refit_loss"]).toBeLessThanOrEqual(s["ensemble_loss"]! * (1 + 1e-9));
  });
});

describe("neuron_curve: one neuron's curve on a grid", () => {
  it("gives x, wₖx + bₖ, σ(wₖx + bₖ) and vₖσ(wₖx + bₖ) at the grid points (ReLU, by hand)", () => {
    const net: TwoLayerNet = { w: Float64Array.of(1, -2), b: Float64Array.of(0, 1), v: Float64Array.of(3, 0.5), c: 7, act: scalarActivation("relu") };
    const c = neuronCurveValues(net, 1, grid(-1, 1, 5)); // x = −1, −0.5, 0, 0.5, 1; pre = 1 − 2x
    expect([...c.x]).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect([...c.pre]).toEqual([3, 2, 1, 0, -1]);
    expect([...c.post]).toEqual([3, 2, 1, 0, 0]);
    expect([...c.out]).toEqual([1.5, 1, 0.5, 0, 0]);
  });
});

describe("tickets leave out pairs whose refit is ill-conditioned at float32 precision", () => {
  const xs = grid(-2, 2, 1001);
  const ys = xs.map(square);
  const sdSquare = Math.sqrt(ys.reduce((s, y) => s + y * y, 0) / ys.length - (ys.reduce((s, y) => s + y, 0) / ys.length) ** 2);

  // Hand reference: for a mirror pair (±w, b) with small w, the unit-norm columns are
  // (1 ± (σ′/σ)wx + (σ″/2σ)w²x²)/√m and 1/√m: σ_max → √3, and the smallest singular value belongs to the even
  // combination (1, 1, −2)/√6, of size (2/√6)·|σ″w²/(2σ)|·sd(x²). So κ ≈ 3√2·|σ(b)| / (|σ″(b)|·w²·sd(x²)),
  // relative error O(w²) (numpy's SVD of the same matrix at w = 1e-3, b = −0.69: 2.0772e6).
  it("computes κ of the unit-norm design [σ(wx+b), σ(−wx+b), 1] as the closed form 3√2|σ(b)| / (|σ″(b)|w²sd(x²))", () => {
    for (const b of [-0.69, 0.5]) {
      const { d2 } = siluDerivatives(b);
      for (const w of [1e-3, 1e-4]) {
        const net: TwoLayerNet = { w: Float64Array.of(w, -w), b: Float64Array.of(b, b), v: Float64Array.of(1, 1), c: 0, act: silu };
        const hand = (3 * Math.SQRT2 * Math.abs(silu(b))) / (Math.abs(d2) * w * w * sdSquare);
        expect(Math.abs(fitTicket(net, [0, 1], xs, ys).cond / hand - 1)).toBeLessThan(1e-3);
      }
    }
  });

  it("the default cap is 1/u₃₂ = 2²⁴, the same number in the registry entry", () => {
    expect(DEFAULT_MAX_COND).toBe(2 ** 24);
    expect(ticketsEntry.params.find((p) => p.name === "max_cond")?.default).toBe(DEFAULT_MAX_COND);
  });

  // Two trained-like mirror pairs (the eq. 2 ticket and a perturbed copy, κ ≈ 3) and a collapsed mirror pair
  // at the SiLU minimum with |w| = 1e-4 (κ ≈ 4.5e8 > 2²⁴): in float64 it refits to x² with MSE ~1e-14 and
  // output weights ~5e8, a "ticket" the float32 net cannot compute.
  const collapsed: TwoLayerNet = {
    w: Float64Array.of(-0.8301, 1e-4, 0.8301, 0.79, -1e-4, -0.8),
    b: Float64Array.of(-1.1684, -1.2785, -1.1684, -1.2, -1.2785, -1.19),
    v: Float64Array.of(5.686, 0, 5.686, 1, 0, 1),
    c: 3.154,
    act: silu,
  };
  const withoutCollapsed: TwoLayerNet = { ...collapsed, w: Float64Array.of(-0.8301, 0.8301, 0.79, -0.8), b: Float64Array.of(-1.1684, -1.1684, -1.2, -1.19), v: Float64Array.of(5.686, 5.686, 1, 1) };

  it("counts the collapsed pair as ill-conditioned and measures the rest as if it were absent", () => {
    const { d, s } = summary(collapsed, xs, 0.9);
    expect(d.illConditioned).toBe(1);
    expect(s["ill_conditioned"]).toBe(1);
    expect(d.tickets.map((t) => t.neurons)).toEqual([[0, 2], [3, 5]]);
    const reference = summary(withoutCollapsed, xs, 0.9).s;
    for (const key of ["bound", "n_eff", "tickets", "mean_r2", "best_loss", "pair_cost", "taylor_const", "taylor_x2", "ensemble_loss", "odd_share"] as const) {
      expect(s[key], key).toBeCloseTo(reference[key]!, 12);
    }
  });

  it("with every pair kept the collapsed pair is the best 'ticket' (MSE ~1e-14), which is what the cap removes", () => {
    const d = decompose(collapsed, xs, square, 0.9, NO_SCREEN);
    expect(d.illConditioned).toBe(0);
    const best = [...d.tickets].sort((a, b) => a.mse - b.mse)[0]!;
    expect(best.neurons).toEqual([1, 4]);
    expect(best.mse).toBeLessThan(1e-12);
    expect(best.cond).toBeGreaterThan(DEFAULT_MAX_COND);
  });

  // Two collapsed neurons with pre-activations ~1e-5 (as 10–20 neurons of a trained N = 1000 net): SiLU(z) ≈
  // z/2 + z²/4, so a float64 refit cancels the linear parts with output weights ~1e10 and fits x² to ~1e-20,
  // although κ ≈ 2e5 is far below 2²⁴. Rounded to float32 (a relative error 6e-8 of the column, i.e. ~1e-13
  // against a quadratic part ~1e-11) the same refit reaches only ~1e-5.
  const shallow: TwoLayerNet = { ...withoutCollapsed, w: Float64Array.of(-0.8301, 0.8301, 0.79, -0.8, -1.5e-5, 1.1e-6), b: Float64Array.of(-1.1684, -1.1684, -1.2, -1.19, 0, 0), v: Float64Array.of(5.686, 5.686, 1, 1, 0, 0) };

  it("leaves out a well-conditioned pair whose loss is a float64 artifact: it more than doubles on float32-rounded activations", () => {
    const kept = decompose(shallow, xs, square, 0.9, NO_SCREEN);
    const pair = kept.tickets.find((t) => t.neurons[0] === 4 && t.neurons[1] === 5)!;
    expect(pair.cond).toBeLessThan(DEFAULT_MAX_COND);
    expect(pair.mse).toBeLessThan(1e-18);
    // the float32 column by hand: each activation rounded to the nearest float32, refit by least squares
    const rounded = (w: number) => xs.map((x) => Math.fround(silu(w * x)));
    const byHand = leastSquares([rounded(-1.5e-5), rounded(1.1e-6), new Float64Array(xs.length).fill(1)], ys).residual;
    expect(pair.float32Mse).toBeCloseTo(byHand.reduce((s, e) => s + e * e, 0) / xs.length, 12);
    expect(pair.float32Mse).toBeGreaterThan(1e-7);
    const { d, s } = summary(shallow, xs, 0.9);
    expect(s["ill_conditioned"]).toBe(1);
    expect(d.tickets.map((t) => t.neurons)).toEqual([[0, 1], [2, 3]]);
    // the trained-like pairs lose nothing to float32 rounding at their losses (~1e-5)
    for (const t of d.tickets) expect(t.float32Mse / t.mse).toBeLessThan(1.01);
  });
});
