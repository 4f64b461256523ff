/** The curvature family's implementations (schemas: ./entries.ts). */
import type { ProbeDefinition } from "../probes/define.js";
import { hessianProbe, sharpnessProbe } from "./hessian.js";
import { hessianDensityProbe, hessianTraceProbe } from "./spectrum.js";

export { hessianEigenpairs, topEigenpairs } from "./hessian.js";
export type { EigenOptions, Eigenpairs, HessianCallOptions } from "./hessian.js";
export { HessianOperator, subsetRows } from "./operator.js";
export type { HvpOptions } from "./operator.js";
export { hutchinsonTrace, spectralDensity } from "./spectrum.js";
export { latestEigenpairs, paramLayout, publishEigenpairs } from "./eigen-board.js";
export type { HessianEigenpairs, ParamSlice } from "./eigen-board.js";

export const curvatureProbeImplementations: readonly ProbeDefinition[] = [sharpnessProbe, hessianProbe, hessianTraceProbe, hessianDensityProbe];
