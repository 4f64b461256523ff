/**
 * The lottery analyses (runtime/analysis/lottery.ts) on planted data with known answers: modes of mixtures,
 * lowest-mode membership, ensemble resampling against closed forms, KS distance by hand, local exponents of
 * a planted broken power law, and the core power-law fit recovering a planted exponent from noisy data.
 */
import { describe, expect, it } from "vitest";
import { evaluate, fitPowerLaw, type Table } from "../../runtime/analysis/index.js";
import { ensembleLosses, findModes, ksDistance } from "../../stdlib/lottery/analyses.js";
import { erf } from "../../runtime/target-math.js";
import { Rng } from "../../runtime/rng.js";
import { callFunction } from "../../runtime/analysis/functions.js";
import { analysisFunctions } from "../../stdlib/implementations.js";
import { expectRuntimeError } from "../runtime/expect-runtime-error.js";

const opts = { bandwidth: 0.5, minHeight: 0.05, minDip: 0.2 };

/** Deterministic standard normals from the project's RNG. */
function normals(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.normal());
}

/** A table of losses keyed by width and seeds. */
function lossTable(byWidth: Record<number, number[]>): Table {
  return {
    dims: ["width", "seeds", "steps"],
    rows: Object.entries(byWidth).flatMap(([w, ls]) => ls.map((value, s) => ({ key: { width: Number(w), seeds: s, steps: 100 }, value }))),
  };
}

describe("modes", () => {
  it("counts two modes of a well-separated mixture and one of a normal sample", () => {
    const z = normals(600, 1);
    const mixture = z.map((x, i) => (i % 3 === 0 ? -5 + 0.3 * x : -2 + 0.3 * x));
    expect(findModes(mixture, opts).peaks).toHaveLength(2);
    expect(findModes(z.map((x) => -4 + 0.5 * x), opts).peaks).toHaveLength(1);
  });

  it("counts four modes of the paper-like four-peak histogram (log10 loss at −5, −3.5, −2, −1)", () => {
    const z = normals(1000, 2);
    const centres = [-5, -3.5, -2, -1];
    expect(findModes(z.map((x, i) => centres[i % 4]! + 0.15 * x), opts).peaks).toHaveLength(4);
  });

  it("works per width over seeds on log10 values, and marks the lowest mode's members", () => {
    const z = normals(300, 3);
    const table = lossTable({
      2: z.map((x, i) => 10 ** (i % 2 ? -5 + 0.2 * x : -2 + 0.2 * x)),
      20: z.map((x) => 10 ** (-6 + 0.3 * x)),
    });
    const modes = callFunction(analysisFunctions, "modes", [table], { log10: true, bandwidth: 0.5, min_height: 0.05, min_dip: 0.2 }, ["seeds"]);
    expect(modes.dims).toEqual(["width", "steps"]);
    expect(modes.rows.map((r) => [r.key["width"], r.value])).toEqual([[2, 2], [20, 1]]);
    const members = callFunction(analysisFunctions, "lowest_mode", [table], { log10: true }, ["seeds"]);
    expect(members.dims).toEqual(table.dims);
    const at2 = members.rows.filter((r) => r.key["width"] === 2);
    // Exactly the odd seeds were drawn around 1e-5 (the lower mode).
    expect(at2.map((r) => r.value)).toEqual(at2.map((r) => (Number(r.key["seeds"]) % 2 ? 1 : 0)));
    expect(members.rows.filter((r) => r.key["width"] === 20).every((r) => r.value === 1)).toBe(true);
  });

  // Evenly spread quantiles of 0.8·N(0, 1) + 0.2·N(2, 0.4²): a sample without sampling noise, so only the
  // sample size changes between calls. The smaller component is a shoulder with a shallow dip.
  const shoulder = (n: number): number[] => {
    const cdf = (x: number) => 0.8 * 0.5 * (1 + erf(x / Math.SQRT2)) + 0.2 * 0.5 * (1 + erf((x - 2) / (0.4 * Math.SQRT2)));
    return Array.from({ length: n }, (_, i) => {
      let [lo, hi] = [-10, 10];
      for (let k = 0; k < 60; k++) [lo, hi] = cdf((lo + hi) / 2) < (i + 0.5) / n ? [(lo + hi) / 2, hi] : [lo, (lo + hi) / 2];
      return (lo + hi) / 2;
    });
  };

  it("with a Scott's-rule bandwidth the count depends on the sample size; with kernel_width it does not", () => {
    // Scott's rule narrows the kernel as n^(−1/5): at 96 values the shoulder is smoothed away, at 1000 a mode
    expect(findModes(shoulder(96), opts).peaks).toHaveLength(1);
    expect(findModes(shoulder(1000), opts).peaks).toHaveLength(2);
    const fixed = { ...opts, kernelWidth: 0.5 };
    for (const n of [96, 1000, 4000]) expect(findModes(shoulder(n), fixed).peaks).toHaveLength(1);
    // a fixed kernel still separates well-separated modes
    const z = normals(600, 1);
    expect(findModes(z.map((x, i) => (i % 3 === 0 ? -5 + 0.3 * x : -2 + 0.3 * x)), { ...opts, kernelWidth: 0.3 }).peaks).toHaveLength(2);
  });

  it("needs `over` and gives NaN for a group with NaN", () => {
    const table = lossTable({ 2: [1e-3, 1e-4, NaN] });
    expectRuntimeError(() => callFunction(analysisFunctions, "modes", [table], {}, []), "RUN040", /over seeds/);
    expect(callFunction(analysisFunctions, "modes", [table], {}, ["seeds"]).rows[0]!.value).toBeNaN();
  });
});

describe("options out of range are RUN040 (a setting), not RUN050 (a failure on the data)", () => {
  const table = lossTable({ 2: [1e-3, 1e-4, 1e-2], 4: [1e-4, 1e-5, 1e-3] });
  const call = (fn: string, options: Record<string, unknown>) => () => callFunction(analysisFunctions, fn, [table], options as never, ["seeds"]);
  it("modes: bandwidth, min_height, min_dip", () => {
    expectRuntimeError(call("modes", { bandwidth: 0 }), "RUN040", /bandwidth must be > 0/);
    expectRuntimeError(call("modes", { bandwidth: 0.5, min_height: -1 }), "RUN040", /min_height must be a number ≥ 0, got -1/);
    expectRuntimeError(call("modes", { bandwidth: 0.5, min_dip: Number.NaN }), "RUN040", /min_dip must be a number ≥ 0/);
    expectRuntimeError(call("modes", { bandwidth: 0.5, kernel_width: 0 }), "RUN040", /kernel_width must be > 0/);
  });
  it("ensemble_test: stat and pairs", () => {
    expectRuntimeError(call("ensemble_test", { along: "width", stat: "mean", pairs: 10, seed: 0 }), "RUN040", /stat must be ks, median_ratio or median, got mean/);
    expectRuntimeError(call("ensemble_test", { along: "width", stat: "ks", pairs: 0.5, seed: 0 }), "RUN040", /pairs must be a whole number ≥ 1, got 0.5/);
  });
});

describe("ensemble vs coordination", () => {
  it("ensembles of two equal losses L are L/2 exactly", () => {
    expect(new Set(ensembleLosses([4, 4, 4], 100, new Rng(0)))).toEqual(new Set([2]));
  });

  it("KS distance matches hand computation", () => {
    expect(ksDistance([1, 2, 3, 4], [1, 2, 3, 4])).toBe(0);
    expect(ksDistance([1, 2], [3, 4])).toBe(1);
    // F_a jumps at 1, 2, 3; F_b at 2.5: largest gap at x ∈ [2, 2.5): 2/3 − 0.
    expect(ksDistance([1, 2, 3], [2.5])).toBeCloseTo(2 / 3, 15);
  });

  it("compares width N with resampled pairs from N/2: median ratio and KS against closed forms", () => {
    const table = lossTable({ 1: [2, 2, 2], 2: [0.5, 0.5, 0.5, 0.5], 3: [7], 4: [1, 3] });
    const ratio = callFunction(analysisFunctions, "ensemble_test", [table], { along: "width", stat: "median_ratio", pairs: 1000, seed: 0 }, ["seeds"]);
    expect(ratio.dims).toEqual(["steps", "width"]);
    // width 2: ensembles of 2 and 2 = 1, actual 0.5 → 2. width 4: halves 0.5 → ensembles 0.25; actual median 2 → 0.125.
    expect(ratio.rows.map((r) => [r.key["width"], r.value])).toEqual([[2, 2], [4, 0.125]]);
    const ks = callFunction(analysisFunctions, "ensemble_test", [table], { along: "width", stat: "ks", pairs: 1000, seed: 0 }, ["seeds"]);
    expect(ks.rows.map((r) => r.value)).toEqual([1, 1]);
  });

  it("reports an error when no width has its half", () => {
    expect(() => callFunction(analysisFunctions, "ensemble_test", [lossTable({ 3: [1], 5: [1] })], { along: "width" }, ["seeds"])).toThrow(/no width N whose half/);
  });
});

describe("power laws", () => {
  it("local exponents recover a planted N⁻⁴ → N⁻¹ crossover exactly", () => {
    const widths = [5, 10, 20, 40];
    // y = N^−4 up to 10, then continuous with N^−1.
    const y = (n: number) => (n <= 10 ? n ** -4 : 10 ** -4 * (n / 10) ** -1);
    const table: Table = { dims: ["width"], rows: widths.map((w) => ({ key: { width: w }, value: y(w) })) };
    const local = callFunction(analysisFunctions, "local_exponents", [table], { along: "width" }, []);
    expect(local.rows.map((r) => r.key["width"])).toEqual([10, 20, 40]);
    const values = local.rows.map((r) => r.value as number);
    expect(values[0]).toBeCloseTo(4, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(values[2]).toBeCloseTo(1, 12);
  });

  it("fit_power_law recovers a planted exponent α = 1 from noisy medians, inside its 95% interval", () => {
    const z = normals(5, 9);
    const points = [10, 20, 30, 40, 50].map((n, i) => ({ x: n, y: 3e-4 * n ** -1 * Math.exp(0.05 * z[i]!) }));
    const fit = fitPowerLaw(points, "median_loss ~ width");
    expect(fit.alpha).toBeGreaterThan(0.85);
    expect(fit.alpha).toBeLessThan(1.15);
    expect(fit.ciLow!).toBeLessThan(-1);
    expect(fit.ciHigh!).toBeGreaterThan(-1);
  });

  it("is reachable from analysis expressions as a library function", () => {
    const table = lossTable({ 10: [1e-4], 20: [2.5e-5] });
    const env = { probe: () => table, analysis: () => table, totalSteps: () => 100, functions: analysisFunctions } as unknown as Parameters<typeof evaluate>[1];
    const t = evaluate({ op: "fn", name: "local_exponents", args: [{ op: "probe", name: "l" }], options: { along: "width" }, over: [] }, env);
    expect(t.rows[0]!.value).toBeCloseTo(2, 12);
  });
});

describe("in_range", () => {
  it("keeps the rows whose sweep value lies in [min, max], so a fit can use part of a sweep", () => {
    const table = lossTable({ 2: [1], 10: [2], 50: [3] });
    const kept = callFunction(analysisFunctions, "in_range", [table], { along: "width", min: 10 }, []);
    expect(kept.rows.map((r) => r.key["width"])).toEqual([10, 50]);
    expect(callFunction(analysisFunctions, "in_range", [table], { along: "width", max: 10 }, []).rows.map((r) => r.value)).toEqual([1, 2]);
    expect(() => callFunction(analysisFunctions, "in_range", [table], { along: "width", min: 100 }, [])).toThrow(/keeps no rows/);
  });
});
