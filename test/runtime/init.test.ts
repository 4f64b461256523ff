/**
 * Initialization: sampled values against the formulas (bounds exactly; mean and variance within 5 standard
 * errors of their sampling distributions), the phase-diagram helper against the formulas by hand, and
 * seed-batched sampling against one-seed sampling.
 */
import { describe, expect, it } from "vitest";
import { DyncRuntimeError } from "../../runtime/errors.js";
import {
  type InitDist,
  namedScheme,
  phaseLayerInits,
  phaseScales,
  resolveDist,
  sampleParam,
} from "../../runtime/init.js";

const fans = { fanIn: 50, fanOut: 30 };
const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7];
const PER_SEED = fans.fanIn * fans.fanOut; // 1500 × 8 = 12000 draws

function moments(values: Float32Array): { mean: number; variance: number } {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  return { mean, variance: variance / values.length };
}

/** Check a zero-mean uniform U(−b, b): every value inside, mean and variance within 5 standard errors. */
function expectUniform(values: Float32Array, bound: number): void {
  const n = values.length;
  expect(values.every((v) => v >= -bound && v < bound)).toBe(true);
  const { mean, variance } = moments(values);
  const sigma2 = (bound * bound) / 3;
  expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(sigma2 / n));
  // Var(X²) = E X⁴ − σ⁴ = b⁴/5 − b⁴/9.
  expect(Math.abs(variance - sigma2)).toBeLessThan(5 * Math.sqrt((bound ** 4 * 4) / 45 / n));
  // The extremes come close to the bounds (P(all |x| < 0.99 b) = 0.99^n ≈ 0).
  expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.99 * bound);
}

/** Check N(mean, std²) by its first two moments (Var of the sample variance = 2σ⁴/n). */
function expectNormal(values: Float32Array, std: number, mean = 0): void {
  const n = values.length;
  const m = moments(values);
  expect(Math.abs(m.mean - mean)).toBeLessThan(5 * (std / Math.sqrt(n)));
  expect(Math.abs(m.variance - std * std)).toBeLessThan(5 * Math.sqrt(2 / n) * std * std);
}

const draw = (dist: InitDist, f = fans) => sampleParam(dist, f, SEEDS, "hidden0.weight", f.fanIn * f.fanOut);

describe("named schemes sample their formulas", () => {
  it("torch_default: weight and bias U(±1/√fan_in)", () => {
    const scheme = namedScheme("torch_default");
    expectUniform(draw(scheme.weight), 1 / Math.sqrt(50));
    expect(scheme.bias).toEqual({ kind: "torch_default" });
    const bias = sampleParam(scheme.bias, { fanIn: 4, fanOut: 2000 }, SEEDS, "hidden0.bias", 2000);
    expectUniform(bias, 1 / 2);
  });

  it("glorot and he, uniform and normal; their biases start at zero", () => {
    expectUniform(draw({ kind: "glorot_uniform" }), Math.sqrt(6 / 80));
    expectNormal(draw({ kind: "glorot_normal" }), Math.sqrt(2 / 80));
    expectUniform(draw({ kind: "he_uniform" }), Math.sqrt(6 / 50));
    expectNormal(draw({ kind: "he_normal" }), Math.sqrt(2 / 50));
    for (const name of ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal"] as const) {
      expect(Array.from(sampleParam(namedScheme(name).bias, fans, SEEDS, "b", 30)).every((v) => v === 0)).toBe(true);
    }
  });

  it("explicit normal and uniform, zeros and constants", () => {
    expectNormal(draw({ kind: "normal", std: 0.3, mean: 1 }), 0.3, 1);
    const u = draw({ kind: "uniform", low: 2, high: 4 });
    expect(u.every((v) => v >= 2 && v < 4)).toBe(true);
    expect(Math.abs(moments(u).mean - 3)).toBeLessThan(5 * Math.sqrt(1 / 3 / u.length));
    expect(draw({ kind: "zeros" }).every((v) => v === 0)).toBe(true);
    expect(draw({ kind: "constant", value: 0.5 }).every((v) => v === 0.5)).toBe(true);
  });
});

describe("width-exponent scales", () => {
  it("std = m_in^−γ, m_out^−γ and m̄^−γ resolve to the formula and sample it", () => {
    const gamma = 0.75;
    expect(resolveDist({ kind: "fan_normal", fan: "m_in", power: -gamma }, fans).b).toBeCloseTo(50 ** -0.75, 12);
    expect(resolveDist({ kind: "fan_normal", fan: "m_out", power: -gamma }, fans).b).toBeCloseTo(30 ** -0.75, 12);
    expect(resolveDist({ kind: "fan_normal", fan: "m_bar", power: -2, coef: 3 }, fans).b).toBeCloseTo(3 / 1600, 12);
    expect(resolveDist({ kind: "fan_uniform", fan: "m_in", power: -0.5 }, fans)).toEqual(
      resolveDist({ kind: "torch_default" }, fans),
    );
    expectNormal(draw({ kind: "fan_normal", fan: "m_in", power: -gamma }), 50 ** -0.75);
  });
});

describe("seeds", () => {
  it("a seed's values do not depend on the other seeds in its batch", () => {
    const batched = sampleParam({ kind: "he_normal" }, fans, [11, 42, 7], "out.weight", PER_SEED);
    const alone = sampleParam({ kind: "he_normal" }, fans, [42], "out.weight", PER_SEED);
    expect(Array.from(batched.subarray(PER_SEED, 2 * PER_SEED))).toEqual(Array.from(alone));
    const other = sampleParam({ kind: "he_normal" }, fans, [42], "hidden0.weight", PER_SEED);
    expect(other[0]).not.toBe(alone[0]); // each parameter has its own stream
  });
});

describe("phase diagram (γ, γ') → (α, β₁, β₂)", () => {
  it("γ' = 0 gives the notes' β₁ = β₂ = 1, α = m^γ", () => {
    const s = phaseScales(1.75, 0, 1000);
    expect(s.alpha).toBeCloseTo(177827.941, 2); // 1000^1.75 = 10^5.25
    expect(s.beta1).toBeCloseTo(1, 12);
    expect(s.beta2).toBeCloseTo(1, 12);
  });

  it("general (γ, γ') satisfies β₁β₂/α = m^−γ and β₁/β₂ = m^−γ'", () => {
    const m = 400;
    const s = phaseScales(1.5, 0.5, m);
    expect(s.beta1).toBeCloseTo(400 ** -0.25, 12); // √(m^−γ') with β₁β₂ = 1
    expect(s.beta2).toBeCloseTo(400 ** 0.25, 12);
    expect((s.beta1 * s.beta2) / s.alpha).toBeCloseTo(m ** -1.5, 15);
    const t = phaseScales(1.5, 0.5, m, 2);
    expect(t.alpha).toBe(2);
    expect((t.beta1 * t.beta2) / t.alpha).toBeCloseTo(m ** -1.5, 15);
    expect(t.beta1 / t.beta2).toBeCloseTo(m ** -0.5, 12);
  });

  it("touches the hidden weight and bias (β₂), the output weight (β₁) and the output scale 1/α", () => {
    const p = phaseLayerInits(phaseScales(1, 0.5, 100));
    const std = (d: InitDist) => (d.kind === "normal" ? d.std : NaN);
    expect(std(p.hidden.weight)).toBeCloseTo(100 ** 0.25, 12);
    expect(std(p.hidden.bias)).toBeCloseTo(100 ** 0.25, 12);
    expect(std(p.out.weight)).toBeCloseTo(100 ** -0.25, 12);
    expect(p.out.bias).toEqual({ kind: "zeros" });
    expect(p.outputScale).toBeCloseTo(1 / 100, 15);
  });
});

describe("bad input", () => {
  it("is a RUN040 error naming the cause", () => {
    const bad = [
      () => resolveDist({ kind: "normal", std: -1 }, fans),
      () => resolveDist({ kind: "uniform", low: 1, high: 0 }, fans),
      () => resolveDist({ kind: "torch_default" }, { fanIn: 0, fanOut: 3 }),
      () => phaseScales(1, 0, 0),
      () => namedScheme("xavier" as "he_normal"),
    ];
    for (const f of bad) {
      expect(f).toThrow(DyncRuntimeError);
    }
    expect(() => resolveDist({ kind: "normal", std: -1 }, fans)).toThrow(/std/);
  });
});
