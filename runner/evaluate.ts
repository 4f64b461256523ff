/** The runner's default evaluator: runtime/analysis with the standard library's analysis functions. */
import type { ProfilePlan } from "../contract/program.js";
import { evaluateProfile as evaluateWith, type ProfileEvaluation } from "../runtime/analysis/index.js";
import type { ResultTable } from "../runtime/analysis/results.js";
import { analysisFunctions } from "../stdlib/implementations.js";

/** A profile's analyses and expects over its results, with every stdlib analysis function available. */
export function evaluateProfile(plan: ProfilePlan, results: ResultTable): ProfileEvaluation {
  return evaluateWith(plan, results, analysisFunctions);
}
