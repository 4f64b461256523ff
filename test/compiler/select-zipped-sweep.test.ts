/**
 * Selecting one variable of a zipped sweep fixes the zip's other variables: `p1[variant = "plain"]` drops
 * `norm` (zipped with `variant`) as well, so a window found at the plain point lines up with the series of
 * another point (`l[variant = "bn"] before plain_p1`), per seed. Before, the selection kept `norm = none`,
 * the other point's rows had `norm = batchnorm`, and the window's table was empty (RUN051 downstream).
 * Checker: the compiled select names what it fixes. Runtime: the checked plan evaluated over synthetic
 * results whose plateau ends are known (plain: 5% below the start first at step 40 for seed 0, 60 for seed 1).
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import type { ResultRow } from "../../runtime/analysis/results.js";
import { evaluateProfile } from "../../runner/evaluate.js";

const source = `experiment zipped {
  sweep (variant, norm) in zip(["plain", "bn"], [none, batchnorm])
  sweep lr in [0.1]
  seeds 2
  data train = gaussian_mixture(n: 20, d: 4, classes: 2, separation: 3, split: train)
  model net = mlp(hidden: [4], bias: false, norm: norm)
  optimizer sgd(lr: lr)
  train 100 steps
  probe l = loss(net, train) every 10 steps
  let p1 = plateau_end(l, drop: 0.05)
  let plain_p1 = p1[variant = "plain"]
  let bn_early = count(l[variant = "bn"] before plain_p1)
  expect bn_early[seeds = 0] == 4
  expect bn_early[seeds = 1] == 6
  expect count(l[variant = "bn"] before plain_p1) over (seeds, steps, lr) == 10
  expect count(l[variant = "bn", lr = 0.1] before plain_p1[lr = 0.1]) over (seeds, steps) == 10
}
`;

describe("a selection of a zipped sweep variable", () => {
  const checked = checkSource(source, "zipped.dyn");
  const plan = checked.experiments[0]!.profiles["default"]!;

  it("checks clean and fixes the zip's other variables, not the other sweeps'", () => {
    expect(checked.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`)).toEqual([]);
    expect(plan.analyses.find((a) => a.name === "plain_p1")!.expr).toMatchObject({ op: "select", where: { variant: "plain" }, fixes: ["norm"] });
    expect(plan.expects[0]!.expr).toMatchObject({ left: { op: "select", where: { seeds: 0 } } });
    expect("fixes" in (plan.expects[0]!.expr as { left: object }).left).toBe(false);
  });

  it("lines up a window found at one point with another point's series, per seed", () => {
    const rows: ResultRow[] = [];
    const drop: Record<number, number> = { 0: 40, 1: 60 };
    for (const run of plan.runs) {
      for (const seed of [0, 1]) {
        for (let step = 0; step <= 100; step += 10) {
          const value = run.point["variant"] === "plain" ? (step < drop[seed]! ? 2.3 : 1.0) : 2.3 - step / 100;
          rows.push({ run: run.id, point: run.point, seed, step, epoch: 0, probe: "l", value });
        }
      }
    }
    const totalSteps = Object.fromEntries(plan.runs.map((r) => [r.id, 100]));
    const evaluation = evaluateProfile(plan, { sweepVars: ["variant", "norm", "lr"], seeds: [0, 1], rows, totalSteps });
    expect(evaluation.errors.map((e) => e.error.message)).toEqual([]);
    expect(evaluation.expects.map((e) => [e.text, e.passed, e.detail])).toEqual(evaluation.expects.map((e) => [e.text, true, e.detail]));
  });
});
