/** Parsing shortcuts for grammar tests: parse a snippet, insist it is clean, and print its tree compactly. */
import { expect } from "vitest";
import type * as A from "../../grammar/ast.js";
import { parse, type ParseResult } from "../../grammar/parse.js";
import { printExpr, printStmt } from "./ast-print.js";

/** Parse `text` and fail the test with the diagnostics' messages if there are any. */
export function parseClean(text: string): ParseResult {
  const result = parse(text, "test.dyn");
  expect(result.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
  return result;
}

/** The tree of one expression, written as `let v = <text>` at the top level. */
export function exprTree(text: string): A.Expr {
  const item = parseClean(`let v = ${text}`).program.items[0];
  if (item?.kind !== "Let") throw new Error(`expected a let statement, got ${item?.kind}`);
  return item.value;
}

/** The printed tree of one expression. */
export function expr(text: string): string {
  return printExpr(exprTree(text));
}

/** The statements of an experiment body written as `text`. */
export function bodyOf(text: string): readonly A.Statement[] {
  const item = parseClean(`experiment e {\n${text}\n}`).program.items[0];
  if (item?.kind !== "Experiment") throw new Error(`expected an experiment, got ${item?.kind}`);
  return item.body;
}

/** The printed statements of an experiment body. */
export function stmts(text: string): string[] {
  return bodyOf(text).map(printStmt);
}

/** The one statement of an experiment body, printed. */
export function stmt(text: string): string {
  const all = stmts(text);
  expect(all).toHaveLength(1);
  return all[0]!;
}
