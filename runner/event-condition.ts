/**
 * `at first(cond)`: the condition of an event, evaluated per seed each time one of the probes it reads
 * records a value (the scheduler counts its answer once every probe it reads that is due at the step has
 * recorded). A probe's name stands for its latest value; `l[steps = 0]` for the value `l` recorded at step
 * 0 (NaN until then, so the event cannot fire before it). Only elementwise expressions make sense here (one
 * truth per seed at one step): those values, numbers, arithmetic, math functions, comparisons, `in`,
 * `within`, and/or/not. Reductions, fits and analyses over recorded series are rejected with RUN040 when
 * the run starts.
 */
import { DyncRuntimeError } from "../runtime/errors.js";
import { pinOf, pinsOf, type Pin } from "../contract/event-pins.js";
import type { AnalysisExpr, EventSpecData } from "../contract/program.js";
import type { EventSpec } from "../runtime/train/index.js";
import { isSeedScalars } from "../stdlib/probes/index.js";
import { ANALYSIS_ARITH, ANALYSIS_MATH } from "../runtime/analysis/index.js";

type PerSeed = Float64Array;

/** The values a condition reads: each probe's latest, and the pinned `probe[steps = k]` ones. */
interface ConditionValues {
  latest: Record<string, PerSeed>;
  pinned: Record<string, PerSeed>;
}

const pinKey = (probe: string, step: number) => `${probe}@${step}`;

/** The training loop's event for `data`, over `seeds` seed indices. */
export function eventFromSpec(data: EventSpecData, seeds: number): EventSpec {
  checkElementwise(data.condition, data);
  const pins = pinsOf(data.condition);
  let values: ConditionValues = { latest: {}, pinned: {} };
  const nan = () => new Float64Array(seeds).fill(Number.NaN);
  return {
    name: data.name,
    watch: data.watch,
    condition(value: unknown, step: number, probe: string = data.watch[0]!): boolean[] {
      // A probe that measured nothing at this step (e.g. train_loss at `end`) reads NaN: nothing fires on it.
      const measured = isSeedScalars(value) ? Float64Array.from(value) : nan();
      values.latest[probe] = measured;
      if (pins.some((p) => p.probe === probe && p.step === step)) values.pinned[pinKey(probe, step)] = measured;
      const truth = evaluate(data.condition, data, values, nan);
      return Array.from(truth, (t) => t !== 0 && !Number.isNaN(t));
    },
    ...(pins.length > 0 || data.watch.length > 1
      ? {
          save: () => structuredClone(values),
          restore(state: unknown) {
            const saved = state as Partial<ConditionValues> | undefined;
            if (!saved || typeof saved.latest !== "object" || typeof saved.pinned !== "object") {
              throw new DyncRuntimeError("RUN032", `the checkpoint's values for event "${data.name}" are not readable`);
            }
            values = structuredClone(saved as ConditionValues);
          },
        }
      : {}),
  };
}

function evaluate(expr: AnalysisExpr, event: EventSpecData, values: ConditionValues, nan: () => PerSeed): PerSeed {
  const recur = (e: AnalysisExpr) => evaluate(e, event, values, nan);
  const zip = (a: PerSeed, b: PerSeed, f: (x: number, y: number) => number) => a.map((x, s) => f(x, b[s]!));
  switch (expr.op) {
    case "probe":
      return values.latest[expr.name] ?? nan();
    case "select": {
      const { probe, step } = pinned(expr, event);
      return values.pinned[pinKey(probe, step)] ?? nan();
    }
    case "number":
      return nan().fill(expr.value);
    case "neg":
      return recur(expr.arg).map((x) => -x);
    // The analyses' tables (fdlibm ports, not Math.* or `**`): a condition fires at the same step on every Node version.
    case "arith":
      return zip(recur(expr.left), recur(expr.right), ANALYSIS_ARITH[expr.fn]);
    case "map":
      return recur(expr.arg).map(ANALYSIS_MATH[expr.fn]);
    case "compare":
      return zip(recur(expr.left), recur(expr.right), (x, y) => Number(COMPARE[expr.fn](x, y)));
    case "in":
      return recur(expr.arg).map((x) => Number(x >= expr.lo && (expr.closedHi ? x <= expr.hi : x < expr.hi)));
    case "within": {
      const { tolerance } = expr;
      return zip(recur(expr.arg), recur(expr.reference), (x, ref) =>
        Number(Math.abs(x - ref) <= ("fraction" in tolerance ? tolerance.fraction * Math.abs(ref) : tolerance.absolute)),
      );
    }
    case "and":
      return zip(recur(expr.left), recur(expr.right), (x, y) => Number(x !== 0 && y !== 0));
    case "or":
      return zip(recur(expr.left), recur(expr.right), (x, y) => Number(x !== 0 || y !== 0));
    case "not":
      return recur(expr.arg).map((x) => Number(x === 0));
    default:
      throw notElementwise(expr, event);
  }
}

/** `probe[steps = k]`: the probe and the step, or RUN040 for any other selection. */
function pinned(expr: Extract<AnalysisExpr, { op: "select" }>, event: EventSpecData): Pin {
  const pin = pinOf(expr);
  if (!pin) {
    throw new DyncRuntimeError("RUN040", `the condition of event "${event.name}" selects ${Object.keys(expr.where).join(", ") || "nothing"}; an event condition can only pin a probe to a step, like \`l[steps = 0]\``);
  }
  return pin;
}

/** Reject, before training, anything `evaluate` cannot do, and probes the event does not watch. */
function checkElementwise(expr: AnalysisExpr, event: EventSpecData): void {
  switch (expr.op) {
    case "probe":
      if (!event.watch.includes(expr.name)) {
        throw new DyncRuntimeError("RUN040", `event "${event.name}" watches ${event.watch.map((w) => `"${w}"`).join(", ")} but its condition reads "${expr.name}"`);
      }
      return;
    case "select":
      pinned(expr, event);
      return checkElementwise(expr.arg, event);
    case "number":
      return;
    case "neg":
    case "map":
    case "not":
    case "in":
      return checkElementwise(expr.arg, event);
    case "within":
      checkElementwise(expr.arg, event);
      return checkElementwise(expr.reference, event);
    case "arith":
    case "compare":
    case "and":
    case "or":
      checkElementwise(expr.left, event);
      return checkElementwise(expr.right, event);
    default:
      throw notElementwise(expr, event);
  }
}

function notElementwise(expr: AnalysisExpr, event: EventSpecData): DyncRuntimeError {
  return new DyncRuntimeError(
    "RUN040",
    `the condition of event "${event.name}" uses "${expr.op}", which needs recorded series; an event condition compares the latest values of the probes it reads, per seed`,
  );
}


const COMPARE: Record<Extract<AnalysisExpr, { op: "compare" }>["fn"], (x: number, y: number) => boolean> = {
  "==": (x, y) => x === y,
  "!=": (x, y) => x !== y,
  "<": (x, y) => x < y,
  "<=": (x, y) => x <= y,
  ">": (x, y) => x > y,
  ">=": (x, y) => x >= y,
};
