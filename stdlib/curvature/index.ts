/** The curvature family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { curvatureProbe, eigenShareProbe, projectProbe, stepAlongProbe } from "./along.js";
import { hessianProbe, sharpnessProbe } from "./hessian.js";
import { hessianDensityProbe, hessianTraceProbe } from "./spectrum.js";

export { hessianEigenpairs, topEigenpairs } from "./hessian.js";
export type { EigenOptions, Eigenpairs, HessianCallOptions } from "./hessian.js";
export { HessianOperator, hvpPathCounts, predictedHvpPath, subsetRows } from "./operator.js";
export type { HvpOptions, HvpProbe } from "./operator.js";
export { hutchinsonTrace, spectralDensity } from "./spectrum.js";
export { flatParameters, layerShares } from "./along.js";
export { latestEigenpairs, paramLayout, publishEigenpairs } from "./eigen-board.js";
export type { HessianEigenpairs, ParamSlice } from "./eigen-board.js";

export const curvatureProbeImplementations: readonly ProbeDefinition[] = [sharpnessProbe, hessianProbe, hessianTraceProbe, hessianDensityProbe, curvatureProbe, eigenShareProbe, projectProbe, stepAlongProbe];
