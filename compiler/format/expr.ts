/**
 * Expressions → layout docs. Parentheses are printed only where the tree has a `Paren` node (the source had
 * them), so the printed tokens are the source's tokens and re-parsing yields the same tree.
 */
import type * as A from "../../grammar/ast.js";
import type { SourceFile } from "../../diagnostics/source.js";
import { group, ifBreak, indent, join, softline, line, type Doc } from "./doc.js";

export interface ExprContext {
  readonly source: SourceFile;
  /**
   * Inside the upper bound of a range the parser reads a singular `step` as the range's step, so a
   * quantity there keeps the plural unit (`0..1 steps`, never `0..1 step`).
   */
  readonly inRangeBound?: boolean;
}

/** The layout of an expression. */
export function exprDoc(e: A.Expr, ctx: ExprContext): Doc {
  switch (e.kind) {
    case "Number":
      return e.text;
    case "String":
      return quoteString(e.value);
    case "Bool":
      return e.value ? "true" : "false";
    case "Name":
      return e.name;
    case "List":
      return bracketed("[", e.items.map((i) => exprDoc(i, ctx)), "]", false);
    case "Interval":
      return bracketed("[", [exprDoc(e.lo, ctx), exprDoc(e.hi, ctx)], ")", false);
    case "Tuple":
      // One element needs its comma: `(a,)` is a tuple, `(a)` a parenthesised expression.
      return bracketed("(", e.items.map((i) => exprDoc(i, ctx)), ")", e.items.length === 1);
    case "Paren":
      return ["(", exprDoc(e.inner, ctx), ")"];
    case "Unary": {
      const operand = exprDoc(e.operand, ctx);
      if (e.op === "not") return ["not ", operand];
      // `- -x`, not `--x`: keep the two signs apart for the reader.
      const gap = startsWithSign(e.operand) ? " " : "";
      return [e.op, gap, operand];
    }
    case "Binary":
      return binaryDoc(e, ctx);
    case "Within":
      return [exprDoc(e.value, ctx), " within ", exprDoc(e.tolerance, ctx), " of ", exprDoc(e.reference, ctx)];
    case "Range": {
      const tight = isTightOperand(e.from) && isTightOperand(e.to);
      const to = exprDoc(e.to, { ...ctx, inRangeBound: true });
      const parts: Doc[] = [exprDoc(e.from, ctx), tight ? ".." : " .. ", to];
      if (e.step) parts.push(" step ", exprDoc(e.step, ctx));
      return parts;
    }
    case "Quantity":
      return quantityDoc(e, ctx);
    case "Call":
      return [exprDoc(e.callee, ctx), bracketed("(", e.args.map((a) => argumentDoc(a, ctx)), ")", false)];
    case "Member":
      return [exprDoc(e.object, ctx), ".", e.member.name];
    case "Index":
      return [exprDoc(e.object, ctx), indexListDoc(e.items, ctx)];
    case "Error":
      // Only reachable on a tree with syntax errors (`dync fmt` refuses those): keep whatever was there.
      return ctx.source.text.slice(e.span.start, e.span.end);
  }
}

/**
 * Spaces around every binary operator, except `^` between two "tight" operands (`x^2`, `width^-1`,
 * `2^k^2`), where the tight form reads as one term.
 */
function binaryDoc(e: A.BinaryExpr, ctx: ExprContext): Doc {
  const left = exprDoc(e.left, ctx);
  const right = exprDoc(e.right, ctx);
  if (e.op === "^" && isTightPower(e)) return [left, "^", right];
  return [left, ` ${e.op} `, right];
}

/** A power printed without spaces: both operands atoms (the exponent may be signed or itself tight). */
export function isTightPower(e: A.BinaryExpr): boolean {
  return e.op === "^" && isAtom(e.left) && isTightOperand(e.right);
}

/** An atom, a signed atom, or a tight power: what may stand next to a tight `^` or `..`. */
function isTightOperand(e: A.Expr): boolean {
  if (isAtom(e)) return true;
  if (e.kind === "Unary" && e.op !== "not") return isAtom(e.operand);
  return e.kind === "Binary" && isTightPower(e);
}

/** A single token or a bracketed/called/indexed/member form: nothing with an operator at its top. */
function isAtom(e: A.Expr): boolean {
  return ["Number", "String", "Bool", "Name", "List", "Interval", "Tuple", "Paren", "Call", "Member", "Index"].includes(e.kind);
}

function startsWithSign(e: A.Expr): boolean {
  const first = leftmost(e);
  return first.kind === "Unary" && first.op !== "not";
}

/** The sub-expression whose first token starts `e`. */
function leftmost(e: A.Expr): A.Expr {
  switch (e.kind) {
    case "Binary":
      return leftmost(e.left);
    case "Within":
      return leftmost(e.value);
    case "Range":
      return leftmost(e.from);
    case "Quantity":
      return e.value ? leftmost(e.value) : e;
    case "Call":
      return leftmost(e.callee);
    case "Member":
    case "Index":
      return leftmost(e.object);
    default:
      return e;
  }
}

/**
 * The first token of an expression, as the lexer would see it: used to decide whether a line break
 * alone separates two block items or the parser would read the second as continuing the first.
 */
export function firstToken(e: A.Expr): string {
  const first = leftmost(e);
  switch (first.kind) {
    case "Unary":
      return first.op;
    case "List":
    case "Interval":
      return "[";
    case "Tuple":
    case "Paren":
      return "(";
    case "Name":
      return first.name;
    case "Quantity":
      return first.unit === "steps" ? "step" : "epoch";
    case "Number":
      return first.text;
    case "String":
      return '"';
    case "Bool":
      return first.value ? "true" : "false";
    default:
      return "";
  }
}

function quantityDoc(e: A.QuantityExpr, ctx: ExprContext): Doc {
  if (e.unit === "%") return [e.value ? exprDoc(e.value, ctx) : "", "%"];
  const singular = e.unit === "steps" ? "step" : "epoch";
  // `every step`: the bare unit word means one.
  if (!e.value) return singular;
  const one = e.value.kind === "Number" && e.value.text === "1" && !ctx.inRangeBound;
  return [exprDoc(e.value, ctx), " ", one ? singular : e.unit];
}

function argumentDoc(a: A.Argument, ctx: ExprContext): Doc {
  switch (a.kind) {
    case "Positional":
      return exprDoc(a.value, ctx);
    case "Named":
      return [a.name.name, ": ", exprDoc(a.value, ctx)];
    case "Binding": {
      const head: Doc[] = [a.name.name, " in ", exprDoc(a.domain, ctx)];
      return a.body ? [...head, ": ", exprDoc(a.body, ctx)] : head;
    }
  }
}

/** `[opt = gd, 0]`: the items of an index or a probe's sweep points. */
export function indexListDoc(items: readonly A.IndexItem[], ctx: ExprContext): Doc {
  return ["[", join(", ", items.map((i) => indexItemDoc(i, ctx))), "]"];
}

function indexItemDoc(i: A.IndexItem, ctx: ExprContext): Doc {
  if (i.kind === "Wildcard") return "*";
  if (i.kind === "Selector") return [i.name.name, " = ", exprDoc(i.value, ctx)];
  if (i.kind === "At") return ["at ", exprDoc(i.points, ctx)];
  if (i.kind === "AtFirst") return ["at first(", exprDoc(i.condition, ctx), ")"];
  return exprDoc(i, ctx);
}

/**
 * `open items close`, flat when it fits, else one item per line with a trailing comma (the parser accepts
 * trailing commas in argument lists, lists, intervals and tuples). `alwaysComma` for one-element tuples.
 */
function bracketed(open: string, items: readonly Doc[], close: string, alwaysComma: boolean): Doc {
  if (items.length === 0) return open + close;
  return group([
    open,
    indent([softline, join([",", line], items), alwaysComma ? "," : ifBreak(",")]),
    softline,
    close,
  ]);
}

/** A string literal with `\\`, `"`, newline, tab and other control characters escaped. */
export function quoteString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\u{${code.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}
