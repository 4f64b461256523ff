/**
 * The runtime's table of standard-library implementations, built from the family folders (the registry
 * takes the same families' schemas from stdlib/registry/families.ts), and the data sources. test/stdlib/registry.test.ts
 * checks that the two name the same probes, analyses and data sources.
 */
import { condensationProbeImplementations } from "./condensation/index.js";
import { coreProbeImplementations } from "./core/index.js";
import { curvatureProbeImplementations } from "./curvature/index.js";
import { diversityProbeImplementations } from "./diversity/index.js";
import { groupProbeImplementations } from "./groups/index.js";
import { lotteryProbeImplementations } from "./lottery/index.js";
import { regionProbeImplementations } from "./regions/index.js";
import { spectralProbeImplementations } from "./spectral/index.js";
import { samplingProbeImplementations } from "./sampling/index.js";
import { familyAnalyses, analysisImplementations, analysisFunctions } from "./analysis-functions.js";
import type { AnalysisDefinition } from "./analyses/define.js";
import type { DataSourceDefinition } from "./data/define.js";
import { dataSourceDefinitions } from "./data/sources.js";
import type { ProbeDefinition } from "./probes/define.js";

export interface FamilyImplementations {
  readonly name: string;
  readonly probes: readonly ProbeDefinition[];
  readonly analyses: readonly AnalysisDefinition[];
}

/** A family: its probes, and its analyses from stdlib/analysis-functions.ts (none for most). */
function family(name: string, probes: readonly ProbeDefinition[]): FamilyImplementations {
  return { name, probes, analyses: familyAnalyses[name] ?? [] };
}

export const familyImplementations: readonly FamilyImplementations[] = [
  family("core", coreProbeImplementations),
  family("curvature", curvatureProbeImplementations),
  family("condensation", condensationProbeImplementations),
  family("lottery", lotteryProbeImplementations),
  family("regions", regionProbeImplementations),
  family("spectral", spectralProbeImplementations),
  family("sampling", samplingProbeImplementations),
  family("diversity", diversityProbeImplementations),
  family("groups", groupProbeImplementations),
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

/** Every standard-library analysis function (`{ op: "fn" }` in the IR), by registry name, and as runtime/analysis calls them (stdlib/analysis-functions.ts). */
export { analysisImplementations, analysisFunctions };

/** Every data source the runtime can build, by registry name. */
export const dataSourceImplementations: ReadonlyMap<string, DataSourceDefinition> = byName(dataSourceDefinitions, "data source");
