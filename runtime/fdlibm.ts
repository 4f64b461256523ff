/**
 * log, sin and cos as fdlibm computes them (V8 11.3's Math.log/sin/cos, Node 20: src/base/ieee754.cc),
 * in plain float64 arithmetic, so Rng's normal draws (Box–Muller, runtime/rng.ts) are the same numbers on every
 * JS engine and Node version, and native/dync_rng.c (the same port in C) gives them bit for bit.
 *
 * Why not Math.*: ECMAScript leaves Math.log/sin/cos "implementation-approximated". V8 used fdlibm for years, but
 * newer V8 switches Math.sin/cos to glibc-derived code (flag use_libm_trig_functions) and later Math.log and cos to
 * llvm-libc; any of these changes the last bit of some draws, and with it every seeded initialization and data set.
 * On Node 20 (V8 11.3) these ports equal Math.* bit for bit (test/runtime/fdlibm.test.ts), so nothing drawn so far
 * moves. The cost (docs/performance.md, "Seeded draws"): ~10 % per normal drawn in bulk in JS, ~30 % one at a time
 * (V8 runs its fdlibm as C; here the high-word reads go through a typed array); where the native addon is built,
 * fills of many draws run ~3× faster than with Math.* before. Worth it: the alternative is data that depends on the
 * Node version, and a C port that would match the JS draws only on some of them.
 *
 * Scope: log over all doubles; sin/cos for |x| ≤ 2^19·π/2 (fdlibm's "medium" argument reduction). Box–Muller
 * only takes sin/cos of 2π·v, v ∈ [0, 1). Larger arguments, which need the multi-word reduction
 * (__kernel_rem_pio2), fall back to Math.sin/cos and are engine-dependent; nothing in dync draws them.
 *
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunSoft, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */

/** A double's two 32-bit halves (high: sign, exponent, top of the mantissa), read and written through one buffer. */
const bits = new Float64Array(1);
const halves = new Int32Array(bits.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

function highWord(x: number): number {
  bits[0] = x;
  return halves[HI]!;
}

function fromWords(high: number, low: number): number {
  halves[HI] = high;
  halves[LO] = low;
  return bits[0]!;
}

const LN2_HI = 6.93147180369123816490e-1; // 3fe62e42 fee00000
const LN2_LO = 1.90821492927058770002e-10; // 3dea39ef 35793c76
const TWO54 = 1.8014398509481984e16; // 43500000 00000000
const LG1 = 6.666666666666735130e-1; // 3FE55555 55555593
const LG2 = 3.999999999940941908e-1; // 3FD99999 9997FA04
const LG3 = 2.857142874366239149e-1; // 3FD24924 94229359
const LG4 = 2.222219843214978396e-1; // 3FCC71C5 1D8E78AF
const LG5 = 1.818357216161805012e-1; // 3FC74664 96CB03DE
const LG6 = 1.531383769920937332e-1; // 3FC39A09 D078C69F
const LG7 = 1.479819860511658591e-1; // 3FC2F112 DF3E5244

/** 2^-k for k = -1022..1024 at POW2_NEG[k + 1022]: scaling by a power of two is exact, and unlike rewriting the
 *  high word through the buffer it costs no store-forwarding stall (a 4-byte store read back as 8 bytes). */
const POW2_NEG = (() => {
  const table = new Float64Array(2047);
  table[1022] = 1;
  for (let k = 1; k <= 1024; k++) table[1022 + k] = table[1021 + k]! / 2;
  for (let k = 1; k <= 1022; k++) table[1022 - k] = table[1023 - k]! * 2;
  return table;
})();

/** Natural logarithm (fdlibm e_log.c): x = 2^k·(1+f), log(1+f) from s = f/(2+f) and a degree-14 polynomial. */
export function fdlibmLog(x: number): number {
  logInto(x, logResult);
  return logResult[0]!;
}

const logResult = new Float64Array(1);

/**
 * fdlibmLog(x) into out[0]. Why not return it: a double returned from a call V8 does not inline is boxed on the heap,
 * and Box–Muller (boxMuller below) then spent more on allocation and collection than on the logarithm.
 */
function logInto(x: number, out: Float64Array): void {
  bits[0] = x;
  let hx = halves[HI]!;
  let k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | halves[LO]!) === 0) {
      out[0] = -Infinity; // log(±0)
      return;
    }
    if (hx < 0) {
      out[0] = NaN; // log(negative)
      return;
    }
    k -= 54;
    x *= TWO54; // subnormal: scale up
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) {
    out[0] = x + x; // +Inf, NaN
    return;
  }
  const exponent = (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000; // mantissa ≥ √2: take x/2
  x *= POW2_NEG[exponent + (i >> 20) + 1022]!; // fdlibm: SET_HIGH_WORD(x, hx | (i ^ 0x3ff00000))
  k += exponent + (i >> 20);
  const f = x - 1.0;
  const dk = k;
  if ((0x000fffff & (2 + hx)) < 3) {
    // -2^-20 <= f < 2^-20
    const R = f * f * (0.5 - 0.33333333333333333 * f);
    out[0] = f === 0 ? (k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO) : k === 0 ? f - R : dk * LN2_HI - ((R - dk * LN2_LO) - f);
    return;
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const hfsq = 0.5 * f * f;
    out[0] = k === 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  } else {
    out[0] = k === 0 ? f - s * (f - R) : dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
  }
}

const C1 = 4.16666666666666019037e-2; // 0x3FA55555, 0x5555554C
const C2 = -1.38888888888741095749e-3; // 0xBF56C16C, 0x16C15177
const C3 = 2.48015872894767294178e-5; // 0x3EFA01A0, 0x19CB1590
const C4 = -2.75573143513906633035e-7; // 0xBE927E4F, 0x809C52AD
const C5 = 2.08757232129817482790e-9; // 0x3E21EE9E, 0xBDB4B1C4
const C6 = -1.13596475577881948265e-11; // 0xBDA8FAE9, 0xBE8838D4

/** Thresholds on |x| that stand for fdlibm's tests on the high word (`ix < 0x3FD33333` is `|x| < 0x3FD33333_00000000`
 *  as a double): comparing doubles avoids a trip through the buffer. */
const TWO_M27 = 2 ** -27; // ix < 0x3E400000
const COS_SMALL = fromWords(0x3fd33333, 0); // ix < 0x3FD33333: |x| < 0.3
const COS_LARGE = fromWords(0x3fe90001, 0); // ix > 0x3FE90000: |x| > 0.78125

const S1 = -1.66666666666666324348e-1; // 0xBFC55555, 0x55555549
const S2 = 8.33333333332248946124e-3; // 0x3F811111, 0x1110F8A6
const S3 = -1.98412698298579493134e-4; // 0xBF2A01A0, 0x19C161D5
const S4 = 2.75573137070700676789e-6; // 0x3EC71DE3, 0x57B1FE7D
const S5 = -2.50507602534068634195e-8; // 0xBE5AE5E6, 0x8A2B9CEB
const S6 = 1.58969099521155010221e-10; // 0x3DE5D93A, 0x5ACFD57C

/**
 * out[0] = sin(x + y), out[1] = cos(x + y) for |x| ≲ π/4, y the tail of x; `hasTail` false means y is 0 (fdlibm
 * k_sin.c and k_cos.c, each computed as there). Written to an array, not returned: see logInto.
 */
function kernelsInto(x: number, y: number, hasTail: boolean, out: Float64Array): void {
  const ax = Math.abs(x);
  if (ax < TWO_M27) {
    out[0] = x;
    out[1] = 1;
    return;
  }
  const z = x * x;
  const v = z * x;
  const rs = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  out[0] = hasTail ? x - ((z * (0.5 * y - v * rs) - y) - v * S1) : x + v * (S1 + z * rs);
  const rc = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ax < COS_SMALL) {
    out[1] = 1 - (0.5 * z - (z * rc - x * y));
    return;
  }
  // fdlibm: qx = |x|/4 with the low word cleared (INSERT_WORDS(qx, ix - 0x00200000, 0)); 0.3 <= |x| < 1 keeps 20
  // mantissa bits in the high word, so the cleared value is |x| floored to a multiple of 2^-22 (below 1/2) or 2^-21.
  const qx = ax >= COS_LARGE ? 0.28125 : ax < 0.5 ? Math.floor(ax * 4194304) / 16777216 : Math.floor(ax * 2097152) / 8388608;
  out[1] = 1 - qx - (0.5 * z - qx - (z * rc - x * y));
}

const INVPIO2 = 6.36619772367581382433e-1; // 0x3FE45F30, 0x6DC9C883: 53 bits of 2/π
const PIO2_1 = 1.57079632673412561417; // 0x3FF921FB, 0x54400000: first 33 bits of π/2
const PIO2_1T = 6.07710050650619224932e-11; // 0x3DD0B461, 0x1A626331: π/2 − PIO2_1
const PIO2_2 = 6.07710050630396597660e-11; // 0x3DD0B461, 0x1A600000: second 33 bits
const PIO2_2T = 2.02226624879595063154e-21; // 0x3BA3198A, 0x2E037073: π/2 − (PIO2_1 + PIO2_2)
const PIO2_3 = 2.02226624871116645580e-21; // 0x3BA3198A, 0x2E000000: third 33 bits
const PIO2_3T = 8.47842766036889956997e-32; // 0x397B839A, 0x252049C1: π/2 − (PIO2_1 + PIO2_2 + PIO2_3)
/** High words of n·π/2, n = 1..32: arguments this close to a multiple need the longer reduction. */
const NPIO2_HW = Int32Array.of(
  0x3ff921fb, 0x400921fb, 0x4012d97c, 0x401921fb, 0x401f6a7a, 0x4022d97c, 0x4025fdbb, 0x402921fb, 0x402c463a, 0x402f6a7a, 0x4031475c,
  0x4032d97c, 0x40346b9c, 0x4035fdbb, 0x40378fdb, 0x403921fb, 0x403ab41b, 0x403c463a, 0x403dd85a, 0x403f6a7a, 0x40407e4c, 0x4041475c,
  0x4042106c, 0x4042d97c, 0x4043a28c, 0x40446b9c, 0x404534ac, 0x4045fdbb, 0x4046c6cb, 0x40478fdb, 0x404858eb, 0x404921fb,
);
/** The largest high word remPio2 reduces (|x| ≈ 2^19·π/2). */
const MEDIUM_LIMIT = 0x413921fb;

/** x − n·π/2 as reduced[0] + reduced[1], from remPio2. A typed array, not two module `let`s: V8 boxes a double
 *  stored in a module variable, one allocation per store, and the collector then cost more than the arithmetic. */
const reduced = new Float64Array(2);

/** n with x = n·π/2 + (reducedHi + reducedLo), |reduced| ≲ π/4, for π/4 < |x| ≤ 2^19·π/2 (fdlibm e_rem_pio2.c). */
function remPio2(x: number, hx: number): number {
  const ix = hx & 0x7fffffff;
  let hi: number;
  let lo: number;
  if (ix < 0x4002d97c) {
    // |x| < 3π/4: n = ±1
    const sign = hx > 0 ? 1 : -1;
    let z = x - sign * PIO2_1;
    if (ix !== 0x3ff921fb) {
      hi = z - sign * PIO2_1T;
      lo = z - hi - sign * PIO2_1T;
    } else {
      // near π/2: 33 + 33 + 53 bits of π
      z -= sign * PIO2_2;
      hi = z - sign * PIO2_2T;
      lo = z - hi - sign * PIO2_2T;
    }
    reduced[0] = hi;
    reduced[1] = lo;
    return sign;
  }
  const t = Math.abs(x);
  const n = (t * INVPIO2 + 0.5) | 0;
  const fn = n;
  let r = t - fn * PIO2_1;
  let w = fn * PIO2_1T; // first round good to 85 bits
  hi = r - w;
  if (!(n < 32 && ix !== NPIO2_HW[n - 1])) {
    const j = ix >> 20;
    if (j - ((highWord(hi) >> 20) & 0x7ff) > 16) {
      // second iteration, good to 118 bits
      let before = r;
      w = fn * PIO2_2;
      r = before - w;
      w = fn * PIO2_2T - (before - r - w);
      hi = r - w;
      if (j - ((highWord(hi) >> 20) & 0x7ff) > 49) {
        // third iteration, 151 bits
        before = r;
        w = fn * PIO2_3;
        r = before - w;
        w = fn * PIO2_3T - (before - r - w);
        hi = r - w;
      }
    }
  }
  lo = r - hi - w;
  reduced[0] = hx < 0 ? -hi : hi;
  reduced[1] = hx < 0 ? -lo : lo;
  return hx < 0 ? -n : n;
}

const scratch = new Float64Array(2);

/** sin(x) (fdlibm s_sin.c). */
export function fdlibmSin(x: number): number {
  sinCos(x, scratch);
  return scratch[0]!;
}

/** cos(x) (fdlibm s_cos.c). */
export function fdlibmCos(x: number): number {
  sinCos(x, scratch);
  return scratch[1]!;
}

/** out[0] = sin(x), out[1] = cos(x) with one argument reduction, each as fdlibm's sin(x) and cos(x) compute it. */
export function sinCos(x: number, out: Float64Array): void {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    kernelsInto(x, 0, false, out); // |x| ≲ π/4
    return;
  }
  if (ix >= 0x7ff00000) {
    out[0] = out[1] = x - x; // ±Inf, NaN
    return;
  }
  if (ix > MEDIUM_LIMIT) {
    out[0] = Math.sin(x); // out of scope (see the header)
    out[1] = Math.cos(x);
    return;
  }
  const n = remPio2(x, hx) & 3;
  kernelsInto(reduced[0]!, reduced[1]!, true, out);
  const s = out[0]!;
  const c = out[1]!;
  out[0] = n === 0 ? s : n === 1 ? c : n === 2 ? -s : -c;
  out[1] = n === 0 ? c : n === 1 ? -s : n === 2 ? -c : s;
}

const trig = new Float64Array(2);

/**
 * A Box–Muller pair as Rng.normal draws it: out[0] = r·cos θ, out[1] = r·sin θ with r = √(−2 log u), θ = 2π·v.
 * Results go through arrays, not return values (see logInto): measured, Rng.normal ran ~40 % slower otherwise.
 */
export function boxMuller(u: number, v: number, out: Float64Array): void {
  logInto(u, out);
  const r = Math.sqrt(-2 * out[0]!);
  sinCos(2 * Math.PI * v, trig);
  out[0] = r * trig[1]!;
  out[1] = r * trig[0]!;
}
