/**
 * `seeds [1, 7, 42]`: every seed must name its own random stream. The generator reads a seed as a 32-bit
 * unsigned integer, so seeds outside [0, 2^32) would silently alias others (1 and 2^32 + 1 train the very
 * same networks); such seeds and repeated seeds are errors at the item that is wrong.
 */
import type * as A from "../../grammar/ast.js";
import { isValidSeed, SEED_LIMIT } from "../../contract/program.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { formatNumber } from "./values.js";

/** Report each seed of `list` that is out of range or repeated; true when every seed is usable. */
export function checkSeedList(list: readonly number[], expr: A.Expr, diagnostics: Diagnostic[]): boolean {
  // A literal list points at the offending item; a list from a `let` or a range points at the whole value.
  const spans = expr.kind === "List" && expr.items.length === list.length ? expr.items.map((i) => i.span) : list.map(() => expr.span);
  const first = new Map<number, number>();
  let ok = true;
  list.forEach((seed, k) => {
    if (!isValidSeed(seed)) {
      diagnostics.push(diagnostic("DYN2034", spans[k]!, { seed: formatNumber(seed), problem: outOfRange(seed) }));
      ok = false;
      return;
    }
    const earlier = first.get(seed);
    if (earlier === undefined) first.set(seed, k);
    else {
      diagnostics.push(diagnostic("DYN2034", spans[k]!, { seed: formatNumber(seed), problem: "appears twice; every seed must be distinct" }, { related: [{ message: "first here", span: spans[earlier]! }] }));
      ok = false;
    }
  });
  return ok;
}

function outOfRange(seed: number): string {
  if (!Number.isInteger(seed)) return "is not a whole number";
  if (seed < 0) return `is negative; seeds are whole numbers in [0, ${SEED_LIMIT - 1}]`;
  const alias = Number.isSafeInteger(seed) ? `, so it would repeat seed ${seed % SEED_LIMIT}` : "";
  return `is 2^32 or more: the random generator reads seeds modulo 2^32${alias}`;
}
