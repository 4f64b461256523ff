/**
 * Standard-library analysis functions, by registry name: the extension point for analyses that are not
 * reductions or fits of the core IR (multimodality, resampling tests, …). Each takes the evaluated
 * tables of its positional arguments, its constant options and the `over` dimensions, and returns a
 * table. Phenomenon modules register theirs with `registerAnalysis` at import time
 * (runtime/analysis/index.ts imports every module that does).
 */
import { DyncRuntimeError } from "../errors.js";
import type { Dim } from "../../contract/program.js";
import type { Table } from "./table.js";

export type AnalysisOptions = Readonly<Record<string, number | string | boolean>>;
export type AnalysisFunction = (args: readonly Table[], options: AnalysisOptions, over: readonly Dim[]) => Table;

const functions = new Map<string, AnalysisFunction>();

/** Make `name` callable from `.dyn` analyses; the registry entry of the same name documents it. */
export function registerAnalysis(name: string, fn: AnalysisFunction): void {
  if (functions.has(name)) throw new Error(`analysis function ${name} registered twice`);
  functions.set(name, fn);
}

export function hasAnalysis(name: string): boolean {
  return functions.has(name);
}

export function callFunction(name: string, args: readonly Table[], options: AnalysisOptions, over: readonly Dim[]): Table {
  const fn = functions.get(name);
  if (!fn) throw new DyncRuntimeError("RUN040", `analysis function "${name}" is not implemented in this runtime (known: ${[...functions.keys()].join(", ") || "none"})`);
  return fn(args, options, over);
}
