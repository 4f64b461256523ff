import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Lexer } from "../../grammar/chevrotain.js";
import { beforeAll, describe, expect, it } from "vitest";
import { renderTextMateGrammar, TEXTMATE_GRAMMAR_PATH } from "../../editor/textmate.js";
import * as T from "../../grammar/tokens.js";
import { registry } from "../../stdlib/registry/index.js";
import { loadGrammar, scopeAt, scopeOfText, tokenizeText } from "./textmate.js";

const FILES = [
  ...readdirSync("examples").filter((f) => f.endsWith(".dyn")).map((f) => join("examples", f)),
  ...readdirSync("test/fixtures/sketches").filter((f) => f.endsWith(".dyn")).map((f) => join("test/fixtures/sketches", f)),
  ...readdirSync("test/fixtures/valid").filter((f) => f.endsWith(".dyn")).map((f) => join("test/fixtures/valid", f)),
];

const lexer = new Lexer(T.allTokens, { positionTracking: "full", ensureOptimizations: false });
const scopeByType = new Map(T.tokenTable.map((t) => [t.type, t.scope]));
const registryNames = new Set(registry.all().map((e) => e.name));
/** Scopes a word may take in the TextMate grammar beyond its token-table scope, and why. */
const WORD_ROLES = new Set([
  "variable.parameter.dyn", // any word before `:` is an argument name
  "variable.other.definition.dyn", // the name after let/data/model/probe/sweep
  "entity.name.section.dyn", // the name after experiment/profile
]);

beforeAll(async () => {
  await loadGrammar();
});

describe("generated TextMate grammar", () => {
  it(`${TEXTMATE_GRAMMAR_PATH} is up to date (run \`npx tsx editor/generate-grammar.ts\`)`, () => {
    expect(readFileSync(TEXTMATE_GRAMMAR_PATH, "utf8")).toBe(renderTextMateGrammar());
  });

  it("covers examples, sketches and valid fixtures", () => {
    expect(FILES.length).toBeGreaterThanOrEqual(7);
  });

  // The lexer and the TextMate grammar are two independent tokenizers of the same table: every lexer
  // token must get its table scope from TextMate, or a role scope the grammar adds for words.
  for (const file of FILES) {
    it(`agrees with the lexer on every token of ${file}`, async () => {
      const text = readFileSync(file, "utf8");
      const tm = await tokenizeText(text);
      const lexed = lexer.tokenize(text);
      expect(lexed.errors).toEqual([]);
      const all = [...lexed.tokens, ...(lexed.groups["comments"] ?? [])];
      expect(all.length > 0 || text.trim() === "", "a non-empty file has tokens").toBe(true);
      for (const t of all) {
        const expected = scopeByType.get(t.tokenType);
        const got = scopeAt(tm, t.startOffset);
        const where = `${file}:${t.startLine}:${t.startColumn} \`${t.image}\``;
        if (t.tokenType === T.Identifier || t.tokenType.CATEGORIES?.includes(T.Word)) {
          const allowed = [expected, ...WORD_ROLES, ...(registryNames.has(t.image) ? ["support.function.dyn"] : [])];
          expect(allowed, where).toContain(got);
        } else {
          expect(got, where).toBe(expected);
        }
        // The TextMate token must also cover the whole lexer token (no split words or numbers).
        if (t.tokenType !== T.StringLiteral && t.tokenType !== T.BlockComment) {
          const cover = tm.find((k) => k.start <= t.startOffset && t.startOffset < k.end)!;
          expect(cover.end - t.startOffset, where).toBeGreaterThanOrEqual(t.image.length);
        }
      }
      expect(tm.filter((k) => k.scopes.some((s) => s.startsWith("invalid"))), file).toEqual([]);
    });
  }
});

describe("representative scopes", () => {
  it("quickstart: keywords, names, numbers with suffixes, units, registry names, arguments, comments", async () => {
    const text = readFileSync("examples/quickstart.dyn", "utf8");
    const tm = await tokenizeText(text);
    const s = (needle: string, nth = 0) => scopeOfText(text, tm, needle, nth);
    expect(s("// Quickstart")).toBe("comment.line.double-slash.dyn");
    expect(s("experiment")).toBe("keyword.control.dyn");
    expect(s("quickstart {")).toBe("entity.name.section.dyn");
    expect(s("sweep")).toBe("keyword.control.dyn");
    expect(s("width in")).toBe("variable.other.definition.dyn");
    expect(s("in [4")).toBe("keyword.operator.word.dyn");
    expect(s("1e-2")).toBe("constant.numeric.dyn");
    expect(s("3k steps")).toBe("constant.numeric.dyn");
    expect(s("steps, batch")).toBe("keyword.other.unit.dyn");
    expect(s("uniform")).toBe("support.function.dyn");
    expect(s("mse")).toBe("support.function.dyn");
    expect(s("adam")).toBe("support.function.dyn");
    expect(s("lr:")).toBe("variable.parameter.dyn");
    expect(s(":", 2)).toBe("punctuation.separator.colon.dyn");
    expect(s("->")).toBe("keyword.operator.arrow.dyn");
    expect(s("~")).toBe("keyword.operator.tilde.dyn");
    expect(s("^2")).toBe("keyword.operator.arithmetic.dyn");
    expect(s("<")).toBe("keyword.operator.comparison.dyn");
    expect(s("loss(net")).toBe("support.function.dyn");
    expect(s("loss mse")).toBe("keyword.control.dyn");
    expect(s("test_loss =")).toBe("variable.other.definition.dyn");
    expect(s("net, test)")).toBe("variable.other.dyn");
    expect(s("{")).toBe("punctuation.section.block.begin.dyn");
  });

  it("percent, ranges, strings with escapes, block comments across lines, malformed input", async () => {
    const text = [
      'import "common\\n.dyn" /* a block',
      "   comment */ let r = 1..5",
      "expect max(s after 50%) within 15% of 2/lr",
      'let bad = "never closed',
      "let t = true; let n = 3x",
    ].join("\n");
    const tm = await tokenizeText(text);
    const s = (needle: string, nth = 0) => scopeOfText(text, tm, needle, nth);
    expect(s('"common')).toBe("string.quoted.double.dyn");
    expect(s("\\n")).toBe("constant.character.escape.dyn");
    expect(s("/* a")).toBe("comment.block.dyn");
    expect(s("comment */")).toBe("comment.block.dyn");
    expect(s("let r")).toBe("keyword.control.dyn");
    expect(s("..")).toBe("keyword.operator.range.dyn");
    expect(s("5\n")).toBe("constant.numeric.dyn");
    expect(s("%")).toBe("keyword.operator.percent.dyn");
    expect(s("within")).toBe("keyword.operator.word.dyn");
    expect(s("after")).toBe("keyword.operator.word.dyn");
    expect(s("max(")).toBe("support.function.dyn");
    expect(s('"never')).toBe("string.quoted.double.dyn");
    // the unterminated string ends with its line: the next line is code again
    expect(s("let t")).toBe("keyword.control.dyn");
    expect(s("true")).toBe("constant.language.boolean.dyn");
    expect(s(";")).toBe("punctuation.terminator.dyn");
    expect(s("3x")).toBe("invalid.illegal.number.dyn");
  });
});
