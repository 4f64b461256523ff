/**
 * exp, expm1, sinh, cosh, tanh and pow as fdlibm computes them (V8 11.3's Math.exp/expm1/sinh/cosh/tanh/pow and
 * `**`, Node 20: src/base/ieee754.cc, pow being its `legacy::pow`), in plain float64 arithmetic, so generated
 * target functions and compile-time constants give the same numbers on every Node version (numerics/fdlibm.ts
 * says why Math.* does not: newer V8 moves these to llvm-libc, the C library's tanh and pow). On Node 20 they equal
 * Math.* bit for bit (test/numerics/fdlibm-math.test.ts).
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
import { clearLow, fromWords, highWord, lowWord, scalbn, withHighWord } from "./fdlibm.js";

const O_THRESHOLD = 7.09782712893383973096e2; // 0x40862E42, 0xFEFA39EF: exp overflows above
const U_THRESHOLD = -7.45133219101941108420e2; // 0xC0874910, 0xD52D3051: exp underflows to 0 below
const LN2_HI = 6.93147180369123816490e-1; // 0x3FE62E42, 0xFEE00000
const LN2_LO = 1.90821492927058770002e-10; // 0x3DEA39EF, 0x35793C76
const INVLN2 = 1.44269504088896338700e0; // 0x3FF71547, 0x652B82FE
const P1 = 1.66666666666666019037e-1; // 0x3FC55555, 0x5555553E
const P2 = -2.77777777770155933842e-3; // 0xBF66C16C, 0x16BEBD93
const P3 = 6.61375632143793436117e-5; // 0x3F11566A, 0xAF25DE2C
const P4 = -1.65339022054652515390e-6; // 0xBEBBBD41, 0xC5D26BF1
const P5 = 4.13813679705723846039e-8; // 0x3E663769, 0x72BEA4D0
const E = 2.718281828459045; // 0x4005BF0A, 0x8B145769
const TWO_1023 = 8.988465674311579539e307; // 2^1023
const TWO_M1000 = 9.33263618503218878990e-302; // 2^-1000

/** 2^k for −1022 ≤ k ≤ 1023, built from its exponent bits. */
function twoTo(k: number): number {
  return fromWords((0x3ff + k) << 20, 0);
}

/**
 * e^x (fdlibm e_exp.c): x = k·ln2 + r, |r| ≤ ln2/2, e^r from a degree-5 rational correction. V8 returns e itself for
 * x = 1 (the algorithm is 1 ulp off there); so does this.
 */
export function fdlibmExp(x: number): number {
  const high = highWord(x);
  const negative = high < 0 ? 1 : 0;
  const hx = high & 0x7fffffff;
  if (hx >= 0x40862e42) {
    // |x| ≥ 709.78…
    if (hx >= 0x7ff00000) return x !== x ? x + x : negative ? 0 : x;
    if (x > O_THRESHOLD) return Infinity;
    if (x < U_THRESHOLD) return 0;
  }
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2/2
    if (hx < 0x3ff0a2b2) {
      // |x| < 1.5·ln2
      if (x === 1) return E;
      hi = negative ? x + LN2_HI : x - LN2_HI;
      lo = negative ? -LN2_LO : LN2_LO;
      k = negative ? -1 : 1;
    } else {
      k = (INVLN2 * x + (negative ? -0.5 : 0.5)) | 0;
      hi = x - k * LN2_HI; // exact
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    return 1 + x; // |x| < 2^-28
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - ((lo - (x * c) / (2 - c)) - hi);
  if (k === 1024) return y * 2 * TWO_1023;
  return k >= -1021 ? y * twoTo(k) : y * twoTo(k + 1000) * TWO_M1000;
}

const Q1 = -3.33333333333331316428e-2; // BFA11111 111110F4
const Q2 = 1.58730158725481460165e-3; // 3F5A01A0 19FE5585
const Q3 = -7.93650757867487942473e-5; // BF14CE19 9EAADBB7
const Q4 = 4.00821782732936239552e-6; // 3ED0CFCA 86E65239
const Q5 = -2.01099218183624371326e-7; // BE8AFDB7 6E09C32D

/** e^x − 1 accurate near 0 (fdlibm s_expm1.c): the reduction of exp with a correction term c for the rounding of r. */
export function fdlibmExpm1(x: number): number {
  const high = highWord(x);
  const negative = high < 0;
  const hx = high & 0x7fffffff;
  if (hx >= 0x4043687a) {
    // |x| ≥ 56·ln2
    if (hx >= 0x40862e42) {
      if (hx >= 0x7ff00000) return x !== x ? x + x : negative ? -1 : x;
      if (x > O_THRESHOLD) return Infinity;
    }
    if (negative) return -1;
  }
  let k = 0;
  let c = 0;
  if (hx > 0x3fd62e42) {
    let hi: number;
    let lo: number;
    if (hx < 0x3ff0a2b2) {
      hi = negative ? x + LN2_HI : x - LN2_HI;
      lo = negative ? -LN2_LO : LN2_LO;
      k = negative ? -1 : 1;
    } else {
      k = (INVLN2 * x + (negative ? -0.5 : 0.5)) | 0;
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    x = hi - lo;
    c = hi - x - lo;
  } else if (hx < 0x3c900000) {
    return x; // |x| < 2^-54
  }
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1 = 1 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  const t = 3 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6 - x * t));
  if (k === 0) return x - (x * e - hxs);
  e = x * (e - c) - c;
  e -= hxs;
  if (k === -1) return 0.5 * (x - e) - 0.5;
  if (k === 1) return x < -0.25 ? -2 * (e - (x + 0.5)) : 1 + 2 * (x - e);
  if (k <= -2 || k > 56) {
    const y = 1 - (e - x);
    return (k === 1024 ? y * 2 * 8.98846567431158e307 : y * twoTo(k)) - 1; // V8's literal, not 2^1023 exactly
  }
  if (k < 20) return (fromWords(0x3ff00000 - (0x200000 >> k), 0) - (e - x)) * twoTo(k); // (1 − 2^−k) − (e − x)
  return (x - (e + twoTo(-k)) + 1) * twoTo(k);
}

const OVERFLOW_THRESHOLD = 710.4758600739439; // sinh and cosh overflow above
const LOG_MAXD = 709.7822265625; // 0x40862E42 00000000

/** sinh(x) (V8's s_sinh: (E + E/(E + 1))/2 from E = expm1(|x|) below 22, e^|x|/2 above). */
export function fdlibmSinh(x: number): number {
  const h = x < 0 ? -0.5 : 0.5;
  const ax = Math.abs(x);
  if (ax < 22) {
    if (ax < 3.725290298461914e-9) return x; // |x| < 2^-28
    const t = fdlibmExpm1(ax);
    return ax < 1 ? h * (2 * t - (t * t) / (t + 1)) : h * (t + t / (t + 1));
  }
  if (ax < LOG_MAXD) return h * fdlibmExp(ax);
  if (ax <= OVERFLOW_THRESHOLD) {
    const w = fdlibmExp(0.5 * ax);
    return h * w * w;
  }
  return x * 1e307; // ±Inf, NaN
}

/** cosh(x) (V8's e_cosh: 1 + expm1²/(2e^|x|) near 0, (e^|x| + e^−|x|)/2 below 22, e^|x|/2 above). */
export function fdlibmCosh(x: number): number {
  const ix = highWord(x) & 0x7fffffff;
  const ax = Math.abs(x);
  if (ix < 0x3fd62e43) {
    // |x| < ln2/2
    const t = fdlibmExpm1(ax);
    const w = 1 + t;
    if (ix < 0x3c800000) return w; // |x| < 2^-55
    return 1 + (t * t) / (w + w);
  }
  if (ix < 0x40360000) {
    const t = fdlibmExp(ax);
    return 0.5 * t + 0.5 / t;
  }
  if (ix < 0x40862e42) return 0.5 * fdlibmExp(ax);
  if (ax <= OVERFLOW_THRESHOLD) {
    const w = fdlibmExp(0.5 * ax);
    return 0.5 * w * w;
  }
  if (ix >= 0x7ff00000) return x * x; // Inf, NaN
  return Infinity;
}

/** tanh(x) (fdlibm s_tanh.c): −t/(t + 2), t = expm1(−2|x|), below 1; 1 − 2/(t + 2), t = expm1(2|x|), below 22; ±1 above. */
export function fdlibmTanh(x: number): number {
  const jx = highWord(x);
  const ix = jx & 0x7fffffff;
  if (ix >= 0x7ff00000) return jx >= 0 ? 1 / x + 1 : 1 / x - 1; // ±1, NaN
  let z: number;
  if (ix < 0x40360000) {
    if (ix < 0x3e300000) return x; // |x| < 2^-28
    if (ix >= 0x3ff00000) {
      const t = fdlibmExpm1(2 * Math.abs(x));
      z = 1 - 2 / (t + 2);
    } else {
      const t = fdlibmExpm1(-2 * Math.abs(x));
      z = -t / (t + 2);
    }
  } else {
    z = 1; // 1 − tiny
  }
  return jx >= 0 ? z : -z;
}

const BP = [1.0, 1.5] as const;
const DP_H = [0.0, 5.84962487220764160156e-1] as const; // 0x3FE2B803, 0x40000000
const DP_L = [0.0, 1.35003920212974897128e-8] as const; // 0x3E4CFDEB, 0x43CFD006
const TWO53 = 9007199254740992.0;
const L1 = 5.99999999999994648725e-1; // 0x3FE33333, 0x33333303
const L2 = 4.28571428578550184252e-1; // 0x3FDB6DB6, 0xDB6FABFF
const L3 = 3.33333329818377432918e-1; // 0x3FD55555, 0x518F264D
const L4 = 2.72728123808534006489e-1; // 0x3FD17460, 0xA91D4101
const L5 = 2.30660745775561754067e-1; // 0x3FCD864A, 0x93C9DB65
const L6 = 2.06975017800338417784e-1; // 0x3FCA7E28, 0x4A454EEF
const LG2 = 6.93147180559945286227e-1; // 0x3FE62E42, 0xFEFA39EF
const LG2_H = 6.93147182464599609375e-1; // 0x3FE62E43, 0x00000000
const LG2_L = -1.90465429995776804525e-9; // 0xBE205C61, 0x0CA86C39
const OVT = 8.0085662595372944372e-17; // −(1024 − log2(overflow + ½ ulp))
const CP = 9.61796693925975554329e-1; // 0x3FEEC709, 0xDC3A03FD = 2/(3 ln2)
const CP_H = 9.61796700954437255859e-1; // 0x3FEEC709, 0xE0000000 = (float)cp
const CP_L = -7.02846165095275826516e-9; // 0xBE3E2FE0, 0x145B01F5 = tail of cp_h
const IVLN2 = 1.44269504088896338700e0; // 0x3FF71547, 0x652B82FE = 1/ln2
const IVLN2_H = 1.44269502162933349609e0; // 0x3FF71547, 0x60000000 = 24 bits of 1/ln2
const IVLN2_L = 1.92596299112661746887e-8; // 0x3E54AE0B, 0xF85DDF44 = its tail

/** 0 = y not an integer, 1 = odd integer, 2 = even integer (fdlibm's yisint; only asked for x < 0). */
function integerKind(iy: number, ly: number): number {
  if (iy >= 0x43400000) return 2; // |y| ≥ 2^53
  if (iy < 0x3ff00000) return 0;
  const k = (iy >> 20) - 0x3ff; // exponent
  if (k > 20) {
    const j = ly >>> (52 - k);
    return j << (52 - k) === (ly | 0) ? 2 - (j & 1) : 0;
  }
  if (ly !== 0) return 0;
  const j = iy >> (20 - k);
  return j << (20 - k) === iy ? 2 - (j & 1) : 0;
}

/**
 * x^y, JS's `**` and Math.pow (fdlibm e_pow.c as V8's legacy::pow): log2|x| to ~64 bits as t1 + t2, y·log2|x| split
 * into an integer n and a remainder, 2^n·2^remainder. Special cases as ECMAScript (±1 ** ±∞ is NaN).
 */
export function fdlibmPow(x: number, y: number): number {
  // fdlibm's own y = 2 case below (x·x, NaN for NaN x), taken before the word splits: `x^2` is the commonest target.
  if (y === 2) return x * x;
  const hx = highWord(x);
  const lx = lowWord(x);
  const hy = highWord(y);
  const ly = lowWord(y);
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;
  if ((iy | ly) === 0) return 1; // x ** ±0
  if (x !== x || y !== y) return x + y;
  const yisint = hx < 0 ? integerKind(iy, ly) : 0;
  if (ly === 0) {
    if (iy === 0x7ff00000) {
      // y = ±Inf
      if (((ix - 0x3ff00000) | lx) === 0) return y - y; // ±1 ** ±Inf is NaN
      if (ix >= 0x3ff00000) return hy >= 0 ? y : 0;
      return hy < 0 ? -y : 0;
    }
    if (iy === 0x3ff00000) return hy < 0 ? 1 / x : x; // y = ±1
    if (hy === 0x40000000) return x * x; // y = 2
    if (hy === 0x3fe00000 && hx >= 0) return Math.sqrt(x); // y = 0.5, x ≥ +0
  }
  let ax = Math.abs(x);
  if (lx === 0 && (ix === 0x7ff00000 || ix === 0 || ix === 0x3ff00000)) {
    // x = ±0, ±Inf, ±1
    let z = hy < 0 ? 1 / ax : ax;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yisint) === 0) z = NaN; // (−1) ** non-integer
      else if (yisint === 1) z = -z;
    }
    return z;
  }
  let n = (hx >> 31) + 1; // 0 for x < 0
  if ((n | yisint) === 0) return NaN; // (x < 0) ** non-integer
  const s = (n | (yisint - 1)) === 0 ? -1 : 1; // sign of the result: (x < 0) ** odd
  let t1: number;
  let t2: number;
  if (iy > 0x41e00000) {
    // |y| > 2^31
    if (iy > 0x43f00000) {
      // |y| > 2^64: over- or underflows
      if (ix <= 0x3fefffff) return hy < 0 ? Infinity : 0;
      if (ix >= 0x3ff00000) return hy > 0 ? Infinity : 0;
    }
    if (ix < 0x3fefffff) return hy < 0 ? s * Infinity : s * 0;
    if (ix > 0x3ff00000) return hy > 0 ? s * Infinity : s * 0;
    // |1 − x| ≤ 2^-20: log(x) from x − x²/2 + x³/3 − x⁴/4
    const t = ax - 1;
    const w = t * t * (0.5 - t * (0.3333333333333333333333 - t * 0.25));
    const u = IVLN2_H * t;
    const v = t * IVLN2_L - w * IVLN2;
    t1 = clearLow(u + v);
    t2 = v - (t1 - u);
  } else {
    n = 0;
    if (ix < 0x00100000) {
      // subnormal x
      ax *= TWO53;
      n -= 53;
      ix = highWord(ax);
    }
    n += (ix >> 20) - 0x3ff;
    const j = ix & 0x000fffff;
    ix = j | 0x3ff00000; // normalize
    let k = 0;
    if (j <= 0x3988e) k = 0; // |x| < √(3/2)
    else if (j < 0xbb67a) k = 1; // |x| < √3
    else {
      n += 1;
      ix -= 0x00100000;
    }
    ax = withHighWord(ax, ix);
    // ss = s_h + s_l = (x − 1)/(x + 1) or (x − 1.5)/(x + 1.5)
    let u = ax - BP[k]!;
    let v = 1 / (ax + BP[k]!);
    const ss = u * v;
    const sH = clearLow(ss);
    let tH = fromWords(((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18), 0); // ax + bp[k], high part
    let tL = ax - (tH - BP[k]!);
    const sL = v * ((u - sH * tH) - sH * tL);
    // log(ax)
    let s2 = ss * ss;
    let r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = clearLow(3.0 + s2 + r);
    tL = r - ((tH - 3.0) - s2);
    u = sH * tH;
    v = sL * tH + tL * ss;
    // 2/(3 log2)·(ss + …)
    const pH = clearLow(u + v);
    const pL = v - (pH - u);
    const zH = CP_H * pH;
    const zL = CP_L * pH + pL * CP + DP_L[k]!;
    // log2(ax) = n + dp_h + z_h + z_l
    const t = n;
    t1 = clearLow(((zH + zL) + DP_H[k]!) + t);
    t2 = zL - (((t1 - t) - DP_H[k]!) - zH);
  }
  return s * twoToProduct(y, t1, t2);
}

/** 2^(y·(t1 + t2)) for pow: y split as y1 + (y − y1), the product as pH + pL, its integer part scaled in at the end. */
function twoToProduct(y: number, t1: number, t2: number): number {
  const y1 = clearLow(y);
  const pL = (y - y1) * t1 + y * t2;
  let pH = y1 * t1;
  let z = pL + pH;
  const j = highWord(z);
  const i = lowWord(z);
  if (j >= 0x40900000) {
    // z ≥ 1024
    if (j !== 0x40900000 || i !== 0 || pL + OVT > z - pH) return Infinity;
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {
    // z ≤ −1075
    if (j !== (0xc090cc00 | 0) || i !== 0 || pL <= z - pH) return 0;
  }
  const absHigh = j & 0x7fffffff;
  let k = (absHigh >> 20) - 0x3ff;
  let n = 0;
  if (absHigh > 0x3fe00000) {
    // |z| > 0.5: n = [z + 0.5]
    n = j + (0x00100000 >> (k + 1));
    k = ((n & 0x7fffffff) >> 20) - 0x3ff;
    const t = fromWords(n & ~(0x000fffff >> k), 0);
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  const t = clearLow(pL + pH);
  const u = t * LG2_H;
  const v = (pL - (t - pH)) * LG2 + t * LG2_L;
  z = u + v;
  const w = v - (z - u);
  const tt = z * z;
  const c = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  const r = (z * c) / ((c - 2) - (w + z * w));
  z = 1 - (r - z);
  const high = highWord(z) + (n << 20);
  return high >> 20 <= 0 ? scalbn(z, n) : withHighWord(z, high);
}
