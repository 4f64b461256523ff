/**
 * `plateau_end(series, drop, smooth)`: the first step at which the trailing mean over `smooth` measurements
 * has fallen to (1 − drop) of the first such mean; NaN when never. Hand-built series with the answer
 * worked out from the rule, through the registered analysis (the table path) and the checker.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import type { AnalysisExpr } from "../../contract/program.js";
import { describe as describeExpr, evaluate, type AnalysisEnv, type Table } from "../../runtime/analysis/index.js";
import { plateauEndIndex } from "../../stdlib/core/analyses.js";
import { analysisFunctions, analysisImplementations } from "../../stdlib/implementations.js";

const plateauEnd = (table: Table, drop: number, smooth: number) => analysisImplementations.get("plateau_end")!.call([table], { drop, smooth }, []);

/** A loss series per seed, measured every 10 steps. */
function lossTable(perSeed: readonly (readonly number[])[]): Table {
  return { dims: ["seeds", "steps"], rows: perSeed.flatMap((values, seed) => values.map((value, i) => ({ key: { seeds: seed, steps: 10 * i }, value }))) };
}

describe("plateau_end", () => {
  it("finds the first step where the loss has lost `drop` of its start: plateau then drop, per seed; NaN when it never drops", () => {
    // seed 0: flat at 2.30 for 5 measurements, then 2.0, 1.5, 0.8 → 10% below 2.30 is 2.07: first at 2.0 (index 5, step 50)
    // seed 1: a plateau that only wobbles (never below 2.07): NaN
    const table = lossTable([
      [2.3, 2.3, 2.29, 2.3, 2.28, 2.0, 1.5, 0.8],
      [2.3, 2.25, 2.31, 2.2, 2.1, 2.08, 2.2, 2.15],
    ]);
    const out = plateauEnd(table, 0.1, 1);
    expect(out.dims).toEqual(["seeds"]);
    expect(out.rows[0]).toEqual({ key: { seeds: 0 }, value: 50 });
    expect(out.rows[1]!.key).toEqual({ seeds: 1 });
    expect(out.rows[1]!.value).toBeNaN();
    // a larger drop asks for more: 50% of 2.3 = 1.15 is first reached at 0.8 (step 70)
    expect(plateauEnd(table, 0.5, 1).rows[0]!.value).toBe(70);
  });

  it("smooths a noisy plateau with a trailing mean, so a single dip does not end it", () => {
    // one dip at index 3 (1.9 < 0.9·2.3 = 2.07) ends the raw plateau at step 30; the loss really drops from index 7
    const noisy = [2.3, 2.35, 2.25, 1.9, 2.4, 2.3, 2.28, 1.6, 1.2, 0.9];
    expect(plateauEndIndex(noisy, 0.1, 1)).toBe(3);
    // smooth 3: start = mean(2.3, 2.35, 2.25) = 2.3, threshold 2.07; trailing means: i=3 (2.35+2.25+1.9)/3 = 2.1667,
    // i=4 2.1833, i=5 2.2, i=6 2.3267, i=7 2.06 ≤ 2.07 → index 7 (step 70)
    expect(plateauEndIndex(noisy, 0.1, 3)).toBe(7);
    expect(plateauEnd(lossTable([noisy]), 0.1, 3).rows[0]!.value).toBe(70);
  });

  it("gives no step for too short a series, a non-positive start or NaN windows, and needs a series over steps", () => {
    expect(plateauEndIndex([2, 1], 0.1, 3)).toBe(-1);
    expect(plateauEndIndex([0, -1, -2], 0.1, 1)).toBe(-1);
    expect(plateauEndIndex([NaN, 1, 0.5], 0.1, 1)).toBe(-1);
    expect(plateauEndIndex([2, NaN, 1.5, 1.2], 0.1, 2)).toBe(-1); // the start window holds the NaN: no start
    expect(plateauEndIndex([2, 2, NaN, 1, 1], 0.1, 2)).toBe(4); // windows with the NaN skip; [1, 1] = 1 ≤ 1.8
    expect(() => plateauEnd({ dims: ["seeds"], rows: [{ key: { seeds: 0 }, value: 1 }] }, 0.1, 1)).toThrow(/plateau_end needs a series over steps/);
  });

  it("checks in a .dyn program with its options, and rejects a drop outside (0, 1)", () => {
    const program = (call: string) => `experiment phases {
  data train = gaussian_mixture(n: 64, d: 3, classes: 4)
  model net = mlp(hidden: [8], act: relu)
  optimizer sgd(lr: 0.05)
  train 20 steps, batch 16
  probe l = loss(net, train) every 2 steps
  let p1 = ${call}
  expect p1 >= 0
}
`;
    const ok = checkSource(program("plateau_end(l, drop: 0.2, smooth: 3)"), "p.dyn");
    expect(ok.diagnostics).toEqual([]);
    const spec = ok.experiments[0]!.profiles["default"]!.analyses.find((a) => a.name === "p1")!;
    expect(spec.expr).toMatchObject({ op: "fn", name: "plateau_end", options: { drop: 0.2, smooth: 3 } });
    const bad = checkSource(program("plateau_end(l, drop: 1.5)"), "p.dyn");
    expect(bad.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(["DYN2041 `drop` of `plateau_end` must be a number in (0, 1)"]);
  });
});

describe("windows bounded by a per-seed step: `x before p1`, `x after p1`", () => {
  // per-class accuracy of 2 seeds × 3 classes every 10 steps; p1 ends at step 20 for seed 0 and never for seed 1
  const acc: Table = {
    dims: ["seeds", "steps", "class"],
    rows: [0, 1].flatMap((seed) => [0, 10, 20, 30].flatMap((steps) => [0, 1, 2].map((c) => ({ key: { seeds: seed, steps, class: c }, value: seed * 100 + steps + c / 10 })))),
  };
  const p1: Table = { dims: ["seeds"], rows: [{ key: { seeds: 0 }, value: 20 }, { key: { seeds: 1 }, value: NaN }] };
  const env = { probe: () => acc, analysis: () => p1, totalSteps: () => 30, functions: analysisFunctions } as AnalysisEnv;
  const window = (relation: "before" | "after"): AnalysisExpr => ({ op: "window", relation, arg: { op: "probe", name: "acc" }, bound: { op: "let", name: "p1" } });

  it("keeps step < p1 before and step ≥ p1 after, per seed, and nothing of a seed whose bound is NaN", () => {
    const before = evaluate(window("before"), env);
    expect(before.dims).toEqual(["seeds", "steps", "class"]);
    expect(before.rows.map((r) => [r.key["seeds"], r.key["steps"], r.key["class"]])).toEqual([0, 10].flatMap((s) => [0, 1, 2].map((c) => [0, s, c])));
    const after = evaluate(window("after"), env);
    expect(after.rows.map((r) => r.key["steps"])).toEqual([20, 20, 20, 30, 30, 30]);
    expect(after.rows.every((r) => r.key["seeds"] === 0)).toBe(true);
    // the per-class accuracy at the last measurement of phase 1: step 10 of seed 0
    const atEnd = evaluate({ op: "reduce", fn: "last", arg: window("before"), over: ["steps"] } as AnalysisExpr, env);
    expect(atEnd.rows.map((r) => r.value)).toEqual([10, 10.1, 10.2]);
    expect(describeExpr(window("before"))).toBe("acc before p1");
  });

  it("refuses a bound that is still a series over steps, or has dimensions the series lacks", () => {
    const overSteps = { ...env, analysis: () => acc } as AnalysisEnv;
    expect(() => evaluate(window("before"), overSteps)).toThrow(/is a series over steps; give one step per group/);
    const foreign = { ...env, analysis: () => ({ dims: ["width"], rows: [{ key: { width: 8 }, value: 10 }] }) } as AnalysisEnv;
    expect(() => evaluate(window("before"), foreign)).toThrow(/has dimensions acc lacks: width/);
  });

  it("is what the checker makes of `before <result>`; durations still need steps or a percentage", () => {
    const program = (lets: string) => `experiment phases {
  data train = gaussian_mixture(n: 64, d: 3, classes: 4)
  model net = mlp(hidden: [8], act: relu)
  optimizer sgd(lr: 0.05)
  train 20 steps, batch 16
  probe l = loss(net, train) every 2 steps
${lets}
}
`;
    const ok = checkSource(program("  let p1 = plateau_end(l, drop: 0.2)\n  let early = mean(l before p1)\n  expect early > 0"), "w.dyn");
    expect(ok.diagnostics).toEqual([]);
    const early = ok.experiments[0]!.profiles["default"]!.analyses.find((a) => a.name === "early")!;
    expect(early.expr).toMatchObject({ op: "reduce", arg: { op: "window", relation: "before", arg: { op: "probe", name: "l" }, bound: { op: "let", name: "p1" } } });
    const bad = checkSource(program("  let early = mean(l before 3 epochs)\n  expect early > 0"), "w.dyn");
    expect(bad.diagnostics.map((d) => d.message)).toEqual([expect.stringContaining("or a result giving a step per seed like `plateau_end(l)`")]);
  });
});
