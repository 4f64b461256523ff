/** The curvature family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { sharpnessProbe } from "./hessian.js";

export { hessianVectorProduct, topHessianEigenvalue } from "./hessian.js";
export type { HvpBatch, SharpnessOptions, SharpnessResult } from "./hessian.js";

export const curvatureProbeImplementations: readonly ProbeDefinition[] = [sharpnessProbe];
