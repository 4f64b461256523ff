/**
 * The TextMate grammar of `.dyn`, generated from the token table (`tokens.ts`) and the standard library's
 * registry, so editor highlighting cannot drift from the lexer: every keyword, operator and literal
 * pattern below is read off a token's own pattern, and its scope is the token's `scope`.
 *
 * Written to editor/vscode/syntaxes/dyn.tmLanguage.json by `npx tsx editor/generate-grammar.ts`; a test
 * fails when that file is stale.
 */
import type { TokenType } from "../grammar/chevrotain.js";
import { registry } from "../stdlib/registry/index.js";
import * as T from "../grammar/tokens.js";

/** Where the generated grammar lives, relative to the package root. */
export const TEXTMATE_GRAMMAR_PATH = "editor/vscode/syntaxes/dyn.tmLanguage.json";

/** The grammar's root scope; VS Code's package.json names it. */
export const DYN_SCOPE = "source.dyn";

/** One TextMate rule: a single-line `match` or a `begin`/`end` region. */
export interface TmRule {
  readonly name?: string;
  readonly match?: string;
  readonly begin?: string;
  readonly end?: string;
  readonly captures?: Record<string, { readonly name: string }>;
  readonly beginCaptures?: Record<string, { readonly name: string }>;
  readonly endCaptures?: Record<string, { readonly name: string }>;
  readonly patterns?: readonly TmRule[];
  readonly include?: string;
  readonly comment?: string;
}

export interface TmGrammar {
  readonly $schema: string;
  readonly name: string;
  readonly scopeName: string;
  readonly fileTypes: readonly string[];
  readonly comment: string;
  readonly patterns: readonly TmRule[];
  readonly repository: Record<string, TmRule>;
}

/** Names of definitions get their own scope after these keywords (`let NAME =`, `data NAME {`…). */
const DEFINING_KEYWORDS = ["let", "data", "model", "probe", "sweep"] as const;
/** Keywords that name a block (`experiment NAME {`, `profile NAME {`). */
const SECTION_KEYWORDS = ["experiment", "profile"] as const;

/** The whole grammar, as the JSON object VS Code loads. */
export function textMateGrammar(): TmGrammar {
  const repository: Record<string, TmRule> = {
    comments: { patterns: [lineComment(), blockComment()] },
    strings: { patterns: [stringRule()] },
    numbers: { patterns: [numberRule(), badNumberRule()] },
    definitions: { patterns: definitionRules() },
    "named-arguments": { patterns: [namedArgumentRule()] },
    calls: { patterns: [callRule()] },
    keywords: { patterns: keywordRules() },
    "registry-names": { patterns: [registryNameRule()] },
    identifiers: { patterns: [identifierRule()] },
    operators: { patterns: operatorRules() },
  };
  return {
    $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
    name: "dyn",
    scopeName: DYN_SCOPE,
    fileTypes: ["dyn"],
    comment: "Generated from grammar/tokens.ts and the stdlib registry by editor/textmate.ts; do not edit by hand.",
    // Order matters where two rules match at the same column: the first listed wins.
    patterns: Object.keys(repository).map((key) => ({ include: `#${key}` })),
    repository,
  };
}

/** The grammar file's exact text (stable key order, two-space indent, final newline). */
export function renderTextMateGrammar(): string {
  return `${JSON.stringify(textMateGrammar(), null, 2)}\n`;
}

// ── rules read off the token table ────────────────────────────────────────────

function scopeOf(type: TokenType): string {
  const info = T.tokenTable.find((t) => t.type === type);
  if (!info?.scope) throw new Error(`textmate: token ${type.name} has no scope in the token table`);
  return info.scope;
}

/** A token's pattern as an Oniguruma regex source (strings are escaped literally). */
function patternSource(type: TokenType): string {
  const p = type.PATTERN;
  if (p instanceof RegExp) return p.source;
  if (typeof p === "string") return escapeRegex(p);
  throw new Error(`textmate: token ${type.name} has no usable pattern`);
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

function lineComment(): TmRule {
  return { name: scopeOf(T.LineComment), match: patternSource(T.LineComment) };
}

/** Block comments span lines, so they are a begin/end region (an unterminated one runs to the end). */
function blockComment(): TmRule {
  const scope = scopeOf(T.BlockComment);
  return { name: scope, begin: "/\\*", end: "\\*/" };
}

/** A string is a region so escapes get their own scope; an unterminated one ends at the line break. */
function stringRule(): TmRule {
  return {
    name: scopeOf(T.StringLiteral),
    begin: '"',
    end: '"|$',
    patterns: [
      { name: "constant.character.escape.dyn", match: '\\\\(?:[nt"\\\\]|u\\{[0-9a-fA-F]{1,6}\\})' },
      { name: "invalid.illegal.escape.dyn", match: "\\\\." },
    ],
  };
}

/** `12`, `0.5`, `1e-3`, `50k`: the lexer's own pattern, anchored so `x1` stays a name. */
function numberRule(): TmRule {
  return { name: scopeOf(T.NumberLiteral), match: `\\b${patternSource(T.NumberLiteral)}` };
}

/** What the lexer reports as a malformed number (`3x`, `1.2.3`) is shown as invalid. */
function badNumberRule(): TmRule {
  return { name: "invalid.illegal.number.dyn", match: `\\b${patternSource(T.BadNumber)}` };
}

/** Keyword tokens' words, read from their patterns (`let\b`), grouped by the scope the table gives them. */
function keywordsByScope(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const type of Object.values(T.Keywords)) {
    const word = /^(\w+)\\b$/.exec(patternSource(type))?.[1];
    if (!word) throw new Error(`textmate: keyword ${type.name} has an unexpected pattern`);
    const scope = scopeOf(type);
    groups.set(scope, [...(groups.get(scope) ?? []), word]);
  }
  return groups;
}

function keywordRules(): TmRule[] {
  return [...keywordsByScope()].map(([scope, words]) => ({ name: scope, match: `\\b(?:${alternation(words)})\\b` }));
}

const NAME = patternSource(T.Identifier);

/** `let NAME`, `data NAME`, `experiment NAME`: the keyword keeps its table scope, the name is a definition. */
function definitionRules(): TmRule[] {
  const word = (w: string) => patternSource(T.Keywords[w as keyof typeof T.Keywords]).replace(/\\b$/, "");
  const rule = (keywords: readonly string[], nameScope: string): TmRule => ({
    match: `\\b(${keywords.map(word).join("|")})\\s+(${NAME})\\b(?!\\s*\\()`,
    captures: { "1": { name: scopeOf(T.Keywords[keywords[0] as keyof typeof T.Keywords]) }, "2": { name: nameScope } },
  });
  return [rule(SECTION_KEYWORDS, "entity.name.section.dyn"), rule(DEFINING_KEYWORDS, "variable.other.definition.dyn")];
}

/** `lr: 1e-2`, `every: 10k steps`: any word before `:` is an argument name, as in the parser. */
function namedArgumentRule(): TmRule {
  return { match: `\\b(${NAME})\\s*(?=:)`, captures: { "1": { name: "variable.parameter.dyn" } } };
}

function registryNames(): string[] {
  return [...new Set(registry.all().map((e) => e.name))];
}

/** A registry entry called with arguments: `loss(net, test)`, `first(x)` — support even where a keyword. */
function callRule(): TmRule {
  return { match: `\\b(${alternation(registryNames())})\\s*(?=\\()`, captures: { "1": { name: "support.function.dyn" } } };
}

/** A bare registry name: `loss mse`, `act: silu`. */
function registryNameRule(): TmRule {
  return { name: "support.function.dyn", match: `\\b(?:${alternation(registryNames())})\\b` };
}

function identifierRule(): TmRule {
  return { name: scopeOf(T.Identifier), match: `\\b${NAME}` };
}

/** Punctuation and operators from the table, longest first so `->` is not read as `-` then `>`. */
function operatorRules(): TmRule[] {
  const literal = T.tokenTable.filter((t) => typeof t.type.PATTERN === "string" && t.scope);
  const groups = new Map<string, string[]>();
  for (const t of literal) groups.set(t.scope!, [...(groups.get(t.scope!) ?? []), t.type.PATTERN as string]);
  const sorted = [...groups].sort(([, a], [, b]) => maxLength(b) - maxLength(a));
  return sorted.map(([scope, symbols]) => ({ name: scope, match: alternation(symbols) }));
}

function maxLength(words: readonly string[]): number {
  return Math.max(...words.map((w) => w.length));
}

/** Regex alternation, longest first, each escaped. */
function alternation(words: readonly string[]): string {
  return [...words].sort((a, b) => b.length - a.length || a.localeCompare(b)).map(escapeRegex).join("|");
}
