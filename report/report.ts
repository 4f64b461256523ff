/**
 * `report.html` for a run directory: written at the end of `dync run` from what the run has in memory, and
 * rebuilt by `dync report RUN_DIR` from the directory alone (manifest.json, metrics.jsonl, report-input.json).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { evaluate } from "../runtime/analysis/evaluate.js";
import { evaluateProfile, type AnalysisFunctions } from "../runtime/analysis/index.js";
import { ResultEnv } from "../runtime/analysis/source.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { formatAnalysisError, type ExpectOutcome } from "../runtime/analysis/profile.js";
import type { ResultTable } from "../runtime/analysis/results.js";
import { expandPlan } from "../contract/plan.js";
import type { ExperimentProgram, PlotSpec, ProfilePlan } from "../contract/program.js";
import type { Manifest } from "../runtime/record/manifest.js";
import { writeFileAtomic } from "../runtime/record/atomic-file.js";
import { runPaths, unwritable } from "../runtime/record/run-dir.js";
import { evaluatePlotTables, plotToVegaLite, releaseRenderedImages, renderPng, renderSvg } from "./plots.js";
import { recordedTensors, type RecordedTensors } from "./recorded-tensors.js";
import { reportPage, type FigureEntry, type PartialRun } from "./report-page.js";
import { loadResults, readManifest, readReportInput, REPORT_INPUT, tensorFiles, writeReportInput, type ReportInput } from "./run-files.js";

/** What a finished run hands the report (an `ExperimentOutcome` fits). */
export interface ReportOutcome {
  readonly profile: string;
  readonly results: ResultTable;
  readonly expects: readonly ExpectOutcome[];
  readonly analysisErrors?: readonly string[];
}

/** Whatever the caller has in memory; anything missing is read from the run directory. */
export interface ReportSources {
  readonly program?: ExperimentProgram;
  readonly plan?: ProfilePlan;
  readonly results?: ResultTable;
  readonly outcome?: ReportOutcome;
  /** The analysis functions the plan's analyses call (the standard library's, from the runner or the CLI). */
  readonly analysisFunctions?: AnalysisFunctions;
  /** `dync report --watch`: a page of a run in training reloads itself this often (seconds). */
  readonly refreshSeconds?: number;
}

/** A figure written to plots/, or why it could not be drawn. */
export interface PlotOutcome {
  readonly name: string;
  readonly line: number;
  readonly svg: string | null;
  readonly png: string | null;
  readonly error: string | null;
}

export interface ReportResult {
  /** Path of report.html. */
  readonly path: string;
  readonly plots: readonly PlotOutcome[];
  /** Recorded files that could not be read (their values are left out), one message each. */
  readonly unreadable: readonly string[];
}

/** Writes report.html (and plots/NAME.svg/.png, and report-input.json when a plan is known) for `runDir`. */
export async function writeReport(runDir: string, sources: ReportSources = {}): Promise<ReportResult> {
  const manifest = readManifest(runDir);
  const stored = readReportInput(runDir);
  const recorded = manifest.source as { file?: string; text?: string; profile?: string } | undefined;
  const profile = sources.outcome?.profile ?? recorded?.profile ?? stored?.profile ?? "default";
  const plan = sources.plan ?? (sources.program && Object.hasOwn(sources.program.profiles, profile) ? expandPlan(sources.program.profiles[profile]!) : undefined) ?? stored?.plan ?? null;
  const inMemory = sources.results ?? sources.outcome?.results;
  // A run still training has its runs' lengths in the manifest only (report-input.json was written at its start).
  const totalSteps = inMemory?.totalSteps ?? { ...recordedSteps(manifest), ...stored?.totalSteps };
  const unreadable: string[] = [];
  const results = inMemory ?? (plan ? loadResults(runDir, manifest, totalSteps, plan, unreadable) : null);
  const source = sources.program
    ? { file: sources.program.file, text: sources.program.source }
    : typeof recorded?.text === "string"
      ? { file: recorded.file ?? "", text: recorded.text }
      : (stored?.source ?? null);
  const verdicts = chooseVerdicts(sources, manifest, stored, plan, results);
  if (plan && results) {
    writeReportInput(runDir, { profile, sweepVars: results.sweepVars, plan, totalSteps, expects: verdicts.expects, analysisErrors: verdicts.analysisErrors, source });
  }
  // Only matrix heatmaps and marks read the recorded tensors; other reports skip the metrics scan.
  const needsTensors = plan?.plots.some((p) => (p.kind === "heatmap" && p.data.source === "matrix") || (p.kind === "line" && p.marks?.length));
  const tensors = needsTensors ? recordedTensors(runDir, manifest) : { dir: runDir, runs: [], records: [] };
  const plots = plan && results ? await drawPlots(runDir, plan, results, tensors, sources.analysisFunctions) : [];
  const html = reportPage({
    manifest,
    profile,
    source,
    seeds: plan?.seeds ?? manifest.seeds,
    totalSteps,
    expects: verdicts.expects,
    analysisErrors: verdicts.analysisErrors,
    figures: plots.map((p) => p.figure),
    partial: partialOf(runDir, manifest, plan),
    ...(sources.refreshSeconds === undefined ? {} : { refreshSeconds: sources.refreshSeconds }),
    figuresMissing: plan ? null : `This run directory has no ${REPORT_INPUT} (the plots' definitions), so no plots can be drawn; rerun with a current dync to get them.`,
    tensors: tensorFiles(runDir),
    extraFiles: plan && results ? [REPORT_INPUT] : [],
    unreadable,
  });
  const path = runPaths(runDir).report;
  writeFileAtomic(path, html);
  return { path, plots: plots.map((p) => p.outcome), unreadable };
}

/** Each run's scheduled length as the manifest records it (known once its data is built). */
function recordedSteps(manifest: Manifest): Record<string, number> {
  return Object.fromEntries(manifest.runs.filter((r) => r.steps !== undefined).map((r) => [r.run, r.steps!]));
}

/**
 * What a report of a run that has not finished lacks: the runs of its plan (of its shard) that did not
 * finish, each with why; null for a finished run. A `running` directory may also be one whose process was
 * killed before it could record its end: the page says when its files were last written.
 */
export function partialOf(runDir: string, manifest: Manifest, plan: ProfilePlan | null): PartialRun | null {
  if (manifest.status !== "running" && manifest.status !== "interrupted") return null;
  const expected = manifest.shard?.runs ?? plan?.runs.map((r) => r.id) ?? manifest.runs.map((r) => r.run);
  const recorded = new Map(manifest.runs.map((r) => [r.run, r]));
  const missing = expected.flatMap((run) => {
    const entry = recorded.get(run);
    // While training, a run a worker finished waits to be recorded until the runs before it are.
    if (!entry) return [{ run, why: manifest.status === "running" ? "not recorded yet" : "not started" }];
    if (entry.status === "running") return [{ run, why: "in training" }];
    if (entry.status === "interrupted") return [{ run, why: entry.message ?? "interrupted" }];
    return [];
  });
  const files = [runPaths(runDir).metricsJsonl, runPaths(runDir).manifest].filter((f) => existsSync(f));
  const lastWritten = Math.max(...files.map((f) => statSync(f).mtimeMs));
  return { status: manifest.status, planned: expected.length, missing, lastWritten: Number.isFinite(lastWritten) ? new Date(lastWritten).toISOString() : null };
}

/** Rebuilds report.html from the run directory alone, without re-running anything. */
export function rebuildReport(runDir: string, analysisFunctions?: AnalysisFunctions): Promise<ReportResult> {
  return writeReport(runDir, analysisFunctions ? { analysisFunctions } : {});
}

/** The run's own verdicts when it recorded them; otherwise evaluated now from the plan and the results. */
function chooseVerdicts(
  sources: ReportSources,
  manifest: Manifest,
  stored: ReportInput | null,
  plan: ProfilePlan | null,
  results: ResultTable | null,
): { expects: readonly ExpectOutcome[] | null; analysisErrors: readonly string[] } {
  if (sources.outcome) return { expects: sources.outcome.expects, analysisErrors: sources.outcome.analysisErrors ?? [] };
  const inManifest = manifest as Manifest & { expects?: ExpectOutcome[]; analysisErrors?: string[] };
  if (inManifest.expects) return { expects: inManifest.expects, analysisErrors: inManifest.analysisErrors ?? [] };
  if (stored && !(sources.plan || sources.program)) return { expects: stored.expects, analysisErrors: stored.analysisErrors };
  if (plan && results) {
    const evaluation = evaluateProfile(plan, results, sources.analysisFunctions);
    return { expects: evaluation.expects, analysisErrors: evaluation.errors.map(formatAnalysisError) };
  }
  return { expects: null, analysisErrors: [] };
}

/** Evaluates the analyses (plots may use them), then draws every plot; one plot's failure does not stop the others. */
async function drawPlots(runDir: string, plan: ProfilePlan, results: ResultTable, recorded: RecordedTensors, functions?: AnalysisFunctions): Promise<{ figure: FigureEntry; outcome: PlotOutcome }[]> {
  if (plan.plots.length === 0) return [];
  const env = new ResultEnv(plan, results, functions);
  for (const analysis of plan.analyses) {
    try {
      env.lets.set(analysis.name, evaluate(analysis.expr, env));
    } catch (error) {
      if (!(error instanceof DyncRuntimeError)) throw error;
      env.failed.set(analysis.name, error);
    }
  }
  const dir = runPaths(runDir).plots;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw unwritable(dir, error);
  }
  const names = plotNames(plan.plots);
  const out: { figure: FigureEntry; outcome: PlotOutcome }[] = [];
  const drawn = readDrawnSpecs(dir);
  const keys: Record<string, string> = {};
  for (const [i, spec] of plan.plots.entries()) {
    const name = names[i]!;
    try {
      const svgPath = join(dir, `${name}.svg`);
      const pngPath = join(dir, `${name}.png`);
      const vl = plotToVegaLite(spec, evaluatePlotTables(spec, env, recorded));
      const key = specKey(vl);
      const svg = (drawn[name] === key ? readIfExists(svgPath) : undefined) ?? (await renderSvg(vl));
      keys[name] = key;
      if (!unchangedFigure(svgPath, pngPath, svg)) {
        writeFile(svgPath, svg);
        writeFile(pngPath, renderPng(svg));
        await releaseRenderedImages();
      }
      out.push({
        figure: { name, text: spec.text, line: spec.line, svg, files: [`plots/${name}.svg`, `plots/${name}.png`], error: null },
        outcome: { name, line: spec.line, svg: svgPath, png: pngPath, error: null },
      });
    } catch (error) {
      const message = error instanceof DyncRuntimeError ? error.oneLine() : `internal error: ${(error as Error).message}`;
      out.push({ figure: { name, text: spec.text, line: spec.line, svg: null, files: [], error: message }, outcome: { name, line: spec.line, svg: null, png: null, error: message } });
    }
  }
  writeFile(join(dir, DRAWN_SPECS), `${JSON.stringify(keys)}\n`);
  return out;
}

/**
 * plots/.drawn.json: each figure's Vega-Lite spec hash when its SVG was drawn. A figure whose spec (data,
 * encodings, titles: everything Vega draws from) hashes the same is not drawn again: its SVG is read back,
 * and Vega is never loaded when no figure changed (`dync report` of a finished run, a `--watch` rebuild
 * with nothing new): ~0.15 s of CPU of a two-plot report. RENDER_FORMAT is part of the hash: bump it when
 * the SVG made from a spec changes (report/plots.ts renderSvg's post-processing, the Vega versions).
 */
const DRAWN_SPECS = ".drawn.json";
const RENDER_FORMAT = "dync-svg-1 (vega 6.4.0, vega-lite 6.4.3)";

function specKey(spec: unknown): string {
  const text = JSON.stringify(spec, (_key, value: unknown) => (typeof value === "number" && !Number.isFinite(value) ? `\u0000${value}` : value));
  return createHash("sha256").update(RENDER_FORMAT).update(text).digest("hex");
}

function readDrawnSpecs(dir: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, DRAWN_SPECS), "utf8")) as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
  } catch {
    return {}; // none yet, or unreadable: draw every figure
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Whether plots/NAME.svg already holds exactly this SVG and its PNG was written after it: the PNG is a
 * function of the SVG alone, so rasterising it again (~35 ms a plot) would rewrite the same file. This is
 * what a `dync report` of a finished run, or a `--watch` rebuild of plots whose data did not change, meets.
 */
function unchangedFigure(svgPath: string, pngPath: string, svg: string): boolean {
  try {
    return statSync(pngPath).mtimeMs >= statSync(svgPath).mtimeMs && readFileSync(svgPath, "utf8") === svg;
  } catch {
    return false; // either file missing or unreadable: write both
  }
}

/** File names `01-training-loss`, `02-loglog-median-loss`…: numbered in statement order, then a slug. */
export function plotNames(plots: readonly PlotSpec[]): string[] {
  return plots.map((p, i) => {
    const label = p.title ?? `${p.kind} ${"yLabel" in p ? p.yLabel : p.label}`;
    // Cut to 48 characters before trimming dashes, so a cut at a word break leaves no trailing dash.
    const slug = label.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").slice(0, 48).replace(/^-+|-+$/g, "");
    return `${String(i + 1).padStart(2, "0")}-${slug || p.kind}`;
  });
}

/** Served files are replaced whole: a `--watch` reader streaming the old one never gets half of each. */
function writeFile(path: string, data: string | Buffer): void {
  writeFileAtomic(path, data);
}
