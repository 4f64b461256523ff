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
#include <stdlib.h>
#include <string.h>

#include "dync_gemm.h"

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

/* Patch row r (k·k·C values) of one seed's images x. */
static void patch_row(const float *x, float *out, const geometry *g, int64_t r) {
  const int64_t img = r / (g->ho * g->wo), i = (r / g->wo) % g->ho, j = r % g->wo;
  const float *base = x + img * g->h * g->w * g->c;
  const int64_t run = g->k * g->c;
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

/* The adjoint of patch_row: patch row r's values added into the image gradient dx at the pixels it reads. */
static void add_patch_row(const float *row_values, float *dx, const geometry *g, int64_t r) {
  const int64_t img = r / (g->ho * g->wo), i = (r / g->wo) % g->ho, j = r % g->wo;
  float *base = dx + img * g->h * g->w * g->c;
  const int64_t run = g->k * g->c;
  const int64_t w0 = g->s * j - g->pad_left;
  const int64_t b_from = w0 < 0 ? -w0 : 0;
  const int64_t b_to = g->w - w0 < g->k ? g->w - w0 : g->k;
  for (int64_t a = 0; a < g->k; a++, row_values += run) {
    const int64_t row = g->s * i + a - g->pad_top;
    if (row < 0 || row >= g->h || b_to <= b_from) continue;
    float *to = base + (row * g->w + w0 + b_from) * g->c;
    const float *from = row_values + b_from * g->c;
    const int64_t count = (b_to - b_from) * g->c;
    for (int64_t t = 0; t < count; t++) to[t] += from[t];
  }
}

/* Every patch row of the images x, in order: the [n·Ho·Wo, k·k·C] patches. */
static void im2col(const float *x, float *out, const geometry *g) {
  const int64_t rows = g->n * g->ho * g->wo, width = g->k * g->k * g->c;
  for (int64_t r = 0; r < rows; r++) patch_row(x, out + r * width, g, r);
}

/* The adjoint of im2col: every patch row added into the zeroed images out. */
static void col2im(const float *cols, float *out, const geometry *g) {
  const int64_t rows = g->n * g->ho * g->wo, width = g->k * g->k * g->c;
  memset(out, 0, (size_t)(g->n * g->h * g->w * g->c) * sizeof(float));
  for (int64_t r = 0; r < rows; r++) add_patch_row(cols + r * width, out, g, r);
}

/*
 * Convolutions as whole kernels (runtime/kernels/conv-kernels.ts, `DyncConv2d` and its two gradients): im2col and
 * the product with the weights in tiles of patch rows, so the patches of a tile stay in cache between being
 * gathered and being multiplied, and never exist as a whole (a [B·Ho·Wo, k·k·C] tensor of ~9 MB for case (g)'s
 * second layer). Per seed s (x, y, dy per seed are consecutive blocks; weights [S, k·k·C, Cout]):
 *   forward:      y[s]  = patches(x[s]) · w[s]
 *   input grad:   dx[s] = col2im(dy[s] · w[s]ᵀ)
 *   filter grad:  dw[s] = patches(x[s])ᵀ · dy[s]
 * Row r of the patches is output position (n, i, j) = (r / (Ho·Wo), r / Wo mod Ho, r mod Wo).
 */

/* Patch rows per tile: ~256 KiB of patches (half of a typical L2), at least 64 rows. */
static int64_t tile_rows(int64_t patch_width) {
  const int64_t rows = (64 * 1024) / patch_width;
  return rows < 64 ? 64 : rows;
}

enum { CONV_FORWARD = 0, CONV_INPUT_GRAD = 1, CONV_FILTER_GRAD = 2 };

/*
 * One seed's convolution op; `scratch` holds tile_rows(K) patch rows. For the forward, `bias` (Cout values) or
 * NULL: rows start as the bias and the product adds to them.
 */
static void conv_seed(int op, const float *a, const float *b, const float *bias, float *out, float *scratch, const geometry *g,
                      int64_t cout) {
  const int64_t K = g->k * g->k * g->c;
  const int64_t rows = g->n * g->ho * g->wo;
  const int64_t tile = tile_rows(K);
  if (op == CONV_INPUT_GRAD) memset(out, 0, (size_t)(g->n * g->h * g->w * g->c) * sizeof(float));
  for (int64_t r0 = 0; r0 < rows; r0 += tile) {
    const int64_t t = rows - r0 < tile ? rows - r0 : tile;
    if (op == CONV_FORWARD) {
      /* a = x, b = w [K, Cout], out = y [rows, Cout] */
      for (int64_t r = 0; r < t; r++) patch_row(a, scratch + r * K, g, r0 + r);
      float *y = out + r0 * cout;
      if (bias != NULL)
        for (int64_t r = 0; r < t; r++) memcpy(y + r * cout, bias, (size_t)cout * sizeof(float));
      dync_sgemm(0, 0, (int)t, (int)cout, (int)K, scratch, (int)K, b, (int)cout, bias != NULL ? 1.0f : 0.0f, y, (int)cout);
    } else if (op == CONV_INPUT_GRAD) {
      /* a = dy [rows, Cout], b = w [K, Cout], out = dx (images) */
      dync_sgemm(0, 1, (int)t, (int)K, (int)cout, a + r0 * cout, (int)cout, b, (int)cout, 0.0f, scratch, (int)K);
      for (int64_t r = 0; r < t; r++) add_patch_row(scratch + r * K, out, g, r0 + r);
    } else {
      /* a = x, b = dy [rows, Cout], out = dw [K, Cout], summed over the tiles */
      for (int64_t r = 0; r < t; r++) patch_row(a, scratch + r * K, g, r0 + r);
      dync_sgemm(1, 0, (int)K, (int)cout, (int)t, scratch, (int)K, b + r0 * cout, (int)cout, r0 == 0 ? 0.0f : 1.0f, out,
                 (int)cout);
    }
  }
}

/*
 * conv(op, heap, aOffset, bOffset, biasOffset, outOffset, seeds, n, kernel, stride, padTop, padLeft, h, w, c, ho, wo,
 * cout): all operands in one ArrayBuffer (the wasm heap) at byte offsets; biasOffset < 0 for none (forward only).
 * Operand sizes per op as in conv_seed, times `seeds`.
 */
static napi_value conv_entry(napi_env env, napi_callback_info info) {
  size_t argc = 18;
  napi_value argv[18];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 18) {
    napi_throw_type_error(env, NULL, "dync_conv: conv takes 18 arguments");
    return NULL;
  }
  static const char *names[] = {"op", NULL, "aOffset", "bOffset", NULL, "outOffset", "seeds", "n", "kernel", "stride",
                                "padTop", "padLeft", "h", "w", "c", "ho", "wo", "cout"};
  int64_t v[18] = {0};
  for (int i = 0; i < 18; i++) {
    if (names[i] != NULL && !get_count(env, argv[i], names[i], &v[i])) return NULL;
  }
  double bias_offset;
  if (napi_get_value_double(env, argv[4], &bias_offset) != napi_ok) {
    napi_throw_type_error(env, NULL, "dync_conv: biasOffset must be a number");
    return NULL;
  }
  const int op = (int)v[0];
  const int64_t seeds = v[6], cout = v[17];
  const geometry g = {v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]};
  if (op > CONV_FILTER_GRAD || g.k < 1 || g.s < 1 || cout < 1) {
    napi_throw_range_error(env, NULL, "dync_conv: conv needs op 0..2, kernel, stride and cout >= 1");
    return NULL;
  }
  if (op != CONV_FORWARD && bias_offset >= 0) {
    napi_throw_range_error(env, NULL, "dync_conv: only the forward op takes a bias");
    return NULL;
  }
  const int64_t K = g.k * g.k * g.c;
  const int64_t image = g.n * g.h * g.w * g.c, rows = g.n * g.ho * g.wo, weights = K * cout;
  /* per seed: a, b and out sizes by op */
  const int64_t a_size = op == CONV_INPUT_GRAD ? rows * cout : image;
  const int64_t b_size = op == CONV_FILTER_GRAD ? rows * cout : weights;
  const int64_t out_size = op == CONV_FORWARD ? rows * cout : op == CONV_INPUT_GRAD ? image : weights;
  const float *a = get_floats(env, argv[1], v[2], seeds * a_size, "a");
  if (a == NULL) return NULL;
  const float *b = get_floats(env, argv[1], v[3], seeds * b_size, "b");
  if (b == NULL) return NULL;
  const float *bias = NULL;
  if (bias_offset >= 0) {
    bias = get_floats(env, argv[1], (int64_t)bias_offset, seeds * cout, "bias");
    if (bias == NULL) return NULL;
  }
  float *out = get_floats(env, argv[1], v[5], seeds * out_size, "out");
  if (out == NULL) return NULL;
  float *scratch = malloc((size_t)(tile_rows(K) * K) * sizeof(float));
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "dync_conv: out of memory for a patch tile");
    return NULL;
  }
  for (int64_t s = 0; s < seeds; s++) {
    conv_seed(op, a + s * a_size, b + s * b_size, bias != NULL ? bias + s * cout : NULL, out + s * out_size, scratch, &g, cout);
  }
  free(scratch);
  return NULL;
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
      {"conv", NULL, conv_entry, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
