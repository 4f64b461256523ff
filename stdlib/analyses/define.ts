/**
 * `defineAnalysis(entry, fn)`: an analysis function typed by its registry entry (an `analysisEntry({...})`
 * in the family's entries.ts). Params typed as results (`{ t: "ref" }`) arrive as evaluated tables, in
 * order; the others are constant options, typed from the schema and defaulted here (one place), so the
 * function never re-applies a default.
 */
import type { AnalysisFunction } from "../../runtime/analysis/functions.js";
import type { Table } from "../../runtime/analysis/table.js";
import type { Dim } from "../../contract/program.js";
import type { Entry } from "../registry/types.js";
import type { ArgOf } from "../probes/define.js";

/** The constant options of an analysis entry (every param not typed as a result), by name. */
export type AnalysisOptionsOf<E extends Entry> = {
  readonly [P in E["params"][number] as P["type"] extends { readonly t: "ref" } ? never : P["name"]]: ArgOf<P>;
};

/** An analysis function as the runtime sees it: its entry and the function `{ op: "fn" }` calls. */
export interface AnalysisDefinition {
  readonly entry: Entry;
  readonly call: AnalysisFunction;
}

export function defineAnalysis<const E extends Entry & { readonly kind: "analysis" }>(
  entry: E,
  fn: (tables: readonly Table[], options: AnalysisOptionsOf<E>, over: readonly Dim[]) => Table,
): AnalysisDefinition {
  const optionParams = entry.params.filter((p) => p.type.t !== "ref");
  return {
    entry,
    call: (tables, given, over) => {
      const options: Record<string, unknown> = {};
      for (const p of optionParams) options[p.name] = given[p.name] ?? p.default ?? null;
      return fn(tables, options as AnalysisOptionsOf<E>, over);
    },
  };
}
