/** Text for expectation details: numbers, row keys and analysis expressions as a person would write them. */
import type { AnalysisExpr, Dim, SweepValue } from "../../contract/program.js";
import { formatNumber } from "./numbers.js";
import { SEEDS, STEPS, type Cell, type Key } from "./table.js";

export { formatDistinct, formatNumber, formatPair } from "./numbers.js";

/** A cell for messages: numbers formatted, fits as their α. */
export function formatCell(value: Cell): string {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return String(value);
  return `fit with alpha ${formatNumber(value.alpha)}`;
}

/** `width=10, act=silu, seed=3, step=200` (seeds/steps in the singular: one value each). */
export function formatKey(key: Key, dims: readonly Dim[]): string {
  return dims.map((d) => `${dimLabel(d)}=${formatValue(key[d]!)}`).join(", ");
}

function dimLabel(d: Dim): string {
  return d === SEEDS ? "seed" : d === STEPS ? "step" : d;
}

function formatValue(v: SweepValue): string {
  return String(v);
}

/** The expression as `.dyn`-like text: `alpha[act=silu]`, `max(sharp after 50%)`, `median(loss) over seeds`. */
export function describe(expr: AnalysisExpr): string {
  switch (expr.op) {
    case "probe":
    case "let":
    case "sweep":
      return expr.name;
    case "number":
      return formatNumber(expr.value, 6);
    case "arith":
      return `${operand(expr.left)} ${expr.fn} ${operand(expr.right)}`;
    case "neg":
      return `-${operand(expr.arg)}`;
    case "map":
      return `${expr.fn}(${describe(expr.arg)})`;
    case "reduce": {
      const args = expr.fn === "quantile" ? `${describe(expr.arg)}, q: ${expr.q}` : describe(expr.arg);
      return `${expr.fn}(${args})${expr.over.length ? ` over ${expr.over.join(", ")}` : ""}`;
    }
    case "select":
      return `${operand(expr.arg)}[${Object.entries(expr.where).map(([d, v]) => `${d}=${formatValue(v)}`).join(", ")}]`;
    case "time":
      return `${describe(expr.arg)} ${expr.relation} ${"fraction" in expr.at ? `${formatNumber(expr.at.fraction * 100, 6)}%` : `step ${expr.at.step}`}`;
    case "window":
      return `${describe(expr.arg)} ${expr.relation} ${operand(expr.bound)}`;
    case "fit_power_law":
      return `fit_power_law(${describe(expr.y)} ~ ${expr.x})${expr.by.length ? ` by ${expr.by.join(", ")}` : ""}`;
    case "field":
      return `${operand(expr.arg)}.${expr.name}`;
    case "compare":
      return `${operand(expr.left)} ${expr.fn} ${operand(expr.right)}`;
    case "in":
      return `${operand(expr.arg)} in [${expr.lo}, ${expr.hi}${expr.closedHi ? "]" : ")"}`;
    case "within":
      return `${operand(expr.arg)} within ${"fraction" in expr.tolerance ? `${formatNumber(expr.tolerance.fraction * 100, 6)}%` : expr.tolerance.absolute} of ${operand(expr.reference)}`;
    case "and":
    case "or":
      return `${operand(expr.left)} ${expr.op} ${operand(expr.right)}`;
    case "not":
      return `not ${operand(expr.arg)}`;
    case "fn": {
      const options = Object.entries(expr.options).map(([k, v]) => `${k}: ${v}`);
      return `${expr.name}(${[...expr.args.map(describe), ...options].join(", ")})${expr.over.length ? ` over ${expr.over.join(", ")}` : ""}`;
    }
  }
}

// Operands that are themselves infix expressions get parentheses, so the text reads unambiguously.
function operand(expr: AnalysisExpr): string {
  const infix = ["arith", "compare", "in", "within", "and", "or", "time", "window", "neg", "not"].includes(expr.op);
  const trailingBy = expr.op === "fit_power_law" && expr.by.length > 0;
  return infix || trailingBy ? `(${describe(expr)})` : describe(expr);
}
