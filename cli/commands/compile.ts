/** `dync compile FILE [-o out.js] [--emit-ts]`: write the generated program (type-checked). */
import { realpathSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { SourceFile } from "../../diagnostics/source.js";
import { compileFile } from "../../compiler/compile.js";
import { printDiagnostics, type Output } from "./output.js";

export interface CompileCommandOptions {
  readonly out: string;
  readonly emitTs: boolean;
}

export async function compileCommand(file: string, options: CompileCommandOptions, out: Output, err: (text: string) => void): Promise<number> {
  if (overwritesSource(options, [file], out)) return 2;
  const result = await compileFile(file, { typeCheck: true });
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
