/**
 * The statements in effect under a profile (and under command-line overrides, compiler/check/overrides.ts):
 * a profile overrides the experiment per key, never per statement, so `profile quick { train 500 steps }`
 * keeps the base's `batch 64` and `shuffle once`. The rule for each statement kind is documented in
 * docs/language.md ("Profiles"):
 *
 * - `train`: its length, `batch` and `shuffle` are three keys;
 * - a call (`optimizer`, `schedule`, `loss`, `regularize`, a data source, a `model net = …` call, a probe's
 *   measurement): a call of the same function keeps the base's arguments the profile does not give (a
 *   positional argument counts as the parameter it binds); a call of another function replaces the call;
 * - `data`: the source call (as above; its input variables `x in …` are one key) and the `-> target` are two
 *   keys; a data block replaces the data set;
 * - `probe`: the measurement call (as above) and the cadences are two keys;
 * - `seeds`, `checkpoint`, a `let`, a model block and a `sweep` of the same variables are one key each;
 * - `init`, `expect` and `plot` add to the base's (a later `init` of a layer wins).
 *
 * Every statement in effect remembers which of its keys came from where, for `dync plan`.
 */
import type * as A from "../../grammar/ast.js";
import { registry, type EntryKind } from "../../stdlib/registry/index.js";

/** Where a setting came from: a profile (`profile quick`) or the command line. */
export interface Provenance {
  readonly origin: string;
  /** The keys it set (`length`, `batch`, `lr`, …), or "all" when it set the whole statement. */
  readonly keys: readonly string[] | "all";
}

/** A statement in effect and what overrode parts of it (nothing for a statement of the experiment itself). */
export interface Effective {
  readonly statement: A.Statement;
  readonly from: readonly Provenance[];
}

/** Statement kinds that stand once per experiment (a second is DYN2020). */
export type SingleSlot = "seeds" | "loss" | "regularize" | "optimizer" | "schedule" | "train" | "checkpoint";

export function singleSlot(s: A.Statement): SingleSlot | undefined {
  if (s.kind === "Seeds") return "seeds";
  if (s.kind === "Train") return "train";
  if (s.kind === "Checkpoint") return "checkpoint";
  if (s.kind === "Clause") return s.keyword;
  return undefined;
}

export function definedNames(s: A.Statement): A.Identifier[] {
  if (s.kind === "Let" || s.kind === "Data" || s.kind === "Model" || s.kind === "Probe") return [s.name];
  if (s.kind === "Sweep") return [...s.vars];
  return [];
}

/** The key two statements share when one overrides the other; undefined for statements that only add. */
export function overlayKey(s: A.Statement): string | undefined {
  const slot = singleSlot(s);
  if (slot) return slot;
  if (s.kind === "Sweep") return `sweep:${s.vars.map((v) => v.name).join(",")}`;
  if (s.kind === "Init" || s.kind === "Expect" || s.kind === "Plot") return undefined;
  const names = definedNames(s);
  return names.length ? `${s.kind}:${names[0]!.name}` : undefined;
}

/** The experiment's own statements, as in effect without a profile. */
export function baseEffective(base: readonly A.Statement[]): Effective[] {
  return base.filter((s) => s.kind !== "Profile").map((statement) => ({ statement, from: [] }));
}

/**
 * `statements` (from `origin`) laid over `effective`: a statement with the key of one in effect is merged
 * into it key by key (in its place), any other is added at the end.
 */
export function overlay(effective: readonly Effective[], statements: readonly A.Statement[], origin: string): Effective[] {
  const out = [...effective];
  for (const s of statements) {
    if (s.kind === "Profile") continue;
    const key = overlayKey(s);
    const at = key === undefined ? -1 : out.findIndex((e) => overlayKey(e.statement) === key);
    if (at < 0) {
      out.push({ statement: s, from: [{ origin, keys: "all" }] });
      continue;
    }
    const merged = mergeStatement(out[at]!.statement, s);
    out[at] = { statement: merged.statement, from: [...out[at]!.from, { origin, keys: merged.keys }] };
  }
  return out;
}

/** `over` merged into `base` (same key): the result and the keys `over` set. */
function mergeStatement(base: A.Statement, over: A.Statement): { statement: A.Statement; keys: readonly string[] | "all" } {
  if (base.kind === "Train" && over.kind === "Train") return mergeTrain(base, over);
  if (base.kind === "Clause" && over.kind === "Clause") {
    const call = mergeCall(base.value, over.value, CLAUSE_KINDS[over.keyword]);
    return { statement: { ...over, value: call.expr }, keys: call.keys };
  }
  if (base.kind === "Data" && over.kind === "Data") return mergeData(base, over);
  if (base.kind === "Model" && over.kind === "Model" && base.value && over.value) {
    const call = mergeCall(base.value, over.value, "model");
    return { statement: { ...over, value: call.expr }, keys: call.keys };
  }
  if (base.kind === "Probe" && over.kind === "Probe") {
    const call = mergeCall(base.value, over.value, "probe");
    const cadences = over.cadences.length ? over.cadences : base.cadences;
    // The sweep points a probe is measured at, like its cadence, stay unless the profile gives its own.
    const only = over.only ?? base.only;
    const keys = [...(call.keys === "all" ? ["measurement"] : call.keys), ...(over.cadences.length ? ["cadence"] : []), ...(over.only ? ["sweep points"] : [])];
    return { statement: { ...over, value: call.expr, cadences, ...(only ? { only } : {}) }, keys: call.keys === "all" && over.cadences.length ? "all" : keys };
  }
  return { statement: over, keys: "all" };
}

const CLAUSE_KINDS: Readonly<Record<A.ClauseKeyword, EntryKind>> = { loss: "loss", regularize: "regularizer", optimizer: "optimizer", schedule: "schedule" };

/**
 * `train`: the length, `batch` and `shuffle`, each the override's when it gives it. (A command-line
 * `batch=32` is a train statement holding the length in effect, the same node: it does not count as set.)
 */
function mergeTrain(base: A.TrainStmt, over: A.TrainStmt): { statement: A.TrainStmt; keys: string[] } {
  const given = new Set(over.options.map((o) => o.name));
  const options = [...base.options.filter((o) => !given.has(o.name)), ...over.options];
  const keys = [...(over.duration === base.duration ? [] : ["length"]), ...over.options.map((o) => o.name)];
  return { statement: { ...over, options }, keys };
}

/** `data`: the source call merged argument by argument, the target kept unless given; a block replaces. */
function mergeData(base: A.DataStmt, over: A.DataStmt): { statement: A.DataStmt; keys: readonly string[] | "all" } {
  if (!base.source || !over.source) return { statement: over, keys: "all" };
  const call = mergeCall(base.source, over.source, "data");
  const target = over.target ?? base.target;
  const keys = [...(call.keys === "all" ? ["source"] : call.keys), ...(over.target ? ["target"] : [])];
  return { statement: { ...over, source: call.expr, ...(target ? { target } : {}) }, keys: call.keys === "all" && over.target ? "all" : keys };
}

/**
 * A call over a call of the same registry entry: the base's arguments in their order, each replaced by the
 * override's argument for the same parameter, then the override's others. Positional arguments become named ones
 * (the parameter they bind), so the merged call binds each parameter once. Anything else (another
 * function, a name, an unknown entry) is replaced whole.
 */
export function mergeCall(base: A.Expr, over: A.Expr, kind: EntryKind): { expr: A.Expr; keys: readonly string[] | "all" } {
  const entry = over.kind === "Call" && over.callee.kind === "Name" ? registry.get(kind, over.callee.name) : undefined;
  if (!entry || base.kind !== "Call" || base.callee.kind !== "Name" || over.kind !== "Call" || base.callee.name !== entry.name) return { expr: over, keys: "all" };
  const plain = entry.params.filter((p) => p.type.t !== "bindings").map((p) => p.name);
  const baseArgs = keyedArgs(base.args, plain);
  const overArgs = keyedArgs(over.args, plain);
  if (!baseArgs || !overArgs) return { expr: over, keys: "all" };
  const given = new Map(overArgs.map((a) => [a.key, a.arg]));
  const kept = withBindingsOf(baseArgs, overArgs);
  const inBase = new Set(kept.map((a) => a.key));
  const args = [...kept.map((a) => given.get(a.key) ?? a.arg), ...overArgs.filter((a) => !inBase.has(a.key)).map((a) => a.arg)];
  return { expr: { ...over, args }, keys: overArgs.map((a) => a.key) };
}

/**
 * The input variables a call binds (`grid(x in [-1, 1], y in [0, 1])`) are one key: an override that binds
 * any gives the whole set, in its order, where the base's first binding stood. Merged variable by variable, a
 * profile's `grid(t in [0, 1])` over `grid(x in [-1, 1])` would add `t` as a second input instead of
 * renaming the one (and a 1-D profile of a 2-D grid would keep the other variable).
 */
function withBindingsOf(base: readonly KeyedArg[], over: readonly KeyedArg[]): KeyedArg[] {
  const bindings = over.filter((a) => a.arg.kind === "Binding");
  if (bindings.length === 0) return [...base];
  const first = base.findIndex((a) => a.arg.kind === "Binding");
  const rest = base.filter((a) => a.arg.kind !== "Binding");
  return first < 0 ? [...rest, ...bindings] : [...rest.slice(0, first), ...bindings, ...rest.slice(first)];
}

interface KeyedArg {
  readonly key: string;
  readonly arg: A.Argument;
}

/** Each argument with the parameter it sets (a binding by its variable), positional ones made named; undefined when one has no parameter. */
function keyedArgs(args: readonly A.Argument[], plain: readonly string[]): KeyedArg[] | undefined {
  const out: KeyedArg[] = [];
  let position = 0;
  for (const arg of args) {
    if (arg.kind === "Named") out.push({ key: arg.name.name, arg });
    else if (arg.kind === "Binding") out.push({ key: arg.name.name, arg });
    else {
      const name = plain[position++];
      if (name === undefined) return undefined;
      out.push({ key: name, arg: { kind: "Named", name: { kind: "Identifier", name, span: arg.span }, value: arg.value, span: arg.span } });
    }
  }
  return out;
}

/**
 * A statement in effect as one line of `.dyn` text, for `dync plan`: pieces of source (from the file, or
 * the command line) put together, so a merged call shows every argument it has (`sgd(lr: 0.1, momentum: 0.9)`).
 */
export function statementText(s: A.Statement, text: (span: A.Expr["span"]) => string): string {
  // Lists and quantities are rebuilt from their parts: a command-line `width=16` is the list `[16]`.
  const expr = (e: A.Expr): string =>
    e.kind === "List" ? `[${e.items.map(expr).join(", ")}]` : e.kind === "Quantity" && e.value ? `${expr(e.value)}${e.unit === "%" ? "" : " "}${e.unit}` : e.kind === "Call" ? call(e) : text(e.span);
  const call = (e: A.CallExpr): string => `${text(e.callee.span)}(${e.args.map(argText).join(", ")})`;
  const argText = (a: A.Argument): string => (a.kind === "Named" ? `${a.name.name}: ${expr(a.value)}` : text(a.span));
  switch (s.kind) {
    case "Seeds":
      return `seeds ${expr(s.value)}`;
    case "Let":
      return `let ${s.name.name} = ${expr(s.value)}`;
    case "Sweep":
      return `sweep ${s.tuple ? `(${s.vars.map((v) => v.name).join(", ")})` : s.vars[0]!.name} in ${expr(s.values)}`;
    case "Checkpoint":
      return `checkpoint every ${expr(s.interval)}`;
    case "Train":
      return [`train ${expr(s.duration)}`, ...s.options.map((o) => `${o.name} ${expr(o.value)}`)].join(", ");
    case "Clause":
      return `${s.keyword} ${expr(s.value)}`;
    case "Data":
      return s.source ? `data ${s.name.name} = ${expr(s.source)}${s.target ? ` -> ${text(s.target.span)}` : ""}` : text(s.span);
    case "Model":
      return s.value ? `model ${s.name.name} = ${expr(s.value)}` : text(s.span);
    case "Probe":
      return `probe ${s.name.name}${s.only ? `[${s.only.map((i) => text(i.span)).join(", ")}]` : ""} = ${expr(s.value)} ${s.cadences.map((c) => text(c.span)).join(", ")}`.trimEnd();
    default:
      return text(s.span);
  }
}
