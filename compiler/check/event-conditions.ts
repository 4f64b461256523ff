/**
 * What an `at first(cond)` condition may contain. The runner evaluates it per seed at one step
 * (runner/event-condition.ts): on the latest values of the probes it reads and on values pinned to a step,
 * `l[steps = 0]`. These checks give the compile-time diagnostics for what the runner could not evaluate.
 */
import type { AnalysisExpr } from "../../contract/program.js";
import { pinOf } from "../../contract/event-pins.js";
import { cadencePointStep, describeCadencePoint, describeEvery, everyShareSteps, type Cadence, type CadencePoint } from "../../contract/training-specs.js";

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
 * Whether a probe with these cadences is measured at `step` of a run of `totalSteps` steps; true also when
 * the compiler cannot tell: a cadence in epochs (its steps depend on the data's size), and `end` or a share
 * of training (`at 25%`, `every 10%`) when the run's length is not known in steps.
 */
export function measuredAt(cadences: readonly Cadence[], step: number, totalSteps?: number): boolean {
  return cadences.some((c) => {
    if (c.kind === "every" && "fraction" in c) return totalSteps === undefined || everyShareSteps(c.fraction, totalSteps).includes(step);
    if (c.kind === "every") return c.unit === "epochs" || step % c.n === 0;
    if (c.kind === "at") return c.points.some((p) => pointAt(p, step, totalSteps));
    return false;
  });
}

/** Whether `point` is `step` of a run of `totalSteps` (undefined: unknown, so `end` and shares may be). */
function pointAt(point: CadencePoint, step: number, totalSteps: number | undefined): boolean {
  if (point === "start") return step === 0;
  if (typeof point !== "string" && "step" in point) return point.step === step;
  if (typeof point !== "string" && "epoch" in point) return true;
  return totalSteps === undefined || cadencePointStep(point, totalSteps, 1) === step;
}

/** A cadence as written: `every 10 steps`, `every 25%`, `at [start, 100]`, `at first(…)`. */
export function showCadence(c: Cadence): string {
  if (c.kind === "every") return describeEvery(c);
  if (c.kind === "at") return `at [${c.points.map((p) => (typeof p === "string" ? p : "step" in p ? `${p.step} steps` : "epoch" in p ? `${p.epoch} epochs` : describeCadencePoint(p))).join(", ")}]`;
  return "at first(…)";
}
