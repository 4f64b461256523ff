/** The outline: experiments with their sweeps, data, models, probes, lets and profiles; top-level definitions. */
import { SymbolKind, type DocumentSymbol } from "vscode-languageserver";
import type * as A from "../../grammar/ast.js";
import { rangeOfSpan } from "./convert.js";

/** Document symbols of a (possibly partial) parsed program. */
export function documentSymbols(program: A.Program): DocumentSymbol[] {
  return program.items.flatMap(symbolsOf);
}

function symbolsOf(s: A.Statement): DocumentSymbol[] {
  switch (s.kind) {
    case "Experiment":
      return [symbol(s.name, s, SymbolKind.Namespace, "experiment", s.body.flatMap(symbolsOf))];
    case "Profile":
      return [symbol(s.name, s, SymbolKind.Namespace, "profile", s.body.flatMap(symbolsOf))];
    case "Let":
      return [symbol(s.name, s, SymbolKind.Variable, "let")];
    case "Data":
      return [symbol(s.name, s, SymbolKind.Struct, "data")];
    case "Model":
      return [symbol(s.name, s, SymbolKind.Class, "model")];
    case "Probe":
      return [symbol(s.name, s, SymbolKind.Event, "probe")];
    case "Sweep":
      return s.vars.map((v) => symbol(v, s, SymbolKind.TypeParameter, "sweep"));
    default:
      return [];
  }
}

function symbol(name: A.Identifier, node: A.Statement, kind: SymbolKind, detail: string, children?: DocumentSymbol[]): DocumentSymbol {
  // LSP requires the selection range inside the full range; a recovered node may have an empty span.
  const range = rangeOfSpan(node.span.end >= name.span.end ? node.span : name.span);
  return { name: name.name || "(unnamed)", detail, kind, range, selectionRange: rangeOfSpan(name.span), ...(children ? { children } : {}) };
}
