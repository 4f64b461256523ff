/** Numbers as messages and plot labels print them (only numerics/ imports, so the fits can use it without a cycle). */
import { fdlibmLog10 } from "../../numerics/fdlibm-log.js";

/**
 * A number for a message: a whole number exactly (`3765`, not `3770`: counts and steps are exact), any
 * other in `digits` significant digits (at least its integer part), exponent form outside [0.1, 1e4): `0.94`, `1.2e-2`, `5e+4`.
 */
export function formatNumber(x: number, digits = 3): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return "0";
  if (Number.isSafeInteger(x)) return String(x);
  const abs = Math.abs(x);
  // never round into the integer part (3765.4 prints 3765, not 3770)
  if (abs >= 0.1 && abs < 1e4) return String(Number(x.toPrecision(Math.max(digits, Math.floor(fdlibmLog10(abs)) + 1))));
  const [mantissa, exponent] = x.toExponential(digits - 1).split("e");
  return `${String(Number(mantissa))}e${exponent}`;
}

/**
 * Numbers compared in one message, each with at least `minDigits` significant digits and as many more as it
 * takes for different values never to print alike (`1.0004 > 1`, not `1 > 1`).
 */
export function formatDistinct(values: readonly number[], minDigits = 3): string[] {
  for (let digits = minDigits; digits < 17; digits++) {
    const printed = values.map((v) => formatNumber(v, digits));
    const clash = values.some((a, i) => values.some((b, j) => !sameNumber(a, b) && printed[i] === printed[j]));
    if (!clash) return printed;
  }
  return values.map((v) => formatNumber(v, 17));
}

// Values that print alike by right: equal ones (0 and −0 too) and NaNs.
function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Two compared numbers: `formatDistinct` of the pair. */
export function formatPair(a: number, b: number): [string, string] {
  const [as, bs] = formatDistinct([a, b]);
  return [as!, bs!];
}
