/** Checking `expect` statements: pass/fail plus a detail that says what was measured and where it failed. */
import { DyncRuntimeError } from "../errors.js";
import type { AnalysisExpr, ExpectSpec } from "../../contract/program.js";
import { evaluate } from "./evaluate.js";
import { NAN_CAUSE } from "./conditions.js";
import { describe, formatKey } from "./format.js";
import { max, min } from "./reduce.js";
import { STEPS, dimValues, type Row, type Table } from "./table.js";
import type { AnalysisEnv } from "./source.js";

/** The outcome of one `expect`. */
export interface ExpectResult {
  readonly text: string;
  readonly line: number;
  readonly passed: boolean;
  readonly detail: string;
  /** The condition's table, row by row (absent when it could not be evaluated): for results.json. */
  readonly table?: { readonly dims: readonly string[]; readonly rows: readonly ExpectRow[] };
}

/** One row of an expect's condition: where, whether it holds, and the numbers that decided it. */
export interface ExpectRow {
  readonly key: Readonly<Record<string, string | number | boolean>>;
  readonly holds: boolean;
  readonly note?: string;
  readonly measured?: Readonly<Record<string, number>>;
}

/** How many passing or failing rows a detail lists before summarising the rest. */
const SHOWN_ROWS = 3;

/** Evaluates an expectation: it passes when its table is non-empty and every row is true. */
export function checkExpect(spec: ExpectSpec, env: AnalysisEnv): ExpectResult {
  const outcome = (passed: boolean, detail: string): ExpectResult => ({ text: spec.text, line: spec.line, passed, detail });
  let table: Table;
  try {
    table = evaluate(spec.expr, env);
  } catch (e) {
    // One line (the hint after a semicolon): details are shown inline after the expectation.
    if (e instanceof DyncRuntimeError) return outcome(false, `error ${e.code}: ${e.message}${e.hint ? `; hint: ${e.hint}` : ""}`);
    throw e;
  }
  if (table.rows.length === 0) return outcome(false, `no rows to check: ${whyEmpty(spec.expr, env)}`);
  if (table.rows.some((r) => typeof r.value !== "boolean")) {
    return outcome(false, `the condition gives values, not true/false: ${describe(spec.expr)}`);
  }
  const failing = table.rows.filter((r) => r.value !== true).map((r) => withDivergence(r, table, env));
  const rows = table.rows.map((r): ExpectRow => ({ key: r.key, holds: r.value === true, ...(r.note ? { note: r.note } : {}), ...(r.measured ? { measured: r.measured } : {}) }));
  const withTable = (result: ExpectResult): ExpectResult => ({ ...result, table: { dims: table.dims, rows } });
  if (failing.length === 0) return withTable(outcome(true, passDetail(table)));
  return withTable(outcome(false, failDetail(table, failing)));
}

/** A row that failed on a NaN names the diverged run(s) it comes from, when there are any. */
function withDivergence(row: Row, table: Table, env: AnalysisEnv): Row {
  if (!row.note?.includes(NAN_CAUSE)) return row;
  const reason = env.divergence?.explain(row.key, table.dims);
  return reason ? { ...row, note: row.note.replace(NAN_CAUSE, reason) } : row;
}

function passDetail(table: Table): string {
  if (table.rows.length === 1) return rowText(table.rows[0]!, table);
  return `all ${table.rows.length} rows hold: ${listRows(table.rows, table)}`;
}

function failDetail(table: Table, failing: readonly Row[]): string {
  if (table.rows.length === 1) return rowText(failing[0]!, table);
  const holding = table.rows.length - failing.length;
  return `${holding} of ${table.rows.length} rows hold; fails at ${listRows(failing, table)}`;
}

function listRows(rows: readonly Row[], table: Table): string {
  const shown = rows.slice(0, SHOWN_ROWS).map((r) => rowText(r, table));
  const rest = rows.length - shown.length;
  return shown.join("; ") + (rest > 0 ? `; … and ${rest} more` : "");
}

// Rows are labelled by the dims that vary across the table; a dim with one value (the step of an
// `at end` probe) locates nothing and would only lengthen the message.
function rowText(row: Row, table: Table): string {
  const note = row.note ?? String(row.value);
  const varying = table.dims.filter((d) => dimValues(table, d).length > 1);
  return varying.length ? `${formatKey(row.key, varying)}: ${note}` : note;
}

// ── why a condition has no rows ─────────────────────────────────────────────

/** Names the innermost sub-expression that came out empty, and why. */
function whyEmpty(expr: AnalysisExpr, env: AnalysisEnv): string {
  const kids = children(expr).map((e) => ({ e, t: tryEvaluate(e, env) }));
  const emptyKid = kids.find((k) => k.t !== null && k.t.rows.length === 0);
  if (emptyKid) return whyEmpty(emptyKid.e, env);
  switch (expr.op) {
    case "probe":
      return `probe ${expr.name} has no measurements`;
    case "let":
      return `analysis ${expr.name} has no rows`;
    case "time": {
      const arg = kids[0]!.t;
      const steps = arg ? dimValues(arg, STEPS).map(Number) : [];
      const range = steps.length ? ` (its steps run ${min(steps)}..${max(steps)})` : "";
      return `\`${describe(expr)}\` keeps no measurements of ${describe(expr.arg)}${range}`;
    }
    default:
      if (kids.length === 2 && kids[0]!.t && kids[1]!.t) return joinMismatch(kids[0]!.e, kids[0]!.t, kids[1]!.e, kids[1]!.t);
      return `${describe(expr)} has no rows`;
  }
}

function joinMismatch(le: AnalysisExpr, lt: Table, re: AnalysisExpr, rt: Table): string {
  const shared = lt.dims.filter((d) => rt.dims.includes(d));
  const sample = (t: Table) => (t.rows[0] ? formatKey(t.rows[0].key, shared) : "");
  return `${describe(le)} and ${describe(re)} have no rows in common on ${shared.join(", ")} (e.g. ${sample(lt)} vs ${sample(rt)})`;
}

function children(expr: AnalysisExpr): AnalysisExpr[] {
  switch (expr.op) {
    case "probe":
    case "let":
    case "number":
    case "sweep":
      return [];
    case "arith":
    case "compare":
    case "and":
    case "or":
      return [expr.left, expr.right];
    case "within":
      return [expr.arg, expr.reference];
    case "window":
      return [expr.arg, expr.bound];
    case "fit_power_law":
      return [expr.y];
    case "fn":
      return [...expr.args];
    default:
      return [expr.arg];
  }
}

function tryEvaluate(expr: AnalysisExpr, env: AnalysisEnv): Table | null {
  try {
    return evaluate(expr, env);
  } catch (e) {
    if (e instanceof DyncRuntimeError) return null;
    throw e;
  }
}
