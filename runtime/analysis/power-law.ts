/**
 * Power-law fits y = c·x^p by ordinary least squares of ln y on ln x, in float64, with the standard error
 * of p, a 95% Student-t confidence interval and the local exponents between neighbouring points.
 */
import { DyncRuntimeError } from "../errors.js";
import { formatNumber } from "./numbers.js";
import { studentTQuantile } from "../../numerics/student-t.js";
import { portableMath } from "../../numerics/portable-math.js";

// fdlibm ports, not Math.*: a fitted exponent must not change in its last bits with the Node version.
const { log, exp } = portableMath;

/** The slope between two neighbouring x values: Δln y / Δln x. */
export interface LocalExponent {
  readonly xFrom: number;
  readonly xTo: number;
  readonly exponent: number;
  /** −exponent. */
  readonly alpha: number;
}

/** A fitted power law y ≈ coefficient·x^exponent. */
export interface PowerLawFit {
  readonly kind: "power_law";
  /** The slope p of ln y on ln x. */
  readonly exponent: number;
  /** −p: the scaling papers' convention L ∝ N^−α. */
  readonly alpha: number;
  /** c = exp(intercept). */
  readonly coefficient: number;
  /** 1 − SS_res/SS_tot of the log-log fit; NaN when all y are equal (nothing to explain). */
  readonly r2: number;
  /** Standard error of p; null with only 2 points (no residual degrees of freedom). */
  readonly stderr: number | null;
  /** 95% confidence interval of p (not of α: α's is [−ciHigh, −ciLow]); null with only 2 points. */
  readonly ciLow: number | null;
  readonly ciHigh: number | null;
  /** Number of points fitted. */
  readonly n: number;
  /** The points, sorted by x. */
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  readonly local: readonly LocalExponent[];
}

/** Fits y = c·x^p to the points; `what` names the data in error messages (`median_loss ~ width at act=silu`). */
export function fitPowerLaw(points: readonly { x: number; y: number }[], what: string): PowerLawFit {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  checkPoints(sorted, what);
  const lx = sorted.map((p) => log(p.x));
  const ly = sorted.map((p) => log(p.y));
  const n = sorted.length;
  const mx = mean(lx);
  const my = mean(ly);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i]! - mx) ** 2;
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    syy += (ly[i]! - my) ** 2;
  }
  const exponent = sxy / sxx;
  const intercept = my - exponent * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (ly[i]! - intercept - exponent * lx[i]!) ** 2;
  const interval = n > 2 ? confidenceInterval(exponent, ssRes, sxx, n) : null;
  return {
    kind: "power_law",
    exponent,
    alpha: -exponent,
    coefficient: exp(intercept),
    r2: syy > 0 ? 1 - ssRes / syy : Number.NaN,
    stderr: interval?.stderr ?? null,
    ciLow: interval?.low ?? null,
    ciHigh: interval?.high ?? null,
    n,
    xs: sorted.map((p) => p.x),
    ys: sorted.map((p) => p.y),
    local: localExponents(sorted),
  };
}

// s² = SS_res/(n−2), se(p) = s/√Sxx, p ± t(0.975, n−2)·se.
function confidenceInterval(exponent: number, ssRes: number, sxx: number, n: number) {
  const stderr = Math.sqrt(ssRes / (n - 2) / sxx);
  const half = studentTQuantile(0.975, n - 2) * stderr;
  return { stderr, low: exponent - half, high: exponent + half };
}

function localExponents(sorted: readonly { x: number; y: number }[]): LocalExponent[] {
  const out: LocalExponent[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i]!;
    const b = sorted[i + 1]!;
    const exponent = (log(b.y) - log(a.y)) / (log(b.x) - log(a.x));
    out.push({ xFrom: a.x, xTo: b.x, exponent, alpha: -exponent });
  }
  return out;
}

function checkPoints(sorted: readonly { x: number; y: number }[], what: string): void {
  const bad = sorted.find((p) => !(p.x > 0) || !(p.y > 0) || !Number.isFinite(p.x) || !Number.isFinite(p.y));
  if (bad) {
    throw new DyncRuntimeError(
      "RUN050",
      `fit_power_law(${what}) needs positive finite values, but has y = ${formatNumber(bad.y, 6)} at x = ${formatNumber(bad.x, 6)}`,
      Number.isNaN(bad.y) ? "a NaN usually means a seed diverged; check the run's messages" : undefined,
    );
  }
  if (sorted.length < 2) {
    throw new DyncRuntimeError("RUN050", `fit_power_law(${what}) needs at least 2 points, got ${sorted.length}`);
  }
  for (let i = 0; i + 1 < sorted.length; i++) {
    if (sorted[i]!.x === sorted[i + 1]!.x) {
      throw new DyncRuntimeError("RUN050", `fit_power_law(${what}) has two points at x = ${sorted[i]!.x}; each x must appear once`);
    }
  }
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
