/** Scott's bandwidth and the Gaussian KDE against hand computations (and scipy's values), and thinning. */
import { describe, expect, it } from "vitest";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { gaussianKde, linspace, scottBandwidth } from "../../numerics/kde.js";
import { thinMinMax, thinUniform } from "../../report/downsample.js";
import { densityBandwidth } from "../../runtime/analysis/density.js";

describe("Gaussian KDE with Scott's bandwidth", () => {
  // Data 0, 1, 3: mean 4/3, sample variance ((4/3)² + (1/3)² + (5/3)²)/2 = 7/3, n^(−1/5) = 3^(−0.2).
  const data = [0, 1, 3];
  const h = Math.sqrt(7 / 3) * Math.exp(-0.2 * Math.log(3));

  it("uses σ̂ · n^(−1/5) with the sample (n − 1) standard deviation", () => {
    expect(scottBandwidth(data)).toBeCloseTo(h, 14);
    // scipy.stats.gaussian_kde([0, 1, 3]): factor 0.8027415617602307, sqrt(covariance) 1.2262079900844418.
    expect(scottBandwidth(data)).toBeCloseTo(1.2262079900844418, 13);
  });

  it("evaluates (1/(n h √(2π))) Σ exp(−(x − vᵢ)²/(2h²)) at each point", () => {
    const byHand = (x: number) => data.reduce((s, v) => s + Math.exp(-((x - v) ** 2) / (2 * h * h)), 0) / (3 * h * Math.sqrt(2 * Math.PI));
    const [at0, at2] = gaussianKde(data, [0, 2], h);
    expect(at0).toBeCloseTo(byHand(0), 15);
    expect(at2).toBeCloseTo(byHand(2), 15);
    // scipy.stats.gaussian_kde([0, 1, 3])([0, 2]) = [0.19165564463735402, 0.18421533317662378]
    expect(at0).toBeCloseTo(0.19165564463735402, 13);
    expect(at2).toBeCloseTo(0.18421533317662378, 13);
  });

  it("integrates to 1 (trapezoid rule over ±8 bandwidths)", () => {
    const grid = linspace(-8 * h, 3 + 8 * h, 4001);
    const f = gaussianKde(data, grid, h);
    let area = 0;
    for (let i = 1; i < grid.length; i++) area += ((f[i]! + f[i - 1]!) / 2) * (grid[i]! - grid[i - 1]!);
    expect(area).toBeCloseTo(1, 8);
  });

  it("refuses a single value or identical values with RUN050", () => {
    expect(() => densityBandwidth([1])).toThrow(DyncRuntimeError);
    expect(() => densityBandwidth([2, 2, 2])).toThrow(/all 3 equal 2/);
    expect(densityBandwidth(data)).toBe(scottBandwidth(data));
  });
});

describe("deterministic thinning", () => {
  const items = Array.from({ length: 10_000 }, (_, i) => i);

  it("keeps a uniform subset of exactly the cap, in order, the same every time", () => {
    const a = thinUniform(items, 5000);
    expect(a).toHaveLength(5000);
    expect(new Set(a).size).toBe(5000);
    expect(a.every((v, i) => i === 0 || v > a[i - 1]!)).toBe(true);
    expect(thinUniform(items, 5000)).toEqual(a);
    // Uniform, not a prefix or every other item: both halves are represented about equally.
    const firstHalf = a.filter((v) => v < 5000).length;
    expect(firstHalf).toBeGreaterThan(2300);
    expect(firstHalf).toBeLessThan(2700);
    expect(thinUniform(items.slice(0, 100), 5000)).toEqual(items.slice(0, 100));
  });

  it("min–max buckets keep ≤ cap points, the endpoints' buckets and every spike", () => {
    const series = Array.from({ length: 2048 }, (_, i) => ({ x: i, y: Math.sin(i / 50) + (i === 1234 ? 10 : 0) - (i === 77 ? 10 : 0) }));
    const thinned = thinMinMax(series, 2000, (p) => p.y);
    expect(thinned.length).toBeLessThanOrEqual(2000);
    expect(thinned.map((p) => p.x)).toContain(1234);
    expect(thinned.map((p) => p.x)).toContain(77);
    expect(thinned.every((p, i) => i === 0 || p.x > thinned[i - 1]!.x)).toBe(true);
    expect(thinMinMax(series, 2000, (p) => p.y)).toEqual(thinned);
    const long = Array.from({ length: 100_000 }, (_, i) => ({ x: i, y: (i * 7919) % 1000 }));
    expect(thinMinMax(long, 2000, (p) => p.y).length).toBeLessThanOrEqual(2000);
  });
});
