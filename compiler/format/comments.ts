/**
 * Where each comment goes. The items of a block (the file, an experiment, a profile, a data or model
 * block) and the comments between them become a sequence of entries; every comment lands in exactly one
 * place, so formatting never drops one:
 * - on the line of the block's `{`, before the first item: kept after the `{` ("brace" comments);
 * - after an item on the line where the item ends: trailing, kept at the end of that item's line;
 * - otherwise on its own line(s) between items or before the `}`: an entry of its own;
 * - inside an item's span: handed to the item ("inner"), which places those in nested blocks and prints
 *   the rest (comments inside expressions or block headers) on their own lines just before the item.
 */
import type { Comment } from "../../grammar/ast.js";
import type { SourceFile, Span } from "../../diagnostics/source.js";

export type Entry<T> = CommentEntry | ItemEntry<T>;
export interface CommentEntry {
  readonly kind: "comment";
  readonly comment: Comment;
  blankBefore: boolean;
}
export interface ItemEntry<T> {
  readonly kind: "item";
  readonly item: T;
  /** Comments inside the item's span, in source order. */
  readonly inner: Comment[];
  /** Comments after the item on the line where it ends. */
  readonly trailing: Comment[];
  blankBefore: boolean;
}
export interface BlockLayout<T> {
  /** Comments on the `{` line before the first item. */
  readonly brace: Comment[];
  readonly entries: Entry<T>[];
}

/**
 * Arrange `items` (in source order) and `comments` (in source order, all inside the block) into entries.
 * `openLine` is the line of the block's `{` (undefined for the whole file). A blank line before an entry
 * is kept where the source had at least one; never before the first entry.
 */
export function layoutBlock<T extends { readonly span: Span }>(
  items: readonly T[],
  comments: readonly Comment[],
  source: SourceFile,
  regionStart: number,
  openLine: number | undefined,
): BlockLayout<T> {
  const lineOf = (offset: number) => source.position(offset).line;
  const brace: Comment[] = [];
  const entries: Entry<T>[] = [];
  let braceLine = openLine;
  let trailingLine: number | undefined;
  let lastItem: ItemEntry<T> | undefined;
  let prevEnd = regionStart;
  let ci = 0;

  const placeBetween = (c: Comment) => {
    const line = lineOf(c.span.start);
    if (lastItem && entries[entries.length - 1] === lastItem && line === trailingLine) {
      lastItem.trailing.push(c);
      trailingLine = lineOf(c.span.end);
    } else if (entries.length === 0 && line === braceLine) {
      brace.push(c);
      braceLine = lineOf(c.span.end);
    } else {
      entries.push({ kind: "comment", comment: c, blankBefore: entries.length > 0 && blankBetween(source, prevEnd, c.span.start) });
      trailingLine = undefined;
    }
    prevEnd = c.span.end;
  };

  for (const item of items) {
    while (ci < comments.length && comments[ci]!.span.start < item.span.start) placeBetween(comments[ci++]!);
    const inner: Comment[] = [];
    while (ci < comments.length && comments[ci]!.span.start < item.span.end) inner.push(comments[ci++]!);
    lastItem = {
      kind: "item",
      item,
      inner,
      trailing: [],
      blankBefore: entries.length > 0 && blankBetween(source, prevEnd, item.span.start),
    };
    entries.push(lastItem);
    prevEnd = item.span.end;
    trailingLine = lineOf(item.span.end);
  }
  while (ci < comments.length) placeBetween(comments[ci++]!);
  return { brace, entries };
}

/** Whether the source between two offsets (only white space and `;` there) holds an empty line. */
function blankBetween(source: SourceFile, from: number, to: number): boolean {
  const gap = source.text.slice(from, Math.max(from, to));
  return (gap.match(/\r\n|\r|\n/g)?.length ?? 0) >= 2;
}

/** The comments of `all` (sorted) lying within [start, end). */
export function commentsWithin(all: readonly Comment[], start: number, end: number): Comment[] {
  return all.filter((c) => c.span.start >= start && c.span.end <= end);
}

/**
 * The offset of the `{` opening a block, searched from `from`: the first `{` outside any comment. Returns
 * undefined when there is none (only in a tree built after a syntax error).
 */
export function openBraceOffset(text: string, from: number, end: number, comments: readonly Comment[]): number | undefined {
  for (let i = from; i < end; i++) {
    if (text[i] !== "{") continue;
    if (comments.some((c) => c.span.start <= i && i < c.span.end)) continue;
    return i;
  }
  return undefined;
}
