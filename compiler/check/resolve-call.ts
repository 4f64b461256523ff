/**
 * Checking a registry call against its entry: binding positional and named arguments, filling defaults,
 * checking each argument's type, and lowering the result to the plain data the runtime spec needs.
 */
import { describeType, type DefaultValue, type Entry, type EntryKind, type Lowered, type Param, type ParamType } from "../../stdlib/registry/types.js";
import { registry } from "../../stdlib/registry/index.js";
import { brokenRules, fitsNumber } from "../../stdlib/registry/validate.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { Span } from "../../diagnostics/source.js";
import { closest } from "../../diagnostics/suggest.js";
import { kindName, showValue, type CallValue, type GroupValue, type Value } from "./values.js";

/** Names defined in the experiment that `ref` parameters may point at. */
type RefKind = "data" | "model" | "layer" | "probe";

export interface RefScope {
  has(of: RefKind, name: string): boolean;
  names(of: RefKind): readonly string[];
}

/** How messages name each kind of definition a `ref` parameter points at. */
const REF_KIND_NAMES: Record<RefKind, { bare: string; one: string; plural: string }> = {
  data: { bare: "data set", one: "a data set", plural: "data sets" },
  model: { bare: "model", one: "a model", plural: "models" },
  layer: { bare: "layer", one: "a layer", plural: "layers" },
  probe: { bare: "probe", one: "a probe", plural: "probes" },
};

export interface ResolvedCall {
  readonly entry: Entry;
  readonly args: Readonly<Record<string, Lowered>>;
  /** The entry's lowered runtime spec. */
  readonly spec: unknown;
}

/** A binding argument (`x in [-1, 1]`) evaluated: the variable and its domain. */
export interface BoundVar {
  readonly name: string;
  readonly domain: Value;
  readonly span: Span;
}

const KIND_WORDS: Record<EntryKind, string> = {
  activation: "activation",
  init: "initialisation scheme",
  distribution: "distribution",
  optimizer: "optimizer",
  schedule: "schedule",
  loss: "loss",
  regularizer: "regularizer",
  data: "data source",
  encoding: "input encoding",
  model: "model",
  layer: "layer",
  probe: "probe",
  analysis: "analysis function",
  plot: "plot",
  sampler: "pair sampler",
};

export class CallResolver {
  constructor(
    private readonly diagnostics: Diagnostic[],
    private readonly refs: RefScope,
  ) {}

  /**
   * Resolve `value` (a bare name or a call) as an entry of `kind`. `span` locates the whole value;
   * `bindings` are the call's `x in …` arguments, evaluated by the caller.
   */
  resolve(value: Value, kind: EntryKind, span: Span, bindings: readonly BoundVar[] = []): ResolvedCall | undefined {
    if (value.kind !== "symbol" && value.kind !== "call") {
      this.report(diagnostic("DYN2004", span, { what: `the ${KIND_WORDS[kind]}`, expected: `the name of ${article(KIND_WORDS[kind])} (${this.examples(kind)})`, got: kindName(value) }));
      return undefined;
    }
    const entry = registry.get(kind, value.name);
    const at = value.span ?? span;
    if (!entry) {
      const near = closest(value.name, registry.ofKind(kind).map((e) => e.name));
      this.report(
        diagnostic("DYN2010", nameSpan(at, value.name), { kind: KIND_WORDS[kind], name: value.name }, {
          hint: near ? `did you mean \`${near}\`?` : `known ${KIND_WORDS[kind]}s: ${this.examples(kind, 12)}`,
        }),
      );
      return undefined;
    }
    const args = this.bind(entry, value.kind === "call" ? value : undefined, bindings, at);
    if (!args) return undefined;
    return { entry, args, spec: entry.lower ? entry.lower(args) : args };
  }

  private bind(entry: Entry, value: CallValue | undefined, bindings: readonly BoundVar[], at: Span): Record<string, Lowered> | undefined {
    const positional = value?.positional ?? [];
    const named = value?.named ?? {};
    const given = new Map<string, Value>();
    const bindingParam = entry.params.find((p) => p.type.t === "bindings");
    const plain = entry.params.filter((p) => p.type.t !== "bindings");
    let ok = true;
    if (positional.length > plain.length) {
      this.report(diagnostic("DYN2005", at, { fn: entry.name, expected: `at most ${plain.length} positional argument${plain.length === 1 ? "" : "s"}`, count: positional.length }));
      return undefined;
    }
    const spans = new Map<string, Span>();
    positional.forEach((v, i) => {
      given.set(plain[i]!.name, v);
      spans.set(plain[i]!.name, value?.positionalSpans?.[i] ?? at);
    });
    for (const [name, v] of Object.entries(named)) {
      const argAt = value?.argSpans?.[name] ?? at;
      const param = entry.params.find((p) => p.name === name);
      if (!param || param.type.t === "bindings") {
        const near = closest(name, plain.map((p) => p.name));
        this.report(diagnostic("DYN2011", nameSpan(argAt, name), { fn: entry.name, param: name }, { hint: near ? `did you mean \`${near}\`?` : `parameters: ${plain.map((p) => p.name).join(", ") || "none"}` }));
        ok = false;
        continue;
      }
      if (given.has(name)) {
        this.report(diagnostic("DYN2013", nameSpan(argAt, name), { param: name, fn: entry.name }, { hint: "it is also given positionally" }));
        ok = false;
        continue;
      }
      given.set(name, v);
      spans.set(name, value?.valueSpans?.[name] ?? argAt);
    }
    if (bindings.length > 0 && !bindingParam) {
      this.report(diagnostic("DYN2011", bindings[0]!.span, { fn: entry.name, param: `${bindings[0]!.name} in …` }, { hint: "this entry takes no input-variable bindings" }));
      return undefined;
    }
    const args: Record<string, Lowered> = {};
    for (const param of entry.params) {
      if (param.type.t === "bindings") {
        const lowered = this.lowerBindings(entry, param, bindings, at);
        if (lowered === undefined) ok = false;
        else args[param.name] = lowered;
        continue;
      }
      const v = given.get(param.name);
      if (v === undefined) {
        if (param.default === undefined) {
          this.report(diagnostic("DYN2012", at, { fn: entry.name, param: param.name, type: describeType(param.type) }));
          ok = false;
        } else {
          args[param.name] = this.lowerDefault(param.type, param.default);
        }
        continue;
      }
      const lowered = this.lowerArg(entry, param, v, spans.get(param.name) ?? at);
      if (lowered === undefined) ok = false;
      else args[param.name] = lowered;
    }
    return ok && this.rulesHold(entry, args, spans, at) ? args : undefined;
  }

  /** Report each rule of `entry` the arguments break, at the first of its parameters given in the call (else the call). */
  private rulesHold(entry: Entry, args: Readonly<Record<string, Lowered>>, spans: ReadonlyMap<string, Span>, at: Span): boolean {
    const broken = brokenRules(entry, args);
    for (const rule of broken) {
      const given = rule.params.find((p) => spans.has(p));
      this.report(diagnostic("DYN2014", given ? spans.get(given)! : at, { fn: entry.name, rule: rule.message }));
    }
    return broken.length === 0;
  }

  private lowerBindings(entry: Entry, param: Param, bindings: readonly BoundVar[], at: Span): Lowered | undefined {
    const t = param.type as Extract<ParamType, { t: "bindings" }>;
    if (bindings.length === 0 && param.default !== undefined) return null;
    if (bindings.length < t.min || bindings.length > t.max) {
      const expected = t.min === t.max ? `${t.min}` : `${t.min} to ${t.max}`;
      this.report(diagnostic("DYN2005", at, { fn: entry.name, expected: `${expected} input variable${t.max === 1 ? "" : "s"} like \`x in [-1, 1]\``, count: bindings.length }));
      return undefined;
    }
    const out: Lowered[] = [];
    for (const b of bindings) {
      const d = b.domain;
      if (t.domain === "interval") {
        const iv = asInterval(d);
        if (!iv) {
          this.report(diagnostic("DYN2004", b.span, { what: `the domain of \`${b.name}\``, expected: "an interval like `[-1, 1]` or `[0, 1)`", got: kindName(d) }));
          return undefined;
        }
        if (!(iv.hi > iv.lo)) {
          this.report(diagnostic("DYN2004", b.span, { what: `the domain of \`${b.name}\``, expected: "an interval with lo < hi", got: showValue(d) }));
          return undefined;
        }
        out.push({ name: b.name, lo: iv.lo, hi: iv.hi, closedHi: iv.closedHi });
      } else {
        const values = d.kind === "list" && d.items.every((i) => i.kind === "number") ? d.items.map((i) => (i as { value: number }).value) : undefined;
        if (!values || values.length === 0) {
          this.report(diagnostic("DYN2004", b.span, { what: `the values of \`${b.name}\``, expected: "a non-empty list of numbers", got: kindName(d) }));
          return undefined;
        }
        out.push({ name: b.name, values });
      }
    }
    if (t.domain === "values") {
      const lengths = new Set(out.map((o) => ((o as { values: number[] }).values).length));
      if (lengths.size > 1) {
        this.report(diagnostic("DYN2008", at, { lengths: [...lengths].join(", ") }));
        return undefined;
      }
      return Object.fromEntries(out.map((o) => [(o as { name: string }).name, (o as { values: number[] }).values]));
    }
    return out;
  }

  private lowerDefault(type: ParamType, value: DefaultValue): Lowered {
    if (value === null) return null;
    if (type.t === "entry" && typeof value === "string") {
      const entry = registry.get(type.kind, value);
      return entry?.lower ? (entry.lower(this.defaultsOf(entry)) as Lowered) : value;
    }
    return value as Lowered;
  }

  private defaultsOf(entry: Entry): Record<string, Lowered> {
    return Object.fromEntries(entry.params.map((p) => [p.name, p.default === undefined ? null : this.lowerDefault(p.type, p.default)]));
  }

  /** Check one argument against its parameter type and lower it; undefined after reporting. */
  lowerArg(entry: Entry, param: Param, v: Value, at: Span): Lowered | undefined {
    const lowered = this.lowerType(param.type, v, at);
    if (lowered === undefined) {
      // A misspelt value name (`hidden: [widht]`, `lr: lrr`) is a symbol that fits nowhere: point at it.
      const typo = misspeltName(v);
      const where = typo?.span ?? (v.kind === "call" || v.kind === "symbol" ? (v.span ?? at) : at);
      const details = {
        what: `\`${param.name}\` of \`${entry.name}\``,
        expected: describeType(param.type),
        got: v.kind === "number" ? showValue(v) : kindName(v),
      };
      this.report(typo ? diagnostic("DYN2004", where, details, { hint: `\`${typo.name}\` is not defined; did you mean \`${typo.near}\`?` }) : diagnostic("DYN2004", where, details));
    }
    return lowered;
  }

  private lowerType(t: ParamType, v: Value, at: Span): Lowered | undefined {
    switch (t.t) {
      case "number": {
        if (v.kind !== "number" || v.unit) return undefined;
        return fitsNumber(t, v.value) ? v.value : undefined;
      }
      case "duration":
        if (v.kind !== "number" || (v.unit !== "steps" && v.unit !== "epochs") || !Number.isInteger(v.value) || v.value < 1) return undefined;
        return v.unit === "steps" ? { steps: v.value } : { epochs: v.value };
      case "bool":
        return v.kind === "bool" ? v.value : undefined;
      case "string":
        return v.kind === "string" ? v.value : undefined;
      case "choice":
        return v.kind === "symbol" && t.options.includes(v.name) ? v.name : undefined;
      case "list": {
        if (v.kind !== "list" || v.items.length < (t.minLength ?? 0)) return undefined;
        const items = v.items.map((i) => this.lowerType(t.of, i, at));
        return items.every((i) => i !== undefined) ? (items as Lowered[]) : undefined;
      }
      case "interval": {
        const iv = asInterval(v);
        return iv ? [iv.lo, iv.hi] : undefined;
      }
      case "entry": {
        if (v.kind !== "symbol" && v.kind !== "call") return undefined;
        if (!registry.get(t.kind, v.name)) {
          // Report the unknown entry itself (with did-you-mean) rather than a type mismatch.
          this.resolve(v, t.kind, at);
          return null;
        }
        const resolved = this.resolve(v, t.kind, at);
        return resolved ? (resolved.spec as Lowered) : null;
      }
      case "ref": {
        if (v.kind === "group" && t.of === "data") return this.lowerGroup(v, at);
        if (v.kind !== "symbol") return undefined;
        if (this.refs.has(t.of, v.name)) return { ref: v.name };
        this.reportUnknownRef(t.of, v.name, v.span ?? at);
        return null;
      }
      case "oneOf": {
        for (const option of t.of) {
          const lowered = this.lowerType(option, v, at);
          if (lowered !== undefined) return lowered;
        }
        return undefined;
      }
      case "bindings":
        return undefined;
    }
  }

  /** A group of rows where a data set is expected: `{ ref, rows }` or `{ ref, random: { n, seed } }` (stdlib/probes/env.ts). */
  private lowerGroup(v: GroupValue, at: Span): Lowered | undefined {
    if (!this.refs.has("data", v.data)) {
      this.reportUnknownRef("data", v.data, v.dataSpan ?? v.span ?? at);
      return null;
    }
    // A found set's definition is filled in once the analyses are compiled (compiler/check/found-sets.ts).
    if (v.found) return { ref: v.data, found: { name: v.found.name } };
    return v.rows ? { ref: v.data, rows: [...v.rows] } : { ref: v.data, random: { ...v.random! } };
  }

  /**
   * A name where a data set, model or probe is expected that is not one: say what it is when it names another
   * kind (`outputs(net, net[0])`: a model, not a data set), else report it unknown with the closest name.
   */
  private reportUnknownRef(of: RefKind, name: string, span: Span): void {
    const expected = REF_KIND_NAMES[of];
    const actual = (Object.keys(REF_KIND_NAMES) as RefKind[]).find((other) => other !== of && this.refs.has(other, name));
    if (actual) {
      const defined = this.refs.names(of);
      const hint = defined.length ? `${expected.plural} defined here: ${defined.join(", ")}` : `this experiment defines no ${expected.plural}`;
      this.report(diagnostic("DYN2054", span, { name, actual: REF_KIND_NAMES[actual].one, expected: expected.one }, { hint }));
      return;
    }
    // Report the unknown name itself, with the closest defined one, rather than a type mismatch.
    const near = closest(name, this.refs.names(of));
    const hint = near ? `did you mean \`${near}\`?` : `${expected.plural} defined here: ${this.refs.names(of).join(", ") || "none"}`;
    this.report(diagnostic("DYN2023", span, { what: expected.bare, name }, { hint }));
  }

  private examples(kind: EntryKind, max = 4): string {
    const names = registry.ofKind(kind).map((e) => `\`${e.name}\``);
    return names.length > max ? `${names.slice(0, max).join(", ")}, …` : names.join(", ");
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }
}

function asInterval(v: Value): { lo: number; hi: number; closedHi: boolean } | undefined {
  if (v.kind === "interval") return v;
  if (v.kind === "list" && v.items.length === 2 && v.items.every((i) => i.kind === "number" && !i.unit)) {
    return { lo: (v.items[0] as { value: number }).value, hi: (v.items[1] as { value: number }).value, closedHi: true };
  }
  return undefined;
}

function article(word: string): string {
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

/** The span of a call's name only (`adamw` in `adamw(lr: 1)`), for unknown-entry errors. */
function nameSpan(span: Span, name: string): Span {
  if (span.end - span.start <= name.length) return span;
  return { ...span, end: span.start + name.length, endLine: span.line, endCol: span.col + name.length };
}

/** The first bare name in `v` (itself, or inside its lists) that is close to a defined value name. */
function misspeltName(v: Value): { name: string; near: string; span?: Span } | undefined {
  if (v.kind === "symbol") return v.near ? { name: v.name, near: v.near, ...(v.span ? { span: v.span } : {}) } : undefined;
  if (v.kind === "list") {
    for (const item of v.items) {
      const found = misspeltName(item);
      if (found) return found;
    }
  }
  return undefined;
}
