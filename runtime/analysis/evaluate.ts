/** Evaluation of analysis expressions to tables (semantics documented in index.ts). */
import { DyncRuntimeError } from "../errors.js";
import type { AnalysisExpr, Dim, FitField, ReduceFn, SweepValue } from "../../contract/program.js";
import { cadencePointStep } from "../../contract/training-specs.js";
import { compareTables, inRange, logical, negate, within } from "./conditions.js";
import { describe, formatKey } from "./format.js";
import { fitPowerLaw, type PowerLawFit } from "./power-law.js";
import * as stats from "./reduce.js";
import type { AnalysisEnv } from "./source.js";
import {
  STEPS,
  dimValues,
  groupRows,
  join,
  keyId,
  numberOf,
  project,
  requireDim,
  sameValue,
  scalarTable,
  type Cell,
  type Key,
  type Row,
  type Table,
} from "./table.js";

import { callFunction } from "./functions.js";
import { portableMath } from "../../numerics/portable-math.js";

/** Evaluates an analysis expression over the environment's results. */
export function evaluate(expr: AnalysisExpr, env: AnalysisEnv): Table {
  switch (expr.op) {
    case "probe":
      return env.probe(expr.name);
    case "let":
      return env.analysis(expr.name);
    case "number":
      return scalarTable(expr.value);
    case "sweep":
      if (!env.sweep) throw new DyncRuntimeError("RUN051", `the sweep variable \`${expr.name}\` is used as a value, but these results carry no sweep points`);
      return env.sweep(expr.name);
    case "arith":
      return arith(expr, evaluate(expr.left, env), evaluate(expr.right, env));
    case "neg":
      return mapNumbers(evaluate(expr.arg, env), describe(expr.arg), (x) => -x);
    case "map":
      return mapNumbers(evaluate(expr.arg, env), describe(expr.arg), ANALYSIS_MATH[expr.fn]);
    case "reduce":
      return reduce(expr, evaluate(expr.arg, env));
    case "select":
      return select(evaluate(expr.arg, env), expr.where, describe(expr.arg), expr.fixes ?? []);
    case "time":
      return timeFilter(expr, evaluate(expr.arg, env), env);
    case "window":
      return windowFilter(expr, evaluate(expr.arg, env), evaluate(expr.bound, env));
    case "fit_power_law":
      return fitTable(expr, evaluate(expr.y, env));
    case "field":
      return field(evaluate(expr.arg, env), expr.name, describe(expr.arg));
    case "compare":
      return compareTables(expr, evaluate(expr.left, env), evaluate(expr.right, env));
    case "in":
      return inRange(expr, evaluate(expr.arg, env));
    case "within":
      return within(expr, evaluate(expr.arg, env), evaluate(expr.reference, env));
    case "and":
    case "or":
      return logical(expr, evaluate(expr.left, env), evaluate(expr.right, env));
    case "not":
      return negate(expr, evaluate(expr.arg, env));
    case "fn":
      return callFunction(env.functions, expr.name, expr.args.map((a) => evaluate(a, env)), expr.options, expr.over);
  }
}

/** The analysis functions: the portable table's (fdlibm ports, not Math.*), so results.json is the same on every Node version. */
export const ANALYSIS_MATH: Readonly<Record<"log10" | "log" | "exp" | "abs" | "sqrt", (x: number) => number>> = {
  log10: portableMath.log10,
  log: portableMath.log,
  exp: portableMath.exp,
  abs: portableMath.abs,
  sqrt: portableMath.sqrt,
};

/** The arithmetic of analyses; `^` is the ported pow (`**` differs between engines for non-integer exponents). */
export const ANALYSIS_ARITH: Readonly<Record<"+" | "-" | "*" | "/" | "^", (a: number, b: number) => number>> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": portableMath.pow,
};

function arith(expr: Extract<AnalysisExpr, { op: "arith" }>, left: Table, right: Table): Table {
  const [lw, rw] = [describe(expr.left), describe(expr.right)];
  const op = ANALYSIS_ARITH[expr.fn];
  return join(left, right, (l, r, key): Row => ({ key, value: op(numberOf(l.value, lw), numberOf(r.value, rw)) }));
}

function mapNumbers(table: Table, what: string, fn: (x: number) => number): Table {
  return { dims: table.dims, rows: table.rows.map((r) => ({ key: r.key, value: fn(numberOf(r.value, what)) })) };
}

// ── reductions ──────────────────────────────────────────────────────────────

function reduce(expr: Extract<AnalysisExpr, { op: "reduce" }>, table: Table): Table {
  const what = describe(expr.arg);
  const over = expr.over.length > 0 ? expr.over : [STEPS];
  for (const d of over) {
    if (expr.over.length === 0 && !table.dims.includes(d)) {
      throw new DyncRuntimeError(
        "RUN051",
        `${expr.fn}(${what}) without \`over\` reduces over steps, but ${what} has no steps dimension (its dimensions: ${table.dims.join(", ") || "none"})`,
        `name the dimensions to reduce: \`${expr.fn}(${what}) over seeds\``,
      );
    }
    requireDim(table, d, what);
  }
  if ((expr.fn === "first" || expr.fn === "last") && !over.includes(STEPS)) {
    throw new DyncRuntimeError("RUN051", `${expr.fn}(${what}) picks by step, so it must reduce over steps, not over ${over.join(", ")}`);
  }
  const keep = table.dims.filter((d) => !over.includes(d));
  const rows = groupRows(table.rows, keep).map(({ key, rows: group }) => ({
    key,
    value: reduceGroup(expr.fn, group, what, expr.q),
  }));
  return { dims: keep, rows };
}

function reduceGroup(fn: ReduceFn, group: readonly Row[], what: string, q: number | undefined): number {
  if (fn === "count") return group.length;
  if (fn === "first" || fn === "last") return byStep(fn, group, what);
  // A condition's rows count as 1 (true) and 0 (false) for mean and sum: `mean(c < 0) over pair` is the
  // share of rows where it holds, `sum(…)` their number. Other statistics of truth values mean nothing.
  const truthCounts = fn === "mean" || fn === "sum";
  const values = group.map((r) => (truthCounts && typeof r.value === "boolean" ? Number(r.value) : numberOf(r.value, what)));
  switch (fn) {
    case "median":
      return stats.median(values);
    case "mean":
      return stats.mean(values);
    case "std":
      return stats.sampleStd(values);
    case "min":
      return stats.min(values);
    case "max":
      return stats.max(values);
    case "sum":
      return stats.sum(values);
    case "prod":
      return stats.prod(values);
    case "nanmedian":
      return stats.nanmedian(values);
    case "nanmean":
      return stats.nanmean(values);
    case "nanmin":
      return stats.nanmin(values);
    case "nanmax":
      return stats.nanmax(values);
    case "quantile":
      if (q === undefined) throw new DyncRuntimeError("RUN040", `quantile(${what}) needs its level q`);
      return stats.quantile(values, q);
  }
}

function byStep(fn: "first" | "last", group: readonly Row[], what: string): number {
  const steps = group.map((r) => Number(r.key[STEPS]));
  const target = fn === "first" ? stats.min(steps) : stats.max(steps); // no spread: groups can be long
  const at = group.filter((_, i) => steps[i] === target);
  if (at.length > 1) {
    throw new DyncRuntimeError(
      "RUN050",
      `${fn}(${what}) is ambiguous: ${at.length} values at step ${target}`,
      "reduce the other dimensions (e.g. `over seeds`) first",
    );
  }
  return numberOf(at[0]!.value, what);
}

// ── selection and time ──────────────────────────────────────────────────────

/** Rows at `where`, without its dimensions and the zipped sweep variables they fix (`fixes`, one value each there). */
function select(table: Table, where: Readonly<Record<Dim, SweepValue>>, what: string, fixes: readonly Dim[]): Table {
  let rows = table.rows;
  for (const [dim, value] of Object.entries(where)) {
    requireDim(table, dim, what);
    const available = dimValues(table, dim);
    if (!available.some((v) => sameValue(v, value))) {
      throw new DyncRuntimeError(
        "RUN051",
        `${what} has no rows at ${dim} = ${String(value)}; ${dim} takes the values ${available.map(String).join(", ") || "(none: the table is empty)"}`,
      );
    }
    rows = rows.filter((r) => sameValue(r.key[dim]!, value));
  }
  const dims = table.dims.filter((d) => !(d in where) && !fixes.includes(d));
  return { dims, rows: rows.map((r) => ({ ...r, key: project(r.key, dims) })) };
}

function timeFilter(expr: Extract<AnalysisExpr, { op: "time" }>, table: Table, env: AnalysisEnv): Table {
  requireDim(table, STEPS, describe(expr.arg));
  const at = expr.at;
  const thresholds = new Map<string, number>();
  const threshold = (key: Key): number => {
    if ("step" in at) return at.step;
    const id = keyId(key, table.dims.filter((d) => d !== STEPS));
    let t = thresholds.get(id);
    // ⌈f·T⌉, the step `at f` measures at (a float just above a whole step, 7% of 100, counts as that step).
    if (t === undefined) thresholds.set(id, (t = cadencePointStep(at, env.totalSteps(key, table.dims), 1)));
    return t;
  };
  // `after` keeps step ≥ t and `before` keeps step < t, so the two split a series without overlap.
  const keepRow = (r: Row): boolean => {
    const step = Number(r.key[STEPS]);
    return expr.relation === "after" ? step >= threshold(r.key) : step < threshold(r.key);
  };
  return { dims: table.dims, rows: table.rows.filter(keepRow) };
}

/**
 * `x before p1` / `x after p1`: per group, the step `bound` gives for the row's values of the bound's
 * dimensions (`p1` per seed). The split is the one of `timeFilter` (before: step < t, after: step ≥ t);
 * a NaN bound (the event never happened) keeps no rows of its group.
 */
function windowFilter(expr: Extract<AnalysisExpr, { op: "window" }>, table: Table, bound: Table): Table {
  requireDim(table, STEPS, describe(expr.arg));
  const what = describe(expr.bound);
  if (bound.dims.includes(STEPS)) {
    throw new DyncRuntimeError("RUN051", `\`${describe(expr)}\`: the bound ${what} is a series over steps; give one step per group, e.g. \`plateau_end(…)\` or \`last(…)\``);
  }
  const extra = bound.dims.filter((d) => !table.dims.includes(d));
  if (extra.length > 0) throw new DyncRuntimeError("RUN051", `\`${describe(expr)}\`: the bound ${what} has dimensions ${describe(expr.arg)} lacks: ${extra.join(", ")}`);
  const steps = new Map(bound.rows.map((r) => [keyId(r.key, bound.dims), numberOf(r.value, what)] as const));
  const keepRow = (r: Row): boolean => {
    const t = steps.get(keyId(r.key, bound.dims));
    if (t === undefined || Number.isNaN(t)) return false;
    const step = Number(r.key[STEPS]);
    return expr.relation === "after" ? step >= t : step < t;
  };
  return { dims: table.dims, rows: table.rows.filter(keepRow) };
}

// ── fits ────────────────────────────────────────────────────────────────────

function fitTable(expr: Extract<AnalysisExpr, { op: "fit_power_law" }>, table: Table): Table {
  const what = describe(expr.y);
  requireDim(table, expr.x, what);
  for (const d of expr.by) requireDim(table, d, what);
  const groupDims = [...expr.by, ...table.dims.filter((d) => d !== expr.x && !expr.by.includes(d))];
  const rows = groupRows(table.rows, groupDims).map(({ key, rows: group }): Row => {
    const where = groupDims.length ? ` at ${formatKey(key, groupDims)}` : "";
    const points = group.map((r) => ({ x: sweepNumber(r.key[expr.x]!, expr.x), y: numberOf(r.value, what) }));
    if (points.length < 2 && groupDims.includes(STEPS)) {
      throw new DyncRuntimeError(
        "RUN050",
        `fit_power_law(${what} ~ ${expr.x}) has only ${points.length} point at ${formatKey(key, groupDims)}: it fits each step separately`,
        `runs measured at different steps do not line up; reduce the steps first, e.g. last(${what})`,
      );
    }
    return { key, value: fitPowerLaw(points, `${what} ~ ${expr.x}${where}`) };
  });
  return { dims: groupDims, rows };
}

function sweepNumber(value: SweepValue, dim: Dim): number {
  if (typeof value === "number") return value;
  throw new DyncRuntimeError("RUN050", `fit_power_law needs a numeric sweep variable, but ${dim} = ${String(value)}`);
}

const FIELDS: Record<FitField, (fit: PowerLawFit) => number | null> = {
  exponent: (f) => f.exponent,
  alpha: (f) => f.alpha,
  coefficient: (f) => f.coefficient,
  r2: (f) => f.r2,
  stderr: (f) => f.stderr,
  ci_low: (f) => f.ciLow,
  ci_high: (f) => f.ciHigh,
};

function field(table: Table, name: string, what: string): Table {
  const get = Object.hasOwn(FIELDS, name) ? FIELDS[name as FitField] : undefined;
  if (!get) throw new DyncRuntimeError("RUN051", `a fit has no field "${name}"; fields: ${Object.keys(FIELDS).join(", ")}`);
  const rows = table.rows.map((r): Row => {
    const fit = asFit(r.value, what);
    const value = get(fit);
    if (value === null) {
      throw new DyncRuntimeError(
        "RUN050",
        `${what}.${name} is undefined: the fit${table.dims.length ? ` at ${formatKey(r.key, table.dims)}` : ""} has only ${fit.n} points, and a standard error needs at least 3`,
      );
    }
    return { key: r.key, value };
  });
  return { dims: table.dims, rows };
}

function asFit(value: Cell, what: string): PowerLawFit {
  if (typeof value === "object") return value;
  throw new DyncRuntimeError("RUN040", `${what} is not a fit; fields such as .alpha apply to fit_power_law results`);
}
