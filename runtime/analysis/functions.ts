/**
 * Standard-library analysis functions (`{ op: "fn" }` in the IR): the extension point for analyses that
 * are not reductions or fits of the core IR (multimodality, resampling tests, …). Each takes the evaluated
 * tables of its positional arguments, its constant options and the `over` dimensions, and returns a
 * table. The table of them is passed in (`AnalysisEnv.functions`): the runner gives the standard library's
 * (stdlib/implementations.ts), so this core module knows no phenomenon.
 */
import { DyncRuntimeError } from "../errors.js";
import type { Dim } from "../../contract/program.js";
import type { Table } from "./table.js";

export type AnalysisOptions = Readonly<Record<string, number | string | boolean>>;
export type AnalysisFunction = (args: readonly Table[], options: AnalysisOptions, over: readonly Dim[]) => Table;

/** Analysis functions by registry name. */
export type AnalysisFunctions = ReadonlyMap<string, AnalysisFunction>;

export function callFunction(functions: AnalysisFunctions | undefined, name: string, args: readonly Table[], options: AnalysisOptions, over: readonly Dim[]): Table {
  const fn = functions?.get(name);
  if (!fn) throw new DyncRuntimeError("RUN040", `analysis function "${name}" is not implemented in this runtime (known: ${[...(functions?.keys() ?? [])].join(", ") || "none"})`);
  return fn(args, options, over);
}
