/** Document formatting with the `dync fmt` printer; a file with syntax errors is left as it is. */
import type { TextEdit } from "vscode-languageserver";
import type { ParseResult } from "../../grammar/parse.js";
import { formatProgram } from "../format.js";
import type { DocumentState } from "./document.js";

/** One whole-document edit to the canonical layout, or none (already formatted, or syntax errors). */
export function formattingEdits(state: DocumentState): TextEdit[] {
  const parsed: ParseResult = state.parsed();
  if (parsed.diagnostics.some((d) => d.severity === "error")) return [];
  const formatted = formatProgram(parsed.program, parsed.source);
  if (formatted === state.text) return [];
  return [{ range: { start: { line: 0, character: 0 }, end: state.doc.positionAt(state.text.length) }, newText: formatted }];
}
