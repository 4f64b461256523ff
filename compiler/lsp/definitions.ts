/**
 * Names a file defines, found from tokens: `let`, `data`, `model`, `probe`, `sweep` variables, experiments
 * and profiles, and the variables of data blocks, each with the block it is visible in. Token-based so it
 * answers on half-typed files and in linear time on long ones.
 */
import type { IToken } from "../../grammar/chevrotain.js";
import * as T from "../../grammar/tokens.js";
import { blockKindOf, type BlockKind } from "./context.js";
import { isName, lineBreakBetween } from "./lex.js";

export type DefinitionKind = "let" | "data" | "model" | "probe" | "sweep" | "experiment" | "profile" | "variable";

export interface Definition {
  readonly name: string;
  readonly kind: DefinitionKind;
  /** Offsets of the defining name. */
  readonly start: number;
  readonly end: number;
  /** Offset where the defining statement starts (its keyword). */
  readonly statement: number;
  /** Offsets [from, to) of the block the name is visible in (the whole file at top level). */
  readonly scope: readonly [number, number];
}

const KEYWORD_KINDS = new Set<string>(["let", "data", "model", "probe", "experiment", "profile"]);

interface Block {
  readonly kind: BlockKind;
  readonly from: number;
  to: number;
}

/** Every definition in `tokens` (of a text `length` long), in source order. */
export function findDefinitions(tokens: readonly IToken[], text: string): Definition[] {
  const defs: Definition[] = [];
  const pending: { def: Omit<Definition, "scope">; block: Block }[] = [];
  const file: Block = { kind: "top", from: 0, to: text.length };
  const blocks: Block[] = [file];
  let parens = 0;
  const add = (kind: DefinitionKind, name: IToken, keyword: IToken, block: Block) =>
    pending.push({ def: { name: name.image, kind, start: name.startOffset, end: T.tokenEnd(name), statement: keyword.startOffset }, block });
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const block = blocks[blocks.length - 1]!;
    if (t.tokenType === T.LBrace) {
      blocks.push({ kind: blockKindOf(tokens, i), from: t.startOffset, to: text.length });
      continue;
    }
    if (t.tokenType === T.RBrace) {
      if (blocks.length > 1) blocks.pop()!.to = T.tokenEnd(t);
      continue;
    }
    if (t.tokenType === T.LParen || t.tokenType === T.LBracket) parens++;
    else if (t.tokenType === T.RParen || t.tokenType === T.RBracket) parens = Math.max(0, parens - 1);
    if (parens > 0 || !startsStatement(tokens, i, text)) continue;
    const next = tokens[i + 1];
    if (KEYWORD_KINDS.has(t.image) && isName(next)) {
      // An experiment or profile name is visible around its block, not inside it only.
      add(t.image as DefinitionKind, next, t, block);
    } else if (t.image === "sweep") {
      for (const name of sweepVariables(tokens, i + 1)) add("sweep", name, t, block);
    } else if (block.kind === "data" && isName(t) && (next?.tokenType === T.Tilde || next?.tokenType === T.Equals)) {
      add("variable", t, t, block);
    }
  }
  for (const p of pending) defs.push({ ...p.def, scope: [p.block.from, p.block.to] });
  return defs;
}

/** `sweep NAME in` or `sweep (A, B) in`. */
function sweepVariables(tokens: readonly IToken[], i: number): IToken[] {
  const first = tokens[i];
  if (first?.tokenType !== T.LParen) return isName(first) ? [first] : [];
  const names: IToken[] = [];
  for (let j = i + 1; j < tokens.length && tokens[j]!.tokenType !== T.RParen; j++) {
    if (isName(tokens[j])) names.push(tokens[j]!);
    else if (tokens[j]!.tokenType !== T.Comma) break;
  }
  return names;
}

/** A keyword starts a statement after `{`, `;`, `}` or a line break (not inside an expression). */
function startsStatement(tokens: readonly IToken[], i: number, text: string): boolean {
  const prev = tokens[i - 1];
  if (!prev) return true;
  if (prev.tokenType === T.LBrace || prev.tokenType === T.RBrace || prev.tokenType === T.Semicolon) return true;
  return lineBreakBetween(text, T.tokenEnd(prev), tokens[i]!.startOffset) && prev.tokenType !== T.Equals && prev.tokenType !== T.Comma;
}

/** Definitions visible at `offset`, innermost scope first; an inner name hides an outer one. */
export function visibleAt(defs: readonly Definition[], offset: number): Definition[] {
  const visible = defs.filter((d) => d.scope[0] <= offset && offset <= d.scope[1]);
  visible.sort((a, b) => b.scope[0] - a.scope[0] || a.start - b.start);
  const seen = new Set<string>();
  return visible.filter((d) => !seen.has(d.name) && seen.add(d.name));
}

/** The definition `name` refers to at `offset`. */
export function resolveName(defs: readonly Definition[], name: string, offset: number): Definition | undefined {
  return visibleAt(defs, offset).find((d) => d.name === name);
}

/** The definition whose name token is at `offset`, if the cursor is on a definition itself. */
export function definitionAt(defs: readonly Definition[], offset: number): Definition | undefined {
  return defs.find((d) => d.start <= offset && offset <= d.end);
}
