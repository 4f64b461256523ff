/**
 * `dync compare A B`: what differs between two run directories. Read from the files alone (nothing is
 * re-run): the settings of the manifests (profile, overrides, seeds, backend and matrix-product path,
 * each run's training step and Hessian-vector product paths (and `hvpFrom`, noted: its counts are partial),
 * versions, status), every `let` value and `expect` verdict of results.json, and each run's final value of
 * every scalar probe in metrics.jsonl (the mean over seeds at its last measured step). Rows are matched by
 * name and key (a `let` row by its dimension values, a final value by run id and probe); a row only one
 * directory has is shown with the other side empty. Output formats: runner/compare-output.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { Manifest } from "../runtime/record/manifest.js";
// Not report/index.js: that loads Vega, which only the HTML output needs.
import { readManifest } from "../report/run-files.js";
import { metricsLines } from "../report/recorded-tensors.js";
import { RESULTS_JSON, type LetResult, type ResultsFile } from "./results-file.js";

/** One side of the comparison: a run directory and what it recorded. */
export interface CompareSide {
  readonly dir: string;
  readonly experiment: string;
  readonly profile: string;
  readonly status: string;
  /** Whether results.json was there (a run still training, or one recorded by an older dync, has none). */
  readonly hasResults: boolean;
}

/** A value as compared: a number (NaN as null, as in the files), a truth value, or absent on that side. */
export type Side = number | boolean | string | null | undefined;

export interface SettingDiff {
  /** Dotted path in manifest.json (`backend.matmul.path`, `source.overrides`). */
  readonly field: string;
  readonly a: Side;
  readonly b: Side;
  readonly same: boolean;
}

export interface ValueDiff {
  /** `final_loss[width=4]`, or `final_loss[width=4].alpha` for a fit's field. */
  readonly name: string;
  readonly a: Side;
  readonly b: Side;
  /** b − a when both are numbers, else null. */
  readonly difference: number | null;
  readonly same: boolean;
}

export interface ExpectDiff {
  readonly text: string;
  readonly line: number;
  /** true holds, false fails, undefined: that side has no such expect. */
  readonly a: boolean | undefined;
  readonly b: boolean | undefined;
  readonly detailA: string | undefined;
  readonly detailB: string | undefined;
  readonly changed: boolean;
}

export interface FinalDiff {
  readonly run: string;
  readonly probe: string;
  /** The last measured step on each side. */
  readonly stepA: number | undefined;
  readonly stepB: number | undefined;
  readonly a: Side;
  readonly b: Side;
  readonly difference: number | null;
  readonly same: boolean;
}

export interface Comparison {
  readonly format: "dync-compare/1";
  readonly a: CompareSide;
  readonly b: CompareSide;
  readonly settings: readonly SettingDiff[];
  readonly expects: readonly ExpectDiff[];
  readonly lets: readonly ValueDiff[];
  readonly finals: readonly FinalDiff[];
  /** What could not be compared, and why (a side without results.json). */
  readonly notes: readonly string[];
}

/** Per (run, probe): the mean over seeds at each measured step, for the plots of the HTML page. */
export type ProbeSeries = Map<string, { readonly run: string; readonly probe: string; readonly points: { step: number; value: number | null }[] }>;

/** A run directory read for comparison. */
export interface CompareInput {
  readonly side: CompareSide;
  readonly manifest: Manifest;
  readonly results: ResultsFile | null;
  readonly series: ProbeSeries;
}

/** Reads a run directory: RUN010 when it is missing or has no manifest, RUN011 when its files are not dync's. */
export function readForCompare(dir: string): CompareInput {
  const manifest = readManifest(dir);
  const results = readResultsFile(dir);
  const source = (manifest.source ?? {}) as { profile?: string };
  return {
    side: { dir, experiment: manifest.experiment, profile: source.profile ?? "default", status: manifest.status, hasResults: results !== null },
    manifest,
    results,
    series: probeSeries(dir),
  };
}

/** Everything that differs (and what is the same) between two read run directories. */
export function compareRuns(a: CompareInput, b: CompareInput): Comparison {
  const notes: string[] = [];
  for (const [label, input] of [["A", a], ["B", b]] as const) {
    if (!input.results) notes.push(`${label} (${input.side.dir}) has no ${RESULTS_JSON} (still training, stopped before its analyses, or recorded by an older dync): its lets and expects are not compared`);
  }
  notes.push(...partialHvpNotes(a.manifest, b.manifest));
  if (a.manifest.experiment !== b.manifest.experiment) notes.push(`the directories hold different experiments (${a.manifest.experiment}, ${b.manifest.experiment}): rows are matched by name only`);
  return {
    format: "dync-compare/1",
    a: a.side,
    b: b.side,
    settings: settingDiffs(a.manifest, b.manifest),
    expects: a.results && b.results ? expectDiffs(a.results, b.results) : [],
    lets: a.results && b.results ? letDiffs(a.results, b.results) : [],
    finals: finalDiffs(a.series, b.series),
    notes,
  };
}

// ── settings ────────────────────────────────────────────────────────────────

/** The manifest fields that say how a run directory was made; each is flattened to dotted leaves. */
const SETTINGS = ["experiment", "status", "source.file", "source.profile", "source.overrides", "source.compiler", "planHash", "seeds", "sweepAxes", "runs", "backend", "versions", "durationMs"] as const;

function settingDiffs(a: Manifest, b: Manifest): SettingDiff[] {
  const left = settingLeaves(a);
  const right = settingLeaves(b);
  const fields = [...new Set([...left.keys(), ...right.keys()])];
  return fields.map((field) => {
    const va = left.get(field);
    const vb = right.get(field);
    return { field, a: va, b: vb, same: va === vb };
  });
}

/** `backend.matmul.path` → "native", …; lists as one comma-joined text; runs as their ids. */
function settingLeaves(manifest: Manifest): Map<string, Side> {
  const out = new Map<string, Side>();
  const put = (path: string, value: unknown): void => {
    if (value === undefined) return;
    if (Array.isArray(value)) out.set(path, value.map((v) => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v))).join(", "));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) put(`${path}.${k}`, v);
    else out.set(path, value as Side);
  };
  for (const field of SETTINGS) {
    const value = field.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), manifest);
    put(field, field === "runs" ? manifest.runs.map((r) => r.run) : value);
  }
  // The training step each run took (`native-mlp`, `taped`, …; a mixed run's counts too) and the paths that served its
  // Hessian-vector products (`runs.<id>.hvp.native`, …) with the step those counts start at: both decide rounding.
  for (const entry of manifest.runs) {
    put(`runs.${entry.run}.step`, entry.step);
    put(`runs.${entry.run}.stepCounts`, entry.stepCounts);
    put(`runs.${entry.run}.hvp`, entry.hvp);
    put(`runs.${entry.run}.hvpFrom`, entry.hvpFrom);
  }
  // The resolved configuration of each run (what an edit of the .dyn file changed): `config.width=8.optimizer.lr`.
  const config = manifest.config as { runs?: readonly { id?: string }[] } | null;
  for (const run of config?.runs ?? []) {
    const { id, point: _point, ...spec } = run as { id?: string; point?: unknown };
    put(`config.${id ?? "?"}`, spec);
  }
  return out;
}

/**
 * `hvpFrom`: a side resumed from a checkpoint that carried no product counts counts only from that step, so its
 * `runs.<id>.hvp` is partial: a count that differs there need not mean the runs computed different products, and
 * which path served the earlier ones is unknown.
 */
function partialHvpNotes(a: Manifest, b: Manifest): string[] {
  const fromOf = (m: Manifest) => new Map(m.runs.map((r) => [r.run, r.hvpFrom]));
  const [left, right] = [fromOf(a), fromOf(b)];
  return [...new Set([...left.keys(), ...right.keys()])].flatMap((run) => {
    const sides = ([["A", left.get(run)], ["B", right.get(run)]] as const).filter(([, from]) => from !== undefined);
    if (sides.length === 0) return [];
    const starts = sides.map(([label, from]) => `step ${from} in ${label}`).join(", ");
    return [`run ${run}: Hessian-vector products counted from ${starts} (hvpFrom: resumed from a checkpoint without counts): runs.${run}.hvp there is partial and does not say which path served the products before`];
  });
}

// ── lets and expects ────────────────────────────────────────────────────────

function letDiffs(a: ResultsFile, b: ResultsFile): ValueDiff[] {
  const left = letValues(a.lets);
  const right = letValues(b.lets);
  return [...new Set([...left.keys(), ...right.keys()])].map((name) => valueDiff(name, left.get(name), right.get(name)));
}

/** Every let row (a fit: its α, r² and α's 95% interval) by `name[key]`. */
function letValues(lets: readonly LetResult[]): Map<string, Side> {
  const out = new Map<string, Side>();
  for (const result of lets) {
    for (const row of result.rows) {
      const name = `${result.name}${keyText(row.key, result.dims)}`;
      const value = row.value;
      if (typeof value !== "object" || value === null) out.set(name, value as Side);
      else {
        out.set(`${name}.alpha`, value.alpha);
        out.set(`${name}.r2`, value.r2);
        // α's interval is [−ci_high, −ci_low] (the ci is the exponent's)
        out.set(`${name}.alpha_ci_low`, value.ci_high === null ? null : -value.ci_high);
        out.set(`${name}.alpha_ci_high`, value.ci_low === null ? null : -value.ci_low);
      }
    }
  }
  return out;
}

function expectDiffs(a: ResultsFile, b: ResultsFile): ExpectDiff[] {
  const byText = (file: ResultsFile) => new Map(file.expects.map((e) => [e.text, e]));
  const left = byText(a);
  const right = byText(b);
  return [...new Set([...left.keys(), ...right.keys()])].map((text) => {
    const ea = left.get(text);
    const eb = right.get(text);
    return { text, line: (ea ?? eb)!.line, a: ea?.passed, b: eb?.passed, detailA: ea?.detail, detailB: eb?.detail, changed: ea?.passed !== eb?.passed };
  });
}

// ── final values of the probes ──────────────────────────────────────────────

/** The scalar measurements of metrics.jsonl as mean-over-seeds series per (run, probe). */
function probeSeries(dir: string): ProbeSeries {
  const sums = new Map<string, { run: string; probe: string; steps: Map<number, { sum: number; n: number; nan: boolean }> }>();
  for (const m of metricsLines(dir)) {
    if (typeof m["seed"] !== "number" || (m["npy_file"] !== null && m["npy_file"] !== undefined)) continue;
    const run = String(m["run"]);
    const probe = String(m["probe"]);
    const id = `${run}\u0001${probe}`;
    let entry = sums.get(id);
    if (!entry) sums.set(id, (entry = { run, probe, steps: new Map() }));
    const step = Number(m["step"]);
    let at = entry.steps.get(step);
    if (!at) entry.steps.set(step, (at = { sum: 0, n: 0, nan: false }));
    // Two cadences at one step record one state twice; a null value is a diverged seed's NaN.
    if (typeof m["value"] === "number") {
      at.sum += m["value"];
      at.n++;
    } else at.nan = true;
  }
  const out: ProbeSeries = new Map();
  for (const [id, { run, probe, steps }] of sums) {
    const points = [...steps].sort((x, y) => x[0] - y[0]).map(([step, s]) => ({ step, value: s.nan || s.n === 0 ? null : s.sum / s.n }));
    out.set(id, { run, probe, points });
  }
  return out;
}

function finalDiffs(a: ProbeSeries, b: ProbeSeries): FinalDiff[] {
  return [...new Set([...a.keys(), ...b.keys()])].map((id) => {
    const sa = a.get(id);
    const sb = b.get(id);
    const last = (s: typeof sa) => s?.points[s.points.length - 1];
    const [la, lb] = [last(sa), last(sb)];
    const diff = valueDiff("", la?.value, lb?.value);
    return { run: (sa ?? sb)!.run, probe: (sa ?? sb)!.probe, stepA: la?.step, stepB: lb?.step, a: diff.a, b: diff.b, difference: diff.difference, same: diff.same && la?.step === lb?.step };
  });
}

// ── helpers ─────────────────────────────────────────────────────────────────

function valueDiff(name: string, a: Side, b: Side): ValueDiff {
  const difference = typeof a === "number" && typeof b === "number" ? b - a : null;
  return { name, a, b, difference, same: a === b };
}

/** `[width=4, seeds=0]`, in the let's dimension order; nothing for a single number. */
function keyText(key: Readonly<Record<string, unknown>>, dims: readonly string[]): string {
  return dims.length ? `[${dims.map((d) => `${d}=${String(key[d])}`).join(", ")}]` : "";
}

/** results.json of `dir`, or null when there is none; RUN011 when it is not one. */
function readResultsFile(dir: string): ResultsFile | null {
  const path = join(dir, RESULTS_JSON);
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    // metrics.jsonl and results.json write ±infinity as ±1e999, which JSON.parse reads back as ±Infinity.
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new DyncRuntimeError("RUN011", `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const file = parsed as Partial<ResultsFile> | null;
  if (!file || file.format !== "dync-results/1" || !Array.isArray(file.lets) || !Array.isArray(file.expects)) {
    throw new DyncRuntimeError("RUN011", `${path} is not a dync results file (its "format" is not "dync-results/1")`);
  }
  return file as ResultsFile;
}
