/**
 * The two-layer linear model's data of Rosenfeld & Risteski (opposing-signals notes, Section 3.3):
 *   x ∈ R^{d1} ~ N(0, I);  opposing-signal block x_o ∈ R^{d2};
 *   on a fraction p of the points x_o = s·a·1 with s uniform on {−1, +1} and a² = α/(p·d2), else x_o = 0;
 *   y = βᵀx + (1/√d2)·1ᵀ|x_o|   (= βᵀx + a·√d2 on outliers).
 * The network input is the concatenation [x, x_o] (d1 + d2 values). Exactly round(p·n) points are outliers,
 * chosen uniformly at random; their indices and signs come with the dataset so probes can form the groups.
 */
import type { Dataset } from "../../runtime/dataset.js";
import type { Rng } from "../../runtime/rng.js";
import { checkCount, invalid } from "./inputs.js";

export interface OpposingSignalsOptions {
  name: string;
  n: number;
  d1: number;
  d2: number;
  /** Fraction of outliers, 0 < p ≤ 1. */
  p: number;
  /** Outlier signal strength α > 0 (sets a² = α/(p·d2)). */
  alpha: number;
  /** β as a vector of d1 values, or a number ‖β‖ meaning β = (‖β‖/√d1)·1. */
  beta: number | readonly number[];
}

export interface OpposingSignalsDataset extends Dataset {
  /** Indices of the outlier points, ascending. */
  readonly outliers: Int32Array;
  /** Sign s (+1 or −1) of each outlier, aligned with `outliers`. */
  readonly outlierSigns: Int8Array;
  /** The outlier magnitude a = √(α/(p·d2)). */
  readonly a: number;
  readonly beta: Float64Array;
  readonly d1: number;
  readonly d2: number;
}

/** Generate the opposing-signals dataset from `rng` (x from its `x` fork, outliers and signs from their own). */
export function opposingSignals(rng: Rng, options: OpposingSignalsOptions): OpposingSignalsDataset {
  const { n, d1, d2, p, alpha } = checkOptions(options);
  const beta = betaVector(options.beta, d1);
  const a = Math.sqrt(alpha / (p * d2));
  const outliers = chooseOutliers(rng.fork("outliers"), n, Math.round(p * n));
  const signsRng = rng.fork("signs");
  const outlierSigns = Int8Array.from(outliers, () => (signsRng.uniform() < 0.5 ? -1 : 1));

  const width = d1 + d2;
  const x = new Float32Array(n * width);
  const y = new Float32Array(n);
  const xRng = rng.fork("x");
  const row = new Float64Array(d1);
  for (let i = 0; i < n; i++) {
    xRng.normals(row);
    let dot = 0;
    for (let j = 0; j < d1; j++) {
      const v = Math.fround(row[j]!);
      x[i * width + j] = v;
      dot += beta[j]! * v;
    }
    y[i] = dot;
  }
  outliers.forEach((i, k) => {
    x.fill(outlierSigns[k]! * a, i * width + d1, (i + 1) * width);
    // (1/√d2)·Σ|x_o| summed over the float32 values actually stored.
    y[i] = y[i]! + (d2 * Math.abs(Math.fround(a))) / Math.sqrt(d2);
  });
  const inputNames = [...names("x", d1), ...names("o", d2)];
  return { name: options.name, n, xShape: [width], x, yDim: 1, y, inputNames, outliers, outlierSigns, a, beta, d1, d2 };
}

function checkOptions(o: OpposingSignalsOptions) {
  const n = checkCount(o.n, "n");
  const d1 = checkCount(o.d1, "d1");
  const d2 = checkCount(o.d2, "d2");
  if (!(o.p > 0 && o.p <= 1)) invalid(`opposing signals need 0 < p <= 1, got p = ${o.p}`);
  if (!(o.alpha > 0)) invalid(`opposing signals need alpha > 0, got ${o.alpha}`);
  return { n, d1, d2, p: o.p, alpha: o.alpha };
}

function betaVector(beta: number | readonly number[], d1: number): Float64Array {
  if (typeof beta === "number") return new Float64Array(d1).fill(beta / Math.sqrt(d1));
  if (beta.length !== d1) invalid(`beta has ${beta.length} entries but d1 = ${d1}`);
  return Float64Array.from(beta);
}

function chooseOutliers(rng: Rng, n: number, count: number): Int32Array {
  return rng.permutation(n).slice(0, count).sort();
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, j) => `${prefix}${j + 1}`);
}
