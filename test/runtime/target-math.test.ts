import { afterEach, describe, expect, it, vi } from "vitest";
import { erf, targetMath as m } from "../../runtime/target-math.js";
import { portableMath } from "../../numerics/portable-math.js";

/** Math's engine-approximated functions (their last bits vary with the Node version), made to answer NaN. */
function poisonEngineMath(): void {
  for (const name of ["sin", "cos", "tan", "exp", "expm1", "log", "log1p", "log2", "log10", "sinh", "cosh", "tanh", "atan", "atan2", "pow"] as const) {
    vi.spyOn(Math, name).mockImplementation(() => NaN);
  }
}

describe("target math helpers", () => {
  afterEach(() => vi.restoreAllMocks());

  it("compute with the fdlibm ports, never Math's engine-dependent functions (the same data on every Node version)", () => {
    const expected = [m.sin(1.3), m.exp(-0.7), m.tanh(0.4), m.pow(2.5, 1.7), m.sigmoid(0.3), m.silu(-1.2), m.softplus(2), m.gelu(0.8), m.gelu(3), m.xtanh(0.6), m.atan2(1, -2)];
    expect(expected.every(Number.isFinite)).toBe(true);
    poisonEngineMath();
    expect([m.sin(1.3), m.exp(-0.7), m.tanh(0.4), m.pow(2.5, 1.7), m.sigmoid(0.3), m.silu(-1.2), m.softplus(2), m.gelu(0.8), m.gelu(3), m.xtanh(0.6), m.atan2(1, -2)]).toEqual(expected);
    for (const name of Object.keys(portableMath) as (keyof typeof portableMath)[]) expect(m[name]).toBe(portableMath[name]);
  });

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
