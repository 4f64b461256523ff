/** The core family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { accuracyProbe } from "./accuracy.js";
import { lossProbe } from "./loss.js";
import { outputsProbe } from "./outputs.js";
import { learningRateProbe, optimizerStatProbe, trainLossProbe } from "./training.js";
import { weightNormProbe } from "./weight-norm.js";
import { paramProbe, weightsProbe } from "./param.js";
import { featureNormProbe } from "./feature-norm.js";

export const coreProbeImplementations: readonly ProbeDefinition[] = [lossProbe, accuracyProbe, weightNormProbe, paramProbe, weightsProbe, featureNormProbe, trainLossProbe, learningRateProbe, optimizerStatProbe, outputsProbe];
