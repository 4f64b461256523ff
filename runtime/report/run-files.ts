/**
 * Reading a run directory back for the report: the manifest, `report-input.json` (what the report needs
 * that the manifest does not hold: the profile plan with its analyses, expects and plots, and each run's
 * training length), and the scalar measurements of `metrics.jsonl` as a `ResultTable`.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { DyncRuntimeError } from "../errors.js";
import type { ExpectOutcome } from "../experiment/analysis.js";
import type { ResultRow, ResultTable } from "../experiment/results.js";
import type { ProfilePlan, SweepValue } from "../program.js";
import type { Manifest } from "../record/manifest.js";
import { runPaths, unwritable } from "../record/run-dir.js";

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
  /** The verdicts the run printed, kept so that a rebuilt report shows the same. */
  readonly expects: readonly ExpectOutcome[];
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
  try {
    writeFileSync(path, `${JSON.stringify({ format: FORMAT, ...input }, replace, 1)}\n`);
  } catch (error) {
    throw unwritable(path, error);
  }
}

/**
 * The scalar measurements of metrics.jsonl as a result table. Rows of tensors (an `npy_file`) and rows over
 * all seeds (no seed) are not analysis inputs and are skipped; a null value is a NaN (a diverged seed).
 */
export function loadResults(dir: string, manifest: Manifest, totalSteps: Readonly<Record<string, number>>): ResultTable {
  const path = runPaths(dir).metricsJsonl;
  if (!existsSync(path)) throw new DyncRuntimeError("RUN010", `the run directory ${dir} has no metrics.jsonl`);
  const points = new Map<string, Readonly<Record<string, SweepValue>>>(manifest.runs.map((r) => [r.run, r.sweep]));
  const rows: ResultRow[] = [];
  const lines = readFileSync(path, "utf8").split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // The last line of an interrupted run can be cut off mid-write; anything else is a damaged file.
      if (i >= lines.length - 2) return;
      throw new DyncRuntimeError("RUN011", `${path} line ${i + 1} is not valid JSON`);
    }
    if (m["npy_file"] !== null && m["npy_file"] !== undefined) return;
    if (typeof m["seed"] !== "number") return;
    const run = String(m["run"]);
    rows.push({
      run,
      point: points.get(run) ?? {},
      seed: m["seed"],
      step: Number(m["step"]),
      epoch: typeof m["epoch"] === "number" ? m["epoch"] : 0,
      probe: String(m["probe"]),
      value: typeof m["value"] === "number" ? m["value"] : Number.NaN,
    });
  });
  return { sweepVars: manifest.sweepAxes, seeds: manifest.seeds, rows, totalSteps };
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
