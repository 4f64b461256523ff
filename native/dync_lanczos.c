/*
 * dync's native float64 reorthogonalisation for Lanczos and power iteration (numerics/lanczos.ts, served by
 * runtime/kernels/native-lanczos.ts): w minus its components along orthonormal vectors, by classical Gram–Schmidt
 * twice ("twice is enough"), the JS `orthogonalizeTwice`'s arithmetic in C.
 *
 * Why: on benchmark case (h) (40,801 parameters, up to 60 Krylov vectors) the JS loops were ~0.3 s of dync's
 * 0.8 s, with the basis (~20 MB) read four times per step; here the same passes run with AVX-512 or AVX2
 * (docs/performance.md, "Lanczos reorthogonalisation").
 *
 * Why not OpenBLAS's dgemv (two per pass, over the basis as one contiguous matrix): it measured the same (the passes
 * are bound by reading the basis), would need the basis copied into one array, and sums in its CPU-dependent order.
 *
 * No copies: w and the vectors are the callers' Float64Arrays, read and written in place during the call.
 *
 * Rounding: the subtractions round as the JS ones (w[i] -= h0·v0[i] + h1·v1[i] + … left to right; built with
 * -ffp-contract=off, so no multiply-add is fused). Each dot product sums in 8 interleaved lanes written out in
 * scalar C (lane l takes i ≡ l mod 8, the lanes are added in order, then the tail): every vector width gcc picks
 * (target_clones) adds in the same order, so the result does not depend on the CPU; it differs from the JS
 * loop's single running sum at rounding level.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANES 8
/* Vectors per pass over w: their dot products (or subtractions) share one read of w. */
#define BLOCK 4

/* Half the lanes as one value: one AVX2 register (two SSE2 ones); a 64-byte type makes gcc's AVX2 clone spill. */
typedef double half_t __attribute__((vector_size(LANES / 2 * sizeof(double))));

/* An unaligned load of LANES / 2 doubles (a macro: a function returning half_t would change ABI per clone). */
#define LOAD(p)                                                                                                      \
  ({                                                                                                                 \
    half_t x_;                                                                                                       \
    memcpy(&x_, (p), sizeof x_);                                                                                     \
    x_;                                                                                                              \
  })

/* The lanes (low half, high half) summed in order, then the tail elements i0 … n − 1 of x·y (a macro, as LOAD). */
#define FINISH(low, high, x, y, i0, n)                                                                               \
  ({                                                                                                                 \
    double s_ = 0;                                                                                                   \
    for (int l_ = 0; l_ < LANES / 2; l_++) s_ += (low)[l_];                                                          \
    for (int l_ = 0; l_ < LANES / 2; l_++) s_ += (high)[l_];                                                         \
    for (size_t i_ = (i0); i_ < (n); i_++) s_ += (x)[i_] * (y)[i_];                                                  \
    s_;                                                                                                              \
  })

/* h[0 … BLOCK − 1] = v[0 … BLOCK − 1] · w, in one pass over w. */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void dots_block(const double *restrict w, const double *const *v, size_t n, double *restrict h) {
  const double *restrict v0 = v[0], *restrict v1 = v[1], *restrict v2 = v[2], *restrict v3 = v[3];
  half_t a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
  const size_t half = LANES / 2;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    const half_t x = LOAD(w + i), y = LOAD(w + i + half);
    a0 += LOAD(v0 + i) * x;
    b0 += LOAD(v0 + i + half) * y;
    a1 += LOAD(v1 + i) * x;
    b1 += LOAD(v1 + i + half) * y;
    a2 += LOAD(v2 + i) * x;
    b2 += LOAD(v2 + i + half) * y;
    a3 += LOAD(v3 + i) * x;
    b3 += LOAD(v3 + i + half) * y;
  }
  h[0] = FINISH(a0, b0, v0, w, i, n);
  h[1] = FINISH(a1, b1, v1, w, i, n);
  h[2] = FINISH(a2, b2, v2, w, i, n);
  h[3] = FINISH(a3, b3, v3, w, i, n);
}

/* v · w, the lanes as in dots_block (a vector's coefficient does not depend on which block it falls in). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static double dot_one(const double *restrict w, const double *restrict v, size_t n) {
  half_t a = {0}, b = {0};
  const size_t half = LANES / 2;
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    a += LOAD(v + i) * LOAD(w + i);
    b += LOAD(v + i + half) * LOAD(w + i + half);
  }
  return FINISH(a, b, v, w, i, n);
}

/* w −= Σ h[b]·v[b] for b < BLOCK, in one pass over w. */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void subtract_block(double *restrict w, const double *const *v, size_t n, const double *restrict h) {
  const double *restrict v0 = v[0], *restrict v1 = v[1], *restrict v2 = v[2], *restrict v3 = v[3];
  const double h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
  for (size_t i = 0; i < n; i++) w[i] -= h0 * v0[i] + h1 * v1[i] + h2 * v2[i] + h3 * v3[i];
}

/* w += k·v (the JS axpy with k = −h). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void subtract_one(double *restrict w, const double *restrict v, size_t n, double h) {
  const double k = -h;
  for (size_t i = 0; i < n; i++) w[i] += k * v[i];
}

/* out[i] += c[0]·v0[i], then += c[1]·v1[i], … for the BLOCK vectors, in one pass (each element's sum in order of b). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void accumulate_block(double *restrict out, const double *const *v, size_t n, const double *restrict c) {
  const double *restrict v0 = v[0], *restrict v1 = v[1], *restrict v2 = v[2], *restrict v3 = v[3];
  const double c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
  for (size_t i = 0; i < n; i++) {
    double x = out[i];
    x += c0 * v0[i];
    x += c1 * v1[i];
    x += c2 * v2[i];
    x += c3 * v3[i];
    out[i] = x;
  }
}

/* out += Σ_b c[b]·v_b, each element's sum in order of b: the JS `accumulate` (repeated axpy), bit for bit. */
static void accumulate(double *out, const double *const *v, size_t m, size_t n, const double *c) {
  size_t b = 0;
  for (; b + BLOCK <= m; b += BLOCK) accumulate_block(out, v + b, n, c + b);
  for (; b < m; b++) subtract_one(out, v[b], n, -c[b]);
}

/* Two passes of blocked classical Gram–Schmidt: all m coefficients from the current w, then all subtractions. */
static void orthogonalize_twice(double *w, const double *const *v, size_t m, size_t n, double *h) {
  for (int pass = 0; pass < 2; pass++) {
    size_t b = 0;
    for (; b + BLOCK <= m; b += BLOCK) dots_block(w, v + b, n, h + b);
    for (; b < m; b++) h[b] = dot_one(w, v[b], n);
    b = 0;
    for (; b + BLOCK <= m; b += BLOCK) subtract_block(w, v + b, n, h + b);
    for (; b < m; b++) subtract_one(w, v[b], n, h[b]);
  }
}

/* Throws a TypeError (unless a call already threw) and returns NULL. */
static napi_value fail(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* The doubles of a Float64Array (in place), or NULL when value is none. An empty one (whose data Node-API may give
   as NULL) yields a pointer to nothing that is never read. */
static double *float64s(napi_env env, napi_value value, size_t *length) {
  static double nothing;
  bool is_typed = false;
  napi_typedarray_type type;
  void *data;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, &data, NULL, NULL) != napi_ok || type != napi_float64_array)
    return NULL;
  return *length == 0 ? &nothing : data;
}

/* Whether n doubles from a and from b share memory (views of one buffer can). */
static int overlap(const double *a, const double *b, size_t n) {
  return (uintptr_t)a < (uintptr_t)(b + n) && (uintptr_t)b < (uintptr_t)(a + n);
}

/*
 * The first m elements of `array` (an Array of Float64Arrays, each of length n, none sharing memory with `avoid`),
 * into v; 0 (and a TypeError) when one is not.
 */
static int get_vectors(napi_env env, napi_value array, uint32_t m, size_t n, const double *avoid, const double **v) {
  for (uint32_t b = 0; b < m; b++) {
    napi_value element;
    size_t length = 0;
    v[b] = napi_get_element(env, array, b, &element) == napi_ok ? float64s(env, element, &length) : NULL;
    if (v[b] == NULL || length != n || overlap(v[b], avoid, n)) {
      char message[160];
      snprintf(message, sizeof message, "dync_lanczos: vectors[%u] must be a Float64Array of length %zu, not overlapping the output", b, n);
      fail(env, message);
      return 0;
    }
  }
  return 1;
}

/* The length of `array` when it is an Array, else -1 (and a TypeError). */
static int64_t array_length(napi_env env, napi_value array) {
  bool is_array = false;
  uint32_t m = 0;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array || napi_get_array_length(env, array, &m) != napi_ok) {
    fail(env, "dync_lanczos: vectors must be an array of Float64Arrays");
    return -1;
  }
  return m;
}

/*
 * orthogonalizeTwice(w: Float64Array, vectors: Float64Array[]): w minus its components along the vectors (assumed
 * orthonormal), twice, in place. Every vector has w's length and none shares memory with w. Returns undefined.
 */
static napi_value orthogonalize_twice_call(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return fail(env, "dync_lanczos: orthogonalizeTwice takes 2 arguments");
  size_t n;
  double *w = float64s(env, argv[0], &n);
  if (w == NULL) return fail(env, "dync_lanczos: w must be a Float64Array");
  const int64_t m = array_length(env, argv[1]);
  if (m <= 0 || n == 0) return NULL;
  const double **v = malloc(m * sizeof *v);
  double *h = malloc(m * sizeof *h);
  if (v == NULL || h == NULL)
    napi_throw_error(env, NULL, "dync_lanczos: out of memory");
  else if (get_vectors(env, argv[1], (uint32_t)m, n, w, v))
    orthogonalize_twice(w, v, m, n, h);
  free(v);
  free(h);
  return NULL;
}

/*
 * accumulate(coefficients: Float64Array, vectors: Float64Array[], out: Float64Array): out += Σ_b coefficients[b]·
 * vectors[b] over the first coefficients.length vectors (there must be as many), in place. Returns undefined.
 */
static napi_value accumulate_call(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return fail(env, "dync_lanczos: accumulate takes 3 arguments");
  size_t m, n;
  const double *c = float64s(env, argv[0], &m);
  double *out = float64s(env, argv[2], &n);
  if (c == NULL || out == NULL) return fail(env, "dync_lanczos: the coefficients and out must be Float64Arrays");
  const int64_t count = array_length(env, argv[1]);
  if (count < 0) return NULL;
  if ((size_t)count < m) return fail(env, "dync_lanczos: fewer vectors than coefficients");
  if (m == 0 || n == 0) return NULL;
  const double **v = malloc(m * sizeof *v);
  if (v == NULL)
    napi_throw_error(env, NULL, "dync_lanczos: out of memory");
  else if (get_vectors(env, argv[1], (uint32_t)m, n, out, v))
    accumulate(out, v, m, n, c);
  free(v);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"orthogonalizeTwice", NULL, orthogonalize_twice_call, NULL, NULL, NULL, napi_enumerable, NULL},
      {"accumulate", NULL, accumulate_call, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
