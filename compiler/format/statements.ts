/**
 * Statements and blocks → layout docs, with the comments of each block placed by `layoutBlock`.
 */
import type * as A from "../../grammar/ast.js";
import type { SourceFile } from "../../diagnostics/source.js";
import { commentsWithin, layoutBlock, openBraceOffset, type Entry } from "./comments.js";
import { comment, group, hardline, ifBreak, indent, line, type Doc } from "./doc.js";
import { exprDoc, firstToken, indexListDoc, type ExprContext } from "./expr.js";

export interface FormatContext extends ExprContext {
  /** Every comment of the file, in source order. */
  readonly comments: readonly A.Comment[];
}

/** Anything that sits in a block: a statement, a data item or a model layer. */
type Item = A.Statement | A.DataItem | A.ModelItem;

/** How a block may be laid out when it holds no comments. */
type BlockShape =
  /** always one item per line (experiments) */
  | "lines"
  /** one line when it fits (profiles) */
  | "fits"
  /** one line when it has at most two items and fits (data and model blocks) */
  | "short";

/** Tokens that, starting an item, would be read as continuing the previous item's expression. */
const CONTINUES = new Set(["(", "[", "-", "+", "step", "steps", "epoch", "epochs"]);

/** The doc of a whole file: its items and comments, ending in one newline (empty for an empty file). */
export function programDoc(program: A.Program, ctx: FormatContext): Doc {
  const layout = layoutBlock(program.items, ctx.comments, ctx.source, 0, undefined);
  forceTopLevelBlankLines(layout.entries);
  if (layout.entries.length === 0) return "";
  return [entriesDoc(layout.entries, ctx), hardline];
}

/**
 * A blank line between top-level items, except between two one-line statements (imports, `let`s,
 * `data x = …`, `model m = …`), which keep the source's grouping. The blank goes before the item's
 * leading comments.
 */
function forceTopLevelBlankLines(entries: Entry<Item>[]): void {
  let previous: Item | undefined;
  let firstOfGroup = 0;
  entries.forEach((entry, i) => {
    if (entry.kind === "comment") return;
    if (previous && !(isOneLiner(previous) && isOneLiner(entry.item))) entries[firstOfGroup]!.blankBefore = true;
    previous = entry.item;
    firstOfGroup = i + 1;
  });
}

function isOneLiner(s: Item): boolean {
  if (s.kind === "Experiment" || s.kind === "Profile") return false;
  if (s.kind === "Data") return s.block === undefined;
  if (s.kind === "Model") return s.layers === undefined;
  return true;
}

/** Entries one per line (blank lines kept), each item with its own comments. */
function entriesDoc(entries: readonly Entry<Item>[], ctx: FormatContext): Doc {
  const out: Doc[] = [];
  entries.forEach((entry, i) => {
    if (i > 0) out.push(entry.blankBefore ? [hardline, hardline] : hardline);
    if (entry.kind === "comment") {
      out.push(comment(entry.comment.text));
      return;
    }
    const next = entries.slice(i + 1).find((e) => e.kind === "item");
    const separator = next && needsSeparator(next.item as Item) ? ";" : "";
    out.push(itemWithComments(entry.item, entry.inner, entry.trailing, separator, ctx));
  });
  return out;
}

/**
 * Newlines are not significant, so an item starting with `(`, `[`, a sign or a unit word would be read as
 * continuing the previous item's expression: such an item is preceded by a `;`.
 */
function needsSeparator(item: Item): boolean {
  if ((item.kind === "Assign" || item.kind === "Sample" || item.kind === "DataOption" || item.kind === "Layer") && item.name) {
    return CONTINUES.has(item.name.name);
  }
  if (item.kind === "Layer") return CONTINUES.has(firstToken(item.value));
  return false;
}

/**
 * One item with its comments. Comments inside the item that no nested block takes (inside an expression
 * or a block header such as `experiment e /* here *\/ {`) cannot be placed where they were: they are
 * printed on their own lines just before the item, in order, so none is lost.
 */
function itemWithComments(item: Item, inner: readonly A.Comment[], trailing: readonly A.Comment[], separator: string, ctx: FormatContext): Doc {
  const claimed = new Set<A.Comment>();
  const body = itemDoc(item, inner, claimed, ctx);
  const hoisted = inner.filter((c) => !claimed.has(c)).map((c) => [comment(c.text), hardline]);
  const tail = trailing.map((c) => [" ", comment(c.text)]);
  return [hoisted, body, separator, tail];
}

/** The doc of one item; comments of `inner` placed in nested blocks are added to `claimed`. */
function itemDoc(item: Item, inner: readonly A.Comment[], claimed: Set<A.Comment>, ctx: FormatContext): Doc {
  const e = (x: A.Expr) => exprDoc(x, ctx);
  switch (item.kind) {
    case "Import":
      return ["import ", e(item.path)];
    case "Let":
      return ["let ", item.name.name, " = ", e(item.value)];
    case "Experiment":
      return ["experiment ", item.name.name, " ", blockDoc(item, item.name, item.body, "lines", inner, claimed, ctx)];
    case "Profile":
      return ["profile ", item.name.name, " ", blockDoc(item, item.name, item.body, "fits", inner, claimed, ctx)];
    case "Sweep": {
      const names = item.vars.map((v) => v.name);
      const vars = item.tuple ? `(${names.join(", ")})` : names.join(", ");
      return ["sweep ", vars, " in ", e(item.values)];
    }
    case "Seeds":
      return ["seeds ", e(item.value)];
    case "Data":
      if (item.block) return ["data ", item.name.name, " ", blockDoc(item, item.name, item.block, "short", inner, claimed, ctx)];
      return ["data ", item.name.name, " = ", item.source ? e(item.source) : "", item.target ? [" -> ", e(item.target)] : ""];
    case "Model":
      if (item.layers) return ["model ", item.name.name, " ", blockDoc(item, item.name, item.layers, "short", inner, claimed, ctx)];
      return ["model ", item.name.name, " = ", item.value ? e(item.value) : ""];
    case "Init":
      return ["init ", item.target ? [e(item.target), " ~ "] : "", e(item.scheme)];
    case "Clause":
      return [item.keyword, " ", e(item.value)];
    case "Train":
      return ["train ", e(item.duration), item.options.map((o) => [", ", o.name, " ", e(o.value)])];
    case "Checkpoint":
      return ["checkpoint every ", e(item.interval)];
    case "Probe":
      return ["probe ", item.name.name, item.only ? indexListDoc(item.only, ctx) : "", " = ", e(item.value), item.cadences.map((c, i) => [i > 0 ? ", " : " ", cadenceDoc(c, ctx)])];
    case "Expect":
      return ["expect ", e(item.condition)];
    case "Plot":
      return ["plot ", e(item.value)];
    case "Sample":
      return [item.name.name, " ~ ", e(item.distribution), item.size ? [" [", e(item.size), "]"] : ""];
    case "Assign":
      return [item.name.name, " = ", e(item.value)];
    case "DataOption":
      return [item.name.name, ": ", e(item.value)];
    case "Layer":
      return item.name ? [item.name.name, " = ", e(item.value)] : e(item.value);
    case "ErrorStatement":
      // Only in a tree with syntax errors (`dync fmt` refuses those): keep the text as it was.
      return ctx.source.text.slice(item.span.start, item.span.end);
  }
}

function cadenceDoc(c: A.Cadence, ctx: FormatContext): Doc {
  switch (c.kind) {
    case "Every":
      return ["every ", exprDoc(c.interval, ctx)];
    case "At":
      return ["at ", exprDoc(c.points, ctx)];
    case "AtFirst":
      return ["at first(", exprDoc(c.condition, ctx), ")"];
  }
}

/**
 * `{ items }` of a block statement. A block holding comments, or an experiment, is one item per line; a
 * profile is one line (`; ` between items) when that fits; a data or model block when it also has at
 * most two items.
 */
function blockDoc(
  owner: Item,
  name: A.Identifier,
  items: readonly Item[],
  shape: BlockShape,
  inner: readonly A.Comment[],
  claimed: Set<A.Comment>,
  ctx: FormatContext,
): Doc {
  const text = ctx.source.text;
  const open = openBraceOffset(text, name.span.end, owner.span.end, inner);
  const close = text[owner.span.end - 1] === "}" ? owner.span.end - 1 : owner.span.end;
  const regionComments = open === undefined ? [] : commentsWithin(inner, open + 1, close);
  for (const c of regionComments) claimed.add(c);
  const openLine = open === undefined ? undefined : ctx.source.position(open).line;
  const layout = layoutBlock(items, regionComments, ctx.source, open === undefined ? name.span.end : open + 1, openLine);
  const brace = layout.brace.map((c) => [" ", comment(c.text)]);
  if (layout.entries.length === 0) return brace.length === 0 ? "{}" : ["{", brace, hardline, "}"];

  const oneLineAllowed = regionComments.length === 0 && (shape === "fits" || (shape === "short" && items.length <= 2));
  if (!oneLineAllowed) return ["{", brace, indent([hardline, entriesDoc(layout.entries, ctx)]), hardline, "}"];
  // No comments here, so every entry is an item.
  // No comments here, so every entry is an item. Broken, it keeps the source's blank lines.
  const parts: Doc[] = [];
  layout.entries.forEach((entry, i) => {
    if (entry.kind !== "item") return;
    if (i > 0) parts.push(ifBreak(entry.blankBefore ? line : "", ";"), line);
    const next = items[i + 1];
    parts.push(itemDoc(entry.item, [], claimed, ctx), ifBreak(next && needsSeparator(next) ? ";" : "", ""));
  });
  return group(["{", indent([line, parts]), line, "}"]);
}
