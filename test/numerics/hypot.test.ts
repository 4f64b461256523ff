/**
 * numerics/hypot.ts: V8's Math.hypot algorithm in plain IEEE arithmetic. On Node 20 (V8 11.3, whose MathHypot builtin
 * is this algorithm) it must equal Math.hypot bit for bit — on random bit patterns, on the magnitudes analyses see, on
 * overflow/underflow scales and the specials, with 1, 2, 3 and many arguments. On any engine its 2-argument result
 * must be within two ulps of the exact √(x² + y²) (five roundings, about 3.3·2⁻⁵³ relative), checked in exact integer arithmetic (BigInt), not against Math.*.
 */
import { describe, expect, it } from "vitest";
import { around, lcg } from "./double-bits.js";
import { hypot2, hypotOf, portableHypot } from "../../numerics/hypot.js";

const [v8Major, v8Minor] = process.versions.v8.split(".").map(Number) as [number, number];
const mathHypotIsV8Kahan = v8Major < 11 || (v8Major === 11 && v8Minor <= 3);

const EDGES = [
  0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-160, 1e-20, 1e-8, 0.5, 1, 2, 3, 4, 1e8, 1e20, 1e154, 1e160, 1e300,
  1.7976931348623157e308, ...around(1, 3), ...around(2 ** 511, 2), ...around(2 ** -511, 2), Infinity, NaN,
].flatMap((x) => [x, -x]);

/** Bit-for-bit equality that also equates NaN with NaN and tells +0 from −0. */
function sameBits(got: number[], want: number[]): number {
  return got.findIndex((g, i) => !Object.is(g, want[i]));
}

function argumentLists(): number[][] {
  const lists: number[][] = [];
  for (const x of EDGES) for (const y of EDGES) lists.push([x, y]);
  for (const x of EDGES) lists.push([x], [x, 3, -4], [1e-300, x, 1e300]);
  const bits = [...lcg(60_000, 424242n, true)];
  for (let i = 0; i + 1 < bits.length; i += 2) lists.push([bits[i]!, bits[i + 1]!]);
  const u = [...lcg(90_000, 777n, false)];
  for (let i = 0; i + 2 < u.length; i += 3) {
    lists.push([(u[i]! - 0.5) * 20, (u[i + 1]! - 0.5) * 20]); // lengths of 2-vectors of weights and biases
    lists.push([(u[i]! - 0.5) * 1e-6, (u[i + 1]! - 0.5) * 1e3, (u[i + 2]! - 0.5)]);
  }
  for (let k = 0; k < 200; k++) lists.push(Array.from(lcg(1 + k * 7, BigInt(k + 1), false), (v) => (v - 0.5) * 10 ** ((k % 40) - 20)));
  return lists;
}

describe.runIf(mathHypotIsV8Kahan)("portableHypot on Node 20", () => {
  const lists = argumentLists();

  it("equals Math.hypot bit for bit for 1, 2, 3 and many arguments", () => {
    const want = lists.map((l) => Math.hypot(...l));
    expect(sameBits(lists.map((l) => portableHypot(...l)), want)).toBe(-1);
    expect(sameBits(lists.map((l) => hypotOf(Float64Array.from(l))), want)).toBe(-1);
  });

  it("hypot2 equals Math.hypot(a, b) bit for bit", () => {
    const pairs = lists.filter((l) => l.length === 2);
    expect(pairs.length).toBeGreaterThan(30_000);
    expect(sameBits(pairs.map(([a, b]) => hypot2(a!, b!)), pairs.map(([a, b]) => Math.hypot(a!, b!)))).toBe(-1);
  });
});

/** A finite double as mantissa·2^exponent, exactly. */
function exactParts(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const e = Number(bits >> 52n);
  const m = bits & ((1n << 52n) - 1n);
  return e === 0 ? [m, -1074] : [m | (1n << 52n), e - 1075];
}

/** Whether r is within `ulps` ulps of √(a² + b²): (r − k·ulp)² ≤ a² + b² ≤ (r + k·ulp)², in exact integers. */
function withinUlps(a: number, b: number, r: number, ulps: number): boolean {
  const ulp = Math.max(5e-324, 2 ** (Math.floor(Math.log2(r)) - 52)); // the spacing of doubles at r (a power of two: exact)
  const [below, above] = [r - ulps * ulp, r + ulps * ulp];
  const terms = [a, b, below, above].map(exactParts);
  const base = Math.min(...terms.map(([, e]) => e));
  const scaled = terms.map(([m, e]) => m << BigInt(e - base)); // all as integers times 2^base
  const [sa, sb, lo, hi] = scaled as [bigint, bigint, bigint, bigint];
  const sumSquares = sa * sa + sb * sb;
  return lo * lo <= sumSquares && sumSquares <= hi * hi;
}

describe("portableHypot on any engine", () => {
  it("is within two ulps of the exact √(a² + b²), with no overflow or underflow", () => {
    const u = [...lcg(20_000, 99n, false)];
    const pairs: [number, number][] = [];
    for (let i = 0; i + 1 < u.length; i += 2) {
      const scale = 10 ** Math.round((u[i]! - 0.5) * 600); // 1e-300 … 1e300: a² alone would over- or underflow
      pairs.push([(u[i]! - 0.5) * scale, (u[i + 1]! - 0.5) * scale * (i % 3 === 0 ? 1e-9 : 1)]);
    }
    pairs.push([3, 4], [1e300, 1e300], [1e-310, 1e-310], [5e-324, 0]);
    const bad = pairs.filter(([a, b]) => !withinUlps(a, b, hypot2(a, b), 2) || !Object.is(hypot2(a, b), portableHypot(a, b)));
    expect(bad).toEqual([]);
    expect(portableHypot(3, 4)).toBe(5);
    expect(portableHypot(1e300, 1e300)).toBeCloseTo(Math.SQRT2 * 1e300, -285);
  });

  it("follows ECMAScript for the specials: Infinity wins over NaN, no arguments and zeros give +0", () => {
    expect(portableHypot()).toBe(0);
    expect(Object.is(portableHypot(-0, -0), 0)).toBe(true);
    expect(portableHypot(NaN, -Infinity)).toBe(Infinity);
    expect(hypot2(NaN, Infinity)).toBe(Infinity);
    expect(portableHypot(NaN, 1)).toBeNaN();
    expect(hypot2(1, NaN)).toBeNaN();
    expect(portableHypot(-7)).toBe(7);
  });
});
