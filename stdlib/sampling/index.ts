/** The sampling family's implementations (schemas: ./entries.ts): the probes that take pairs, and the pair samplers. */
import type { ProbeDefinition } from "../probes/define.js";
import { gradientConfusionProbe, hammingProbe } from "./probes.js";

export const samplingProbeImplementations: readonly ProbeDefinition[] = [hammingProbe, gradientConfusionProbe];
export { samplerImplementations, samplerFor, type PairIndices, type SamplerDefinition } from "./samplers.js";
export { drawPairs, pairRows, pairStream } from "./draw.js";
