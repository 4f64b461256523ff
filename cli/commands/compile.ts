/**
 * `dync compile FILE [-o out.js] [--emit-ts] [--profile P] [KEY=VALUE…]`: write the generated program
 * (type-checked), with command-line overrides of profile P laid over it as `dync run` lays them.
 */
import { realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { packageInfo } from "../../compiler/package-info.js";
import type { CompileOptions } from "../../compiler/compile.js";
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { SourceFile } from "../../diagnostics/source.js";
import { compileFile } from "../../compiler/compile.js";
import { printDiagnostics, type Output } from "./output.js";

export interface CompileCommandOptions {
  readonly out: string;
  readonly emitTs: boolean;
  /** `key=value` overrides of one profile (docs/language.md "Command-line overrides"). */
  readonly overrides?: CompileOptions["overrides"];
}

export async function compileCommand(file: string, options: CompileCommandOptions, out: Output, err: (text: string) => void): Promise<number> {
  if (overwritesSource(options, [file], out)) return 2;
  const runtimeImport = runtimeImportFor(options.out);
  const overrides = options.overrides?.args.length ? { overrides: options.overrides } : {};
  const result = await compileFile(file, { typeCheck: true, runtimeImport, ...overrides });
  if (!result.ok) {
    printDiagnostics(out, result.diagnostics, result.check?.sources);
    return 1;
  }
  printDiagnostics(out, result.check.diagnostics, result.check.sources);
  if (result.typeProblems.length > 0) {
    err(`internal error: the generated program does not type-check (a dync bug; please report it):\n`);
    for (const p of result.typeProblems) err(`  generated line ${p.line}: ${p.message}\n`);
    return 70;
  }
  // Imported sources are known only now.
  if (overwritesSource(options, [file, ...result.check.sources.keys()], out)) return 2;
  const tsPath = outputPaths(options).ts;
  try {
    writeFileSync(options.out, result.js);
    if (options.emitTs) writeFileSync(tsPath, result.ts);
  } catch (error) {
    err(`dync: cannot write \`${options.out}\`: ${(error as Error).message}\n`);
    return 1;
  }
  err(`wrote ${options.out}${options.emitTs ? ` and ${tsPath}` : ""}\n`);
  return 0;
}

/**
 * How a program written to `outFile` imports the runtime (README.md, "Compiled programs"): by the package
 * name, `dync/runtime`, when Node resolves that name from the program's folder to this very dync (dync is
 * installed in the project, or the program is inside this checkout), so the program moves with its project;
 * else this dync's runtime by absolute file URL, so that `node out.js` runs from anywhere on this machine
 * (a bare name would fail there with ERR_MODULE_NOT_FOUND).
 */
export function runtimeImportFor(outFile: string): string {
  const own = join(packageInfo().root, "dist", "runner", "index.js");
  try {
    const resolved = createRequire(join(dirname(resolve(outFile)), "program.js")).resolve("dync/runtime");
    if (realpathSync(resolved) === realpathSync(own)) return "dync/runtime";
  } catch {
    // not resolvable from there: the absolute URL below
  }
  return pathToFileURL(own).href;
}

function outputPaths(options: CompileCommandOptions): { js: string; ts: string } {
  return { js: options.out, ts: options.out.replace(/\.m?js$/, "") + ".ts" };
}

/** DYN4012 when an output path is one of `sources`: `-o X.dyn` must not replace the program's source. */
function overwritesSource(options: CompileCommandOptions, sources: readonly string[], out: Output): boolean {
  const { js, ts } = outputPaths(options);
  const clobbered = [js, ...(options.emitTs ? [ts] : [])].find((o) => sources.some((src) => samePath(o, src)));
  if (clobbered) printDiagnostics(out, [diagnostic("DYN4012", new SourceFile(clobbered, "").span(0, 0), { path: clobbered })], undefined);
  return clobbered !== undefined;
}

/** Whether two paths name the same file (through symlinks when they exist). */
function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}
