/**
 * A compact, fully parenthesised printer of the `.dyn` AST, so tests can state the expected tree shape as
 * one readable string: `1 + 2 * 3 - 4` prints `((1 + (2 * 3)) - 4)`.
 *
 * Conventions: binary and unary operators, ranges, quantities and `within` are wrapped in parentheses;
 * a parenthesised source expression `(x)` prints as `paren(x)` so it is distinguishable from grouping;
 * tuples print as `tuple(a, b)`; half-open intervals as `[a, b)`; an error node as `<error>`.
 */
import type * as A from "../../grammar/ast.js";

/** One expression, fully parenthesised. */
export function printExpr(e: A.Expr): string {
  switch (e.kind) {
    case "Number":
      return e.text;
    case "String":
      return JSON.stringify(e.value);
    case "Bool":
      return String(e.value);
    case "Name":
      return e.name;
    case "List":
      return `[${e.items.map(printExpr).join(", ")}]`;
    case "Interval":
      return `[${printExpr(e.lo)}, ${printExpr(e.hi)})`;
    case "Tuple":
      return `tuple(${e.items.map(printExpr).join(", ")})`;
    case "Paren":
      return `paren(${printExpr(e.inner)})`;
    case "Unary":
      return e.op === "not" ? `(not ${printExpr(e.operand)})` : `(${e.op}${printExpr(e.operand)})`;
    case "Binary":
      return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`;
    case "Within":
      return `(${printExpr(e.value)} within ${printExpr(e.tolerance)} of ${printExpr(e.reference)})`;
    case "Range":
      return `(${printExpr(e.from)}..${printExpr(e.to)}${e.step ? ` step ${printExpr(e.step)}` : ""})`;
    case "Quantity":
      if (!e.value) return `(${e.unit})`;
      return e.unit === "%" ? `(${printExpr(e.value)}%)` : `(${printExpr(e.value)} ${e.unit})`;
    case "Call":
      return `${printExpr(e.callee)}(${e.args.map(printArg).join(", ")})`;
    case "Member":
      return `${printExpr(e.object)}.${e.member.name}`;
    case "Index":
      return `${printExpr(e.object)}[${e.items.map(printIndexItem).join(", ")}]`;
    case "Error":
      return "<error>";
  }
}

/** One call argument: `v`, `name: v`, `x in d` or `k in d: body`. */
export function printArg(a: A.Argument): string {
  switch (a.kind) {
    case "Positional":
      return printExpr(a.value);
    case "Named":
      return `${a.name.name}: ${printExpr(a.value)}`;
    case "Binding":
      return `${a.name.name} in ${printExpr(a.domain)}${a.body ? `: ${printExpr(a.body)}` : ""}`;
  }
}

function printIndexItem(i: A.IndexItem): string {
  if (i.kind === "Wildcard") return "*";
  if (i.kind === "Selector") return `${i.name.name} = ${printExpr(i.value)}`;
  if (i.kind === "At" || i.kind === "AtFirst") return printCadence(i);
  return printExpr(i);
}

function printCadence(c: A.Cadence): string {
  switch (c.kind) {
    case "Every":
      return `every ${printExpr(c.interval)}`;
    case "At":
      return `at ${printExpr(c.points)}`;
    case "AtFirst":
      return `at first(${printExpr(c.condition)})`;
  }
}

/** One statement on one line (blocks print their items between `{ }` separated by `; `). */
export function printStmt(s: A.Statement | A.DataItem | A.ModelItem): string {
  switch (s.kind) {
    case "Import":
      return `import ${JSON.stringify(s.path.value)}`;
    case "Let":
      return `let ${s.name.name} = ${printExpr(s.value)}`;
    case "Experiment":
      return `experiment ${s.name.name} { ${s.body.map(printStmt).join("; ")} }`;
    case "Sweep":
      return `sweep ${s.tuple ? `(${s.vars.map((v) => v.name).join(", ")})` : s.vars.map((v) => v.name).join(", ")} in ${printExpr(s.values)}`;
    case "Seeds":
      return `seeds ${printExpr(s.value)}`;
    case "Data":
      if (s.block) return `data ${s.name.name} { ${s.block.map(printStmt).join("; ")} }`;
      return `data ${s.name.name} = ${s.source ? printExpr(s.source) : "?"}${s.target ? ` -> ${printExpr(s.target)}` : ""}`;
    case "Sample":
      return `${s.name.name} ~ ${printExpr(s.distribution)}${s.size ? ` [${printExpr(s.size)}]` : ""}`;
    case "Assign":
      return `${s.name.name} = ${printExpr(s.value)}`;
    case "DataOption":
      return `${s.name.name}: ${printExpr(s.value)}`;
    case "Model":
      if (s.layers) return `model ${s.name.name} { ${s.layers.map(printStmt).join("; ")} }`;
      return `model ${s.name.name} = ${s.value ? printExpr(s.value) : "?"}`;
    case "Layer":
      return s.name ? `${s.name.name} = ${printExpr(s.value)}` : printExpr(s.value);
    case "Init":
      return `init ${s.target ? `target=${printExpr(s.target)} ` : ""}scheme=${printExpr(s.scheme)}`;
    case "Clause":
      return `${s.keyword} ${printExpr(s.value)}`;
    case "Train":
      return `train ${printExpr(s.duration)}${s.options.map((o) => `, ${o.name} ${printExpr(o.value)}`).join("")}`;
    case "Checkpoint":
      return `checkpoint every ${printExpr(s.interval)}`;
    case "Probe":
      return `probe ${s.name.name}${s.only ? `[${s.only.map(printIndexItem).join(", ")}]` : ""} = ${printExpr(s.value)}${s.cadences.map((c) => ` | ${printCadence(c)}`).join("")}`;
    case "Expect":
      return `expect ${printExpr(s.condition)}`;
    case "Plot":
      return `plot ${printExpr(s.value)}`;
    case "Profile":
      return `profile ${s.name.name} { ${s.body.map(printStmt).join("; ")} }`;
    case "ErrorStatement":
      return "<error statement>";
  }
}
