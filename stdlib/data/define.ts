/**
 * `defineDataSource(entry, build)`: a data source's implementation, typed by its registry entry (a
 * `dataEntry({...})` in stdlib/entries/data.ts, schema only). `build` receives the source's lowered spec
 * (the `DataSpec` member named after the entry) and the data set's streams; a source whose entry says
 * `targets: "function"` returns its inputs, which the runner completes with the program's target function,
 * one with `targets: "own"` returns the whole data set. The runner dispatches on `entry.name` from one table
 * (stdlib/implementations.ts); test/stdlib/registry.test.ts checks the table against the registry.
 */
import type { Dataset } from "../../runtime/dataset.js";
import type { Rng } from "../../runtime/rng.js";
import type { DataSpec } from "../../contract/program.js";
import type { DataSourceSchema, Entry } from "../registry/types.js";
import type { InputTable } from "./inputs.js";

/** What a source's `build` knows of the data set it builds besides its spec. */
export interface DataSourceContext {
  /** The data set's name in the experiment. */
  readonly name: string;
  /** Root of real data sets when a spec names no directory: `<dataRoot>/<source>`. */
  readonly dataRoot: string;
  /** A data file named in the spec: a relative path resolves against the `.dyn` file's directory (as imports do). */
  dataFile(path: string): string;
  /** The data set's sample stream: `dataRng(seed, split || name)`, the split shared by data sets of one task. */
  samples(split?: string | null): Rng;
  /** The seed's task stream of this source (`taskRng(seed, source)`), shared by every data set of the source. */
  task(): Rng;
}

type DataEntry = Entry & { readonly kind: "data"; readonly data: DataSourceSchema };

/** The lowered spec of the source an entry names. */
export type SourceSpec<N extends string> = Extract<DataSpec, { readonly source: N }>;

/** A source's inputs (a target function completes them) or its whole data set (it brings its own targets). */
type Built<E extends DataEntry> = E["data"]["targets"] extends "own" ? Dataset : InputTable;

/** A data source as the runner sees it: its entry and how to build one data set from a spec. */
export type DataSourceDefinition =
  | { readonly entry: DataEntry; readonly targets: "own"; build(spec: DataSpec, ctx: DataSourceContext): Dataset }
  | { readonly entry: DataEntry; readonly targets: "function"; build(spec: DataSpec, ctx: DataSourceContext): InputTable };

/** The implementation of data source `entry`; its spec is the `DataSpec` member named after the entry. */
export function defineDataSource<const E extends DataEntry>(entry: E, build: (spec: SourceSpec<E["name"]>, ctx: DataSourceContext) => Built<E>): DataSourceDefinition {
  return { entry, targets: entry.data.targets, build: build as (spec: DataSpec, ctx: DataSourceContext) => never };
}
