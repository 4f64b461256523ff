/**
 * The editor's view of a text's tokens: the lexer of the token table, run on its own (no parse), so
 * completion, hover and go-to-definition stay fast on long files and work on half-typed ones.
 */
import type { IToken } from "../../grammar/chevrotain.js";
import { dynLexer } from "../../grammar/lexer.js";
import * as T from "../../grammar/tokens.js";

export interface LexedText {
  /** Code tokens in order; lexing errors (stray characters) are left out. */
  readonly tokens: readonly IToken[];
  readonly comments: readonly IToken[];
}

/** Tokenize `text` for the editor. */
export function lexText(text: string): LexedText {
  const result = dynLexer().tokenize(text);
  const comments = (result.groups["comments"] ?? []) as IToken[];
  // An unterminated comment swallows the rest of the file: treat it as a comment, not code.
  const tokens = result.tokens.filter((t) => t.tokenType !== T.UnterminatedComment);
  const open = result.tokens.filter((t) => t.tokenType === T.UnterminatedComment);
  return { tokens, comments: [...comments, ...open].sort((a, b) => a.startOffset - b.startOffset) };
}

/** Is a name-like token: an identifier or any keyword (soft keywords name things; any word names an argument). */
export function isWord(t: IToken | undefined): t is IToken {
  return t !== undefined && (t.tokenType === T.Identifier || (t.tokenType.CATEGORIES ?? []).includes(T.Word));
}

/** Is a token that may stand where a name is expected: an identifier or a soft keyword. */
export function isName(t: IToken | undefined): t is IToken {
  return t !== undefined && (t.tokenType === T.Identifier || (t.tokenType.CATEGORIES ?? []).includes(T.Name));
}

/** Number of tokens that end at or before `offset` (binary search). */
export function countBefore(tokens: readonly IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (T.tokenEnd(tokens[mid]!) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the token under `offset`, or of a word ending exactly there (the cursor just after it). */
export function tokenIndexAt(tokens: readonly IToken[], offset: number): number | undefined {
  const i = countBefore(tokens, offset);
  const here = tokens[i];
  if (here && here.startOffset <= offset && offset < T.tokenEnd(here)) return i;
  const before = tokens[i - 1];
  if (isWord(before) && T.tokenEnd(before) === offset) return i - 1;
  return undefined;
}

/** Whether `offset` lies inside a comment or a string, where completion offers nothing. */
export function insideCommentOrString(lexed: LexedText, offset: number): boolean {
  const inside = (t: IToken, closed: boolean) => t.startOffset < offset && (offset < T.tokenEnd(t) || (!closed && offset === T.tokenEnd(t)));
  for (const c of lexed.comments) if (inside(c, c.tokenType === T.BlockComment)) return true;
  const i = countBefore(lexed.tokens, offset);
  for (const t of [lexed.tokens[i - 1], lexed.tokens[i]]) {
    if (t?.tokenType === T.StringLiteral && inside(t, true)) return true;
    if (t?.tokenType === T.UnterminatedString && inside(t, false)) return true;
  }
  return false;
}

/** The word being typed at `offset` (the part before the cursor), or "". */
export function prefixAt(text: string, offset: number): string {
  return /(?<![0-9A-Za-z_])[A-Za-z_][A-Za-z0-9_]*$/.exec(text.slice(Math.max(0, offset - 200), offset))?.[0] ?? "";
}

/** Whether the text between two offsets holds a line break. */
export function lineBreakBetween(text: string, from: number, to: number): boolean {
  return /[\n\r]/.test(text.slice(from, to));
}
