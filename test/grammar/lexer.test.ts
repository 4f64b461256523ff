/**
 * The one lexer of the token table (grammar/lexer.ts), shared by the parser, the editor's lexing and the
 * report's highlighting and built on first use. Under the test suite its definition checks run (a mistake in
 * the token table fails here); at the command line they are skipped, which must not change a single token:
 * a fresh Node process without the test environment highlights and parses exactly as this one does.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dynLexer, VALIDATE_GRAMMAR } from "../../grammar/lexer.js";
import { parse } from "../../grammar/parse.js";
import { highlightDyn } from "../../report/highlight.js";
import { lexText } from "../../compiler/lsp/lex.js";

const root = join(import.meta.dirname, "..", "..");
const source = readFileSync(join(root, "examples", "quickstart.dyn"), "utf8") + '\n/* block */ let s = "a<b" // tail\n';

describe("the shared lexer", () => {
  it("is one instance, and its definition is checked under the test suite", () => {
    expect(VALIDATE_GRAMMAR).toBe(true);
    expect(dynLexer()).toBe(dynLexer());
  });

  it("gives the parser, the editor and the highlighter the same tokens (offsets and images)", () => {
    const all = dynLexer().tokenize(source);
    const code = all.tokens.map((t) => [t.startOffset, t.image]);
    expect(code.length).toBeGreaterThan(100);
    expect(lexText(source).tokens.map((t) => [t.startOffset, t.image])).toEqual(code);
    expect(parse(source, "q.dyn").tokens.map((t) => [t.startOffset, t.image])).toEqual(code);
    expect(highlightDyn(source)).toContain('<span class="tok-comment">/* block */</span>');
  });

  it("outside the test suite (checks skipped, built on first use) highlights and parses byte for byte the same", () => {
    const dist = (path: string) => JSON.stringify(join(root, "dist", path));
    const script = `
      const { highlightDyn } = await import(${dist("report/highlight.js")});
      const { parse } = await import(${dist("grammar/parse.js")});
      const { VALIDATE_GRAMMAR } = await import(${dist("grammar/lexer.js")});
      const text = require("node:fs").readFileSync(0, "utf8");
      const parsed = parse(text, "q.dyn");
      process.stdout.write(JSON.stringify({ validate: VALIDATE_GRAMMAR, html: highlightDyn(text), tokens: parsed.tokens.map((t) => [t.startOffset, t.image, t.startLine, t.startColumn]), diagnostics: parsed.diagnostics.length }));
    `;
    const env = { ...process.env };
    delete env["VITEST"];
    delete env["DYNC_VALIDATE_GRAMMAR"];
    const child = spawnSync(process.execPath, ["--input-type=commonjs", "-e", `(async () => { ${script} })()`], { input: source, encoding: "utf8", env });
    expect(child.stderr).toBe("");
    const out = JSON.parse(child.stdout) as { validate: boolean; html: string; tokens: unknown[]; diagnostics: number };
    expect(out.validate).toBe(false);
    expect(out.html).toBe(highlightDyn(source));
    const here = parse(source, "q.dyn");
    expect(out.tokens).toEqual(here.tokens.map((t) => [t.startOffset, t.image, t.startLine, t.startColumn]));
    expect(out.diagnostics).toBe(here.diagnostics.length);
  });
});
