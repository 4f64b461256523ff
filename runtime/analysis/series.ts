/**
 * Series over steps: the step at which something first happens in each group of a table's other
 * dimensions (`convergence_step`, `plateau_end`). One place sorts by step and reports NaN for "never".
 */
import { DyncRuntimeError } from "../errors.js";
import { type Cell, groupRows, STEPS, type Table } from "./table.js";

/**
 * Per group of every dimension but `steps`: the step of the measurement `first` picks from the group's
 * values in step order (its index, or −1 for none, giving NaN). `name` is the analysis, for messages.
 */
export function firstStepPerGroup(table: Table, name: string, toNumber: (cell: Cell) => number, first: (values: readonly number[]) => number): Table {
  if (!table.dims.includes(STEPS)) throw new DyncRuntimeError("RUN051", `${name} needs a series over steps`);
  const keep = table.dims.filter((d) => d !== STEPS);
  return {
    dims: keep,
    rows: groupRows(table.rows, keep).map((g) => {
      const sorted = [...g.rows].sort((a, b) => Number(a.key[STEPS]) - Number(b.key[STEPS]));
      const index = first(sorted.map((r) => toNumber(r.value)));
      return { key: g.key, value: index >= 0 ? Number(sorted[index]!.key[STEPS]) : NaN };
    }),
  };
}
