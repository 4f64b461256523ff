/**
 * The bridge to `runtime/analysis`: after training, a profile's analyses and expects are evaluated over the
 * result table. The evaluator is injectable (tests, API users); the runner's default adds the standard
 * library's analysis functions (runner/evaluate.ts).
 */
import { evaluateProfile as evaluateWith } from "../analysis/index.js";
import type { DyncRuntimeError } from "../errors.js";
import type { ProfilePlan } from "../../contract/program.js";
import type { ResultTable } from "./results.js";
import type { ExpectResult } from "./expects.js";

/** The verdict on one `expect`. */
export interface ExpectOutcome {
  readonly text: string;
  readonly line: number;
  readonly passed: boolean;
  /** What was measured, e.g. `alpha = 0.98 ∈ [0.7, 1.3]`. */
  readonly detail: string;
  /** The condition row by row with the numbers that decided each (written to results.json, not to the manifest). */
  readonly table?: ExpectResult["table"];
}

/** The verdict as manifest.json and the report keep it: without the row-by-row table (that is results.json's). */
export function verdictOf({ text, line, passed, detail }: ExpectOutcome): ExpectOutcome {
  return { text, line, passed, detail };
}

/** Analyses by `let` name, the verdict on every expect, and analyses that could not be evaluated. */
export interface ProfileEvaluation {
  readonly analyses: ReadonlyMap<string, unknown>;
  readonly expects: readonly ExpectOutcome[];
  readonly errors?: readonly { readonly name: string; readonly line: number; readonly error: DyncRuntimeError }[];
}

/** Evaluates a profile's analyses and expects over its recorded results. */
export type ProfileEvaluator = (plan: ProfilePlan, results: ResultTable) => ProfileEvaluation | Promise<ProfileEvaluation>;

/**
 * Evaluate `plan` over `results` with `evaluator`; by default with the analysis functions of the core
 * language only. The runner passes the standard library's (runner/evaluate.ts): runtime core cannot import stdlib.
 */
export async function evaluatePlan(plan: ProfilePlan, results: ResultTable, evaluator: ProfileEvaluator = (p, r) => evaluateWith(p, r)): Promise<ProfileEvaluation> {
  if (plan.analyses.length === 0 && plan.expects.length === 0) return { analyses: new Map(), expects: [] };
  return evaluator(plan, results);
}

/** `✓ expect <text>  (<detail>)` or `✗ expect …`. */
export function formatExpect(outcome: ExpectOutcome): string {
  return `${outcome.passed ? "✓" : "✗"} expect ${outcome.text}${outcome.detail ? `  (${outcome.detail})` : ""}`;
}

/**
 * `error RUN050: analysis alpha (line 12): …` and, on a second line, `  hint: …` for an analysis that
 * could not be evaluated (laid out as DyncRuntimeError.render lays out every runtime error).
 */
export function formatAnalysisError(failure: { readonly name: string; readonly line: number; readonly error: DyncRuntimeError }): string {
  const { code, message, hint } = failure.error;
  return `error ${code}: analysis ${failure.name} (line ${failure.line}): ${message}${hint ? `\n  hint: ${hint}` : ""}`;
}
