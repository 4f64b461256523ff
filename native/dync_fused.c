/*
 * dync's fused training step for plain dense MLPs, and the fused optimizer update: a second Node-API addon
 * next to dync_blas.c (same build, same OpenBLAS), kept in its own file so the two evolve independently.
 *
 * Why: once the products run on OpenBLAS, a small deep net's step is bound by tfjs's per-kernel dispatch
 * (case (a), 784→256×8→10 at batch 128, ran ~224 tfjs kernels per step; docs/performance.md "Fused MLP
 * step"). Here one call computes, for every seed, the forward pass, the loss and the whole backward pass
 * (the products with dync_gemm.h's sgemm, activations, loss and bias sums in C loops), and a second call applies the
 * optimizer update to every parameter at once.
 *
 * Memory: every operand lives in the wasm heap (an ArrayBuffer) at byte offsets the caller passes in a
 * Float64Array "descriptor"; outputs are fresh tensors the caller allocated (nothing is updated in place,
 * because tfjs tensors may share buffers). Scratch space for one seed's activations is per Node environment
 * (worker threads each have their own), kept between calls.
 */
#define NAPI_VERSION 8
#define _GNU_SOURCE /* sincosf */
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dync_activations.h"
#include "dync_gemm.h"

/* Loss codes (cross-entropy on target rows, i.e. one-hot or soft, with optional label smoothing). */
enum { LOSS_MSE = 0, LOSS_HALF_MSE, LOSS_HALF_SSE, LOSS_CROSS_ENTROPY };
/* Optimizer codes. */
enum { OPT_SGD = 0, OPT_MOMENTUM, OPT_ADAM };

#define MLP_HEADER 10
#define MLP_PER_LAYER 20
#define OPT_HEADER 14
#define OPT_PER_PARAM 8

typedef struct {
  float *data;
  size_t capacity; /* floats */
} Scratch;

static void free_scratch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Scratch *scratch = data;
  free(scratch->data);
  free(scratch);
}

/* The environment's scratch buffer with room for `floats` floats, or NULL (and a pending exception). */
static float *scratch_of(napi_env env, size_t floats) {
  Scratch *scratch = NULL;
  if (napi_get_instance_data(env, (void **)&scratch) != napi_ok) return NULL;
  if (scratch == NULL) {
    scratch = calloc(1, sizeof *scratch);
    if (scratch == NULL || napi_set_instance_data(env, scratch, free_scratch, NULL) != napi_ok) {
      free(scratch);
      napi_throw_error(env, NULL, "dync_fused: out of memory");
      return NULL;
    }
  }
  if (scratch->capacity < floats) {
    free(scratch->data);
    scratch->data = malloc(floats * sizeof(float));
    scratch->capacity = scratch->data ? floats : 0;
    if (scratch->data == NULL) {
      napi_throw_error(env, NULL, "dync_fused: out of memory for the step's activations");
      return NULL;
    }
  }
  return scratch->data;
}

/* The heap and the descriptor of a call: (ArrayBuffer, Float64Array). */
typedef struct {
  char *heap;
  size_t heap_bytes;
  const double *desc;
  size_t desc_length;
} Call;

static int read_call(napi_env env, napi_callback_info info, const char *name, Call *call) {
  size_t argc = 2;
  napi_value argv[2];
  char message[128];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    snprintf(message, sizeof message, "dync_fused: %s takes (heap: ArrayBuffer, descriptor: Float64Array)", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  bool is_buffer = false, is_typed = false;
  void *heap;
  if (napi_is_arraybuffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_arraybuffer_info(env, argv[0], &heap, &call->heap_bytes) != napi_ok) {
    snprintf(message, sizeof message, "dync_fused: %s: the heap must be an ArrayBuffer", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  napi_typedarray_type type;
  void *desc;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &call->desc_length, &desc, NULL, NULL) != napi_ok ||
      type != napi_float64_array) {
    snprintf(message, sizeof message, "dync_fused: %s: the descriptor must be a Float64Array", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  call->heap = heap;
  call->desc = desc;
  return 1;
}

/* `count` floats at byte `offset` of the heap, or NULL (and a RangeError) when they do not fit. */
static float *floats_at(napi_env env, const Call *call, double offset, double count, const char *what) {
  if (!(offset >= 0) || !(count >= 0) || offset != floor(offset) || count != floor(count) || fmod(offset, 4) != 0 ||
      offset + 4 * count > (double)call->heap_bytes) {
    char message[160];
    snprintf(message, sizeof message, "dync_fused: %s: %.0f floats at byte %.0f do not fit in the %zu-byte heap (or misaligned)",
             what, count, offset, call->heap_bytes);
    napi_throw_range_error(env, NULL, message);
    return NULL;
  }
  return (float *)(call->heap + (size_t)offset);
}

/* ---------------------------------------------------------------- activations (parts: dync_activations.h) */

/*
 * h = act(z), and z overwritten by act'(z) (the backward pass multiplies by it): one pass, so tanh, σ and
 * exp are computed once per step rather than again in the backward pass. Not for the identity.
 */
static inline __attribute__((always_inline)) void activate_body(int act, float alpha, float *restrict z, float *restrict h, size_t n) {
  const float inv_sqrt_2pi = 0.3989422804014327f;
  switch (act) {
    case ACT_RELU:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        h[i] = v > 0 ? v : 0.0f;
        z[i] = v > 0 ? 1.0f : 0.0f;
      }
      break;
    case ACT_LEAKY_RELU:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        h[i] = v < 0 ? alpha * v : v;
        z[i] = v > 0 ? 1.0f : alpha;
      }
      break;
    case ACT_TANH:
      for (size_t i = 0; i < n; i++) tanh_parts(z[i], &h[i], &z[i]);
      break;
    case ACT_SIGMOID:
      for (size_t i = 0; i < n; i++) {
        float sig, comp;
        sigmoid_parts(z[i], &sig, &comp);
        h[i] = sig;
        z[i] = sig * comp;
      }
      break;
    case ACT_SILU:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        float sig, comp;
        sigmoid_parts(v, &sig, &comp);
        h[i] = v * sig;
        z[i] = sig * (1.0f + v * comp);
      }
      break;
    case ACT_XTANH:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        float t, sech2;
        tanh_parts(v, &t, &sech2);
        h[i] = v * t;
        z[i] = t + v * sech2;
      }
      break;
    case ACT_GELU:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        const float cdf = 0.5f * (1.0f + erff(v * (float)M_SQRT1_2));
        h[i] = v * cdf;
        z[i] = cdf + v * inv_sqrt_2pi * expf(-0.5f * v * v);
      }
      break;
    case ACT_SOFTPLUS:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        float sig, comp;
        sigmoid_parts(v, &sig, &comp);
        h[i] = softplusf(v);
        z[i] = sig;
      }
      break;
    default:
      break;
  }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
static void activate(int act, float alpha, float *restrict z, float *restrict h, size_t n) {
  activate_body(act, alpha, z, h, n);
}

/* d *= e elementwise (the chain rule through an activation whose derivative `activate` left in e). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void multiply_into(float *restrict d, const float *restrict e, size_t n) {
  for (size_t i = 0; i < n; i++) d[i] *= e[i];
}

/* ---------------------------------------------------------------- the MLP step */

typedef struct {
  int fan_in, fan_out, act, has_bias;
  float alpha;
  const float *w, *b; /* [S, fanIn, fanOut], [S, fanOut] */
  float *gw, *gb;
  float *z, *h;       /* scratch: one seed's pre-activation (then act'(z)) and output, [B, fanOut] */
  /* Batch norm after the product (BatchNorm1d in training mode, as runtime/nn/batchnorm.ts), when has_norm. */
  int has_norm;
  float one_minus_momentum, momentum, var_factor, eps;
  const float *gamma, *beta, *running_mean, *running_var; /* [S, fanOut] */
  float *new_mean, *new_var, *g_gamma, *g_beta;
  float *xhat, *rstd; /* scratch: the normalised product [B, fanOut]; 1/√(var + ε), then two [fanOut] temporaries */
} Layer;

/*
 * z ← γ·x̂ + β with x̂ = (z − mean)·rstd over the batch (biased variance), keeping x̂ and rstd for the backward
 * pass, and the running statistics moved: (1 − m)·running + m·batch, the variance's from the unbiased one.
 * Row by row (features innermost), so the passes stream through memory and vectorize.
 */
static void norm_forward(Layer *L, int batch) {
  const int n = L->fan_out;
  float *restrict mean = L->rstd + n, *restrict sums = L->rstd + 2 * n;
  memset(sums, 0, n * sizeof(float));
  for (int b = 0; b < batch; b++) {
    const float *row = L->z + (size_t)b * n;
    for (int j = 0; j < n; j++) sums[j] += row[j];
  }
  for (int j = 0; j < n; j++) mean[j] = sums[j] / (float)batch;
  memset(sums, 0, n * sizeof(float));
  for (int b = 0; b < batch; b++) {
    const float *row = L->z + (size_t)b * n;
    for (int j = 0; j < n; j++) {
      const float c = row[j] - mean[j];
      sums[j] += c * c;
    }
  }
  for (int j = 0; j < n; j++) {
    const float variance = sums[j] / (float)batch;
    L->rstd[j] = 1.0f / sqrtf(variance + L->eps);
    L->new_mean[j] = L->running_mean[j] * L->one_minus_momentum + mean[j] * L->momentum;
    L->new_var[j] = L->running_var[j] * L->one_minus_momentum + variance * L->var_factor;
  }
  for (int b = 0; b < batch; b++) {
    float *restrict row = L->z + (size_t)b * n, *restrict xhat = L->xhat + (size_t)b * n;
    for (int j = 0; j < n; j++) {
      xhat[j] = (row[j] - mean[j]) * L->rstd[j];
      row[j] = xhat[j] * L->gamma[j] + L->beta[j];
    }
  }
}

/* dz: the gradient at the norm's output in, at its input out; and γ's and β's gradients. */
static void norm_backward(Layer *L, int batch, float *dz) {
  const int n = L->fan_out;
  float *restrict g_beta = L->g_beta, *restrict g_gamma = L->g_gamma, *restrict k = L->rstd + n;
  memset(g_beta, 0, n * sizeof(float));
  memset(g_gamma, 0, n * sizeof(float));
  for (int b = 0; b < batch; b++) {
    const float *restrict row = dz + (size_t)b * n, *restrict xhat = L->xhat + (size_t)b * n;
    for (int j = 0; j < n; j++) {
      g_beta[j] += row[j];
      g_gamma[j] += row[j] * xhat[j];
    }
  }
  for (int j = 0; j < n; j++) k[j] = L->gamma[j] * L->rstd[j] / (float)batch;
  for (int b = 0; b < batch; b++) {
    float *restrict row = dz + (size_t)b * n;
    const float *restrict xhat = L->xhat + (size_t)b * n;
    for (int j = 0; j < n; j++) row[j] = k[j] * ((float)batch * row[j] - g_beta[j] - xhat[j] * g_gamma[j]);
  }
}

/*
 * Per sample b, the loss ℓ_b of output row o (C values, already scaled) against target row y, and into g the
 * derivative of the seed's mean loss (1/B)·Σ_b ℓ_b with respect to o.
 */
static double sample_loss(int loss, float smoothing, const float *o, const float *y, float *g, int c, int batch) {
  const float inv_b = 1.0f / (float)batch;
  if (loss == LOSS_CROSS_ENTROPY) {
    float max = o[0];
    for (int j = 1; j < c; j++) max = o[j] > max ? o[j] : max;
    double sum = 0;
    for (int j = 0; j < c; j++) sum += exp((double)o[j] - max);
    const double lse = max + log(sum);
    double mass = 0, target_logit = 0;
    for (int j = 0; j < c; j++) {
      const float t = smoothing > 0 ? y[j] * (1.0f - smoothing) + smoothing / (float)c : y[j];
      mass += t;
      target_logit += (double)t * o[j];
      g[j] = t; /* the target, replaced below */
    }
    for (int j = 0; j < c; j++) g[j] = (float)((mass * exp((double)o[j] - lse) - g[j]) * inv_b);
    return mass * lse - target_logit;
  }
  double squares = 0;
  const float factor = loss == LOSS_MSE ? 2.0f / (float)c : loss == LOSS_HALF_MSE ? 1.0f / (float)c : 1.0f;
  for (int j = 0; j < c; j++) {
    const float diff = o[j] - y[j];
    squares += (double)diff * diff;
    g[j] = factor * diff * inv_b;
  }
  return loss == LOSS_MSE ? squares / c : loss == LOSS_HALF_MSE ? 0.5 * squares / c : 0.5 * squares;
}

/* One seed: forward, loss, backward; writes its losses and gradients. `d0`, `d1`: scratch [B, widest]. */
static void mlp_seed(Layer *layers, int depth, int batch, const float *x, const float *y, int loss, float smoothing,
                     float scale, float *per_sample, float *per_seed, float *d0, float *d1) {
  const float *in = x;
  for (int l = 0; l < depth; l++) {
    Layer *L = &layers[l];
    const size_t n = (size_t)batch * L->fan_out;
    if (L->has_bias) {
      for (int b = 0; b < batch; b++) memcpy(L->z + (size_t)b * L->fan_out, L->b, L->fan_out * sizeof(float));
    }
    dync_sgemm(0, 0, batch, L->fan_out, L->fan_in, in, L->fan_in, L->w, L->fan_out, L->has_bias ? 1.0f : 0.0f, L->z,
               L->fan_out);
    if (L->has_norm) norm_forward(L, batch);
    if (L->act != ACT_IDENTITY) activate(L->act, L->alpha, L->z, L->h, n); /* z is act'(z) from here on */
    in = L->act == ACT_IDENTITY ? L->z : L->h;
  }
  /* in = the last layer's output; the model output is scale·in. */
  const Layer *last = &layers[depth - 1];
  const int c = last->fan_out;
  double total = 0;
  for (int b = 0; b < batch; b++) {
    float o[c];
    for (int j = 0; j < c; j++) o[j] = scale * in[(size_t)b * c + j];
    const double value = sample_loss(loss, smoothing, o, y + (size_t)b * c, d0 + (size_t)b * c, c, batch);
    per_sample[b] = (float)value;
    total += value;
  }
  *per_seed = (float)(total / batch);
  float *dz = d0, *spare = d1;
  if (scale != 1.0f) {
    for (size_t i = 0; i < (size_t)batch * c; i++) dz[i] *= scale;
  }
  for (int l = depth - 1; l >= 0; l--) {
    Layer *L = &layers[l];
    if (L->act != ACT_IDENTITY) multiply_into(dz, L->z, (size_t)batch * L->fan_out);
    if (L->has_norm) norm_backward(L, batch, dz);
    const float *prev = l == 0 ? x : layers[l - 1].act == ACT_IDENTITY ? layers[l - 1].z : layers[l - 1].h;
    dync_sgemm(1, 0, L->fan_in, L->fan_out, batch, prev, L->fan_in, dz, L->fan_out, 0.0f, L->gw, L->fan_out);
    if (L->has_bias) {
      memset(L->gb, 0, L->fan_out * sizeof(float));
      for (int b = 0; b < batch; b++) {
        const float *row = dz + (size_t)b * L->fan_out;
        for (int j = 0; j < L->fan_out; j++) L->gb[j] += row[j];
      }
    }
    if (l > 0) {
      dync_sgemm(0, 1, batch, L->fan_in, L->fan_out, dz, L->fan_out, L->w, L->fan_out, 0.0f, spare, L->fan_in);
      float *t = dz;
      dz = spare;
      spare = t;
    }
  }
}

/*
 * mlpStep(heap, descriptor): descriptor = [S, B, depth, loss, smoothing, scale, x, y, perSample, perSeed,
 * then per layer: fanIn, fanOut, act, alpha, hasBias, w, b, gw, gb, hasNorm, γ, β, running mean, running var,
 * their new values, γ's and β's gradients, momentum, ε] (offsets in bytes into heap; unused ones 0).
 * x [S,B,fanIn₀], y [S,B,fanOut_last], perSample [S,B], perSeed [S], gw/gb shaped like w/b, the norm's [S,fanOut].
 */
static napi_value mlp_step(napi_env env, napi_callback_info info) {
  Call call;
  if (!read_call(env, info, "mlpStep", &call)) return NULL;
  const double *d = call.desc;
  if (call.desc_length < MLP_HEADER) {
    napi_throw_range_error(env, NULL, "dync_fused: mlpStep: descriptor too short");
    return NULL;
  }
  const int seeds = (int)d[0], batch = (int)d[1], depth = (int)d[2], loss = (int)d[3];
  const float smoothing = (float)d[4], scale = (float)d[5];
  if (seeds < 1 || batch < 1 || depth < 1 || depth > 256 || loss < LOSS_MSE || loss > LOSS_CROSS_ENTROPY ||
      call.desc_length != (size_t)(MLP_HEADER + MLP_PER_LAYER * depth)) {
    napi_throw_range_error(env, NULL, "dync_fused: mlpStep: bad descriptor header");
    return NULL;
  }
  Layer layers[256];
  size_t scratch_floats = 0;
  int widest = 0;
  for (int l = 0; l < depth; l++) {
    const double *p = d + MLP_HEADER + MLP_PER_LAYER * l;
    Layer *L = &layers[l];
    L->fan_in = (int)p[0];
    L->fan_out = (int)p[1];
    L->act = (int)p[2];
    L->alpha = (float)p[3];
    L->has_bias = p[4] != 0;
    if (L->fan_in < 1 || L->fan_out < 1 || L->act < ACT_IDENTITY || L->act > ACT_SOFTPLUS ||
        (l > 0 && L->fan_in != layers[l - 1].fan_out)) {
      napi_throw_range_error(env, NULL, "dync_fused: mlpStep: layer shapes do not chain");
      return NULL;
    }
    const double weights = (double)seeds * L->fan_in * L->fan_out;
    if (!(L->w = floats_at(env, &call, p[5], weights, "weight")) || !(L->gw = floats_at(env, &call, p[7], weights, "weight gradient"))) return NULL;
    if (L->has_bias && (!(L->b = floats_at(env, &call, p[6], (double)seeds * L->fan_out, "bias")) ||
                        !(L->gb = floats_at(env, &call, p[8], (double)seeds * L->fan_out, "bias gradient")))) {
      return NULL;
    }
    L->has_norm = p[9] != 0;
    if (L->has_norm) {
      const double per_seed = (double)seeds * L->fan_out;
      if (batch < 2 || !(L->gamma = floats_at(env, &call, p[10], per_seed, "gamma")) || !(L->beta = floats_at(env, &call, p[11], per_seed, "beta")) ||
          !(L->running_mean = floats_at(env, &call, p[12], per_seed, "running mean")) ||
          !(L->running_var = floats_at(env, &call, p[13], per_seed, "running variance")) ||
          !(L->new_mean = floats_at(env, &call, p[14], per_seed, "new running mean")) ||
          !(L->new_var = floats_at(env, &call, p[15], per_seed, "new running variance")) ||
          !(L->g_gamma = floats_at(env, &call, p[16], per_seed, "gamma gradient")) ||
          !(L->g_beta = floats_at(env, &call, p[17], per_seed, "beta gradient"))) {
        if (batch < 2) napi_throw_range_error(env, NULL, "dync_fused: mlpStep: batch norm needs a batch of at least 2");
        return NULL;
      }
      /* the scalars as tfjs's float32 scalar tensors hold them (computed in double first) */
      L->momentum = (float)p[18];
      L->one_minus_momentum = (float)(1 - p[18]);
      L->var_factor = (float)(p[18] * batch / (batch - 1));
      L->eps = (float)p[19];
    }
    scratch_floats += (L->has_norm ? 3 : 2) * (size_t)batch * L->fan_out + 3 * (size_t)L->fan_out;
    widest = L->fan_out > widest ? L->fan_out : widest;
    widest = L->fan_in > widest ? L->fan_in : widest;
  }
  const int in_dim = layers[0].fan_in, out_dim = layers[depth - 1].fan_out;
  const float *x = floats_at(env, &call, d[6], (double)seeds * batch * in_dim, "x");
  const float *y = x ? floats_at(env, &call, d[7], (double)seeds * batch * out_dim, "y") : NULL;
  float *per_sample = y ? floats_at(env, &call, d[8], (double)seeds * batch, "perSample") : NULL;
  float *per_seed = per_sample ? floats_at(env, &call, d[9], seeds, "perSeed") : NULL;
  if (per_seed == NULL) return NULL;
  float *scratch = scratch_of(env, scratch_floats + 2 * (size_t)batch * widest);
  if (scratch == NULL) return NULL;
  /* Scratch is only read by this call: the heap's buffer cannot move while it runs (no JS runs). */
  float *cursor = scratch;
  for (int l = 0; l < depth; l++) {
    layers[l].z = cursor;
    layers[l].h = cursor + (size_t)batch * layers[l].fan_out;
    cursor += 2 * (size_t)batch * layers[l].fan_out;
    if (layers[l].has_norm) {
      layers[l].xhat = cursor;
      layers[l].rstd = cursor + (size_t)batch * layers[l].fan_out;
      cursor += (size_t)batch * layers[l].fan_out + 3 * (size_t)layers[l].fan_out; /* rstd, mean, sums */
    }
  }
  float *d0 = cursor, *d1 = cursor + (size_t)batch * widest;
  Layer seed_layers[256];
  for (int s = 0; s < seeds; s++) {
    for (int l = 0; l < depth; l++) {
      const Layer *L = &layers[l];
      const size_t wn = (size_t)L->fan_in * L->fan_out;
      seed_layers[l] = *L;
      seed_layers[l].w = L->w + s * wn;
      seed_layers[l].gw = L->gw + s * wn;
      if (L->has_bias) {
        seed_layers[l].b = L->b + (size_t)s * L->fan_out;
        seed_layers[l].gb = L->gb + (size_t)s * L->fan_out;
      }
      if (L->has_norm) {
        const size_t at = (size_t)s * L->fan_out;
        seed_layers[l].gamma = L->gamma + at;
        seed_layers[l].beta = L->beta + at;
        seed_layers[l].running_mean = L->running_mean + at;
        seed_layers[l].running_var = L->running_var + at;
        seed_layers[l].new_mean = L->new_mean + at;
        seed_layers[l].new_var = L->new_var + at;
        seed_layers[l].g_gamma = L->g_gamma + at;
        seed_layers[l].g_beta = L->g_beta + at;
      }
    }
    mlp_seed(seed_layers, depth, batch, x + (size_t)s * batch * in_dim, y + (size_t)s * batch * out_dim, loss, smoothing,
             scale, per_sample + (size_t)s * batch, per_seed + s, d0, d1);
  }
  return NULL;
}

/* ---------------------------------------------------------------- the optimizer update */

/*
 * The update rules, one loop each (so gcc vectorizes them). Weight decay as an L2 term in the gradient is
 * tf.add(g, tf.mul(θ, wd)); every operation rounds to float32 as tfjs's separate kernels do (the file is
 * compiled with -ffp-contract=off: no fused multiply-adds).
 */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void sgd_update(const float *restrict theta, const float *restrict grad, float *restrict out, size_t n, float lr,
                       float wd) {
  for (size_t j = 0; j < n; j++) {
    const float g = wd != 0 ? grad[j] + theta[j] * wd : grad[j];
    out[j] = theta[j] - g * lr;
  }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
static void momentum_update(const float *restrict theta, const float *restrict grad, const float *restrict buf_in,
                            float *restrict out, float *restrict buf_out, size_t n, float lr, float wd, float mu,
                            float one_minus_damp, int nesterov, int first) {
  for (size_t j = 0; j < n; j++) {
    const float g = wd != 0 ? grad[j] + theta[j] * wd : grad[j];
    const float buf = first ? g : buf_in[j] * mu + g * one_minus_damp;
    buf_out[j] = buf;
    const float direction = nesterov ? g + buf * mu : buf;
    out[j] = theta[j] - direction * lr;
  }
}

/* AdamW's decoupled decay is θ·factor before the step (factor 1 for Adam). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void adam_update(const float *restrict theta, const float *restrict grad, const float *restrict m_in,
                        const float *restrict v_in, float *restrict out, float *restrict m_out, float *restrict v_out,
                        size_t n, float wd, float theta_factor, float beta1, float one_minus_beta1, float beta2,
                        float one_minus_beta2, float c2, float eps, float step_size) {
  for (size_t j = 0; j < n; j++) {
    const float g = wd != 0 ? grad[j] + theta[j] * wd : grad[j];
    const float th = theta_factor != 1.0f ? theta[j] * theta_factor : theta[j];
    const float m = m_in[j] * beta1 + g * one_minus_beta1;
    const float v = v_in[j] * beta2 + g * g * one_minus_beta2;
    m_out[j] = m;
    v_out[j] = v;
    const float denom = sqrtf(v) / c2 + eps;
    out[j] = th - (m / denom) * step_size;
  }
}


/*
 * optimizerStep(heap, descriptor): descriptor = [kind, count, lr, momentum, dampening, nesterov, first,
 * beta1, beta2, eps, stepSize, c2, thetaFactor, weightDecay, then per parameter: size, theta, grad, theta′,
 * slot0, slot0′, slot1, slot1′] (offsets in bytes; unused slots 0). The float32 operations and their order are
 * runtime/optim.ts's (tfjs's scalars are float32 tensors), so the result is bitwise the taped path's.
 */
static napi_value optimizer_step(napi_env env, napi_callback_info info) {
  Call call;
  if (!read_call(env, info, "optimizerStep", &call)) return NULL;
  const double *d = call.desc;
  if (call.desc_length < OPT_HEADER) {
    napi_throw_range_error(env, NULL, "dync_fused: optimizerStep: descriptor too short");
    return NULL;
  }
  const int kind = (int)d[0], count = (int)d[1];
  if (kind < OPT_SGD || kind > OPT_ADAM || count < 1 || call.desc_length != (size_t)(OPT_HEADER + OPT_PER_PARAM * count)) {
    napi_throw_range_error(env, NULL, "dync_fused: optimizerStep: bad descriptor header");
    return NULL;
  }
  const float lr = (float)d[2], mu = (float)d[3], one_minus_damp = (float)(1 - d[4]);
  const int nesterov = d[5] != 0, first = d[6] != 0;
  const float beta1 = (float)d[7], beta2 = (float)d[8], eps = (float)d[9], step_size = (float)d[10], c2 = (float)d[11];
  const float one_minus_beta1 = (float)(1 - d[7]), one_minus_beta2 = (float)(1 - d[8]);
  const float theta_factor = (float)d[12], weight_decay = (float)d[13];
  const int slots = kind == OPT_ADAM ? 2 : kind == OPT_MOMENTUM ? 1 : 0;
  for (int i = 0; i < count; i++) {
    const double *p = d + OPT_HEADER + OPT_PER_PARAM * i;
    const double n = p[0];
    const float *theta = floats_at(env, &call, p[1], n, "theta");
    const float *grad = theta ? floats_at(env, &call, p[2], n, "gradient") : NULL;
    float *out = grad ? floats_at(env, &call, p[3], n, "new theta") : NULL;
    if (out == NULL) return NULL;
    const float *s0 = NULL, *s1 = NULL;
    float *s0_out = NULL, *s1_out = NULL;
    if (slots >= 1 && (!(s0 = floats_at(env, &call, p[4], n, "slot")) || !(s0_out = floats_at(env, &call, p[5], n, "new slot")))) return NULL;
    if (slots >= 2 && (!(s1 = floats_at(env, &call, p[6], n, "slot")) || !(s1_out = floats_at(env, &call, p[7], n, "new slot")))) return NULL;
    const size_t size = (size_t)n;
    if (kind == OPT_SGD) {
      sgd_update(theta, grad, out, size, lr, weight_decay);
    } else if (kind == OPT_MOMENTUM) {
      momentum_update(theta, grad, s0, out, s0_out, size, lr, weight_decay, mu, one_minus_damp, nesterov, first);
    } else {
      adam_update(theta, grad, s0, s1, out, s0_out, s1_out, size, weight_decay, theta_factor, beta1, one_minus_beta1, beta2,
                  one_minus_beta2, c2, eps, step_size);
    }
  }
  return NULL;
}

/* ---------------------------------------------------------------- 1→W→1 networks */

/*
 * The training step of a seed-batched 1→W→1 network (dense(W, act, bias) → dense(1, bias), output times
 * `scale`, (half) mean squared error): the shape of the condensation, frequency-principle and lottery-ticket
 * experiments. The general MLP step above runs it as two rank-1 products per seed; here samples are the vector
 * lanes: per block of samples, per neuron, the pre-activations of the block, the activation (`activate`), and
 * the output summed over neurons; then each neuron's three gradient sums over the block go into 16 lane
 * accumulators, summed across lanes once per seed. The lane split is written out in scalar C, so every vector
 * width gcc picks (target_clones) adds in the same order: the result does not depend on the CPU.
 * Why: on 4-lane wasm SIMD the lottery sweep (benchmark case (d)) was bound by this arithmetic; with AVX-512
 * (or AVX2) and no tfjs dispatch it runs several times faster (docs/performance.md, "Small nets").
 */
#define SN_LANES 16
#ifndef SN_BLOCK
#define SN_BLOCK 256
#endif

typedef struct {
  int batch, width, act;
  float alpha, scale, half, gscale, inv_batch;
} ScalarNet;

/*
 * A block of n samples, every neuron j: z_j = x·w1_j + b1_j, h_j = act(z_j) with z_j then act'(z_j)
 * (`activate_body`, inlined so each vector width gets its own copy), and the block's outputs f = Σ_j h_j·w2_j
 * in neuron order. z and h hold SN_BLOCK floats per neuron.
 */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void scalar_net_forward(const ScalarNet *net, const float *restrict x, const float *restrict w1, const float *restrict b1,
                               const float *restrict w2, float *restrict z, float *restrict h, float *restrict f, int n) {
  for (int b = 0; b < n; b++) f[b] = 0;
  for (int j = 0; j < net->width; j++) {
    float *restrict zj = z + (size_t)j * SN_BLOCK, *restrict hj = h + (size_t)j * SN_BLOCK;
    const float w = w1[j], c = b1[j], v = w2[j];
    for (int b = 0; b < n; b++) zj[b] = x[b] * w + c;
    if (net->act == ACT_IDENTITY) {
      for (int b = 0; b < n; b++) {
        hj[b] = zj[b];
        zj[b] = 1.0f;
      }
    } else {
      activate_body(net->act, net->alpha, zj, hj, n);
    }
    for (int b = 0; b < n; b++) f[b] += hj[b] * v;
  }
}

/*
 * The block's gradient terms of every neuron into its 16 lane accumulators [dw1, db1, dw2] (3·SN_LANES floats
 * per neuron): lane l takes samples l, l + 16, …, so the order of the sums is the same at every vector width.
 */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void scalar_net_backward(int width, float *restrict acc, const float *restrict g, const float *restrict z,
                                const float *restrict h, const float *restrict x, const float *restrict w2, int n) {
  for (int j = 0; j < width; j++) {
    float *restrict a0 = acc + (size_t)j * 3 * SN_LANES, *restrict a1 = a0 + SN_LANES, *restrict a2 = a1 + SN_LANES;
    const float *restrict d = z + (size_t)j * SN_BLOCK, *restrict hj = h + (size_t)j * SN_BLOCK;
    const float w = w2[j];
    int c = 0;
    for (; c + SN_LANES <= n; c += SN_LANES) {
      for (int l = 0; l < SN_LANES; l++) {
        const float dpre = g[c + l] * w * d[c + l];
        a0[l] += dpre * x[c + l];
        a1[l] += dpre;
        a2[l] += g[c + l] * hj[c + l];
      }
    }
    for (int l = 0; c + l < n; l++) {
      const float dpre = g[c + l] * w * d[c + l];
      a0[l] += dpre * x[c + l];
      a1[l] += dpre;
      a2[l] += g[c + l] * hj[c + l];
    }
  }
}

static float lane_sum(const float *acc) {
  float s = 0;
  for (int l = 0; l < SN_LANES; l++) s += acc[l];
  return s;
}

/*
 * One seed: its loss per sample and mean, and the gradients of the mean (times the seed-sum's 1) for w1, b1,
 * w2 [W] and b2. Scratch: z, h [W·SN_BLOCK] each, f, g [SN_BLOCK] each, accumulators [3·W·SN_LANES].
 */
static void scalar_net_seed(const ScalarNet *net, const float *x, const float *y, const float *w1, const float *b1,
                            const float *w2, float b2, float *per_sample, float *per_seed, float *dw1, float *db1,
                            float *dw2, float *db2, float *scratch) {
  const int W = net->width, B = net->batch;
  float *z = scratch, *h = z + (size_t)W * SN_BLOCK, *f = h + (size_t)W * SN_BLOCK, *g = f + SN_BLOCK;
  float *acc = g + SN_BLOCK;
  float loss_acc[SN_LANES] = {0}, db2_acc[SN_LANES] = {0};
  memset(acc, 0, (size_t)W * 3 * SN_LANES * sizeof(float));
  for (int b0 = 0; b0 < B; b0 += SN_BLOCK) {
    const int n = B - b0 < SN_BLOCK ? B - b0 : SN_BLOCK;
    const float *xb = x + b0;
    scalar_net_forward(net, xb, w1, b1, w2, z, h, f, n);
    for (int b = 0; b < n; b++) {
      const float out = (f[b] + b2) * net->scale;
      const float res = out - y[b0 + b];
      const float loss = res * res * net->half;
      per_sample[b0 + b] = loss;
      loss_acc[b % SN_LANES] += loss;
      g[b] = res * net->gscale;
      db2_acc[b % SN_LANES] += g[b];
    }
    scalar_net_backward(W, acc, g, z, h, xb, w2, n);
  }
  *per_seed = lane_sum(loss_acc) * net->inv_batch;
  *db2 = lane_sum(db2_acc);
  for (int j = 0; j < W; j++) {
    const float *a = acc + (size_t)j * 3 * SN_LANES;
    dw1[j] = lane_sum(a);
    db1[j] = lane_sum(a + SN_LANES);
    dw2[j] = lane_sum(a + 2 * SN_LANES);
  }
}

/* Wide and few samples: per sample, the neurons are the vector lanes (z = x·w1 + b1 over W, then act). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void scalar_net_wide_pre(float *restrict z, const float *restrict w1, const float *restrict b1, float x, int n) {
  for (int j = 0; j < n; j++) z[j] = x * w1[j] + b1[j];
}

/* Σ_j h_j·w2_j in 16 lane sums (then lane_sum), so the order does not depend on the vector width. */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void scalar_net_wide_dot(float *restrict acc, const float *restrict h, const float *restrict w2, int n) {
  int c = 0;
  for (int l = 0; l < SN_LANES; l++) acc[l] = 0;
  for (; c + SN_LANES <= n; c += SN_LANES) {
    for (int l = 0; l < SN_LANES; l++) acc[l] += h[c + l] * w2[c + l];
  }
  for (int l = 0; c + l < n; l++) acc[l] += h[c + l] * w2[c + l];
}

/* One sample's gradient terms added to every neuron's sums (d = act'(z) where `activate` left it). */
__attribute__((target_clones("avx512f", "avx2", "default")))
static void scalar_net_wide_backward(float *restrict dw1, float *restrict db1, float *restrict dw2, const float *restrict d,
                                     const float *restrict h, const float *restrict w2, float g, float x, int n) {
  for (int j = 0; j < n; j++) {
    const float dpre = g * w2[j] * d[j];
    dw1[j] += dpre * x;
    db1[j] += dpre;
    dw2[j] += g * h[j];
  }
}

/*
 * scalar_net_seed for networks wider than the batch (the condensation setting: 1000 neurons, 4 points), where
 * blocks of samples would leave most lanes empty and make a call per neuron: samples one by one, neurons as
 * the lanes; each neuron's sums accumulate in sample order.
 */
static void scalar_net_seed_wide(const ScalarNet *net, const float *x, const float *y, const float *w1, const float *b1,
                                 const float *w2, float b2, float *per_sample, float *per_seed, float *dw1, float *db1,
                                 float *dw2, float *db2, float *scratch) {
  const int W = net->width, B = net->batch;
  float *z = scratch, *h = z + W;
  float loss_acc[SN_LANES] = {0}, db2_acc[SN_LANES] = {0}, dot[SN_LANES];
  memset(dw1, 0, W * sizeof(float));
  memset(db1, 0, W * sizeof(float));
  memset(dw2, 0, W * sizeof(float));
  for (int b = 0; b < B; b++) {
    scalar_net_wide_pre(z, w1, b1, x[b], W);
    if (net->act == ACT_IDENTITY) {
      memcpy(h, z, W * sizeof(float));
      for (int j = 0; j < W; j++) z[j] = 1.0f;
    } else {
      activate(net->act, net->alpha, z, h, W);
    }
    scalar_net_wide_dot(dot, h, w2, W);
    const float out = (lane_sum(dot) + b2) * net->scale;
    const float res = out - y[b];
    const float loss = res * res * net->half;
    per_sample[b] = loss;
    loss_acc[b % SN_LANES] += loss;
    const float g = res * net->gscale;
    db2_acc[b % SN_LANES] += g;
    scalar_net_wide_backward(dw1, db1, dw2, z, h, w2, g, x[b], W);
  }
  *per_seed = lane_sum(loss_acc) * net->inv_batch;
  *db2 = lane_sum(db2_acc);
}

static size_t scalar_net_scratch(int width) {
  return (size_t)width * (2 * SN_BLOCK + 3 * SN_LANES) + 2 * SN_BLOCK;
}

/* Every seed's step: x, y, per_sample [S, B]; w1, b1, w2, dw1, db1, dw2 [S, W]; b2, db2, per_seed [S]. */
static void scalar_net_all(const ScalarNet *net, int seeds, const float *x, const float *y, const float *w1, const float *b1,
                           const float *w2, const float *b2, float *per_sample, float *per_seed, float *dw1, float *db1,
                           float *dw2, float *db2, float *scratch) {
  const size_t B = net->batch, W = net->width;
  /* neurons as lanes when the network is wider than the batch, else samples (see scalar_net_seed_wide) */
  void (*seed)(const ScalarNet *, const float *, const float *, const float *, const float *, const float *, float, float *,
               float *, float *, float *, float *, float *, float *) = W > B ? scalar_net_seed_wide : scalar_net_seed;
  for (int s = 0; s < seeds; s++) {
    seed(net, x + s * B, y + s * B, w1 + s * W, b1 + s * W, w2 + s * W, b2[s], per_sample + s * B, per_seed + s,
                    dw1 + s * W, db1 + s * W, dw2 + s * W, db2 + s, scratch);
  }
}

#define SN_HEADER 19

/* The network part of a descriptor: [S, B, W, act, alpha, scale, half, x, y, …]; false (and a RangeError) when bad. */
static int scalar_net_read(napi_env env, const Call *call, const char *name, ScalarNet *net, int *seeds, const float **x,
                           const float **y) {
  const double *d = call->desc;
  *seeds = (int)d[0];
  net->batch = (int)d[1];
  net->width = (int)d[2];
  net->act = (int)d[3];
  net->alpha = (float)d[4];
  net->scale = (float)d[5];
  net->half = (float)d[6];
  if (*seeds < 1 || net->batch < 1 || net->width < 1 || net->act < ACT_IDENTITY || net->act > ACT_SOFTPLUS) {
    char message[96];
    snprintf(message, sizeof message, "dync_fused: %s: bad network header", name);
    napi_throw_range_error(env, NULL, message);
    return 0;
  }
  /* as the wasm kernel: dLoss/df per unit residual (2/B for mse, 1/B for half), through the scale */
  net->gscale = (float)(2 * d[6] * d[5] / net->batch);
  net->inv_batch = (float)(1.0 / net->batch);
  const double rows = (double)*seeds * net->batch;
  *x = floats_at(env, call, d[7], rows, "x");
  *y = *x ? floats_at(env, call, d[8], rows, "y") : NULL;
  return *y != NULL;
}

/*
 * scalarNetStep(heap, descriptor = [S, B, W, act, alpha, scale, half, x, y, w1, b1, w2, b2, perSample, perSeed,
 * dw1, db1, dw2, db2]): one step's losses and gradients (byte offsets; shapes as scalar_net_all).
 */
static napi_value scalar_net_step(napi_env env, napi_callback_info info) {
  Call call;
  if (!read_call(env, info, "scalarNetStep", &call)) return NULL;
  if (call.desc_length != SN_HEADER) {
    napi_throw_range_error(env, NULL, "dync_fused: scalarNetStep: the descriptor needs 19 entries");
    return NULL;
  }
  ScalarNet net;
  int S;
  const float *x, *y;
  if (!scalar_net_read(env, &call, "scalarNetStep", &net, &S, &x, &y)) return NULL;
  const double *d = call.desc;
  const double SW = (double)S * net.width, SB = (double)S * net.batch;
  const double sizes[10] = {SW, SW, SW, S, SB, S, SW, SW, SW, S};
  float *p[10];
  for (int i = 0; i < 10; i++) {
    if (!(p[i] = floats_at(env, &call, d[9 + i], sizes[i], "scalarNetStep operand"))) return NULL;
  }
  float *scratch = scratch_of(env, scalar_net_scratch(net.width));
  if (scratch == NULL) return NULL;
  scalar_net_all(&net, S, x, y, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], scratch);
  return NULL;
}

/* One optimizer rule (the optimizerStep header's 14 entries) applied to n values; `tmp` holds 3·n floats. */
static void apply_rule(const double *r, float *theta, const float *grad, float *s0, float *s1, size_t n, float *tmp) {
  const int kind = (int)r[0];
  const float lr = (float)r[2], weight_decay = (float)r[13];
  if (kind == OPT_SGD) {
    sgd_update(theta, grad, tmp, n, lr, weight_decay);
  } else if (kind == OPT_MOMENTUM) {
    momentum_update(theta, grad, s0, tmp, tmp + n, n, lr, weight_decay, (float)r[3], (float)(1 - r[4]), r[5] != 0, r[6] != 0);
    memcpy(s0, tmp + n, n * sizeof(float));
  } else {
    adam_update(theta, grad, s0, s1, tmp, tmp + n, tmp + 2 * n, n, weight_decay, (float)r[12], (float)r[7], (float)(1 - r[7]),
                (float)r[8], (float)(1 - r[8]), (float)r[11], (float)r[9], (float)r[10]);
    memcpy(s0, tmp + n, n * sizeof(float));
    memcpy(s1, tmp + 2 * n, n * sizeof(float));
  }
  memcpy(theta, tmp, n * sizeof(float));
}

/*
 * scalarNetTrain(heap, descriptor = [S, B, W, act, alpha, scale, half, x, y, K, slots, then for w1, b1, w2, b2
 * in turn: θ, θ′, slot0, slot0′, slot1, slot1′ (24 offsets), perSeedLosses [K, S], then K optimizer rules of
 * optimizerStep's 14-entry header]): K training steps on the same batch, each step's gradient (as
 * scalarNetStep) followed by its update (as optimizerStep), the per-seed loss of every step kept. θ′ and the
 * slots′ start as copies of θ and the slots and are updated there; the inputs are left as they are. The same
 * functions in the same order as K pairs of scalarNetStep + optimizerStep calls, so bitwise their result.
 */
static napi_value scalar_net_train(napi_env env, napi_callback_info info) {
  Call call;
  if (!read_call(env, info, "scalarNetTrain", &call)) return NULL;
  const double *d = call.desc;
  const int fixed = 11 + 24 + 1;
  const int steps = call.desc_length > 10 ? (int)d[9] : 0;
  if (call.desc_length < (size_t)fixed || steps < 1 || call.desc_length != (size_t)(fixed + OPT_HEADER * steps)) {
    napi_throw_range_error(env, NULL, "dync_fused: scalarNetTrain: bad descriptor length");
    return NULL;
  }
  ScalarNet net;
  int S;
  const float *x, *y;
  if (!scalar_net_read(env, &call, "scalarNetTrain", &net, &S, &x, &y)) return NULL;
  const int slots = (int)d[10];
  if (slots < 0 || slots > 2) {
    napi_throw_range_error(env, NULL, "dync_fused: scalarNetTrain: 0, 1 or 2 optimizer slots");
    return NULL;
  }
  const size_t W = net.width, sizes[4] = {S * W, S * W, S * W, (size_t)S};
  float *out[4], *slot_out[4][2] = {{NULL}};
  for (int p = 0; p < 4; p++) {
    const double *o = d + 11 + 6 * p;
    const float *in = floats_at(env, &call, o[0], sizes[p], "θ");
    if (!in || !(out[p] = floats_at(env, &call, o[1], sizes[p], "θ′"))) return NULL;
    memcpy(out[p], in, sizes[p] * sizeof(float));
    for (int k = 0; k < slots; k++) {
      const float *slot = floats_at(env, &call, o[2 + 2 * k], sizes[p], "slot");
      if (!slot || !(slot_out[p][k] = floats_at(env, &call, o[3 + 2 * k], sizes[p], "slot′"))) return NULL;
      memcpy(slot_out[p][k], slot, sizes[p] * sizeof(float));
    }
  }
  float *losses = floats_at(env, &call, d[11 + 24], (double)steps * S, "losses");
  if (losses == NULL) return NULL;
  const size_t grads = 3 * S * W + S, per_sample = (size_t)S * net.batch;
  float *scratch = scratch_of(env, scalar_net_scratch(net.width) + grads + per_sample + 3 * S * W);
  if (scratch == NULL) return NULL;
  float *grad = scratch + scalar_net_scratch(net.width), *samples = grad + grads, *tmp = samples + per_sample;
  float *g[4] = {grad, grad + S * W, grad + 2 * S * W, grad + 3 * S * W};
  for (int k = 0; k < steps; k++) {
    const double *rule = d + fixed + OPT_HEADER * k;
    scalar_net_all(&net, S, x, y, out[0], out[1], out[2], out[3], samples, losses + (size_t)k * S, g[0], g[1], g[2], g[3],
                   scratch);
    for (int p = 0; p < 4; p++) apply_rule(rule, out[p], g[p], slot_out[p][0], slot_out[p][1], sizes[p], tmp);
  }
  return NULL;
}

/* ---------------------------------------------------------------- minibatch rows */

/*
 * gatherRows(heap, descriptor = [src, srcRows, rowFloats, dst], indices: Int32Array): dst row i = src row
 * indices[i] (tfjs's wasm Gather computes coordinates per element; a minibatch of 128 rows of 784 cost more
 * than the fused step itself). A plain copy: bitwise tf.gather's result.
 */
static napi_value gather_rows(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) {
    napi_throw_type_error(env, NULL, "dync_fused: gatherRows takes (heap, descriptor, indices)");
    return NULL;
  }
  Call call;
  bool is_buffer = false, is_typed = false;
  void *heap, *desc, *index_data;
  size_t index_count;
  napi_typedarray_type type, index_type;
  if (napi_is_arraybuffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_arraybuffer_info(env, argv[0], &heap, &call.heap_bytes) != napi_ok ||
      napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &call.desc_length, &desc, NULL, NULL) != napi_ok || type != napi_float64_array ||
      call.desc_length != 4 || napi_is_typedarray(env, argv[2], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[2], &index_type, &index_count, &index_data, NULL, NULL) != napi_ok || index_type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "dync_fused: gatherRows takes (ArrayBuffer, Float64Array(4), Int32Array)");
    return NULL;
  }
  call.heap = heap;
  call.desc = desc;
  const double src_rows = call.desc[1], row_floats = call.desc[2];
  const float *src = floats_at(env, &call, call.desc[0], src_rows * row_floats, "gather source");
  float *dst = src ? floats_at(env, &call, call.desc[3], (double)index_count * row_floats, "gather output") : NULL;
  if (dst == NULL) return NULL;
  const int32_t *indices = index_data;
  const size_t row_bytes = (size_t)row_floats * sizeof(float);
  for (size_t i = 0; i < index_count; i++) {
    if (indices[i] < 0 || indices[i] >= src_rows) {
      napi_throw_range_error(env, NULL, "dync_fused: gatherRows: an index is outside the source rows");
      return NULL;
    }
    memcpy((char *)dst + i * row_bytes, (const char *)src + (size_t)indices[i] * row_bytes, row_bytes);
  }
  return NULL;
}

/*
 * sinCos(heap, descriptor = [x, n, sinOut, cosOut]): sinf and cosf of n floats (glibc's sincosf). For input
 * encodings in the fused step (runtime/nn/encodings.ts): tfjs's wasm Sin and Cos took ~50 ns per element on
 * the NeRF encoding's arguments (up to 2^(L−1)·π), ~14 ms of CPU per (f) minibatch against ~2 ms here.
 */
static napi_value sin_cos(napi_env env, napi_callback_info info) {
  Call call;
  if (!read_call(env, info, "sinCos", &call)) return NULL;
  if (call.desc_length != 4) {
    napi_throw_type_error(env, NULL, "dync_fused: sinCos: the descriptor is [x, n, sinOut, cosOut]");
    return NULL;
  }
  const double n = call.desc[1];
  const float *x = floats_at(env, &call, call.desc[0], n, "sinCos input");
  float *s = x ? floats_at(env, &call, call.desc[2], n, "sinCos sine output") : NULL;
  float *c = s ? floats_at(env, &call, call.desc[3], n, "sinCos cosine output") : NULL;
  if (c == NULL) return NULL;
  for (size_t i = 0; i < (size_t)n; i++) sincosf(x[i], &s[i], &c[i]);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"mlpStep", NULL, mlp_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"optimizerStep", NULL, optimizer_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gatherRows", NULL, gather_rows, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scalarNetStep", NULL, scalar_net_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scalarNetTrain", NULL, scalar_net_train, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sinCos", NULL, sin_cos, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
