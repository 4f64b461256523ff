/** `dync check FILE...`: every syntax, name, type and plan diagnostic; exit 0 without errors, 1 with. */
import { checkSource } from "../../compiler/check/index.js";
import { readSource } from "../../compiler/read-source.js";
import { printDiagnostics, summary, type Output } from "./output.js";

export function checkCommand(files: readonly string[], out: Output): number {
  let errors = 0;
  let warnings = 0;
  for (const file of files) {
    const read = readSource(file);
    if (!read.ok) {
      printDiagnostics(out, [read.diagnostic], undefined);
      errors++;
      continue;
    }
    const { diagnostics, sources } = checkSource(read.text, file);
    printDiagnostics(out, diagnostics, sources);
    errors += diagnostics.filter((d) => d.severity === "error").length;
    warnings += diagnostics.filter((d) => d.severity === "warning").length;
  }
  if (out.format === "text") out.write(`${summary(errors, warnings, files.length)}\n`);
  return errors > 0 ? 1 : 0;
}
