/*
 * dync's native matrix products: a minimal Node-API addon over one sgemm (dync_gemm.h: oneDNN's where built
 * with it, else OpenBLAS's).
 *
 * Why an addon of our own: no maintained npm binding could be installed (and none takes a WebAssembly heap
 * plus offsets), and the wasm backend's products run on one wasm thread at a fraction of what OpenBLAS
 * reaches with AVX2/AVX-512 FMA (docs/performance.md, "Native matrix products"). Node-API is ABI-stable, so
 * the .node file built here loads in any Node >= the version whose headers built it.
 *
 * No copies: the operands are ArrayBuffers plus byte offsets. On tfjs's wasm backend all three are the wasm
 * heap (WebAssembly.Memory's buffer), so the product is written in place into the output tensor's memory.
 * The caller re-reads the heap buffer on every call because the heap can grow (and so be replaced) whenever
 * tfjs allocates; nothing here keeps a pointer between calls.
 *
 * Built by tools/build-native.mjs with gcc directly (no node-gyp): gcc -shared -fPIC … -lopenblas [-ldnnl].
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dync_gemm.h"

#define CHECK(env, call)                                                                                             \
  do {                                                                                                               \
    if ((call) != napi_ok) {                                                                                         \
      napi_throw_error((env), NULL, "dync_blas: Node-API call failed: " #call);                                      \
      return NULL;                                                                                                   \
    }                                                                                                                \
  } while (0)

/* An integer argument >= 0 (JS numbers; sizes and byte offsets stay below 2^53). */
static int get_count(napi_env env, napi_value value, const char *name, int64_t *out) {
  double number;
  if (napi_get_value_double(env, value, &number) != napi_ok || !(number >= 0) || number != (double)(int64_t)number) {
    char message[96];
    snprintf(message, sizeof message, "dync_blas: %s must be an integer >= 0", name);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  *out = (int64_t)number;
  return 1;
}

/* A float32 matrix stack inside an ArrayBuffer: `count` floats from byte `offset`, bounds-checked. */
static float *get_floats(napi_env env, napi_value buffer, int64_t offset, int64_t count, const char *name) {
  void *data;
  size_t length;
  bool is_buffer;
  if (napi_is_arraybuffer(env, buffer, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_arraybuffer_info(env, buffer, &data, &length) != napi_ok) {
    char message[96];
    snprintf(message, sizeof message, "dync_blas: %s must be an ArrayBuffer", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  if (offset % 4 != 0 || offset + 4 * count > (int64_t)length) {
    char message[160];
    snprintf(message, sizeof message, "dync_blas: %s: %lld floats at byte %lld do not fit in %zu bytes (or misaligned)", name,
             (long long)count, (long long)offset, length);
    napi_throw_range_error(env, NULL, message);
    return NULL;
  }
  return (float *)((char *)data + offset);
}

/*
 * sgemm(a, aOffset, b, bOffset, c, cOffset, batches, m, k, n, transposeA, transposeB)
 * For each batch s: C_s = op(A_s) · op(B_s), row-major, C_s is m×n; A_s is m×k (k×m when transposeA),
 * B_s is k×n (n×k when transposeB); the batches are contiguous. Returns undefined.
 */
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 12) {
    napi_throw_type_error(env, NULL, "dync_blas: sgemm takes 12 arguments");
    return NULL;
  }
  int64_t a_offset, b_offset, c_offset, batches, m, k, n;
  if (!get_count(env, argv[1], "aOffset", &a_offset) || !get_count(env, argv[3], "bOffset", &b_offset) ||
      !get_count(env, argv[5], "cOffset", &c_offset) || !get_count(env, argv[6], "batches", &batches) ||
      !get_count(env, argv[7], "m", &m) || !get_count(env, argv[8], "k", &k) || !get_count(env, argv[9], "n", &n)) {
    return NULL;
  }
  if (m > INT32_MAX || k > INT32_MAX || n > INT32_MAX) {
    napi_throw_range_error(env, NULL, "dync_blas: a matrix dimension exceeds 2^31 - 1");
    return NULL;
  }
  bool transpose_a, transpose_b;
  CHECK(env, napi_get_value_bool(env, argv[10], &transpose_a));
  CHECK(env, napi_get_value_bool(env, argv[11], &transpose_b));
  float *a = get_floats(env, argv[0], a_offset, batches * m * k, "a");
  if (a == NULL) return NULL;
  float *b = get_floats(env, argv[2], b_offset, batches * k * n, "b");
  if (b == NULL) return NULL;
  float *c = get_floats(env, argv[4], c_offset, batches * m * n, "c");
  if (c == NULL) return NULL;
  if (m == 0 || n == 0) return NULL;
  if (k == 0) { /* an empty sum; not every BLAS scales C by beta when k is 0 */
    memset(c, 0, (size_t)(batches * m * n) * sizeof(float));
    return NULL;
  }
  const int lda = transpose_a ? (int)m : (int)k;
  const int ldb = transpose_b ? (int)k : (int)n;
  sigset_t before;
  dync_signals_block(&before); /* once for all seeds, not per product (dync_gemm.h says why) */
  for (int64_t s = 0; s < batches; s++) {
    dync_sgemm_unmasked(transpose_a, transpose_b, (int)m, (int)n, (int)k, a + s * m * k, lda, b + s * k * n, ldb, 0.0f,
                        c + s * m * n, (int)n);
  }
  dync_signals_restore(&before);
  return NULL;
}

/* setThreads(n): the products' thread count (OpenBLAS's for the whole process; oneDNN's for every calling thread). */
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t threads;
  if (argc != 1 || !get_count(env, argv[0], "threads", &threads)) return NULL;
  if (threads < 1 || threads > 1024) {
    napi_throw_range_error(env, NULL, "dync_blas: threads must be between 1 and 1024");
    return NULL;
  }
  dync_gemm_set_threads((int)threads);
  return NULL;
}

/* gemm(): "onednn" or "openblas". */
static napi_value get_gemm(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(env, napi_create_string_utf8(env, dync_gemm_name(), NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(env, napi_create_int32(env, dync_gemm_threads(), &result));
  return result;
}

/* The library serving the products and the kernels it runs, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH … / Haswell". */
static napi_value get_config(napi_env env, napi_callback_info info) {
  (void)info;
  char text[512];
  dync_gemm_describe(text, sizeof text);
  napi_value result;
  CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threads", NULL, get_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, get_config, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gemm", NULL, get_gemm, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
