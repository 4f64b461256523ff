/**
 * `plot` statements lowered to the runtime's `PlotSpec`: the data arguments are analysis expressions,
 * the rest (colour, facet, band, references, axes) are checked against the plot's registry entry.
 */
import type * as A from "../../grammar/ast.js";
import type { PlotReference, PlotSpec } from "../../runtime/program.js";
import { registry } from "../../stdlib/registry/index.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { SourceFile } from "../diagnostics/source.js";
import { closest } from "../diagnostics/suggest.js";
import { AnalysisCompiler, foldConstant, indexDimensions, type AnalysisScope } from "./analysis.js";
import { formatNumber } from "./values.js";

type Args = { positional: A.Expr[]; named: Map<string, A.NamedArg> };

export class PlotCompiler {
  private readonly analysis: AnalysisCompiler;

  constructor(
    private readonly diagnostics: Diagnostic[],
    private readonly source: SourceFile,
  ) {
    this.analysis = new AnalysisCompiler(diagnostics);
  }

  compile(stmt: A.PlotStmt, scope: AnalysisScope): PlotSpec | undefined {
    const call = stmt.value;
    const name = call.kind === "Call" && call.callee.kind === "Name" ? call.callee.name : undefined;
    const entry = name ? registry.get("plot", name) : undefined;
    if (!entry || call.kind !== "Call") {
      const near = name ? closest(name, registry.ofKind("plot").map((e) => e.name)) : undefined;
      this.report(diagnostic("DYN2010", call.kind === "Call" ? call.callee.span : call.span, { kind: "plot", name: name ?? "?" }, { hint: near ? `did you mean \`${near}\`?` : `plots: ${registry.ofKind("plot").map((e) => e.name).join(", ")}` }));
      return undefined;
    }
    const args = this.args(call, entry.params.map((p) => p.name), entry.name);
    if (!args) return undefined;
    const base = {
      text: this.source.text.slice(stmt.span.start, stmt.span.end),
      line: stmt.span.line,
      color: this.dimArg(args, "color", scope),
      facet: this.dimArg(args, "facet", scope),
      title: this.stringArg(args, "title"),
    };
    if (base.color === undefined || base.facet === undefined || base.title === undefined) return undefined;
    switch (entry.name) {
      case "line":
        return this.line(call, args, scope, base as PlotBaseChecked);
      case "loglog":
        return this.loglog(call, args, scope, base as PlotBaseChecked);
      case "scatter": {
        const [x, y] = args.positional;
        if (!x || !y || args.positional.length !== 2) return this.fail(call, "`scatter` takes two results: `scatter(x, y)`");
        const xe = this.analysis.compile(x, scope);
        const ye = this.analysis.compile(y, scope);
        const log = this.logArg(args);
        if (!xe || !ye || !log) return undefined;
        return { ...(base as PlotBaseChecked), kind: "scatter", x: xe, y: ye, xLabel: this.text(x), yLabel: this.text(y), ...log };
      }
      case "histogram":
      case "density": {
        const values = args.positional[0];
        if (!values || args.positional.length !== 1) return this.fail(call, `\`${entry.name}\` takes one result: \`${entry.name}(final_loss)\``);
        const { inner, log10 } = unwrapLog10(values);
        const expr = this.analysis.compile(inner, scope);
        if (!expr) return undefined;
        // The renderer prefixes "log₁₀" itself when log10 is set, so the label is the inner expression.
        const label = this.text(inner);
        if (entry.name === "density") return { ...(base as PlotBaseChecked), kind: "density", values: expr, label, log10 };
        const bins = this.numberArg(args, "bins", 30);
        if (bins === undefined || !Number.isInteger(bins) || bins < 1 || bins > 1000) return this.fail(args.named.get("bins") ?? call, "`bins` must be a whole number from 1 to 1000");
        return { ...(base as PlotBaseChecked), kind: "histogram", values: expr, label, bins, log10 };
      }
    }
    return undefined;
  }

  private line(call: A.CallExpr, args: Args, scope: AnalysisScope, base: PlotBaseChecked): PlotSpec | undefined {
    const y = args.positional[0];
    if (!y || args.positional.length !== 1) return this.fail(call, "`line` takes one result: `line(sharp)`");
    const expr = this.analysis.compile(y, scope);
    const x = this.dimArg(args, "x", scope) ?? "steps";
    const band = this.band(args, scope);
    const refs = this.refs(args, scope, undefined);
    const log = this.logArg(args);
    if (!expr || band === undefined || !refs || !log) return undefined;
    return { ...base, kind: "line", y: expr, yLabel: this.text(y), x, band, refs, ...log };
  }

  private loglog(call: A.CallExpr, args: Args, scope: AnalysisScope, base: PlotBaseChecked): PlotSpec | undefined {
    const relation = args.positional[0];
    if (!relation || args.positional.length !== 1 || relation.kind !== "Binary" || relation.op !== "vs") {
      return this.fail(call, "`loglog` takes `y vs x` with x a sweep variable: `loglog(median_loss vs width)`");
    }
    if (relation.right.kind !== "Name" || !scope.sweepVars.includes(relation.right.name)) {
      return this.fail(relation.right, `the right side of \`vs\` must be a sweep variable${scope.sweepVars.length ? ` (${scope.sweepVars.join(", ")})` : ""}`);
    }
    const x = relation.right.name;
    const y = this.analysis.compile(relation.left, scope);
    const fitArg = args.named.get("fit");
    const fit = fitArg ? fitArg.value.kind === "Bool" && fitArg.value.value : true;
    if (fitArg && fitArg.value.kind !== "Bool") return this.fail(fitArg.value, "`fit` is `true` or `false`");
    const refs = this.refs(args, scope, x);
    if (!y || !refs) return undefined;
    return { ...base, kind: "loglog", y, yLabel: this.text(relation.left), x, fit, refs };
  }

  /** `band: std over seeds` or `band: range over seeds`. */
  private band(args: Args, scope: AnalysisScope): { fn: "std" | "range"; over: string } | null | undefined {
    const arg = args.named.get("band");
    if (!arg) return null;
    const v = arg.value;
    if (v.kind === "Binary" && v.op === "over" && v.left.kind === "Name" && (v.left.name === "std" || v.left.name === "range") && v.right.kind === "Name") {
      const over = v.right.name === "seed" ? "seeds" : v.right.name;
      if (over !== "seeds" && !scope.sweepVars.includes(over)) return this.fail(v.right, `a band runs over \`seeds\` or a sweep variable, not \`${v.right.name}\``);
      return { fn: v.left.name, over };
    }
    return this.fail(v, "`band` is `std over seeds` (mean ± std) or `range over seeds` (min–max)");
  }

  /** `ref: 2/lr` (a line) or, on log-log plots, `ref: [width^-1, width^-4]` (power laws). */
  private refs(args: Args, scope: AnalysisScope, powerVar: string | undefined): PlotReference[] | undefined {
    const arg = args.named.get("ref");
    if (!arg) return [];
    const items = arg.value.kind === "List" ? arg.value.items : [arg.value];
    const out: PlotReference[] = [];
    for (const item of items) {
      const label = this.text(item);
      if (powerVar) {
        const exponent = powerExponent(item, powerVar);
        if (exponent === undefined) return this.fail(item, `a reference on a log-log plot is a power of \`${powerVar}\`, like \`${powerVar}^-1\``);
        out.push({ kind: "power", exponent, label });
        continue;
      }
      const compiled = this.analysis.compile(item, scope);
      if (!compiled) return undefined;
      const value = foldConstant(compiled);
      if (value === undefined) return this.fail(item, "a reference line is a constant, like `ref: 2/lr`");
      out.push({ kind: "constant", value, label: `${label} = ${formatNumber(value)}` });
    }
    return out;
  }

  private args(call: A.CallExpr, params: readonly string[], fn: string): Args | undefined {
    const positional: A.Expr[] = [];
    const named = new Map<string, A.NamedArg>();
    for (const a of call.args) {
      if (a.kind === "Positional") positional.push(a.value);
      else if (a.kind === "Binding") return this.fail(a, "a plot takes results and options, not `x in …` bindings");
      else if (!params.includes(a.name.name)) {
        const near = closest(a.name.name, params);
        this.report(diagnostic("DYN2011", a.name.span, { fn, param: a.name.name }, { hint: near ? `did you mean \`${near}\`?` : `parameters: ${params.join(", ")}` }));
        return undefined;
      } else if (named.has(a.name.name)) {
        this.report(diagnostic("DYN2013", a.name.span, { param: a.name.name, fn }));
        return undefined;
      } else named.set(a.name.name, a);
    }
    return { positional, named };
  }

  private dimArg(args: Args, name: string, scope: AnalysisScope): string | null | undefined {
    const arg = args.named.get(name);
    if (!arg) return null;
    const v = arg.value;
    const dims = ["seeds", "steps", ...scope.sweepVars, ...indexDimensions(scope)];
    if (v.kind === "Name") {
      const dim = v.name === "seed" ? "seeds" : v.name === "step" || v.name === "time" ? "steps" : v.name;
      if (dims.includes(dim)) return dim;
      const near = closest(v.name, dims);
      this.report(diagnostic("DYN2023", v.span, { what: "dimension", name: v.name }, { hint: near ? `did you mean \`${near}\`?` : `dimensions: ${dims.join(", ")}` }));
      return undefined;
    }
    return this.fail(v, `\`${name}\` is a dimension: ${dims.map((d) => `\`${d}\``).join(", ")}`);
  }

  private stringArg(args: Args, name: string): string | null | undefined {
    const arg = args.named.get(name);
    if (!arg) return null;
    return arg.value.kind === "String" ? arg.value.value : this.fail(arg.value, `\`${name}\` is a string`);
  }

  private numberArg(args: Args, name: string, fallback: number): number | undefined {
    const arg = args.named.get(name);
    if (!arg) return fallback;
    return arg.value.kind === "Number" ? arg.value.value : undefined;
  }

  private logArg(args: Args): { logX: boolean; logY: boolean } | undefined {
    const arg = args.named.get("log");
    if (!arg) return { logX: false, logY: false };
    const v = arg.value;
    if (v.kind === "Name" && ["none", "x", "y", "xy"].includes(v.name)) return { logX: v.name.includes("x"), logY: v.name.includes("y") };
    return this.fail(v, "`log` is `none`, `x`, `y` or `xy`");
  }

  private text(e: A.Expr): string {
    return this.source.text.slice(e.span.start, e.span.end);
  }

  private fail(node: { span: A.Expr["span"] }, problem: string): undefined {
    this.report(diagnostic("DYN2041", node.span, { problem }));
    return undefined;
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }
}

type PlotBaseChecked = { text: string; line: number; color: string | null; facet: string | null; title: string | null };

function unwrapLog10(e: A.Expr): { inner: A.Expr; log10: boolean } {
  if (e.kind === "Call" && e.callee.kind === "Name" && e.callee.name === "log10" && e.args.length === 1 && e.args[0]!.kind === "Positional") {
    return { inner: e.args[0].value, log10: true };
  }
  return { inner: e, log10: false };
}

/** `width^-1` → −1; `width^(-4)` → −4; `1/width` → −1; `width` → 1. */
function powerExponent(e: A.Expr, v: string): number | undefined {
  if (e.kind === "Paren") return powerExponent(e.inner, v);
  if (e.kind === "Name" && e.name === v) return 1;
  if (e.kind === "Binary" && e.op === "^" && e.left.kind === "Name" && e.left.name === v) return numeric(e.right);
  if (e.kind === "Binary" && e.op === "/" && e.left.kind === "Number" && e.left.value === 1) {
    const inner = powerExponent(e.right, v);
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}

function numeric(e: A.Expr): number | undefined {
  if (e.kind === "Number") return e.value;
  if (e.kind === "Paren") return numeric(e.inner);
  if (e.kind === "Unary" && e.op === "-") {
    const v = numeric(e.operand);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}
