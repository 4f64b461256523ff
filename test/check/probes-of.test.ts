/**
 * The walkers of the analysis IR reach every sub-expression, including those a node holds in a list (a
 * registry function's `args`): `probesOf` used to look only at fields holding one expression, so a probe
 * read only inside a function's arguments was not among the probes an expression reads.
 */
import { describe, expect, it } from "vitest";
import { analysisChildren, type AnalysisExpr } from "../../contract/program.js";
import { probesOf } from "../../compiler/check/analysis.js";

const probe = (name: string): AnalysisExpr => ({ op: "probe", name });
/** `diff(l) over steps < test_loss` with `l` only inside the function's argument list. */
const condition: AnalysisExpr = {
  op: "compare",
  fn: "<",
  left: { op: "fn", name: "diff", args: [probe("l"), { op: "neg", arg: probe("g") }], options: { lag: 1 }, over: ["steps"] },
  right: probe("test_loss"),
};

describe("probesOf", () => {
  it("finds probes inside a function's argument list, at any depth", () => {
    expect([...probesOf(condition)].sort()).toEqual(["g", "l", "test_loss"]);
  });

  it("analysisChildren lists list-held and field-held sub-expressions in field order", () => {
    const fn = (condition as Extract<AnalysisExpr, { op: "compare" }>).left;
    expect(analysisChildren(condition)).toEqual([fn, probe("test_loss")]);
    expect(analysisChildren(fn)).toEqual([probe("l"), { op: "neg", arg: probe("g") }]);
    expect(analysisChildren(probe("l"))).toEqual([]);
  });
});
