/** Loads the generated TextMate grammar into vscode-textmate with the Oniguruma engine VS Code uses. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as oniguruma from "vscode-oniguruma";
import * as vsctm from "vscode-textmate";
import { DYN_SCOPE, renderTextMateGrammar } from "../../editor/textmate.js";

/** One TextMate token with absolute offsets into the tokenized text. */
export interface TmToken {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly scopes: readonly string[];
}

let loaded: Promise<vsctm.IGrammar> | undefined;

/** The grammar as the current generator renders it (the staleness test compares it with the file). */
export function loadGrammar(): Promise<vsctm.IGrammar> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async (scope) => (scope === DYN_SCOPE ? vsctm.parseRawGrammar(renderTextMateGrammar(), "dyn.tmLanguage.json") : null),
    });
    const grammar = await registry.loadGrammar(DYN_SCOPE);
    if (!grammar) throw new Error("the dyn grammar did not load");
    return grammar;
  })();
  return loaded;
}

/** Tokenize a whole text line by line, carrying the rule stack across lines as an editor does. */
export async function tokenizeText(text: string): Promise<TmToken[]> {
  const grammar = await loadGrammar();
  const out: TmToken[] = [];
  let stack = vsctm.INITIAL;
  let lineStart = 0;
  for (const line of text.split(/(?<=\n)/)) {
    const content = line.replace(/\r?\n$/, "");
    const result = grammar.tokenizeLine(content, stack);
    for (const t of result.tokens) {
      const end = Math.min(t.endIndex, content.length);
      if (end > t.startIndex) out.push({ start: lineStart + t.startIndex, end: lineStart + end, text: content.slice(t.startIndex, end), scopes: t.scopes });
    }
    stack = result.ruleStack;
    lineStart += line.length;
  }
  return out;
}

/** The innermost scope of the TextMate token covering `offset`. */
export function scopeAt(tokens: readonly TmToken[], offset: number): string {
  const t = tokens.find((k) => k.start <= offset && offset < k.end);
  return t ? t.scopes[t.scopes.length - 1]! : "";
}

/** The innermost scope of the `nth` occurrence of `needle` (which must start a TextMate token). */
export function scopeOfText(text: string, tokens: readonly TmToken[], needle: string, nth = 0): string {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`\`${needle}\` occurs fewer than ${nth + 1} times`);
  }
  return scopeAt(tokens, at);
}
