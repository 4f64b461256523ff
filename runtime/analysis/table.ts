/**
 * Result tables: the values analyses compute. A table is a set of rows, each keyed by the table's
 * dimensions (sweep variables, `seeds`, `steps`) and holding one value.
 */
import type { Dim, SweepValue } from "../../contract/program.js";
import { DyncRuntimeError } from "../errors.js";
import type { PowerLawFit } from "./power-law.js";

/** The dimension of seed values in a probe's series. */
export const SEEDS: Dim = "seeds";
/** The dimension of measurement steps in a probe's series. */
export const STEPS: Dim = "steps";
/** A line plot's `x: epochs`: measurement steps divided by the run's steps per epoch (report/plot-epochs.ts). */
export const EPOCHS: Dim = "epochs";

/** A row's coordinates: one value per dimension of its table. */
export type Key = Readonly<Record<Dim, SweepValue>>;

/** A table cell: a measurement or derived number, a condition's truth, or a power-law fit. */
export type Cell = number | boolean | PowerLawFit;

export interface Row {
  readonly key: Key;
  readonly value: Cell;
  /** For conditions: the numbers that made the row true or false (`alpha = 0.94 ∈ [0.7, 1.3]`). */
  readonly note?: string;
  /**
   * For comparisons, ranges and tolerances: the numbers that decided the row, for results.json
   * (`value` and `bound`; `value`, `low` and `high`; `value`, `reference` and `allowed`, the tolerance in the value's units).
   */
  readonly measured?: Readonly<Record<string, number>>;
}

export interface Table {
  /** Dimensions in order; every row's key has exactly these. */
  readonly dims: readonly Dim[];
  readonly rows: readonly Row[];
}

/** A table of one row without dimensions: how a number broadcasts. */
export function scalarTable(value: Cell): Table {
  return { dims: [], rows: [{ key: {}, value }] };
}

/** Whether two dimension values are the same; a number and its text (`10` and `"10"`) also match. */
export function sameValue(a: SweepValue, b: SweepValue): boolean {
  return a === b || (typeof a !== typeof b && String(a) === String(b));
}

/** A string identifying a row's values on `dims`, for grouping and hash joins. */
export function keyId(key: Key, dims: readonly Dim[]): string {
  // Numbers and their text must group together (see sameValue), so ids use the text of every value;
  // U+0001 cannot occur in a sweep value's text, so distinct keys never share an id.
  let id = "";
  for (const d of dims) id += `${String(key[d])}\u0001`;
  return id;
}

/** The key restricted to `dims`. */
export function project(key: Key, dims: readonly Dim[]): Key {
  const out: Record<Dim, SweepValue> = Object.create(null) as Record<Dim, SweepValue>;
  for (const d of dims) out[d] = key[d]!;
  return out;
}

/** Rows grouped by their values on `dims`, groups in order of first appearance. */
export function groupRows(rows: readonly Row[], dims: readonly Dim[]): { key: Key; rows: Row[] }[] {
  const groups = new Map<string, { key: Key; rows: Row[] }>();
  for (const row of rows) {
    const id = keyId(row.key, dims);
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { key: project(row.key, dims), rows: [] }));
    group.rows.push(row);
  }
  return [...groups.values()];
}

/**
 * Natural join of two tables on their shared dimensions: every pair of rows that agree on the shared
 * dimensions gives one output row keyed by the union of both keys. A table with fewer dimensions (or
 * none: a number) thereby broadcasts over the other's; rows without a partner are dropped.
 * Keys are built by spreading (own data properties), never by Object.assign or `key[d] = v` on a plain
 * object: a sweep variable may be called `__proto__`, and assignment would set a prototype instead.
 */
export function join<T>(
  left: Table,
  right: Table,
  combine: (l: Row, r: Row, key: Key) => T,
): { dims: Dim[]; rows: T[] } {
  const shared = left.dims.filter((d) => right.dims.includes(d));
  const dims = [...left.dims, ...right.dims.filter((d) => !left.dims.includes(d))];
  const byShared = new Map<string, Row[]>();
  for (const r of right.rows) {
    const id = keyId(r.key, shared);
    const bucket = byShared.get(id);
    if (bucket) bucket.push(r);
    else byShared.set(id, [r]);
  }
  const rows: T[] = [];
  for (const l of left.rows) {
    for (const r of byShared.get(keyId(l.key, shared)) ?? []) rows.push(combine(l, r, { ...r.key, ...l.key }));
  }
  return { dims, rows };
}

/** A cell as a number: a fit stands for its α (so `expect alpha in [0.7, 1.3]` reads as written). */
export function numberOf(value: Cell, what: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "object") return value.alpha;
  throw new DyncRuntimeError("RUN040", `\`${what}\` is a true/false condition where a number is needed`);
}

/** A cell as a truth value; numbers and fits are not conditions. */
export function booleanOf(value: Cell, what: string): boolean {
  if (typeof value === "boolean") return value;
  throw new DyncRuntimeError("RUN040", `\`${what}\` gives ${typeof value === "number" ? "numbers" : "fits"} where a true/false condition is needed`);
}

/** Distinct values of one dimension, in order of appearance. */
export function dimValues(table: Table, dim: Dim): SweepValue[] {
  const out: SweepValue[] = [];
  for (const row of table.rows) if (!out.some((v) => sameValue(v, row.key[dim]!))) out.push(row.key[dim]!);
  return out;
}

/** Throws RUN051 unless `dim` is one of the table's dimensions. */
export function requireDim(table: Table, dim: Dim, what: string): void {
  if (!table.dims.includes(dim)) {
    throw new DyncRuntimeError(
      "RUN051",
      `${what} has no dimension "${dim}"; its dimensions are ${table.dims.length ? table.dims.join(", ") : "none (a single value)"}`,
    );
  }
}
