/**
 * Entry constructors that keep an entry's literal type (`const` type parameters), so the implementation
 * side (stdlib/probes/define.ts, stdlib/analyses/define.ts) can derive typed, defaulted arguments and a
 * result type from the very object the registry holds. Schema only: nothing here imports runtime code,
 * so the compiler can load every family's entries without TensorFlow.js.
 */
import type { DataSourceSchema, Entry } from "./types.js";

/** A probe's schema: params with defaults, `result` (fields / index / matrix) and its declared `cost`. */
export function probeEntry<const E extends Entry & { readonly kind: "probe" }>(entry: E): E {
  return entry;
}

/** An analysis function's schema: result-typed params take analyses, the others are constant options. */
export function analysisEntry<const E extends Entry & { readonly kind: "analysis" }>(entry: E): E {
  return entry;
}

/** A data source's schema: params, `lower` (its runtime spec) and `data` (shape, per-seed draws, size). */
export function dataEntry<const E extends Entry & { readonly kind: "data"; readonly data: DataSourceSchema }>(entry: E): E {
  return entry;
}
