/**
 * Analyses compute with the fdlibm ports (numerics/portable-math.ts) and numerics/hypot.ts, never Math.*, whose last
 * bits change between Node versions: with Math's engine-dependent functions replaced by NaN, the analysis evaluator's
 * functions, `^`, power-law fits (with their Student-t intervals) and kernel densities still give the closed-form
 * values; events' conditions, evaluated during training, use the same tables. (`**` cannot be spied on; `^` is
 * checked to be the ported pow itself.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ANALYSIS_ARITH, ANALYSIS_MATH, evaluate } from "../../runtime/analysis/evaluate.js";
import { fitPowerLaw } from "../../runtime/analysis/power-law.js";
import type { AnalysisEnv } from "../../runtime/analysis/source.js";
import type { AnalysisExpr } from "../../contract/program.js";
import { gaussianKde, scottBandwidth } from "../../numerics/kde.js";
import { studentTQuantile } from "../../numerics/student-t.js";
import { fdlibmLog, fdlibmSin } from "../../numerics/fdlibm.js";
import { fdlibmExp, fdlibmPow } from "../../numerics/fdlibm-exp.js";
import { fdlibmLog10 } from "../../numerics/fdlibm-log.js";
import { portableMath } from "../../numerics/portable-math.js";
import { eventFromSpec } from "../../runner/event-condition.js";

const ENGINE_DEPENDENT = ["exp", "log", "log10", "log2", "log1p", "expm1", "pow", "sin", "cos", "tan", "tanh", "atan", "atan2", "hypot", "sinh", "cosh"] as const;

beforeEach(() => {
  for (const name of ENGINE_DEPENDENT) vi.spyOn(Math, name).mockImplementation(() => NaN);
});
afterEach(() => vi.restoreAllMocks());

/** Expressions of numbers only: the environment is never asked for probes. */
const noResults = {} as AnalysisEnv;
const num = (value: number): AnalysisExpr => ({ op: "number", value });
function scalar(expr: AnalysisExpr): number {
  const table = evaluate(expr, noResults);
  expect(table.rows).toHaveLength(1);
  return table.rows[0]!.value as number;
}

describe("the analysis evaluator's functions", () => {
  it("are the portable table's, and give closed-form values with Math's replaced by NaN", () => {
    for (const name of ["log", "log10", "exp", "abs", "sqrt"] as const) expect(ANALYSIS_MATH[name]).toBe(portableMath[name]);
    expect(scalar({ op: "map", fn: "log10", arg: num(1000) })).toBe(3);
    expect(scalar({ op: "map", fn: "log", arg: num(1) })).toBe(0);
    expect(scalar({ op: "map", fn: "exp", arg: num(0) })).toBe(1);
    expect(scalar({ op: "map", fn: "log", arg: num(2.5) })).toBe(fdlibmLog(2.5));
    expect(scalar({ op: "map", fn: "log", arg: num(2.5) })).toBeCloseTo(0.9162907318741551, 15);
    expect(scalar({ op: "map", fn: "exp", arg: num(-1.3) })).toBeCloseTo(0.2725317930340126, 15);
    expect(scalar({ op: "map", fn: "log10", arg: num(2) })).toBe(fdlibmLog10(2));
  });

  it("computes ^ with the ported pow, not the engine's `**`", () => {
    expect(ANALYSIS_ARITH["^"]).toBe(fdlibmPow);
    expect(scalar({ op: "arith", fn: "^", left: num(9), right: num(0.5) })).toBe(3);
    expect(scalar({ op: "arith", fn: "^", left: num(2.5), right: num(1.7) })).toBe(fdlibmPow(2.5, 1.7));
    expect(scalar({ op: "arith", fn: "^", left: num(2.5), right: num(1.7) })).toBeCloseTo(4.747861, 6); // e^(1.7·ln 2.5) = e^1.5576950…
  });
});

describe("fits and densities", () => {
  it("fit_power_law recovers y = 3·x^−1.2 with its interval, logs and exps ported", () => {
    const points = [2, 5, 11, 30].map((x) => ({ x, y: 3 * fdlibmExp(-1.2 * fdlibmLog(x)) * (x === 5 ? 1.01 : 1) }));
    const fit = fitPowerLaw(points, "y ~ x");
    expect(fit.exponent).toBeCloseTo(-1.2, 2);
    expect(fit.coefficient).toBeCloseTo(3, 1);
    expect(fit.ciLow! < fit.exponent && fit.exponent < fit.ciHigh!).toBe(true);
    expect(fit.local.map((l) => l.exponent).every(Number.isFinite)).toBe(true);
    const exact = fitPowerLaw([1, 2, 4, 8].map((x) => ({ x, y: 5 * x ** 2 })), "y ~ x"); // x² is x·x: exact on any engine
    expect(exact.exponent).toBeCloseTo(2, 14);
    expect(exact.coefficient).toBeCloseTo(5, 13);
  });

  it("Student-t quantiles and Gaussian KDE use the ports (t(0.975, 2) = 4.3027, one point's density 1/(h√2π))", () => {
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302652729749464, 8);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174698, 7); // tan(0.475π)
    expect(fdlibmSin(Math.PI / 6)).toBeCloseTo(0.5, 15);
    const h = scottBandwidth([1, 2, 3, 4, 5]);
    expect(h).toBeCloseTo(Math.sqrt(2.5) * 5 ** -0.2, 14);
    expect(gaussianKde([0], [0], 0.5)[0]).toBeCloseTo(1 / (0.5 * Math.sqrt(2 * Math.PI)), 14);
    expect(gaussianKde([0], [1], 1)[0]).toBeCloseTo(0.24197072451914337, 14); // φ(1)
  });
});

describe("event conditions", () => {
  it("evaluate log10 and ^ with the analyses' ported functions: log10(l) < −1 and l^0.5 < 0.2 with Math's replaced by NaN", () => {
    const l = { op: "probe", name: "l" } as const;
    const small = eventFromSpec({ name: "small", watch: ["l"], condition: { op: "compare", fn: "<", left: { op: "map", fn: "log10", arg: l }, right: { op: "number", value: -1 } } }, 3);
    expect(small.condition(Float64Array.from([0.5, 0.05, 0.1]), 0, "l")).toEqual([false, true, false]); // log10(0.1) = −1 exactly
    const root = eventFromSpec({ name: "root", watch: ["l"], condition: { op: "compare", fn: "<", left: { op: "arith", fn: "^", left: l, right: { op: "number", value: 0.5 } }, right: { op: "number", value: 0.2 } } }, 3);
    expect(root.condition(Float64Array.from([0.0399, 0.04, 1]), 0, "l")).toEqual([true, false, false]); // 0.04^0.5 = 0.2
  });
});
