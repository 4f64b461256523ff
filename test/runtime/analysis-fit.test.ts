import { describe, expect, it } from "vitest";
import { fitPowerLaw } from "../../runtime/analysis/power-law.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

describe("fit_power_law: OLS of ln y on ln x", () => {
  it("recovers a planted exponent exactly on noiseless data y = 3·x^−1.2", () => {
    const xs = [10, 20, 30, 40, 50];
    const fit = fitPowerLaw(xs.map((x) => ({ x, y: 3 * x ** -1.2 })), "y ~ width");
    expect(fit.exponent).toBeCloseTo(-1.2, 12);
    expect(fit.alpha).toBeCloseTo(1.2, 12);
    expect(fit.coefficient).toBeCloseTo(3, 11);
    expect(fit.r2).toBeCloseTo(1, 14);
    expect(fit.stderr!).toBeLessThan(1e-13);
    expect(fit.ciLow!).toBeCloseTo(-1.2, 11);
    expect(fit.ciHigh!).toBeCloseTo(-1.2, 11);
    expect(fit.n).toBe(5);
    expect(fit.local.map((l) => [l.xFrom, l.xTo])).toEqual([[10, 20], [20, 30], [30, 40], [40, 50]]);
    for (const l of fit.local) {
      expect(l.exponent).toBeCloseTo(-1.2, 12);
      expect(l.alpha).toBeCloseTo(1.2, 12);
    }
  });

  it("gives the hand-computed slope, s.e. and 95% CI on a 3-point example, covering the true exponent", () => {
    // Points chosen so ln x = 0, 1, 2 and ln y = 0, −1.1, −1.8 (true exponent −1 plus noise ±0.1).
    const lx = [0, 1, 2];
    const ly = [0, -1.1, -1.8];
    const fit = fitPowerLaw(lx.map((u, i) => ({ x: Math.exp(u), y: Math.exp(ly[i]!) })), "y ~ x");
    // By hand: x̄ = 1, ȳ = −2.9/3; Sxx = 2; Sxy = (−1)(0 + 2.9/3) + (1)(−1.8 + 2.9/3) = −1.8; slope = −0.9.
    const slope = -1.8 / 2;
    const intercept = -2.9 / 3 - slope * 1; // −1/15
    // Residuals: ln y − (intercept + slope·ln x) = 1/15, −2/15, 1/15 → SS_res = 6/225 = 2/75.
    const residuals = lx.map((u, i) => ly[i]! - (intercept + slope * u));
    expect(residuals[0]).toBeCloseTo(1 / 15, 14);
    expect(residuals[1]).toBeCloseTo(-2 / 15, 14);
    const ssRes = 2 / 75;
    // s² = SS_res/(n − 2) = 2/75; se = √(s²/Sxx) = √(1/75); t(0.975, 1) = 12.706.
    const se = Math.sqrt(1 / 75);
    expect(fit.exponent).toBeCloseTo(slope, 14);
    expect(fit.coefficient).toBeCloseTo(Math.exp(-1 / 15), 14);
    expect(fit.stderr!).toBeCloseTo(se, 14);
    const half = 12.7062047361747 * se; // t(0.975, 1) = tan(0.475π)
    expect(fit.ciLow!).toBeCloseTo(slope - half, 10);
    expect(fit.ciHigh!).toBeCloseTo(slope + half, 10);
    expect(fit.ciHigh! - fit.ciLow!).toBeCloseTo(2 * half, 10); // width 2.934…
    expect(fit.ciLow!).toBeLessThan(-1);
    expect(fit.ciHigh!).toBeGreaterThan(-1); // covers the true exponent
    // SS_tot = Σ(ln y − ȳ)²; r² = 1 − SS_res/SS_tot.
    const my = -2.9 / 3;
    const ssTot = ly.reduce((s, v) => s + (v - my) ** 2, 0);
    expect(fit.r2).toBeCloseTo(1 - ssRes / ssTot, 13);
    // Local exponents: Δln y/Δln x = −1.1 and −0.7.
    expect(fit.local.map((l) => l.exponent)).toEqual([expect.closeTo(-1.1, 13), expect.closeTo(-0.7, 13)]);
  });

  it("sorts points by x, whatever order they come in", () => {
    const fit = fitPowerLaw([{ x: 4, y: 1 / 16 }, { x: 1, y: 1 }, { x: 2, y: 1 / 4 }], "y ~ x");
    expect(fit.xs).toEqual([1, 2, 4]);
    expect(fit.exponent).toBeCloseTo(-2, 14);
  });

  it("with exactly 2 points gives the exponent but no standard error or CI", () => {
    const fit = fitPowerLaw([{ x: 10, y: 1e-3 }, { x: 100, y: 1e-5 }], "y ~ x");
    expect(fit.exponent).toBeCloseTo(-2, 14);
    expect(fit.stderr).toBeNull();
    expect(fit.ciLow).toBeNull();
    expect(fit.ciHigh).toBeNull();
  });

  it("rejects too few points, non-positive values and repeated x with RUN050", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof DyncRuntimeError ? `${e.code} ${e.message}` : String(e);
      }
      return "no error";
    };
    expect(code(() => fitPowerLaw([{ x: 1, y: 1 }], "l ~ width"))).toBe("RUN050 fit_power_law(l ~ width) needs at least 2 points, got 1");
    expect(code(() => fitPowerLaw([{ x: 1, y: 1 }, { x: 2, y: 0 }], "l ~ width"))).toMatch(/^RUN050 .*positive finite values.* y = 0 at x = 2/);
    expect(code(() => fitPowerLaw([{ x: -1, y: 1 }, { x: 2, y: 1 }], "l ~ width"))).toMatch(/^RUN050 .*x = -1/);
    expect(code(() => fitPowerLaw([{ x: 2, y: 1 }, { x: 2, y: 3 }], "l ~ width"))).toMatch(/^RUN050 .*two points at x = 2/);
  });
});
