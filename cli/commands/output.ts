/** Printing diagnostics for the terminal or for tools, shared by every command. */
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { diagnosticToJson, renderDiagnostic } from "../../diagnostics/render.js";
import type { SourceFile } from "../../diagnostics/source.js";

/** Per file, more than this many diagnostics are summarised: past it they are mostly cascades. */
export const MAX_PRINTED = 100;

export interface Output {
  readonly format: "text" | "json";
  readonly color: boolean;
  write(text: string): void;
}

/** Print one file's diagnostics, with code frames from `sources` (by path) or one source. */
export function printDiagnostics(out: Output, diagnostics: readonly Diagnostic[], sources: SourceFile | ReadonlyMap<string, SourceFile> | undefined): void {
  const sourceOf = (d: Diagnostic) => (sources instanceof Map ? sources.get(d.span.file) : (sources as SourceFile | undefined));
  if (out.format === "json") {
    for (const d of diagnostics) out.write(JSON.stringify(diagnosticToJson(d)) + "\n");
    return;
  }
  const shown = diagnostics.slice(0, MAX_PRINTED);
  for (const d of shown) out.write(renderDiagnostic(d, sourceOf(d), { color: out.color }) + "\n\n");
  if (diagnostics.length > shown.length) out.write(`… and ${diagnostics.length - shown.length} more diagnostics in this file\n\n`);
}

export function summary(errors: number, warnings: number, files: number): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")} in ${plural(files, "file")}`;
}
