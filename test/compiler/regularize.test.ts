/** `regularize l2(λ, on: all | weights)` in the checked plan: `on: weights` is recorded, the default leaves the plan as it was. */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";

describe("regularize l2(λ, on: …)", () => {
  const withReg = (reg: string) => `experiment reg {
  data train = gaussian_mixture(n: 64, d: 3, classes: 4)
  model net = mlp(hidden: [8], act: relu)
  optimizer sgd(lr: 0.05)
  ${reg}
  train 20 steps, batch 16
  probe l = loss(net, train) every 10 steps
}
`;
  const runOf = (reg: string) => {
    const checked = checkSource(withReg(reg), "reg.dyn");
    return { diagnostics: checked.diagnostics, run: checked.experiments[0]?.profiles["default"]?.runs[0] };
  };

  it("records on: weights in the plan, and leaves the default (every parameter) as the plan had it", () => {
    const weights = runOf("regularize l2(1e-3, on: weights)");
    expect(weights.diagnostics).toEqual([]);
    expect(weights.run).toMatchObject({ l2: 1e-3, l2On: "weights" });
    for (const reg of ["regularize l2(1e-3)", "regularize l2(1e-3, on: all)"]) {
      const all = runOf(reg);
      expect(all.diagnostics).toEqual([]);
      expect(all.run!.l2).toBe(1e-3);
      expect("l2On" in all.run!).toBe(false);
    }
  });

  it("rejects another choice with a coded diagnostic", () => {
    const { diagnostics } = runOf("regularize l2(1e-3, on: biases)");
    expect(diagnostics.map((d) => [d.code, d.message, d.span.line, d.span.col])).toEqual([["DYN2004", "`on` of `l2` must be one of `all`, `weights`, not the name `biases`", 5, 27]]);
  });
});
