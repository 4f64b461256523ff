/**
 * log, sin and cos as fdlibm computes them (V8 11.3's Math.log/sin/cos, Node 20: src/base/ieee754.cc),
 * in plain float64 arithmetic, so Rng's normal draws (Box–Muller, runtime/rng.ts) are the same numbers on every
 * JS engine and Node version, and native/dync_rng.c (the same port in C) gives them bit for bit.
 *
 * Why not Math.*: ECMAScript leaves Math.log/sin/cos "implementation-approximated". V8 used fdlibm for years, but
 * newer V8 switches Math.sin/cos to glibc-derived code (flag use_libm_trig_functions) and later Math.log and cos to
 * llvm-libc; any of these changes the last bit of some draws, and with it every seeded initialization and data set.
 * On Node 20 (V8 11.3) these ports equal Math.* bit for bit (test/runtime/fdlibm.test.ts, test/numerics/
 * fdlibm-math.test.ts), so nothing drawn so far
 * moves. The cost (docs/performance.md, "Seeded draws"): ~10 % per normal drawn in bulk in JS, ~30 % one at a time
 * (V8 runs its fdlibm as C; here the high-word reads go through a typed array); where the native addon is built,
 * fills of many draws run ~3× faster than with Math.* before. Worth it: the alternative is data that depends on the
 * Node version, and a C port that would match the JS draws only on some of them.
 *
 * Scope: every double. Box–Muller only takes sin/cos of 2π·v, v ∈ [0, 1) (the "medium" reduction below, which
 * native/dync_rng.c ports too); target expressions (numerics/portable-math.ts) may take any argument, so |x| beyond
 * 2^19·π/2 gets fdlibm's multi-word reduction (k_rem_pio2.c) rather than Math's. tan, atan and atan2, which
 * targets name, live here too (they share the reduction); exp and its kin in fdlibm-exp.ts, the other logarithms
 * in fdlibm-log.ts.
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

/** x's high word (sign, exponent, top 20 mantissa bits) as a signed 32-bit integer, as fdlibm's GET_HIGH_WORD. */
export function highWord(x: number): number {
  bits[0] = x;
  return halves[HI]!;
}

/** x's low word (the bottom 32 mantissa bits) as an unsigned 32-bit integer. */
export function lowWord(x: number): number {
  bits[0] = x;
  return halves[LO]! >>> 0;
}

/** The double of the two words (either may be given signed or unsigned: only its low 32 bits count). */
export function fromWords(high: number, low: number): number {
  halves[HI] = high;
  halves[LO] = low;
  return bits[0]!;
}

/** x with its low word cleared (fdlibm's SET_LOW_WORD(x, 0)): the head of a head-plus-tail split. */
export function clearLow(x: number): number {
  bits[0] = x;
  halves[LO] = 0;
  return bits[0]!;
}

/** x with its high word replaced (fdlibm's SET_HIGH_WORD). */
export function withHighWord(x: number, high: number): number {
  bits[0] = x;
  halves[HI] = high;
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
  const n = (ix > MEDIUM_LIMIT ? remPio2Large(x, hx) : remPio2(x, hx)) & 3;
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

/** 2^n·x with one rounding (fdlibm s_scalbn.c): exact unless the result is subnormal, 0 or overflows. */
export function scalbn(x: number, n: number): number {
  let hx = highWord(x);
  let k = (hx & 0x7ff00000) >> 20;
  if (k === 0) {
    if (x === 0) return x; // ±0
    x *= TWO54; // subnormal x
    hx = highWord(x);
    k = ((hx & 0x7ff00000) >> 20) - 54;
  }
  if (k === 0x7ff) return x + x; // NaN, ±Inf
  k += n;
  if (k > 0x7fe) return x > 0 ? Infinity : -Infinity;
  if (k > 0) return withHighWord(x, (hx & 0x800fffff) | (k << 20));
  if (k <= -54) return x > 0 ? 0 : -0;
  return withHighWord(x, (hx & 0x800fffff) | ((k + 54) << 20)) * TWO_M54;
}

const TWO_M54 = 2 ** -54;
const TWO24 = 16777216; // 2^24
const TWO_M24 = 5.9604644775390625e-8; // 2^-24

/** 2/π in 24-bit chunks: TWO_OVER_PI[i]·2^(−24(i+1)), 396 hex digits, enough for any double's reduction. */
const TWO_OVER_PI = Int32Array.of(
  0xa2f983, 0x6e4e44, 0x1529fc, 0x2757d1, 0xf534dd, 0xc0db62, 0x95993c, 0x439041, 0xfe5163, 0xabdebb, 0xc561b7, 0x246e3a, 0x424dd2, 0xe00649,
  0x2eea09, 0xd1921c, 0xfe1deb, 0x1cb129, 0xa73ee8, 0x8235f5, 0x2ebb44, 0x84e99c, 0x7026b4, 0x5f7e41, 0x3991d6, 0x398353, 0x39f49c, 0x845f8b,
  0xbdf928, 0x3b1ff8, 0x97ffde, 0x05980f, 0xef2f11, 0x8b5a0a, 0x6d1f6d, 0x367ecf, 0x27cb09, 0xb74f46, 0x3f669e, 0x5fea2d, 0x7527ba, 0xc7ebe5,
  0xf17b3d, 0x0739f7, 0x8a5292, 0xea6bfb, 0x5fb11f, 0x8d5d08, 0x560330, 0x46fc7b, 0x6babf0, 0xcfbc20, 0x9af436, 0x1da9e3, 0x91615e, 0xe61b08,
  0x659985, 0x5f14a0, 0x68408d, 0xffd880, 0x4d7327, 0x310606, 0x1556ca, 0x73a8c9, 0x60e27b, 0xc08c6b,
);
/** π/2 cut into 24-bit pieces (each exact in a double). */
const PIO2_CHUNKS = [
  1.57079625129699707031e0, 7.54978941586159635335e-8, 5.39030252995776476554e-15, 3.28200341580791294123e-22, 1.27065575308067607349e-29,
  1.22933308981111328932e-36, 2.73370053816464559624e-44, 2.16741683877804819444e-51,
];

/**
 * remPio2 for |x| > 2^19·π/2 (fdlibm e_rem_pio2.c's large case): |x| split into three 24-bit pieces, reduced by
 * kernelRemPio2 against as many bits of 2/π as its exponent needs. Sets `reduced`; returns n (its low bits).
 */
function remPio2Large(x: number, hx: number): number {
  const ix = hx & 0x7fffffff;
  const e0 = (ix >> 20) - 1046; // ilogb(x) − 23
  let z = fromWords(ix - (e0 << 20), lowWord(x)); // |x|·2^−e0, in [2^23, 2^24)
  const pieces = [0, 0, 0];
  for (let i = 0; i < 2; i++) {
    pieces[i] = z | 0;
    z = (z - pieces[i]!) * TWO24;
  }
  pieces[2] = z;
  let count = 3;
  while (pieces[count - 1] === 0) count--;
  const n = kernelRemPio2(pieces, e0, count);
  if (hx >= 0) return n;
  reduced[0] = -reduced[0]!;
  reduced[1] = -reduced[1]!;
  return -n;
}

/**
 * fdlibm k_rem_pio2.c at 53-bit precision (prec 2, jk = 4), variable names as there: n mod 8 with
 * x·2^e0 − n·π/2 = reduced[0] + reduced[1], for x given as `nx` 24-bit pieces.
 */
function kernelRemPio2(x: readonly number[], e0: number, nx: number): number {
  const jk = 4;
  const jp = jk;
  const jx = nx - 1;
  const jv = Math.max(0, ((e0 - 3) / 24) | 0);
  let q0 = e0 - 24 * (jv + 1);
  const f = new Float64Array(20);
  const q = new Float64Array(20);
  const fq = new Float64Array(20);
  const iq = new Int32Array(20);
  for (let i = 0, j = jv - jx; i <= jx + jk; i++, j++) f[i] = j < 0 ? 0 : TWO_OVER_PI[j]!;
  const product = (i: number): number => {
    let fw = 0;
    for (let j = 0; j <= jx; j++) fw += x[j]! * f[jx + i - j]!;
    return fw;
  };
  for (let i = 0; i <= jk; i++) q[i] = product(i);
  let jz = jk;
  let z: number;
  let n: number;
  let ih: number;
  for (;;) {
    // distill q[] into iq[], reversed
    z = q[jz]!;
    for (let i = 0, j = jz; j > 0; i++, j--) {
      const fw = (TWO_M24 * z) | 0;
      iq[i] = z - TWO24 * fw;
      z = q[j - 1]! + fw;
    }
    z = scalbn(z, q0);
    z -= 8 * Math.floor(z * 0.125); // integer part mod 8
    n = z | 0;
    z -= n;
    ih = 0;
    if (q0 > 0) {
      const i = iq[jz - 1]! >> (24 - q0);
      n += i;
      iq[jz - 1] -= i << (24 - q0);
      ih = iq[jz - 1]! >> (23 - q0);
    } else if (q0 === 0) {
      ih = iq[jz - 1]! >> 23;
    } else if (z >= 0.5) {
      ih = 2;
    }
    if (ih > 0) {
      // the fraction is ≥ 1/2: take 1 − fraction, n + 1
      n += 1;
      let carry = 0;
      for (let i = 0; i < jz; i++) {
        const j = iq[i]!;
        if (carry === 0) {
          if (j !== 0) {
            carry = 1;
            iq[i] = 0x1000000 - j;
          }
        } else {
          iq[i] = 0xffffff - j;
        }
      }
      if (q0 === 1) iq[jz - 1] &= 0x7fffff;
      else if (q0 === 2) iq[jz - 1] &= 0x3fffff;
      if (ih === 2) {
        z = 1 - z;
        if (carry !== 0) z -= scalbn(1, q0);
      }
    }
    if (z !== 0) break;
    let j = 0;
    for (let i = jz - 1; i >= jk; i--) j |= iq[i]!;
    if (j !== 0) break;
    // cancellation: take more terms of 2/π and recompute
    let k = 1;
    while (jk >= k && iq[jk - k] === 0) k++;
    for (let i = jz + 1; i <= jz + k; i++) {
      f[jx + i] = TWO_OVER_PI[jv + i]!;
      q[i] = product(i);
    }
    jz += k;
  }
  if (z === 0) {
    // chop off zero terms
    jz -= 1;
    q0 -= 24;
    while (iq[jz] === 0) {
      jz--;
      q0 -= 24;
    }
  } else {
    z = scalbn(z, -q0);
    if (z >= TWO24) {
      const fw = (TWO_M24 * z) | 0;
      iq[jz] = z - TWO24 * fw;
      jz += 1;
      q0 += 24;
      iq[jz] = fw;
    } else {
      iq[jz] = z;
    }
  }
  let fw = scalbn(1, q0);
  for (let i = jz; i >= 0; i--) {
    q[i] = fw * iq[i]!;
    fw *= TWO_M24;
  }
  for (let i = jz; i >= 0; i--) {
    fw = 0;
    for (let k = 0; k <= jp && k <= jz - i; k++) fw += PIO2_CHUNKS[k]! * q[i + k]!;
    fq[jz - i] = fw;
  }
  fw = 0;
  for (let i = jz; i >= 0; i--) fw += fq[i]!;
  reduced[0] = ih === 0 ? fw : -fw;
  fw = fq[0]! - fw;
  for (let i = 1; i <= jz; i++) fw += fq[i]!;
  reduced[1] = ih === 0 ? fw : -fw;
  return n & 7;
}

/** tan's polynomial, T[0..12] (fdlibm k_tan.c). */
const T = [
  3.33333333333334091986e-1, 1.33333333333201242699e-1, 5.39682539762260521377e-2, 2.18694882948595424599e-2, 8.86323982359930005737e-3,
  3.59207910759131235356e-3, 1.45620945432529025516e-3, 5.88041240820264096874e-4, 2.46463134818469906812e-4, 7.8179444293955709230e-5,
  7.14072491382608190305e-5, -1.85586374855275456654e-5, 2.59073051863633712884e-5,
] as const;
const PIO4 = 7.85398163397448278999e-1; // 0x3FE921FB, 0x54442D18
const PIO4_LO = 3.06161699786838301793e-17; // 0x3C81A626, 0x33145C07

/** tan(x + y) (k = 1) or −1/tan(x + y) (k = −1) for |x| ≲ π/4, y the tail of x (fdlibm k_tan.c). */
function kernelTan(x: number, y: number, k: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix < 0x3e300000) {
    // |x| < 2^-28
    if (((ix | lowWord(x)) | (k + 1)) === 0) return 1 / Math.abs(x);
    if (k === 1) return x;
    return minusReciprocal(x + y, y, x);
  }
  const large = ix >= 0x3fe59428; // |x| ≥ 0.6744: tan(π/4 − x') = (1 − tan x')/(1 + tan x')
  if (large) {
    if (hx < 0) {
      x = -x;
      y = -y;
    }
    x = PIO4 - x + (PIO4_LO - y);
    y = 0;
  }
  const z = x * x;
  const w = z * z;
  // x^5·(T1 + x^4·T3 + … + x^20·T11) + x^5·(x^2·(T2 + x^4·T4 + … + x^22·T12))
  let r = T[1] + w * (T[3] + w * (T[5] + w * (T[7] + w * (T[9] + w * T[11]))));
  const v = z * (T[2] + w * (T[4] + w * (T[6] + w * (T[8] + w * (T[10] + w * T[12])))));
  const s = z * x;
  r = y + z * (s * (r + v) + y);
  r += T[0] * s;
  const sum = x + r;
  if (large) return (1 - ((hx >> 30) & 2)) * (k - 2 * (x - ((sum * sum) / (sum + k) - r)));
  if (k === 1) return sum;
  return minusReciprocal(sum, r, x);
}

/** −1/w accurately, w = x + r (fdlibm k_tan.c's closing step: the split heads keep the error under 1 ulp). */
function minusReciprocal(w: number, r: number, x: number): number {
  const z = clearLow(w);
  const v = r - (z - x); // z + v = x + r
  const a = -1 / w;
  const t = clearLow(a);
  const s = 1 + t * z;
  return t + a * (s + t * v);
}

/** tan(x) (fdlibm s_tan.c). */
export function fdlibmTan(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelTan(x, 0, 1);
  if (ix >= 0x7ff00000) return x - x; // NaN, ±Inf
  const n = ix > MEDIUM_LIMIT ? remPio2Large(x, hx) : remPio2(x, hx);
  return kernelTan(reduced[0]!, reduced[1]!, 1 - ((n & 1) << 1));
}

/** atan(0.5), atan(1), atan(1.5), atan(∞) as head + tail. */
const ATAN_HI = [4.63647609000806093515e-1, 7.85398163397448278999e-1, 9.82793723247329054082e-1, 1.570796326794896558e0] as const;
const ATAN_LO = [2.26987774529616870924e-17, 3.06161699786838301793e-17, 1.39033110312309984516e-17, 6.12323399573676603587e-17] as const;
const AT = [
  3.33333333333329318027e-1, -1.99999999998764832476e-1, 1.42857142725034663711e-1, -1.1111110405462355788e-1, 9.09088713343650656196e-2,
  -7.69187620504482999495e-2, 6.66107313738753120669e-2, -5.83357013379057348645e-2, 4.97687799461593236017e-2, -3.6531572744216915527e-2,
  1.62858201153657823623e-2,
] as const;

/** atan(x) (fdlibm s_atan.c): |x| reduced to one of five intervals around 0, 1/2, 1, 3/2, ∞, then an odd polynomial. */
export function fdlibmAtan(x: number): number {
  const hx = highWord(x);
  const ix = hx & 0x7fffffff;
  if (ix >= 0x44100000) {
    // |x| ≥ 2^66
    if (x !== x) return x + x;
    return hx > 0 ? ATAN_HI[3] + ATAN_LO[3] : -ATAN_HI[3] - ATAN_LO[3];
  }
  let id = -1;
  if (ix < 0x3fdc0000) {
    if (ix < 0x3e400000) return x; // |x| < 2^-27
  } else {
    x = Math.abs(x);
    if (ix < 0x3ff30000) {
      if (ix < 0x3fe60000) {
        id = 0;
        x = (2 * x - 1) / (2 + x);
      } else {
        id = 1;
        x = (x - 1) / (x + 1);
      }
    } else if (ix < 0x40038000) {
      id = 2;
      x = (x - 1.5) / (1 + 1.5 * x);
    } else {
      id = 3;
      x = -1 / x;
    }
  }
  const z = x * x;
  const w = z * z;
  const s1 = z * (AT[0] + w * (AT[2] + w * (AT[4] + w * (AT[6] + w * (AT[8] + w * AT[10])))));
  const s2 = w * (AT[1] + w * (AT[3] + w * (AT[5] + w * (AT[7] + w * AT[9]))));
  if (id < 0) return x - x * (s1 + s2);
  const result = ATAN_HI[id]! - ((x * (s1 + s2) - ATAN_LO[id]!) - x);
  return hx < 0 ? -result : result;
}

const PI = 3.141592653589793116; // 0x400921FB, 0x54442D18
const PI_O_2 = 1.5707963267948965580; // 0x3FF921FB, 0x54442D18
const PI_O_4 = 7.8539816339744827900e-1; // 0x3FE921FB, 0x54442D18
const PI_LO = 1.2246467991473531772e-16; // 0x3CA1A626, 0x33145C07

/** atan2(y, x) (fdlibm e_atan2.c). fdlibm's `± tiny` terms only raise the inexact flag: they do not move the sum. */
export function fdlibmAtan2(y: number, x: number): number {
  if (x !== x || y !== y) return x + y;
  if (x === 1) return fdlibmAtan(y);
  const hx = highWord(x);
  const hy = highWord(y);
  const ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;
  let m = ((hy >> 31) & 1) | ((hx >> 30) & 2); // 2·sign(x) + sign(y)
  if (y === 0) return m <= 1 ? y : m === 2 ? PI : -PI;
  if (x === 0) return hy < 0 ? -PI_O_2 : PI_O_2;
  if (ix === 0x7ff00000) {
    if (iy === 0x7ff00000) return [PI_O_4, -PI_O_4, 3 * PI_O_4, -3 * PI_O_4][m]!;
    return [0, -0, PI, -PI][m]!;
  }
  if (iy === 0x7ff00000) return hy < 0 ? -PI_O_2 : PI_O_2;
  const k = (iy - ix) >> 20;
  let z: number;
  if (k > 60) {
    // |y/x| > 2^60
    z = PI_O_2 + 0.5 * PI_LO;
    m &= 1;
  } else if (hx < 0 && k < -60) {
    z = 0; // 0 > |y|/x > −2^−60
  } else {
    z = fdlibmAtan(Math.abs(y / x));
  }
  if (m === 0) return z;
  if (m === 1) return -z;
  if (m === 2) return PI - (z - PI_LO);
  return z - PI_LO - PI;
}
