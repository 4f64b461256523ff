/** Completion: keywords the grammar accepts next, registry entries the position expects, parameter names, defined names. */
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem } from "vscode-languageserver";
import { describeType, registry, type Entry, type EntryKind, type Param } from "../../stdlib/registry/index.js";
import { EXPRESSION_KINDS, keywordsAfter, slotAt, statementAt, type Slot } from "./context.js";
import type { DefinitionKind } from "./definitions.js";
import { visibleAt } from "./definitions.js";
import type { DocumentState, Located } from "./document.js";
import { entryMarkdown, paramMarkdown, signatureOf } from "./entry-doc.js";
import { countBefore, insideCommentOrString, prefixAt } from "./lex.js";

/** Sort groups: what the slot asks for first, then names, then keywords. */
const FIRST = "0";
const NAMES = "1";
const KEYWORDS = "2";

/** Completion items at `offset` in a document. */
export function completionsAt(state: DocumentState, offset: number): CompletionItem[] {
  const lexed = state.lexed();
  if (insideCommentOrString(lexed, offset)) return [];
  const text = state.text;
  const from = offset - prefixAt(text, offset).length;
  const pos = countBefore(lexed.tokens, from);
  const slot = slotAt(lexed.tokens, pos, text, from);
  const items: CompletionItem[] = [...slotItems(slot, state, offset)];
  if (offersKeywords(slot)) {
    const st = statementAt(lexed.tokens, pos, text, from);
    for (const word of keywordsAfter(st)) items.push({ label: word, kind: CompletionItemKind.Keyword, sortText: `${KEYWORDS}${word}` });
  }
  return dedupe(items);
}

/** After `optimizer ` or `act: ` only entries make sense; `not` or `true` would be noise. */
function offersKeywords(slot: Slot): boolean {
  if (slot.t === "entries") return slot.userNames;
  if (slot.t === "value") return slot.param.type.t === "bool";
  return slot.t !== "newName";
}

function slotItems(slot: Slot, state: DocumentState, offset: number): CompletionItem[] {
  const names = () => (visibleAt(state.locatedDefinitions(), offset) as Located[]).filter((d) => d.kind !== "experiment" && d.kind !== "profile");
  switch (slot.t) {
    case "entries":
      return [...entryItems(slot.kinds), ...(slot.userNames ? names().map(nameItem) : [])];
    case "argument":
      return [
        ...slot.entry.params.filter((p) => !slot.given.has(p.name) && p.type.t !== "bindings").map((p) => paramItem(slot.entry, p)),
        ...(slot.positional ? valueItems(slot.positional, names) : []),
        ...names().map(nameItem),
        ...entryItems(EXPRESSION_KINDS, NAMES),
      ];
    case "value":
      return valueItems(slot.param, names);
    case "expression":
      return [...names().map(nameItem), ...entryItems(EXPRESSION_KINDS, NAMES)];
    default:
      return [];
  }
}

/** What a parameter's value may be: entries of its kind, its choices, booleans, or names of the right kind. */
function valueItems(param: Param, names: () => Located[]): CompletionItem[] {
  const t = param.type;
  const values = (): CompletionItem[] => names().filter((d) => d.kind === "let" || d.kind === "sweep").map(nameItem);
  switch (t.t) {
    case "entry":
      return [...entryItems([t.kind]), ...values()];
    case "choice":
      return t.options.map((o) => ({ label: o, kind: CompletionItemKind.EnumMember, sortText: `${FIRST}${o}`, detail: `${param.name}: ${describeType(t)}` }));
    case "bool":
      return [];
    case "ref": {
      const wanted: DefinitionKind | undefined = t.of === "layer" ? undefined : t.of;
      return names().filter((d) => d.kind === wanted).map((d) => ({ ...nameItem(d), sortText: `${FIRST}${d.name}` }));
    }
    case "oneOf":
      return t.of.flatMap((of) => valueItems({ ...param, type: of }, names));
    case "list":
      return valueItems({ ...param, type: t.of }, names);
    default:
      return values();
  }
}

const ENTRY_ITEM_KIND: Partial<Record<EntryKind, CompletionItemKind>> = {
  model: CompletionItemKind.Class,
  layer: CompletionItemKind.Class,
  data: CompletionItemKind.Module,
};

function entryItems(kinds: readonly EntryKind[], group = FIRST): CompletionItem[] {
  return kinds.flatMap((kind) => registry.ofKind(kind)).map((e: Entry) => ({
    label: e.name,
    kind: ENTRY_ITEM_KIND[e.kind] ?? CompletionItemKind.Function,
    detail: `${e.kind} ${signatureOf(e)}`,
    documentation: { kind: MarkupKind.Markdown, value: entryMarkdown(e) },
    sortText: `${group}${e.name}`,
  }));
}

function paramItem(entry: Entry, p: Param): CompletionItem {
  return {
    label: `${p.name}:`,
    filterText: p.name,
    kind: CompletionItemKind.Property,
    insertText: `${p.name}: `,
    insertTextFormat: InsertTextFormat.PlainText,
    detail: describeType(p.type),
    documentation: { kind: MarkupKind.Markdown, value: paramMarkdown(entry, p) },
    sortText: `${FIRST}${String(entry.params.indexOf(p)).padStart(3, "0")}`,
  };
}

const NAME_ITEM_KIND: Record<DefinitionKind, CompletionItemKind> = {
  let: CompletionItemKind.Variable,
  sweep: CompletionItemKind.Variable,
  variable: CompletionItemKind.Variable,
  data: CompletionItemKind.Module,
  model: CompletionItemKind.Class,
  probe: CompletionItemKind.Event,
  experiment: CompletionItemKind.Module,
  profile: CompletionItemKind.Module,
};

function nameItem(d: Located): CompletionItem {
  return { label: d.name, kind: NAME_ITEM_KIND[d.kind], detail: d.line, sortText: `${NAMES}${d.name}` };
}

/** The first item of each label wins: the slot's own suggestions come first. */
function dedupe(items: readonly CompletionItem[]): CompletionItem[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(i.label) && seen.add(i.label));
}
