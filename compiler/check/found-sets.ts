/**
 * Index sets found during a run: a probe's group `train[up]` whose rows an analysis of the same run chooses
 * (`let up = top_k(diff(psl)[steps = 150], k: 20) over point`). The runner evaluates the analysis once the
 * measurements it reads are recorded up to a fixed step (runner/found-sets.ts), so here the checker proves
 * that such a step exists — the set depends on measurements at or before it only, and is the same as the
 * analysis evaluated after the run — refuses everything else (DYN2085) and cycles (DYN2086), and fills in
 * each `{ ref, found: { name } }` argument with the set's definition (contract/program.ts FoundSet).
 */
import type * as A from "../../grammar/ast.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { Span } from "../../diagnostics/source.js";
import { analysisChildren, type AnalysisExpr, type AnalysisSpec, type FoundSet, type ProbeSpec, type RunSpec } from "../../contract/program.js";
import { measuredAt, showCadence } from "./event-conditions.js";

/** Functions whose result is an index set (1 on the chosen points). */
const SET_FUNCTIONS = new Set(["top_k", "bottom_k"]);

/** How to write a set that is known at one step, for the diagnostics. */
const PIN_HINT = "pin the series to a step: `top_k(d[steps = 150], k: 20) over point` or `top_k(last(d before 151 steps), k: 20) over point`";

/** A step, or why there is none (`series`: it reads a whole series, which a pin would fix). */
type Step = number | { readonly problem: string; readonly series?: boolean };

/**
 * The runs with each found-set argument filled in, or undefined after a diagnostic. `probes`: the probe
 * statements, to point at where a set is read.
 */
export function resolveFoundSets(runs: readonly RunSpec[], analyses: readonly AnalysisSpec[], probes: readonly A.ProbeStmt[], report: (d: Diagnostic) => void): RunSpec[] | undefined {
  const reported = new Set<string>();
  const once = (d: Diagnostic): void => {
    const key = `${d.code}|${d.span.start}|${d.message}`;
    if (!reported.has(key)) report(d);
    reported.add(key);
  };
  const byName = new Map(analyses.map((a) => [a.name, a] as const));
  const out: RunSpec[] = [];
  for (const run of runs) {
    const resolved = resolveRun(run, byName, probes, once);
    if (!resolved) return undefined;
    out.push(resolved);
  }
  return out;
}

function resolveRun(run: RunSpec, analyses: ReadonlyMap<string, AnalysisSpec>, statements: readonly A.ProbeStmt[], report: (d: Diagnostic) => void): RunSpec | undefined {
  if (!run.probes.some((p) => foundNames(p).length > 0)) return run;
  let ok = true;
  const sets = new Map<string, FoundSet>();
  const total = "steps" in run.duration ? run.duration.steps : undefined;
  const probes = run.probes.map((p) => {
    const args = { ...p.args };
    for (const [key, value] of Object.entries(p.args)) {
      const name = foundName(value);
      if (name === undefined) continue;
      const span = setSpan(statements, p.name, name);
      const set = sets.get(name) ?? foundSet(name, analyses, run, total);
      if ("problem" in set) {
        // An analysis that failed to compile was reported where it is defined.
        if (set.problem) report(diagnostic("DYN2085", span, { name, problem: set.problem }, set.series ? { hint: PIN_HINT } : {}));
        ok = false;
        continue;
      }
      const data = (value as { ref: string }).ref;
      const mismatch = pointsOf(set, run).find((r) => r.data !== data);
      if (mismatch) {
        report(diagnostic("DYN2085", span, { name, problem: `it chooses points of \`${mismatch.data}\` (probe \`${mismatch.probe}\` measures one value per point of it), not rows of \`${data}\`` }));
        ok = false;
        continue;
      }
      sets.set(name, set);
      args[key] = { ref: data, found: set } as unknown as (typeof args)[string];
    }
    return { ...p, args };
  });
  if (!ok) return undefined;
  const resolved = { ...run, probes };
  return noCycles(resolved, statements, report) && readersStartInTime(resolved, statements, report) ? resolved : undefined;
}

/** The set `name`: its definition, the step it is known at, what it reads; a problem (empty: reported elsewhere). */
function foundSet(name: string, analyses: ReadonlyMap<string, AnalysisSpec>, run: RunSpec, total: number | undefined): FoundSet | Exclude<Step, number> {
  const spec = analyses.get(name);
  if (!spec) return { problem: "" };
  const top = deref(spec.expr, analyses);
  if (!top || top.op !== "fn" || !SET_FUNCTIONS.has(top.name)) {
    return { problem: "a probe's rows can come from `top_k(…)` or `bottom_k(…)` over point, an index set; it is another analysis" };
  }
  const step = knownAt(top.args[0]!, analyses);
  if (typeof step !== "number") return step;
  if (step === -Infinity) return { problem: "it reads no probe" };
  if (total !== undefined && step > total) return { problem: `it is known at step ${step}, after the end of training (${total} steps)` };
  const lets = letsRead(spec.expr, analyses);
  const reads = [...probesRead(spec.expr, analyses)];
  const unknown = reads.find((r) => !run.probes.some((p) => p.name === r));
  if (unknown) return { problem: `it reads \`${unknown}\`, which is not a probe of this run` };
  for (const pin of pinnedSteps(spec.expr, analyses)) {
    const missing = run.probes.find((p) => reads.includes(p.name) && !measuredAt(p.cadences, pin, total));
    if (missing) return { problem: `\`${missing.name}\` is not measured at step ${pin} (${missing.cadences.map(showCadence).join(", ")}), so the values pinned there do not exist` };
  }
  return { name, step, size: Number(top.options["k"]), expr: spec.expr, lets, reads };
}

/**
 * The step after whose measurements `e`, a value per point and seed with no steps dimension, is fixed: a
 * series pinned to a step (`x[steps = k]`: k) or its last value before a step (`last(x before k steps)`:
 * k − 1), and elementwise combinations of such; a problem for anything that needs later measurements.
 */
function knownAt(e: AnalysisExpr, analyses: ReadonlyMap<string, AnalysisSpec>): Step {
  const both = (a: AnalysisExpr, b: AnalysisExpr): Step => {
    const x = knownAt(a, analyses);
    const y = knownAt(b, analyses);
    return typeof x !== "number" ? x : typeof y !== "number" ? y : Math.max(x, y);
  };
  const series = (what: string): Step => ({ problem: `${what} is a series over every step, and the set needs its values at one step`, series: true });
  switch (e.op) {
    case "let": {
      const def = analyses.get(e.name)!.expr;
      const step = knownAt(def, analyses);
      return typeof step !== "number" && causal(def, analyses) === undefined ? series(`\`${e.name}\``) : step;
    }
    case "number":
      return -Infinity;
    case "select": {
      const step = e.where["steps"];
      if (step === undefined) return knownAt(e.arg, analyses);
      const problem = causal(e.arg, analyses);
      return problem ? { problem } : Number(step);
    }
    case "reduce": {
      const overSteps = e.over.length === 0 || e.over.includes("steps");
      if (!overSteps) return knownAt(e.arg, analyses);
      if (e.fn === "last" && e.arg.op === "time" && e.arg.relation === "before" && "step" in e.arg.at) {
        const problem = causal(e.arg.arg, analyses);
        return problem ? { problem } : e.arg.at.step - 1;
      }
      return { problem: `\`${e.fn}\` over steps reads the series up to the end of the run`, series: true };
    }
    case "arith":
    case "compare":
    case "and":
    case "or":
      return both(e.left, e.right);
    case "within":
      return both(e.arg, e.reference);
    case "neg":
    case "map":
    case "not":
    case "in":
      return knownAt(e.arg, analyses);
    case "probe":
      return series(`\`${e.name}\``);
    case "fn":
      return e.name === "diff" && causal(e, analyses) === undefined ? series("`diff(…)`") : { problem: unsupported(e) };
    default:
      return { problem: unsupported(e) };
  }
}

/** Why an expression the set cannot be found from does not work, in the user's terms. */
function unsupported(e: AnalysisExpr): string {
  if (e.op === "time" || e.op === "window") return `\`${e.relation}\` keeps a part of a series, which only \`last(x before k steps)\` turns into values at one step`;
  if (e.op === "sweep") return `it reads the sweep variable \`${e.name}\`, which a set found in one run does not take as a value`;
  return `it uses ${e.op === "fn" ? `\`${e.name}\`` : `a ${e.op === "fit_power_law" ? "fit" : e.op}`}, which needs the whole run`;
}

/** Why the series `e` is not causal (its value at step t depends on measurements after t), or undefined. */
function causal(e: AnalysisExpr, analyses: ReadonlyMap<string, AnalysisSpec>): string | undefined {
  switch (e.op) {
    case "probe":
    case "number":
      return undefined;
    case "let":
      return causal(analyses.get(e.name)!.expr, analyses);
    case "arith":
    case "compare":
    case "and":
    case "or":
      return causal(e.left, analyses) ?? causal(e.right, analyses);
    case "within":
      return causal(e.arg, analyses) ?? causal(e.reference, analyses);
    case "neg":
    case "map":
    case "not":
    case "in":
      return causal(e.arg, analyses);
    case "select":
      return e.where["steps"] === undefined ? causal(e.arg, analyses) : "it pins a series to a step inside another series";
    case "reduce":
      return e.over.length > 0 && !e.over.includes("steps") ? causal(e.arg, analyses) : `\`${e.fn}\` over steps reads the series up to the end of the run`;
    case "fn":
      return e.name === "diff" ? e.args.map((a) => causal(a, analyses)).find((p) => p) : unsupported(e);
    default:
      return unsupported(e);
  }
}

/** `e` with `let` references followed. */
function deref(e: AnalysisExpr, analyses: ReadonlyMap<string, AnalysisSpec>): AnalysisExpr | undefined {
  let at: AnalysisExpr | undefined = e;
  const seen = new Set<string>();
  while (at?.op === "let" && !seen.has(at.name)) {
    seen.add(at.name);
    at = analyses.get(at.name)?.expr;
  }
  return at;
}

/** The steps `x[steps = k]` pins to, through the analyses `e` reads. */
function pinnedSteps(e: AnalysisExpr, analyses: ReadonlyMap<string, AnalysisSpec>, out = new Set<number>()): Set<number> {
  if (e.op === "select" && e.where["steps"] !== undefined) out.add(Number(e.where["steps"]));
  if (e.op === "let") pinnedSteps(analyses.get(e.name)!.expr, analyses, out);
  for (const c of analysisChildren(e)) pinnedSteps(c, analyses, out);
  return out;
}

/** The analyses `e` reads, directly or through others, in the order the analyses are evaluated. */
function letsRead(e: AnalysisExpr, analyses: ReadonlyMap<string, AnalysisSpec>): AnalysisSpec[] {
  const names = new Set<string>();
  const visit = (x: AnalysisExpr): void => {
    if (x.op === "let" && !names.has(x.name)) {
      names.add(x.name);
      visit(analyses.get(x.name)!.expr);
    }
    analysisChildren(x).forEach(visit);
  };
  visit(e);
  return [...analyses.values()].filter((a) => names.has(a.name));
}

function probesRead(e: AnalysisExpr, analyses: ReadonlyMap<string, AnalysisSpec>, out = new Set<string>()): Set<string> {
  if (e.op === "probe") out.add(e.name);
  if (e.op === "let") probesRead(analyses.get(e.name)!.expr, analyses, out);
  for (const c of analysisChildren(e)) probesRead(c, analyses, out);
  return out;
}

/** The probes a set reads that measure one value per point, and the data set each measures. */
function pointsOf(set: FoundSet, run: RunSpec): { probe: string; data: string }[] {
  return run.probes
    .filter((p) => set.reads.includes(p.name) && p.index === "point")
    .flatMap((p) => {
      const data = (p.args["data"] as { ref?: unknown } | undefined)?.ref;
      return typeof data === "string" ? [{ probe: p.name, data }] : [];
    });
}

/** The names of the found sets a probe's arguments read. */
export function foundNames(p: ProbeSpec): string[] {
  return Object.values(p.args).flatMap((v) => {
    const name = foundName(v);
    return name === undefined ? [] : [name];
  });
}

function foundName(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || !("found" in value)) return undefined;
  const found = (value as { found?: { name?: unknown } }).found;
  return typeof found?.name === "string" ? found.name : undefined;
}

/** The sets a probe reads, resolved. */
function setsOf(p: ProbeSpec): FoundSet[] {
  return Object.values(p.args).flatMap((v) => (typeof v === "object" && v !== null && "found" in v ? [(v as { found: FoundSet }).found] : []));
}

/** A probe may not read a set found from its own measurements, directly or through other sets (DYN2086). */
function noCycles(run: RunSpec, statements: readonly A.ProbeStmt[], report: (d: Diagnostic) => void): boolean {
  const byName = new Map(run.probes.map((p) => [p.name, p] as const));
  const dependsOn = (p: ProbeSpec): string[] => setsOf(p).flatMap((s) => s.reads);
  for (const start of run.probes) {
    const path = cycleFrom(start.name, (n) => (byName.get(n) ? dependsOn(byName.get(n)!) : []));
    if (!path) continue;
    const set = setsOf(start).find((s) => s.reads.includes(path[1]!))!;
    report(diagnostic("DYN2086", setSpan(statements, start.name, set.name), { probe: start.name, name: set.name, cycle: path.map((n) => `\`${n}\``).join(" → ") }));
    return false;
  }
  return true;
}

/** A path start → … → start along `next`, or undefined. */
function cycleFrom(start: string, next: (n: string) => readonly string[]): string[] | undefined {
  const seen = new Set<string>();
  const walk = (n: string, path: string[]): string[] | undefined => {
    for (const m of next(n)) {
      if (m === start) return [...path, m];
      if (seen.has(m)) continue;
      seen.add(m);
      const found = walk(m, [...path, m]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}

/** A set read from a probe that itself reads a set must be known no earlier than that probe's first values. */
function readersStartInTime(run: RunSpec, statements: readonly A.ProbeStmt[], report: (d: Diagnostic) => void): boolean {
  const startOf = new Map(run.probes.map((p) => [p.name, Math.max(-Infinity, ...setsOf(p).map((s) => s.step))] as const));
  for (const p of run.probes) {
    for (const set of setsOf(p)) {
      const late = set.reads.find((r) => (startOf.get(r) ?? -Infinity) > set.step);
      if (late === undefined) continue;
      report(diagnostic("DYN2085", setSpan(statements, p.name, set.name), { name: set.name, problem: `it is known at step ${set.step}, but it reads \`${late}\`, which measures only from step ${startOf.get(late)} (its own rows are found then)` }));
      return false;
    }
  }
  return true;
}

/** Where probe `probe` reads the set `name` (`train[up]`), or the probe statement. */
function setSpan(statements: readonly A.ProbeStmt[], probe: string, name: string): Span {
  const stmt = statements.find((s) => s.name.name === probe);
  if (!stmt) throw new Error(`no statement for probe ${probe}`);
  let found: Span | undefined;
  const visit = (node: unknown): void => {
    if (found || !node || typeof node !== "object") return;
    const n = node as { kind?: string; items?: readonly { kind: string; name?: string }[]; span?: Span };
    if (n.kind === "Index" && n.items?.length === 1 && n.items[0]!.kind === "Name" && n.items[0]!.name === name) {
      found = n.span;
      return;
    }
    for (const child of Object.values(node)) visit(child);
  };
  visit(stmt.value);
  return found ?? stmt.span;
}
