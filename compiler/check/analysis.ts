/**
 * Analyses, expectations and event conditions compiled to the runtime's `AnalysisExpr` IR
 * (contract/program.ts). Names resolve to probes, earlier analyses and constants; reductions take their
 * dimensions from `over`; `fit_power_law(y ~ x) by g` fits across a sweep variable.
 */
import type * as A from "../../grammar/ast.js";
import { analysisChildren, FIT_FIELDS as FIT_FIELD_LIST, MAP_FNS, REDUCE_FNS, type AnalysisExpr, type MapFn, type ReduceFn } from "../../contract/program.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { closest } from "../../diagnostics/suggest.js";
import { registry } from "../../stdlib/registry/index.js";
import { describeType, type Entry } from "../../stdlib/registry/types.js";
import { fitsType } from "../../stdlib/registry/validate.js";
import type { Env } from "./evaluate.js";
import { showValue } from "./values.js";
import { probesUnder, selectionOutside, type ProbePoints } from "./probe-points.js";

const REDUCERS = new Set<string>(REDUCE_FNS);
const MAPS = new Set<string>(MAP_FNS);
const FIT_FIELDS = new Set<string>(FIT_FIELD_LIST);

export interface AnalysisScope {
  /** Probes measured in the experiment. */
  readonly probes: ReadonlySet<string>;
  /** Fields and extra dimension of probes that have them (from their registry entries). */
  readonly probeShapes?: ReadonlyMap<string, { readonly fields?: readonly string[]; readonly index?: string; readonly matrix?: boolean }>;
  /** Analyses defined so far (in order). */
  readonly analyses: ReadonlySet<string>;
  /** Analyses that failed to compile (already reported): uses stay silent. */
  readonly failed: ReadonlySet<string>;
  /** Sweep variables (dimensions of results). */
  readonly sweepVars: readonly string[];
  /** Per sweep variable of a zipped sweep (`sweep (a, b) in zip(…)`), the others it steps with. */
  readonly zipped?: ReadonlyMap<string, readonly string[]>;
  /** The sweep variables whose every value is a plain number (`lr`), usable as values: `2/lr`. */
  readonly numericSweepVars?: ReadonlySet<string>;
  /** Constants and sweep-independent lets, for literal values. */
  readonly env: Env;
  /** Named phase windows, `let phase1 = [start, p1)`: what `x during phase1` restricts x to. */
  readonly windows?: ReadonlyMap<string, A.IntervalExpr>;
  /** The sweep points of probes measured at some only (`probe top[opt = gd] = …`), and each let's probes. */
  readonly probePoints?: ProbePoints;
  readonly letProbes?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Analyses whose values are true/false (`let up = d > 0`), which arithmetic does not take. */
  readonly conditions?: ReadonlySet<string>;
}

export class AnalysisCompiler {
  constructor(private readonly diagnostics: Diagnostic[]) {}

  compile(e: A.Expr, scope: AnalysisScope): AnalysisExpr | undefined {
    switch (e.kind) {
      case "Number":
        return { op: "number", value: e.value };
      case "Paren":
        return this.compile(e.inner, scope);
      case "Name":
        return this.name(e, scope);
      case "Unary": {
        const arg = this.compile(e.operand, scope);
        if (!arg) return undefined;
        return e.op === "not" ? { op: "not", arg } : e.op === "-" ? { op: "neg", arg } : arg;
      }
      case "Binary":
        return this.binary(e, scope);
      case "Within":
        return this.within(e, scope);
      case "Call":
        return this.call(e, scope, []);
      case "Index":
        return this.select(e, scope);
      case "Member":
        return this.field(e, scope);
      case "Error":
        return undefined;
      default:
        return this.fail(e, `${describe(e)} cannot be used in an analysis`);
    }
  }

  private name(e: A.NameRef, scope: AnalysisScope): AnalysisExpr | undefined {
    if (scope.windows?.has(e.name)) return this.fail(e, `\`${e.name}\` is a phase window, not a result; restrict a series to it with \`x during ${e.name}\``);
    const fields = scope.probeShapes?.get(e.name)?.fields;
    if (scope.probes.has(e.name) && fields) return this.fail(e, `probe \`${e.name}\` measures several values; pick one: ${fields.map((f) => `\`${e.name}.${f}\``).join(", ")}`);
    if (scope.probes.has(e.name)) return { op: "probe", name: e.name };
    if (scope.analyses.has(e.name)) return { op: "let", name: e.name };
    if (scope.failed.has(e.name)) return undefined;
    if (scope.sweepVars.includes(e.name)) {
      if (scope.numericSweepVars?.has(e.name)) return { op: "sweep", name: e.name };
      return this.fail(e, `the sweep variable \`${e.name}\` takes values that are not plain numbers, so it cannot be used as a value in an analysis; select a point with \`x[${e.name} = …]\` instead`);
    }
    const v = scope.env.lookup(e.name);
    if (v?.kind === "number" && !v.unit) return { op: "number", value: v.value };
    if (v) return this.fail(e, `\`${e.name}\` is ${showValue(v)}, not a number or a result`);
    if (e.name === "pi") return { op: "number", value: Math.PI };
    const near = closest(e.name, [...scope.probes, ...scope.analyses, ...scope.env.names()]);
    this.diagnostics.push(diagnostic("DYN2023", e.span, { what: "probe or analysis", name: e.name }, near ? { hint: `did you mean \`${near}\`?` } : {}));
    return undefined;
  }

  private binary(e: A.BinaryExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    switch (e.op) {
      case "over":
      case "by":
        return this.grouped(e, scope);
      case "after":
      case "before":
        return this.time(e, scope);
      case "during":
        return this.during(e, scope);
      case "~":
      case "vs":
        return this.fail(e, `\`${e.op}\` belongs inside a fit or a plot, like \`fit_power_law(y ~ width)\``);
      case "in":
        return this.inRange(e, scope);
      default:
        break;
    }
    const left = this.compile(e.left, scope);
    const right = this.compile(e.right, scope);
    if (!left || !right) return undefined;
    switch (e.op) {
      case "+":
      case "-":
      case "*":
      case "/":
      case "^": {
        const condition = [left, right].find((x) => isCondition(x, scope.conditions));
        if (condition) {
          const side = condition === left ? "left" : "right";
          const hint = e.op === "*" ? "; for both conditions at once write `and` (`a < 0 and b > 0`)" : "";
          return this.fail(e, `\`${e.op}\` takes numbers, but its ${side} side is a true/false condition${hint}; \`mean(…)\` and \`sum(…)\` of a condition give the share and the count of rows where it holds`);
        }
        return { op: "arith", fn: e.op, left, right };
      }
      case "==":
      case "!=":
      case "<":
      case "<=":
      case ">":
      case ">=":
        return { op: "compare", fn: e.op, left, right };
      case "and":
      case "or":
        return { op: e.op, left, right };
    }
    return undefined;
  }

  /** `f(x) over seeds`, `f(x) over (seeds, width)`, `fit_power_law(y ~ x) by act`. */
  private grouped(e: A.BinaryExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    const dims = this.dims(e.right, scope);
    if (!dims) return undefined;
    let inner: A.Expr = e.left;
    while (inner.kind === "Paren") inner = inner.inner;
    if (inner.kind !== "Call") return this.fail(e, `\`${e.op}\` applies to a reduction or a fit, like \`median(x) over seeds\``);
    return this.call(inner, scope, dims, e.op as "over" | "by");
  }

  private dims(e: A.Expr, scope: AnalysisScope): string[] | undefined {
    const items = e.kind === "Tuple" ? e.items : e.kind === "Paren" ? [e.inner] : [e];
    const out: string[] = [];
    for (const item of items) {
      if (item.kind !== "Name") return this.fail(item, "a grouping lists dimensions: `seeds`, `steps` or sweep variables");
      const dim = item.name === "time" || item.name === "step" ? "steps" : item.name === "seed" ? "seeds" : item.name;
      const indexDims = indexDimensions(scope);
      if (dim !== "seeds" && dim !== "steps" && !scope.sweepVars.includes(dim) && !indexDims.includes(dim)) {
        const near = closest(item.name, ["seeds", "steps", ...scope.sweepVars, ...indexDims]);
        this.diagnostics.push(diagnostic("DYN2023", item.span, { what: "dimension", name: item.name }, { hint: near ? `did you mean \`${near}\`?` : `dimensions: seeds, steps${scope.sweepVars.map((v) => `, ${v}`).join("")}` }));
        return undefined;
      }
      out.push(dim);
    }
    return out;
  }

  private call(e: A.CallExpr, scope: AnalysisScope, dims: string[], groupOp?: "over" | "by"): AnalysisExpr | undefined {
    const name = e.callee.kind === "Name" ? e.callee.name : undefined;
    if (name === "fit_power_law") return this.fit(e, scope, groupOp === "by" ? dims : [], groupOp);
    if (groupOp === "by") return this.fail(e, "`by` groups a fit; reductions use `over`");
    if (name && REDUCERS.has(name as ReduceFn)) return this.reduce(e, name as ReduceFn, scope, dims);
    if (name && MAPS.has(name)) {
      if (groupOp) return this.fail(e, `\`${name}\` is elementwise; \`over\` applies to reductions`);
      const arg = this.single(e, scope);
      return arg && { op: "map", fn: name as MapFn, arg };
    }
    const entry = name ? registry.get("analysis", name) : undefined;
    if (entry && name) return this.libraryFunction(e, entry, scope, dims);
    const known = [...new Set([...REDUCERS, ...MAPS, ...registry.ofKind("analysis").map((a) => a.name)])];
    const near = name ? closest(name, known) : undefined;
    this.diagnostics.push(diagnostic("DYN2010", e.callee.span, { kind: "analysis function", name: name ?? "?" }, { hint: near ? `did you mean \`${near}\`?` : `analysis functions: ${known.join(", ")}` }));
    return undefined;
  }

  /**
   * A standard-library analysis function: parameters typed as results take analysis expressions
   * (positionally, in order); the others are constant options (numbers, strings, booleans, names).
   */
  private libraryFunction(e: A.CallExpr, entry: Entry, scope: AnalysisScope, over: string[]): AnalysisExpr | undefined {
    const resultParams = entry.params.filter((p) => p.type.t === "ref");
    const optionParams = entry.params.filter((p) => p.type.t !== "ref");
    const args: AnalysisExpr[] = [];
    const options: Record<string, number | string | boolean> = {};
    let positional = 0;
    for (const a of e.args) {
      if (a.kind === "Binding") return this.fail(a, `\`${entry.name}\` takes results and options, not \`x in …\``);
      if (a.kind === "Positional") {
        if (positional >= resultParams.length) return this.fail(a, `\`${entry.name}\` takes ${resultParams.length} result${resultParams.length === 1 ? "" : "s"} (${resultParams.map((p) => p.name).join(", ")})`);
        positional++;
        const compiled = this.compile(a.value, scope);
        if (!compiled) return undefined;
        args.push(compiled);
        continue;
      }
      const param = optionParams.find((p) => p.name === a.name.name);
      if (!param) {
        const near = closest(a.name.name, optionParams.map((p) => p.name));
        this.diagnostics.push(diagnostic("DYN2011", a.name.span, { fn: entry.name, param: a.name.name }, { hint: near ? `did you mean \`${near}\`?` : `options: ${optionParams.map((p) => p.name).join(", ") || "none"}` }));
        return undefined;
      }
      const v = constantOption(a.value, scope);
      if (v === undefined || !fitsType(param.type, v)) return this.fail(a.value, `\`${a.name.name}\` of \`${entry.name}\` must be ${describeType(param.type)}`);
      options[a.name.name] = v;
    }
    if (positional < resultParams.length) return this.fail(e, `\`${entry.name}\` needs ${resultParams.map((p) => `\`${p.name}\``).join(" and ")}`);
    for (const p of optionParams) {
      if (!(p.name in options) && p.default === undefined) return this.fail(e, `\`${entry.name}\` needs \`${p.name}: …\` (${describeType(p.type)})`);
      if (!(p.name in options) && p.default !== null && p.default !== undefined && !Array.isArray(p.default)) options[p.name] = p.default as number | string | boolean;
    }
    return { op: "fn", name: entry.name, args, options, over };
  }

  private reduce(e: A.CallExpr, fn: ReduceFn, scope: AnalysisScope, over: string[]): AnalysisExpr | undefined {
    if (fn === "quantile") {
      const [values, q] = e.args;
      const qArg = q?.kind === "Named" && q.name.name === "q" ? q.value : q?.kind === "Positional" ? q.value : undefined;
      if (!values || values.kind !== "Positional" || !qArg || e.args.length !== 2) return this.fail(e, "`quantile` takes the values and `q`, like `quantile(x, q: 0.9)`");
      const arg = this.compile(values.value, scope);
      const level = qArg.kind === "Number" ? qArg.value : undefined;
      if (level === undefined || level < 0 || level > 1) return this.fail(qArg, "`q` must be a number in [0, 1]");
      return arg && { op: "reduce", fn, arg, over, q: level };
    }
    const arg = this.single(e, scope);
    return arg && { op: "reduce", fn, arg, over };
  }

  private fit(e: A.CallExpr, scope: AnalysisScope, by: string[], groupOp?: "over" | "by"): AnalysisExpr | undefined {
    if (groupOp === "over") return this.fail(e, "a fit is grouped with `by`, like `fit_power_law(y ~ width) by act`");
    const relation = e.args.length === 1 && e.args[0]!.kind === "Positional" ? e.args[0].value : undefined;
    if (!relation || relation.kind !== "Binary" || relation.op !== "~") return this.fail(e, "`fit_power_law` takes a relation `y ~ x`, with x a sweep variable");
    if (relation.right.kind !== "Name" || !scope.sweepVars.includes(relation.right.name)) {
      return this.fail(relation.right, `the right side of \`~\` must be a sweep variable${scope.sweepVars.length ? ` (${scope.sweepVars.join(", ")})` : "; this experiment sweeps nothing"}`);
    }
    const y = this.compile(relation.left, scope);
    return y && { op: "fit_power_law", y, x: relation.right.name, by };
  }

  private single(e: A.CallExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    const name = e.callee.kind === "Name" ? e.callee.name : "this function";
    if (e.args.length !== 1 || e.args[0]!.kind !== "Positional") return this.fail(e, `\`${name}\` takes one argument`);
    return this.compile(e.args[0].value, scope);
  }

  private select(e: A.IndexExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    const arg = this.compile(e.object, scope);
    if (!arg) return undefined;
    const where: Record<string, number | string | boolean> = Object.create(null) as Record<string, number | string | boolean>;
    for (const item of e.items) {
      if (item.kind !== "Selector") return this.fail(item, "results are selected by sweep variable, like `x[width = 10]`");
      const dim = item.name.name;
      if (!scope.sweepVars.includes(dim) && dim !== "seeds" && dim !== "steps" && !indexDimensions(scope).includes(dim)) {
        this.diagnostics.push(diagnostic("DYN2023", item.name.span, { what: "sweep variable", name: dim }, { hint: scope.sweepVars.length ? `sweep variables: ${scope.sweepVars.join(", ")}` : "this experiment sweeps nothing" }));
        return undefined;
      }
      const v = item.value;
      if (v.kind === "Number") where[dim] = v.value;
      else if (v.kind === "Unary" && v.op === "-" && v.operand.kind === "Number") where[dim] = -v.operand.value;
      else if (v.kind === "Name") where[dim] = selectorName(v.name, scope);
      else if (v.kind === "String") where[dim] = v.value;
      else if (v.kind === "Bool") where[dim] = v.value;
      else if (v.kind === "Call") return this.fail(v, "select a call-valued sweep point by its text is not supported; give the sweep values names with `let`");
      else return this.fail(v, "a selector value is a number or a name");
    }
    const outside = scope.probePoints?.size ? selectionOutside(probesUnder(arg, scope.letProbes ?? new Map()), where, scope.probePoints) : undefined;
    if (outside) {
      this.diagnostics.push(diagnostic("DYN2079", e.span, { what: `the selection of \`${e.object.kind === "Name" ? e.object.name : "a result"}\``, name: outside.name, run: outside.run, points: outside.points }));
      return undefined;
    }
    // Selecting one variable of a zip fixes the zip's other variables: they go with it.
    const fixes = [...new Set(Object.keys(where).flatMap((d) => scope.zipped?.get(d) ?? []))].filter((d) => !(d in where));
    return { op: "select", arg, where, ...(fixes.length > 0 ? { fixes } : {}) };
  }

  private field(e: A.MemberExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    const probeFields = e.object.kind === "Name" && scope.probes.has(e.object.name) ? scope.probeShapes?.get(e.object.name)?.fields : undefined;
    if (probeFields && e.object.kind === "Name") {
      if (probeFields.includes(e.member.name)) return { op: "probe", name: `${e.object.name}.${e.member.name}` };
      const near = closest(e.member.name, probeFields);
      return this.fail(e.member, `probe \`${e.object.name}\` has no value \`${e.member.name}\`${near ? `; did you mean \`${near}\`?` : ` (values: ${probeFields.join(", ")})`}`);
    }
    if (!FIT_FIELDS.has(e.member.name)) {
      const near = closest(e.member.name, [...FIT_FIELDS]);
      return this.fail(e.member, `\`${e.member.name}\` is not a field of a fit${near ? `; did you mean \`${near}\`?` : ` (fields: ${[...FIT_FIELDS].join(", ")})`}`);
    }
    const arg = this.compile(e.object, scope);
    return arg && { op: "field", arg, name: e.member.name };
  }

  private time(e: A.BinaryExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    const arg = this.compile(e.left, scope);
    return arg && this.bounded(arg, e.op as "after" | "before", e.right, scope);
  }

  /**
   * `x during [lo, hi)` = `(x after lo) before hi`, or `x during phase1` with `let phase1 = [lo, hi)`: each bound
   * is what `after`/`before` take (a step, a fraction, a result giving a step per seed); `start` as lo and
   * `end` as hi leave that side open (so `[p1, end)` keeps the last measurement).
   */
  private during(e: A.BinaryExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    let w = e.right;
    while (w.kind === "Paren") w = w.inner;
    const window = w.kind === "Name" ? scope.windows?.get(w.name) : w.kind === "Interval" ? w : undefined;
    if (!window) {
      const named = [...(scope.windows?.keys() ?? [])];
      return this.fail(w, `\`during\` takes a phase window: an interval of steps like \`[start, p1)\`, or a name bound to one with \`let phase1 = [start, p1)\`${named.length ? ` (windows: ${named.join(", ")})` : ""}`);
    }
    const open = (b: A.Expr, name: "start" | "end") => b.kind === "Name" && b.name === name && !scope.probes.has(name) && !scope.analyses.has(name);
    let arg = this.compile(e.left, scope);
    if (arg && !open(window.lo, "start")) arg = this.bounded(arg, "after", window.lo, scope);
    if (arg && !open(window.hi, "end")) arg = this.bounded(arg, "before", window.hi, scope);
    return arg;
  }

  /** `arg after r` / `arg before r`: r a fraction of training (`50%`), a step (`1000 steps`) or a result giving a step per group. */
  private bounded(arg: AnalysisExpr, relation: "after" | "before", r: A.Expr, scope: AnalysisScope): AnalysisExpr | undefined {
    const at =
      r.kind === "Quantity" && r.unit === "%" && r.value?.kind === "Number"
        ? { fraction: r.value.value / 100 }
        : r.kind === "Quantity" && r.unit === "steps" && r.value?.kind === "Number"
          ? { step: r.value.value }
          : r.kind === "Number"
            ? { step: r.value }
            : undefined;
    if (!at && r.kind !== "Quantity") {
      // a step per group from another result: `acc before p1` with `let p1 = plateau_end(l)`
      const bound = this.compile(r, scope);
      return bound && { op: "window", relation, arg, bound };
    }
    if (!at) return this.fail(r, `\`${relation}\` takes a fraction of training like \`50%\`, a step like \`1000 steps\` or a result giving a step per seed like \`plateau_end(l)\``);
    return { op: "time", relation, arg, at };
  }

  private inRange(e: A.BinaryExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    const arg = this.compile(e.left, scope);
    const r = e.right;
    const bounds = r.kind === "List" && r.items.length === 2 ? { lo: r.items[0]!, hi: r.items[1]!, closedHi: true } : r.kind === "Interval" ? { lo: r.lo, hi: r.hi, closedHi: false } : undefined;
    if (!bounds) return this.fail(r, "`in` takes an interval like `[0.7, 1.3]` or `[0, 1)`");
    const lo = this.constant(bounds.lo, scope);
    const hi = this.constant(bounds.hi, scope);
    if (!arg || lo === undefined || hi === undefined) return undefined;
    return { op: "in", arg, lo, hi, closedHi: bounds.closedHi };
  }

  private within(e: A.WithinExpr, scope: AnalysisScope): AnalysisExpr | undefined {
    const arg = this.compile(e.value, scope);
    const reference = this.compile(e.reference, scope);
    const t = e.tolerance;
    let tolerance: { fraction: number } | { absolute: number } | undefined;
    if (t.kind === "Quantity" && t.unit === "%") {
      const v = t.value ? this.constant(t.value, scope) : undefined;
      if (v !== undefined) tolerance = { fraction: v / 100 };
    } else {
      const v = this.constant(t, scope);
      if (v !== undefined) tolerance = { absolute: v };
    }
    if (!tolerance) return undefined;
    return arg && reference ? { op: "within", arg, tolerance, reference } : undefined;
  }

  private constant(e: A.Expr, scope: AnalysisScope): number | undefined {
    const compiled = this.compile(e, scope);
    if (!compiled) return undefined;
    const value = foldConstant(compiled);
    if (value === undefined) this.fail(e, "a bound or tolerance must be a constant number");
    return value;
  }

  private fail(node: { span: A.Expr["span"] }, problem: string): undefined {
    this.diagnostics.push(diagnostic("DYN2041", node.span, { problem }));
    return undefined;
  }
}

/** The value of a constant analysis expression (numbers and arithmetic), for bounds and tolerances. */
export function foldConstant(e: AnalysisExpr): number | undefined {
  switch (e.op) {
    case "number":
      return e.value;
    case "neg": {
      const v = foldConstant(e.arg);
      return v === undefined ? undefined : -v;
    }
    case "arith": {
      const a = foldConstant(e.left);
      const b = foldConstant(e.right);
      if (a === undefined || b === undefined) return undefined;
      return { "+": a + b, "-": a - b, "*": a * b, "/": a / b, "^": a ** b }[e.fn];
    }
    default:
      return undefined;
  }
}

/** Extra dimensions of per-unit probes (`neuron`, `frequency`), usable in `over`, selectors and plots. */
export function indexDimensions(scope: AnalysisScope): string[] {
  return [...new Set([...(scope.probeShapes?.values() ?? [])].flatMap((s) => (s.index ? [s.index] : [])))];
}

/** A constant option of an analysis function: a number (arithmetic folded), string, boolean or name. */
function constantOption(e: A.Expr, scope: AnalysisScope): number | string | boolean | undefined {
  if (e.kind === "String") return e.value;
  if (e.kind === "Bool") return e.value;
  if (e.kind === "Name" && !scope.env.lookup(e.name)) return e.name;
  const v = scope.env.lookup(e.kind === "Name" ? e.name : "");
  if (v?.kind === "number" && !v.unit) return v.value;
  if (e.kind === "Number") return e.value;
  if (e.kind === "Unary" && e.op === "-" && e.operand.kind === "Number") return -e.operand.value;
  return undefined;
}

/** Whether `e` gives true/false values: a comparison, `in`, `within`, and/or/not, or an analysis bound to one. */
export function isCondition(e: AnalysisExpr, conditions: ReadonlySet<string> | undefined): boolean {
  if (e.op === "let") return conditions?.has(e.name) === true;
  return e.op === "compare" || e.op === "in" || e.op === "within" || e.op === "and" || e.op === "or" || e.op === "not";
}

/** The probes an analysis expression reads, directly (not through lets), in every sub-expression (a function's arguments too). */
export function probesOf(e: AnalysisExpr, out = new Set<string>()): Set<string> {
  if (e.op === "probe") out.add(e.name);
  for (const child of analysisChildren(e)) probesOf(child, out);
  return out;
}

function describe(e: A.Expr): string {
  switch (e.kind) {
    case "String":
      return "a string";
    case "Bool":
      return "a boolean";
    case "List":
      return "a list";
    case "Range":
      return "a range";
    case "Quantity":
      return "a duration or percentage";
    case "Tuple":
      return "a tuple";
    case "Interval":
      return "an interval";
    default:
      return "this expression";
  }
}

/**
 * A selector value written as a name: a `let` bound to a call or a number stands for that value, as its
 * sweep point is labelled (`let pe8 = fourier(L: 8)` … `x[enc = pe8]` selects `fourier(L: 8)`); any other
 * name (`silu`) is the sweep value's own text.
 */
function selectorName(name: string, scope: AnalysisScope): string | number {
  const bound = scope.env.lookup(name);
  if (bound?.kind === "call") return showValue(bound);
  if (bound?.kind === "number" && bound.unit === undefined) return bound.value;
  return name;
}
