/**
 * Syntax highlighting of `.dyn` source for the report, with the language's own lexer and token table, so
 * the colours follow the grammar (a keyword here is exactly a keyword to the parser). Output is HTML with
 * every piece of source text escaped.
 */
import type { TokenType } from "../grammar/chevrotain.js";
import { dynLexer } from "../grammar/lexer.js";
import { tokenTable } from "../grammar/tokens.js";
import { escapeHtml } from "./html.js";

/** CSS class per token type, from the token table's editor scopes. */
const classes = new Map<TokenType, string>(
  tokenTable.flatMap((info): [TokenType, string][] => {
    const cls = classOfScope(info.scope);
    return cls ? [[info.type, cls]] : [];
  }),
);

function classOfScope(scope: string | undefined): string | null {
  if (!scope) return null;
  if (scope.startsWith("comment")) return "tok-comment";
  if (scope.startsWith("string")) return "tok-string";
  if (scope.startsWith("constant.numeric")) return "tok-number";
  if (scope.startsWith("constant.language")) return "tok-constant";
  if (scope.startsWith("keyword.operator.word") || scope.startsWith("keyword.control") || scope.startsWith("keyword.other")) return "tok-keyword";
  return null;
}

/** The source as HTML: keywords, numbers, strings and comments in `<span class="tok-…">`, the rest plain. */
export function highlightDyn(source: string): string {
  const { tokens, groups } = dynLexer().tokenize(source);
  const all = [...tokens, ...(groups["comments"] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  let html = "";
  let at = 0;
  for (const t of all) {
    if (t.startOffset < at) continue;
    html += escapeHtml(source.slice(at, t.startOffset)); // white space and characters the lexer rejected
    const cls = classes.get(t.tokenType);
    const text = escapeHtml(t.image);
    html += cls ? `<span class="${cls}">${text}</span>` : text;
    at = t.startOffset + t.image.length;
  }
  return html + escapeHtml(source.slice(at));
}
