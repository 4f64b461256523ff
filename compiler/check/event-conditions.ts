/**
 * What an `at first(cond)` condition may contain. The runner evaluates it per seed at one step
 * (runner/event-condition.ts): on the latest values of the probes it reads and on values pinned to a step,
 * `l[steps = 0]`. These checks give the compile-time diagnostics for what the runner could not evaluate.
 */
import type { AnalysisExpr } from "../../contract/program.js";
import { pinOf } from "../../contract/event-pins.js";
import { describeCadencePoint, describeEvery, type Cadence } from "../../contract/training-specs.js";

export { pinsOf } from "../../contract/event-pins.js";

/** Why `e` cannot be evaluated at one step per seed, or undefined when it can. */
export function nonElementwise(e: AnalysisExpr): string | undefined {
  switch (e.op) {
    case "probe":
    case "number":
      return undefined;
    case "select":
      return pinOf(e) ? undefined : "a probe in it can only be pinned to a step, like `l[steps = 0]`";
    case "neg":
    case "map":
    case "not":
    case "in":
      return nonElementwise(e.arg);
    case "within":
      return nonElementwise(e.arg) ?? nonElementwise(e.reference);
    case "arith":
    case "compare":
    case "and":
    case "or":
      return nonElementwise(e.left) ?? nonElementwise(e.right);
    case "reduce":
      return `\`${e.fn}\` needs a recorded series; compare the latest values instead, or pin one to a step like \`l[steps = 0]\``;
    default:
      return "it needs recorded series (use it in a `let` or an `expect`)";
  }
}

/**
 * Whether a probe with these cadences is measured at `step`; true also when the compiler cannot tell
 * (a cadence in epochs or at `end`, whose step depends on the data's size; a share of training, whose
 * steps depend on the run's length).
 */
export function measuredAt(cadences: readonly Cadence[], step: number): boolean {
  return cadences.some((c) => {
    if (c.kind === "every") return "fraction" in c || c.unit === "epochs" || step % c.n === 0;
    if (c.kind === "at") return c.points.some((p) => p === "end" || (p === "start" ? step === 0 : "step" in p ? p.step === step : true));
    return false;
  });
}

/** A cadence as written: `every 10 steps`, `every 25%`, `at [start, 100]`, `at first(…)`. */
export function showCadence(c: Cadence): string {
  if (c.kind === "every") return describeEvery(c);
  if (c.kind === "at") return `at [${c.points.map((p) => (typeof p === "string" ? p : "step" in p ? `${p.step} steps` : "epoch" in p ? `${p.epoch} epochs` : describeCadencePoint(p))).join(", ")}]`;
  return "at first(…)";
}
