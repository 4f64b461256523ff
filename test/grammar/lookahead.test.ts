/**
 * The parser takes its lookahead from the paths `npm run docs` recorded (grammar/lookahead-table.ts), or, when
 * they are stale, builds each lookahead function at its first use (grammar/lazy-lookahead.ts), instead of all
 * of them in `performSelfAnalysis`. Neither may change a single parse: those parsers and an eager one
 * (chevrotain's own LL(k) strategy, building everything up front), all constructed here with the grammar's
 * definition checks on, give the same tree, the same syntax errors and the same skipped tokens for every example
 * and fixture, and for each of them cut short (so error recovery, which also asks the lookahead functions, is
 * exercised). A table recorded from another grammar is not used.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SourceFile } from "../../diagnostics/source.js";
import { dynLexer, VALIDATE_GRAMMAR } from "../../grammar/lexer.js";
import { LOOKAHEAD_PATHS } from "../../grammar/lookahead-paths.js";
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

describe("lookahead from recorded paths, or built lazily", () => {
  const files = [...dynFiles("examples"), ...dynFiles(join("test", "fixtures"))];

  it("parse every example and fixture, whole and cut short, exactly as the eagerly built functions", () => {
    expect(VALIDATE_GRAMMAR).toBe(true); // every parser below ran chevrotain's grammar checks
    const eager = new DynParser({ lookahead: "eager" });
    const table = new DynParser();
    expect(table.lookaheadFromTable()).toBe(true); // grammar/lookahead-paths.ts is current (test/docs.test.ts checks its text)
    // A table from another grammar: ignored, the lookahead is computed lazily instead.
    const stale = new DynParser({ table: { grammar: "another grammar", paths: LOOKAHEAD_PATHS.paths } });
    expect(stale.lookaheadFromTable()).toBe(false);
    const others = { table, lazy: new DynParser({ lookahead: "lazy" }), stale };
    expect(files.length).toBeGreaterThan(100);
    let withErrors = 0;
    for (const file of files) {
      const text = readFileSync(join(root, file), "utf8");
      for (const input of [text, text.slice(0, Math.floor(text.length / 2))]) {
        const expected = parseOutcome(eager, file, input);
        for (const [name, parser] of Object.entries(others)) expect(parseOutcome(parser, file, input), `${name}: ${file}`).toBe(expected);
        if (eager.errors.length > 0) withErrors++;
      }
    }
    expect(withErrors).toBeGreaterThan(50); // recovery was exercised, not only clean parses
  }, 120_000);
});
