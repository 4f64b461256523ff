/**
 * Command-line overrides, `dync run FILE key=value …` (docs/language.md, "Command-line overrides"): each
 * argument becomes a statement laid over the profile's statements in effect, by the same per-key rule as a
 * profile (compiler/check/overlay.ts). The arguments form one source file, `command line`, one argument
 * per line, so a bad key or value is a diagnostic with a code frame pointing into the argument.
 */
import type * as A from "../../grammar/ast.js";
import { parseExpressionAt } from "../../grammar/parse.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { SourceFile, type Span } from "../../diagnostics/source.js";
import { closest } from "../../diagnostics/suggest.js";
import { isAnalysis, type TopLevel } from "./experiment.js";
import { overlay, type Effective } from "./overlay.js";

/** The file name of the command line's overrides in spans and code frames. */
export const COMMAND_LINE = "command line";

/** The origin `dync plan` names for what the command line set. */
const ORIGIN = "command line";

/** One `key=value` argument: `width=16` (key `width`) or `optimizer.lr=0.01` (key `optimizer`, argument `lr`). */
export interface Override {
  readonly key: A.Identifier;
  readonly arg?: A.Identifier;
  readonly value: A.Expr;
  /** The whole argument. */
  readonly span: Span;
}

export interface ParsedOverrides {
  readonly source: SourceFile;
  readonly overrides: readonly Override[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Settings every experiment has, besides its own names. */
const CLAUSES: readonly A.ClauseKeyword[] = ["optimizer", "schedule", "loss", "regularize"];
const FIXED_KEYS = ["seeds", "train", "batch", "shuffle", "checkpoint", ...CLAUSES];

/** Compile-time functions whose value is a list, so `lr=logspace(-4, -1, 4)` is the sweep's values, not one. */
const LIST_FUNCTIONS: ReadonlySet<string> = new Set(["logspace", "linspace", "zip"]);

/** Parse `key=value` arguments (the command line keeps their order: a later one wins). */
export function parseOverrides(args: readonly string[]): ParsedOverrides {
  const source = new SourceFile(COMMAND_LINE, args.join("\n"));
  const diagnostics: Diagnostic[] = [];
  const overrides: Override[] = [];
  let offset = 0;
  for (const arg of args) {
    const parsed = parseOne(source, arg, offset, diagnostics);
    if (parsed) overrides.push(parsed);
    offset += arg.length + 1;
  }
  return { source, overrides, diagnostics };
}

function parseOne(source: SourceFile, arg: string, at: number, diagnostics: Diagnostic[]): Override | undefined {
  const eq = arg.indexOf("=");
  const key = /^([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?$/.exec(eq < 0 ? "" : arg.slice(0, eq));
  if (!key) {
    const end = eq < 0 ? arg.length : eq;
    diagnostics.push(diagnostic("DYN4020", source.span(at, at + Math.max(end, 1)), { problem: eq < 0 ? `\`${arg}\` has no \`=\`` : `\`${arg.slice(0, eq)}\` is not a key (a name, or \`name.argument\`)` }));
    return undefined;
  }
  const identifier = (name: string, start: number): A.Identifier => ({ kind: "Identifier", name, span: source.span(at + start, at + start + name.length) });
  const parsed = parseExpressionAt(source, at + eq + 1, at + arg.length);
  diagnostics.push(...parsed.diagnostics);
  if (!parsed.expr) return undefined;
  const head = key[1]!;
  return {
    key: identifier(head, 0),
    ...(key[2] ? { arg: identifier(key[2], head.length + 1) } : {}),
    value: parsed.expr,
    span: source.span(at, at + arg.length),
  };
}

/**
 * `overrides` laid over `effective` (the statements in effect under the chosen profile), one at a time;
 * a key the experiment lacks or a value that cannot be set is reported and skipped.
 */
export function applyOverrides(parsed: ParsedOverrides, effective: readonly Effective[], exp: A.ExperimentStmt, top: TopLevel, diagnostics: Diagnostic[]): Effective[] {
  let current = [...effective];
  for (const o of parsed.overrides) {
    const statement = new OverrideStatement(parsed.source, current, exp, top, diagnostics).of(o);
    // (Top-level data sets and models are among the statements in effect, so they merge like the experiment's.)
    if (statement) current = overlay(current, [statement], ORIGIN);
  }
  return current;
}

/** The statement one override stands for, against the statements in effect. */
class OverrideStatement {
  constructor(
    private readonly source: SourceFile,
    private readonly current: readonly Effective[],
    private readonly exp: A.ExperimentStmt,
    private readonly top: TopLevel,
    private readonly diagnostics: Diagnostic[],
  ) {}

  of(o: Override): A.Statement | undefined {
    return o.arg ? this.argument(o, o.arg) : this.whole(o);
  }

  /** `optimizer.lr=0.01`, `test.n=51`: one argument of a call in effect. */
  private argument(o: Override, arg: A.Identifier): A.Statement | undefined {
    const head = o.key.name;
    const target = CLAUSES.includes(head as A.ClauseKeyword) ? this.find((s): s is A.ClauseStmt => s.kind === "Clause" && s.keyword === head) : this.named(head);
    if (!target) return this.unknown(o, this.callKeys().map((k) => `${k}.${arg.name}`), `${head}.${arg.name}`) ?? undefined;
    const call = callOf(target);
    if (call?.kind !== "Call" || call.callee.kind !== "Name") {
      const shown = call?.kind === "Name" ? `\`${call.name}\`` : call ? "an expression" : "a block";
      return this.refuse(o, `\`${head}\` is ${shown}, not a call with arguments; set it whole, as \`${head}=…\``) ?? undefined;
    }
    const argSpan = { ...o.span, start: arg.span.start, col: arg.span.col };
    const value: A.CallExpr = { kind: "Call", callee: call.callee, args: [{ kind: "Named", name: arg, value: o.value, span: argSpan }], span: o.span };
    if (target.kind === "Clause") return { kind: "Clause", keyword: target.keyword, value, span: o.span };
    if (target.kind === "Data") return { kind: "Data", name: target.name, source: value, span: o.span };
    if (target.kind === "Model") return { kind: "Model", name: target.name, value, span: o.span };
    return { kind: "Probe", name: target.name, value, cadences: [], span: o.span };
  }

  /** `seeds=3`, `train=500`, `batch=32`, `width=[8, 16]`, `m=200`, `optimizer=adam(lr: 1e-3)`, `test=grid(n: 51)`. */
  private whole(o: Override): A.Statement | undefined {
    const key = o.key.name;
    const span = o.span;
    if (key === "seeds") return { kind: "Seeds", value: o.value, span };
    if (key === "checkpoint") return this.unquoted(o.value, (interval) => ({ kind: "Checkpoint", interval, span })) ?? undefined;
    if (CLAUSES.includes(key as A.ClauseKeyword)) return { kind: "Clause", keyword: key as A.ClauseKeyword, value: o.value, span };
    const train = this.find((s): s is A.TrainStmt => s.kind === "Train");
    if (key === "train") return this.unquoted(o.value, (length) => ({ kind: "Train", duration: inUnitOf(length, train?.duration), options: [], span })) ?? undefined;
    if (key === "batch" || key === "shuffle") {
      if (!train) return this.refuse(o, `experiment \`${this.exp.name.name}\` has no \`train\` statement to set it in`) ?? undefined;
      return { kind: "Train", duration: train.duration, options: [{ kind: "TrainOption", name: key, value: o.value, span }], span };
    }
    // Each returns undefined when the key is not of its kind, null when it is but was refused (and reported).
    for (const attempt of [() => this.sweep(o), () => this.letValue(o), () => this.definition(o)]) {
      const statement = attempt();
      if (statement !== undefined) return statement ?? undefined;
    }
    return this.unknown(o, this.wholeKeys(), key) ?? undefined;
  }

  private sweep(o: Override): A.Statement | undefined | null {
    const sweep = this.find((s): s is A.SweepStmt => s.kind === "Sweep" && s.vars.some((v) => v.name === o.key.name));
    if (!sweep) return undefined;
    if (sweep.vars.length > 1) {
      const together = `(${sweep.vars.map((v) => v.name).join(", ")})`;
      return this.refuse(o, `it is swept together with the others of ${together}; change the zipped values in the file, or in a profile with \`sweep ${together} in …\``);
    }
    const listed = o.value.kind === "List" || o.value.kind === "Range" || (o.value.kind === "Call" && o.value.callee.kind === "Name" && LIST_FUNCTIONS.has(o.value.callee.name));
    const values: A.Expr = listed ? o.value : { kind: "List", items: [o.value], span: o.value.span };
    return { kind: "Sweep", vars: [o.key], tuple: false, values, span: o.span };
  }

  private letValue(o: Override): A.Statement | undefined | null {
    const own = this.find((s): s is A.LetStmt => s.kind === "Let" && s.name.name === o.key.name);
    const value = own?.value ?? this.top.lets.get(o.key.name);
    if (!value) return undefined;
    if (isAnalysis(value, this.resultNames())) return this.refuse(o, "it is computed from the measured results, after training");
    return { kind: "Let", name: o.key, value: o.value, span: o.span };
  }

  /** A data set, model or probe set whole (a call of the same function still merges argument by argument). */
  private definition(o: Override): A.Statement | undefined | null {
    const target = this.named(o.key.name);
    if (!target) return undefined;
    if (target.kind === "Data") return { kind: "Data", name: o.key, source: o.value, span: o.span };
    if (target.kind === "Model") return { kind: "Model", name: o.key, value: o.value, span: o.span };
    return { kind: "Probe", name: o.key, value: o.value, cadences: [], span: o.span };
  }

  /** A quoted value (`'train="500 steps"'`) read as the expression inside the quotes. */
  private unquoted(value: A.Expr, build: (e: A.Expr) => A.Statement): A.Statement | null {
    if (value.kind !== "String") return build(value);
    const inner = parseExpressionAt(this.source, value.span.start + 1, value.span.end - 1);
    this.diagnostics.push(...inner.diagnostics);
    return inner.expr ? build(inner.expr) : null;
  }

  private find<S extends A.Statement>(test: (s: A.Statement) => s is S): S | undefined {
    return this.current.map((e) => e.statement).find(test);
  }

  private named(name: string): A.DataStmt | A.ModelStmt | A.ProbeStmt | undefined {
    const own = this.find((s): s is A.DataStmt | A.ModelStmt | A.ProbeStmt => (s.kind === "Data" || s.kind === "Model" || s.kind === "Probe") && s.name.name === name);
    return own ?? this.top.data.find((d) => d.name.name === name) ?? this.top.models.find((m) => m.name.name === name);
  }

  private statements(): A.Statement[] {
    return this.current.map((e) => e.statement);
  }

  private resultNames(): Set<string> {
    const names = new Set(this.statements().flatMap((s) => (s.kind === "Probe" ? [s.name.name] : [])));
    for (const s of this.statements()) if (s.kind === "Let" && isAnalysis(s.value, names)) names.add(s.name.name);
    return names;
  }

  /** Keys that take a whole value here, for did-you-mean. */
  private wholeKeys(): string[] {
    const results = this.resultNames();
    const names = this.statements().flatMap((s) => {
      if (s.kind === "Sweep") return s.vars.map((v) => v.name);
      if (s.kind === "Let") return results.has(s.name.name) ? [] : [s.name.name];
      if (s.kind === "Data" || s.kind === "Model" || s.kind === "Probe") return [s.name.name];
      return [];
    });
    return [...FIXED_KEYS, ...names, ...[...this.top.lets.keys()].filter((n) => !isAnalysis(this.top.lets.get(n)!, results)), ...this.top.data.map((d) => d.name.name), ...this.top.models.map((m) => m.name.name)];
  }

  /** Heads of `name.argument` keys: the clauses and definitions in effect that are calls. */
  private callKeys(): string[] {
    const clauses = this.statements().flatMap((s) => (s.kind === "Clause" ? [s.keyword] : []));
    const named = this.statements().flatMap((s) => (s.kind === "Data" || s.kind === "Model" || s.kind === "Probe" ? [s.name.name] : []));
    return [...clauses, ...named, ...this.top.data.map((d) => d.name.name), ...this.top.models.map((m) => m.name.name)];
  }

  private unknown(o: Override, candidates: readonly string[], key: string): null {
    const near = closest(key, candidates);
    const span = o.arg ? { ...o.key.span, end: o.arg.span.end, endCol: o.arg.span.endCol } : o.key.span;
    const known = [...new Set(candidates)].slice(0, 16).map((c) => `\`${c}\``).join(", ");
    this.diagnostics.push(diagnostic("DYN4021", span, { experiment: this.exp.name.name, key }, { hint: near ? `did you mean \`${near}\`?` : `settings here: ${known}` }));
    return null;
  }

  private refuse(o: Override, reason: string): null {
    const span = o.arg ? { ...o.key.span, end: o.arg.span.end, endCol: o.arg.span.endCol } : o.key.span;
    this.diagnostics.push(diagnostic("DYN4022", span, { key: o.arg ? `${o.key.name}.${o.arg.name}` : o.key.name, reason }));
    return null;
  }
}

function callOf(s: A.ClauseStmt | A.DataStmt | A.ModelStmt | A.ProbeStmt): A.Expr | undefined {
  if (s.kind === "Clause" || s.kind === "Probe") return s.value;
  if (s.kind === "Data") return s.source;
  return s.value;
}

/** `train=500`: a bare number counts in the unit of the training in effect (steps without one). */
function inUnitOf(length: A.Expr, current: A.Expr | undefined): A.Expr {
  if (length.kind !== "Number") return length;
  const unit = current?.kind === "Quantity" && current.unit !== "%" ? current.unit : "steps";
  return { kind: "Quantity", value: length, unit, span: length.span };
}
