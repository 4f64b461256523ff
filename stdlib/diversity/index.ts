/** The feature-diversity family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { commonDirectionProbe } from "./common-direction.js";
import { featureCosineProbe, featureGradientCosineProbe, gateAgreementProbe } from "./probes.js";

export const diversityProbeImplementations: readonly ProbeDefinition[] = [featureCosineProbe, featureGradientCosineProbe, gateAgreementProbe, commonDirectionProbe];
