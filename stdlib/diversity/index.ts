/** The feature-diversity family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { commonDirectionProbe } from "./common-direction.js";

export const diversityProbeImplementations: readonly ProbeDefinition[] = [commonDirectionProbe];
