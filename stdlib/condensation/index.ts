/** The condensation family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { cosineShareProbe, cosineSimilarityProbe } from "./cosine.js";
import { condensedDirectionsProbe } from "./directions.js";
import { neuronFeaturesProbe } from "./features.js";
import { relativeChangeProbe } from "./relative-change.js";
import { frequencyErrorProbe, learnedFunctionProbe } from "./spectrum.js";

export const condensationProbeImplementations: readonly ProbeDefinition[] = [
  neuronFeaturesProbe,
  cosineSimilarityProbe,
  cosineShareProbe,
  relativeChangeProbe,
  condensedDirectionsProbe,
  frequencyErrorProbe,
  learnedFunctionProbe,
];
