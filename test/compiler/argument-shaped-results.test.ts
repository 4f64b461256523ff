/**
 * A probe whose arguments choose its shape (`accuracy(net, data, by: class)` is per class): the plan records
 * the dimension of the call as written, and the analyses and plots see it (`max(acc) over class`), while
 * a plain `accuracy(net, data)` stays one number per seed.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";

const program = (probes: string, lets: string) => `experiment classes {
  seeds 2
  data train = gaussian_mixture(n: 64, d: 3, classes: 4)
  model net = mlp(hidden: [8], act: relu)
  optimizer sgd(lr: 0.05)
  train 20 steps, batch 16
${probes}
${lets}
}
`;

describe("accuracy(…, by: class)", () => {
  it("is a per-class probe (dimension class) that analyses reduce and plots draw; plain accuracy stays a scalar", () => {
    const source = program(
      "  probe acc = accuracy(net, train, by: class) every 10 steps\n  probe all = accuracy(net, train) every 10 steps",
      "  let above = count_above(acc, threshold: 0.25) over class\n  let best = max(acc) over class\n  expect last(best) >= last(all)\n  plot heatmap(acc, x: steps, y: class)",
    );
    const checked = checkSource(source, "classes.dyn");
    expect(checked.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    const run = checked.experiments[0]!.profiles["default"]!.runs[0]!;
    const acc = run.probes.find((p) => p.name === "acc")!;
    const all = run.probes.find((p) => p.name === "all")!;
    expect(acc).toMatchObject({ probe: "accuracy", index: "class", args: { by: "class" } });
    expect(all.index).toBeUndefined();
    expect(all.args).toMatchObject({ by: "all" });
  });

  it("does not give the class dimension to plain accuracy", () => {
    const checked = checkSource(program("  probe all = accuracy(net, train) every 10 steps", "  let best = max(all) over class"), "plain.dyn");
    expect(checked.diagnostics.length).toBeGreaterThan(0);
    expect(checked.diagnostics[0]!.message).toMatch(/class/);
  });
});
