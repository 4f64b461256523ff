/**
 * Probes measured at some sweep points only: `probe top[opt = gd_] = hessian(…)` runs `top` in the runs whose
 * `opt` is `gd_` (`opt in [gd_, sgd_]` for several values; several items must all hold). The other runs do
 * not have the probe at all: their plan, their cost in `dync plan` and their results leave it out. The checker
 * reports what would need it there (DYN2079): a probe of such a run reading it (`along: top`), an event
 * watching it, an analysis selecting such a run, a cross-run reference to such a run.
 */
import type * as A from "../../grammar/ast.js";
import type { AnalysisExpr, SweepValue } from "../../contract/program.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { closest } from "../../diagnostics/suggest.js";
import { showValue, type Value } from "./values.js";
import type { Env } from "./evaluate.js";

/** One condition on a run's sweep point: variable `name` takes one of `values` (as the plan states them). */
export interface PointCondition {
  readonly name: string;
  readonly values: readonly SweepValue[];
}

/** Per limited probe, the conditions its runs meet; a probe not in the map is measured in every run. */
export type ProbePoints = ReadonlyMap<string, readonly PointCondition[]>;

/**
 * The sweep points each `probe name[…] = …` is limited to, checked against the profile's sweep axes
 * (DYN2078: not a sweep variable, a value the sweep does not take, an item that is no selector).
 */
export function probePoints(
  probes: readonly A.ProbeStmt[],
  axes: readonly (readonly Map<string, Value>[])[],
  env: Env,
  report: (d: Diagnostic) => void,
): Map<string, PointCondition[]> {
  const out = new Map<string, PointCondition[]>();
  const known = new Map<string, SweepValue[]>();
  for (const axis of axes) {
    for (const name of axis[0]?.keys() ?? []) known.set(name, [...new Set(axis.map((p) => sweepText(p.get(name)!)))]);
  }
  for (const p of probes) {
    if (!p.only) continue;
    const conditions: PointCondition[] = [];
    for (const item of p.only) {
      const condition = pointCondition(item, known, env);
      if ("problem" in condition) {
        report(diagnostic("DYN2078", condition.span, { name: p.name.name, problem: condition.problem }, condition.hint ? { hint: condition.hint } : undefined));
        continue;
      }
      conditions.push(condition);
    }
    out.set(p.name.name, conditions);
  }
  return out;
}

type Checked = PointCondition | { problem: string; span: A.IndexItem["span"]; hint?: string };

function pointCondition(item: A.IndexItem, known: ReadonlyMap<string, SweepValue[]>, env: Env): Checked {
  const form = item.kind === "Selector" ? { name: item.name, values: [item.value] } : item.kind === "Binary" && item.op === "in" && item.left.kind === "Name" && item.right.kind === "List" ? { name: { name: item.left.name, span: item.left.span }, values: item.right.items } : undefined;
  if (!form) return { problem: "each item names a sweep variable and its value, like `opt = gd` or `opt in [gd, sgd]`", span: item.span };
  const taken = known.get(form.name.name);
  if (!taken) {
    const near = closest(form.name.name, [...known.keys()]);
    const list = known.size ? `sweep variables: ${[...known.keys()].join(", ")}` : "this profile sweeps nothing";
    return { problem: `\`${form.name.name}\` is not a sweep variable of this profile`, span: form.name.span, hint: near ? `did you mean \`${near}\`? (${list})` : list };
  }
  const values: SweepValue[] = [];
  for (const e of form.values) {
    const value = selectorValue(e, env);
    if (value === undefined) return { problem: "a sweep value is a number, a string or a name", span: e.span };
    if (!taken.some((t) => Object.is(t, value))) {
      const near = typeof value === "string" ? closest(value, taken.filter((t): t is string => typeof t === "string")) : undefined;
      const names = e.kind === "Name" ? closest(e.name, env.names()) : undefined;
      const shown = taken.map((t) => String(t)).join("; ");
      return { problem: `no run has ${form.name.name} = ${e.kind === "Name" ? e.name : String(value)} (values: ${shown})`, span: e.span, ...(near || names ? { hint: `did you mean \`${names ?? near}\`?` } : {}) };
    }
    values.push(value);
  }
  return { name: form.name.name, values };
}

/** A sweep value as the plan states it (contract SweepValue). */
export function sweepText(v: Value): SweepValue {
  if (v.kind === "number" || v.kind === "bool") return v.value;
  if (v.kind === "string") return v.value;
  if (v.kind === "symbol") return v.name;
  return showValue(v);
}

/** A selector's value as the plan states it: a literal, a name bound to a value (its plan text), else the bare name (`opt = gd`). */
export function selectorValue(e: A.Expr, env: Env): SweepValue | undefined {
  if (e.kind === "Number") return e.value;
  if (e.kind === "Unary" && e.op === "-" && e.operand.kind === "Number") return -e.operand.value;
  if (e.kind === "String") return e.value;
  if (e.kind === "Bool") return e.value;
  if (e.kind === "Name") {
    const bound = env.lookup(e.name);
    return bound ? sweepText(bound) : e.name;
  }
  return undefined;
}

/** Whether a run at sweep point `point` measures a probe with these conditions. */
export function measuredAtPoint(conditions: readonly PointCondition[] | undefined, point: ReadonlyMap<string, Value> | Readonly<Record<string, SweepValue>>): boolean {
  if (!conditions) return true;
  const valueOfVar = (name: string): SweepValue | undefined => {
    if (point instanceof Map) {
      const v = point.get(name);
      return v === undefined ? undefined : sweepText(v);
    }
    return (point as Readonly<Record<string, SweepValue>>)[name];
  };
  return conditions.every((c) => c.values.some((v) => Object.is(v, valueOfVar(c.name))));
}

/** `opt = gd(lr: 0.036)`, `opt in [a; b] and width = 10`: where a limited probe is measured, for messages. */
export function describePoints(conditions: readonly PointCondition[]): string {
  return conditions.map((c) => (c.values.length === 1 ? `${c.name} = ${String(c.values[0])}` : `${c.name} in [${c.values.map(String).join("; ")}]`)).join(" and ");
}

/** The probes an analysis expression reads, through the lets it names (`letProbes`: each earlier let's probes). */
export function probesUnder(e: unknown, letProbes: ReadonlyMap<string, ReadonlySet<string>>, out = new Set<string>()): Set<string> {
  if (!e || typeof e !== "object") return out;
  if (Array.isArray(e)) {
    for (const item of e) probesUnder(item, letProbes, out);
    return out;
  }
  const node = e as Partial<AnalysisExpr> & Record<string, unknown>;
  if (node.op === "probe" && typeof node.name === "string") out.add(node.name.split(".")[0]!);
  if (node.op === "let" && typeof node.name === "string") for (const p of letProbes.get(node.name) ?? []) out.add(p);
  for (const child of Object.values(node)) if (child && typeof child === "object") probesUnder(child, letProbes, out);
  return out;
}

/**
 * A selection `x[where]` in an analysis: the limited probes under `x` that `where` picks outside their sweep
 * points, as a problem text for DYN2079, or undefined when every one is measured there.
 */
export function selectionOutside(probes: ReadonlySet<string>, where: Readonly<Record<string, SweepValue>>, points: ProbePoints): { name: string; points: string; run: string } | undefined {
  for (const name of probes) {
    const conditions = points.get(name);
    if (!conditions) continue;
    for (const c of conditions) {
      if (!(c.name in where)) continue;
      if (!c.values.some((v) => Object.is(v, where[c.name]))) {
        return { name, points: describePoints(conditions), run: Object.entries(where).map(([k, v]) => `${k}=${String(v)}`).join(",") };
      }
    }
  }
  return undefined;
}
