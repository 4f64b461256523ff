/**
 * A small layout algebra (after Wadler's "prettier printer" and prettier's doc IR): the formatter builds a
 * `Doc` describing where lines *may* break, and `printDoc` picks, group by group from the outside in, the
 * flat form when it fits in the line width and the broken form otherwise.
 */

export type Doc = string | readonly Doc[] | Line | Group | Indent | IfBreak | Comment;

/** A possible line break: in a flat group a space (`soft`: nothing); `hard` always breaks. */
export interface Line {
  readonly kind: "line";
  readonly soft: boolean;
  readonly hard: boolean;
}
/** Laid out flat if it fits on the rest of the line, else broken; `forceBreak` breaks it regardless. */
export interface Group {
  readonly kind: "group";
  readonly contents: Doc;
  forceBreak: boolean;
}
export interface Indent {
  readonly kind: "indent";
  readonly contents: Doc;
}
/** Different contents in the broken and the flat form of the enclosing group (e.g. a trailing comma). */
export interface IfBreak {
  readonly kind: "ifBreak";
  readonly broken: Doc;
  readonly flat: Doc;
}
/** Comment text, printed verbatim and counted as zero width so a trailing comment never breaks code. */
export interface Comment {
  readonly kind: "comment";
  readonly text: string;
}

export const line: Line = { kind: "line", soft: false, hard: false };
export const softline: Line = { kind: "line", soft: true, hard: false };
export const hardline: Line = { kind: "line", soft: false, hard: true };

/** A group of `contents`, flat when it fits. */
export function group(contents: Doc, forceBreak = false): Group {
  return { kind: "group", contents, forceBreak };
}
/** `contents` one indentation level deeper (applies to the lines broken inside it). */
export function indent(contents: Doc): Indent {
  return { kind: "indent", contents };
}
/** `broken` when the enclosing group is broken, `flat` otherwise. */
export function ifBreak(broken: Doc, flat: Doc = ""): IfBreak {
  return { kind: "ifBreak", broken, flat };
}
/** A comment's text, verbatim and zero-width for the fitting decision. */
export function comment(text: string): Comment {
  return { kind: "comment", text };
}
/** `docs` with `separator` between consecutive ones. */
export function join(separator: Doc, docs: readonly Doc[]): Doc[] {
  const out: Doc[] = [];
  docs.forEach((d, i) => {
    if (i > 0) out.push(separator);
    out.push(d);
  });
  return out;
}

type Mode = "flat" | "break";
interface Command {
  readonly indent: number;
  readonly mode: Mode;
  readonly doc: Doc;
}

const INDENT = 2;

/** Lay `doc` out in `width` columns. Lines never end in spaces (outside comments, which stay verbatim). */
export function printDoc(doc: Doc, width: number): string {
  propagateBreaks(doc);
  const out: string[] = [];
  /** Indexes in `out` holding comment text: never trimmed. */
  const verbatim = new Set<number>();
  let column = 0;
  const commands: Command[] = [{ indent: 0, mode: "break", doc }];
  while (commands.length > 0) {
    const { indent: ind, mode, doc: d } = commands.pop()!;
    if (typeof d === "string") {
      out.push(d);
      column = advance(column, d);
    } else if (Array.isArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) commands.push({ indent: ind, mode, doc: d[i]! });
    } else {
      const node = d as Exclude<Doc, string | readonly Doc[]>;
      switch (node.kind) {
        case "indent":
          commands.push({ indent: ind + INDENT, mode, doc: node.contents });
          break;
        case "group": {
          const flat: Command = { indent: ind, mode: "flat", doc: node.contents };
          const fitsFlat = mode === "flat" || (!node.forceBreak && fits(flat, commands, width - column));
          commands.push(fitsFlat ? flat : { indent: ind, mode: "break", doc: node.contents });
          break;
        }
        case "ifBreak":
          commands.push({ indent: ind, mode, doc: mode === "break" ? node.broken : node.flat });
          break;
        case "comment":
          verbatim.add(out.length);
          out.push(node.text);
          column = advance(column, node.text);
          break;
        case "line":
          if (mode === "flat" && !node.hard) {
            const text = node.soft ? "" : " ";
            out.push(text);
            column += text.length;
          } else {
            trimTrailingSpaces(out, verbatim);
            out.push("\n" + " ".repeat(ind));
            column = ind;
          }
          break;
      }
    }
  }
  trimTrailingSpaces(out, verbatim);
  return out.join("");
}

/** The column after printing `text` from `column`. */
function advance(column: number, text: string): number {
  const lastBreak = Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r"));
  return lastBreak < 0 ? column + text.length : text.length - lastBreak - 1;
}

function trimTrailingSpaces(out: string[], verbatim: Set<number>): void {
  while (out.length > 0 && !verbatim.has(out.length - 1)) {
    const last = out[out.length - 1]!;
    const trimmed = last.replace(/[ \t]+$/, "");
    if (trimmed.length > 0) {
      out[out.length - 1] = trimmed;
      return;
    }
    out.pop();
  }
}

/**
 * Whether `next` laid out flat, followed by the pending commands up to their first line break, fits in
 * `remaining` columns. Pending groups not yet decided are measured broken, so the measure stops at their
 * first possible break (as prettier does).
 */
function fits(next: Command, pending: readonly Command[], remaining: number): boolean {
  const stack: { mode: Mode; doc: Doc }[] = [{ mode: next.mode, doc: next.doc }];
  let restIndex = pending.length;
  let left = remaining;
  while (left >= 0) {
    if (stack.length === 0) {
      if (restIndex === 0) return true;
      const rest = pending[--restIndex]!;
      stack.push({ mode: rest.mode, doc: rest.doc });
      continue;
    }
    const { mode, doc: d } = stack.pop()!;
    if (typeof d === "string") {
      const newline = d.search(/[\r\n]/);
      if (newline >= 0) return left - newline >= 0;
      left -= d.length;
    } else if (Array.isArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) stack.push({ mode, doc: d[i]! });
    } else {
      const node = d as Exclude<Doc, string | readonly Doc[]>;
      switch (node.kind) {
        case "indent":
          stack.push({ mode, doc: node.contents });
          break;
        case "group":
          stack.push({ mode: node.forceBreak ? "break" : mode, doc: node.contents });
          break;
        case "ifBreak":
          stack.push({ mode, doc: mode === "break" ? node.broken : node.flat });
          break;
        case "comment":
          break;
        case "line":
          if (mode === "break" || node.hard) return true;
          left -= node.soft ? 0 : 1;
          break;
      }
    }
  }
  return false;
}

/** Mark every group that contains a hard line as broken: it cannot be laid out flat. */
function propagateBreaks(doc: Doc): boolean {
  if (typeof doc === "string") return false;
  if (Array.isArray(doc)) {
    let hard = false;
    for (const d of doc) hard = propagateBreaks(d) || hard;
    return hard;
  }
  const node = doc as Exclude<Doc, string | readonly Doc[]>;
  switch (node.kind) {
    case "line":
      return node.hard;
    case "comment":
      return false;
    case "indent":
      return propagateBreaks(node.contents);
    case "ifBreak":
      return propagateBreaks(node.broken) || propagateBreaks(node.flat);
    case "group": {
      const hard = propagateBreaks(node.contents);
      if (hard) node.forceBreak = true;
      return hard || node.forceBreak;
    }
  }
}
