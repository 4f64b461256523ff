/**
 * Conditions: comparisons, ranges, tolerances and logic, giving boolean tables. Every row carries a note
 * with the numbers that decided it (`alpha[act=silu] = 0.94 ∈ [0.7, 1.3]`), so a failed expectation can
 * say exactly where and by how much it failed.
 */
import type { AnalysisExpr } from "../../contract/program.js";
import { describe, formatDistinct, formatNumber, formatPair } from "./format.js";
import { booleanOf, join, numberOf, type Row, type Table } from "./table.js";

type Op<K extends AnalysisExpr["op"]> = Extract<AnalysisExpr, { op: K }>;
type CompareFn = Op<"compare">["fn"];

const HOLDS: Record<CompareFn, string> = { "<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠" };
const FAILS: Record<CompareFn, string> = { "<": "≥", "<=": ">", ">": "≤", ">=": "<", "==": "≠", "!=": "=" };
const COMPARE: Record<CompareFn, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/** `left op right`, elementwise over the join of both tables (booleans may be compared with == and !=). */
export function compareTables(expr: Op<"compare">, left: Table, right: Table): Table {
  return join(left, right, (l, r, key): Row => {
    if (typeof l.value === "boolean" && typeof r.value === "boolean" && (expr.fn === "==" || expr.fn === "!=")) {
      const holds = (l.value === r.value) === (expr.fn === "==");
      return { key, value: holds, note: `${describe(expr.left)} = ${l.value} ${(holds ? HOLDS : FAILS)[expr.fn]} ${r.value}` };
    }
    const a = numberOf(l.value, describe(expr.left));
    const b = numberOf(r.value, describe(expr.right));
    const holds = COMPARE[expr.fn](a, b);
    const [as, bs] = formatPair(a, b);
    const symbol = Number.isNaN(a) || Number.isNaN(b) ? "is not comparable with" : (holds ? HOLDS : FAILS)[expr.fn];
    const hint = nanHint([describe(expr.left), a], [describe(expr.right), b]);
    return { key, value: holds, note: `${measured(expr.left, as)} ${symbol} ${measured(expr.right, bs)}${hint}`, measured: { value: a, bound: b } };
  });
}

/** `x in [lo, hi]` (or `[lo, hi)`), elementwise. */
export function inRange(expr: Op<"in">, table: Table): Table {
  const what = describe(expr.arg);
  const rows = table.rows.map((r): Row => {
    const x = numberOf(r.value, what);
    const holds = x >= expr.lo && (expr.closedHi ? x <= expr.hi : x < expr.hi);
    // x with the digits that tell it from an end it is close to (1.3004 ∉ [0.7, 1.3], not 1.3 ∉ …); the ends
    // as written (up to 6 digits, more only to tell them from x)
    const [xs] = formatDistinct([x, expr.lo, expr.hi]);
    const [, lo, hi] = formatDistinct([x, expr.lo, expr.hi], 6);
    const interval = `[${lo}, ${hi}${expr.closedHi ? "]" : ")"}`;
    return { key: r.key, value: holds, note: `${what} = ${xs} ${holds ? "∈" : "∉"} ${interval}${nanHint([what, x])}`, measured: { value: x, low: expr.lo, high: expr.hi } };
  });
  return { dims: table.dims, rows };
}

/** `x within tol of ref`: |x − ref| ≤ tol, or ≤ fraction·|ref| for a percentage; joins x and ref. */
export function within(expr: Op<"within">, table: Table, reference: Table): Table {
  const [what, refWhat] = [describe(expr.arg), describe(expr.reference)];
  const tol = expr.tolerance;
  return join(table, reference, (l, r, key): Row => {
    const x = numberOf(l.value, what);
    const ref = numberOf(r.value, refWhat);
    const off = Math.abs(x - ref);
    const limit = "fraction" in tol ? tol.fraction * Math.abs(ref) : tol.absolute;
    const holds = off <= limit;
    const allowed = "fraction" in tol ? `${formatNumber(tol.fraction * 100, 6)}%` : formatNumber(tol.absolute, 6);
    const by = "fraction" in tol ? `${off === 0 ? "0" : formatNumber((off / Math.abs(ref)) * 100)}%` : formatNumber(off);
    const [xs, refs] = formatPair(x, ref);
    const note = `${what} = ${xs}, ${holds ? "" : "not "}within ${allowed} of ${measured(expr.reference, refs)} (off by ${by})`;
    return { key, value: holds, note: note + nanHint([what, x], [refWhat, ref]), measured: { value: x, reference: ref, allowed: limit } };
  });
}

/** `a and b`, `a or b` over the join of both tables; the note keeps the side(s) that decided each row. */
export function logical(expr: Op<"and" | "or">, left: Table, right: Table): Table {
  const [lw, rw] = [describe(expr.left), describe(expr.right)];
  return join(left, right, (l, r, key): Row => {
    const [a, b] = [booleanOf(l.value, lw), booleanOf(r.value, rw)];
    const holds = expr.op === "and" ? a && b : a || b;
    // A row is decided by the sides whose value equals the result (both when they agree).
    const deciding = [a === holds ? l.note : undefined, b === holds ? r.note : undefined].filter((n) => n !== undefined);
    return { key, value: holds, note: deciding.join("; ") };
  });
}

/** `not a`, elementwise. */
export function negate(expr: Op<"not">, table: Table): Table {
  const what = describe(expr.arg);
  const rows = table.rows.map((r): Row => ({ key: r.key, value: !booleanOf(r.value, what), note: `not: ${r.note ?? what}` }));
  return { dims: table.dims, rows };
}

// A literal (also a negative one, `-0.15`) prints as its value; anything else as `what = value`.
function measured(expr: AnalysisExpr, value: string): string {
  const literal = expr.op === "number" || (expr.op === "neg" && expr.arg.op === "number");
  return literal ? value : `${describe(expr)} = ${value}`;
}

/** Why a number in a condition may be NaN when nothing more is known; `checkExpect` names a diverged run instead. */
export const NAN_CAUSE = "a seed diverged or a statistic is undefined";

// ` — fin is NaN: <cause>` naming the operands that are NaN.
function nanHint(...operands: [string, number][]): string {
  const names = operands.filter(([, v]) => Number.isNaN(v)).map(([what]) => what);
  return names.length ? ` — ${names.join(" and ")} ${names.length === 1 ? "is" : "are"} NaN: ${NAN_CAUSE}` : "";
}
