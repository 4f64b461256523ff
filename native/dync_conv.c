/*
 * dync's native im2col / col2im: a convolution's patches gathered from an image, and their adjoint (patch
 * gradients summed back into the image), in place in the wasm heap like dync_blas.c's products.
 *
 * Why in C: the JS loops over the heap (runtime/kernels/conv-kernels.ts, the fallback) move ~10 ns per value
 * in a training step, the same order as the OpenBLAS product that follows; a C loop is a memcpy per run.
 * A separate addon from dync_blas.c because it needs no BLAS (one file per addon keeps each one's link line
 * and exports its own), and it loads whenever the native matrix products do (same DYNC_NATIVE switch).
 *
 * Layout (as conv-kernels.ts): x [N, H, W, C] → patches [N, Ho, Wo, k·k·C], feature (a·k + b)·C + c:
 * patch[n, i, j, a, b, c] = x[n, s·i + a − padTop, s·j + b − padLeft, c], 0 outside the image.
 * For each output position and kernel row a, kernel columns b = 0..k−1 read one contiguous run of x's row.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  int64_t n, k, s, pad_top, pad_left, h, w, c, ho, wo;
} geometry;

static int get_count(napi_env env, napi_value value, const char *name, int64_t *out) {
  double number;
  if (napi_get_value_double(env, value, &number) != napi_ok || !(number >= 0) || number != (double)(int64_t)number) {
    char message[96];
    snprintf(message, sizeof message, "dync_conv: %s must be an integer >= 0", name);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  *out = (int64_t)number;
  return 1;
}

static float *get_floats(napi_env env, napi_value buffer, int64_t offset, int64_t count, const char *name) {
  void *data;
  size_t length;
  bool is_buffer;
  if (napi_is_arraybuffer(env, buffer, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_arraybuffer_info(env, buffer, &data, &length) != napi_ok) {
    char message[96];
    snprintf(message, sizeof message, "dync_conv: %s must be an ArrayBuffer", name);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  if (offset % 4 != 0 || offset + 4 * count > (int64_t)length) {
    char message[160];
    snprintf(message, sizeof message, "dync_conv: %s: %lld floats at byte %lld do not fit in %zu bytes (or misaligned)", name,
             (long long)count, (long long)offset, length);
    napi_throw_range_error(env, NULL, message);
    return NULL;
  }
  return (float *)((char *)data + offset);
}

static void im2col(const float *x, float *out, const geometry *g) {
  const int64_t run = g->k * g->c;
  for (int64_t img = 0; img < g->n; img++) {
    const float *base = x + img * g->h * g->w * g->c;
    for (int64_t i = 0; i < g->ho; i++) {
      for (int64_t j = 0; j < g->wo; j++) {
        const int64_t w0 = g->s * j - g->pad_left;
        const int64_t b_from = w0 < 0 ? -w0 : 0;
        const int64_t b_to = g->w - w0 < g->k ? g->w - w0 : g->k;
        for (int64_t a = 0; a < g->k; a++, out += run) {
          const int64_t row = g->s * i + a - g->pad_top;
          if (row < 0 || row >= g->h || b_to <= b_from) {
            memset(out, 0, (size_t)run * sizeof(float));
            continue;
          }
          if (b_from > 0) memset(out, 0, (size_t)(b_from * g->c) * sizeof(float));
          memcpy(out + b_from * g->c, base + (row * g->w + w0 + b_from) * g->c, (size_t)((b_to - b_from) * g->c) * sizeof(float));
          if (b_to < g->k) memset(out + b_to * g->c, 0, (size_t)((g->k - b_to) * g->c) * sizeof(float));
        }
      }
    }
  }
}

static void col2im(const float *cols, float *out, const geometry *g) {
  const int64_t run = g->k * g->c;
  memset(out, 0, (size_t)(g->n * g->h * g->w * g->c) * sizeof(float));
  for (int64_t img = 0; img < g->n; img++) {
    float *base = out + img * g->h * g->w * g->c;
    for (int64_t i = 0; i < g->ho; i++) {
      for (int64_t j = 0; j < g->wo; j++) {
        const int64_t w0 = g->s * j - g->pad_left;
        const int64_t b_from = w0 < 0 ? -w0 : 0;
        const int64_t b_to = g->w - w0 < g->k ? g->w - w0 : g->k;
        for (int64_t a = 0; a < g->k; a++, cols += run) {
          const int64_t row = g->s * i + a - g->pad_top;
          if (row < 0 || row >= g->h || b_to <= b_from) continue;
          float *to = base + (row * g->w + w0 + b_from) * g->c;
          const float *from = cols + b_from * g->c;
          const int64_t count = (b_to - b_from) * g->c;
          for (int64_t t = 0; t < count; t++) to[t] += from[t];
        }
      }
    }
  }
}

/*
 * im2col / col2im(x, xOffset, out, outOffset, n, kernel, stride, padTop, padLeft, h, w, c, ho, wo):
 * operands are ArrayBuffers plus byte offsets (the wasm heap); returns undefined.
 */
static napi_value run(napi_env env, napi_callback_info info, int adjoint) {
  size_t argc = 14;
  napi_value argv[14];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 14) {
    napi_throw_type_error(env, NULL, "dync_conv: im2col/col2im take 14 arguments");
    return NULL;
  }
  static const char *names[] = {"xOffset", "outOffset", "n", "kernel", "stride", "padTop", "padLeft", "h", "w", "c", "ho", "wo"};
  int64_t v[12];
  for (int i = 0; i < 12; i++) {
    const int index = i == 0 ? 1 : i == 1 ? 3 : i + 2; /* argv: x, xOffset, out, outOffset, n, kernel, … */
    if (!get_count(env, argv[index], names[i], &v[i])) return NULL;
  }
  const geometry g = {v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  if (g.k < 1 || g.s < 1) {
    napi_throw_range_error(env, NULL, "dync_conv: kernel and stride must be >= 1");
    return NULL;
  }
  const int64_t image = g.n * g.h * g.w * g.c;
  const int64_t patches = g.n * g.ho * g.wo * g.k * g.k * g.c;
  /* Every read of x stays inside the image: rows and columns are clipped to [0, h) × [0, w). */
  const float *x = get_floats(env, argv[0], v[0], adjoint ? patches : image, "x");
  if (x == NULL) return NULL;
  float *out = get_floats(env, argv[2], v[1], adjoint ? image : patches, "out");
  if (out == NULL) return NULL;
  if (adjoint) col2im(x, out, &g);
  else im2col(x, out, &g);
  return NULL;
}

static napi_value im2col_entry(napi_env env, napi_callback_info info) { return run(env, info, 0); }
static napi_value col2im_entry(napi_env env, napi_callback_info info) { return run(env, info, 1); }

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"im2col", NULL, im2col_entry, NULL, NULL, NULL, napi_enumerable, NULL},
      {"col2im", NULL, col2im_entry, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
