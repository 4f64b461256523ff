/**
 * Plan templates (program.ts): `expandPlan` turns a profile as a program states it into the runs it
 * trains: one `RunSpec` per sweep point, the base run with that point's patch applied. `dync plan`, the
 * runner (`choosePlan`, the worker pool) and the manifest all get their runs from it. `planTemplate` is its
 * inverse, used by the compiler: from the checked runs of every sweep point to base, axes and patches.
 *
 * Pure data in, data out (no tfjs): it belongs with the contract.
 */
import { orderRuns, shardOfRuns } from "./handoff.js";
import type { PatchValue, PlanTemplate, ProfilePlan, ProfileSpec, RunBase, RunPatch, RunSpec, Seeds, SweepAxis, SweepValue } from "./program.js";

/** The runs and seed values of a profile, whichever form the program states it in. */
export function expandPlan(spec: ProfileSpec): ProfilePlan {
  const { analyses, expects, plots } = spec;
  const seeds = seedValues(spec.seeds);
  if ("runs" in spec) return { seeds, runs: orderRuns(spec.runs), analyses, expects, plots };
  const points = sweepPoints(spec.axes);
  if (points.length !== spec.points.length) {
    throw new Error(`plan template: the axes give ${points.length} sweep points but ${spec.points.length} patches are listed`);
  }
  const runs = points.map((point, i) => ({ id: runId(point), point, ...(applyPatch(spec.base, spec.points[i]!) as RunBase) }));
  // A run that reads another run's value (`along: h[opt = gd]`, contract/handoff.ts) trains after it.
  return { seeds, runs: orderRuns(runs), analyses, expects, plots };
}

/** Seed values from a list or a `{ from, count }` range. */
export function seedValues(seeds: Seeds): number[] {
  if (Array.isArray(seeds)) return [...(seeds as readonly number[])];
  const { from, count } = seeds as { from: number; count: number };
  return Array.from({ length: count }, (_, i) => from + i);
}

/** Consecutive seeds as a range when that is shorter to read (ten or more), otherwise the list. */
export function compactSeeds(seeds: readonly number[]): Seeds {
  const consecutive = seeds.length >= 10 && seeds.every((s, i) => s === seeds[0]! + i);
  return consecutive ? { from: seeds[0]!, count: seeds.length } : [...seeds];
}

/** The sweep points of the axes: their cross product, the first axis outermost; no axes → one empty point. */
export function sweepPoints(axes: readonly SweepAxis[]): Record<string, SweepValue>[] {
  let points: Record<string, SweepValue>[] = [{}];
  for (const axis of axes) {
    const vars = Object.keys(axis);
    const length = axis[vars[0]!]?.length ?? 0;
    if (vars.some((v) => axis[v]!.length !== length)) throw new Error(`plan template: the zipped sweep over (${vars.join(", ")}) has value lists of different lengths`);
    const values = Array.from({ length }, (_, i) => Object.fromEntries(vars.map((v) => [v, axis[v]![i]!])));
    points = points.flatMap((p) => values.map((v) => ({ ...p, ...v })));
  }
  return points;
}

/** Stable id of a sweep point: `width=8,act=silu`, or `run` without sweeps. */
export function runId(point: Readonly<Record<string, SweepValue>>): string {
  const parts = Object.entries(point).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(",") : SINGLE_RUN_ID;
}

/** The id of the one run of an experiment without a sweep. */
export const SINGLE_RUN_ID = "run";

/** How messages name a run: `run width=8`, and `the run` for the one run without a sweep (not "run run"). */
export function runLabel(id: string): string {
  return id === SINGLE_RUN_ID ? "the run" : `run ${id}`;
}

/**
 * The template of runs at the points of `axes` (in `sweepPoints` order): the first run is the base, every
 * run (the first one too, as `{}`) a patch against it.
 */
export function planTemplate(plan: ProfilePlan, axes: readonly SweepAxis[]): PlanTemplate {
  const { analyses, expects, plots } = plan;
  const first = plan.runs[0];
  if (!first) throw new Error("plan template: a plan needs at least one run");
  const { id: _id, point: _point, ...base } = first;
  const points = plan.runs.map(({ id: _i, point: _p, ...run }) => (diff(base, run) ?? {}) as RunPatch);
  return { seeds: compactSeeds(plan.seeds), axes, base, points, analyses, expects, plots };
}

// ── patches ──────────────────────────────────────────────────────────────────

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json | undefined };

const DELETE = { $delete: true } as const;

/** `patch` applied to `base` (neither is modified; the result shares nothing with either). */
export function applyPatch(base: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  if ("$replace" in patch) return clone(patch["$replace"]);
  if (Array.isArray(base)) {
    const out = base.map(clone);
    for (const [key, p] of Object.entries(patch)) {
      const i = Number(key);
      if (!(Number.isInteger(i) && i >= 0 && i < out.length)) throw new Error(`plan template: index ${key} is outside an array of ${out.length}`);
      out[i] = applyPatch(base[i], p);
    }
    return out;
  }
  if (!isObject(base)) return clone(patch);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    if (!Object.hasOwn(patch, key)) put(out, key, clone(value));
    else if (!isDelete(patch[key])) put(out, key, applyPatch(value, patch[key]));
  }
  for (const [key, p] of Object.entries(patch)) if (!Object.hasOwn(base, key) && !isDelete(p)) put(out, key, applyPatch(undefined, p));
  return out;
}

/**
 * The patch taking `base` to `value`, undefined when they are equal (numbers by `Object.is`, so `NaN`
 * equals itself and `-0` differs from `0`). Below the top level, an array of the same length is patched
 * by index and an object field by field only when that is shorter than writing the value out (a
 * different variant, `{ kind: "fourier", … }` for `{ kind: "coords", … }`, is written whole).
 */
export function diff(base: unknown, value: unknown, nested = false): PatchValue | undefined {
  if (deepEqual(base, value)) return undefined;
  if (Array.isArray(value)) {
    if (!Array.isArray(base) || base.length !== value.length) return clone(value) as PatchValue;
    const byIndex = Object.fromEntries(value.flatMap((v, i) => {
      const d = diff(base[i], v, true);
      return d === undefined ? [] : [[String(i), d]];
    }));
    return size(byIndex) < size(value) ? byIndex : (clone(value) as PatchValue);
  }
  if (!isObject(value)) return value as PatchValue;
  if (Array.isArray(base)) return { $replace: clone(value) };
  if (!isObject(base)) return clone(value) as PatchValue;
  const out: Record<string, PatchValue> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const d = diff(base[key], v, true);
    if (d !== undefined) put(out, key, d);
  }
  for (const [key, v] of Object.entries(base)) if (v !== undefined && (!Object.hasOwn(value, key) || value[key] === undefined)) put(out, key, DELETE);
  const whole = { $replace: clone(value) };
  return nested && size(whole) < size(out) ? whole : out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  const ka = keys(a);
  return ka.length === keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

/**
 * `o[key] = value` as an own property even for `__proto__`: keys include user names (a data set or sweep
 * variable may be called that), which must neither set a prototype nor leave plain objects without one.
 */
function put(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, clone(v)]));
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isDelete(p: unknown): boolean {
  return isObject(p) && p["$delete"] === true && Object.keys(p).length === 1;
}

/** Printed length, to choose the shorter spelling of an array patch. */
function size(value: unknown): number {
  return JSON.stringify(value as Json)?.length ?? 0;
}

// ── shards ───────────────────────────────────────────────────────────────────

/** Shard `index` of `count` (1-based, as in `--shard 2/4`): a part of a plan that one machine trains. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * The runs of `shard`: every `count`-th run of the plan, starting at run `index` (1-based), in plan order.
 * A run is one sweep point with all its seeds (one seed-batched program), so seed batches are never split;
 * dealing runs out in turn spreads a sweep whose cost grows along an axis (width) evenly over the shards.
 * It depends only on the plan's run order, so every machine computes the same split. Runs (`RunSpec`s) that
 * read another run's value go to their producer's shard (contract/handoff.ts `shardOfRuns`).
 */
export function shardRuns<T>(runs: readonly T[], shard: Shard): T[] {
  const shards = runs.every(isRunLike) ? shardOfRuns(runs as readonly Pick<RunSpec, "id" | "probes">[], shard.count) : runs.map((_, i) => shardOfRun(i, shard.count));
  return runs.filter((_, i) => shards[i] === shard.index);
}

function isRunLike(value: unknown): value is Pick<RunSpec, "id" | "probes"> {
  return isObject(value) && typeof value["id"] === "string" && Array.isArray(value["probes"]);
}

/** The shard a run of the plan (by position) belongs to. */
export function shardOfRun(position: number, count: number): number {
  return (position % count) + 1;
}

/** `2/4` → `{ index: 2, count: 4 }`; an error message for anything else (0/4, 5/4, 1.5/2, `two`). */
export function parseShard(text: string): Shard | string {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    return `--shard takes i/n with 1 ≤ i ≤ n (e.g. 2/4), not "${text}"`;
  }
  return { index, count };
}

/** `2/4`. */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
