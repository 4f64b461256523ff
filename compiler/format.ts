/**
 * `dync fmt`: the canonical layout of a `.dyn` file (rules in docs/formatting.md). The printer works from
 * the syntax tree and the comment list, never from the source layout, except in two places: blank lines
 * between statements are kept (at most one), and comments stay where they were relative to the statements.
 */
import type { Program } from "../grammar/ast.js";
import type { SourceFile } from "../diagnostics/source.js";
import { printDoc } from "./format/doc.js";
import { programDoc } from "./format/statements.js";

/** Lines longer than this break call arguments and lists one per line. */
export const LINE_WIDTH = 100;

/** The canonical text of a parsed file (`source` is the text it was parsed from, for comments and blank lines). */
export function formatProgram(program: Program, source: SourceFile): string {
  const comments = [...program.comments].sort((a, b) => a.span.start - b.span.start);
  return printDoc(programDoc(program, { source, comments }), LINE_WIDTH);
}
