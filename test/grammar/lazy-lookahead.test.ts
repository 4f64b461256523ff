/**
 * The parser builds each lookahead function at its first use (grammar/lazy-lookahead.ts) instead of all of
 * them in `performSelfAnalysis`. That must not change a single parse: a lazy and an eager parser (chevrotain's
 * own LL(k) strategy, building everything up front), both constructed here with the grammar's definition checks
 * on, give the same tree, the same syntax errors and the same skipped tokens for every example and fixture,
 * and for each of them cut short (so error recovery, which also asks the lookahead functions, is exercised).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SourceFile } from "../../diagnostics/source.js";
import { dynLexer, VALIDATE_GRAMMAR } from "../../grammar/lexer.js";
import { DynParser } from "../../grammar/parser.js";

const root = join(import.meta.dirname, "..", "..");

function dynFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return dynFiles(path);
    return entry.name.endsWith(".dyn") ? [path] : [];
  });
}

/** What a parse yields, as text: the tree, the errors (kind, message, where) and the stray runs; token types by name. */
function parseOutcome(parser: DynParser, path: string, text: string): string {
  const source = new SourceFile(path, text);
  const tokens = dynLexer().tokenize(text).tokens;
  let program: unknown;
  try {
    program = parser.parseProgram(tokens, source);
  } catch (error) {
    program = `threw ${(error as Error).name}: ${(error as Error).message}`;
  }
  const errors = parser.errors.map((e) => ({ name: e.name, message: e.message, at: e.token.startOffset, resynced: e.resyncedTokens.length }));
  const replacer = (key: string, value: unknown) => (key === "tokenType" ? (value as { name: string }).name : value);
  return JSON.stringify({ program, errors, strays: parser.strays, arity: parser.intervalArityErrors, empty: parser.emptyItems }, replacer);
}

describe("lazily built lookahead functions", () => {
  const files = [...dynFiles("examples"), ...dynFiles(join("test", "fixtures"))];

  it("parse every example and fixture, whole and cut short, exactly as the eagerly built ones", () => {
    expect(VALIDATE_GRAMMAR).toBe(true); // both parsers below ran chevrotain's grammar checks
    const lazy = new DynParser();
    const eager = new DynParser({ lookahead: "eager" });
    expect(files.length).toBeGreaterThan(100);
    let withErrors = 0;
    for (const file of files) {
      const text = readFileSync(join(root, file), "utf8");
      for (const input of [text, text.slice(0, Math.floor(text.length / 2))]) {
        const expected = parseOutcome(eager, file, input);
        expect(parseOutcome(lazy, file, input), file).toBe(expected);
        if (eager.errors.length > 0) withErrors++;
      }
    }
    expect(withErrors).toBeGreaterThan(50); // recovery was exercised, not only clean parses
  }, 120_000);
});
