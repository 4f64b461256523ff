/**
 * Two run directories compared as the scale-out tests need: the files a run writes byte for byte, the
 * verdicts in the manifests, and the analyses evaluated afresh from each directory's own files.
 */
import { existsSync, readFileSync } from "node:fs";
import { expect } from "vitest";
import { join } from "node:path";
import { loadResults, readManifest, readReportInput, tensorFiles } from "../../report/run-files.js";
import { evaluateProfile } from "../../runtime/analysis/index.js";
import { analysisFunctions } from "../../stdlib/implementations.js";

export interface RunDirectoryComparison {
  readonly metricsCsv: boolean;
  readonly metricsJsonl: boolean;
  /** Tensor files of the expected directory; those missing from the other or differing in a byte. */
  readonly tensors: readonly string[];
  readonly tensorsDiffer: readonly string[];
  /** report-input.json (the plan, each run's steps, the verdicts) byte for byte. */
  readonly reportInput: boolean;
  /** results.json and results.csv (every let value and expect verdict) byte for byte, both present. */
  readonly results: boolean;
  /** The manifests' `expects` and `analysisErrors`. */
  readonly expects: boolean;
  /** Every analysis of the plan evaluated from each directory's files. */
  readonly analyses: boolean;
  /** Run ids and statuses, in manifest order. */
  readonly runs: readonly string[];
  readonly expectedRuns: readonly string[];
}

export function runDirectoriesEqual(expected: string, actual: string): RunDirectoryComparison {
  const bytes = (dir: string, file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file)) : null);
  const same = (file: string) => {
    const [a, b] = [bytes(expected, file), bytes(actual, file)];
    return a !== null && b !== null && a.equals(b);
  };
  const tensors = tensorFiles(expected);
  const [me, ma] = [readManifest(expected), readManifest(actual)];
  const verdicts = (m: object) => JSON.stringify([(m as { expects?: unknown }).expects, (m as { analysisErrors?: unknown }).analysisErrors]);
  return {
    metricsCsv: same("metrics.csv"),
    metricsJsonl: same("metrics.jsonl"),
    tensors,
    tensorsDiffer: [...tensors.filter((t) => !same(t)), ...tensorFiles(actual).filter((t) => !tensors.includes(t))],
    reportInput: same("report-input.json"),
    results: same("results.json") && same("results.csv"),
    expects: (me as { expects?: unknown }).expects !== undefined && verdicts(me) === verdicts(ma),
    analyses: analysesOf(expected) === analysesOf(actual),
    runs: ma.runs.map((r) => `${r.run}:${r.status}`),
    expectedRuns: me.runs.map((r) => `${r.run}:${r.status}`),
  };
}

/** The plan's analyses evaluated from the directory's metrics and tensors, serialised (NaN kept as text). */
function analysesOf(dir: string): string {
  const input = readReportInput(dir);
  if (!input) return "no report-input.json";
  const results = loadResults(dir, readManifest(dir), input.totalSteps, input.plan);
  const evaluation = evaluateProfile(input.plan, results, analysisFunctions);
  return JSON.stringify([...evaluation.analyses], (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v instanceof Map ? [...v] : v));
}

/** What "the same results" means: the files byte for byte, the verdicts and the analyses equal, the same runs. */
export function expectSameResults(c: RunDirectoryComparison): void {
  expect(c.metricsCsv).toBe(true);
  expect(c.metricsJsonl).toBe(true);
  expect(c.tensors.length).toBeGreaterThan(0);
  expect(c.tensorsDiffer).toEqual([]);
  expect(c.reportInput).toBe(true);
  expect(c.results).toBe(true);
  expect(c.expects).toBe(true);
  expect(c.analyses).toBe(true);
  expect(c.runs).toEqual(c.expectedRuns);
}
