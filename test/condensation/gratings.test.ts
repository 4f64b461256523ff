/** The `gratings` image source against its definition: pixel formula, label balance, forks, noise statistics. */
import { describe, expect, it } from "vitest";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { Rng } from "../../runtime/rng.js";
import { gratingAngle, gratingPixel, gratings } from "../../stdlib/data/index.js";

const options = { name: "train", n: 30, size: 8, channels: 3, classes: 3, cycles: 2, noise: 0, normalize: "symmetric" as const };

describe("gratings", () => {
  it("noise-free pixels equal cos(2π·cycles·(u cos θ + v sin θ) + φ) in every channel, φ drawn from fork `phases`", () => {
    const data = gratings(new Rng(5), options);
    expect(data.xShape).toEqual([8, 8, 3]);
    const phases = new Rng(5).fork("phases");
    for (let s = 0; s < data.n; s++) {
      const phi = phases.uniformIn(0, 2 * Math.PI);
      expect(data.phases[s]).toBe(phi);
      const theta = (Math.PI * data.labels[s]!) / 3;
      for (const [i, j] of [[0, 0], [3, 5], [7, 7]] as const) {
        const u = (j + 0.5) / 8 - 0.5;
        const v = (i + 0.5) / 8 - 0.5;
        const expected = Math.cos(4 * Math.PI * (u * Math.cos(theta) + v * Math.sin(theta)) + phi);
        for (let c = 0; c < 3; c++) expect(data.x[s * 192 + (i * 8 + j) * 3 + c]).toBeCloseTo(expected, 6);
      }
    }
  });

  it("`unit` pixels are (1 + g)/2 of the symmetric ones", () => {
    const sym = gratings(new Rng(9), options);
    const unit = gratings(new Rng(9), { ...options, normalize: "unit" });
    sym.x.forEach((g, k) => expect(unit.x[k]).toBeCloseTo((1 + g) / 2, 6));
  });

  it("draws phases from [0, 2π·phase_spread)", () => {
    const narrow = gratings(new Rng(4), { ...options, n: 400, phaseSpread: 0.25 });
    const phases = new Rng(4).fork("phases");
    narrow.phases.forEach((phi) => expect(phi).toBe(phases.uniformIn(0, Math.PI / 2)));
    expect(Math.max(...narrow.phases)).toBeLessThan(Math.PI / 2);
    expect(Math.max(...narrow.phases)).toBeGreaterThan(0.95 * (Math.PI / 2));
    expect(() => gratings(new Rng(0), { ...options, phaseSpread: 1.5 })).toThrow(/phase_spread/);
  });

  it("hand values: a vertical-stripe class-0 pixel and the angles π·c/C", () => {
    // θ = 0, cycles 1, size 2, pixel (0, 1): u = 0.25 → cos(π/2 + 0) = 0
    expect(gratingPixel(0, 1, 2, 1, 0, 0)).toBeCloseTo(0, 15);
    // θ = π/2 (rows vary), pixel (0, 0): v = −0.25 → cos(−π/2 + π) = cos(π/2) = 0; phase π/2 at (1, 0): cos(π/2 + π/2) = −1
    expect(gratingPixel(1, 0, 2, 1, Math.PI / 2, Math.PI / 2)).toBeCloseTo(-1, 15);
    expect([0, 1, 2, 3].map((c) => gratingAngle(c, 4))).toEqual([0, Math.PI / 4, Math.PI / 2, (3 * Math.PI) / 4]);
  });

  it("balances classes, one-hot targets, is deterministic per seed and differs across seeds", () => {
    const data = gratings(new Rng(1), { ...options, n: 31 });
    const counts = [0, 1, 2].map((c) => data.labels.filter((l) => l === c).length);
    expect(counts.sort()).toEqual([10, 10, 11]);
    for (let s = 0; s < data.n; s++) expect(Array.from(data.y.subarray(s * 3, s * 3 + 3))).toEqual([0, 1, 2].map((c) => (c === data.labels[s] ? 1 : 0)));
    expect(gratings(new Rng(1), { ...options, n: 31 }).x).toEqual(data.x);
    expect(gratings(new Rng(2), { ...options, n: 31 }).x).not.toEqual(data.x);
  });

  it("adds N(0, noise²) per value: residuals from the clean image have mean ≈ 0 and std ≈ noise", () => {
    const noisy = gratings(new Rng(3), { ...options, n: 200, noise: 0.5 });
    const clean = gratings(new Rng(3), { ...options, n: 200, noise: 0 });
    let sum = 0;
    let sq = 0;
    for (let k = 0; k < noisy.x.length; k++) {
      const r = noisy.x[k]! - clean.x[k]!;
      sum += r;
      sq += r * r;
    }
    const count = noisy.x.length; // 38 400 draws: standard error of the std ≈ 0.5/√(2·38400) ≈ 0.0018
    expect(Math.abs(sum / count)).toBeLessThan(0.01);
    expect(Math.sqrt(sq / count)).toBeCloseTo(0.5, 2);
  });

  it("rejects bad sizes and negative noise with RUN040", () => {
    expect(() => gratings(new Rng(0), { ...options, size: 0 })).toThrow(DyncRuntimeError);
    expect(() => gratings(new Rng(0), { ...options, noise: -1 })).toThrow(/noise >= 0/);
  });
});
