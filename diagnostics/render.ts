import type { Diagnostic } from "./diagnostic.js";
import type { SourceFile } from "./source.js";

export interface RenderOptions {
  /** ANSI colours (for terminals). */
  color?: boolean;
  /** Path shown in the header; defaults to the span's file. */
  displayPath?: string;
}

const MAX_FRAME_WIDTH = 100;
const MAX_FRAME_LINES = 4;

/**
 * `file:line:col: error DYN1101: message`, then a code frame of the spanned lines with a `^~~~`
 * underline, then related notes and the hint.
 */
export function renderDiagnostic(d: Diagnostic, source: SourceFile | undefined, options: RenderOptions = {}): string {
  const paint = painter(options.color ?? false);
  const where = `${options.displayPath ?? d.span.file}:${d.span.line}:${d.span.col}`;
  const sev = d.severity === "error" ? paint.red("error") : d.severity === "warning" ? paint.yellow("warning") : paint.blue("info");
  const out = [`${paint.bold(where)}: ${sev} ${paint.bold(d.code)}: ${d.message}`];
  if (source) out.push(...codeFrame(source, d.span.start, d.span.end, paint));
  for (const r of d.related ?? []) {
    out.push(`  note: ${r.message} (${r.span.file}:${r.span.line}:${r.span.col})`);
    if (source && r.span.file === source.path) out.push(...codeFrame(source, r.span.start, r.span.end, paint));
  }
  if (d.hint) out.push(`  = hint: ${d.hint}`);
  return out.join("\n");
}

export function renderDiagnostics(ds: readonly Diagnostic[], sources: ReadonlyMap<string, SourceFile>, options: RenderOptions = {}): string {
  return ds.map((d) => renderDiagnostic(d, sources.get(d.span.file), options)).join("\n\n");
}

/** The JSON form for tools (`--format json`): one object per diagnostic, 1-based lines and columns. */
export function diagnosticToJson(d: Diagnostic): object {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.span.file,
    range: { start: { line: d.span.line, col: d.span.col, offset: d.span.start }, end: { line: d.span.endLine, col: d.span.endCol, offset: d.span.end } },
    ...(d.hint ? { hint: d.hint } : {}),
    ...(d.related ? { related: d.related.map((r) => ({ message: r.message, file: r.span.file, line: r.span.line, col: r.span.col })) } : {}),
  };
}

function codeFrame(source: SourceFile, start: number, end: number, paint: Painter): string[] {
  const first = source.position(start);
  const last = source.position(Math.max(start, end - 1));
  const lastLine = Math.min(last.line, first.line + MAX_FRAME_LINES - 1);
  const gutter = String(lastLine).length;
  const lines: string[] = [];
  for (let line = first.line; line <= lastLine; line++) {
    const text = source.lineText(line);
    const from = line === first.line ? first.col - 1 : firstNonSpace(text);
    const to = line === last.line ? Math.max(from + 1, last.col) : Math.max(from + 1, text.length);
    const { shown, offset } = window(text, from, to);
    const visible = printable(shown);
    lines.push(`${paint.dim(`${String(line).padStart(gutter)} |`)} ${visible}`);
    const pad = printable(shown.slice(0, from - offset)).replace(/[^\t]/g, " ");
    const width = Math.max(1, Math.min(to, offset + shown.length) - from);
    const mark = line === first.line ? "^" + "~".repeat(width - 1) : "~".repeat(width);
    lines.push(`${paint.dim(`${" ".repeat(gutter)} |`)} ${pad}${paint.red(mark)}`);
  }
  if (lastLine < last.line) lines.push(`${" ".repeat(gutter)} | …`);
  return lines;
}

/** A slice of a long line around the marked columns, so a 10 MB line does not flood the terminal. */
function window(text: string, from: number, to: number): { shown: string; offset: number } {
  if (text.length <= MAX_FRAME_WIDTH) return { shown: text, offset: 0 };
  const offset = Math.max(0, Math.min(from - 20, text.length - MAX_FRAME_WIDTH));
  return { shown: text.slice(offset, offset + Math.max(MAX_FRAME_WIDTH, to - offset)).slice(0, MAX_FRAME_WIDTH * 2), offset };
}

function firstNonSpace(text: string): number {
  const m = /\S/.exec(text);
  return m ? m.index : 0;
}

/** Control characters would break the frame's alignment; show them as one visible character each. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/g, "·");
}

type Painter = Record<"red" | "yellow" | "blue" | "bold" | "dim", (s: string) => string>;

function painter(color: boolean): Painter {
  const wrap = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap("31"), yellow: wrap("33"), blue: wrap("34"), bold: wrap("1"), dim: wrap("2") };
}
