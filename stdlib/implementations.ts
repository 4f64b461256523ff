/**
 * The runtime's table of standard-library implementations, built from the family folders (the registry
 * takes the same families' schemas from stdlib/registry/families.ts), and the data sources. test/stdlib/registry.test.ts
 * checks that the two name the same probes, analyses and data sources.
 */
import { condensationAnalysisImplementations } from "./condensation/analyses.js";
import { coreAnalysisImplementations } from "./core/analyses.js";
import { condensationProbeImplementations } from "./condensation/index.js";
import { coreProbeImplementations } from "./core/index.js";
import { curvatureProbeImplementations } from "./curvature/index.js";
import { diversityProbeImplementations } from "./diversity/index.js";
import { groupProbeImplementations } from "./groups/index.js";
import { groupAnalysisImplementations } from "./groups/analyses.js";
import { lotteryAnalysisImplementations } from "./lottery/analyses.js";
import { lotteryProbeImplementations } from "./lottery/index.js";
import { regionProbeImplementations } from "./regions/index.js";
import { spectralProbeImplementations } from "./spectral/index.js";
import { samplingProbeImplementations } from "./sampling/index.js";
import { samplingAnalysisImplementations } from "./sampling/analyses.js";
import type { AnalysisDefinition } from "./analyses/define.js";
import type { DataSourceDefinition } from "./data/define.js";
import { dataSourceDefinitions } from "./data/sources.js";
import type { ProbeDefinition } from "./probes/define.js";
import type { AnalysisFunctions } from "../runtime/analysis/functions.js";

export interface FamilyImplementations {
  readonly name: string;
  readonly probes: readonly ProbeDefinition[];
  readonly analyses: readonly AnalysisDefinition[];
}

export const familyImplementations: readonly FamilyImplementations[] = [
  { name: "core", probes: coreProbeImplementations, analyses: coreAnalysisImplementations },
  { name: "curvature", probes: curvatureProbeImplementations, analyses: [] },
  { name: "condensation", probes: condensationProbeImplementations, analyses: condensationAnalysisImplementations },
  { name: "lottery", probes: lotteryProbeImplementations, analyses: lotteryAnalysisImplementations },
  { name: "regions", probes: regionProbeImplementations, analyses: [] },
  { name: "spectral", probes: spectralProbeImplementations, analyses: [] },
  { name: "sampling", probes: samplingProbeImplementations, analyses: samplingAnalysisImplementations },
  { name: "diversity", probes: diversityProbeImplementations, analyses: [] },
  { name: "groups", probes: groupProbeImplementations, analyses: groupAnalysisImplementations },
];

function byName<T extends { readonly entry: { readonly name: string } }>(items: readonly T[], what: string): ReadonlyMap<string, T> {
  const table = new Map<string, T>();
  for (const item of items) {
    if (table.has(item.entry.name)) throw new Error(`two implementations of ${what} \`${item.entry.name}\``);
    table.set(item.entry.name, item);
  }
  return table;
}

/** Every probe the runtime can run, by registry name. */
export const probeImplementations: ReadonlyMap<string, ProbeDefinition> = byName(familyImplementations.flatMap((f) => f.probes), "probe");

/** Every standard-library analysis function (`{ op: "fn" }` in the IR), by registry name. */
export const analysisImplementations: ReadonlyMap<string, AnalysisDefinition> = byName(familyImplementations.flatMap((f) => f.analyses), "analysis");

/** The analysis functions as runtime/analysis calls them. */
export const analysisFunctions: AnalysisFunctions = new Map([...analysisImplementations].map(([name, d]) => [name, d.call]));

/** Every data source the runtime can build, by registry name. */
export const dataSourceImplementations: ReadonlyMap<string, DataSourceDefinition> = byName(dataSourceDefinitions, "data source");
