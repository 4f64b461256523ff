/*
 * dync's seeded draws in bulk: runtime/rng.ts's xoshiro128** stream, its 53-bit uniforms and its Box–Muller normals,
 * bit for bit, at C speed (runtime/kernels/native-rng.ts loads it; Rng.normals / Rng.uniforms call it).
 *
 * Why: initialization and synthetic data draw millions of values per run; in JS a normal costs ~30 ns, a
 * sizeable share of a short training loop next to PyTorch's torch.randn (docs/performance.md, "Seeded draws").
 *
 * Bit-identical by construction: the generator is 32-bit integer arithmetic; the uniform is exact float64
 * arithmetic; sqrt is correctly rounded in C and JS alike; log, sin and cos are fdlibm's algorithms, ported here
 * and in numerics/fdlibm.ts (which Rng uses in place of Math.*) from the same source in the same order of operations.
 * Built with -ffp-contract=off: a fused multiply-add would round the polynomials differently from JS.
 * test/runtime/rng-native.test.ts compares both paths over 10^7 values.
 *
 * The fdlibm parts:
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunSoft, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */
#define NAPI_VERSION 8
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- fdlibm: log, and sin/cos for |x| <= 2^19·pi/2 (as numerics/fdlibm.ts; Box–Muller's angles are in [0, 2pi)) ---- */

static inline int32_t high_word(double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  return (int32_t)(bits >> 32);
}

static inline double from_words(uint32_t high, uint32_t low) {
  uint64_t bits = ((uint64_t)high << 32) | low;
  double x;
  memcpy(&x, &bits, sizeof x);
  return x;
}

static double fd_log(double x) {
  static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10, two54 = 1.80143985094819840000e+16,
                      Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
                      Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                      Lg7 = 1.479819860511658591e-01;
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  int32_t hx = (int32_t)(bits >> 32);
  uint32_t lx = (uint32_t)bits;
  int32_t k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) == 0) return -INFINITY;
    if (hx < 0) return NAN;
    k -= 54;
    x *= two54;
    hx = high_word(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  int32_t i = (hx + 0x95f64) & 0x100000;
  memcpy(&bits, &x, sizeof bits);
  bits = (bits & 0xffffffffu) | ((uint64_t)(uint32_t)(hx | (i ^ 0x3ff00000)) << 32); /* normalize x or x/2 */
  memcpy(&x, &bits, sizeof x);
  k += i >> 20;
  double f = x - 1.0, dk = (double)k;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f == 0.0) return k == 0 ? 0.0 : dk * ln2_hi + dk * ln2_lo;
    double R = f * f * (0.5 - 0.33333333333333333 * f);
    return k == 0 ? f - R : dk * ln2_hi - ((R - dk * ln2_lo) - f);
  }
  double s = f / (2.0 + f), z = s * s, w = z * z;
  double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  double R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    double hfsq = 0.5 * f * f;
    return k == 0 ? f - (hfsq - s * (hfsq + R)) : dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
  }
  return k == 0 ? f - s * (f - R) : dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

static inline double kernel_cos(double x, double y) {
  static const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03, C3 = 2.48015872894767294178e-05,
                      C4 = -2.75573143513906633035e-07, C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  int32_t ix = high_word(x) & 0x7fffffff;
  if (ix < 0x3e400000) return 1.0;
  double z = x * x;
  double r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return 1.0 - (0.5 * z - (z * r - x * y));
  double qx = ix > 0x3fe90000 ? 0.28125 : from_words((uint32_t)(ix - 0x00200000), 0);
  double iz = 0.5 * z - qx, a = 1.0 - qx;
  return a - (iz - (z * r - x * y));
}

static inline double kernel_sin(double x, double y, int has_tail) {
  static const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03, S3 = -1.98412698298579493134e-04,
                      S4 = 2.75573137070700676789e-06, S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  int32_t ix = high_word(x) & 0x7fffffff;
  if (ix < 0x3e400000) return x;
  double z = x * x, v = z * x;
  double r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (!has_tail) return x + v * (S1 + z * r);
  return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

/* n with x = n·pi/2 + (y[0] + y[1]), for pi/4 < |x| <= 2^19·pi/2 (fdlibm e_rem_pio2.c without the huge case). */
static int32_t rem_pio2(double x, int32_t hx, double *y) {
  static const int32_t npio2_hw[] = {
      0x3ff921fb, 0x400921fb, 0x4012d97c, 0x401921fb, 0x401f6a7a, 0x4022d97c, 0x4025fdbb, 0x402921fb, 0x402c463a, 0x402f6a7a, 0x4031475c,
      0x4032d97c, 0x40346b9c, 0x4035fdbb, 0x40378fdb, 0x403921fb, 0x403ab41b, 0x403c463a, 0x403dd85a, 0x403f6a7a, 0x40407e4c, 0x4041475c,
      0x4042106c, 0x4042d97c, 0x4043a28c, 0x40446b9c, 0x404534ac, 0x4045fdbb, 0x4046c6cb, 0x40478fdb, 0x404858eb, 0x404921fb,
  };
  static const double invpio2 = 6.36619772367581382433e-01, pio2_1 = 1.57079632673412561417e+00, pio2_1t = 6.07710050650619224932e-11,
                      pio2_2 = 6.07710050630396597660e-11, pio2_2t = 2.02226624879595063154e-21, pio2_3 = 2.02226624871116645580e-21,
                      pio2_3t = 8.47842766036889956997e-32;
  int32_t ix = hx & 0x7fffffff;
  if (ix < 0x4002d97c) { /* |x| < 3pi/4: n = ±1 */
    double sign = hx > 0 ? 1.0 : -1.0, z = x - sign * pio2_1;
    if (ix != 0x3ff921fb) {
      y[0] = z - sign * pio2_1t;
      y[1] = (z - y[0]) - sign * pio2_1t;
    } else {
      z -= sign * pio2_2;
      y[0] = z - sign * pio2_2t;
      y[1] = (z - y[0]) - sign * pio2_2t;
    }
    return (int32_t)sign;
  }
  double t = fabs(x);
  int32_t n = (int32_t)(t * invpio2 + 0.5);
  double fn = (double)n, r = t - fn * pio2_1, w = fn * pio2_1t;
  y[0] = r - w;
  if (!(n < 32 && ix != npio2_hw[n - 1])) {
    int32_t j = ix >> 20;
    if (j - ((high_word(y[0]) >> 20) & 0x7ff) > 16) {
      double before = r;
      w = fn * pio2_2;
      r = before - w;
      w = fn * pio2_2t - ((before - r) - w);
      y[0] = r - w;
      if (j - ((high_word(y[0]) >> 20) & 0x7ff) > 49) {
        before = r;
        w = fn * pio2_3;
        r = before - w;
        w = fn * pio2_3t - ((before - r) - w);
        y[0] = r - w;
      }
    }
  }
  y[1] = (r - y[0]) - w;
  if (hx < 0) {
    y[0] = -y[0];
    y[1] = -y[1];
    return -n;
  }
  return n;
}

/* sin and cos of x for 0 <= x < 2pi (Box–Muller's angle; no NaN, Inf or huge case) with one reduction (each equal to fdlibm's sin(x), cos(x)). */
static inline void fd_sin_cos(double x, double *sin_out, double *cos_out) {
  int32_t hx = high_word(x), ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    *sin_out = kernel_sin(x, 0.0, 0);
    *cos_out = kernel_cos(x, 0.0);
    return;
  }
  double y[2];
  int32_t n = rem_pio2(x, hx, y) & 3;
  double s = kernel_sin(y[0], y[1], 1), c = kernel_cos(y[0], y[1]);
  *sin_out = n == 0 ? s : n == 1 ? c : n == 2 ? -s : -c;
  *cos_out = n == 0 ? c : n == 1 ? -s : n == 2 ? -c : s;
}

/* ---- the stream (runtime/rng.ts) ---- */

static inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

static inline uint32_t next_uint32(uint32_t *s) {
  uint32_t result = rotl(s[1] * 5u, 7) * 9u, t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

static inline double uniform(uint32_t *s) {
  uint32_t hi = next_uint32(s) >> 5, lo = next_uint32(s) >> 6;
  return ((double)hi * 67108864.0 + (double)lo) / 9007199254740992.0;
}

/* One Box–Muller pair as Rng.normal draws it: the cos value first, then the sin value. */
static inline void normal_pair(uint32_t *s, double *first, double *second) {
  double u = 0.0;
  while (u == 0.0) u = uniform(s);
  double v = uniform(s);
  double r = sqrt(-2.0 * fd_log(u)), sin_value, cos_value;
  fd_sin_cos(2.0 * 3.141592653589793 * v, &sin_value, &cos_value);
  *first = r * cos_value;
  *second = r * sin_value;
}

/* ---- Node-API ---- */

typedef struct {
  uint32_t *state;
  void *out;
  int is_float32;
  int64_t offset, count;
} draw_call;

/* Throws (unless a call already did) and reports failure. */
static int fail(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, NULL, message);
  return 0;
}

/* argv: state Uint32Array(4), out Float32Array | Float64Array, offset, count. */
static int read_call(napi_env env, napi_value *argv, draw_call *call) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint32_array || length != 4)
    return fail(env, "dync_rng: the state must be a Uint32Array of 4 words");
  call->state = data;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &call->out, NULL, NULL) != napi_ok ||
      (type != napi_float32_array && type != napi_float64_array))
    return fail(env, "dync_rng: out must be a Float32Array or Float64Array");
  call->is_float32 = type == napi_float32_array;
  double offset, count;
  if (napi_get_value_double(env, argv[2], &offset) != napi_ok || napi_get_value_double(env, argv[3], &count) != napi_ok ||
      !(offset >= 0 && count >= 0 && offset + count <= (double)length) || offset != (double)(int64_t)offset || count != (double)(int64_t)count)
    return fail(env, "dync_rng: offset and count must be whole numbers within out");
  call->offset = (int64_t)offset;
  call->count = (int64_t)count;
  return 1;
}

static inline void store(const draw_call *call, int64_t i, double value) {
  if (call->is_float32)
    ((float *)call->out)[call->offset + i] = (float)value;
  else
    ((double *)call->out)[call->offset + i] = value;
}

/* normals(state, out, offset, count, scale, shift, hasShift): out[offset + i] = (shift +) scale·z_i for count normals
   z_i drawn as Rng.normal draws them (pairs, cos value first); advances state; returns the unused second value of
   the last pair when count is odd, else undefined. */
static napi_value normals(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], result;
  draw_call call;
  double scale, shift;
  bool has_shift;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7 || !read_call(env, argv, &call) ||
      napi_get_value_double(env, argv[4], &scale) != napi_ok || napi_get_value_double(env, argv[5], &shift) != napi_ok ||
      napi_get_value_bool(env, argv[6], &has_shift) != napi_ok) {
    fail(env, "dync_rng: normals(state, out, offset, count, scale, shift, hasShift)");
    return NULL;
  }
  uint32_t s[4];
  memcpy(s, call.state, sizeof s);
  double first, second = 0.0;
  for (int64_t i = 0; i < call.count; i += 2) {
    normal_pair(s, &first, &second);
    store(&call, i, has_shift ? shift + scale * first : scale * first);
    if (i + 1 < call.count) store(&call, i + 1, has_shift ? shift + scale * second : scale * second);
  }
  memcpy(call.state, s, sizeof s);
  if (call.count % 2 == 1)
    napi_create_double(env, second, &result);
  else
    napi_get_undefined(env, &result);
  return result;
}

/* uniforms(state, out, offset, count, lo, hi): out[offset + i] = lo + (hi − lo)·u_i, u_i as Rng.uniform draws them. */
static napi_value uniforms(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  draw_call call;
  double lo, hi;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6 || !read_call(env, argv, &call) ||
      napi_get_value_double(env, argv[4], &lo) != napi_ok || napi_get_value_double(env, argv[5], &hi) != napi_ok) {
    fail(env, "dync_rng: uniforms(state, out, offset, count, lo, hi)");
    return NULL;
  }
  uint32_t s[4];
  memcpy(s, call.state, sizeof s);
  double width = hi - lo;
  for (int64_t i = 0; i < call.count; i++) store(&call, i, lo + width * uniform(s));
  memcpy(call.state, s, sizeof s);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"normals", NULL, normals, NULL, NULL, NULL, napi_enumerable, NULL},
      {"uniforms", NULL, uniforms, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
