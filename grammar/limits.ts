/**
 * Limits on what a parsed program may contain, so that hostile input gets a diagnostic instead of
 * exhausting the stack of every recursive pass after the parser (checker, formatter, language server).
 * Bracket nesting is bounded before parsing (parse.ts); this bounds the tree itself, which a flat chain
 * (`1 + 1 + … + 1`, `x[0][0]…[0]`) makes deep without a single bracket.
 */
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/source.js";
import type * as A from "./ast.js";

/** Deepest expression tree accepted (counted in nodes from the statement down). */
export const MAX_EXPR_DEPTH = 256;

interface Node {
  readonly kind: string;
  readonly span: Span;
}

function isNode(x: unknown): x is Node {
  return typeof x === "object" && x !== null && typeof (x as Node).kind === "string" && typeof (x as Node).span === "object";
}

/**
 * Replace every subtree deeper than MAX_EXPR_DEPTH by a placeholder number (reporting DYN1110 once per
 * statement), and report number literals that overflow to infinity (DYN1111). Iterative: never recurses.
 */
export function limitTree(program: A.Program, diagnostics: Diagnostic[]): void {
  for (const item of program.items) limitStatement(item, diagnostics);
}

function limitStatement(root: Node, diagnostics: Diagnostic[]): void {
  // `top`: the outermost node of the branch below the statement, the span a too-deep chain is reported on.
  const stack: { holder: Record<string, unknown> | unknown[]; key: string | number; depth: number; top: Node | undefined }[] = [];
  const push = (node: object, depth: number, top: Node | undefined) => {
    for (const [key, child] of Object.entries(node)) {
      if (key === "span") continue;
      if (Array.isArray(child)) child.forEach((c, i) => isNode(c) && stack.push({ holder: child, key: i, depth: depth + 1, top: top ?? c }));
      else if (isNode(child)) stack.push({ holder: node as Record<string, unknown>, key, depth: depth + 1, top: top ?? child });
    }
  };
  push(root, 0, undefined);
  let reported = false;
  while (stack.length > 0) {
    const { holder, key, depth, top } = stack.pop()!;
    const node = (holder as Record<string | number, unknown>)[key] as Node;
    if (depth > MAX_EXPR_DEPTH) {
      if (!reported) diagnostics.push(diagnostic("DYN1110", (top ?? node).span, { limit: MAX_EXPR_DEPTH }));
      reported = true;
      (holder as Record<string | number, unknown>)[key] = { kind: "Number", value: 0, text: "0", span: node.span } satisfies A.NumberLit;
      continue;
    }
    if (node.kind === "Number" && !Number.isFinite((node as A.NumberLit).value)) {
      diagnostics.push(diagnostic("DYN1111", node.span, { text: (node as A.NumberLit).text }));
    }
    push(node, depth, top);
  }
}
