/**
 * √(Σ xᵢ²) without overflow or underflow, the same bits on every engine. ECMAScript leaves Math.hypot's result
 * implementation-defined (V8, SpiderMonkey and JavaScriptCore use different algorithms, and V8 may change its own), so
 * analyses call this instead. It is V8's algorithm (src/builtins/builtins-math.cc, Node 20): scale by the largest
 * |xᵢ|, add the squares with Kahan compensation, multiply √sum back by the scale. It uses only +, −, ×, ÷ and sqrt,
 * which IEEE 754 rounds exactly, so it is engine-independent, and on Node 20 it equals Math.hypot bit for bit
 * (test/numerics/hypot.test.ts). Not fdlibm's e_hypot.c: fdlibm's is within one ulp, this one is more than one ulp
 * off on about 3% of random pairs (within two: five roundings, the scaled sum in [1, 2]; tested), so a port of
 * e_hypot.c would have moved the last bits of results already recorded on Node 20.
 */

/** Math.hypot(...values), engine-independent: ±Infinity anywhere gives Infinity (even with NaN), else NaN gives NaN. */
export function portableHypot(...values: number[]): number {
  return hypotOf(values);
}

/** portableHypot over an array (no spread: a long Float64Array does not fit the argument stack). */
export function hypotOf(values: ArrayLike<number>): number {
  let max = 0;
  let sawNaN = false;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a !== a) sawNaN = true;
    else if (a > max) max = a;
  }
  if (max === Infinity) return Infinity;
  if (sawNaN) return NaN;
  if (max === 0) return 0;
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    const n = a / max;
    const summand = n * n - compensation;
    const preliminary = sum + summand;
    compensation = preliminary - sum - summand;
    sum = preliminary;
  }
  return Math.sqrt(sum) * max;
}

/** portableHypot(a, b) without the array: the inner loops of analyses call it per element. */
export function hypot2(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x === Infinity || y === Infinity) return Infinity;
  if (x !== x || y !== y) return NaN;
  const max = x > y ? x : y;
  if (max === 0) return 0;
  const n1 = x / max;
  const n2 = y / max;
  const first = n1 * n1; // sum = 0 + first is exact, compensation = 0
  const summand = n2 * n2;
  return Math.sqrt(first + summand) * max;
}
