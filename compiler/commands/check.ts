/** `dync check FILE...`: report every diagnostic; exit 0 when there are no errors, 1 otherwise. */
import { parse } from "../../grammar/parse.js";
import { readSource } from "../read-source.js";
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
    const { diagnostics, source } = parse(read.text, file);
    printDiagnostics(out, diagnostics, source);
    errors += diagnostics.filter((d) => d.severity === "error").length;
    warnings += diagnostics.filter((d) => d.severity === "warning").length;
  }
  if (out.format === "text") out.write(`${summary(errors, warnings, files.length)}\n`);
  return errors > 0 ? 1 : 0;
}
