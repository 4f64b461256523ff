import { describe, expect, it, vi } from "vitest";
import type * as A from "../../grammar/ast.js";
import { parse } from "../../grammar/parse.js";
import { Evaluator, MapEnv, powerOfTen } from "../../compiler/check/evaluate.js";
import { num, showValue, type Value } from "../../compiler/check/values.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { fdlibmCosh, fdlibmPow, fdlibmSinh, fdlibmTanh } from "../../numerics/fdlibm-exp.js";
import { fdlibmAtan, fdlibmAtan2, fdlibmSin, fdlibmTan } from "../../numerics/fdlibm.js";

function evaluate(source: string, bindings: Record<string, Value> = {}): { value?: string; diagnostics: Diagnostic[] } {
  const parsed = parse(`let it = ${source}`);
  expect(parsed.diagnostics).toEqual([]);
  const expr = (parsed.program.items[0] as A.LetStmt).value;
  const diagnostics: Diagnostic[] = [];
  const v = new Evaluator(diagnostics).eval(expr, new MapEnv(new Map(Object.entries(bindings))));
  return { ...(v ? { value: showValue(v) } : {}), diagnostics };
}

const value = (source: string, bindings?: Record<string, Value>) => {
  const r = evaluate(source, bindings);
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  return r.value;
};
const codes = (source: string) => evaluate(source).diagnostics.map((d) => d.code);

describe("compile-time evaluation", () => {
  it("does float64 arithmetic with the grammar's precedence", () => {
    expect(value("1 + 2 * 3 - 4 / 8")).toBe("6.5");
    expect(value("-2^2")).toBe("-4");
    expect(value("2^-1")).toBe("0.5");
    expect(value("2^3^2")).toBe("512");
    expect(value("1000 ^ -0.5")).toBe(String(fdlibmPow(1000, -0.5)));
    expect(value("0.1 + 0.2")).toBe(String(0.1 + 0.2));
  });

  it("folds math functions and ^ with the fdlibm ports, never Math's engine-dependent ones (constants alike on every Node version)", () => {
    for (const name of ["sin", "cos", "tan", "exp", "log", "log2", "log10", "pow"] as const) vi.spyOn(Math, name).mockImplementation(() => NaN);
    try {
      expect(value("sin(1e22)")).toBe(String(fdlibmSin(1e22)));
      expect(value("tan(2)")).toBe(String(fdlibmTan(2)));
      expect(value("2.5 ^ 1.7")).toBe(String(fdlibmPow(2.5, 1.7)));
      expect(value("exp(1) + log(e) + log2(8) + log10(1000) + cos(0)")).toBe(String(Math.E + 1 + 3 + 3 + 1));
      expect(value("logspace(0, 1, 3)")).toBe(`[1, ${fdlibmPow(10, 0.5)}, 10]`);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("folds every function a target may call (tanh, sinh, cosh, atan, atan2, sign too) with the same ports, and refuses other argument counts", () => {
    expect(value("tanh(0.5)")).toBe(String(fdlibmTanh(0.5)));
    expect(value("sinh(1.5) + cosh(0.25)")).toBe(String(fdlibmSinh(1.5) + fdlibmCosh(0.25)));
    expect(value("atan(3)")).toBe(String(fdlibmAtan(3)));
    expect(value("atan2(1, -2)")).toBe(String(fdlibmAtan2(1, -2)));
    expect(value("sign(-0.3) + sign(2)")).toBe("0");
    expect(codes("atan2(1)")).toEqual(["DYN2005"]);
    expect(codes("tanh(1, 2)")).toEqual(["DYN2005"]);
    expect(evaluate("atan2(1)").diagnostics[0]!.message).toBe("`atan2` takes 2 arguments; got 1");
  });

  it("applies k and M suffixes, constants and math functions", () => {
    expect(value("50k")).toBe("50000");
    expect(value("2M / 4")).toBe("500000");
    expect(value("sin(pi / 2) + log(e) + sqrt(16) + abs(-3)")).toBe("9");
    expect(value("max(3, 7, 5) - min([4, 2, 9])")).toBe("5");
    expect(value("log10(1000)")).toBe("3");
  });

  it("expands ranges inclusively, landing exactly on decimal ends", () => {
    expect(value("10..50 step 10")).toBe("[10, 20, 30, 40, 50]");
    expect(value("1..4")).toBe("[1, 2, 3, 4]");
    expect(value("5..70 step 5")).toBe(`[${Array.from({ length: 14 }, (_, i) => 5 + 5 * i).join(", ")}]`);
    expect(value("0..1 step 0.1")).toBe("[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]");
    expect(value("0..10 step 3")).toBe("[0, 3, 6, 9]");
  });

  it("computes logspace and linspace", () => {
    expect(value("logspace(1, 4, 4)")).toBe("[10, 100, 1000, 10000]");
    expect(value("linspace(0, 1, 5)")).toBe("[0, 0.25, 0.5, 0.75, 1]");
  });

  it("gives logspace's whole decades as their decimals, so run ids read lr=0.0001 (10 ** -4 is 0.00009999999999999999)", () => {
    expect([-5, -4, -3, -2, -1].map((k) => String(powerOfTen(k)))).toEqual(["0.00001", "0.0001", "0.001", "0.01", "0.1"]);
    expect(String(10 ** -4)).toBe("0.00009999999999999999"); // what logspace gave before
    // An exponent a hair off a whole number by the interpolation's rounding is still that decade.
    expect(powerOfTen(-3 + 1e-15)).toBe(0.001);
    // Between decades the power itself.
    expect(powerOfTen(-3.5)).toBe(10 ** -3.5);
  });

  it("repeats and concatenates lists", () => {
    expect(value("[128] * 4")).toBe("[128, 128, 128, 128]");
    expect(value("3 * [1, 2]")).toBe("[1, 2, 1, 2, 1, 2]");
    expect(value("[1] + [2, 3]")).toBe("[1, 2, 3]");
  });

  it("zips lists of equal length and rejects unequal ones", () => {
    expect(value("zip([1e-3, 1e-2], [32, 64])")).toBe("[[1e-3, 32], [0.01, 64]]");
    expect(codes("zip([1, 2, 3], [4, 5])")).toEqual(["DYN2008"]);
  });

  it("folds comprehensions: sum(k in 1..10: k^2) = 385", () => {
    expect(value("sum(k in 1..10: k^2)")).toBe("385");
    expect(value("prod(k in 1..5: k)")).toBe("120");
  });

  it("keeps units and rejects mixing them", () => {
    expect(value("10k steps")).toBe("10000 steps");
    expect(value("10k steps + 500 steps")).toBe("10500 steps");
    expect(value("2 * 10 steps")).toBe("20 steps");
    expect(value("50%")).toBe("50%");
    expect(codes("10 steps + 3 epochs")).toEqual(["DYN2006"]);
  });

  it("resolves bindings and reports unknown names with a suggestion", () => {
    expect(value("width * 2", { width: num(16) })).toBe("32");
    const r = evaluate("widht * 2");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["DYN2001"]);
  });

  it("keeps registry calls and bare names as values for the checker", () => {
    expect(value("adam(lr: 1e-2, eps: 1e-8)")).toBe("adam(lr: 0.01, eps: 1e-8)");
    expect(value("[silu, leaky_relu]")).toBe("[silu, leaky_relu]");
    expect(value("[coords(range: [0, 1]), fourier(L: 3)]")).toBe("[coords(range: [0, 1]), fourier(L: 3)]");
  });

  it("reports bad ranges, division by zero and results used as constants", () => {
    expect(codes("5..1")).toEqual(["DYN2007"]);
    expect(codes("1..5 step 0")).toEqual(["DYN2007"]);
    expect(codes("1 / 0")).toEqual(["DYN2009"]);
    expect(codes("median(x) over seeds")).toEqual(["DYN2003"]);
    expect(codes("logspace(1, 2)")).toEqual(["DYN2005"]);
  });
});
