/**
 * Compile-time values: what `let` constants, sweep lists, seeds and registry arguments evaluate to.
 * Expressions over data variables (`x^2`) are not values; they stay expressions and become tensor code.
 */
import type { Span } from "../../diagnostics/source.js";

export type Value =
  | NumberValue
  | StringValue
  | BoolValue
  | ListValue
  | IntervalValue
  | SymbolValue
  | CallValue
  | GroupValue;

export type Unit = "steps" | "epochs" | "%";

export interface NumberValue {
  readonly kind: "number";
  readonly value: number;
  /** `10k steps`, `50%`; absent for plain numbers. */
  readonly unit?: Unit;
}
export interface StringValue {
  readonly kind: "string";
  readonly value: string;
}
export interface BoolValue {
  readonly kind: "bool";
  readonly value: boolean;
}
export interface ListValue {
  readonly kind: "list";
  readonly items: readonly Value[];
}
/** `[lo, hi]` written as a two-element list is a ListValue; `[lo, hi)` is this. */
export interface IntervalValue {
  readonly kind: "interval";
  readonly lo: number;
  readonly hi: number;
  readonly closedHi: boolean;
}
/** A bare name whose meaning the context decides: `silu`, `full`, `once`, `end`, `train` (a split). */
export interface SymbolValue {
  readonly kind: "symbol";
  readonly name: string;
  readonly span?: Span;
  /** The visible value name closest to `name` (a likely typo of it), for a did-you-mean when the symbol does not fit. */
  readonly near?: string;
}
/** A registry call kept as data so it can be swept: `fourier(L: 3)`, `adam(lr: 1e-2)`, `momentum(0.9)`. */
export interface CallValue {
  readonly kind: "call";
  readonly name: string;
  readonly positional: readonly Value[];
  readonly named: Readonly<Record<string, Value>>;
  readonly span?: Span;
  /** Where each named argument (`lr: 1e-2`) and each positional one was written, for precise errors. */
  readonly argSpans?: Readonly<Record<string, Span>>;
  readonly valueSpans?: Readonly<Record<string, Span>>;
  readonly positionalSpans?: readonly Span[];
}

/**
 * A group of rows of a data set, usable wherever a data set is: `train[0..19]`, `train[[3, 17, 42]]` (rows
 * as written, each once), `random_subset(train, 20)` (n distinct rows drawn per seed of the run) or
 * `train[up]` (the rows an analysis `up` of the same run finds during training).
 */
export interface GroupValue {
  readonly kind: "group";
  readonly data: string;
  readonly rows: readonly number[] | null;
  readonly random: { readonly n: number; readonly seed: number } | null;
  /** `train[up]` with `up` an analysis (an index set found during the run): its name and where it is written. */
  readonly found?: { readonly name: string; readonly span: Span };
  readonly span?: Span;
  /** Where the data set's name was written, for an unknown name. */
  readonly dataSpan?: Span;
}

export const num = (value: number, unit?: Unit): NumberValue => (unit ? { kind: "number", value, unit } : { kind: "number", value });
export const list = (items: readonly Value[]): ListValue => ({ kind: "list", items });

/** How a value reads in messages and in the run plan: `[10, 20]`, `10000 steps`, `adam(lr: 0.01)`. */
export function showValue(v: Value): string {
  switch (v.kind) {
    case "number":
      return `${formatNumber(v.value)}${v.unit === "%" ? "%" : v.unit ? ` ${v.unit}` : ""}`;
    case "string":
      return JSON.stringify(v.value);
    case "bool":
      return String(v.value);
    case "list":
      return `[${v.items.map(showValue).join(", ")}]`;
    case "interval":
      return `[${formatNumber(v.lo)}, ${formatNumber(v.hi)}${v.closedHi ? "]" : ")"}`;
    case "symbol":
      return v.name;
    case "call": {
      const args = [...v.positional.map(showValue), ...Object.entries(v.named).map(([k, a]) => `${k}: ${showValue(a)}`)];
      return `${v.name}(${args.join(", ")})`;
    }
    case "group":
      if (v.found) return `${v.data}[${v.found.name}]`;
      return v.rows ? `${v.data}[${v.rows.join(", ")}]` : `random_subset(${v.data}, ${v.random!.n}${v.random!.seed ? `, seed: ${v.random!.seed}` : ""})`;
  }
}

/** Shortest faithful decimal: `0.1`, `1e-8`, `50000`. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
  const plain = String(x);
  const exp = x.toExponential();
  return exp.length < plain.length ? exp.replace("e+", "e") : plain;
}

/** A short name for a value's kind in type errors: "a number", "a list". */
export function kindName(v: Value): string {
  switch (v.kind) {
    case "number":
      return v.unit === "%" ? "a percentage" : v.unit ? `a duration in ${v.unit}` : "a number";
    case "string":
      return "a string";
    case "bool":
      return "a boolean";
    case "list":
      return "a list";
    case "interval":
      return "an interval";
    case "symbol":
      return `the name \`${v.name}\``;
    case "call":
      return `\`${v.name}(…)\``;
    case "group":
      return `a group of rows of \`${v.data}\``;
  }
}

export function valuesEqual(a: Value, b: Value): boolean {
  return showValue(a) === showValue(b) && a.kind === b.kind;
}
