/**
 * Analyses and expectations over a profile's recorded results.
 *
 * `evaluateProfile` evaluates the profile's `let` analyses in order (a later one may use an earlier one),
 * then its `expect`s. Every value is a {@link Table}: rows keyed by dimensions, each holding a number, a
 * boolean or a power-law fit. Everything is computed in float64 JS numbers. Semantics, per `AnalysisExpr` op:
 *
 * - `probe`: the probe's scalar series; dims = the sweep variables + `seeds` (seed value) + `steps` (the
 *   step of each measurement). A declared probe that was never measured (an event that never fired) is an
 *   empty table; an unknown name is RUN051. `let`: an earlier analysis; `number`: a one-row table, no dims.
 * - `reduce`: removes exactly the `over` dims (each must exist, else RUN051), grouping by the rest; with no
 *   `over` it reduces over `steps` (RUN051 if there is none). median = mean of the two middle values for an
 *   even count; std = sample std (n − 1; RUN050 with one value); quantile = numpy's default "linear" method
 *   (h = (n−1)q, interpolate between the neighbours of h); first/last = the value at the smallest/largest
 *   step (they must reduce over `steps`; RUN050 if several rows share that step). A NaN value (a diverged
 *   seed) makes every reduction but count NaN, as in numpy; count counts rows. nanmedian, nanmean, nanmin,
 *   nanmax leave NaN values out (NaN when all are), as numpy's nan… functions.
 * - `arith`, `neg`, `map`, `compare`, `within`, `and`, `or`: elementwise. Two tables are joined naturally on
 *   their shared dims: each pair of rows agreeing on them gives a row keyed by the union of both keys, so a
 *   table with fewer dims (a number has none) broadcasts; rows without a partner on the other side are
 *   dropped. IEEE semantics: x/0 = ±Infinity, log of a negative = NaN.
 * - `select`: keeps rows whose dims equal the given values and drops those dims, and those of the sweep
 *   variables zipped with them (`fixes`: one value there), so `x[variant = "a"]` and a result of another
 *   point, `y[variant = "b"]`, join on what remains. An unknown dim or a value the dim never takes is RUN051
 *   naming the available ones. A number and its text match (`10` ~ `"10"`).
 * - `time`: `after` keeps rows with step ≥ t, `before` rows with step < t (the two split a series); for a
 *   fraction t = ⌈fraction·totalSteps⌉ of the row's run, the step `at 25%` measures at (contract/training-specs.ts
 *   cadencePointStep; RUN050 if the rows' runs trained for different lengths).
 * - `fit_power_law`: groups by the `by` dims and every other remaining dim except `x` (so an unreduced
 *   `seeds` dim gives one fit per seed); in each group OLS of ln y on ln x over the values of sweep variable x
 *   gives exponent p, coefficient c, r², stderr of p and its 95% CI p ± t(0.975, n−2)·stderr, and local
 *   exponents between neighbouring x. x and y must be positive and finite, x numeric, each x once (RUN050);
 *   at least 2 points (RUN050); with exactly 2 points stderr and CI are null (no residual degrees of freedom).
 *   alpha = −p (L ∝ N^−α). A fit used as a number (compared, `in`, arithmetic) stands for its alpha.
 * - `field`: exponent, alpha, coefficient, r2, stderr, ci_low, ci_high of each fit → a number table. ci_low and
 *   ci_high bound the exponent p (α's interval is [−ci_high, −ci_low]); stderr/CI of a 2-point fit are RUN050.
 * - `compare` (booleans may be compared with == / !=), `in` ([lo, hi] or [lo, hi)), `within` (fraction:
 *   |x − ref| ≤ f·|ref|; absolute: |x − ref| ≤ tol), `and`, `or`, `not`: boolean tables whose rows carry a
 *   note with the numbers that decided them.
 *
 * An expect passes when its table is non-empty and every row is true. Its detail reports the measured
 * values (`alpha[act=silu] = 0.94 ∈ [0.7, 1.3]`), the failing rows (`3 of 4 rows hold; fails at width=10:
 * …`), why a table is empty, or the runtime error that stopped the evaluation. An analysis that fails is
 * reported in `errors`; expects that use it fail with its cause, and the others are still checked.
 */
import { DyncRuntimeError } from "../errors.js";
import type { ProfilePlan } from "../../contract/program.js";
import type { ResultTable } from "./results.js";
import { evaluate } from "./evaluate.js";
import { checkExpect, type ExpectResult } from "./expects.js";
import type { AnalysisFunctions } from "./functions.js";
import { ResultEnv } from "./source.js";
import type { Table } from "./table.js";

export { ANALYSIS_ARITH, ANALYSIS_MATH, evaluate } from "./evaluate.js";
export { checkExpect, type ExpectResult } from "./expects.js";
export { describe, formatKey, formatNumber } from "./format.js";
export { fitPowerLaw, type LocalExponent, type PowerLawFit } from "./power-law.js";
export { median, mean, nanmax, nanmean, nanmedian, nanmin, prod, quantile, sampleStd, sum } from "./reduce.js";
export { ResultEnv, probeTable, type AnalysisEnv } from "./source.js";
export { studentTCdf, studentTQuantile } from "../../numerics/student-t.js";
export { SEEDS, STEPS, join, scalarTable, type Cell, type Key, type Row, type Table } from "./table.js";

/** An analysis that could not be evaluated. */
export interface AnalysisError {
  readonly name: string;
  readonly line: number;
  readonly error: DyncRuntimeError;
}

/** The profile's evaluated analyses (by name, in order) and checked expectations. */
export interface ProfileEvaluation {
  readonly analyses: Map<string, Table>;
  readonly expects: ExpectResult[];
  readonly errors: AnalysisError[];
}

/** Evaluates a profile's analyses in order, then checks its expectations, over the recorded results; `functions` are the analysis functions `fn` calls. */
export function evaluateProfile(plan: ProfilePlan, results: ResultTable, functions: AnalysisFunctions = new Map()): ProfileEvaluation {
  const env = new ResultEnv(plan, results, functions);
  const errors: AnalysisError[] = [];
  for (const analysis of plan.analyses) {
    try {
      env.lets.set(analysis.name, evaluate(analysis.expr, env));
    } catch (e) {
      if (!(e instanceof DyncRuntimeError)) throw e;
      env.failed.set(analysis.name, e);
      errors.push({ name: analysis.name, line: analysis.line, error: e });
    }
  }
  const expects = plan.expects.map((spec) => checkExpect(spec, env));
  return { analyses: env.lets, expects, errors };
}
export type { AnalysisFunction, AnalysisFunctions, AnalysisOptions } from "./functions.js";
