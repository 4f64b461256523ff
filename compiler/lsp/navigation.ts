/** Hover and go-to-definition: registry docs for library names, the defining line for the file's own names. */
import type { IToken } from "../../grammar/chevrotain.js";
import { MarkupKind, type Hover, type Location, type Range } from "vscode-languageserver";
import * as T from "../../grammar/tokens.js";
import { registry } from "../../stdlib/registry/index.js";
import { calleeEntry, slotAt, type Slot } from "./context.js";
import { definitionAt, resolveName } from "./definitions.js";
import type { DocumentState, Located } from "./document.js";
import { entryMarkdown, paramMarkdown } from "./entry-doc.js";
import { isWord, tokenIndexAt } from "./lex.js";

interface WordAt {
  readonly token: IToken;
  readonly index: number;
  readonly slot: Slot;
  readonly range: Range;
}

function wordAt(state: DocumentState, offset: number): WordAt | undefined {
  const tokens = state.lexed().tokens;
  const index = tokenIndexAt(tokens, offset);
  if (index === undefined || !isWord(tokens[index])) return undefined;
  const token = tokens[index]!;
  const range = { start: state.doc.positionAt(token.startOffset), end: state.doc.positionAt(T.tokenEnd(token)) };
  return { token, index, slot: slotAt(tokens, index, state.text, token.startOffset), range };
}

/** `lr` in `adam(lr: 1e-2)` names a parameter, not a variable. */
function isArgumentName(state: DocumentState, w: WordAt): boolean {
  return w.slot.t === "argument" && state.lexed().tokens[w.index + 1]?.tokenType === T.Colon;
}

/** The file's own definition a word refers to (or is), if any. */
function userDefinition(state: DocumentState, w: WordAt): Located | undefined {
  const defs = state.locatedDefinitions();
  const own = definitionAt(defs.filter((d) => d.uri === state.uri), w.token.startOffset);
  if (own) return own as Located;
  if (w.slot.t === "newName" || w.slot.t === "statement") return undefined;
  return resolveName(defs, w.token.image, w.token.startOffset) as Located | undefined;
}

/** Hover at `offset`: a parameter's doc, a defined name's line, or a registry entry's doc, params and paper. */
export function hoverAt(state: DocumentState, offset: number): Hover | null {
  const w = wordAt(state, offset);
  if (!w) return null;
  const markdown = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range: w.range });
  if (isArgumentName(state, w) && w.slot.t === "argument") {
    const param = w.slot.entry.params.find((p) => p.name === w.token.image);
    return param ? markdown(paramMarkdown(w.slot.entry, param)) : null;
  }
  const libraryFirst = w.slot.t === "entries" && !w.slot.userNames;
  const def = libraryFirst ? undefined : userDefinition(state, w);
  if (def) return markdown(definitionMarkdown(def, state.uri));
  if (w.slot.t === "statement" || w.slot.t === "newName" || registry.named(w.token.image).length === 0) return null;
  const entry = calleeEntry(state.lexed().tokens, w.index, state.text);
  return entry ? markdown(entryMarkdown(entry)) : null;
}

function definitionMarkdown(d: Located, uri: string): string {
  const where = d.uri === uri ? `line ${d.range.start.line + 1}` : `${d.uri.replace(/^.*\//, "")}:${d.range.start.line + 1}`;
  return ["```dyn", d.line, "```", "", `${d.kind} \`${d.name}\`, defined at ${where}`].join("\n");
}

/** Where the name at `offset` is defined (lets, data, models, probes, sweep variables, data-block variables). */
export function definitionOf(state: DocumentState, offset: number): Location | null {
  const w = wordAt(state, offset);
  if (!w || isArgumentName(state, w)) return null;
  const def = userDefinition(state, w);
  return def ? { uri: def.uri, range: def.range } : null;
}
