/**
 * What the cursor stands in, read from the tokens before it: the enclosing block, the statement so far,
 * the call whose arguments are being written, and so what kind of thing belongs there (a slot).
 *
 * Why tokens and not the parser: chevrotain's content assist from the start of the file costs 60–500 ms on
 * a 2,000-line document, and a half-typed statement yields no useful AST. Brackets and statement starts
 * are found from tokens (linear, under a millisecond); content assist then runs on the current statement
 * alone, from the rule that block's statements use, so the keyword lists still come from the grammar.
 */
import type { IToken, TokenType } from "../../grammar/chevrotain.js";
import { parserInstance } from "../../grammar/parser.js";
import * as T from "../../grammar/tokens.js";
import { registry, type Entry, type EntryKind, type Param, type ParamType } from "../../stdlib/registry/index.js";
import { isName, isWord, lineBreakBetween } from "./lex.js";

export type BlockKind = "top" | "experiment" | "profile" | "data" | "model" | "other";

export interface StatementContext {
  readonly block: BlockKind;
  /** Token index of the block's `{`, or -1 at top level. */
  readonly blockOpen: number;
  /** Token index where the current statement starts. */
  readonly start: number;
  /** The statement's tokens before the cursor. */
  readonly window: readonly IToken[];
  /** Token index of the innermost bracket left open inside the statement, if any. */
  readonly innermost?: number;
}

/** What belongs at a position. */
export type Slot =
  /** The start of a statement: only keywords. */
  | { readonly t: "statement" }
  /** A new name being defined (`let |`): nothing to offer. */
  | { readonly t: "newName" }
  /** Registry entries of these kinds (and, if `userNames`, names defined in the file). */
  | { readonly t: "entries"; readonly kinds: readonly EntryKind[]; readonly userNames: boolean }
  /** The start of an argument of `entry`'s call: its parameter names. */
  | { readonly t: "argument"; readonly entry: Entry; readonly given: ReadonlySet<string>; readonly positional?: Param }
  /** The value of `entry`'s parameter `param` (`act: |`). */
  | { readonly t: "value"; readonly entry: Entry; readonly param: Param }
  /** Any expression. */
  | { readonly t: "expression" };

/** Entries that read as values in expressions: analyses everywhere, activations in targets. */
export const EXPRESSION_KINDS: readonly EntryKind[] = ["analysis", "activation"];

/** Statement keywords followed directly by a registry entry of one kind. */
const CLAUSE_KINDS: Readonly<Record<string, EntryKind>> = {
  optimizer: "optimizer",
  loss: "loss",
  regularize: "regularizer",
  schedule: "schedule",
  init: "init",
  plot: "plot",
};
/** After `KEYWORD NAME =`: what the value is. */
const DEFINITION_KINDS: Readonly<Record<string, readonly EntryKind[]>> = {
  data: ["data"],
  model: ["model"],
  probe: ["probe", "analysis"],
  let: EXPRESSION_KINDS,
};
const NAMING_KEYWORDS = new Set(["let", "data", "model", "probe", "experiment", "profile", "sweep"]);

const OPENERS = new Set<TokenType>([T.LBrace, T.LParen, T.LBracket]);
const CLOSERS = new Set<TokenType>([T.RBrace, T.RParen, T.RBracket]);
/** Tokens that can end an expression: a line break after one of them may start a new statement. */
const ENDERS = new Set<TokenType>([T.NumberLiteral, T.StringLiteral, T.RParen, T.RBracket, T.RBrace, T.Percent, T.Keywords.true, T.Keywords.false]);

function canEndExpression(t: IToken): boolean {
  return ENDERS.has(t.tokenType) || isName(t);
}

function isStatementStart(tokens: readonly IToken[], i: number, blockOpen: number, text: string, at: number): boolean {
  if (i === blockOpen + 1) return true;
  const prev = tokens[i - 1]!;
  if (prev.tokenType === T.Semicolon || prev.tokenType === T.LBrace || prev.tokenType === T.RBrace) return true;
  return canEndExpression(prev) && lineBreakBetween(text, T.tokenEnd(prev), at);
}

/** The block kind a `{` at token index `open` belongs to (`experiment NAME {`, `data NAME {`…). */
export function blockKindOf(tokens: readonly IToken[], open: number): BlockKind {
  const keyword = tokens[open - 2];
  if (!isName(tokens[open - 1]) || !keyword) return "other";
  const word = keyword.image;
  if (word === "experiment" || word === "profile" || word === "data" || word === "model") return word;
  return "other";
}

interface Frame {
  readonly open: number;
  readonly brace: boolean;
  stmt: number;
}

/** The statement around position `pos` (a token index; `offset` is where the cursor or token starts). */
export function statementAt(tokens: readonly IToken[], pos: number, text: string, offset: number): StatementContext {
  const stack: Frame[] = [{ open: -1, brace: true, stmt: 0 }];
  for (let i = 0; i < pos; i++) {
    const t = tokens[i]!;
    const top = stack[stack.length - 1]!;
    if (top.brace && isStatementStart(tokens, i, top.open, text, t.startOffset)) top.stmt = i;
    if (OPENERS.has(t.tokenType)) stack.push({ open: i, brace: t.tokenType === T.LBrace, stmt: i + 1 });
    else if (CLOSERS.has(t.tokenType) && stack.length > 1) stack.pop();
  }
  const top = stack[stack.length - 1]!;
  if (top.brace && (pos === top.open + 1 || isStatementStart(tokens, pos, top.open, text, offset))) top.stmt = pos;
  const block = [...stack].reverse().find((f) => f.brace)!;
  const innermost = top.brace ? undefined : top.open;
  return {
    block: block.open < 0 ? "top" : blockKindOf(tokens, block.open),
    blockOpen: block.open,
    start: block.stmt,
    window: tokens.slice(block.stmt, pos),
    ...(innermost !== undefined && innermost >= block.stmt ? { innermost } : {}),
  };
}

/** What belongs at token position `pos` (the token there, if any, is the one being typed or hovered). */
export function slotAt(tokens: readonly IToken[], pos: number, text: string, offset: number, depth = 0): Slot {
  const st = statementAt(tokens, pos, text, offset);
  const prev = pos - 1 >= st.start ? tokens[pos - 1] : undefined;
  if (st.window.length === 0) {
    if (st.block === "model") return { t: "entries", kinds: ["layer"], userNames: false };
    return st.block === "data" ? { t: "newName" } : { t: "statement" };
  }
  if (st.innermost !== undefined) return slotInBrackets(tokens, pos, st, text, depth);
  const first = st.window[0]!.image;
  if (prev?.tokenType === T.Tilde) return { t: "entries", kinds: ["distribution"], userNames: false };
  if (pos - st.start === 1) {
    const kind = CLAUSE_KINDS[first];
    if (kind) return { t: "entries", kinds: [kind], userNames: kind === "init" };
    if (first === "expect") return { t: "entries", kinds: ["analysis"], userNames: true };
    if (NAMING_KEYWORDS.has(first)) return { t: "newName" };
  }
  if (prev?.tokenType === T.Equals && pos - st.start === 3) {
    const kinds = DEFINITION_KINDS[first];
    if (kinds) return { t: "entries", kinds, userNames: first === "let" || first === "probe" };
  }
  if (st.block === "model" && prev?.tokenType === T.Equals && pos - st.start === 2) return { t: "entries", kinds: ["layer"], userNames: false };
  return { t: "expression" };
}

function slotInBrackets(tokens: readonly IToken[], pos: number, st: StatementContext, text: string, depth: number): Slot {
  const open = st.innermost!;
  const prev = tokens[pos - 1];
  if (prev?.tokenType === T.Tilde) return { t: "entries", kinds: ["distribution"], userNames: false };
  const callee = tokens[open - 1];
  if (tokens[open]!.tokenType !== T.LParen || !isWord(callee) || open - 1 < st.start) return { t: "expression" };
  const entry = depth > 16 ? undefined : calleeEntry(tokens, open - 1, text, depth + 1);
  if (!entry) return { t: "expression" };
  if (prev && (prev.tokenType === T.LParen || prev.tokenType === T.Comma) && pos - 1 >= open) {
    const { given, commas } = argumentsSoFar(tokens, open, pos);
    const positional = given.size === 0 ? entry.params[commas] : undefined;
    return { t: "argument", entry, given, ...(positional && positional.type.t !== "bindings" ? { positional } : {}) };
  }
  const name = tokens[pos - 2];
  const before = tokens[pos - 3];
  if (prev?.tokenType === T.Colon && isWord(name) && pos - 3 >= open && (before?.tokenType === T.LParen || before?.tokenType === T.Comma)) {
    const param = entry.params.find((p) => p.name === name.image);
    if (param) return { t: "value", entry, param };
  }
  return { t: "expression" };
}

/** Named arguments already written in the call opened at `open`, and how many commas precede `pos`. */
function argumentsSoFar(tokens: readonly IToken[], open: number, pos: number): { given: Set<string>; commas: number } {
  const given = new Set<string>();
  let commas = 0;
  let level = 0;
  for (let i = open + 1; i < pos; i++) {
    const t = tokens[i]!;
    if (OPENERS.has(t.tokenType)) level++;
    else if (CLOSERS.has(t.tokenType)) level--;
    else if (level === 0 && t.tokenType === T.Comma) commas++;
    else if (level === 0 && isWord(t) && tokens[i + 1]?.tokenType === T.Colon && [T.LParen, T.Comma].includes(tokens[i - 1]!.tokenType)) given.add(t.image);
  }
  return { given, commas };
}

/** Entry kinds a slot accepts, most specific first. */
export function kindsOfSlot(slot: Slot): readonly EntryKind[] {
  switch (slot.t) {
    case "entries":
      return slot.kinds;
    case "value":
      return entryKindsOf(slot.param.type);
    case "argument":
      return [...(slot.positional ? entryKindsOf(slot.positional.type) : []), ...EXPRESSION_KINDS];
    case "expression":
      return EXPRESSION_KINDS;
    default:
      return [];
  }
}

/** Entry kinds a parameter type admits (`act: silu` → activation). */
export function entryKindsOf(type: ParamType): EntryKind[] {
  if (type.t === "entry") return [type.kind];
  if (type.t === "oneOf") return type.of.flatMap(entryKindsOf);
  if (type.t === "list") return entryKindsOf(type.of);
  return [];
}

/** The registry entry a word at token index `i` names, judged by where it stands. */
export function calleeEntry(tokens: readonly IToken[], i: number, text: string, depth = 0): Entry | undefined {
  const name = tokens[i]!.image;
  const slot = slotAt(tokens, i, text, tokens[i]!.startOffset, depth);
  for (const kind of kindsOfSlot(slot)) {
    const entry = registry.get(kind, name);
    if (entry) return entry;
  }
  return registry.named(name)[0];
}

const KEYWORD_OF = new Map<TokenType, string>(Object.entries(T.Keywords).map(([word, type]) => [type, word]));
const RULE_OF: Readonly<Record<BlockKind, string>> = {
  top: "topItem",
  experiment: "statement",
  profile: "statement",
  data: "dataItem",
  model: "modelItem",
  other: "statement",
};

/** Keywords the grammar accepts next in this statement (chevrotain content assist on the statement alone). */
export function keywordsAfter(st: StatementContext): string[] {
  try {
    const next = parserInstance.computeContentAssist(RULE_OF[st.block], [...st.window]);
    return [...new Set(next.flatMap((s) => (KEYWORD_OF.has(s.nextTokenType) ? [KEYWORD_OF.get(s.nextTokenType)!] : [])))];
  } catch {
    // Content assist gives up on some recovered inputs; completion then offers no keywords, not an error.
    return [];
  }
}
