/**
 * Scalar float64 helpers that generated target functions call as `m.relu(x)`, `m.sum([…], (k) => …)`.
 * Targets are computed in JS numbers, not tensors: data is generated once, and float64 keeps a target
 * exact where float32 would round (the network still sees float32 inputs, and the target is computed
 * from exactly those values). The elementary functions are numerics/portable-math.ts's fdlibm ports, not Math.*,
 * so the same seed gives the same data on every Node version.
 */
import { fdlibmExp, fdlibmTanh } from "../numerics/fdlibm-exp.js";
import { fdlibmLog1p } from "../numerics/fdlibm-log.js";
import { portableMath } from "../numerics/portable-math.js";

export const targetMath = {
  ...portableMath,
  relu: (x: number): number => (x > 0 ? x : 0),
  leaky_relu: (x: number, slope = 0.01): number => (x > 0 ? x : slope * x),
  sigmoid: (x: number): number => 1 / (1 + fdlibmExp(-x)),
  silu: (x: number): number => x / (1 + fdlibmExp(-x)),
  softplus: (x: number): number => (x > 30 ? x : fdlibmLog1p(fdlibmExp(x))),
  /** Exact GELU, x·Φ(x), with Φ from erf. */
  gelu: (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  xtanh: (x: number): number => x * fdlibmTanh(x),
  heaviside: (x: number): number => (x > 0 ? 1 : x < 0 ? 0 : 0.5),
  sum: (items: readonly number[], f: (k: number) => number): number => items.reduce((acc, k) => acc + f(k), 0),
  prod: (items: readonly number[], f: (k: number) => number): number => items.reduce((acc, k) => acc * f(k), 1),
};

/** erf to ~1e-15 relative: the series for |x| < 2.5, the continued fraction of erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const next = term / (2 * n + 1);
      sum += next;
      if (Math.abs(next) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) by Lentz's method.
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = ax + a * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = fdlibmExp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}
