import { describe as group, expect, it } from "vitest";
import { evaluate, ResultEnv, type Table } from "../../runtime/analysis/index.js";
import type { ResultRow, ResultTable } from "../../runtime/analysis/results.js";
import type { AnalysisExpr, ProfilePlan, RunSpec } from "../../contract/program.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

// Runs width ∈ {10, 20, 40} × act ∈ {silu, relu}, seeds 0..2, 100 steps (width 40 trains `longRun` steps).
// loss = A(act)·width + seed + step/1000 at steps 0, 50, 100 (A = 1 silu, 3 relu): every value traceable.
// final = c(act)·width^p(act)·(1 + 0.01·(seed − 1)) at the last step: its median over seeds is c·width^p.
const widths = [10, 20, 40];
const acts = ["silu", "relu"];
const seeds = [0, 1, 2];
const A: Record<string, number> = { silu: 1, relu: 3 };
const law: Record<string, { c: number; p: number }> = { silu: { c: 3, p: -1.2 }, relu: { c: 5, p: -2 } };

function fixture(longRun = 100): { plan: ProfilePlan; results: ResultTable } {
  const runs = widths.flatMap((width) => acts.map((act) => ({ id: `width=${width},act=${act}`, point: { width, act } })));
  const rows: ResultRow[] = [];
  const totalSteps: Record<string, number> = {};
  for (const { id, point } of runs) {
    const total = point.width === 40 ? longRun : 100;
    totalSteps[id] = total;
    for (const seed of seeds) {
      for (const step of [0, total / 2, total]) {
        rows.push({ run: id, point, seed, step, epoch: 0, probe: "loss", value: A[point.act]! * point.width + seed + step / 1000 });
      }
      const { c, p } = law[point.act]!;
      rows.push({ run: id, point, seed, step: total, epoch: 0, probe: "final", value: c * point.width ** p * (1 + 0.01 * (seed - 1)) });
    }
  }
  const plan = {
    seeds,
    runs: runs.map((r) => ({ ...r, probes: [{ name: "loss" }, { name: "final" }, { name: "never" }], events: [] }) as unknown as RunSpec),
    analyses: [],
    expects: [],
    plots: [],
  } satisfies ProfilePlan;
  return { plan, results: { sweepVars: ["width", "act"], seeds, rows, totalSteps } };
}

const probe = (name: string): AnalysisExpr => ({ op: "probe", name });
const num = (value: number): AnalysisExpr => ({ op: "number", value });
const reduce = (fn: Extract<AnalysisExpr, { op: "reduce" }>["fn"], arg: AnalysisExpr, over: string[] = [], q?: number): AnalysisExpr =>
  q === undefined ? { op: "reduce", fn, arg, over } : { op: "reduce", fn, arg, over, q };
const select = (arg: AnalysisExpr, where: Record<string, string | number>): AnalysisExpr => ({ op: "select", arg, where });
const after = (arg: AnalysisExpr, at: { fraction: number } | { step: number }): AnalysisExpr => ({ op: "time", relation: "after", arg, at });

function run(expr: AnalysisExpr, longRun = 100): Table {
  const { plan, results } = fixture(longRun);
  return evaluate(expr, new ResultEnv(plan, results));
}

/** The value at the row whose key matches `at` on every given dimension (exactly one must match). */
function at(table: Table, key: Record<string, string | number>): unknown {
  const hits = table.rows.filter((r) => Object.entries(key).every(([d, v]) => r.key[d] === v));
  expect(hits).toHaveLength(1);
  return hits[0]!.value;
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof DyncRuntimeError) return `${e.code} ${e.message}`;
    throw e;
  }
  return "no error";
}

group("probe series", () => {
  it("has the sweep variables, seeds and steps as dimensions, one row per measurement", () => {
    const t = run(probe("loss"));
    expect(t.dims).toEqual(["width", "act", "seeds", "steps"]);
    expect(t.rows).toHaveLength(6 * 3 * 3);
    expect(at(t, { width: 20, act: "relu", seeds: 2, steps: 50 })).toBe(3 * 20 + 2 + 0.05);
  });

  it("is empty for a declared probe that was never measured, and RUN051 for an unknown one", () => {
    expect(run(probe("never")).rows).toEqual([]);
    expect(errorOf(() => run(probe("los")))).toBe('RUN051 no probe named "los" in the results; probes: final, loss, never');
  });
});

group("reductions over dimensions", () => {
  it("without `over` reduce over steps", () => {
    const t = run(reduce("max", probe("loss")));
    expect(t.dims).toEqual(["width", "act", "seeds"]);
    expect(at(t, { width: 10, act: "relu", seeds: 1 })).toBeCloseTo(30 + 1 + 0.1, 14);
  });

  it("`over seeds` removes exactly that dimension; several dims at once; over a sweep variable", () => {
    const med = run(reduce("median", probe("loss"), ["seeds"]));
    expect(med.dims).toEqual(["width", "act", "steps"]);
    expect(at(med, { width: 40, act: "silu", steps: 100 })).toBeCloseTo(40 + 1 + 0.1, 14); // median of seeds 0,1,2 → 1
    const count = run(reduce("count", probe("loss"), ["seeds", "steps"]));
    expect(count.dims).toEqual(["width", "act"]);
    expect(count.rows.every((r) => r.value === 9)).toBe(true);
    const overWidth = run(reduce("mean", probe("loss"), ["width"]));
    expect(at(overWidth, { act: "relu", seeds: 0, steps: 0 })).toBeCloseTo((3 * (10 + 20 + 40)) / 3, 13);
    const std = run(reduce("std", probe("loss"), ["seeds"]));
    expect(at(std, { width: 10, act: "silu", steps: 0 })).toBeCloseTo(1, 14); // sample std of x, x+1, x+2
    const q = run(reduce("quantile", probe("loss"), ["seeds"], 0.25));
    expect(at(q, { width: 10, act: "silu", steps: 0 })).toBeCloseTo(10.5, 13); // h = 0.5 between 10 and 11
  });

  it("first and last pick by step; they must reduce over steps", () => {
    const first = run(reduce("first", probe("loss")));
    const last = run(reduce("last", probe("loss")));
    expect(at(first, { width: 20, act: "silu", seeds: 2 })).toBe(22);
    expect(at(last, { width: 20, act: "silu", seeds: 2 })).toBeCloseTo(22.1, 14);
    expect(errorOf(() => run(reduce("first", probe("loss"), ["seeds"])))).toMatch(/^RUN051 first\(loss\) picks by step/);
    expect(errorOf(() => run(reduce("last", probe("loss"), ["seeds", "steps"])))).toMatch(/^RUN050 last\(loss\) is ambiguous: 3 values at step 100/);
  });

  it("names the missing dimension, and says that a bare reduction means over steps", () => {
    expect(errorOf(() => run(reduce("mean", probe("loss"), ["depth"])))).toBe(
      'RUN051 loss has no dimension "depth"; its dimensions are width, act, seeds, steps',
    );
    expect(errorOf(() => run(reduce("mean", reduce("max", probe("loss")))))).toMatch(
      /^RUN051 mean\(max\(loss\)\) without `over` reduces over steps, but max\(loss\) has no steps dimension/,
    );
  });
});

group("reductions of conditions", () => {
  // loss at relu, width 20 = 60 + seed + step/1000: below 62 for seeds 0 and 1 (6 of the 9 rows), not seed 2
  const below = select({ op: "compare", fn: "<", left: probe("loss"), right: num(62) }, { act: "relu", width: 20 });
  it("mean gives the share of rows where the condition holds, sum their number", () => {
    expect(run(reduce("mean", below, ["seeds", "steps"])).rows.map((r) => r.value)).toEqual([6 / 9]);
    expect(run(reduce("sum", below, ["seeds", "steps"])).rows.map((r) => r.value)).toEqual([6]);
    expect(at(run(reduce("mean", below, ["steps"])), { seeds: 2 })).toBe(0);
  });
  it("other statistics of a condition are RUN040", () => {
    expect(errorOf(() => run(reduce("median", below, ["seeds", "steps"])))).toMatch(/^RUN040 .*true\/false condition where a number is needed/);
  });
});

group("elementwise operations and joins", () => {
  it("a table with fewer dims broadcasts: loss − mean(loss) over seeds = seed − 1", () => {
    const t = run({ op: "arith", fn: "-", left: probe("loss"), right: reduce("mean", probe("loss"), ["seeds"]) });
    expect(t.dims).toEqual(["width", "act", "seeds", "steps"]);
    expect(t.rows).toHaveLength(54);
    for (const r of t.rows) expect(r.value).toBeCloseTo(Number(r.key.seeds) - 1, 12);
  });

  it("a number broadcasts everywhere; neg, map and ^ act on each row", () => {
    const last = reduce("last", select(probe("loss"), { act: "silu", seeds: 0 }));
    const t = run({ op: "map", fn: "log10", arg: { op: "arith", fn: "^", left: { op: "neg", arg: last }, right: num(2) } });
    expect(t.dims).toEqual(["width"]);
    expect(at(t, { width: 20 })).toBeCloseTo(2 * Math.log10(20.1), 13);
  });

  it("tables with different extra dims join on the shared ones (an outer product over the rest)", () => {
    const silu = select(probe("loss"), { act: "silu" }); // width, seeds, steps
    const w10 = select(probe("loss"), { width: 10 }); // act, seeds, steps
    const t = run({ op: "arith", fn: "+", left: silu, right: w10 });
    expect(t.dims).toEqual(["width", "seeds", "steps", "act"]);
    expect(t.rows).toHaveLength(3 * 3 * 3 * 2);
    // (1·40 + 2 + 0.05) + (3·10 + 2 + 0.05)
    expect(at(t, { width: 40, seeds: 2, steps: 50, act: "relu" })).toBeCloseTo(42.05 + 32.05, 12);
  });

  it("rows present on one side only are dropped", () => {
    const t = run({ op: "arith", fn: "-", left: after(probe("loss"), { fraction: 0.5 }), right: probe("loss") });
    expect(t.rows).toHaveLength(36);
    expect(new Set(t.rows.map((r) => r.key.steps))).toEqual(new Set([50, 100]));
    expect(t.rows.every((r) => r.value === 0)).toBe(true);
  });

  it("booleans are not numbers: a clear RUN040", () => {
    const cond: AnalysisExpr = { op: "compare", fn: "<", left: probe("loss"), right: num(1) };
    expect(errorOf(() => run({ op: "arith", fn: "+", left: cond, right: num(1) }))).toBe(
      "RUN040 `loss < 1` is a true/false condition where a number is needed",
    );
  });
});

group("select", () => {
  it("keeps the rows at the given values and drops those dims", () => {
    const t = run(select(probe("loss"), { act: "relu", width: 20 }));
    expect(t.dims).toEqual(["seeds", "steps"]);
    expect(t.rows).toHaveLength(9);
    expect(at(t, { seeds: 1, steps: 0 })).toBe(61);
  });

  it("a value that does not exist, or an unknown dimension, is an error naming what exists", () => {
    expect(errorOf(() => run(select(probe("loss"), { act: "selu" })))).toBe(
      "RUN051 loss has no rows at act = selu; act takes the values silu, relu",
    );
    expect(errorOf(() => run(select(probe("loss"), { depth: 2 })))).toBe(
      'RUN051 loss has no dimension "depth"; its dimensions are width, act, seeds, steps',
    );
  });
});

group("time filters", () => {
  it("after 50% keeps step ≥ 0.5·totalSteps (the boundary is kept); before keeps step < it", () => {
    const kept = run(after(probe("loss"), { fraction: 0.5 }));
    expect(new Set(kept.rows.map((r) => r.key.steps))).toEqual(new Set([50, 100]));
    const before = run({ op: "time", relation: "before", arg: probe("loss"), at: { fraction: 0.5 } });
    expect(new Set(before.rows.map((r) => r.key.steps))).toEqual(new Set([0]));
    expect(kept.rows.length + before.rows.length).toBe(54);
  });

  it("after N steps uses the step directly", () => {
    const t = run(after(probe("loss"), { step: 51 }));
    expect(new Set(t.rows.map((r) => r.key.steps))).toEqual(new Set([100]));
  });

  it("a fraction uses each run's own length, and is an error when reduced runs differ in length", () => {
    // width 40 trains 200 steps: its measurements are at 0, 100, 200 and 50% means step ≥ 100.
    const t = run(after(probe("loss"), { fraction: 0.75 }), 200);
    expect(new Set(t.rows.filter((r) => r.key.width === 40).map((r) => r.key.steps))).toEqual(new Set([200]));
    expect(new Set(t.rows.filter((r) => r.key.width === 10).map((r) => r.key.steps))).toEqual(new Set([100]));
    expect(errorOf(() => run(after(reduce("mean", probe("loss"), ["width"]), { fraction: 0.5 }), 200))).toMatch(
      /^RUN050 a fraction of training is ambiguous here: the rows come from runs of 100, 200 steps/,
    );
  });
});

group("fit_power_law over tables", () => {
  const medianFinal = reduce("median", probe("final"), ["seeds"]);
  const fit: AnalysisExpr = { op: "fit_power_law", y: medianFinal, x: "width", by: ["act"] };
  const field = (name: string, arg: AnalysisExpr = fit): AnalysisExpr => ({ op: "field", arg, name });

  it("fits each `by` group across the sweep variable and exposes the fields", () => {
    const t = run(fit);
    expect(t.dims).toEqual(["act", "steps"]); // the unreduced steps dim stays a grouping dim
    const alpha = run(field("alpha"));
    expect(at(alpha, { act: "silu" })).toBeCloseTo(1.2, 12);
    expect(at(alpha, { act: "relu" })).toBeCloseTo(2, 12);
    expect(at(run(field("exponent")), { act: "silu" })).toBeCloseTo(-1.2, 12);
    expect(at(run(field("coefficient")), { act: "relu" })).toBeCloseTo(5, 11);
    expect(at(run(field("r2")), { act: "relu" })).toBeCloseTo(1, 12);
    expect(at(run(field("ci_low")), { act: "silu" })).toBeCloseTo(-1.2, 10);
  });

  it("groups by every remaining dim except x: an unreduced seeds dim gives one fit per seed", () => {
    const perSeed = run({ op: "fit_power_law", y: probe("final"), x: "width", by: [] });
    expect(perSeed.dims).toEqual(["act", "seeds", "steps"]);
    expect(perSeed.rows).toHaveLength(6);
  });

  it("a fit used as a number stands for its alpha", () => {
    const t = run({ op: "in", arg: select(fit, { act: "silu" }), lo: 1.1, hi: 1.3, closedHi: true });
    expect(t.rows.map((r) => r.value)).toEqual([true]);
  });

  it("stderr of a 2-point fit, a non-numeric x and negative values are RUN050 errors", () => {
    const two = { op: "fit_power_law", y: select(medianFinal, { width: 40 }), x: "width", by: [] } as const;
    expect(errorOf(() => run(two))).toMatch(/^RUN051 median\(final\) over seeds\[width=40\] has no dimension "width"/);
    const twoWidths: AnalysisExpr = {
      op: "fit_power_law",
      y: { op: "time", relation: "before", arg: medianFinal, at: { step: 150 } },
      x: "width",
      by: ["act"],
    };
    expect(run(field("alpha", twoWidths), 200).rows).toHaveLength(2); // width 40 trained 200 steps: only 10, 20 left
    expect(errorOf(() => run(field("alpha", { ...twoWidths, y: medianFinal }), 200))).toMatch(
      /^RUN050 fit_power_law\(median\(final\) over seeds ~ width\) has only 1 point at act=silu, step=200: it fits each step separately/,
    );
    expect(errorOf(() => run(field("stderr", twoWidths), 200))).toMatch(/^RUN050 .*\.stderr is undefined: the fit at act=silu, step=100 has only 2 points/);
    expect(errorOf(() => run({ op: "fit_power_law", y: medianFinal, x: "act", by: [] }))).toMatch(/^RUN050 fit_power_law needs a numeric sweep variable, but act = silu/);
    const negative: AnalysisExpr = { op: "neg", arg: medianFinal };
    expect(errorOf(() => run({ op: "fit_power_law", y: negative, x: "width", by: ["act"] }))).toMatch(/^RUN050 fit_power_law\(-.* ~ width at act=silu, step=100\) needs positive finite values, but has y = -0.189287 at x = 10/);
  });
});
