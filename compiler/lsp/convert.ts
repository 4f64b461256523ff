/** Compiler values in LSP terms: spans (1-based line:col) to 0-based ranges, diagnostics to LSP diagnostics. */
import { pathToFileURL } from "node:url";
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type Range } from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import type { Span } from "../../diagnostics/source.js";

/** A span's range: LSP counts lines and UTF-16 columns from 0; spans count both from 1. */
export function rangeOfSpan(span: Span): Range {
  return { start: { line: span.line - 1, character: span.col - 1 }, end: { line: span.endLine - 1, character: span.endCol - 1 } };
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

/** The URI of a span's file (paths become file: URIs; untitled: and other URIs pass through). */
export function uriOfPath(path: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path) ? path : pathToFileURL(path).href;
}

/** One compiler diagnostic as the editor shows it: same code, message and range as `dync check`. */
export function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  return {
    range: rangeOfSpan(d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: "dync",
    message: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
    ...(d.related?.length ? { relatedInformation: d.related.map((r) => ({ location: { uri: uriOfPath(r.span.file), range: rangeOfSpan(r.span) }, message: r.message })) } : {}),
  };
}

/**
 * The diagnostics to show in the file at `path`: its own, plus those found in files it imports, placed on
 * the import that brought them in (the editor shows one file at a time).
 */
export function diagnosticsForFile(path: string, diagnostics: readonly Diagnostic[], imports: readonly A.ImportStmt[]): LspDiagnostic[] {
  const own = diagnostics.filter((d) => d.span.file === path).map(toLspDiagnostic);
  const foreign = diagnostics.filter((d) => d.span.file !== path);
  if (foreign.length === 0 || imports.length === 0) return own;
  const at = imports[0]!.path.span;
  const moved = foreign.map((d) => ({
    ...toLspDiagnostic(d),
    range: rangeOfSpan(importFor(d, imports) ?? at),
    message: `in ${d.span.file}:${d.span.line}:${d.span.col}: ${d.message}`,
  }));
  return [...own, ...moved];
}

function importFor(d: Diagnostic, imports: readonly A.ImportStmt[]): Span | undefined {
  const base = (p: string) => p.replace(/^.*[\\/]/, "");
  return imports.find((i) => base(i.path.value) === base(d.span.file))?.path.span;
}
