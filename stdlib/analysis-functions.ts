/**
 * The standard library's analysis functions (`{ op: "fn" }` in the IR) per family, without the probes:
 * no analysis implementation imports TensorFlow.js, so `dync report` (which evaluates analyses but runs no
 * probe) loads this module instead of stdlib/implementations.ts, which pulls in every probe and tfjs
 * (~0.3 s of CPU). implementations.ts takes its families' analyses from here: one list.
 */
import { condensationAnalysisImplementations } from "./condensation/analyses.js";
import { coreAnalysisImplementations } from "./core/analyses.js";
import { groupAnalysisImplementations } from "./groups/analyses.js";
import { lotteryAnalysisImplementations } from "./lottery/analyses.js";
import { samplingAnalysisImplementations } from "./sampling/analyses.js";
import type { AnalysisDefinition } from "./analyses/define.js";
import type { AnalysisFunctions } from "../runtime/analysis/functions.js";

/** Each family's analysis implementations, by family name (families without analyses are absent). */
export const familyAnalyses: Readonly<Record<string, readonly AnalysisDefinition[]>> = {
  core: coreAnalysisImplementations,
  condensation: condensationAnalysisImplementations,
  lottery: lotteryAnalysisImplementations,
  sampling: samplingAnalysisImplementations,
  groups: groupAnalysisImplementations,
};

/** Every standard-library analysis function, by registry name. */
export const analysisImplementations: ReadonlyMap<string, AnalysisDefinition> = (() => {
  const table = new Map<string, AnalysisDefinition>();
  for (const analysis of Object.values(familyAnalyses).flat()) {
    if (table.has(analysis.entry.name)) throw new Error(`two implementations of analysis \`${analysis.entry.name}\``);
    table.set(analysis.entry.name, analysis);
  }
  return table;
})();

/** The analysis functions as runtime/analysis calls them. */
export const analysisFunctions: AnalysisFunctions = new Map([...analysisImplementations].map(([name, d]) => [name, d.call]));
