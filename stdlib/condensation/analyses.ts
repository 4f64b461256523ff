/**
 * Analysis functions of the condensation phenomenon: when a series converges (frequency principle), the
 * regime the phase diagram predicts from (γ, γ'), and the regime a measured RD slope indicates.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { PowerLawFit } from "../../runtime/analysis/power-law.js";
import { type AnalysisDefinition, defineAnalysis } from "../analyses/define.js";
import * as entries from "./entries.js";
import type { Cell, Table } from "../../runtime/analysis/table.js";
import { firstStepPerGroup } from "../../runtime/analysis/series.js";

/** −1 linear, 0 critical, 1 condensed. */
export type Regime = -1 | 0 | 1;

/** Luo et al. 2021: linear if γ < 1 or γ' > γ − 1; condensed if γ > 1 and γ' < γ − 1; critical on the boundary. */
export function predictedRegime(gamma: number, gammaPrime: number, eps = 1e-9): Regime {
  if (gamma < 1 - eps || gammaPrime > gamma - 1 + eps) return -1;
  if (gamma > 1 + eps && gammaPrime < gamma - 1 - eps) return 1;
  return 0;
}

/** The regime a slope of log RD vs log m indicates, with a critical band of ±tolerance. */
export function slopeRegime(slope: number, tolerance: number): Regime | number {
  if (Number.isNaN(slope)) return NaN;
  return slope < -tolerance ? -1 : slope > tolerance ? 1 : 0;
}

function numeric(cell: Cell, what: string): number {
  if (typeof cell === "number") return cell;
  if (typeof cell === "object") return (cell as PowerLawFit).exponent;
  throw new DyncRuntimeError("RUN050", `${what} needs numbers, got ${String(cell)}`);
}

/** First step at which the series is ≤ below, per group of every dimension but steps. */
export function convergenceStep(table: Table, below: number): Table {
  return firstStepPerGroup(table, "convergence_step", (cell) => numeric(cell, "convergence_step"), (values) => values.findIndex((v) => v <= below));
}

function sweepNumber(value: unknown, dim: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new DyncRuntimeError("RUN050", `phase_regime: ${dim} = ${String(value)} is not a number`);
  return n;
}

const convergenceStepAnalysis = defineAnalysis(entries.convergenceStep, (args, { below }) => convergenceStep(args[0]!, below));

const phaseRegime = defineAnalysis(entries.phaseRegime, (args, { gamma: g, gamma_prime: gp }) => {
  const table = args[0]!;
  if (!table.dims.includes(g)) throw new DyncRuntimeError("RUN051", `phase_regime: the table has no dimension ${g}`, `dimensions: ${table.dims.join(", ") || "none"}`);
  return {
    dims: table.dims,
    rows: table.rows.map((r) => ({
      key: r.key,
      value: predictedRegime(sweepNumber(r.key[g], g), table.dims.includes(gp) ? sweepNumber(r.key[gp], gp) : 0),
    })),
  };
});

const slopeRegimeAnalysis = defineAnalysis(entries.slopeRegime, (args, { tolerance }) => {
  const table = args[0]!;
  return { dims: table.dims, rows: table.rows.map((r) => ({ key: r.key, value: slopeRegime(numeric(r.value, "slope_regime"), tolerance) })) };
});

export const condensationAnalysisImplementations: readonly AnalysisDefinition[] = [convergenceStepAnalysis, phaseRegime, slopeRegimeAnalysis];
