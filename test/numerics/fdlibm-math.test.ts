/**
 * numerics/fdlibm.ts (tan, atan, atan2, and sin/cos of huge arguments), fdlibm-exp.ts (exp, expm1, sinh, cosh, tanh,
 * pow) and fdlibm-log.ts (log1p, log2, log10): the functions generated target code and the compile-time evaluator call
 * instead of Math.*, so a seed gives the same data on every Node version. Node 20's V8 (11.3) computes Math.* with
 * these very algorithms (src/base/ieee754.cc; `**` and Math.pow with its legacy::pow), so there the ports must equal
 * Math.* bit for bit: over random bit patterns (every exponent, both signs), over the ranges targets use, and over the
 * edges of every branch (±0, subnormals, the thresholds in each function's high-word tests, overflow and underflow
 * boundaries, NaN, ±Inf). Newer V8 is expected to differ (that is why the ports exist); the pinned checksum holds on
 * any engine.
 */
import { describe, expect, it } from "vitest";
import { around, fromWords, lcg } from "./double-bits.js";
import { fdlibmAtan, fdlibmAtan2, fdlibmCos, fdlibmSin, fdlibmTan, scalbn } from "../../numerics/fdlibm.js";
import { fdlibmCosh, fdlibmExp, fdlibmExpm1, fdlibmPow, fdlibmSinh, fdlibmTanh } from "../../numerics/fdlibm-exp.js";
import { fdlibmLog10, fdlibmLog1p, fdlibmLog2 } from "../../numerics/fdlibm-log.js";
import { portableMath } from "../../numerics/portable-math.js";

const [v8Major, v8Minor] = process.versions.v8.split(".").map(Number) as [number, number];
/** V8 11.3 (Node 20) and before compute these Math functions and `**` with fdlibm. */
const mathIsFdlibm = v8Major < 11 || (v8Major === 11 && v8Minor <= 3);

type Unary = (x: number) => number;
const UNARY: readonly (readonly [string, Unary, Unary])[] = [
  ["sin", fdlibmSin, Math.sin], ["cos", fdlibmCos, Math.cos], ["tan", fdlibmTan, Math.tan], ["atan", fdlibmAtan, Math.atan],
  ["exp", fdlibmExp, Math.exp], ["expm1", fdlibmExpm1, Math.expm1], ["sinh", fdlibmSinh, Math.sinh], ["cosh", fdlibmCosh, Math.cosh],
  ["tanh", fdlibmTanh, Math.tanh], ["log1p", fdlibmLog1p, Math.log1p], ["log2", fdlibmLog2, Math.log2], ["log10", fdlibmLog10, Math.log10],
];

/** Where the functions switch branches (their high-word thresholds as doubles), with neighbours, and the specials. */
const EDGES = [
  0, 5e-324, 1e-320, 2.2250738585072014e-308, 2.225073858507201e-308, 1e-300, 2 ** -54, 2 ** -55, 2 ** -28, 2 ** -27, 2 ** -29, 1e-10, 1e-5,
  0.3, 0.4375, 0.5, 0.6875, 0.78125, 1, 1.1875, 1.5, 2, 2.4375, 3, 10, 22, 30, 100, 2 ** 31, 2 ** 53, 2 ** 66, 1e22, 1e300, 1.7976931348623157e308,
  ...[0x3fd62e42, 0x3ff0a2b2, 0x4043687a, 0x40862e42, 0x40360000, 0x3fdc0000, 0x3fe60000, 0x3ff30000, 0x40038000, 0x44100000, 0x3fe59428,
    0x3fe921fb, 0x4002d97c, 0x413921fb, 0x3fda827a, 0x3e200000, 0x3c900000, 0x43400000, 0x3fd33333, 0x3ff6a09e, 0x3c800000, 0x3e300000]
    .flatMap((high) => [...around(fromWords(high, 0), 2), ...around(fromWords(high, 0xffffffff), 1)]),
  ...around(709.782712893384, 3), ...around(-745.1332191019411, 3), ...around(710.4758600739439, 3), ...around(709.7822265625, 2),
  ...around(Math.LN2 / 2, 3), ...around(Math.PI / 4, 3), ...around(Math.SQRT2, 3), ...around(Math.SQRT1_2, 3), ...around(1, 20),
  ...Array.from({ length: 64 }, (_, k) => (k * Math.PI) / 2).flatMap((x) => around(x, 2)),
  ...Array.from({ length: 45 }, (_, k) => 10 ** (k - 22)), ...Array.from({ length: 80 }, (_, k) => 2 ** (k - 40)),
  Infinity, NaN,
].flatMap((x) => [x, -x]);

/** The arguments every unary port is compared on: random bit patterns, the ranges targets use, the edges. */
function* unaryArguments(): Generator<number> {
  yield* lcg(200_000, 987654321n, true);
  for (const u of lcg(200_000, 12345n, false)) {
    yield (u - 0.5) * 20; // x in a data grid, 3·x, π·x
    yield (u - 0.5) * 2000;
    yield u * 1e-3;
    yield -u;
    yield 1 + (u - 0.5) * 1e-6;
    yield (u - 0.5) * 1500; // exp's and sinh's whole range
  }
  yield* EDGES;
}

const POW_BASES = [
  0, 5e-324, 1e-310, 1e-300, 0.001, 0.1, 0.5, 1 - 2 ** -30, 1 - 2 ** -52, 1, 1 + 2 ** -52, 1 + 2 ** -30, 1.5, 2, Math.E, 3, 10, 1e10, 1e300,
  1.7976931348623157e308, Infinity, NaN,
].flatMap((x) => [x, -x]);
const POW_EXPONENTS = [
  0, 0.5, 1, 1.5, 2, 3, 4, 0.3, 1 / 3, 10, 52.5, 53, 100, 1023, 1024, 1074, 1075, 2 ** 31 - 1, 2 ** 31 + 1, 2 ** 52 + 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63,
  2 ** 64, 2 ** 65, 1e300, Infinity, NaN,
].flatMap((y) => [y, -y]);

/** (x, y) pairs for pow and atan2: the special grid, random pairs of every kind, and the over/underflow edges. */
function* binaryArguments(): Generator<readonly [number, number]> {
  for (const x of POW_BASES) for (const y of POW_EXPONENTS) yield [x, y];
  const patterns = [...lcg(100_000, 55n, true)];
  const uniforms = [...lcg(400_000, 77n, false)];
  for (let i = 0; i < patterns.length; i++) {
    const [a, b, c, d] = [uniforms[4 * i]!, uniforms[4 * i + 1]!, uniforms[4 * i + 2]!, uniforms[4 * i + 3]!];
    yield [patterns[i]!, patterns[(i * 7919) % patterns.length]!];
    yield [Math.abs(patterns[i]!), (b - 0.5) * 40];
    yield [a * 10, (b - 0.5) * 20]; // x^p of a data grid
    yield [-a * 10, Math.round((b - 0.5) * 20)]; // negative bases: integer exponents only
    yield [(c - 0.5) * 4, 2 + Math.round(d * 3)]; // x^2, x^3, x^4 of a target
    yield [10, (c - 0.5) * 640]; // logspace's 10^x, over- and underflowing at the ends
    yield [1 + (d - 0.5) * 2 ** -18, (a - 0.5) * 2 ** 40]; // |y| > 2^31 with x near 1
    yield [2, -1074 + (c - 0.5) * 4]; // subnormal results
    yield [(a - 0.5) * 1e3, (d - 0.5) * 1e3]; // atan2 over every quadrant
  }
  for (const y of around(1024, 3).concat(around(-1075, 3), around(-1074, 3), around(-1022, 3))) for (const x of around(2, 2)) yield [x, y];
  for (const x of EDGES) for (const y of [0, -0, 1, -1, 1e-300, Infinity, -Infinity, NaN]) yield [x, y], yield [y, x];
}

/** FNV-1a over the bits of every port on fixed arguments: pins fdlibm's answers, whatever engine runs the test. */
function checksum(unary: readonly Unary[], pow: (x: number, y: number) => number, atan2: (y: number, x: number) => number): string {
  const view = new DataView(new ArrayBuffer(8));
  let hash = 0xcbf29ce484222325n;
  const absorb = (value: number) => {
    view.setFloat64(0, value);
    // Any NaN as one pattern: V8 returns a signalling NaN where the ports return JS's NaN, a difference no
    // arithmetic or comparison can see (Object.is treats them alike; data sets hold no NaN).
    const bits = value !== value ? 0x7ff8000000000000n : view.getBigUint64(0);
    hash = ((hash ^ bits) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  const args = [...lcg(5_000, 4242n, false)].flatMap((u) => [(u - 0.5) * 20, (u - 0.5) * 1400, u, 1e6 * u]);
  for (const f of unary) for (const x of args) absorb(f(x));
  for (let i = 0; i + 1 < args.length; i++) {
    absorb(pow(Math.abs(args[i]!), args[i + 1]! / 100));
    absorb(atan2(args[i]!, args[i + 1]!));
  }
  return hash.toString(16);
}
/** The checksum of V8 11.3's Math.* and `**` (Node 20), which are fdlibm's. */
const PINNED_CHECKSUM = "ad945627bf86faa1";

describe("fdlibm ports of the target functions", () => {
  it.runIf(mathIsFdlibm)("equal Math.* bit for bit over random and edge arguments (V8 <= 11.3)", () => {
    const mismatches: string[] = [];
    const same = (call: string, ours: number, math: number) => {
      if (!Object.is(ours, math) && mismatches.length < 20) mismatches.push(`${call} = ${ours}, Math: ${math}`);
    };
    let compared = 0;
    for (const x of unaryArguments()) {
      for (const [name, port, math] of UNARY) same(`${name}(${x})`, port(x), math(x));
      compared++;
    }
    for (const [x, y] of binaryArguments()) {
      same(`pow(${x}, ${y})`, fdlibmPow(x, y), x ** y);
      same(`atan2(${x}, ${y})`, fdlibmAtan2(x, y), Math.atan2(x, y));
      compared++;
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(2_000_000);
  });

  it("give fdlibm's values on any engine (a checksum of their bits, equal to Math.*'s on Node 20)", () => {
    const ports = UNARY.map(([, port]) => port);
    expect(checksum(ports, fdlibmPow, fdlibmAtan2)).toBe(PINNED_CHECKSUM);
    if (mathIsFdlibm) expect(checksum(UNARY.map(([, , math]) => math), (x, y) => x ** y, Math.atan2)).toBe(PINNED_CHECKSUM);
  });

  it("agree with closed forms and the IEEE/ECMAScript special values", () => {
    expect(fdlibmExp(1)).toBe(Math.E);
    expect(fdlibmExp(0)).toBe(1);
    expect(fdlibmExp(-Infinity)).toBe(0);
    expect(fdlibmExp(710)).toBe(Infinity);
    expect(fdlibmLog2(8)).toBe(3);
    expect(fdlibmLog2(2 ** -1074)).toBe(-1074);
    expect(fdlibmLog10(1e-5)).toBe(-5);
    expect(fdlibmLog10(1e22)).toBe(22);
    expect(fdlibmLog1p(-1)).toBe(-Infinity);
    expect(fdlibmLog1p(-2)).toBeNaN();
    expect(Object.is(fdlibmTanh(-0), -0)).toBe(true);
    expect(fdlibmTanh(-Infinity)).toBe(-1);
    expect(fdlibmCosh(0)).toBe(1);
    expect(fdlibmSinh(-Infinity)).toBe(-Infinity);
    expect(fdlibmTan(Math.PI / 4)).toBeCloseTo(1, 15);
    expect(fdlibmAtan(Infinity)).toBe(Math.PI / 2);
    expect(fdlibmAtan2(-0, -1)).toBe(-Math.PI);
    expect(fdlibmAtan2(1, -Infinity)).toBe(Math.PI);
    expect(fdlibmPow(2, 10)).toBe(1024);
    expect(fdlibmPow(-2, 3)).toBe(-8);
    expect(fdlibmPow(-8, 1 / 3)).toBeNaN(); // a negative base to a non-integer power
    expect(fdlibmPow(1, Infinity)).toBeNaN(); // ECMAScript, unlike C's pow
    expect(fdlibmPow(NaN, 0)).toBe(1);
    expect(Object.is(fdlibmPow(-0, 3), -0)).toBe(true);
    expect(fdlibmPow(-0, -3)).toBe(-Infinity);
    expect(fdlibmPow(2, -1074)).toBe(5e-324);
    expect(fdlibmPow(10, 309)).toBe(Infinity);
  });

  it("reduce huge arguments of sin, cos and tan exactly (fdlibm's multi-word reduction, not Math's)", () => {
    // Reducing x = 1e22 or 2^1024 modulo π/2 needs ~70 or ~1100 bits of π; the true values, from 200-digit arithmetic
    // (mpmath), rounded to doubles: sin and cos come out correctly rounded, tan within its 1-ulp bound.
    expect(fdlibmSin(1e22)).toBe(-0.8522008497671888);
    expect(fdlibmCos(1e22)).toBe(0.523214785395139);
    expect(Math.abs(fdlibmTan(1e22) - -1.6287782256068988)).toBeLessThanOrEqual(2 ** -52 * 2);
    expect(fdlibmSin(1.7976931348623157e308)).toBe(0.004961954789184062);
    expect(fdlibmCos(1.7976931348623157e308)).toBe(-0.9999876894265599);
    expect(scalbn(1, -1074)).toBe(5e-324);
    expect(scalbn(3, 1023)).toBe(Infinity);
  });

  it("are what portableMath hands to targets and the compile-time evaluator", () => {
    expect(portableMath.sin).toBe(fdlibmSin);
    expect(portableMath.pow).toBe(fdlibmPow);
    expect(portableMath.tanh).toBe(fdlibmTanh);
    for (const name of ["sqrt", "abs", "floor", "ceil", "round", "sign", "min", "max"] as const) expect(portableMath[name]).toBe(Math[name]);
  });
});
