/** The condensation and frequency-principle probes (condensation notes), by registry name. */
import type { ProbeFn } from "../types.js";
import { cosineShareProbe, cosineSimilarityProbe } from "./cosine.js";
import { condensedDirectionsProbe } from "./directions.js";
import { neuronFeaturesProbe } from "./features.js";
import { outputsProbe } from "./outputs.js";
import { relativeChangeProbe } from "./relative-change.js";
import { frequencyErrorProbe, learnedFunctionProbe } from "./spectrum.js";

export const condensationProbes: Readonly<Record<string, ProbeFn>> = {
  neuron_features: neuronFeaturesProbe,
  cosine_similarity: cosineSimilarityProbe,
  cosine_share: cosineShareProbe,
  relative_change: relativeChangeProbe,
  condensed_directions: condensedDirectionsProbe,
  frequency_error: frequencyErrorProbe,
  learned_function: learnedFunctionProbe,
  outputs: outputsProbe,
};
