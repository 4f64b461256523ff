/**
 * `at first(cond)`: the condition of an event, evaluated per seed on the latest value of the probe it
 * watches. Only elementwise expressions make sense here (one truth per seed at one step): the watched
 * probe, numbers, arithmetic, math functions, comparisons, `in`, `within`, and/or/not. Reductions, fits
 * and analyses over recorded series are rejected with RUN040 when the run starts.
 */
import { DyncRuntimeError } from "../runtime/errors.js";
import type { AnalysisExpr, EventSpecData } from "../contract/program.js";
import type { EventSpec } from "../runtime/train/index.js";
import { isSeedScalars } from "../stdlib/probes/index.js";

type PerSeed = Float64Array;

/** The training loop's event for `data`, over `seeds` seed indices. */
export function eventFromSpec(data: EventSpecData, seeds: number): EventSpec {
  checkElementwise(data.condition, data);
  return {
    name: data.name,
    watch: data.watch,
    condition(value: unknown): boolean[] {
      // A probe that measured nothing at this step (e.g. train_loss at `end`) cannot fire the event.
      if (!isSeedScalars(value)) return new Array<boolean>(seeds).fill(false);
      const truth = evaluate(data.condition, data, value);
      return Array.from(truth, (t) => t !== 0 && !Number.isNaN(t));
    },
  };
}

function evaluate(expr: AnalysisExpr, event: EventSpecData, watched: PerSeed): PerSeed {
  const S = watched.length;
  const recur = (e: AnalysisExpr) => evaluate(e, event, watched);
  const zip = (a: PerSeed, b: PerSeed, f: (x: number, y: number) => number) => a.map((x, s) => f(x, b[s]!));
  switch (expr.op) {
    case "probe":
      return watched;
    case "number":
      return new Float64Array(S).fill(expr.value);
    case "neg":
      return recur(expr.arg).map((x) => -x);
    case "arith":
      return zip(recur(expr.left), recur(expr.right), ARITH[expr.fn]);
    case "map":
      return recur(expr.arg).map(MAPS[expr.fn]);
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

/** Reject, before training, anything `evaluate` cannot do, and probes other than the watched one. */
function checkElementwise(expr: AnalysisExpr, event: EventSpecData): void {
  switch (expr.op) {
    case "probe":
      if (expr.name !== event.watch) {
        throw new DyncRuntimeError("RUN040", `event "${event.name}" watches probe "${event.watch}" but its condition reads "${expr.name}"`);
      }
      return;
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
    `the condition of event "${event.name}" uses "${expr.op}", which needs recorded series; an event condition compares the watched probe's latest value per seed`,
  );
}

const ARITH: Record<Extract<AnalysisExpr, { op: "arith" }>["fn"], (x: number, y: number) => number> = {
  "+": (x, y) => x + y,
  "-": (x, y) => x - y,
  "*": (x, y) => x * y,
  "/": (x, y) => x / y,
  "^": (x, y) => x ** y,
};

const MAPS: Record<Extract<AnalysisExpr, { op: "map" }>["fn"], (x: number) => number> = {
  log10: Math.log10,
  log: Math.log,
  exp: Math.exp,
  abs: Math.abs,
  sqrt: Math.sqrt,
};

const COMPARE: Record<Extract<AnalysisExpr, { op: "compare" }>["fn"], (x: number, y: number) => boolean> = {
  "==": (x, y) => x === y,
  "!=": (x, y) => x !== y,
  "<": (x, y) => x < y,
  "<=": (x, y) => x <= y,
  ">": (x, y) => x > y,
  ">=": (x, y) => x >= y,
};
