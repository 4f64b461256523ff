/**
 * Phrasing parse errors for people. Chevrotain's exceptions know the rule stack, the offending token and
 * what was expected; this turns them into `expected a duration like \`10k steps\` after \`train\`,
 * found \`;\`` instead of token-type names.
 */
import type { IParserErrorMessageProvider, IRecognitionException, IToken, TokenType } from "chevrotain";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { SourceFile } from "../diagnostics/source.js";
import { closest } from "../diagnostics/suggest.js";
import * as T from "./tokens.js";

/** Where a run of stray tokens was found: decides which tokens may start the next statement. */
export type StrayContext = "top" | "experiment" | "data" | "model";

/** Tokens the parser skipped because nothing could start with them; reported by the caller. */
export interface StrayRun {
  readonly context: StrayContext;
  readonly tokens: readonly IToken[];
}

/** What the parser was reading, in words, by rule name. Rules not listed fall back to their callers. */
const ruleDescriptions: Record<string, string> = {
  duration: "a duration like `10k steps` or `100 epochs`",
  interval: "an interval like `10 steps` or `epoch`",
  timePoints: "a time like `end` or a list like `[start, 100, end]`",
  cadence: "`every …` or `at …`",
  plainCall: "a distribution like `uniform(-1, 1)`",
  trainOption: "`batch` or `shuffle`",
  indexItem: "an index, `*` or a selector like `act = silu`",
  dataStmt: "`=` or `{`",
  modelStmt: "`=` or `{`",
  sweepStmt: "a sweep variable or `(a, b)`",
  clauseStmt: "`loss`, `regularize`, `optimizer` or `schedule`",
  argument: "an argument",
  listOrInterval: "`,` or `]`",
  parenOrTuple: "`,` or `)`",
  expression: "an expression",
};

/** A missing closer where a separator was just as likely: `[1, 2 3]`, `mlp(in: 1 out: 1)`. */
const SEPARATED: Record<string, string> = {
  argumentList: "`,` or `)`",
  indexList: "`,` or `]`",
  listOrInterval: "`,` or `]`",
  parenOrTuple: "`,` or `)`",
};

const COMPARISONS = new Set<TokenType>([T.Less, T.LessEq, T.Greater, T.GreaterEq, T.EqEq, T.NotEq, T.Keywords.in, T.Tilde, T.DotDot]);

/** Tokens after which a missing operand is simply "an expression". */
const OPERATORS = new Set<TokenType>([
  T.Plus, T.Minus, T.Star, T.Slash, T.Caret, T.Equals, T.EqEq, T.NotEq, T.Less, T.LessEq, T.Greater, T.GreaterEq,
  T.Tilde, T.Arrow, T.DotDot, T.Comma, T.Colon, T.LParen, T.LBracket, T.Keywords.and, T.Keywords.or, T.Keywords.not,
  T.Keywords.in, T.Keywords.within, T.Keywords.of, T.Keywords.vs, T.Keywords.after, T.Keywords.before, T.Keywords.during,
]);

const OPENER_OF = new Map<TokenType, TokenType>([
  [T.RBrace, T.LBrace],
  [T.RParen, T.LParen],
  [T.RBracket, T.LBracket],
]);

const BODY_KEYWORDS = [
  "let", "sweep", "seeds", "data", "model", "init", "loss", "regularize", "optimizer", "schedule", "train", "checkpoint",
  "probe", "expect", "plot", "profile",
];
const TOP_KEYWORDS = ["import", "let", "experiment", "data", "model"];

interface Structured {
  kind: "mismatch" | "noViable" | "earlyExit" | "notAll";
  expected: string[];
  ruleName: string;
}

/** Chevrotain calls these to build `exception.message`; we store structured data to phrase later. */
export const structuredMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) =>
    JSON.stringify({ kind: "mismatch", expected: [T.labelOf(expected)], ruleName } satisfies Structured),
  buildNotAllInputParsedMessage: ({ ruleName }) => JSON.stringify({ kind: "notAll", expected: [], ruleName } satisfies Structured),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, ruleName }) =>
    JSON.stringify({ kind: "noViable", expected: firstLabels(expectedPathsPerAlt.flat()), ruleName } satisfies Structured),
  buildEarlyExitMessage: ({ expectedIterationPaths, ruleName }) =>
    JSON.stringify({ kind: "earlyExit", expected: firstLabels(expectedIterationPaths), ruleName } satisfies Structured),
};

function firstLabels(paths: TokenType[][]): string[] {
  return [...new Set(paths.map((p) => (p[0] ? T.labelOf(p[0]) : "")).filter(Boolean))];
}

/** Diagnostics for the parser's exceptions and the stray token runs it skipped. */
export function syntaxDiagnostics(
  source: SourceFile,
  tokens: readonly IToken[],
  errors: readonly IRecognitionException[],
  strays: readonly StrayRun[],
): Diagnostic[] {
  if (errors.length === 0 && strays.length === 0) return [];
  const brackets = matchBrackets(tokens);
  const out: Diagnostic[] = [];
  for (const e of errors) out.push(afterReduction(source, tokens, e.token) ?? fromException(source, e, brackets));
  for (const s of strays) out.push(afterReduction(source, tokens, s.tokens[0]!) ?? fromStray(source, s, brackets));
  return out;
}

/** Operators that bind tighter than `over`/`by`, with what to call them in a message. */
const TIGHTER_THAN_REDUCTION = new Map<TokenType, string>([
  [T.Plus, "arithmetic"], [T.Minus, "arithmetic"], [T.Star, "arithmetic"], [T.Slash, "arithmetic"], [T.Caret, "arithmetic"],
  [T.Keywords.after, "`after`, `before` and `during`"], [T.Keywords.before, "`after`, `before` and `during`"],
  [T.Keywords.during, "`after`, `before` and `during`"],
]);

/**
 * `sum(x) over point / 3`: a reduction's grouping operand is only a name or a tuple and the reduction binds
 * looser than arithmetic and time restrictions, so the expression ends before the operator. Without this the
 * user reads "expected a statement, found `/`" about a line that looks right.
 */
function afterReduction(source: SourceFile, tokens: readonly IToken[], offending: IToken): Diagnostic | undefined {
  const what = TIGHTER_THAN_REDUCTION.get(offending.tokenType);
  if (!what) return undefined;
  const index = tokens.indexOf(offending);
  const groupStart = groupingOperandStart(tokens, index - 1);
  const keyword = groupStart === undefined ? undefined : tokens[groupStart - 1];
  if (!keyword || (keyword.tokenType !== T.Keywords.over && keyword.tokenType !== T.Keywords.by)) return undefined;
  const group = source.text.slice(tokens[groupStart!]!.startOffset, T.tokenEnd(tokens[index - 1]!)).replace(/\s+/g, " ");
  const op = offending.image;
  return diagnostic(
    "DYN1112",
    source.span(offending.startOffset, T.tokenEnd(offending)),
    { keyword: keyword.image, group, op, what },
    { hint: `put the reduction in parentheses: \`(… ${keyword.image} ${group}) ${op} …\`` },
  );
}

/** Where the grouping operand ending at `last` starts: a name, or a parenthesised tuple of names. */
function groupingOperandStart(tokens: readonly IToken[], last: number): number | undefined {
  const end = tokens[last];
  if (!end) return undefined;
  if (end.tokenType !== T.RParen) return /^[A-Za-z_]\w*$/.test(end.image) ? last : undefined;
  let depth = 0;
  for (let i = last; i >= 0; i--) {
    if (tokens[i]!.tokenType === T.RParen) depth++;
    else if (tokens[i]!.tokenType === T.LParen && --depth === 0) return i;
  }
  return undefined;
}

function fromException(source: SourceFile, e: IRecognitionException, brackets: Brackets): Diagnostic {
  const info = parseStructured(e.message);
  const token = e.token;
  const previous = (e as { previousToken?: IToken }).previousToken;
  const atEnd = token.tokenType.name === "EOF" || !Number.isFinite(token.startOffset);
  const found = atEnd ? "the end of the file" : show(token.image);
  const span = atEnd ? endSpan(source, previous) : source.span(token.startOffset, T.tokenEnd(token));
  const context = previous && Number.isFinite(previous.startOffset) ? ` after ${show(previous.image)}` : "";

  if (info.kind === "mismatch") {
    const closer = [...OPENER_OF.keys()].find((c) => T.labelOf(c) === info.expected[0]);
    if (closer) {
      const opener = brackets.unclosedBefore(OPENER_OF.get(closer)!, atEnd ? Infinity : token.startOffset);
      if (opener && atEnd) {
        return diagnostic("DYN1103", source.span(opener.startOffset, T.tokenEnd(opener)), { open: show(opener.image) }, {
          hint: `add ${show(closer === T.RBrace ? "}" : closer === T.RParen ? ")" : "]")} to close it`,
        });
      }
      const related = opener ? [{ message: `${show(opener.image)} opened here`, span: source.span(opener.startOffset, T.tokenEnd(opener)) }] : [];
      return diagnostic("DYN1101", span, { expected: SEPARATED[info.ruleName] ?? info.expected[0]!, context, found }, { related });
    }
    if (info.ruleName === "plainCall") return diagnostic("DYN1102", span, { expected: ruleDescriptions["plainCall"]!, context, found });
    return diagnostic("DYN1101", span, { expected: info.expected[0] ?? "something else", context, found });
  }
  const expected = describeExpected(info, e.context.ruleStack, previous);
  return diagnostic("DYN1102", span, { expected, context, found });
}

function describeExpected(info: Structured, ruleStack: readonly string[], previous: IToken | undefined): string {
  if (previous?.tokenType === T.Keywords.at) return ruleDescriptions["timePoints"]!;
  if (previous?.tokenType === T.Keywords.every) return ruleDescriptions["interval"]!;
  const afterOperator = previous !== undefined && OPERATORS.has(previous.tokenType);
  const inExpression = ruleStack.includes("expression");
  if (afterOperator && inExpression) return "an expression";
  for (let i = ruleStack.length - 1; i >= 0; i--) {
    const description = ruleDescriptions[ruleStack[i]!];
    if (!description) continue;
    // Inside an expression the innermost role (duration, interval…) says more than "an expression".
    if (ruleStack[i] === "expression") {
      const role = ruleStack.slice(0, i).reverse().find((r) => ["duration", "interval", "timePoints"].includes(r));
      return role ? ruleDescriptions[role]! : description;
    }
    return description;
  }
  return oneOf(info.expected);
}

function fromStray(source: SourceFile, stray: StrayRun, brackets: Brackets): Diagnostic {
  const first = stray.tokens[0]!;
  const span = source.span(first.startOffset, T.tokenEnd(first));
  const word = first.image;
  const found = show(word);
  const isWord = /^[A-Za-z_]\w*$/.test(word);
  if (OPENER_OF.has(first.tokenType) && !brackets.isMatched(first)) return diagnostic("DYN1104", span, { found });
  if (COMPARISONS.has(first.tokenType)) {
    return diagnostic("DYN1102", span, { expected: "the end of the expression", context: "", found }, {
      hint: first.tokenType === T.Tilde || first.tokenType === T.DotDot ? `\`${word}\` does not chain; use parentheses` : "comparisons do not chain: write `a < b and b < c`, or `x in [lo, hi]` for a range",
    });
  }
  if (first.tokenType === T.Equals && stray.context === "experiment") {
    return diagnostic("DYN1102", span, { expected: "a statement", context: "", found }, { hint: "to compare, write `==`; to define a value, write `let name = …`" });
  }
  switch (stray.context) {
    case "top":
      if (BODY_KEYWORDS.includes(word)) return diagnostic("DYN1105", span, { keyword: word });
      return diagnostic("DYN1102", span, { expected: "`experiment`, `let`, `data`, `model` or `import`", context: " at the top level of the file", found }, suggestion(word, isWord, TOP_KEYWORDS));
    case "experiment":
      if (word === "experiment" || word === "import") return diagnostic("DYN1106", span, { keyword: word, block: "an experiment" });
      return diagnostic("DYN1102", span, { expected: "a statement such as `data`, `model`, `train`, `probe` or `expect`", context: "", found }, suggestion(word, isWord, BODY_KEYWORDS, stray));
    case "data":
      if (BODY_KEYWORDS.includes(word) || TOP_KEYWORDS.includes(word)) return diagnostic("DYN1106", span, { keyword: word, block: "a data block" });
      return diagnostic("DYN1102", span, { expected: "a sample like `x ~ uniform(-1, 1) [256]` or an assignment like `y = x^2`", context: " in a data block", found });
    case "model":
      if (BODY_KEYWORDS.includes(word) || TOP_KEYWORDS.includes(word)) return diagnostic("DYN1106", span, { keyword: word, block: "a model block" });
      return diagnostic("DYN1102", span, { expected: "a layer like `hidden = dense(128, act: relu)`", context: " in a model block", found });
  }
}

function suggestion(word: string, isWord: boolean, keywords: string[], stray?: StrayRun): { hint?: string } {
  if (!isWord) return {};
  const near = closest(word, keywords);
  if (near) return { hint: `did you mean \`${near}\`?` };
  if (stray && stray.tokens[1]?.tokenType === T.Equals) return { hint: `to define a value, write \`let ${word} = …\`` };
  return {};
}

function parseStructured(message: string): Structured {
  try {
    return JSON.parse(message) as Structured;
  } catch {
    return { kind: "noViable", expected: [], ruleName: "" };
  }
}

function oneOf(labels: readonly string[]): string {
  if (labels.length === 0) return "something else";
  if (labels.length === 1) return labels[0]!;
  if (labels.length > 6) return `one of ${labels.slice(0, 6).join(", ")}, …`;
  return `${labels.slice(0, -1).join(", ")} or ${labels.at(-1)}`;
}

/** A token's text for a message, in backticks and shortened. */
function show(image: string): string {
  const oneLine = image.replace(/\s+/g, " ");
  const short = oneLine.length > 24 ? `${oneLine.slice(0, 21)}…` : oneLine;
  return `\`${short}\``;
}

/** An empty span just after the last real token, for errors at the end of the file. */
function endSpan(source: SourceFile, previous: IToken | undefined): ReturnType<SourceFile["span"]> {
  if (previous && Number.isFinite(previous.endOffset)) return source.span(T.tokenEnd(previous), T.tokenEnd(previous));
  return source.span(source.text.length, source.text.length);
}

interface Brackets {
  /** The innermost opener of `type` still open at `offset`. */
  unclosedBefore(type: TokenType, offset: number): IToken | undefined;
  isMatched(token: IToken): boolean;
}

/** Match brackets over the whole token vector by a stack, ignoring closers of the wrong kind. */
function matchBrackets(tokens: readonly IToken[]): Brackets {
  const closedAt = new Map<IToken, number>();
  const matched = new Set<IToken>();
  const stack: IToken[] = [];
  for (const t of tokens) {
    if (t.tokenType === T.LBrace || t.tokenType === T.LParen || t.tokenType === T.LBracket) stack.push(t);
    const opener = OPENER_OF.get(t.tokenType);
    if (opener && stack.at(-1)?.tokenType === opener) {
      const open = stack.pop()!;
      closedAt.set(open, t.startOffset);
      matched.add(t);
      matched.add(open);
    }
  }
  const openers = tokens.filter((t) => t.tokenType === T.LBrace || t.tokenType === T.LParen || t.tokenType === T.LBracket);
  return {
    unclosedBefore(type, offset) {
      let best: IToken | undefined;
      for (const o of openers) {
        if (o.tokenType !== type || o.startOffset >= offset) continue;
        const close = closedAt.get(o);
        if (close === undefined || close >= offset) best = o;
      }
      return best;
    },
    isMatched: (t) => matched.has(t) || !OPENER_OF.has(t.tokenType),
  };
}
