/** `dync compile FILE [-o out.js] [--emit-ts]`: write the generated program (type-checked). */
import { writeFileSync } from "node:fs";
import { compileFile } from "../../compiler/compile.js";
import { printDiagnostics, type Output } from "./output.js";

export interface CompileCommandOptions {
  readonly out: string;
  readonly emitTs: boolean;
}

export async function compileCommand(file: string, options: CompileCommandOptions, out: Output, err: (text: string) => void): Promise<number> {
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
  const tsPath = options.out.replace(/\.m?js$/, "") + ".ts";
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
