/**
 * Gaussian kernel density estimates in float64, with Scott's rule for the bandwidth: h = σ̂ · n^(−1/5), σ̂ the
 * sample standard deviation (n − 1), exactly scipy.stats.gaussian_kde's default in one dimension. exp and the
 * fifth root are the fdlibm ports, not Math.exp and `**`, so a density is the same on every Node version.
 */
import { fdlibmExp, fdlibmPow } from "./fdlibm-exp.js";
/**
 * Scott's bandwidth σ̂·n^(−1/5): NaN for fewer than two values, 0 when all are equal (no density exists
 * then; runtime/analysis/density.ts turns both into a RUN050 for the user).
 */
export function scottBandwidth(values: readonly number[]): number {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / (n - 1));
  return std * fdlibmPow(n, -1 / 5);
}

/** The density (1 / (n·h·√(2π))) · Σᵢ exp(−(x − vᵢ)² / (2h²)) at each point of `at`. */
export function gaussianKde(values: readonly number[], at: readonly number[], bandwidth: number): number[] {
  const norm = 1 / (values.length * bandwidth * Math.sqrt(2 * Math.PI));
  return at.map((x) => {
    let s = 0;
    for (const v of values) {
      const z = (x - v) / bandwidth;
      s += fdlibmExp(-0.5 * z * z);
    }
    return s * norm;
  });
}

/** `count` evenly spaced points from `lo` to `hi` inclusive. */
export function linspace(lo: number, hi: number, count: number): number[] {
  if (count === 1) return [lo];
  return Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));
}
