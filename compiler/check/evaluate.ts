/**
 * Compile-time evaluation of pure expressions: `let` constants, sweep lists, seeds, durations and
 * registry arguments. Arithmetic is float64 (JS numbers). Problems become diagnostics, and evaluation
 * returns `undefined` so one mistake is reported once, not at every use.
 */
import type * as A from "../../grammar/ast.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { closest } from "../../diagnostics/suggest.js";
import { num, list, kindName, showValue, formatNumber, type Value, type NumberValue, type Unit } from "./values.js";
import { portableMath, portableMathArity, type PortableMathName } from "../../numerics/portable-math.js";

/** Names visible to an expression: `let`s, sweep variables bound to one point, loop variables. */
export interface Env {
  lookup(name: string): Value | undefined;
  /** Every visible name, for did-you-mean. */
  names(): Iterable<string>;
  /** Names that are not values here but mean something later (probes, data variables): message text. */
  notConstant?(name: string): string | undefined;
  /** Names whose definition failed (already reported): their uses stay silent. */
  failed?(name: string): boolean;
  /** Whether `name` is an analysis `let` (a result of the run, `train[up]` an index set found in it). */
  isAnalysis?(name: string): boolean;
}

export class MapEnv implements Env {
  constructor(
    private readonly values: ReadonlyMap<string, Value>,
    private readonly parent?: Env,
  ) {}
  lookup(name: string): Value | undefined {
    return this.values.get(name) ?? this.parent?.lookup(name);
  }
  *names(): Iterable<string> {
    yield* this.values.keys();
    if (this.parent) yield* this.parent.names();
  }
  notConstant(name: string): string | undefined {
    return this.parent?.notConstant?.(name);
  }
  failed(name: string): boolean {
    return !this.values.has(name) && (this.parent?.failed?.(name) ?? false);
  }
}

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, inf: Infinity };

/**
 * Most values a compile-time list may hold, nested items included (`[[0] * 1000] * 1000` holds 1,001,001):
 * `[1] * 1e9` or a chain of `let b = a + a` would otherwise exhaust memory before any diagnostic.
 */
export const MAX_LIST_VALUES = 1_000_000;
const listWeights = new WeakMap<Value, number>();

/** How many values `v` holds, counting every nested list and item (cached per list). */
function weight(v: Value): number {
  if (v.kind !== "list") return 1;
  let w = listWeights.get(v);
  if (w === undefined) {
    w = v.items.reduce((a, item) => a + weight(item), 1);
    listWeights.set(v, w);
  }
  return w;
}

type Fn = (args: number[]) => number;
/** Compile-time functions: every function of numerics/portable-math.ts (fdlibm ports, not Math.*) but `pow` (spelled
 *  `^`), so a constant folded here is the same number on every Node version and the same as the generated target code
 *  computes, and a function a target may call is one a constant may call. */
const MATH: Record<string, { arity: readonly [number, number]; fn: Fn }> = Object.fromEntries(
  (Object.keys(portableMath) as PortableMathName[])
    .filter((name) => name !== "pow")
    .map((name) => {
      const f = portableMath[name] as (...xs: number[]) => number;
      return [name, { arity: portableMathArity(name), fn: (xs: number[]) => f(...xs) }];
    }),
);

/** DYN2005 when `e` has fewer than `arity[0]` or more than `arity[1]` arguments. */
export function argumentCountError(e: A.CallExpr, name: string, [lo, hi]: readonly [number, number]): Diagnostic | undefined {
  if (e.args.length >= lo && e.args.length <= hi) return undefined;
  const expected = lo === hi ? `${lo} argument${lo === 1 ? "" : "s"}` : hi === Infinity ? `at least ${lo} argument${lo === 1 ? "" : "s"}` : `${lo} to ${hi} arguments`;
  return diagnostic("DYN2005", e.span, { fn: name, expected, count: e.args.length });
}

/** Names evaluated here; the checker and the language server list them. */
export const compileTimeFunctions = [...Object.keys(MATH), "logspace", "linspace", "zip", "len", "sum", "prod", "random_subset"] as const;
export const compileTimeConstants = Object.keys(CONSTANTS);

export class Evaluator {
  constructor(readonly diagnostics: Diagnostic[]) {}

  /** Evaluate `e`; `undefined` after reporting why it has no compile-time value. */
  eval(e: A.Expr, env: Env): Value | undefined {
    switch (e.kind) {
      case "Number":
        return num(e.value);
      case "String":
        return { kind: "string", value: e.value };
      case "Bool":
        return { kind: "bool", value: e.value };
      case "Name":
        return this.name(e, env);
      case "List":
        return this.all(e.items, env, (items) => list(items));
      case "Interval":
        return this.interval(e, env);
      case "Tuple":
        return this.all(e.items, env, (items) => list(items));
      case "Paren":
        return this.eval(e.inner, env);
      case "Unary":
        return this.unary(e, env);
      case "Binary":
        return this.binary(e, env);
      case "Range":
        return this.range(e, env);
      case "Quantity":
        return this.quantity(e, env);
      case "Call":
        return this.call(e, env);
      case "Index":
        return this.group(e, env);
      case "Within":
      case "Member":
        this.report(diagnostic("DYN2003", e.span, { what: "this expression", context: "a constant" }));
        return undefined;
      case "Error":
        return undefined;
    }
  }

  /** Evaluate to a number (optionally of a unit), reporting anything else. */
  number(e: A.Expr, env: Env, what: string): NumberValue | undefined {
    const v = this.eval(e, env);
    if (v === undefined) return undefined;
    if (v.kind === "number") return v;
    this.report(diagnostic("DYN2004", e.span, { what, expected: "a number", got: kindName(v) }));
    return undefined;
  }

  private name(e: A.NameRef, env: Env): Value | undefined {
    const bound = env.lookup(e.name);
    if (bound) return bound;
    if (env.failed?.(e.name)) return undefined;
    if (Object.hasOwn(CONSTANTS, e.name)) return num(CONSTANTS[e.name]!);
    const later = env.notConstant?.(e.name);
    if (later) {
      this.report(diagnostic("DYN2003", e.span, { what: later, context: "a constant" }));
      return undefined;
    }
    // Unknown bare names stay symbols: `silu`, `full`, `end` mean something to the statement using them.
    const near = closest(e.name, env.names());
    return { kind: "symbol", name: e.name, span: e.span, ...(near ? { near } : {}) };
  }

  private all(items: readonly A.Expr[], env: Env, make: (vs: Value[]) => Value): Value | undefined {
    const values = items.map((i) => this.eval(i, env));
    return values.every((v): v is Value => v !== undefined) ? make(values) : undefined;
  }

  private interval(e: A.IntervalExpr, env: Env): Value | undefined {
    const lo = this.number(e.lo, env, "an interval bound");
    const hi = this.number(e.hi, env, "an interval bound");
    if (!lo || !hi) return undefined;
    return { kind: "interval", lo: lo.value, hi: hi.value, closedHi: false };
  }

  private unary(e: A.UnaryExpr, env: Env): Value | undefined {
    const v = this.eval(e.operand, env);
    if (v === undefined) return undefined;
    if (e.op === "not") {
      if (v.kind === "bool") return { kind: "bool", value: !v.value };
    } else if (v.kind === "number") {
      return num(e.op === "-" ? -v.value : v.value, v.unit);
    }
    return this.operandError(e.op, e.operand, v, env);
  }

  private binary(e: A.BinaryExpr, env: Env): Value | undefined {
    switch (e.op) {
      case "over":
      case "by":
      case "after":
      case "before":
      case "during":
      case "~":
      case "vs":
        this.report(diagnostic("DYN2003", e.span, { what: `\`${e.op}\``, context: "a constant" }));
        return undefined;
    }
    const l = this.eval(e.left, env);
    const r = this.eval(e.right, env);
    if (l === undefined || r === undefined) return undefined;
    if (e.op === "and" || e.op === "or") {
      if (l.kind === "bool" && r.kind === "bool") return { kind: "bool", value: e.op === "and" ? l.value && r.value : l.value || r.value };
      return this.operandError(e.op, l.kind === "bool" ? e.right : e.left, l.kind === "bool" ? r : l, env);
    }
    if (e.op === "*" && l.kind === "list" && r.kind === "number") return this.repeat(l.items, r, e.right, e);
    if (e.op === "*" && r.kind === "list" && l.kind === "number") return this.repeat(r.items, l, e.left, e);
    if (e.op === "+" && l.kind === "list" && r.kind === "list") {
      if (!this.listFits(weight(l) + weight(r) - 1, e)) return undefined;
      return list([...l.items, ...r.items]);
    }
    if (l.kind !== "number") return this.operandError(e.op, e.left, l, env);
    if (r.kind !== "number") return this.operandError(e.op, e.right, r, env);
    return this.arithmetic(e, l, r);
  }

  private arithmetic(e: A.BinaryExpr, l: NumberValue, r: NumberValue): Value | undefined {
    const unit = this.combineUnits(e, l, r);
    if (unit === null) return undefined;
    const a = l.value;
    const b = r.value;
    switch (e.op) {
      case "+":
        return num(a + b, unit);
      case "-":
        return num(a - b, unit);
      case "*":
        return num(a * b, unit);
      case "/":
        if (b === 0) {
          this.report(diagnostic("DYN2009", e.right.span));
          return undefined;
        }
        return num(a / b, unit);
      case "^":
        return num(portableMath.pow(a, b));
      case "==":
        return { kind: "bool", value: a === b };
      case "!=":
        return { kind: "bool", value: a !== b };
      case "<":
        return { kind: "bool", value: a < b };
      case "<=":
        return { kind: "bool", value: a <= b };
      case ">":
        return { kind: "bool", value: a > b };
      case ">=":
        return { kind: "bool", value: a >= b };
      default:
        this.report(diagnostic("DYN2002", e.span, { op: e.op, operand: "numbers" }));
        return undefined;
    }
  }

  /** `10k steps + 500 steps` keeps its unit; `10 steps + 3 epochs` is an error; `2 * 10 steps` scales. */
  private combineUnits(e: A.BinaryExpr, l: NumberValue, r: NumberValue): Unit | undefined | null {
    if (!l.unit && !r.unit) return undefined;
    const additive = ["+", "-", "==", "!=", "<", "<=", ">", ">="].includes(e.op);
    if (additive) {
      if (l.unit === r.unit) return l.unit;
      this.report(diagnostic("DYN2006", e.span, { op: e.op, left: showValue(l), right: showValue(r) }));
      return null;
    }
    if (e.op === "*" && (!l.unit || !r.unit)) return l.unit ?? r.unit;
    if (e.op === "/" && !r.unit) return l.unit;
    this.report(diagnostic("DYN2006", e.span, { op: e.op, left: showValue(l), right: showValue(r) }));
    return null;
  }

  private repeat(items: readonly Value[], times: NumberValue, at: A.Expr, whole: A.Expr): Value | undefined {
    if (!Number.isInteger(times.value) || times.value < 0 || times.unit) {
      this.report(diagnostic("DYN2004", at.span, { what: "a list repetition count", expected: "a whole number ≥ 0", got: showValue(times) }));
      return undefined;
    }
    const size = 1 + times.value * items.reduce((a, item) => a + weight(item), 0);
    if (!this.listFits(size, whole)) return undefined;
    return list(Array.from({ length: times.value }, () => items).flat());
  }

  private listFits(size: number, at: { span: A.Expr["span"] }): boolean {
    if (size <= MAX_LIST_VALUES) return true;
    this.report(diagnostic("DYN3001", at.span, { count: size.toLocaleString("en-US"), limit: MAX_LIST_VALUES.toLocaleString("en-US") }));
    return false;
  }

  private range(e: A.RangeExpr, env: Env): Value | undefined {
    const from = this.number(e.from, env, "a range start");
    const to = this.number(e.to, env, "a range end");
    const step = e.step ? this.number(e.step, env, "a range step") : num(1);
    if (!from || !to || !step) return undefined;
    if (!(step.value > 0) || !Number.isFinite(step.value)) {
      this.report(diagnostic("DYN2007", (e.step ?? e).span, { problem: `its step must be a positive number, not ${formatNumber(step.value)}` }));
      return undefined;
    }
    const count = Math.floor((to.value - from.value) / step.value + 1e-9) + 1;
    if (count <= 0) {
      this.report(diagnostic("DYN2007", e.span, { problem: `it is empty: ${formatNumber(from.value)} is above ${formatNumber(to.value)}` }));
      return undefined;
    }
    if (count > 1_000_000) {
      this.report(diagnostic("DYN2007", e.span, { problem: `it has ${count} elements; ranges are limited to 1,000,000` }));
      return undefined;
    }
    // Multiply rather than accumulate, so 0..1 step 0.1 ends at exactly 1, not 0.9999999999999999.
    const decimals = Math.max(decimalPlaces(from.value), decimalPlaces(step.value));
    const round = (x: number) => (decimals < 15 ? Number(x.toFixed(decimals)) : x);
    return list(Array.from({ length: count }, (_, i) => num(round(from.value + i * step.value), from.unit)));
  }

  private quantity(e: A.QuantityExpr, env: Env): Value | undefined {
    if (!e.value) return num(1, e.unit);
    const v = this.number(e.value, env, `a quantity in ${e.unit === "%" ? "percent" : e.unit}`);
    if (!v) return undefined;
    if (v.unit) {
      this.report(diagnostic("DYN2006", e.span, { op: e.unit, left: showValue(v), right: e.unit }));
      return undefined;
    }
    return num(v.value, e.unit);
  }

  private call(e: A.CallExpr, env: Env): Value | undefined {
    const callee = e.callee.kind === "Name" ? e.callee.name : undefined;
    if (callee === undefined) {
      this.report(diagnostic("DYN2003", e.callee.span, { what: "a method call", context: "a constant" }));
      return undefined;
    }
    if (Object.hasOwn(MATH, callee) && !env.lookup(callee)) return this.mathCall(e, callee, env);
    if (callee === "logspace" || callee === "linspace") return this.space(e, callee, env);
    if (callee === "zip") return this.zip(e, env);
    if (callee === "len") return this.len(e, env);
    if (callee === "random_subset" && !env.lookup(callee)) return this.randomSubset(e, env);
    if ((callee === "sum" || callee === "prod") && e.args[0]?.kind === "Binding") return this.fold(e, callee, env);
    return this.registryCall(e, callee, env);
  }

  private positionalNumbers(e: A.CallExpr, name: string, env: Env, arity: number | readonly [number, number]): number[] | undefined {
    const [lo, hi] = typeof arity === "number" ? [arity, arity] : arity;
    const named = e.args.find((a) => a.kind !== "Positional");
    if (named) {
      this.report(diagnostic("DYN2005", named.span, { fn: name, expected: "positional arguments only", count: e.args.length }));
      return undefined;
    }
    const wrongCount = argumentCountError(e, name, [lo, hi]);
    if (wrongCount) {
      this.report(wrongCount);
      return undefined;
    }
    const values = e.args.map((a) => this.number((a as A.PositionalArg).value, env, `an argument of \`${name}\``));
    return values.every((v) => v !== undefined) ? values.map((v) => v!.value) : undefined;
  }

  private mathCall(e: A.CallExpr, name: string, env: Env): Value | undefined {
    const spec = MATH[name]!;
    // min/max of one list argument: max([1, 2, 3]).
    if ((name === "min" || name === "max") && e.args.length === 1 && e.args[0]!.kind === "Positional") {
      const v = this.eval(e.args[0].value, env);
      if (v?.kind === "list") {
        const nums = v.items.filter((i): i is NumberValue => i.kind === "number").map((i) => i.value);
        if (nums.length === v.items.length && nums.length > 0) return num(spec.fn(nums));
      }
      if (v?.kind === "number") return v;
      if (v !== undefined) this.report(diagnostic("DYN2004", e.args[0].span, { what: `the argument of \`${name}\``, expected: "numbers or a list of numbers", got: kindName(v) }));
      return undefined;
    }
    const args = this.positionalNumbers(e, name, env, spec.arity);
    return args ? num(spec.fn(args)) : undefined;
  }

  /** `logspace(1, 4, 7)`: 7 points from 10¹ to 10⁴; `linspace(0, 1, 5)`. */
  private space(e: A.CallExpr, name: "logspace" | "linspace", env: Env): Value | undefined {
    const args = this.positionalNumbers(e, name, env, 3);
    if (!args) return undefined;
    const [a, b, n] = args as [number, number, number];
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
      this.report(diagnostic("DYN2004", e.args[2]!.span, { what: `the point count of \`${name}\``, expected: "a whole number from 1 to 1,000,000", got: formatNumber(n) }));
      return undefined;
    }
    const at = (i: number) => (n === 1 ? a : a + ((b - a) * i) / (n - 1));
    return list(Array.from({ length: n }, (_, i) => num(name === "logspace" ? powerOfTen(at(i)) : at(i))));
  }

  /** `zip([a, b], [c, d])` → `[[a, c], [b, d]]`, lengths checked. */
  private zip(e: A.CallExpr, env: Env): Value | undefined {
    const lists: Value[][] = [];
    for (const arg of e.args) {
      if (arg.kind !== "Positional") {
        this.report(diagnostic("DYN2005", arg.span, { fn: "zip", expected: "lists as positional arguments", count: e.args.length }));
        return undefined;
      }
      const v = this.eval(arg.value, env);
      if (v === undefined) return undefined;
      if (v.kind !== "list") {
        this.report(diagnostic("DYN2004", arg.span, { what: "an argument of `zip`", expected: "a list", got: kindName(v) }));
        return undefined;
      }
      lists.push([...v.items]);
    }
    if (lists.length < 2) {
      this.report(diagnostic("DYN2005", e.span, { fn: "zip", expected: "at least 2 lists", count: lists.length }));
      return undefined;
    }
    const lengths = lists.map((l) => l.length);
    if (new Set(lengths).size > 1) {
      this.report(diagnostic("DYN2008", e.span, { lengths: lengths.join(", ") }));
      return undefined;
    }
    return list(lists[0]!.map((_, i) => list(lists.map((l) => l[i]!))));
  }

  private len(e: A.CallExpr, env: Env): Value | undefined {
    const arg = e.args[0];
    if (e.args.length !== 1 || arg?.kind !== "Positional") {
      this.report(diagnostic("DYN2005", e.span, { fn: "len", expected: "1 argument", count: e.args.length }));
      return undefined;
    }
    const v = this.eval(arg.value, env);
    if (v?.kind === "list") return num(v.items.length);
    if (v !== undefined) this.report(diagnostic("DYN2004", arg.span, { what: "the argument of `len`", expected: "a list", got: kindName(v) }));
    return undefined;
  }

  /** `sum(k in 1..10: k^2)` over a compile-time list. */
  private fold(e: A.CallExpr, name: "sum" | "prod", env: Env): Value | undefined {
    const binding = e.args[0] as A.BindingArg;
    if (!binding.body) {
      this.report(diagnostic("DYN2005", binding.span, { fn: name, expected: "a body after `:` (as in `sum(k in 1..5: k^2)`)", count: e.args.length }));
      return undefined;
    }
    const domain = this.eval(binding.domain, env);
    if (domain === undefined) return undefined;
    if (domain.kind !== "list") {
      this.report(diagnostic("DYN2004", binding.domain.span, { what: `the domain of \`${name}\``, expected: "a list or a range", got: kindName(domain) }));
      return undefined;
    }
    let acc = name === "sum" ? 0 : 1;
    for (const item of domain.items) {
      const inner = new MapEnv(new Map([[binding.name.name, item]]), env);
      const v = this.number(binding.body, inner, `the body of \`${name}\``);
      if (!v) return undefined;
      acc = name === "sum" ? acc + v.value : acc * v.value;
    }
    return num(acc);
  }

  /**
   * A registry call whose `x in …` arguments bind input variables (`grid(x in [-1, 1], n: 201)`): the
   * call without them, and each binding with its evaluated domain.
   */
  callWithBindings(e: A.CallExpr, env: Env): { value: Value; bindings: { name: string; domain: Value; span: A.BindingArg["span"] }[] } | undefined {
    const bindings: { name: string; domain: Value; span: A.BindingArg["span"] }[] = [];
    let ok = true;
    for (const arg of e.args) {
      if (arg.kind !== "Binding") continue;
      if (arg.body) {
        this.report(diagnostic("DYN2003", arg.span, { what: "a comprehension", context: "an input variable's domain" }));
        ok = false;
        continue;
      }
      const domain = this.eval(arg.domain, env);
      if (domain === undefined) ok = false;
      else bindings.push({ name: arg.name.name, domain, span: arg.span });
    }
    const value = this.registryCall({ ...e, args: e.args.filter((a) => a.kind !== "Binding") }, e.callee.kind === "Name" ? e.callee.name : "", env);
    return ok && value ? { value, bindings } : undefined;
  }

  /**
   * `train[0..19]`, `train[[3, 17, 42]]`, `train[5]`: rows of a data set as a group (the checker checks that
   * the name is a data set where a data set is expected). Anything else indexed has no compile-time value.
   */
  private group(e: A.IndexExpr, env: Env): Value | undefined {
    const item = e.items.length === 1 ? e.items[0]! : undefined;
    if (e.object.kind !== "Name" || !item || item.kind === "Wildcard" || item.kind === "Selector" || item.kind === "At" || item.kind === "AtFirst") {
      this.report(diagnostic("DYN2003", e.span, { what: "this expression", context: "a constant" }));
      return undefined;
    }
    const object = this.eval(e.object, env);
    if (object === undefined) return undefined;
    if (object.kind !== "symbol") {
      this.report(diagnostic("DYN2004", e.object.span, { what: "an indexed name", expected: "the name of a data set (`train[0..19]` is a group of its rows)", got: kindName(object) }));
      return undefined;
    }
    if (item.kind === "Name" && env.isAnalysis?.(item.name)) {
      return { kind: "group", data: object.name, rows: null, random: null, found: { name: item.name, span: item.span }, span: e.span, dataSpan: e.object.span };
    }
    const v = this.eval(item, env);
    if (v === undefined) return undefined;
    const items = v.kind === "list" ? v.items : [v];
    const rows = items.map((i) => (i.kind === "number" && !i.unit && Number.isInteger(i.value) && i.value >= 0 ? i.value : undefined));
    if (items.length === 0 || rows.some((r) => r === undefined) || new Set(rows).size !== rows.length) {
      this.report(diagnostic("DYN2004", item.span, { what: `the rows of \`${object.name}\``, expected: "distinct whole numbers ≥ 0 (a row, a list `[3, 17]` or a range `0..19`)", got: v.kind === "list" && items.length > 0 ? showValue(v) : kindName(v) }));
      return undefined;
    }
    return { kind: "group", data: object.name, rows: rows as number[], random: null, span: e.span, dataSpan: e.object.span };
  }

  /** `random_subset(train, 20)` / `random_subset(train, 20, seed: 1)`: n distinct rows drawn per seed of the run. */
  private randomSubset(e: A.CallExpr, env: Env): Value | undefined {
    const positional = e.args.filter((a): a is A.PositionalArg => a.kind === "Positional");
    const named = e.args.filter((a): a is A.NamedArg => a.kind === "Named");
    const unknown = named.find((a) => a.name.name !== "seed") ?? e.args.find((a) => a.kind === "Binding");
    if (positional.length !== 2 || named.length > 1 || unknown) {
      this.report(diagnostic("DYN2005", unknown?.span ?? e.span, { fn: "random_subset", expected: "a data set, a row count and optionally `seed:`", count: e.args.length }));
      return undefined;
    }
    const data = this.eval(positional[0]!.value, env);
    if (data === undefined) return undefined;
    if (data.kind !== "symbol") {
      this.report(diagnostic("DYN2004", positional[0]!.span, { what: "the first argument of `random_subset`", expected: "the name of a data set", got: kindName(data) }));
      return undefined;
    }
    const n = this.wholeNumber(positional[1]!.value, env, "the row count of `random_subset`", 1);
    const seed = named[0] ? this.wholeNumber(named[0].value, env, "the `seed` of `random_subset`", 0) : 0;
    if (n === undefined || seed === undefined) return undefined;
    return { kind: "group", data: data.name, rows: null, random: { n, seed }, span: e.span, dataSpan: positional[0]!.value.span };
  }

  private wholeNumber(e: A.Expr, env: Env, what: string, min: number): number | undefined {
    const v = this.number(e, env, what);
    if (v === undefined) return undefined;
    if (!v.unit && Number.isInteger(v.value) && v.value >= min && v.value < 2 ** 31) return v.value;
    this.report(diagnostic("DYN2004", e.span, { what, expected: `a whole number ≥ ${min}`, got: showValue(v) }));
    return undefined;
  }

  /** Any other call is a registry entry used as a value (`adam(lr: 1e-2)`); the checker validates it. */
  private registryCall(e: A.CallExpr, name: string, env: Env): Value | undefined {
    const positional: Value[] = [];
    const named: Record<string, Value> = Object.create(null) as Record<string, Value>;
    const argSpans: Record<string, A.Argument["span"]> = Object.create(null) as Record<string, A.Argument["span"]>;
    const valueSpans: Record<string, A.Argument["span"]> = Object.create(null) as Record<string, A.Argument["span"]>;
    const positionalSpans: A.Argument["span"][] = [];
    let ok = true;
    for (const arg of e.args) {
      if (arg.kind === "Binding") {
        this.report(diagnostic("DYN2003", arg.span, { what: "a binding `x in …`", context: "an argument here" }));
        ok = false;
        continue;
      }
      if (arg.kind === "Named" && arg.name.name in named) {
        this.report(diagnostic("DYN2013", arg.name.span, { param: arg.name.name, fn: name }));
        ok = false;
        continue;
      }
      const v = this.eval(arg.value, env);
      if (v === undefined) ok = false;
      else if (arg.kind === "Named") {
        named[arg.name.name] = v;
        argSpans[arg.name.name] = arg.span;
        valueSpans[arg.name.name] = arg.value.span;
      } else {
        positional.push(v);
        positionalSpans.push(arg.value.span);
      }
    }
    return ok ? { kind: "call", name, positional, named, span: e.span, argSpans, valueSpans, positionalSpans } : undefined;
  }

  private operandError(op: string, at: A.Expr, v: Value, env: Env): undefined {
    if (v.kind === "symbol") {
      const near = closest(v.name, [...env.names(), ...compileTimeConstants]);
      this.report(diagnostic("DYN2001", at.span, { name: v.name }, near ? { hint: `did you mean \`${near}\`?` } : {}));
      return undefined;
    }
    this.report(diagnostic("DYN2002", at.span, { op, operand: kindName(v) }));
    return undefined;
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }
}

function decimalPlaces(x: number): number {
  if (Number.isInteger(x)) return 0;
  const s = String(x);
  const m = /e-(\d+)$/.exec(s);
  if (m) return Number(m[1]) + (s.split("e")[0]!.split(".")[1]?.length ?? 0);
  return s.split(".")[1]?.length ?? 0;
}

/**
 * 10ˣ, exactly the decimal 10ᵏ when x is a whole number k (up to rounding in x itself): `10 ** -4` is
 * 0.00009999999999999999, which a sweep's run id (`lr=0.00009999999999999999`) and the report would show.
 */
export function powerOfTen(x: number): number {
  const k = Math.round(x);
  return Math.abs(x - k) < 1e-9 ? Number(`1e${k}`) : portableMath.pow(10, x);
}
