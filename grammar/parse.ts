/**
 * Source text → tokens → AST, with every lexical and syntax problem turned into a coded diagnostic.
 * Never throws on any input: the result always holds a (possibly partial) program.
 */
import { createTokenInstance, type IToken, type TokenType } from "./chevrotain.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { SourceFile } from "../diagnostics/source.js";
import type * as A from "./ast.js";
import { dynLexer } from "./lexer.js";
import { limitTree } from "./limits.js";
import { parserInstance } from "./parser.js";
import { syntaxDiagnostics } from "./syntax-errors.js";
import * as T from "./tokens.js";

export interface ParseResult {
  readonly program: A.Program;
  readonly diagnostics: readonly Diagnostic[];
  readonly source: SourceFile;
  /** The tokens the parser saw (comments excluded), for editors. */
  readonly tokens: readonly IToken[];
}

/** Bracket nesting beyond this is refused: no real experiment comes close, and the parser recurses. */
export const MAX_NESTING = 64;

/** Syntax errors phrased per file; the count is still exact in the parser, the rest are cascades. */
export const MAX_SYNTAX_ERRORS = 1000;

/** Parse one `.dyn` source text. `path` is used in spans and messages. */
export function parse(text: string, path = "<input>"): ParseResult {
  const source = new SourceFile(path, text);
  const diagnostics: Diagnostic[] = [];
  const tokens = lex(source, diagnostics);
  const comments = commentsOf(source, tokens.comments);
  const bounded = limitNesting(source, tokens.tokens, diagnostics);
  const parser = parserInstance;
  let program: A.Program;
  try {
    program = parser.parseProgram(bounded, source);
    // A file of pure garbage can yield hundreds of thousands of errors; past the first thousand they
    // are cascades nobody reads, and phrasing them all would take minutes.
    const errors = parser.errors.slice(0, MAX_SYNTAX_ERRORS);
    for (const d of syntaxDiagnostics(source, bounded, errors, parser.strays.slice(0, MAX_SYNTAX_ERRORS))) diagnostics.push(d);
    for (const e of parser.intervalArityErrors) diagnostics.push(diagnostic("DYN1108", e.span, { count: e.count }));
    for (const span of parser.emptyItems) diagnostics.push(diagnostic("DYN1109", span));
    limitTree(program, diagnostics);
  } catch (error) {
    // Deep unary chains (`- - - … x`) can still exhaust the stack; report it rather than crash.
    if (!(error instanceof RangeError)) throw error;
    program = { kind: "Program", items: [], comments: [], span: source.span(0, text.length) };
    diagnostics.push(diagnostic("DYN1107", source.span(0, Math.min(1, text.length)), { limit: MAX_NESTING }));
  }
  return { program: { ...program, comments }, diagnostics: dedupe(diagnostics), source, tokens: bounded };
}

/**
 * Parse `source.text[start, end)` as one expression, with spans in `source`: a command-line override's
 * value (`width=[8, 16]`), whose diagnostics point into the command line. Tokens after the expression are
 * a syntax error (DYN1101).
 */
export function parseExpressionAt(source: SourceFile, start: number, end: number): { expr: A.Expr | undefined; diagnostics: readonly Diagnostic[] } {
  // Lexed alone (a quoted value's inside is tokens, not a string), at its own offsets and lines: the
  // text around it blanked out.
  const blank = (text: string) => text.replace(/[^\n\r]/g, " ");
  const masked = new SourceFile(source.path, blank(source.text.slice(0, start)) + source.text.slice(start, end) + blank(source.text.slice(end)));
  const diagnostics: Diagnostic[] = [];
  const tokens = lex(masked, diagnostics).tokens;
  if (tokens.length === 0) return { expr: undefined, diagnostics: [...diagnostics, diagnostic("DYN1102", source.span(start, end), { expected: "a value", context: "", found: "nothing" })] };
  const parser = parserInstance;
  try {
    const { expr, rest } = parser.parseExpressionTokens(tokens, source);
    diagnostics.push(...syntaxDiagnostics(source, tokens, parser.errors.slice(0, MAX_SYNTAX_ERRORS), []));
    if (rest && parser.errors.length === 0) {
      diagnostics.push(diagnostic("DYN1101", source.span(rest.startOffset, T.tokenEnd(rest)), { expected: "the end of the value", context: "", found: `\`${rest.image}\`` }));
    }
    return { expr: diagnostics.length ? undefined : expr, diagnostics };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return { expr: undefined, diagnostics: [...diagnostics, diagnostic("DYN1107", source.span(start, start + 1), { limit: MAX_NESTING })] };
  }
}

interface Lexed {
  tokens: IToken[];
  comments: IToken[];
}

/** Tokenize, reporting bad characters, numbers, strings and comments, and repairing them for the parser. */
function lex(source: SourceFile, diagnostics: Diagnostic[]): Lexed {
  const result = dynLexer().tokenize(source.text);
  for (const e of result.errors) {
    const text = source.text.substr(e.offset, e.length);
    const first = String.fromCodePoint(text.codePointAt(0) ?? 0);
    diagnostics.push(diagnostic("DYN1001", source.span(e.offset, e.offset + first.length), { char: describeChar(first) }, CHAR_HINTS[first] ? { hint: CHAR_HINTS[first] } : {}));
  }
  const tokens: IToken[] = [];
  for (const t of result.tokens) {
    const span = source.span(t.startOffset, T.tokenEnd(t));
    if (t.tokenType === T.BadNumber) {
      diagnostics.push(diagnostic("DYN1003", span, { text: t.image, reason: badNumberReason(t.image) }));
      tokens.push(retype(t, T.NumberLiteral));
    } else if (t.tokenType === T.UnterminatedString) {
      diagnostics.push(diagnostic("DYN1002", span));
      tokens.push(retype(t, T.StringLiteral));
    } else if (t.tokenType === T.UnterminatedComment) {
      diagnostics.push(diagnostic("DYN1004", source.span(t.startOffset, t.startOffset + 2)));
    } else {
      if (t.tokenType === T.StringLiteral) checkEscapes(source, t, diagnostics);
      tokens.push(t);
    }
  }
  return { tokens, comments: (result.groups["comments"] ?? []) as IToken[] };
}

function retype(t: IToken, type: TokenType): IToken {
  return createTokenInstance(type, t.image, t.startOffset, T.tokenEnd(t) - 1, t.startLine ?? NaN, t.endLine ?? NaN, t.startColumn ?? NaN, t.endColumn ?? NaN);
}

function badNumberReason(text: string): string {
  if (/^\d+(\.\d+)?[eE][+-]?$/.test(text)) return "the exponent has no digits";
  if (/\d\.\d+\./.test(text)) return "a number has at most one decimal point";
  if (/^\d+(\.\d+)?([eE][+-]?\d+)?[kM][A-Za-z0-9_]/.test(text)) return "a count suffix `k` or `M` must end the number";
  return "a number cannot run straight into letters; put an operator or a space between them";
}

function checkEscapes(source: SourceFile, t: IToken, diagnostics: Diagnostic[]): void {
  const re = /\\(u\{[0-9a-fA-F]{1,6}\}|.)/g;
  for (const m of t.image.matchAll(re)) {
    const esc = m[1]!;
    if (["n", "t", '"', "\\"].includes(esc) || esc.startsWith("u{")) continue;
    const at = t.startOffset + m.index!;
    diagnostics.push(diagnostic("DYN1005", source.span(at, at + m[0].length), { escape: m[0] }));
  }
}

/** Characters people bring from other languages, and what `.dyn` uses instead. */
const CHAR_HINTS: Record<string, string> = {
  "'": 'strings use double quotes: "common.dyn"',
  "#": "comments start with `//` (or `/* … */`)",
  "@": "there are no decorators; parameters are written `name: value` inside calls",
  "&": "logical and is written `and`",
  "|": "logical or is written `or`",
  "!": "negation is written `not`; inequality `!=`",
  "\\": "a backslash is only allowed inside strings, as an escape",
};

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (code < 0x20 || code === 0x7f || code === 0xfffd) return hex;
  return `\`${ch}\` (${hex})`;
}

function commentsOf(source: SourceFile, tokens: readonly IToken[]): A.Comment[] {
  return tokens.map((t) => ({
    kind: "Comment",
    text: t.image,
    block: t.tokenType === T.BlockComment,
    span: source.span(t.startOffset, T.tokenEnd(t)),
  }));
}

/**
 * Replace any bracketed group that would nest deeper than MAX_NESTING by a single placeholder number
 * token, so the parser never recurses past it and the rest of the file still parses.
 */
function limitNesting(source: SourceFile, tokens: IToken[], diagnostics: Diagnostic[]): IToken[] {
  const out: IToken[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isOpener(t) && depth === MAX_NESTING) {
      const end = matchingClose(tokens, i);
      const last = tokens[end]!;
      diagnostics.push(diagnostic("DYN1107", source.span(t.startOffset, T.tokenEnd(t)), { limit: MAX_NESTING }));
      out.push(createTokenInstance(T.NumberLiteral, "0", t.startOffset, T.tokenEnd(last) - 1, NaN, NaN, NaN, NaN));
      i = end;
      continue;
    }
    if (isOpener(t)) depth++;
    else if (isCloser(t)) depth = Math.max(0, depth - 1);
    out.push(t);
  }
  return out;
}

function matchingClose(tokens: IToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (isOpener(tokens[i]!)) depth++;
    else if (isCloser(tokens[i]!) && --depth === 0) return i;
  }
  return tokens.length - 1;
}

function isOpener(t: IToken): boolean {
  return t.tokenType === T.LParen || t.tokenType === T.LBracket || t.tokenType === T.LBrace;
}
function isCloser(t: IToken): boolean {
  return t.tokenType === T.RParen || t.tokenType === T.RBracket || t.tokenType === T.RBrace;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of ds.sort((a, b) => a.span.start - b.span.start)) {
    // Recovery can report the same spot twice; the first (lexical before syntactic) says most.
    const key = String(d.span.start);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
