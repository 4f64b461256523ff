/**
 * Command-line overrides (`dync run FILE key=value …`, docs/language.md "Command-line overrides"): each key
 * sets what the table says, after the profile, by the profile's per-key rule; a bad key or value is a
 * diagnostic whose span points into the argument (the `command line` source, one argument per line).
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { renderDiagnostic } from "../../diagnostics/render.js";
import { describeSettings } from "../../cli/commands/plan.js";

const SOURCE = `let m = 4
experiment e {
  sweep width in [4, 8]
  sweep (lr, mom) in zip([0.1, 0.2], [0, 0.9])
  seeds 2
  data train = grid(x in [-2, 2], n: 64) -> x^2
  data test = grid(x in [-2, 2], n: 101) -> x^2
  model net = mlp(hidden: [width * m], act: tanh)
  optimizer sgd(lr: lr, momentum: mom)
  schedule step_decay(every: 100 steps, factor: 0.5)
  train 2 epochs, batch 16, shuffle once
  probe l = loss(net, test) every 10 steps
  let final = median(last(l)) over seeds
  profile quick { seeds 1; train 1 epoch }
}`;

function check(args: string[], profile = "default") {
  const result = checkSource(SOURCE, "over.dyn", { overrides: { profile, args } });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  const plan = result.experiments[0]!.profiles[profile]!;
  return { result, errors, plan };
}

describe("command-line overrides", () => {
  it("a sweep variable takes one value or a list; seeds, train length (in the training's unit) and batch", () => {
    const { errors, plan } = check(["width=16", "seeds=3", "train=5", "batch=32"]);
    expect(errors).toEqual([]);
    expect(plan.runs.map((r) => r.point["width"])).toEqual([16, 16]);
    expect(plan.seeds).toEqual([0, 1, 2]);
    expect(plan.runs[0]!.duration).toEqual({ epochs: 5 });
    expect(plan.runs[0]!.batch).toEqual({ size: 32, shuffle: "once" });
    expect(check(["width=[1, 2, 3]"]).plan.runs.map((r) => r.point["width"])).toEqual([1, 1, 2, 2, 3, 3]);
    expect(check(["width=1..3"]).plan.runs.length).toBe(6);
  });

  it("apply after the profile, to that profile only", () => {
    const { plan, result } = check(["seeds=5"], "quick");
    expect(plan.seeds).toEqual([0, 1, 2, 3, 4]);
    expect(plan.runs[0]!.duration).toEqual({ epochs: 1 });
    expect(result.experiments[0]!.profiles["default"]!.seeds).toEqual([0, 1]);
  });

  it("`train` reads a quoted length; a top-level let, a call's argument and a data set's argument", () => {
    const { errors, plan } = check(['train="30 steps"', "m=2", "schedule.factor=0.1", "test.n=11", "net.act=relu"]);
    expect(errors).toEqual([]);
    const run = plan.runs[0]!;
    expect(run.duration).toEqual({ steps: 30 });
    expect(run.model).toMatchObject({ hidden: [8] });
    expect(run.model).toMatchObject({ act: "relu" });
    expect(run.schedule).toMatchObject({ kind: "step_decay", every: { steps: 100 }, factor: 0.1 });
    expect(run.data["test"]).toMatchObject({ n: 11 });
  });

  it("a later argument wins, and `dync plan` marks what the command line set", () => {
    const { plan } = check(["seeds=3", "seeds=4", "schedule.factor=0.1"], "quick");
    expect(plan.seeds).toHaveLength(4);
    const lines = describeSettings(plan.settings).split("\n").map((l) => l.trim());
    expect(lines.find((l) => l.startsWith("seeds"))).toMatch(/^seeds 4 +← profile quick; command line; command line$/);
    expect(lines.find((l) => l.startsWith("schedule"))).toMatch(/^schedule step_decay\(every: 100 steps, factor: 0\.1\) +← command line: factor$/);
  });

  it("`checkpoint=10%` sets a share of training, shown as written", () => {
    const { errors, plan } = check(["checkpoint=10%"]);
    expect(errors).toEqual([]);
    expect(plan.runs[0]!.checkpoint).toEqual({ fraction: 0.1 });
    const lines = describeSettings(plan.settings).split("\n").map((l) => l.trim());
    expect(lines.find((l) => l.startsWith("checkpoint"))).toMatch(/^checkpoint every 10% +← command line$/);
  });

  it("an unknown key is DYN4021 with a did-you-mean, its span in the argument", () => {
    const { errors, result } = check(["seeds=2", "widht=16"]);
    expect(errors.map((d) => [d.code, d.span.file, d.span.line, d.span.col, d.span.endCol, d.hint])).toEqual([["DYN4021", "command line", 2, 1, 6, "did you mean `width`?"]]);
    const frame = renderDiagnostic(errors[0]!, result.sources.get("command line"), { color: false });
    expect(frame).toContain("2 | widht=16\n  | ^~~~~");
  });

  it("an unknown argument of a call is the checker's DYN2011 on the argument's name, with a did-you-mean", () => {
    const [error] = check(["optimizer.momentun=0.5"]).errors;
    expect([error!.code, error!.span.file, error!.span.col, error!.span.endCol, error!.hint]).toEqual(["DYN2011", "command line", 11, 19, "did you mean `momentum`?"]);
  });

  it("an analysis and one variable of a zipped sweep cannot be set (DYN4022); a malformed argument is DYN4020", () => {
    expect(check(["final=1"]).errors.map((d) => d.code)).toEqual(["DYN4022"]);
    expect(check(["lr=0.5"]).errors[0]!.message).toContain("swept together with the others of (lr, mom)");
    expect(check(["1x=2"]).errors.map((d) => [d.code, d.span.col, d.span.endCol])).toEqual([["DYN4020", 1, 3]]);
  });

  it("a bad value is the usual diagnostic, at the value", () => {
    const errors = check(["batch=0", "seeds=[1,"]).errors;
    expect(errors.map((d) => [d.code, d.span.line, d.span.col])).toEqual([
      ["DYN2004", 1, 7],
      ["DYN1102", 2, 10],
    ]);
  });
});
