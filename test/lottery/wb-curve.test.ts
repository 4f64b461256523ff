/**
 * `wb_curve` (Fig 2a): the share of the variance of b explained by equal-count bins of |w| or of w,
 * against hand computations and planted point clouds whose answer is known.
 */
import { describe, expect, it } from "vitest";
import { binnedR2 } from "../../stdlib/lottery/probes.js";
import { Rng } from "../../runtime/rng.js";

describe("binnedR2", () => {
  it("matches a hand computation: bins {0, 2} and {10, 12} leave 4 of 104", () => {
    expect(binnedR2([4, 1, 3, 2], [12, 0, 10, 2], 2)).toBeCloseTo(1 - 4 / 104, 12);
  });

  const n = 2000;
  const half = Array.from({ length: n / 2 }, (_, i) => 0.05 + (1.5 * i) / (n / 2));
  const w = Float64Array.from([...half, ...half.map((x) => -x)]);

  it("an even curve b = exp(−w²) is explained by |w| and by w", () => {
    const b = w.map((x) => Math.exp(-x * x));
    expect(binnedR2(w.map(Math.abs), b, 50)).toBeGreaterThan(0.999);
    expect(binnedR2(w, b, 50)).toBeGreaterThan(0.995); // bins twice as wide in w as in |w|
  });

  it("an odd curve b = w³ is explained by w but not by |w| (every |w| bin holds ±b)", () => {
    const b = w.map((x) => x ** 3);
    expect(binnedR2(w, b, 50)).toBeGreaterThan(0.99);
    expect(binnedR2(w.map(Math.abs), b, 50)).toBeLessThan(1e-9);
  });

  it("independent w and b (the init's U(−1, 1)²) explain ≈ bins/n", () => {
    const rng = new Rng(5);
    const ws = Float64Array.from({ length: n }, () => rng.uniformIn(-1, 1));
    const bs = Float64Array.from({ length: n }, () => rng.uniformIn(-1, 1));
    expect(binnedR2(ws.map(Math.abs), bs, 50)).toBeLessThan(0.06);
    expect(binnedR2(ws, bs, 50)).toBeLessThan(0.06);
  });
});
