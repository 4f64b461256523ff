/**
 * numerics/fdlibm.ts: log, sin and cos ported from fdlibm, which Rng's Box–Muller uses instead of Math.* so a seed
 * gives the same draws on every Node version. On V8 up to 11.3 (Node 20) Math.log/sin/cos ARE fdlibm (V8's
 * src/base/ieee754.cc), so there the ports must equal Math.* bit for bit: over random arguments of the ranges the
 * draws use and beyond, and over the edges of every branch (zero, subnormals, |f| < 2^-20, the polynomial switch
 * points, near multiples of π/2 where the reduction takes its longer paths, NaN and ±Inf). On other engines the
 * equality is not expected (that is the point of the port); the pinned checksum holds everywhere.
 */
import { describe, expect, it } from "vitest";
import { fdlibmCos, fdlibmLog, fdlibmSin, sinCos } from "../../numerics/fdlibm.js";

const [v8Major, v8Minor] = process.versions.v8.split(".").map(Number) as [number, number];
/** V8 11.3 and before compute Math.log/sin/cos with fdlibm (later versions move to glibc-derived and llvm-libc code). */
const mathIsFdlibm = v8Major < 11 || (v8Major === 11 && v8Minor <= 3);

/** A double from its two 32-bit words. */
function fromWords(high: number, low: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, high >>> 0);
  view.setUint32(4, low >>> 0);
  return view.getFloat64(0);
}

/** The neighbours of x: x itself and `steps` doubles on either side. */
function around(x: number, steps: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  const out: number[] = [];
  for (let d = -steps; d <= steps; d++) {
    view.setFloat64(0, x);
    view.setBigInt64(0, view.getBigInt64(0) + BigInt(d));
    out.push(view.getFloat64(0));
  }
  return out;
}

/** A fixed pseudo-random sequence of doubles in [0, 1) (a 64-bit LCG's top 53 bits), independent of dync's Rng. */
function* lcgUniforms(count: number, seed = 12345n): Generator<number> {
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    yield Number(state >> 11n) / 2 ** 53;
  }
}

/** Random bit patterns: doubles over the whole exponent range, both signs. */
function* randomDoubles(count: number): Generator<number> {
  const view = new DataView(new ArrayBuffer(8));
  let state = 987654321n;
  for (let i = 0; i < count; i++) {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    view.setBigUint64(0, state);
    yield view.getFloat64(0);
  }
}

const halfPiMultiples = Array.from({ length: 80 }, (_, k) => (k * Math.PI) / 2).concat([1e3, 1e5, 2 ** 19 * (Math.PI / 2)].map((x) => Math.round(x / (Math.PI / 2)) * (Math.PI / 2)));

const LOG_EDGES = [
  0, -0, 5e-324, 1e-320, 2.2250738585072014e-308, 2.225073858507201e-308, 2 ** -53, 2 ** -52, 1 - 2 ** -53, 0.5, 1, 2, Math.SQRT2, Math.SQRT1_2,
  ...around(1, 40), ...around(1 + 2 ** -20, 3), ...around(1 - 2 ** -20, 3), ...around(Math.SQRT2, 3), ...around(Math.SQRT1_2, 3),
  fromWords(0x3ff6147a, 0), fromWords(0x3ff6b851, 0), fromWords(0x3ff95f64, 0), fromWords(0x3ff6a09e, 0x667f3bcd),
  1.7976931348623157e308, Infinity, -Infinity, NaN, -1, -5e-324,
];
const TRIG_EDGES = [
  0, -0, 5e-324, -5e-324, 2 ** -27, 2 ** -28, -(2 ** -27), 1e-10, 0.3, 0.78125, Math.PI / 4, (3 * Math.PI) / 4, (5 * Math.PI) / 4, 2 * Math.PI,
  ...around(fromWords(0x3fe921fb, 0x54442d18), 4), // π/4: no reduction up to here
  ...around(fromWords(0x4002d97c, 0), 4), // 3π/4: the short reduction ends
  ...around(fromWords(0x3fd33333, 0), 2), ...around(fromWords(0x3fe90000, 0), 2), // k_cos's switch points
  ...halfPiMultiples.flatMap((x) => around(x, 3)).flatMap((x) => [x, -x]),
  ...around(fromWords(0x413921fb, 0xffffffff), 2), // the end of the medium range
  1e9, 1e22, 1.7976931348623157e308, -1e300, Infinity, -Infinity, NaN,
];

describe("fdlibm ports", () => {
  it.runIf(mathIsFdlibm)("equal Math.log, Math.sin and Math.cos over random and edge arguments (V8 <= 11.3)", () => {
    const mismatches: string[] = [];
    const same = (name: string, x: number, ours: number, math: number) => {
      if (!Object.is(ours, math) && mismatches.length < 10) mismatches.push(`${name}(${x}) = ${ours}, Math: ${math}`);
    };
    const trig = new Float64Array(2);
    const checkTrig = (x: number) => {
      same("sin", x, fdlibmSin(x), Math.sin(x));
      same("cos", x, fdlibmCos(x), Math.cos(x));
      sinCos(x, trig);
      same("sinCos.sin", x, trig[0]!, Math.sin(x));
      same("sinCos.cos", x, trig[1]!, Math.cos(x));
    };
    for (const u of lcgUniforms(1_000_000)) {
      same("log", u, fdlibmLog(u), Math.log(u)); // Box–Muller's logarithm: u in (0, 1)
      checkTrig(2 * Math.PI * u); // its angle: [0, 2π)
      checkTrig((u - 0.5) * 2 ** 21 * Math.PI); // the medium range, both signs
    }
    for (const x of randomDoubles(300_000)) {
      same("log", x, fdlibmLog(x), Math.log(x));
      same("log", Math.abs(x), fdlibmLog(Math.abs(x)), Math.log(Math.abs(x)));
      checkTrig(x);
    }
    for (const x of LOG_EDGES) same("log", x, fdlibmLog(x), Math.log(x));
    for (const x of TRIG_EDGES) checkTrig(x);
    expect(mismatches).toEqual([]);
  });

  it("give fdlibm's values on any engine (a checksum of their bits over fixed arguments, equal to Math.*'s on Node 20)", () => {
    expect(checksum(fdlibmLog, fdlibmSin, fdlibmCos)).toBe(PINNED_CHECKSUM);
    if (mathIsFdlibm) expect(checksum(Math.log, Math.sin, Math.cos)).toBe(PINNED_CHECKSUM);
  });

  it("handle the special values as IEEE log/sin/cos do", () => {
    expect(fdlibmLog(0)).toBe(-Infinity);
    expect(fdlibmLog(-0)).toBe(-Infinity);
    expect(fdlibmLog(-1)).toBeNaN();
    expect(fdlibmLog(Infinity)).toBe(Infinity);
    expect(fdlibmLog(NaN)).toBeNaN();
    expect(fdlibmLog(1)).toBe(0);
    expect(fdlibmLog(5e-324)).toBeCloseTo(-744.4400719213812, 12); // the smallest subnormal: −1074·ln 2
    expect(Object.is(fdlibmSin(-0), -0)).toBe(true);
    expect(fdlibmCos(0)).toBe(1);
    for (const x of [Infinity, -Infinity, NaN]) {
      expect(fdlibmSin(x)).toBeNaN();
      expect(fdlibmCos(x)).toBeNaN();
    }
  });
});

/** FNV-1a over the bits of log(u), sin/cos(2πu) and sin/cos of medium arguments for 20 000 fixed u. */
function checksum(log: (x: number) => number, sin: (x: number) => number, cos: (x: number) => number): string {
  const view = new DataView(new ArrayBuffer(8));
  let hash = 0xcbf29ce484222325n;
  const absorb = (value: number) => {
    view.setFloat64(0, value);
    hash = ((hash ^ view.getBigUint64(0)) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const u of lcgUniforms(20_000, 777n)) {
    absorb(log(u));
    absorb(sin(2 * Math.PI * u));
    absorb(cos(2 * Math.PI * u));
    absorb(sin((u - 0.5) * 1e6));
    absorb(cos((u - 0.5) * 1e6));
  }
  return hash.toString(16);
}

/** The checksum of V8 11.3's Math.log/sin/cos (Node 20), which is fdlibm's. */
const PINNED_CHECKSUM = "3f085bd50d590848";
