/**
 * `correlation(x, y, method)`: Pearson's r and Spearman's ρ checked against hand computations and the
 * one-pass textbook formula (a different computation from the implementation's two-pass one), its NaN
 * cases, and as an analysis: x and y joined on their shared dimensions, one value per group of the
 * dimensions not in `over` (default `steps`), rows without a partner dropped.
 */
import { describe, expect, it } from "vitest";
import { averageRanks, coreAnalysisImplementations, pearson, spearman } from "../../stdlib/core/analyses.js";
import { checkSource } from "../../compiler/check/index.js";
import type { Table } from "../../runtime/analysis/index.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

/** r = (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²)), the one-pass formula. */
function onePass(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const sum = (f: (i: number) => number) => xs.reduce((a, _, i) => a + f(i), 0);
  const [sx, sy, sxy, sxx, syy] = [sum((i) => xs[i]!), sum((i) => ys[i]!), sum((i) => xs[i]! * ys[i]!), sum((i) => xs[i]! ** 2), sum((i) => ys[i]! ** 2)];
  return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx ** 2) * (n * syy - sy ** 2));
}

const correlation = coreAnalysisImplementations.find((a) => a.entry.name === "correlation")!;

describe("pearson and spearman", () => {
  it("match hand computations: x = 1..5, y = 2, 4, 5, 4, 5", () => {
    const [x, y] = [[1, 2, 3, 4, 5], [2, 4, 5, 4, 5]];
    // deviations −2…2 and −2, 0, 1, 0, 1: Σdxdy = 6, Σdx² = 10, Σdy² = 6
    expect(pearson(x, y)).toBeCloseTo(6 / Math.sqrt(60), 14);
    // ranks of y: 1, 2.5, 4.5, 2.5, 4.5 (ties share their mean rank); Σdxdy = 7, Σdy² = 9
    expect(averageRanks(y)).toEqual([1, 2.5, 4.5, 2.5, 4.5]);
    expect(spearman(x, y)).toBeCloseTo(7 / Math.sqrt(90), 14);
  });

  it("agree with the one-pass formula on irregular data, and r(x, a·y + b) = sign(a)·r(x, y)", () => {
    const x = Array.from({ length: 17 }, (_, i) => Math.sin(1.3 * i) + 0.1 * i);
    const y = Array.from({ length: 17 }, (_, i) => Math.cos(0.7 * i) * i + 0.5 * x[i]!);
    expect(pearson(x, y)).toBeCloseTo(onePass(x, y), 12);
    expect(pearson(x, y.map((v) => -3 * v + 7))).toBeCloseTo(-pearson(x, y), 12);
    expect(pearson(x, x)).toBe(1);
  });

  it("Spearman gives 1 for any increasing relation, where Pearson does not", () => {
    const x = [0, 1, 2, 3, 4, 5, 6];
    const y = x.map((v) => Math.exp(v));
    expect(spearman(x, y)).toBe(1);
    expect(spearman(x, y.map((v) => -v))).toBe(-1);
    expect(pearson(x, y)).toBeLessThan(0.9);
  });

  it("is NaN for fewer than 3 pairs, a NaN value, or a constant side (even one whose mean rounds)", () => {
    expect(pearson([1, 2], [3, 5])).toBeNaN();
    expect(pearson([1, 2, NaN], [3, 5, 6])).toBeNaN();
    expect(spearman([1, 2, 3], [3, NaN, 6])).toBeNaN();
    expect(pearson([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [1, 2, 3, 4, 5, 6, 7])).toBeNaN();
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNaN();
  });
});

describe("correlation as an analysis", () => {
  const keyed = (f: (seed: number, step: number, layer: number) => number, steps: readonly number[]): Table => ({
    dims: ["seeds", "steps", "layer"],
    rows: [0, 1].flatMap((seed) => steps.flatMap((step) => [0, 1].map((layer) => ({ key: { seeds: seed, steps: step, layer }, value: f(seed, step, layer) })))),
  });
  const gate = (s: number, t: number, l: number) => 0.6 + 0.01 * t * (l + 1) + 0.05 * Math.sin(t + s);
  const fcos = (s: number, t: number, l: number) => 0.5 + 0.02 * t - 0.1 * Math.cos(2 * t + l + s);

  it("gives one r per seed and layer over steps, joined on the shared steps only", () => {
    // y has an extra step (7) that x lacks: it has no partner and is dropped
    const out = correlation.call([keyed(gate, [0, 1, 2, 3, 4, 5]), keyed(fcos, [0, 1, 2, 3, 4, 5, 7])], { method: "pearson" }, []);
    expect(out.dims).toEqual(["seeds", "layer"]);
    expect(out.rows).toHaveLength(4);
    for (const row of out.rows) {
      const [s, l] = [Number(row.key["seeds"]), Number(row.key["layer"])];
      const steps = [0, 1, 2, 3, 4, 5];
      expect(row.value).toBeCloseTo(onePass(steps.map((t) => gate(s, t, l)), steps.map((t) => fcos(s, t, l))), 12);
    }
  });

  it("correlates across the dimensions `over` names, and broadcasts a table without a shared dimension", () => {
    // over layer: per seed and step, the two layers' pairs; 2 pairs per group is too few, so NaN
    const byLayer = correlation.call([keyed(gate, [0, 1, 2]), keyed(fcos, [0, 1, 2])], { method: "pearson" }, ["layer"]);
    expect(byLayer.dims).toEqual(["seeds", "steps"]);
    expect(byLayer.rows.every((r) => Number.isNaN(r.value))).toBe(true);
    // over (steps, layer): 6 pairs per seed
    const both = correlation.call([keyed(gate, [0, 1, 2]), keyed(fcos, [0, 1, 2])], { method: "spearman" }, ["steps", "layer"]);
    expect(both.dims).toEqual(["seeds"]);
    const pairs = (s: number) => [0, 1, 2].flatMap((t) => [0, 1].map((l) => [gate(s, t, l), fcos(s, t, l)] as const));
    for (const row of both.rows) {
      const p = pairs(Number(row.key["seeds"]));
      expect(row.value).toBeCloseTo(onePass(averageRanks(p.map((q) => q[0])), averageRanks(p.map((q) => q[1]))), 12);
    }
  });

  it("refuses arguments without the dimension it correlates across (RUN051)", () => {
    const scalarPerSeed: Table = { dims: ["seeds"], rows: [{ key: { seeds: 0 }, value: 1 }] };
    expect(() => correlation.call([scalarPerSeed, scalarPerSeed], { method: "pearson" }, [])).toThrow(DyncRuntimeError);
  });

  it("checks in a program, and names its options in a diagnostic", () => {
    const program = (call: string) => `experiment c {
  seeds 2
  data train = gaussian_mixture(n: 64, d: 3, classes: 4)
  model net = mlp(hidden: [8, 8], bias: false)
  loss cross_entropy
  optimizer sgd(lr: 0.05)
  train 20 steps, batch 16
  probe fcos = feature_cosine(net, train) every 5 steps
  probe gate = gate_agreement(net, train, pairs: random_pairs(n: 50)) every 5 steps
  let r = ${call}
  expect min(r) over (seeds, layer) > -2
}
`;
    expect(checkSource(program("correlation(gate.agreement, fcos.cosine, method: spearman)"), "c.dyn").diagnostics).toEqual([]);
    const wrong = checkSource(program("correlation(gate.agreement, fcos.cosine, methd: spearman)"), "c.dyn").diagnostics;
    expect(wrong.map((d) => d.code)).toEqual(["DYN2011"]);
    expect(wrong[0]!.hint).toMatch(/method/);
  });
});
