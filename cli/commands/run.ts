/**
 * `dync run FILE [flags]`: compile and run in one step. The generated program is the same one
 * `dync compile` writes (so both paths produce the same results), importing the runtime by absolute URL.
 * It is kept in the program cache (cli/program-cache.ts): the file is checked on every run, so its
 * diagnostics are always current, but code is generated (ts-morph, prettier, TypeScript: seconds) only
 * when the cache has no program for these inputs. Every experiment in it runs from this process (its runs
 * on `--jobs` worker threads, which import the same module file).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ExperimentSummary, runExperiments } from "../../runner/index.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { checkFile, generateProgram, type CheckedFile, type CompileOptions } from "../../compiler/compile.js";
import { packageInfo } from "../../compiler/package-info.js";
import { printDiagnostics, type Output } from "./output.js";
import { UsageError } from "../cli-args.js";
import { EXIT } from "../../runner/exit-codes.js";
import { cachedProgram, programCacheDir, programKey, storeProgram } from "../program-cache.js";

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
  const options = { runtimeImport: runtimeUrl, ...(overrides?.args.length ? { overrides } : {}) };
  const checked = checkFile(file, options);
  if (!checked.ok) {
    printDiagnostics(out, checked.diagnostics, checked.check?.sources);
    return EXIT.input;
  }
  printDiagnostics(out, checked.check.diagnostics, checked.check.sources);
  // Notes for people go where the run's own lines go: stderr when stdout is for JSON.
  const notice = programArgs.includes("--quiet") ? () => {} : out.format === "json" ? err : (text: string) => out.write(text);
  const program = await programModule(checked, options, notice);
  try {
    const moduleUrl = pathToFileURL(program.path).href;
    const module = (await import(moduleUrl)) as { experiments: readonly ExperimentProgram[] };
    const runtime = (await import(runtimeUrl)) as { runExperiments: typeof runExperiments };
    // The module URL lets `--jobs` workers import the same program (its targets are code, not data).
    const json = out.format === "json" ? { stdout: process.stderr, onSummary: (s: ExperimentSummary) => summaries.push(s) } : {};
    return await runtime.runExperiments(module.experiments, programArgs, { moduleUrl, ...json });
  } catch (error) {
    err(`internal error while running ${file}: ${(error as Error).message}\n`);
    return EXIT.internal;
  } finally {
    program.release();
  }
}

/**
 * The generated program's module file: the cached one, or one generated now (and cached). `release` removes
 * it when the cache could not hold it and it went to a temporary directory. The key holds the overrides
 * (they change the program); the profile and the other run flags are arguments of the one program.
 */
async function programModule(checked: Extract<CheckedFile, { ok: true }>, options: CompileOptions & { runtimeImport: string }, notice: (text: string) => void): Promise<{ path: string; release: () => void }> {
  const dir = programCacheDir();
  const key = programKey({ source: checked.source, displayPath: checked.displayPath, sourceDir: checked.sourceDir, runtimeImport: options.runtimeImport, options: options.overrides ?? null });
  const hit = cachedProgram(dir, key);
  if (hit) return { path: hit, release: () => {} };
  // Printed before the code generator loads, so the seconds it takes are not silent.
  notice(`compiling ${checked.displayPath} (the program is cached for the next runs)\n`);
  const { js } = await generateProgram(checked, options);
  const stored = storeProgram(dir, key, js);
  if (stored) return { path: stored, release: () => {} };
  const temporary = mkdtempSync(join(tmpdir(), "dync-run-"));
  const path = join(temporary, "program.mjs");
  writeFileSync(path, js);
  return { path, release: () => rmSync(temporary, { recursive: true, force: true }) };
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
