import { describe, expect, it } from "vitest";
import { evaluateProfile } from "../../runtime/analysis/index.js";
import type { ResultRow, ResultTable } from "../../runtime/analysis/results.js";
import type { AnalysisExpr, AnalysisSpec, ExpectSpec, ProfilePlan, RunSpec } from "../../contract/program.js";

// Runs width ∈ {10, 20, 40} × act ∈ {silu, relu}, seeds 0..2, 100 steps.
// loss = A(act)·width + seed + step/1000 at steps 0, 50, 100 (A = 1 silu, 3 relu).
// final = c·width^p·(1 + 0.01·(seed − 1)) at step 100, so median over seeds = 3·w^−1.2 (silu), 5·w^−2 (relu).
function results(): { runs: RunSpec[]; table: ResultTable } {
  const seeds = [0, 1, 2];
  const rows: ResultRow[] = [];
  const totalSteps: Record<string, number> = {};
  const runs: RunSpec[] = [];
  for (const width of [10, 20, 40]) {
    for (const act of ["silu", "relu"]) {
      const id = `width=${width},act=${act}`;
      const point = { width, act };
      runs.push({ id, point, probes: [{ name: "loss" }, { name: "final" }, { name: "never" }], events: [] } as unknown as RunSpec);
      totalSteps[id] = 100;
      const [a, c, p] = act === "silu" ? [1, 3, -1.2] : [3, 5, -2];
      for (const seed of seeds) {
        for (const step of [0, 50, 100]) rows.push({ run: id, point, seed, step, epoch: 0, probe: "loss", value: a * width + seed + step / 1000 });
        rows.push({ run: id, point, seed, step: 100, epoch: 0, probe: "final", value: c * width ** p * (1 + 0.01 * (seed - 1)) });
      }
    }
  }
  return { runs, table: { sweepVars: ["width", "act"], seeds, rows, totalSteps } };
}

const probe = (name: string): AnalysisExpr => ({ op: "probe", name });
const ref = (name: string): AnalysisExpr => ({ op: "let", name });
const num = (value: number): AnalysisExpr => ({ op: "number", value });
const overSeeds = (fn: "median" | "mean", arg: AnalysisExpr): AnalysisExpr => ({ op: "reduce", fn, arg, over: ["seeds"] });

// let median_loss = median(final) over seeds; let alpha = fit_power_law(median_loss ~ width) by act
const lottery: AnalysisSpec[] = [
  { name: "median_loss", line: 10, expr: overSeeds("median", probe("final")) },
  { name: "alpha", line: 11, expr: { op: "fit_power_law", y: ref("median_loss"), x: "width", by: ["act"] } },
];

function check(expects: Omit<ExpectSpec, "line">[], analyses: AnalysisSpec[] = lottery) {
  const { runs, table } = results();
  const plan: ProfilePlan = { seeds: table.seeds, runs, analyses, expects: expects.map((e, i) => ({ ...e, line: 20 + i })), plots: [] };
  return evaluateProfile(plan, table);
}

const alphaIn = (act: string, lo: number, hi: number): AnalysisExpr => ({
  op: "in",
  arg: { op: "select", arg: ref("alpha"), where: { act } },
  lo,
  hi,
  closedHi: true,
});

describe("evaluateProfile", () => {
  it("evaluates analyses in order, a later one using an earlier one", () => {
    const { analyses, errors } = check([]);
    expect([...analyses.keys()]).toEqual(["median_loss", "alpha"]);
    expect(errors).toEqual([]);
    const alpha = analyses.get("alpha")!;
    expect(alpha.dims).toEqual(["act", "steps"]);
    const silu = alpha.rows.find((r) => r.key.act === "silu")!.value;
    expect(typeof silu === "object" && silu.alpha).toBeCloseTo(1.2, 12);
  });

  it("a passing single-row expect reports the measured value", () => {
    const [r] = check([{ text: "alpha[act = silu] in [0.7, 1.3]", expr: alphaIn("silu", 0.7, 1.3) }]).expects;
    expect(r).toEqual({
      text: "alpha[act = silu] in [0.7, 1.3]",
      line: 20,
      passed: true,
      detail: "alpha[act=silu] = 1.2 ∈ [0.7, 1.3]",
      // the row by row table results.json writes: the measured value and the interval's ends as numbers
      // (the fit's alpha is 1.2 up to rounding; the table keeps the steps dimension of the `at end` probe)
      table: { dims: ["steps"], rows: [{ key: { steps: 100 }, holds: true, note: "alpha[act=silu] = 1.2 ∈ [0.7, 1.3]", measured: { value: expect.closeTo(1.2, 12), low: 0.7, high: 1.3 } }] },
    });
  });

  it("a failing single-row expect says by how much", () => {
    const [r] = check([{ text: "alpha[act = relu] in [0.7, 1.3]", expr: alphaIn("relu", 0.7, 1.3) }]).expects;
    expect(r!.passed).toBe(false);
    expect(r!.detail).toBe("alpha[act=relu] = 2 ∉ [0.7, 1.3]");
  });

  it("a failing multi-row expect counts the rows and names each failing one with its values", () => {
    // median final: silu 0.189, 0.0824, 0.0359; relu 0.05, 0.0125, 0.003125 (width 10, 20, 40)
    const expr: AnalysisExpr = { op: "compare", fn: "<", left: ref("median_loss"), right: num(0.05) };
    const [r] = check([{ text: "median_loss < 0.05", expr }]).expects;
    expect(r!.passed).toBe(false);
    expect(r!.detail).toBe(
      "3 of 6 rows hold; fails at width=10, act=silu: median_loss = 0.189 ≥ 5e-2; " +
        "width=10, act=relu: median_loss = 5e-2 ≥ 5e-2; width=20, act=silu: median_loss = 8.24e-2 ≥ 5e-2",
    );
  });

  it("a passing multi-row comparison of two reductions lists rows with both sides' values", () => {
    // mean(final) over seeds < mean(loss) over seeds: joined on width, act and steps (only step 100 is shared)
    const expr: AnalysisExpr = { op: "compare", fn: "<", left: overSeeds("mean", probe("final")), right: overSeeds("mean", probe("loss")) };
    const [r] = check([{ text: "mean(final) over seeds < mean(loss) over seeds", expr }]).expects;
    expect(r!.passed).toBe(true);
    expect(r!.detail).toMatch(
      /^all 6 rows hold: width=10, act=silu: mean\(final\) over seeds = 0\.189 < mean\(loss\) over seeds = 11\.1; .* … and 3 more$/,
    );
  });

  it("within reports the distance from the reference as a percentage", () => {
    // max over steps ≥ 50% of loss[width=10, act=silu, seeds=0] = 10.1; |10.1 − 11|/11 = 8.18%
    const sharp: AnalysisExpr = {
      op: "reduce",
      fn: "max",
      over: [],
      arg: { op: "time", relation: "after", at: { fraction: 0.5 }, arg: { op: "select", arg: probe("loss"), where: { width: 10, act: "silu", seeds: 0 } } },
    };
    const within = (fraction: number): AnalysisExpr => ({ op: "within", arg: sharp, tolerance: { fraction }, reference: num(11) });
    const [pass, fail] = check([
      { text: "max(loss after 50%) within 15% of 11", expr: within(0.15) },
      { text: "max(loss after 50%) within 5% of 11", expr: within(0.05) },
    ]).expects;
    expect(pass).toMatchObject({ passed: true, detail: "max(loss[width=10, act=silu, seeds=0] after 50%) = 10.1, within 15% of 11 (off by 8.18%)" });
    expect(fail).toMatchObject({ passed: false, detail: "max(loss[width=10, act=silu, seeds=0] after 50%) = 10.1, not within 5% of 11 (off by 8.18%)" });
  });

  it("within an absolute tolerance compares |x − ref| with it, per row; not inverts each row", () => {
    // median final over seeds at relu: 0.05, 0.0125, 0.003125; |x − 0.01| = 0.04, 0.0025, 0.006875: ≤ 0.007 holds at width 20 and 40
    const near: AnalysisExpr = {
      op: "within",
      arg: { op: "select", arg: ref("median_loss"), where: { act: "relu" } },
      tolerance: { absolute: 0.007 },
      reference: num(0.01),
    };
    const [w, n] = check([
      { text: "median_loss[act = relu] within 0.007 of 0.01", expr: near },
      { text: "not (median_loss[act = relu] within 0.007 of 0.01)", expr: { op: "not", arg: near } },
    ]).expects;
    expect(w).toMatchObject({
      passed: false,
      detail: "2 of 3 rows hold; fails at width=10: median_loss[act=relu] = 5e-2, not within 7e-3 of 1e-2 (off by 4e-2)",
    });
    expect(n).toMatchObject({ passed: false });
    expect(n!.detail).toBe(
      "1 of 3 rows hold; fails at width=20: not: median_loss[act=relu] = 1.25e-2, within 7e-3 of 1e-2 (off by 2.5e-3); " +
        "width=40: not: median_loss[act=relu] = 3.13e-3, within 7e-3 of 1e-2 (off by 6.88e-3)",
    );
  });

  it("and/or keep the notes of the sides that decided each row", () => {
    const both: AnalysisExpr = { op: "and", left: alphaIn("silu", 0.7, 1.3), right: alphaIn("relu", 0.7, 1.3) };
    const either: AnalysisExpr = { op: "or", left: alphaIn("silu", 0.7, 1.3), right: alphaIn("relu", 0.7, 1.3) };
    const [a, o] = check([
      { text: "both", expr: both },
      { text: "either", expr: either },
    ]).expects;
    expect(a).toMatchObject({ passed: false, detail: "alpha[act=relu] = 2 ∉ [0.7, 1.3]" });
    expect(o).toMatchObject({ passed: true, detail: "alpha[act=silu] = 1.2 ∈ [0.7, 1.3]" });
  });

  it("an empty table fails and says which part came out empty", () => {
    const [neverMeasured, noTime] = check([
      { text: "never < 1", expr: { op: "compare", fn: "<", left: probe("never"), right: num(1) } },
      {
        text: "mean(loss after step 101) < 1",
        expr: { op: "compare", fn: "<", left: { op: "time", relation: "after", arg: probe("loss"), at: { step: 101 } }, right: num(1) },
      },
    ]).expects;
    expect(neverMeasured).toMatchObject({ passed: false, detail: "no rows to check: probe never has no measurements" });
    expect(noTime).toMatchObject({ passed: false, detail: "no rows to check: `loss after step 101` keeps no measurements of loss (its steps run 0..100)" });
  });

  it("an evaluation error fails the expect with the error; a failed analysis is reported and its users fail with its cause", () => {
    const badAnalysis: AnalysisSpec = { name: "bad", line: 12, expr: { op: "select", arg: probe("loss"), where: { act: "selu" } } };
    const { expects, errors, analyses } = check(
      [
        { text: "alpha[act = selu] in [0.7, 1.3]", expr: alphaIn("selu", 0.7, 1.3) },
        { text: "max(bad) < 1", expr: { op: "compare", fn: "<", left: { op: "reduce", fn: "max", arg: ref("bad"), over: [] }, right: num(1) } },
        { text: "alpha[act = silu] in [0.7, 1.3]", expr: alphaIn("silu", 0.7, 1.3) },
      ],
      [...lottery, badAnalysis],
    );
    expect(expects.map((e) => [e.passed, e.detail])).toEqual([
      [false, "error RUN051: alpha has no rows at act = selu; act takes the values silu, relu"],
      [false, "error RUN051: analysis bad could not be evaluated: loss has no rows at act = selu; act takes the values silu, relu"],
      [true, "alpha[act=silu] = 1.2 ∈ [0.7, 1.3]"],
    ]);
    expect(errors.map((e) => [e.name, e.line, e.error.code])).toEqual([["bad", 12, "RUN051"]]);
    expect([...analyses.keys()]).toEqual(["median_loss", "alpha"]);
  });

  it("an error's hint stays on the detail's one line", () => {
    const maxLoss: AnalysisExpr = { op: "reduce", fn: "max", arg: probe("loss"), over: [] };
    const bare: AnalysisExpr = { op: "compare", fn: "<", left: { op: "reduce", fn: "max", arg: maxLoss, over: [] }, right: num(1) };
    const { expects } = check([{ text: "max(max(loss)) < 1", expr: bare }]);
    expect(expects[0]!.detail).toBe(
      "error RUN051: max(max(loss)) without `over` reduces over steps, but max(loss) has no steps dimension " +
        "(its dimensions: width, act, seeds); hint: name the dimensions to reduce: `max(max(loss)) over seeds`",
    );
  });

  it("a negative literal prints as its value, not as `-0.5 = -0.5`", () => {
    const slope: AnalysisExpr = { op: "field", arg: { op: "select", arg: ref("alpha"), where: { act: "silu" } }, name: "exponent" };
    const [r] = check([{ text: "alpha[act = silu].exponent < -0.5", expr: { op: "compare", fn: "<", left: slope, right: { op: "neg", arg: num(0.5) } } }]).expects;
    expect(r).toMatchObject({ passed: true, detail: "alpha[act=silu].exponent = -1.2 < -0.5" });
  });

  it("a condition that gives numbers is not an expectation", () => {
    const [r] = check([{ text: "median_loss", expr: ref("median_loss") }]).expects;
    expect(r).toMatchObject({ passed: false, detail: "the condition gives values, not true/false: median_loss" });
  });
});
