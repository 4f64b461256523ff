/**
 * `dync fmt FILE...`: print the canonical layout; `-w` rewrites files in place, `--check` lists files that
 * are not formatted (exit 1). A file with syntax errors is never rewritten: its diagnostics are printed.
 */
import { writeFileSync } from "node:fs";
import { parse } from "../../grammar/parse.js";
import { formatProgram } from "../../compiler/format.js";
import { readSource } from "../../compiler/read-source.js";
import { printDiagnostics, type Output } from "./output.js";

export interface FmtOptions {
  readonly write: boolean;
  readonly check: boolean;
}

export function fmtCommand(files: readonly string[], options: FmtOptions, out: Output): number {
  let status = 0;
  for (const file of files) {
    const read = readSource(file);
    if (!read.ok) {
      printDiagnostics(out, [read.diagnostic], undefined);
      status = 1;
      continue;
    }
    const parsed = parse(read.text, file);
    const errors = parsed.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      printDiagnostics(out, parsed.diagnostics, parsed.source);
      status = 1;
      continue;
    }
    const formatted = formatProgram(parsed.program, parsed.source);
    if (options.check) {
      if (formatted !== read.text) {
        out.write(`${file}: not formatted\n`);
        status = 1;
      }
    } else if (options.write) {
      if (formatted !== read.text) writeFileSync(file, formatted);
    } else {
      out.write(formatted);
    }
  }
  return status;
}
