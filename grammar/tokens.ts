/**
 * The token table: the one description of `.dyn`'s words and symbols. The lexer, the parser's
 * human-readable error phrasing (`label`), the formatter and the generated TextMate grammar (`scope`)
 * all read it, so highlighting cannot drift from the parser.
 */
import { createToken, Lexer, type IToken, type TokenType } from "./chevrotain.js";

export interface TokenInfo {
  readonly type: TokenType;
  /** How an error message names it: "`{`", "a name", "a number". */
  readonly label: string;
  /** TextMate scope for editors. */
  readonly scope?: string;
}

const table: TokenInfo[] = [];

/** Every real token: lets the parser skip a stray run of tokens it cannot place, whatever they are. */
export const AnyToken = createToken({ name: "AnyToken", pattern: Lexer.NA, label: "any token" });

function token(
  name: string,
  pattern: RegExp | string,
  label: string,
  scope?: string,
  extra: Partial<Parameters<typeof createToken>[0]> = {},
): TokenType {
  const trivia = extra.group !== undefined;
  const own = extra.categories === undefined ? [] : Array.isArray(extra.categories) ? extra.categories : [extra.categories];
  const categories = trivia ? own : [...own, AnyToken];
  const type = createToken({ name, pattern, label, ...extra, ...(categories.length ? { categories } : {}) });
  table.push({ type, label, ...(scope ? { scope } : {}) });
  return type;
}

// ── trivia ────────────────────────────────────────────────────────────────────
export const WhiteSpace = token("WhiteSpace", /[ \t\r\n\f\v\u00a0\ufeff]+/, "white space", undefined, {
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const LineComment = token("LineComment", /\/\/[^\n\r]*/, "a comment", "comment.line.double-slash.dyn", {
  group: "comments",
});
export const BlockComment = token("BlockComment", /\/\*[^]*?\*\//, "a comment", "comment.block.dyn", {
  group: "comments",
  line_breaks: true,
});

// ── names and keywords ────────────────────────────────────────────────────────
/** Every word, reserved or not: a named argument may be called anything (`mlp(in: 1)`, `every: 10k steps`). */
export const Word = createToken({ name: "Word", pattern: Lexer.NA, label: "a name" });
/** Every word that may stand where a name is expected: identifiers and the soft keywords. */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });
export const Identifier = token("Identifier", /[A-Za-z_][A-Za-z0-9_]*/, "a name", "variable.other.dyn", {
  categories: [Name, Word],
});

/**
 * Reserved words never name anything: they join or end expressions, so reading them as names would make
 * `expect a in [1, 2]` ambiguous.
 */
const reservedWords = ["import", "let", "experiment", "in", "within", "of", "over", "by", "after", "before", "during", "vs", "and", "or", "not", "every", "at", "true", "false"] as const;

/**
 * Soft keywords start statements (`loss mse`) but are names elsewhere (`probe l = loss(net, test)`,
 * `median(x) over seeds`, `plot heatmap(e, x: step)`).
 */
const softWords = [
  "sweep", "seeds", "data", "model", "init", "loss", "regularize", "optimizer", "schedule", "train", "probe",
  "expect", "plot", "profile", "batch", "shuffle", "first", "step", "steps", "epoch", "epochs", "checkpoint",
] as const;

type Reserved = (typeof reservedWords)[number];
type Soft = (typeof softWords)[number];

function keyword(word: string, soft: boolean): TokenType {
  const name = word[0]!.toUpperCase() + word.slice(1);
  const scope = ["true", "false"].includes(word)
    ? "constant.language.boolean.dyn"
    : ["and", "or", "not", "in", "within", "of", "vs", "over", "by", "after", "before", "during"].includes(word)
      ? "keyword.operator.word.dyn"
      : ["step", "steps", "epoch", "epochs"].includes(word)
        ? "keyword.other.unit.dyn"
        : "keyword.control.dyn";
  return token(name, new RegExp(`${word}\\b`), `\`${word}\``, scope, {
    longer_alt: Identifier,
    categories: soft ? [Name, Word] : [Word],
  });
}

export const Keywords = Object.fromEntries([
  ...reservedWords.map((w) => [w, keyword(w, false)]),
  ...softWords.map((w) => [w, keyword(w, true)]),
]) as Record<Reserved | Soft, TokenType>;

export const reservedWordList: readonly string[] = reservedWords;
export const softWordList: readonly string[] = softWords;

// ── literals ──────────────────────────────────────────────────────────────────
/**
 * `12`, `0.5`, `1e-3`, `50k`, `2M`. A number must not run straight into letters (`3x`) or another
 * fraction (`1.2.3`); `1..5` is a range.
 */
export const NumberLiteral = token(
  "NumberLiteral",
  /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[kM]?(?![A-Za-z0-9_]|\.\d)/,
  "a number",
  "constant.numeric.dyn",
);
/** A malformed number (`3x`, `1e`, `1.2.3`): lexed whole so the error names the entire text. */
export const BadNumber = token("BadNumber", /\d[A-Za-z0-9_.]*/, "a malformed number");
export const StringLiteral = token("StringLiteral", /"(?:[^"\\\n\r]|\\.)*"/, "a string", "string.quoted.double.dyn");
export const UnterminatedString = token("UnterminatedString", /"(?:[^"\\\n\r]|\\.)*/, "an unterminated string");
export const UnterminatedComment = token("UnterminatedComment", /\/\*[^]*/, "an unterminated comment", undefined, {
  line_breaks: true,
});

// ── punctuation and operators (longest first) ─────────────────────────────────
export const Arrow = token("Arrow", "->", "`->`", "keyword.operator.arrow.dyn");
export const DotDot = token("DotDot", "..", "`..`", "keyword.operator.range.dyn");
export const EqEq = token("EqEq", "==", "`==`", "keyword.operator.comparison.dyn");
export const NotEq = token("NotEq", "!=", "`!=`", "keyword.operator.comparison.dyn");
export const LessEq = token("LessEq", "<=", "`<=`", "keyword.operator.comparison.dyn");
export const GreaterEq = token("GreaterEq", ">=", "`>=`", "keyword.operator.comparison.dyn");
export const Less = token("Less", "<", "`<`", "keyword.operator.comparison.dyn");
export const Greater = token("Greater", ">", "`>`", "keyword.operator.comparison.dyn");
export const Equals = token("Equals", "=", "`=`", "keyword.operator.assignment.dyn");
export const Tilde = token("Tilde", "~", "`~`", "keyword.operator.tilde.dyn");
export const Plus = token("Plus", "+", "`+`", "keyword.operator.arithmetic.dyn");
export const Minus = token("Minus", "-", "`-`", "keyword.operator.arithmetic.dyn");
export const Star = token("Star", "*", "`*`", "keyword.operator.arithmetic.dyn");
export const Slash = token("Slash", "/", "`/`", "keyword.operator.arithmetic.dyn");
export const Caret = token("Caret", "^", "`^`", "keyword.operator.arithmetic.dyn");
export const Percent = token("Percent", "%", "`%`", "keyword.operator.percent.dyn");
export const Dot = token("Dot", ".", "`.`", "punctuation.accessor.dyn");
export const Comma = token("Comma", ",", "`,`", "punctuation.separator.comma.dyn");
export const Colon = token("Colon", ":", "`:`", "punctuation.separator.colon.dyn");
export const Semicolon = token("Semicolon", ";", "`;`", "punctuation.terminator.dyn");
export const LBrace = token("LBrace", "{", "`{`", "punctuation.section.block.begin.dyn");
export const RBrace = token("RBrace", "}", "`}`", "punctuation.section.block.end.dyn");
export const LParen = token("LParen", "(", "`(`", "punctuation.section.parens.begin.dyn");
export const RParen = token("RParen", ")", "`)`", "punctuation.section.parens.end.dyn");
export const LBracket = token("LBracket", "[", "`[`", "punctuation.section.brackets.begin.dyn");
export const RBracket = token("RBracket", "]", "`]`", "punctuation.section.brackets.end.dyn");

/** Lexer order: trivia, the unterminated forms after the well-formed ones, keywords before identifiers. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringLiteral,
  UnterminatedString,
  NumberLiteral,
  BadNumber,
  ...Object.values(Keywords),
  Identifier,
  Arrow,
  DotDot,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Equals,
  Tilde,
  Plus,
  Minus,
  Star,
  Slash,
  Caret,
  Percent,
  Dot,
  Comma,
  Colon,
  Semicolon,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Name,
  Word,
  AnyToken,
];

export const tokenTable: readonly TokenInfo[] = table;

/** The offset just past a token (chevrotain's `endOffset` is inclusive and optional). */
export function tokenEnd(t: IToken): number {
  return t.endOffset !== undefined && Number.isFinite(t.endOffset) ? t.endOffset + 1 : t.startOffset + t.image.length;
}

/** A token's human label for messages. */
export function labelOf(type: TokenType): string {
  return (type as { LABEL?: string }).LABEL ?? type.name;
}
