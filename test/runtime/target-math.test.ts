import { describe, expect, it } from "vitest";
import { erf, targetMath as m } from "../../runtime/target-math.js";

describe("target math helpers", () => {
  it("erf matches tabulated values (Abramowitz & Stegun 7.1)", () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.5, 0.9995930479825550],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
    ];
    for (const [x, v] of table) {
      expect(erf(x)).toBeCloseTo(v, 14);
      expect(erf(-x)).toBeCloseTo(-v, 14);
    }
  });

  it("activations and folds follow their definitions", () => {
    expect(m.relu(-2)).toBe(0);
    expect(m.relu(3)).toBe(3);
    expect(m.silu(1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(m.gelu(1)).toBeCloseTo(0.8413447460685429, 14); // Φ(1) = 0.8413447460685429
    expect(m.softplus(100)).toBe(100);
    expect(m.softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(m.sum([1, 2, 3, 4], (k) => k * k)).toBe(30);
    expect(m.prod([1, 2, 3, 4], (k) => k)).toBe(24);
  });
});
