/**
 * Selecting a call-valued sweep point: the checker refuses `x[enc = fourier(L: 8)]` and tells the user to
 * name the sweep values with `let`; the named form must then select the run labelled with the call's text
 * (`fourier(L: 8)`, the label every result row carries), not the let's name, which no row carries.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";

const source = `experiment enc_sweep {
  let pe2 = fourier(L: 2)
  let raw = coords(range: [-1, 1])
  let ten = 10
  sweep enc in [raw, pe2]
  data train = grid(x in [0, 1], n: 16) -> sin(2*pi*x)
  model net = mlp(encode: enc, hidden: [8], init: torch_default)
  optimizer adam(lr: 1e-3)
  train 10 steps
  probe l = loss(net, train) at end
  expect l[enc = pe2] < l[enc = raw]
  expect l[steps = ten] > 0
}
`;

describe("a let-named sweep value in a selector", () => {
  const result = checkSource(source, "select.dyn");
  it("checks clean", () => {
    expect(result.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`)).toEqual([]);
  });
  const plan = result.experiments[0]!.profiles["default"]!;
  it("labels the runs with the calls' text", () => {
    expect(plan.runs.map((r) => r.id)).toEqual(["enc=coords(range: [-1, 1])", "enc=fourier(L: 2)"]);
  });
  it("selects by that text, and a named number by its value", () => {
    expect(plan.expects[0]!.expr).toMatchObject({
      left: { op: "select", where: { enc: "fourier(L: 2)" } },
      right: { op: "select", where: { enc: "coords(range: [-1, 1])" } },
    });
    expect(plan.expects[1]!.expr).toMatchObject({ left: { op: "select", where: { steps: 10 } } });
  });
});
