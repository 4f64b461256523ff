/**
 * Profiles override per key, not per statement (docs/language.md "Profiles"): the checked runs of a
 * profile keep every base setting the profile does not name, and `dync plan` marks what it set.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { describeSettings } from "../../cli/commands/plan.js";

const BASE = `
  data train = grid(x in [-2, 2], n: 256) -> x^2
  data test = grid(x in [-2, 2], n: 101) -> x^2
  model net = mlp(hidden: [16], act: tanh)
  regularize l2(1e-4, on: weights)
  optimizer sgd(lr: 0.1, momentum: 0.9)
  train 10k steps, batch 64, shuffle once
  probe l = loss(net, test) every 100 steps`;

function quick(profile: string) {
  const check = checkSource(`experiment e {${BASE}\n  profile quick { ${profile} }\n}`, "overlay.dyn");
  const errors = check.diagnostics.filter((d) => d.severity === "error");
  const plan = check.experiments[0]!.profiles["quick"]!;
  return { errors, plan, run: plan.runs[0]! };
}

describe("profiles override per key", () => {
  it("`train 500 steps` keeps the base's batch 64 and shuffle once", () => {
    const { errors, run } = quick("train 500 steps");
    expect(errors).toEqual([]);
    expect(run.duration).toEqual({ steps: 500 });
    expect(run.batch).toEqual({ size: 64, shuffle: "once" });
  });

  it("`train 500 steps, batch full` sets both keys", () => {
    expect(quick("train 500 steps, batch full").run.batch).toBe("full");
  });

  it("a call of the same optimizer keeps the arguments it does not give; another optimizer replaces the call", () => {
    expect(quick("optimizer sgd(lr: 0.05)").run.optimizer).toMatchObject({ kind: "sgd", lr: 0.05, momentum: 0.9 });
    expect(quick("optimizer adam(lr: 1e-3)").run.optimizer).toMatchObject({ kind: "adam", lr: 1e-3 });
    expect(quick("optimizer adam(lr: 1e-3)").run.optimizer).not.toHaveProperty("momentum");
  });

  it("a positional argument overrides the parameter it binds (`l2(1e-3)` sets lambda, keeps `on: weights`)", () => {
    const { errors, run } = quick("regularize l2(1e-3)");
    expect(errors).toEqual([]);
    expect(run.l2).toBe(1e-3);
    expect(run.l2On).toBe("weights");
  });

  it("a data source keeps its bindings and target: `data test = grid(n: 11)`", () => {
    const { errors, run } = quick("data test = grid(n: 11)");
    expect(errors).toEqual([]);
    expect(run.data["test"]).toMatchObject({ source: "grid", n: 11, target: run.data["train"]!["target" as never] });
  });

  it("a profile's input variables replace the base's as a set: renaming one, or dropping one of two", () => {
    const grids = (base: string, profile: string) => {
      const check = checkSource(`experiment e {\n  data train = ${base}\n  model net = mlp(hidden: [4])\n  loss mse\n  optimizer sgd(lr: 0.1)\n  train 10 steps\n  profile quick { data train = ${profile} }\n}`, "overlay.dyn");
      expect(check.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      return check.experiments[0]!.profiles["quick"]!.runs[0]!.data["train"] as unknown as { axes: { name: string; lo: number; hi: number }[]; n: number };
    };
    // merged variable by variable, `t` used to be added beside `x` (2 inputs, the model reading both)
    const renamed = grids("grid(x in [-1, 1], n: 20) -> sin(x)", "grid(t in [0, 2], n: 5) -> sin(t)");
    expect(renamed.axes.map((a) => [a.name, a.lo, a.hi])).toEqual([["t", 0, 2]]);
    expect(renamed.n).toBe(5);
    // a 1-D profile of a 2-D grid (before: 3 variables, DYN2005 "grid takes 1 to 2 input variables")
    const flat = grids("grid(x in [-1, 1], y in [0, 1], n: 5) -> x * y", "grid(u in [0, 1], n: 11) -> u");
    expect(flat.axes.map((a) => a.name)).toEqual(["u"]);
    // the same variables with new intervals, order as the profile gives them; the base's `n` kept
    const swapped = grids("grid(x in [-1, 1], y in [0, 1], n: 5) -> x * y", "grid(y in [0, 2], x in [-3, 3])");
    expect(swapped.axes.map((a) => [a.name, a.lo, a.hi])).toEqual([["y", 0, 2], ["x", -3, 3]]);
    expect(swapped.n).toBe(5);
  });

  it("a probe keeps its cadence when the profile gives none, and takes the profile's when it does", () => {
    expect(quick("probe l = loss(net, train)").run.probes[0]).toMatchObject({ args: { data: { ref: "train" } }, cadences: [{ kind: "every", n: 100, unit: "steps" }] });
    expect(quick("probe l = loss(net, test) every 10 steps").run.probes[0]!.cadences).toEqual([{ kind: "every", n: 10, unit: "steps" }]);
  });

  it("a top-level data set is overridden per key too", () => {
    const check = checkSource(`data test = grid(x in [-2, 2], n: 101) -> x^3\nexperiment e {${BASE.replace(/\n  data test = .*/, "")}\n  profile quick { data test = grid(n: 11) }\n}`, "overlay.dyn");
    expect(check.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const [base, quick] = ["default", "quick"].map((p) => check.experiments[0]!.profiles[p]!.runs[0]!.data["test"]!);
    expect(base).toMatchObject({ source: "grid", n: 101 });
    expect(quick).toEqual({ ...base, n: 11 });
  });

  it("a profile may not sweep part of a zipped group (DYN2022 on the variable)", () => {
    const check = checkSource(
      `experiment e {${BASE}\n  sweep (a, b) in zip([1, 2], [3, 4])\n  model net = mlp(hidden: [a * b])\n  profile quick { sweep a in [1] }\n}`,
      "overlay.dyn",
    );
    expect(check.diagnostics.filter((d) => d.code === "DYN2022").map((d) => [d.span.line, d.message])).toContainEqual([11, "`a` is already defined"]);
  });

  it("`dync plan` shows each statement in effect and what the profile set of it", () => {
    const text = describeSettings(quick("seeds 2; optimizer sgd(lr: 0.05); train 500 steps").plan.settings);
    const lines = text.split("\n").map((l) => l.trim());
    expect(lines[0]).toBe("in effect (← what the profile or the command line set):");
    expect(lines.find((l) => l.startsWith("seeds"))).toMatch(/^seeds 2 +← profile quick$/);
    expect(lines.find((l) => l.startsWith("optimizer"))).toMatch(/^optimizer sgd\(lr: 0\.05, momentum: 0\.9\) +← profile quick: lr$/);
    expect(lines.find((l) => l.startsWith("train"))).toMatch(/^train 500 steps, batch 64, shuffle once +← profile quick: length$/);
    expect(lines.find((l) => l.startsWith("model"))).toBe("model net = mlp(hidden: [16], act: tanh)");
  });

  it("the default profile shows no settings block (nothing overrides it)", () => {
    expect(quick("seeds 2").errors).toEqual([]);
    const check = checkSource(`experiment e {${BASE}\n}`, "overlay.dyn");
    expect(describeSettings(check.experiments[0]!.profiles["default"]!.settings)).toBe("");
  });
});
