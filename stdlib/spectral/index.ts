/** The spectral family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { boundaryDistanceProbe } from "./boundary-distance.js";
import { encodingDistanceProbe } from "./encoding-distance.js";
import { spectralNormProbe } from "./spectral-norm.js";

export const spectralProbeImplementations: readonly ProbeDefinition[] = [spectralNormProbe, boundaryDistanceProbe, encodingDistanceProbe];
