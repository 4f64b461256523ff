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

/*
 * Patch rows are walked one output line (image n, output row i, columns j0 … j1 − 1) at a time and, within it, one
 * kernel row a at a time: that input row is fixed, and column j reads the run of k·C values starting at image
 * column s·j − padLeft, clipped to [0, W). Why not row by row: for a first layer (C = 3, runs of 9 floats) the
 * per-row index arithmetic and memcpy calls cost more than the copies (0.33 → 0.21 ms for case (g)'s layer 1).
 */
typedef struct {
  int64_t img, i, j0, j1;
} line;

/* The line of patch row r, cut at row `end` (exclusive). */
static line line_at(const geometry *g, int64_t r, int64_t end) {
  const int64_t j = r % g->wo;
  const line ln = {r / (g->ho * g->wo), (r / g->wo) % g->ho, j, g->wo - j < end - r ? g->wo : j + (end - r)};
  return ln;
}

/* The values [lead, end) of column j's run that lie inside the image row (the rest are padding). */
static void run_bounds(const geometry *g, int64_t j, int64_t *lead, int64_t *end) {
  const int64_t w0 = g->s * j - g->pad_left;
  *lead = (w0 < 0 ? -w0 : 0) * g->c;
  *end = (g->w - w0 < g->k ? g->w - w0 : g->k) * g->c;
}

/* One line's patch rows into out (row after row, k·k·C values each). */
static void gather_line(const float *x, float *out, const geometry *g, line ln) {
  const int64_t run = g->k * g->c, width = g->k * run;
  const float *image = x + ln.img * g->h * g->w * g->c;
  for (int64_t a = 0; a < g->k; a++) {
    const int64_t row = g->s * ln.i + a - g->pad_top;
    const int inside = row >= 0 && row < g->h;
    float *o = out + a * run;
    for (int64_t j = ln.j0; j < ln.j1; j++, o += width) {
      int64_t lead, end, q = 0;
      run_bounds(g, j, &lead, &end);
      if (inside) {
        const float *from = image + (row * g->w + g->s * j - g->pad_left) * g->c; /* value q of the run is from[q] */
        for (; q < lead && q < run; q++) o[q] = 0;
        for (; q < end; q++) o[q] = from[q];
      }
      for (; q < run; q++) o[q] = 0;
    }
  }
}

/* The adjoint of gather_line: one line's patch rows added into the image gradient dx at the pixels they read. */
static void scatter_line(const float *values, float *dx, const geometry *g, line ln) {
  const int64_t run = g->k * g->c, width = g->k * run;
  float *image = dx + ln.img * g->h * g->w * g->c;
  for (int64_t a = 0; a < g->k; a++) {
    const int64_t row = g->s * ln.i + a - g->pad_top;
    if (row < 0 || row >= g->h) continue;
    const float *v = values + a * run;
    for (int64_t j = ln.j0; j < ln.j1; j++, v += width) {
      float *to = image + (row * g->w + g->s * j - g->pad_left) * g->c;
      int64_t lead, end;
      run_bounds(g, j, &lead, &end);
      for (int64_t q = lead; q < end; q++) to[q] += v[q];
    }
  }
}

/* Patch rows r0 … r0 + count − 1 (k·k·C values each) of one seed's images x, written one after another to out. */
static void patch_rows(const float *x, float *out, const geometry *g, int64_t r0, int64_t count) {
  const int64_t width = g->k * g->k * g->c;
  for (int64_t r = r0; r < r0 + count;) {
    const line ln = line_at(g, r, r0 + count);
    gather_line(x, out, g, ln);
    out += (ln.j1 - ln.j0) * width;
    r += ln.j1 - ln.j0;
  }
}

/* The adjoint of patch_rows: count patch rows' values added into the image gradient dx at the pixels they read. */
static void add_patch_rows(const float *values, float *dx, const geometry *g, int64_t r0, int64_t count) {
  const int64_t width = g->k * g->k * g->c;
  for (int64_t r = r0; r < r0 + count;) {
    const line ln = line_at(g, r, r0 + count);
    scatter_line(values, dx, g, ln);
    values += (ln.j1 - ln.j0) * width;
    r += ln.j1 - ln.j0;
  }
}

/* Every patch row of the images x, in order: the [n·Ho·Wo, k·k·C] patches. */
static void im2col(const float *x, float *out, const geometry *g) { patch_rows(x, out, g, 0, g->n * g->ho * g->wo); }

/* The adjoint of im2col: every patch row added into the zeroed images out. */
static void col2im(const float *cols, float *out, const geometry *g) {
  memset(out, 0, (size_t)(g->n * g->h * g->w * g->c) * sizeof(float));
  add_patch_rows(cols, out, g, 0, g->n * g->ho * g->wo);
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

/*
 * Patch rows per tile: ~1 MiB of patches (256 Ki floats), at least 64 rows. Each tile is one sgemm call, which packs
 * the weights again, so fewer, taller tiles pay: on Zen 5 (1 MiB L2 per core), with the caches cold between ops as
 * in a training step, case (g)'s eight conv ops took 9.8–9.9 ms with 1 MiB tiles against 10.3–10.4 with 512 KiB and
 * 10.6–10.8 with 256 KiB (2 and 4 MiB were slower again). The filter gradient sums its tiles' products with β = 1,
 * so the tile size is part of its summation order (NATIVE_KERNELS_REVISION).
 */
static int64_t tile_rows(int64_t patch_width) {
  const int64_t rows = (256 * 1024) / patch_width;
  return rows < 64 ? 64 : rows;
}

/* CONV_FORWARD_RELU: the forward with max(0, ·) applied to each tile of outputs while it is in cache (a conv layer
   with `act: relu`), sparing the step a separate pass and tfjs kernel. */
enum { CONV_FORWARD = 0, CONV_INPUT_GRAD = 1, CONV_FILTER_GRAD = 2, CONV_FORWARD_RELU = 3 };

/* max(0, v) as tfjs's Relu on wasm rounds it: NaN stays NaN, −0 becomes +0. */
static void relu_in_place(float *y, int64_t count) {
  for (int64_t q = 0; q < count; q++) y[q] = y[q] <= 0 ? 0.0f : y[q];
}

/*
 * One seed's convolution op; `scratch` holds tile_rows(K) patch rows. For the forward (with or without ReLU), `bias`
 * (Cout values) or NULL: rows start as the bias and the product adds to them.
 */
static void conv_seed(int op, const float *a, const float *b, const float *bias, float *out, float *scratch, const geometry *g,
                      int64_t cout) {
  const int64_t K = g->k * g->k * g->c;
  const int64_t rows = g->n * g->ho * g->wo;
  const int64_t tile = tile_rows(K);
  const int forward = op == CONV_FORWARD || op == CONV_FORWARD_RELU;
  if (op == CONV_INPUT_GRAD) memset(out, 0, (size_t)(g->n * g->h * g->w * g->c) * sizeof(float));
  for (int64_t r0 = 0; r0 < rows; r0 += tile) {
    const int64_t t = rows - r0 < tile ? rows - r0 : tile;
    if (forward) {
      /* a = x, b = w [K, Cout], out = y [rows, Cout] */
      patch_rows(a, scratch, g, r0, t);
      float *y = out + r0 * cout;
      if (bias != NULL)
        for (int64_t r = 0; r < t; r++) memcpy(y + r * cout, bias, (size_t)cout * sizeof(float));
      dync_sgemm(0, 0, (int)t, (int)cout, (int)K, scratch, (int)K, b, (int)cout, bias != NULL ? 1.0f : 0.0f, y, (int)cout);
      if (op == CONV_FORWARD_RELU) relu_in_place(y, t * cout);
    } else if (op == CONV_INPUT_GRAD) {
      /* a = dy [rows, Cout], b = w [K, Cout], out = dx (images) */
      dync_sgemm(0, 1, (int)t, (int)K, (int)cout, a + r0 * cout, (int)cout, b, (int)cout, 0.0f, scratch, (int)K);
      add_patch_rows(scratch, out, g, r0, t);
    } else {
      /* a = x, b = dy [rows, Cout], out = dw [K, Cout], summed over the tiles */
      patch_rows(a, scratch, g, r0, t);
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
  if (op > CONV_FORWARD_RELU || g.k < 1 || g.s < 1 || cout < 1) {
    napi_throw_range_error(env, NULL, "dync_conv: conv needs op 0..3, kernel, stride and cout >= 1");
    return NULL;
  }
  const int forward = op == CONV_FORWARD || op == CONV_FORWARD_RELU;
  if (!forward && bias_offset >= 0) {
    napi_throw_range_error(env, NULL, "dync_conv: only the forward op takes a bias");
    return NULL;
  }
  const int64_t K = g.k * g.k * g.c;
  const int64_t image = g.n * g.h * g.w * g.c, rows = g.n * g.ho * g.wo, weights = K * cout;
  /* per seed: a, b and out sizes by op */
  const int64_t a_size = op == CONV_INPUT_GRAD ? rows * cout : image;
  const int64_t b_size = op == CONV_FILTER_GRAD ? rows * cout : weights;
  const int64_t out_size = forward ? rows * cout : op == CONV_INPUT_GRAD ? image : weights;
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
