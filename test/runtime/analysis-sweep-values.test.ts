/**
 * Numeric sweep variables as values in analyses, expects and plot references: `expect sharp within 15% of
 * 2/lr` over a swept lr compares each lr's runs with that lr's own 2/lr (the sweep value joins on its
 * dimension), and `ref: 2/lr` draws one reference per lr. The numbers are built so each run's sharpness
 * is close to its own 2/lr and far from every other lr's.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { checkExpect, evaluate, ResultEnv } from "../../runtime/analysis/index.js";
import type { ResultRow, ResultTable } from "../../runtime/analysis/results.js";
import type { AnalysisExpr, ProfilePlan, RunSpec } from "../../contract/program.js";
import { evaluatePlotTables, plotToVegaLite } from "../../report/plots.js";

const LRS = [0.01, 0.02, 0.05];
const SEEDS = [0, 1];

const SOURCE = `
experiment eos {
  sweep lr in [0.01, 0.02, 0.05]
  sweep act in [tanh, relu]
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  model net = mlp(hidden: [8], act: act)
  loss half_sse
  optimizer gd(lr: lr)
  train 100 steps, batch full
  probe sharp = sharpness(net, train) every 10 steps
  let late = median(sharp after 50%)
  let gap = late - 2/lr
  expect late within 15% of 2/lr
  plot line(sharp, color: lr, ref: 2/lr)
  plot line(late, x: lr, ref: 2/lr)
}
`;

function checked() {
  const result = checkSource(SOURCE, "eos.dyn");
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  return { errors, profile: result.experiments[0]!.profiles["default"]! };
}

/** Sharpness of run (lr, act) at seed s: 2/lr · (1 + 0.05·s) after step 50 (0.5·2/lr before); `wrong` replaces one lr's with another's. */
function results(plan: ProfilePlan, wrong?: { lr: number; as: number }): ResultTable {
  const rows: ResultRow[] = [];
  const totalSteps: Record<string, number> = {};
  for (const run of plan.runs) {
    totalSteps[run.id] = 100;
    const lr = run.point["lr"] as number;
    const target = 2 / (wrong?.lr === lr ? wrong.as : lr);
    for (const seed of SEEDS) {
      for (let step = 0; step <= 100; step += 10) {
        rows.push({ run: run.id, point: run.point, seed, step, epoch: 0, probe: "sharp", value: target * (step > 50 ? 1 + 0.05 * seed : 0.5) });
      }
    }
  }
  return { sweepVars: ["lr", "act"], seeds: SEEDS, rows, totalSteps };
}

function envOf(plan: ProfilePlan, wrong?: { lr: number; as: number }): ResultEnv {
  const env = new ResultEnv({ ...plan, seeds: SEEDS, runs: plan.runs as RunSpec[] }, results(plan, wrong));
  for (const a of plan.analyses) env.lets.set(a.name, evaluate(a.expr, env));
  return env;
}

describe("a numeric sweep variable as a value", () => {
  it("compiles to a sweep reference in analyses, expects and plot references", () => {
    const { errors, profile } = checked();
    expect(errors).toEqual([]);
    const twoOverLr: AnalysisExpr = { op: "arith", fn: "/", left: { op: "number", value: 2 }, right: { op: "sweep", name: "lr" } };
    expect(profile.analyses.find((a) => a.name === "gap")!.expr).toEqual({ op: "arith", fn: "-", left: { op: "let", name: "late" }, right: twoOverLr });
    expect(profile.expects[0]!.expr).toEqual({ op: "within", arg: { op: "let", name: "late" }, tolerance: { fraction: 0.15 }, reference: twoOverLr });
    const line = profile.plots[0]!;
    expect(line.kind === "line" && line.refs).toEqual([{ kind: "sweep", expr: twoOverLr, label: "2/lr" }]);
  });

  it("is one row per sweep point, keyed by the variable", () => {
    const { profile } = checked();
    const table = evaluate({ op: "sweep", name: "lr" }, envOf(profile));
    expect(table).toEqual({ dims: ["lr"], rows: LRS.map((lr) => ({ key: { lr }, value: lr })) });
  });

  it("gives each run its own point's value: late − 2/lr = 2/lr · 0.05·seed at every lr", () => {
    const { profile } = checked();
    const gap = envOf(profile).lets.get("gap")!;
    expect(gap.rows).toHaveLength(LRS.length * 2 * SEEDS.length);
    for (const row of gap.rows) expect(row.value).toBeCloseTo((2 / (row.key["lr"] as number)) * 0.05 * (row.key["seeds"] as number), 9);
  });

  it("an expect within 15% of 2/lr holds when each lr hovers at its own 2/lr, and fails only at the lr that does not", () => {
    const { profile } = checked();
    const spec = profile.expects[0]!;
    expect(checkExpect(spec, envOf(profile)).passed).toBe(true);
    // lr = 0.02's runs at 2/0.01 = 200: 100% above their own 2/lr = 100, though equal to another lr's threshold.
    const wrong = checkExpect(spec, envOf(profile, { lr: 0.02, as: 0.01 }));
    expect(wrong.passed).toBe(false);
    expect(wrong.detail).toContain("lr=0.02");
    expect(wrong.detail).not.toContain("lr=0.01,");
    expect(wrong.detail).not.toContain("lr=0.05");
  });

  it("draws a rule per lr at 2/lr on a plot over steps, and a dashed curve when lr is the x axis", () => {
    const { profile } = checked();
    const env = envOf(profile);
    const [overSteps, overLr] = profile.plots;
    const data = (spec: typeof overSteps) => (plotToVegaLite(spec!, evaluatePlotTables(spec!, env)) as { datasets?: Record<string, Record<string, unknown>[]>; data?: { values: Record<string, unknown>[] } });
    const values = (spec: typeof overSteps) => {
      const vl = data(spec);
      return vl.data?.values ?? Object.values(vl.datasets ?? {}).flat();
    };
    const rules = values(overSteps).filter((d) => d["_layer"] === "ref");
    expect(rules.map((d) => [d["y"], d["label"]])).toEqual([
      [200, "2/lr = 200 (lr = 0.01)"],
      [100, "2/lr = 100 (lr = 0.02)"],
      [40, "2/lr = 40 (lr = 0.05)"],
    ]);
    const curve = values(overLr).filter((d) => d["_layer"] === "refcurve");
    expect(curve.map((d) => [d["x"], d["y"]])).toEqual(LRS.map((lr) => [lr, 2 / lr]));
  });

  it("a sweep over names stays a dimension, not a value (DYN2041)", () => {
    const result = checkSource(SOURCE.replace("let gap = late - 2/lr", "let gap = late - act"), "eos.dyn");
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
    expect(errors).toEqual(["DYN2041 the sweep variable `act` takes values that are not plain numbers, so it cannot be used as a value in an analysis; select a point with `x[act = …]` instead"]);
  });
});
