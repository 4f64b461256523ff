/** The VS Code extension package: its manifest points at files that exist and agree with the compiler. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DYN_SCOPE, TEXTMATE_GRAMMAR_PATH } from "../../editor/textmate.js";
import * as T from "../../grammar/tokens.js";

const DIR = "editor/vscode";
const manifest = JSON.parse(readFileSync(join(DIR, "package.json"), "utf8"));
const config = JSON.parse(readFileSync(join(DIR, "language-configuration.json"), "utf8"));

describe("VS Code extension package", () => {
  it("contributes the dyn language and the generated grammar", () => {
    const [language] = manifest.contributes.languages;
    expect(language).toMatchObject({ id: "dyn", extensions: [".dyn"] });
    expect(existsSync(join(DIR, language.configuration))).toBe(true);
    const [grammar] = manifest.contributes.grammars;
    expect(grammar).toMatchObject({ language: "dyn", scopeName: DYN_SCOPE });
    expect(join(DIR, grammar.path)).toBe(join(TEXTMATE_GRAMMAR_PATH));
    expect(existsSync(join(DIR, manifest.main))).toBe(true);
  });

  it("comments and brackets in the language configuration are the lexer's", () => {
    expect(new RegExp(`^${(T.LineComment.PATTERN as RegExp).source}$`).test(`${config.comments.lineComment} x`)).toBe(true);
    const [open, close] = config.comments.blockComment as [string, string];
    expect(new RegExp(`^${(T.BlockComment.PATTERN as RegExp).source}$`).test(`${open} x ${close}`)).toBe(true);
    const brackets = (config.brackets as [string, string][]).map(([o, c]) => [o, c]);
    expect(brackets).toEqual([
      [T.LBrace.PATTERN, T.RBrace.PATTERN],
      [T.LBracket.PATTERN, T.RBracket.PATTERN],
      [T.LParen.PATTERN, T.RParen.PATTERN],
    ]);
  });

  it("the client is valid JavaScript and starts `dync lsp`", () => {
    execFileSync(process.execPath, ["--check", join(DIR, "extension.js")]);
    expect(manifest.contributes.configuration.properties["dync.server.args"].default).toEqual(["lsp"]);
    expect(manifest.dependencies).toHaveProperty("vscode-languageclient");
  });
});
