/**
 * Reading a run directory back for the report: the manifest, `report-input.json` (what the report needs
 * that the manifest does not hold: the profile plan with its analyses, expects and plots, and each run's
 * training length), and the measurements of `metrics.jsonl` (scalars, and per-unit vectors from their
 * .npy files) as a `ResultTable`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { ExpectOutcome } from "../runtime/analysis/profile.js";
import type { ResultRow, ResultTable } from "../runtime/analysis/results.js";
import type { ProfilePlan, SweepValue } from "../contract/program.js";
import type { Manifest } from "../runtime/record/manifest.js";
import { writeFileAtomic } from "../runtime/record/atomic-file.js";
import { runPaths } from "../runtime/record/run-dir.js";
import { readNpy, type NpyArray } from "../runtime/npy.js";
import { fieldProbeName } from "../contract/results.js";
import { metricsLines } from "./recorded-tensors.js";

/** The file `writeReport` leaves next to the manifest so that `dync report` can rebuild without the program. */
export const REPORT_INPUT = "report-input.json";
const FORMAT = "dync-report-input/1";

/** What the report needs beyond manifest.json and the metrics. */
export interface ReportInput {
  readonly format: typeof FORMAT;
  readonly profile: string;
  readonly sweepVars: readonly string[];
  /** The profile's plan: runs (for probe names and sweep points), analyses, expects and plots. */
  readonly plan: ProfilePlan;
  /** Steps each run was scheduled to train, by run id (for `after 50%`). */
  readonly totalSteps: Readonly<Record<string, number>>;
  /**
   * The verdicts the run printed, kept so that a rebuilt report shows the same; null while the run trains
   * (`dync run` writes this file when it starts, with the plan, and again with the verdicts when it ends).
   */
  readonly expects: readonly ExpectOutcome[] | null;
  readonly analysisErrors: readonly string[];
  /** The `.dyn` file and its text. */
  readonly source: { readonly file: string; readonly text: string } | null;
}

/** manifest.json of `dir`; RUN010 if the directory or the manifest is missing, RUN011 if it is not a run manifest. */
export function readManifest(dir: string): Manifest {
  if (!existsSync(dir)) throw new DyncRuntimeError("RUN010", `no directory ${dir}`, "give the run directory that `dync run` printed");
  if (!statSync(dir).isDirectory()) throw new DyncRuntimeError("RUN010", `${dir} is a file, not a run directory`);
  const path = runPaths(dir).manifest;
  if (!existsSync(path)) {
    throw new DyncRuntimeError("RUN010", `${dir} is not a run directory: it has no manifest.json`, "a run directory is what `dync run` writes, e.g. runs/<experiment>/<timestamp>");
  }
  const manifest = parseJson(path) as Partial<Manifest> | null;
  if (!manifest || typeof manifest !== "object" || manifest.format !== "dync-run/1") {
    throw new DyncRuntimeError("RUN011", `${path} is not a dync run manifest (its "format" is not "dync-run/1")`);
  }
  return manifest as Manifest;
}

/** report-input.json of `dir`, or null when the run was recorded without one. */
export function readReportInput(dir: string): ReportInput | null {
  const path = join(dir, REPORT_INPUT);
  if (!existsSync(path)) return null;
  const input = parseJson(path, revive) as Partial<ReportInput> | null;
  if (!input || input.format !== FORMAT || !input.plan) throw new DyncRuntimeError("RUN011", `${path} is not a dync report input (format ${FORMAT})`);
  return input as ReportInput;
}

/** Writes report-input.json; non-finite numbers (an `in [0, inf]` bound) survive the trip through JSON. */
export function writeReportInput(dir: string, input: Omit<ReportInput, "format">): void {
  const path = join(dir, REPORT_INPUT);
  writeFileAtomic(path, `${JSON.stringify({ format: FORMAT, ...input }, replace, 1)}\n`);
}

/**
 * The measurements of metrics.jsonl as the result table the run had in memory: scalar rows as they are,
 * and the .npy vectors of per-unit probes (`fp.error` over `frequency`) expanded into one row per unit,
 * as the run recorded them (these need the plan, which says which probes are per-unit). Other tensors
 * (matrices) and rows over all seeds are not analysis inputs; a null value is a NaN (a diverged seed).
 */
export function loadResults(
  dir: string,
  manifest: Manifest,
  totalSteps: Readonly<Record<string, number>>,
  plan?: ProfilePlan | null,
  unreadable?: string[],
): ResultTable {
  const path = runPaths(dir).metricsJsonl;
  if (!existsSync(path)) throw new DyncRuntimeError("RUN010", `the run directory ${dir} has no metrics.jsonl`);
  const points = new Map<string, Readonly<Record<string, SweepValue>>>(manifest.runs.map((r) => [r.run, r.sweep]));
  const indexed = plan ? indexedProbes(plan) : new Map<string, string>();
  const rows: ResultRow[] = [];
  const stacks = new Map<string, NpyArray | "unreadable">();
  for (const m of metricsLines(dir)) {
    if (typeof m["seed"] !== "number") continue;
    const run = String(m["run"]);
    const probe = String(m["probe"]);
    const base = { run, point: points.get(run) ?? {}, seed: m["seed"], step: Number(m["step"]), epoch: typeof m["epoch"] === "number" ? m["epoch"] : 0, probe };
    const file = m["npy_file"];
    if (file === null || file === undefined) {
      rows.push({ ...base, value: typeof m["value"] === "number" ? m["value"] : Number.NaN });
      continue;
    }
    const dim = indexed.get(probe);
    if (dim === undefined) continue;
    const vector = readVector(dir, String(file), probe, unreadable, typeof m["value"] === "number" ? m["value"] : null, stacks);
    if (vector) for (let i = 0; i < vector.length; i++) rows.push({ ...base, value: vector[i]!, index: { [dim]: i } });
  }
  const diverged = Object.fromEntries(manifest.runs.filter((r) => r.diverged?.length).map((r) => [r.run, r.diverged!]));
  const stepsPerEpoch = Object.fromEntries(manifest.runs.flatMap((r) => (r.stepsPerEpoch === undefined ? [] : [[r.run, r.stepsPerEpoch]])));
  return { sweepVars: manifest.sweepAxes, seeds: manifest.seeds, rows, totalSteps, stepsPerEpoch, diverged };
}

/**
 * A per-unit probe's vector from its .npy file. A missing, corrupt or misshapen file throws RUN010/RUN011,
 * unless `unreadable` is given: then the error is added there and the file's rows are left out, so one bad
 * file costs the plots and analyses its values (the report says which), not the whole report.
 */
function readVector(dir: string, file: string, probe: string, unreadable: string[] | undefined, row: number | null, stacks: Map<string, NpyArray | "unreadable">): ArrayLike<number> | null {
  // A stacked array holds every measurement of a run and seed: a bad one is named once, not once per row.
  if (stacks.get(file) === "unreadable") return null;
  try {
    if (row !== null) return stackedRow(dir, file, probe, row, stacks);
    const { data, shape } = readNpy(join(dir, file));
    if (shape.length !== 1) throw new DyncRuntimeError("RUN011", `${file} holds shape (${shape.join(", ")}); per-unit probe "${probe}" records vectors`);
    return data;
  } catch (error) {
    if (!(error instanceof DyncRuntimeError) || !unreadable) throw error;
    if (row !== null) stacks.set(file, "unreadable");
    unreadable.push(`${error.code}: ${error.message} — the values of ${probe} in ${file} are left out of the plots and analyses`);
    return null;
  }
}

/** Row `row` of a stacked array (runtime/record/stacked.ts: a metrics row's value is its row index), each file read once. */
function stackedRow(dir: string, file: string, probe: string, row: number, stacks: Map<string, NpyArray | "unreadable">): ArrayLike<number> {
  let stack = stacks.get(file);
  if (!stack || stack === "unreadable") stacks.set(file, (stack = readNpy(join(dir, file))));
  const [rows, width] = stack.shape;
  if (stack.shape.length !== 2 || !Number.isInteger(row) || row < 0 || row >= rows!) {
    throw new DyncRuntimeError("RUN011", `${file} holds shape (${stack.shape.join(", ")}); per-unit probe "${probe}" has a row ${row} there`);
  }
  return stack.data.subarray(row * width!, (row + 1) * width!);
}

/** Recorded names of per-unit probes (`fp.error`, `fp.freq`) → their dimension (`frequency`). */
function indexedProbes(plan: ProfilePlan): Map<string, string> {
  const out = new Map<string, string>();
  for (const run of plan.runs) {
    for (const p of run.probes) {
      if (!p.index) continue;
      for (const name of p.fields ? p.fields.map((f) => fieldProbeName(p.name, f)) : [p.name]) out.set(name, p.index);
    }
  }
  return out;
}

/** Every .npy file under tensors/, relative to the run directory with `/` separators, sorted. */
export function tensorFiles(dir: string): string[] {
  const root = runPaths(dir).tensors;
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".npy")) out.push(relative(dir, full).split(sep).join("/"));
    }
  };
  walk(root);
  return out.sort();
}

function parseJson(path: string, reviver?: (key: string, value: unknown) => unknown): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"), reviver);
  } catch (error) {
    throw new DyncRuntimeError("RUN011", `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function replace(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? { $number: String(value) } : value;
}

function revive(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "$number" in value) {
    return Number((value as { $number: string }).$number);
  }
  return value;
}
