/**
 * `dync run FILE [flags]`: compile and run in one step. The generated program is the same one
 * `dync compile` writes (so both paths produce the same results); it is written to a temporary
 * directory, imports the runtime by absolute URL, and every experiment in it runs from this process
 * (its runs on `--jobs` worker threads, which import the same temporary module).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ExperimentSummary, runExperiments } from "../../runner/index.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { compileFile, type CompileOptions } from "../../compiler/compile.js";
import { packageInfo } from "../../compiler/package-info.js";
import { printDiagnostics, type Output } from "./output.js";
import { UsageError } from "../cli-args.js";
import { EXIT } from "../../runner/exit-codes.js";

/**
 * Flags passed through to the program (`--profile quick`, `--backend wasm`, …). With `--format json`,
 * stdout holds only JSON: the diagnostics, one object per line, then one summary object (`runSummary`);
 * the progress, expect and report lines go to stderr.
 */
export async function runCommand(file: string, programArgs: readonly string[], out: Output, err: (text: string) => void, overrides?: CompileOptions["overrides"]): Promise<number> {
  const summaries: ExperimentSummary[] = [];
  const code = await compileAndRun(file, programArgs, out, err, overrides, summaries);
  if (out.format === "json") out.write(`${JSON.stringify(runSummary(code, summaries))}\n`);
  return code;
}

/** What `dync run --format json` prints last: the exit code and each experiment's summary (docs/run-directory.md). */
export function runSummary(exitCode: number, experiments: readonly ExperimentSummary[]): { type: "summary"; exitCode: number; experiments: readonly ExperimentSummary[] } {
  return { type: "summary", exitCode, experiments };
}

async function compileAndRun(file: string, programArgs: readonly string[], out: Output, err: (text: string) => void, overrides: CompileOptions["overrides"], summaries: ExperimentSummary[]): Promise<number> {
  const runtimeUrl = pathToFileURL(join(packageInfo().root, "dist", "runner", "index.js")).href;
  const result = await compileFile(file, { runtimeImport: runtimeUrl, ...(overrides?.args.length ? { overrides } : {}) });
  if (!result.ok) {
    printDiagnostics(out, result.diagnostics, result.check?.sources);
    return EXIT.input;
  }
  printDiagnostics(out, result.check.diagnostics, result.check.sources);
  const dir = mkdtempSync(join(tmpdir(), "dync-run-"));
  try {
    const modulePath = join(dir, "program.mjs");
    writeFileSync(modulePath, result.js);
    const moduleUrl = pathToFileURL(modulePath).href;
    const module = (await import(moduleUrl)) as { experiments: readonly ExperimentProgram[] };
    const runtime = (await import(runtimeUrl)) as { runExperiments: typeof runExperiments };
    // The module URL lets `--jobs` workers import the same program (its targets are code, not data).
    const json = out.format === "json" ? { stdout: process.stderr, onSummary: (s: ExperimentSummary) => summaries.push(s) } : {};
    return await runtime.runExperiments(module.experiments, programArgs, { moduleUrl, ...json });
  } catch (error) {
    err(`internal error while running ${file}: ${(error as Error).message}\n`);
    return EXIT.internal;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The `.dyn` file a run directory was made from (its manifest's `source.file`), for `dync run --resume DIR`
 * without a file; UsageError when DIR has none. The plan hash check then catches an edited file.
 */
export function resumedFile(dir: string): string {
  const file = recordedSource(dir)?.file;
  if (typeof file === "string") return file;
  throw new UsageError(`${dir} has no readable manifest.json naming its .dyn file: give the file, \`dync run FILE --resume ${dir}\``);
}

/** The command-line overrides a run directory was made with (its manifest's `source.overrides`), for `--resume` without any. */
export function resumedOverrides(dir: string): string[] {
  const overrides = recordedSource(dir)?.overrides;
  return Array.isArray(overrides) && overrides.every((o) => typeof o === "string") ? overrides : [];
}

function recordedSource(dir: string): { file?: unknown; overrides?: unknown } | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { source?: { file?: unknown; overrides?: unknown } }).source;
  } catch {
    return undefined;
  }
}
