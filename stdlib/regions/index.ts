/** The activation-region family's implementations (schemas: ./entries.ts; patterns: ./patterns.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { activationRegionsProbe, deadUnitsProbe, regionIdsProbe } from "./probes.js";
import { regionSliceProbe } from "./slice.js";

export const regionProbeImplementations: readonly ProbeDefinition[] = [activationRegionsProbe, deadUnitsProbe, regionIdsProbe, regionSliceProbe];
