/**
 * Cross-run references: a probe argument that names a probe of another run of the same profile
 * (`along: h[opt = "gd"]`: GD's eigenvector read by the Adam run's `project`). The checker lowers it to
 * `{ ref: "h", from: { opt: "gd", … } }`, `from` being the producing run's whole sweep point. The producing
 * run writes the value its probe measured to the run directory (runner/handoff.ts); a consuming run loads it
 * before its first step. So producers train first: `expandPlan` orders the runs (`orderRuns`), `--shard`
 * keeps a consumer in its producer's shard (`shardOfRuns`), and the pool starts a consumer only after its
 * producers have finished (`producersOf`).
 *
 * Pure data (no tfjs): the compiler, the runner and `dync plan` share it.
 */
import type { RunSpec, SweepValue } from "./program.js";
import type { CadencePoint } from "./training-specs.js";

/**
 * Which of the producer's measurements a reader takes (`h[opt = gd, at …]`): the one at a step of training
 * (`at 150 steps`, `at end`), or the one at the step a producer event fires for each seed (`at first(…)`:
 * the checker adds the event to the producing run and measures `h` there then, on top of its own cadence).
 * Without one, the producer's probe is measured once (DYN2076) and that measurement is read.
 */
export type HandoffPoint = { readonly step: CadencePoint } | { readonly event: string };

/** A lowered cross-run reference: probe `ref` of the run at sweep point `from`, at point `at`. */
export interface CrossRunRef {
  readonly ref: string;
  readonly from: Readonly<Record<string, SweepValue>>;
  readonly at?: HandoffPoint;
}

/** One argument of one probe of a run that reads another run's probe (or its own, through the same file). */
export interface CrossRunUse {
  /** The consuming probe and its argument. */
  readonly probe: string;
  readonly param: string;
  readonly ref: string;
  /** The producing run's id (contract/plan.ts runId of `from`). */
  readonly producer: string;
  /** Which measurement is read (absent: the producer's only one). */
  readonly at?: HandoffPoint;
}

/** `value` as a cross-run reference, or undefined. */
export function crossRunRef(value: unknown): CrossRunRef | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { ref, from, at } = value as { ref?: unknown; from?: unknown; at?: unknown };
  if (typeof ref !== "string" || typeof from !== "object" || from === null || Array.isArray(from)) return undefined;
  return { ref, from: from as Record<string, SweepValue>, ...(at && typeof at === "object" ? { at: at as HandoffPoint } : {}) };
}

/**
 * The name a handed-over value goes by (its files, its board key): the probe's name, with the point read
 * when there is one (`top@step150`, `top@end`, `top@first` for the event `top@first`).
 */
export function handoffName(ref: string, at: HandoffPoint | undefined): string {
  if (!at) return ref;
  if ("event" in at) return at.event;
  const p = at.step;
  return `${ref}@${typeof p === "string" ? p : "step" in p ? `step${p.step}` : "epoch" in p ? `epoch${p.epoch}` : `pct${+(p.fraction * 100).toPrecision(12)}`}`;
}

/** Stable id of a sweep point, as contract/plan.ts `runId` (repeated here to keep this file free of imports). */
export function pointId(point: Readonly<Record<string, SweepValue>>): string {
  const parts = Object.entries(point).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(",") : "run";
}

/** The run whose sweep point is `from` (every variable equal), or undefined. */
export function runAt<R extends Pick<RunSpec, "point">>(runs: readonly R[], from: Readonly<Record<string, SweepValue>>): R | undefined {
  const keys = Object.keys(from);
  return runs.find((r) => Object.keys(r.point).length === keys.length && keys.every((k) => Object.is(r.point[k], from[k])));
}

/** Every cross-run reference among a run's probe arguments. */
export function crossRunUses(run: Pick<RunSpec, "probes">): CrossRunUse[] {
  return run.probes.flatMap((p) =>
    Object.entries(p.args).flatMap(([param, value]) => {
      const ref = crossRunRef(value);
      return ref ? [{ probe: p.name, param, ref: ref.ref, producer: pointId(ref.from), ...(ref.at ? { at: ref.at } : {}) }] : [];
    }),
  );
}

/** The ids of the other runs a run reads values of (its own run excluded: that value is read as it is measured). */
export function producersOf(run: Pick<RunSpec, "id" | "probes">): string[] {
  return [...new Set(crossRunUses(run).map((u) => u.producer))].filter((id) => id !== run.id);
}

/** A value a run hands over: probe `probe` at point `at`, under `name` (handoffName). */
export interface Publication {
  readonly name: string;
  readonly probe: string;
  readonly at?: HandoffPoint;
}

/** For each run id, the values other runs (or itself) read of it, by handoff name: what it must write. */
export function publishedProbes(runs: readonly Pick<RunSpec, "id" | "probes">[]): Map<string, Map<string, Publication>> {
  const out = new Map<string, Map<string, Publication>>();
  for (const run of runs) {
    for (const use of crossRunUses(run)) {
      const published = out.get(use.producer) ?? new Map<string, Publication>();
      const name = handoffName(use.ref, use.at);
      published.set(name, { name, probe: use.ref, ...(use.at ? { at: use.at } : {}) });
      out.set(use.producer, published);
    }
  }
  return out;
}

/** The key a handed-over value has on a run's probe board: `h[opt=gd]` (`name` a handoffName). */
export function handoffKey(name: string, producer: string): string {
  return `${name}[${producer}]`;
}

/**
 * The runs with every producer before the runs that read it, otherwise in plan order (a stable topological
 * order: the first run whose producers are all placed comes next). A cycle (runs reading each other's
 * values) throws; the checker reports it first as DYN2059. A producer that is not in `runs` (a shard's
 * view) is no constraint.
 */
export function orderRuns<R extends Pick<RunSpec, "id" | "probes">>(runs: readonly R[]): R[] {
  const ids = new Set(runs.map((r) => r.id));
  const needs = new Map(runs.map((r) => [r.id, producersOf(r).filter((p) => ids.has(p))] as const));
  const placed = new Set<string>();
  const out: R[] = [];
  while (out.length < runs.length) {
    const next = runs.find((r) => !placed.has(r.id) && needs.get(r.id)!.every((p) => placed.has(p)));
    if (!next) throw new Error(`cross-run references form a cycle among runs ${runs.filter((r) => !placed.has(r.id)).map((r) => r.id).join(", ")}`);
    placed.add(next.id);
    out.push(next);
  }
  return out;
}

/** A cycle of runs reading each other's values (ids in order, the first repeated at the end), or undefined. */
export function runCycle(runs: readonly Pick<RunSpec, "id" | "probes">[]): string[] | undefined {
  const needs = new Map(runs.map((r) => [r.id, producersOf(r)] as const));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "open") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "open");
    stack.push(id);
    for (const p of needs.get(id) ?? []) {
      const cycle = visit(p);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const r of runs) {
    const cycle = visit(r.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * The shard (1-based) of each run when the plan is cut into `count` shards: every `count`-th run in turn, as
 * before, except that a run reading another run's value goes to its producer's shard (transitively), since
 * the value is handed over through the run directory. `runs` in plan order (producers first).
 */
export function shardOfRuns(runs: readonly Pick<RunSpec, "id" | "probes">[], count: number): number[] {
  const shardOf = new Map<string, number>();
  return runs.map((run, position) => {
    const producer = producersOf(run).find((p) => shardOf.has(p));
    const shard = producer !== undefined ? shardOf.get(producer)! : (position % count) + 1;
    shardOf.set(run.id, shard);
    return shard;
  });
}
