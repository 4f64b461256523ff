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
import type { runExperiments } from "../../runner/index.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { checkFile, generateProgram, type CheckedFile } from "../../compiler/compile.js";
import { packageInfo } from "../../compiler/package-info.js";
import { printDiagnostics, type Output } from "./output.js";
import { UsageError } from "../cli-args.js";
import { cachedProgram, programCacheDir, programKey, storeProgram } from "../program-cache.js";

/** Flags passed through to the program (`--profile quick`, `--backend wasm`, …). */
export async function runCommand(file: string, programArgs: readonly string[], out: Output, err: (text: string) => void): Promise<number> {
  const runtimeUrl = pathToFileURL(join(packageInfo().root, "dist", "runner", "index.js")).href;
  const checked = checkFile(file);
  if (!checked.ok) {
    printDiagnostics(out, checked.diagnostics, checked.check?.sources);
    return 2;
  }
  printDiagnostics(out, checked.check.diagnostics, checked.check.sources);
  const notice = programArgs.includes("--quiet") ? () => {} : (text: string) => out.write(text);
  const program = await programModule(checked, runtimeUrl, notice);
  try {
    const moduleUrl = pathToFileURL(program.path).href;
    const module = (await import(moduleUrl)) as { experiments: readonly ExperimentProgram[] };
    const runtime = (await import(runtimeUrl)) as { runExperiments: typeof runExperiments };
    // The module URL lets `--jobs` workers import the same program (its targets are code, not data).
    return await runtime.runExperiments(module.experiments, programArgs, { moduleUrl });
  } catch (error) {
    err(`internal error while running ${file}: ${(error as Error).message}\n`);
    return 70;
  } finally {
    program.release();
  }
}

/**
 * The generated program's module file: the cached one, or one generated now (and cached). `release` removes
 * it when the cache could not hold it and it went to a temporary directory.
 */
async function programModule(checked: Extract<CheckedFile, { ok: true }>, runtimeImport: string, notice: (text: string) => void): Promise<{ path: string; release: () => void }> {
  const dir = programCacheDir();
  const key = programKey({ source: checked.source, displayPath: checked.displayPath, runtimeImport });
  const hit = cachedProgram(dir, key);
  if (hit) return { path: hit, release: () => {} };
  // Printed before the code generator loads, so the seconds it takes are not silent.
  notice(`compiling ${checked.displayPath} (the program is cached for the next runs)\n`);
  const { js } = await generateProgram(checked, { runtimeImport });
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
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { source?: { file?: unknown } };
    if (typeof manifest.source?.file === "string") return manifest.source.file;
  } catch {
    // reported below
  }
  throw new UsageError(`${dir} has no readable manifest.json naming its .dyn file: give the file, \`dync run FILE --resume ${dir}\``);
}
