/** Numbers as messages and plot labels print them (no imports, so the fits can use it without a cycle). */

/** A number in 3 significant digits, exponent form outside [0.1, 1e4): `0.94`, `1.2e-2`, `5e+4`. */
export function formatNumber(x: number, digits = 3): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs >= 0.1 && abs < 1e4) return String(Number(x.toPrecision(digits)));
  const [mantissa, exponent] = x.toExponential(digits - 1).split("e");
  return `${String(Number(mantissa))}e${exponent}`;
}

/** Two numbers with enough digits that different values never print alike (`1.0004 > 1`, not `1 > 1`). */
export function formatPair(a: number, b: number): [string, string] {
  for (let digits = 3; digits < 17; digits++) {
    const pair: [string, string] = [formatNumber(a, digits), formatNumber(b, digits)];
    if (a === b || pair[0] !== pair[1]) return pair;
  }
  return [formatNumber(a, 17), formatNumber(b, 17)];
}
