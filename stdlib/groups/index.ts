/** The groups family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { gradNormProbe, perSampleLossProbe } from "./probes.js";

export { layerSquaredGradientNorms, perSampleLosses, trainingStepLosses } from "./probes.js";

export const groupProbeImplementations: readonly ProbeDefinition[] = [perSampleLossProbe, gradNormProbe];
