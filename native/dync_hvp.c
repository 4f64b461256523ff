/*
 * dync's native Hessian-vector product for plain dense MLPs: Pearlmutter's R-operator (forward-over-reverse),
 * a Node-API addon of its own (runtime/kernels/native-hvp.ts; stdlib/curvature/operator.ts serves every exact
 * HVP with it where the model is a plain dense MLP and the loss is supported).
 *
 * Why: the taped HVP (a second backward pass over tfjs's recorded tape, stdlib/curvature/recorded-gradient.ts)
 * spent as long in elementwise tanh-derivative kernels and tfjs bookkeeping as in its products (benchmark case
 * (h): 60 HVPs of a 1→200→200→1 tanh MLP). Here a product is its matrix products (dync_gemm.h) and a few
 * vectorised elementwise loops.
 *
 * The network (per seed s): z_l = h_{l−1}·W_l + b_l, h_l = σ_l(z_l), h_0 = x, output o = scale·h_L; loss
 * L = (1/m)·Σ_rows ℓ(o, y) over the m rows of the measurement (all physical batches). State per physical batch,
 * computed once: h_l, σ'(z_l), σ''(z_l), e_l = ∂L/∂h_l and δ_l = ∂L/∂z_l = σ'⊙e_l (and for cross-entropy the
 * softmax p and the target mass per row). A product with direction (V_l, c_l) then runs
 *   R{z_l} = R{h_{l−1}}·W_l + h_{l−1}·V_l + c_l,  R{h_l} = σ'⊙R{z_l},  R{h_0} = 0,
 *   R{e_L} = scale²·∇²_o ℓ·R{h_L}/m  (mse: (2/C)·I, half_mse (1/C)·I, half_sse I; cross-entropy mass·(diag p − ppᵀ)),
 *   R{δ_l} = σ'⊙R{e_l} + σ''⊙R{z_l}⊙e_l,  R{e_{l−1}} = R{δ_l}·W_lᵀ + δ_l·V_lᵀ,
 *   (Hv)_{W_l} = h_{l−1}ᵀ·R{δ_l} + R{h_{l−1}}ᵀ·δ_l,  (Hv)_{b_l} = Σ_rows R{δ_l}.
 * Float32 arithmetic as tfjs's; each physical batch's part is added into float64 outputs (HessianOperator's
 * convention), and the bias sums are float64.
 *
 * Batch norm between a layer's product and its activation (u_l = γ⊙x̂ + β, x̂ = (z_l − μ)/σ, σ = √(v + eps); the
 * activation then acts on u_l): with running statistics an affine map; with the physical batch's own (training
 * mode) the R-operator differentiates through μ and v. With P(a) = a − mean(a) − x̂⊙mean(x̂⊙a) over the batch's
 * rows and g = γ⊙∂L/∂u: ∂L/∂z = P(g)/σ, R{x̂} = P(R{z})/σ, R{u} = v_γ⊙x̂ + γ⊙R{x̂} + v_β, and
 *   R{∂L/∂z} = (P(R{g}) − R{x̂}⊙mean(g⊙x̂) − x̂⊙mean(g⊙R{x̂}) − mean(x̂⊙R{z})⊙∂L/∂z)/σ,  R{g} = v_γ⊙∂L/∂u + γ⊙R{∂L/∂u};
 *   (Hv)_γ = Σ_rows (R{∂L/∂u}⊙x̂ + ∂L/∂u⊙R{x̂}),  (Hv)_β = Σ_rows R{∂L/∂u}; the bias's part is 0 (the batch mean takes
 * b out of L). Running statistics: P the identity, σ fixed. stdlib/curvature/rop-hvp.ts does the same in tfjs ops.
 *
 * Memory: hvpPrepare copies the rows (encoded inputs, targets) and θ into memory of its own (an external the
 * JS side frees with hvpFree, or the garbage collector's finalizer): products never read tfjs tensors. The
 * state of every (seed, physical batch) is kept when it all fits in STATE_BUDGET floats, so every product after
 * the first is the R-pass alone; otherwise one state is recomputed per seed and batch in each product (the
 * forward and backward pass again: ~3 of a product's ~5 products per layer).
 */
#define NAPI_VERSION 8
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dync_activations.h"
#include "dync_gemm.h"

/* Loss codes: runtime/kernels/native-fused.ts's FUSED_LOSS_CODES (dync_fused.c's). */
enum { LOSS_MSE = 0, LOSS_HALF_MSE, LOSS_HALF_SSE, LOSS_CROSS_ENTROPY };
/* A layer's batch norm: none, the physical batch's statistics, the running ones (runtime/kernels/native-hvp.ts's codes). */
enum { NORM_NONE = 0, NORM_BATCH, NORM_RUNNING };

#define HVP_HEADER 8
#define HVP_PER_LAYER 7
#define MAX_DEPTH 256
/* Floats of kept state by default (1 GiB); beyond it the state is recomputed per product. */
#define STATE_BUDGET ((size_t)1 << 28)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

typedef struct {
  int fan_in, fan_out, act, has_bias, norm;
  float alpha, eps;
  size_t w_at, b_at, g_at; /* offsets of W_l, b_l and the norm's γ_l (β_l right after) in a seed's flat parameter vector */
  size_t row_at, fixed_at; /* where its state starts: row_at floats per row, then fixed_at floats (per-feature values) */
  size_t work_row_at, work_fixed_at; /* the same in a product's work space */
  float *running;          /* NORM_RUNNING: [S, fan_out] means then [S, fan_out] variances */
} HvpLayer;

typedef struct {
  int seeds, rows, batch, batches, depth, loss, in_dim, out_dim;
  float scale, inv_m;
  size_t params;     /* per seed */
  size_t widths;     /* Σ_l fan_out_l */
  size_t state_row;  /* state floats per row of a (seed, batch) state: per layer 5 (7 with a norm) × fan_out */
  size_t state_fixed; /* and per state: 2 × fan_out per norm layer, then per row p and the mass (cross-entropy) */
  size_t work_row, work_fixed; /* a product's work floats per row (4 or 7 × fan_out per layer) and per batch (a norm's fan_out) */
  HvpLayer layers[MAX_DEPTH];
  float *x, *y, *theta; /* [S, rows, in], [S, rows, out], [S, params] */
  float *states;        /* kept: [S][batches] states of batch·state_row floats; else one */
  int kept;
  double budget;        /* floats of state to keep at most */
  unsigned char *ready; /* kept: per (seed, batch); else ready[0] and which (seed, batch) the one state holds */
  int held_seed, held_batch;
  float *work;          /* a product's R{z}, R{h}, R{e}, R{δ} (norms: R{u}, R{x̂}, R{∂L/∂u}, mean(x̂⊙R{z})) per layer, then a weight-sized gradient */
} Hvp;

/* ---------------------------------------------------------------- elementwise parts */

/*
 * h = σ(z), d1 = σ'(z), d2 = σ''(z) for a nonlinear σ (dync_activations.h's tanh and σ; runtime/nn/activations.ts's
 * definitions): tanh'' = −2t(1 − t²); σ'' = σ(1 − σ)(1 − 2σ); silu'' = σ(1 − σ)(2 + x(1 − 2σ)); xtanh'' =
 * 2(1 − t²)(1 − x·t); gelu'' = φ(x)(2 − x²); softplus'' = σ(1 − σ); relu and leaky_relu 0.
 */
CLONES static void activate_twice(int act, float alpha, const float *restrict z, float *restrict h, float *restrict d1,
                                  float *restrict d2, size_t n) {
  const float inv_sqrt_2pi = 0.3989422804014327f;
  switch (act) {
    case ACT_RELU:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        h[i] = v > 0 ? v : 0.0f;
        d1[i] = v > 0 ? 1.0f : 0.0f;
        d2[i] = 0.0f;
      }
      break;
    case ACT_LEAKY_RELU:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        h[i] = v < 0 ? alpha * v : v;
        d1[i] = v > 0 ? 1.0f : alpha;
        d2[i] = 0.0f;
      }
      break;
    case ACT_TANH:
      for (size_t i = 0; i < n; i++) {
        float t, sech2;
        tanh_parts(z[i], &t, &sech2);
        h[i] = t;
        d1[i] = sech2;
        d2[i] = -2.0f * t * sech2;
      }
      break;
    case ACT_SIGMOID:
      for (size_t i = 0; i < n; i++) {
        float sig, comp;
        sigmoid_parts(z[i], &sig, &comp);
        h[i] = sig;
        d1[i] = sig * comp;
        d2[i] = sig * comp * (comp - sig);
      }
      break;
    case ACT_SILU:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        float sig, comp;
        sigmoid_parts(v, &sig, &comp);
        h[i] = v * sig;
        d1[i] = sig * (1.0f + v * comp);
        d2[i] = sig * comp * (2.0f + v * (comp - sig));
      }
      break;
    case ACT_XTANH:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        float t, sech2;
        tanh_parts(v, &t, &sech2);
        h[i] = v * t;
        d1[i] = t + v * sech2;
        d2[i] = 2.0f * sech2 * (1.0f - v * t);
      }
      break;
    case ACT_GELU:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        const float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
        const float pdf = inv_sqrt_2pi * expf(-0.5f * v * v);
        h[i] = v * cdf;
        d1[i] = cdf + v * pdf;
        d2[i] = pdf * (2.0f - v * v);
      }
      break;
    case ACT_SOFTPLUS:
      for (size_t i = 0; i < n; i++) {
        const float v = z[i];
        float sig, comp;
        sigmoid_parts(v, &sig, &comp);
        h[i] = softplusf(v);
        d1[i] = sig;
        d2[i] = sig * comp;
      }
      break;
    default:
      break;
  }
}

/* σ'' vanishes: identity, relu, leaky_relu (their R{δ} has no curvature term). */
static int piecewise_linear(int act) { return act == ACT_IDENTITY || act == ACT_RELU || act == ACT_LEAKY_RELU; }

/* out = a ⊙ b */
CLONES static void multiply(const float *restrict a, const float *restrict b, float *restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

/* out = d1 ⊙ re + d2 ⊙ rz ⊙ e: R{δ} through a curved activation. */
CLONES static void r_delta(const float *restrict d1, const float *restrict re, const float *restrict d2,
                           const float *restrict rz, const float *restrict e, float *restrict out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = d1[i] * re[i] + d2[i] * rz[i] * e[i];
}

/* total += part (float64 accumulation of a float32 product). */
CLONES static void accumulate(double *restrict total, const float *restrict part, size_t n) {
  for (size_t i = 0; i < n; i++) total[i] += part[i];
}

/* ---------------------------------------------------------------- state of one (seed, physical batch) */

/*
 * A state of `rows` rows: per layer h, σ', σ'', e, δ (norms also x̂ and ∂L/∂u), rows·fan_out floats each, all layers'
 * row arrays first; then per norm layer 1/σ and mean(γ⊙∂L/∂u⊙x̂) (fan_out floats each); then for cross-entropy p
 * and the rows' target mass. A product's work space alike: R{z}, R{h}, R{e}, R{δ} (norms also R{u}, R{x̂} and
 * R{∂L/∂u}) per row, then a norm's mean(x̂⊙R{z}).
 */
static void layout_state(Hvp *H) {
  size_t row = 0, fixed = 0, work_row = 0, work_fixed = 0, widths = 0;
  for (int l = 0; l < H->depth; l++) {
    HvpLayer *L = &H->layers[l];
    const size_t n = (size_t)L->fan_out;
    L->row_at = row;
    L->fixed_at = fixed;
    L->work_row_at = work_row;
    L->work_fixed_at = work_fixed;
    row += (L->norm ? 7 : 5) * n;
    fixed += L->norm ? 2 * n : 0;
    work_row += (L->norm ? 7 : 4) * n;
    work_fixed += L->norm ? n : 0;
    widths += n;
  }
  H->widths = widths;
  H->state_row = row + (H->loss == LOSS_CROSS_ENTROPY ? (size_t)H->out_dim + 1 : 0);
  H->state_fixed = fixed;
  H->work_row = work_row;
  H->work_fixed = work_fixed;
}

/* A layer's arrays in a state of `rows` rows (each rows·fan_out floats; a norm's inv_sigma and gx_mean fan_out). */
typedef struct {
  float *h, *d1, *d2, *e, *delta, *xhat, *gu, *inv_sigma, *gx_mean;
} LayerState;

static LayerState layer_state(const Hvp *H, float *state, int rows, int l) {
  const HvpLayer *L = &H->layers[l];
  const size_t n = (size_t)rows * L->fan_out;
  float *base = state + (size_t)rows * L->row_at;
  float *fixed = state + (size_t)rows * (H->state_row - (H->loss == LOSS_CROSS_ENTROPY ? (size_t)H->out_dim + 1 : 0)) + L->fixed_at;
  if (!L->norm) return (LayerState){base, base + n, base + 2 * n, base + 3 * n, base + 4 * n, NULL, NULL, NULL, NULL};
  return (LayerState){base, base + n, base + 2 * n, base + 3 * n, base + 4 * n, base + 5 * n, base + 6 * n, fixed, fixed + L->fan_out};
}

/* Where a state's cross-entropy arrays start (after every layer's row arrays and the norms' per-feature values). */
static float *state_probs(const Hvp *H, float *state, int rows) {
  return state + (size_t)rows * (H->state_row - (H->loss == LOSS_CROSS_ENTROPY ? (size_t)H->out_dim + 1 : 0)) + H->state_fixed;
}

/* Over the rows of a [rows, n] array a (times b when given): the mean per column, accumulated in double row by row. */
CLONES static void column_mean(const float *restrict a, const float *restrict b, int rows, int n, float *restrict out) {
  double *sum = calloc((size_t)n, sizeof(double));
  for (int r = 0; r < rows; r++) {
    const float *ar = a + (size_t)r * n;
    if (b) {
      const float *br = b + (size_t)r * n;
      for (int j = 0; j < n; j++) sum[j] += (double)ar[j] * br[j];
    } else {
      for (int j = 0; j < n; j++) sum[j] += ar[j];
    }
  }
  for (int j = 0; j < n; j++) out[j] = (float)(sum[j] / rows);
  free(sum);
}

/* The rows of physical batch k: first row and count. */
static int batch_rows(const Hvp *H, int k, int *first) {
  *first = k * H->batch;
  const int left = H->rows - *first;
  return left < H->batch ? left : H->batch;
}

/* The loss's gradient with respect to the output rows into e_L (times scale), and for cross-entropy p and the mass. */
static void loss_gradient(const Hvp *H, const float *out, const float *y, float *e, float *probs, float *mass, int rows) {
  const int c = H->out_dim;
  for (int b = 0; b < rows; b++) {
    const float *h = out + (size_t)b * c, *t = y + (size_t)b * c;
    float *g = e + (size_t)b * c;
    if (H->loss == LOSS_CROSS_ENTROPY) {
      float max = H->scale * h[0];
      for (int j = 1; j < c; j++) max = H->scale * h[j] > max ? H->scale * h[j] : max;
      double sum = 0, m = 0;
      for (int j = 0; j < c; j++) sum += exp((double)(H->scale * h[j]) - max);
      for (int j = 0; j < c; j++) m += t[j];
      mass[b] = (float)m;
      for (int j = 0; j < c; j++) {
        const float p = (float)(exp((double)(H->scale * h[j]) - max) / sum);
        probs[(size_t)b * c + j] = p;
        g[j] = H->scale * H->inv_m * (mass[b] * p - t[j]);
      }
    } else {
      const float factor = H->loss == LOSS_MSE ? 2.0f / (float)c : H->loss == LOSS_HALF_MSE ? 1.0f / (float)c : 1.0f;
      for (int j = 0; j < c; j++) g[j] = H->scale * H->inv_m * factor * (H->scale * h[j] - t[j]);
    }
  }
}

/* A norm's forward pass on z (rows × fan_out, overwritten by u = γ⊙x̂ + β): x̂ and 1/σ into the state. */
static void normalise(const Hvp *H, const HvpLayer *L, int s, const float *theta, float *z, LayerState st, int rows) {
  const int n = L->fan_out;
  const float *gamma = theta + L->g_at, *beta = gamma + n;
  float *mean = st.gx_mean; /* its room holds the mean until the backward pass */
  if (L->norm == NORM_RUNNING) {
    const float *run = L->running + (size_t)s * n, *var = L->running + ((size_t)H->seeds + s) * n;
    for (int j = 0; j < n; j++) {
      mean[j] = run[j];
      st.inv_sigma[j] = 1.0f / sqrtf(var[j] + L->eps);
    }
  } else {
    column_mean(z, NULL, rows, n, mean);
    double *sum = calloc((size_t)n, sizeof(double));
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < n; j++) {
        const double c = (double)z[(size_t)r * n + j] - mean[j];
        sum[j] += c * c;
      }
    for (int j = 0; j < n; j++) st.inv_sigma[j] = 1.0f / sqrtf((float)(sum[j] / rows) + L->eps);
    free(sum);
  }
  for (int r = 0; r < rows; r++) {
    for (int j = 0; j < n; j++) {
      const size_t i = (size_t)r * n + j;
      st.xhat[i] = (z[i] - mean[j]) * st.inv_sigma[j];
      z[i] = gamma[j] * st.xhat[i] + beta[j];
    }
  }
}

/* A norm's backward pass: δ = ∂L/∂z from ∂L/∂u (P(g)/σ, or g/σ under running statistics), and mean(g⊙x̂). */
static void norm_backward(const HvpLayer *L, const float *theta, LayerState st, int rows) {
  const int n = L->fan_out;
  const float *gamma = theta + L->g_at;
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < n; j++) st.delta[(size_t)r * n + j] = gamma[j] * st.gu[(size_t)r * n + j];
  if (L->norm == NORM_RUNNING) {
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < n; j++) st.delta[(size_t)r * n + j] *= st.inv_sigma[j];
    return;
  }
  float *g_mean = malloc((size_t)n * sizeof(float));
  column_mean(st.delta, NULL, rows, n, g_mean);
  column_mean(st.delta, st.xhat, rows, n, st.gx_mean);
  for (int r = 0; r < rows; r++) {
    for (int j = 0; j < n; j++) {
      const size_t i = (size_t)r * n + j;
      st.delta[i] = (st.delta[i] - g_mean[j] - st.xhat[i] * st.gx_mean[j]) * st.inv_sigma[j];
    }
  }
  free(g_mean);
}

/* Forward and backward pass of seed s on batch k into `state`. */
static void compute_state(const Hvp *H, int s, int k, float *state) {
  int first;
  const int rows = batch_rows(H, k, &first);
  const float *theta = H->theta + (size_t)s * H->params;
  const float *in = H->x + ((size_t)s * H->rows + first) * H->in_dim;
  for (int l = 0; l < H->depth; l++) {
    const HvpLayer *L = &H->layers[l];
    const LayerState st = layer_state(H, state, rows, l);
    const size_t n = (size_t)rows * L->fan_out;
    float *z = L->act == ACT_IDENTITY ? st.h : st.delta; /* δ's room holds z until the backward pass */
    if (L->has_bias) {
      for (int b = 0; b < rows; b++) memcpy(z + (size_t)b * L->fan_out, theta + L->b_at, L->fan_out * sizeof(float));
    }
    dync_sgemm(0, 0, rows, L->fan_out, L->fan_in, in, L->fan_in, theta + L->w_at, L->fan_out, L->has_bias ? 1.0f : 0.0f, z, L->fan_out);
    if (L->norm) normalise(H, L, s, theta, z, st, rows);
    if (L->act != ACT_IDENTITY) activate_twice(L->act, L->alpha, z, st.h, st.d1, st.d2, n);
    in = st.h;
  }
  const LayerState top = layer_state(H, state, rows, H->depth - 1);
  float *probs = state_probs(H, state, rows);
  loss_gradient(H, top.h, H->y + ((size_t)s * H->rows + first) * H->out_dim, top.e, probs, probs + (size_t)rows * H->out_dim, rows);
  for (int l = H->depth - 1; l >= 0; l--) {
    const HvpLayer *L = &H->layers[l];
    const LayerState st = layer_state(H, state, rows, l);
    const size_t n = (size_t)rows * L->fan_out;
    float *gu = L->norm ? st.gu : st.delta;
    if (L->act == ACT_IDENTITY) memcpy(gu, st.e, n * sizeof(float));
    else multiply(st.d1, st.e, gu, n);
    if (L->norm) norm_backward(L, theta, st, rows);
    if (l > 0) {
      const LayerState below = layer_state(H, state, rows, l - 1);
      dync_sgemm(0, 1, rows, L->fan_in, L->fan_out, st.delta, L->fan_out, theta + L->w_at, L->fan_out, 0.0f, below.e, L->fan_in);
    }
  }
}

/* The state of (s, k): kept ones computed once, else the one buffer recomputed unless it already holds (s, k). */
static float *state_of(Hvp *H, int s, int k) {
  const size_t size = (size_t)H->batch * H->state_row + H->state_fixed;
  if (H->kept) {
    const size_t index = (size_t)s * H->batches + k;
    float *state = H->states + index * size;
    if (!H->ready[index]) compute_state(H, s, k, state);
    H->ready[index] = 1;
    return state;
  }
  if (!H->ready[0] || H->held_seed != s || H->held_batch != k) compute_state(H, s, k, H->states);
  H->ready[0] = 1;
  H->held_seed = s;
  H->held_batch = k;
  return H->states;
}

/* ---------------------------------------------------------------- the product */

/* R{e_L} = scale²·∇²_o ℓ·R{h_L}/m, row by row. */
static void loss_curvature(const Hvp *H, const float *rh, const float *probs, const float *mass, float *re, int rows) {
  const int c = H->out_dim;
  const float s2m = H->scale * H->scale * H->inv_m;
  if (H->loss != LOSS_CROSS_ENTROPY) {
    const float factor = H->loss == LOSS_MSE ? 2.0f / (float)c : H->loss == LOSS_HALF_MSE ? 1.0f / (float)c : 1.0f;
    for (size_t i = 0; i < (size_t)rows * c; i++) re[i] = s2m * factor * rh[i];
    return;
  }
  for (int b = 0; b < rows; b++) {
    const float *p = probs + (size_t)b * c, *r = rh + (size_t)b * c;
    float *out = re + (size_t)b * c;
    double mean = 0;
    for (int j = 0; j < c; j++) mean += (double)p[j] * r[j];
    for (int j = 0; j < c; j++) out[j] = s2m * mass[b] * p[j] * (r[j] - (float)mean);
  }
}

/* The product's arrays of layer l in the work space: R{z}, R{h}, R{e}, R{δ} (norms: R{u}, R{x̂}, R{∂L/∂u}), each rows·fan_out; a norm's mean(x̂⊙R{z}). */
typedef struct {
  float *rz, *rh, *re, *rdelta, *ru, *rxhat, *rgu, *xrz;
} LayerWork;

static LayerWork layer_work(const Hvp *H, int rows, int l) {
  const HvpLayer *L = &H->layers[l];
  const size_t n = (size_t)rows * L->fan_out;
  float *base = H->work + (size_t)rows * L->work_row_at;
  if (!L->norm) return (LayerWork){base, base + n, base + 2 * n, base + 3 * n, NULL, NULL, NULL, NULL};
  float *fixed = H->work + (size_t)rows * H->work_row + L->work_fixed_at;
  return (LayerWork){base, base + n, base + 2 * n, base + 3 * n, base + 4 * n, base + 5 * n, base + 6 * n, fixed};
}

/* A norm's R-forward: R{x̂} (and mean(x̂⊙R{z}) under batch statistics) and R{u} = v_γ⊙x̂ + γ⊙R{x̂} + v_β. */
static void norm_r_forward(const HvpLayer *L, const float *theta, const float *v, LayerState st, LayerWork w, int rows) {
  const int n = L->fan_out;
  const float *gamma = theta + L->g_at, *vg = v + L->g_at, *vb = vg + n;
  if (L->norm == NORM_BATCH) {
    float *rz_mean = w.rgu; /* free until the backward pass: its first row holds mean(R{z}) */
    column_mean(w.rz, NULL, rows, n, rz_mean);
    column_mean(w.rz, st.xhat, rows, n, w.xrz);
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < n; j++) {
        const size_t i = (size_t)r * n + j;
        w.rxhat[i] = (w.rz[i] - rz_mean[j] - st.xhat[i] * w.xrz[j]) * st.inv_sigma[j];
      }
  } else {
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < n; j++) w.rxhat[(size_t)r * n + j] = w.rz[(size_t)r * n + j] * st.inv_sigma[j];
  }
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < n; j++) {
      const size_t i = (size_t)r * n + j;
      w.ru[i] = vg[j] * st.xhat[i] + gamma[j] * w.rxhat[i] + vb[j];
    }
}

/* A norm's R-backward from R{∂L/∂u} (w.rgu): γ's and β's parts into total, R{∂L/∂z} into w.rdelta (see the header). */
static void norm_r_backward(const HvpLayer *L, const float *theta, const float *v, LayerState st, LayerWork w, int rows, double *total) {
  const int n = L->fan_out;
  const float *gamma = theta + L->g_at, *vg = v + L->g_at;
  double *tg = total + L->g_at, *tb = tg + n;
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < n; j++) {
      const size_t i = (size_t)r * n + j;
      tg[j] += (double)w.rgu[i] * st.xhat[i] + (double)st.gu[i] * w.rxhat[i];
      tb[j] += w.rgu[i];
      w.rgu[i] = vg[j] * st.gu[i] + gamma[j] * w.rgu[i]; /* R{g} from here on */
    }
  if (L->norm == NORM_RUNNING) {
    for (int r = 0; r < rows; r++)
      for (int j = 0; j < n; j++) w.rdelta[(size_t)r * n + j] = w.rgu[(size_t)r * n + j] * st.inv_sigma[j];
    return;
  }
  float *means = malloc(3 * (size_t)n * sizeof(float));
  float *rg_mean = means, *xrg_mean = means + n, *grx_mean = means + 2 * n;
  column_mean(w.rgu, NULL, rows, n, rg_mean);
  column_mean(w.rgu, st.xhat, rows, n, xrg_mean);
  column_mean(st.gu, w.rxhat, rows, n, grx_mean);
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < n; j++) {
      const size_t i = (size_t)r * n + j;
      const float inner = w.rgu[i] - rg_mean[j] - st.xhat[i] * xrg_mean[j] - w.rxhat[i] * st.gx_mean[j] - st.xhat[i] * gamma[j] * grx_mean[j];
      w.rdelta[i] = (inner - w.xrz[j] * st.delta[i]) * st.inv_sigma[j];
    }
  free(means);
}

/* Seed s's product with v (its flat direction) on batch k, added into total (float64). */
static void product_part(Hvp *H, int s, int k, const float *v, double *total) {
  int first;
  const int rows = batch_rows(H, k, &first);
  float *state = state_of(H, s, k);
  const float *theta = H->theta + (size_t)s * H->params;
  const float *x = H->x + ((size_t)s * H->rows + first) * H->in_dim;
  float *grad = H->work + (size_t)H->batch * H->work_row + H->work_fixed;
  for (int l = 0; l < H->depth; l++) {
    const HvpLayer *L = &H->layers[l];
    const LayerState st = layer_state(H, state, rows, l);
    const LayerWork w = layer_work(H, rows, l);
    const float *in = l == 0 ? x : layer_state(H, state, rows, l - 1).h;
    if (L->has_bias) {
      for (int b = 0; b < rows; b++) memcpy(w.rz + (size_t)b * L->fan_out, v + L->b_at, L->fan_out * sizeof(float));
    }
    dync_sgemm(0, 0, rows, L->fan_out, L->fan_in, in, L->fan_in, v + L->w_at, L->fan_out, L->has_bias ? 1.0f : 0.0f, w.rz, L->fan_out);
    if (l > 0) dync_sgemm(0, 0, rows, L->fan_out, L->fan_in, layer_work(H, rows, l - 1).rh, L->fan_in, theta + L->w_at, L->fan_out, 1.0f, w.rz, L->fan_out);
    const size_t n = (size_t)rows * L->fan_out;
    if (L->norm) norm_r_forward(L, theta, v, st, w, rows);
    const float *ru = L->norm ? w.ru : w.rz; /* the activation's input's R */
    if (L->act == ACT_IDENTITY) memcpy(w.rh, ru, n * sizeof(float));
    else multiply(st.d1, ru, w.rh, n);
  }
  const float *probs = state_probs(H, state, rows);
  loss_curvature(H, layer_work(H, rows, H->depth - 1).rh, probs, probs + (size_t)rows * H->out_dim, layer_work(H, rows, H->depth - 1).re, rows);
  for (int l = H->depth - 1; l >= 0; l--) {
    const HvpLayer *L = &H->layers[l];
    const LayerState st = layer_state(H, state, rows, l);
    const LayerWork w = layer_work(H, rows, l);
    const size_t n = (size_t)rows * L->fan_out;
    float *rgu = L->norm ? w.rgu : w.rdelta; /* R{∂L/∂u}: R{δ} itself without a norm */
    const float *ru = L->norm ? w.ru : w.rz;
    if (L->act == ACT_IDENTITY) memcpy(rgu, w.re, n * sizeof(float));
    else if (piecewise_linear(L->act)) multiply(st.d1, w.re, rgu, n);
    else r_delta(st.d1, w.re, st.d2, ru, st.e, rgu, n);
    if (L->norm) norm_r_backward(L, theta, v, st, w, rows, total);
    const float *in = l == 0 ? x : layer_state(H, state, rows, l - 1).h;
    dync_sgemm(1, 0, L->fan_in, L->fan_out, rows, in, L->fan_in, w.rdelta, L->fan_out, 0.0f, grad, L->fan_out);
    if (l > 0) dync_sgemm(1, 0, L->fan_in, L->fan_out, rows, layer_work(H, rows, l - 1).rh, L->fan_in, st.delta, L->fan_out, 1.0f, grad, L->fan_out);
    accumulate(total + L->w_at, grad, (size_t)L->fan_in * L->fan_out);
    if (L->has_bias && L->norm != NORM_BATCH) { /* under batch statistics L does not depend on b: its part is 0 */
      double *tb = total + L->b_at;
      for (int b = 0; b < rows; b++) {
        const float *row = w.rdelta + (size_t)b * L->fan_out;
        for (int j = 0; j < L->fan_out; j++) tb[j] += row[j];
      }
    }
    if (l > 0) {
      float *re_below = layer_work(H, rows, l - 1).re;
      dync_sgemm(0, 1, rows, L->fan_in, L->fan_out, w.rdelta, L->fan_out, theta + L->w_at, L->fan_out, 0.0f, re_below, L->fan_in);
      dync_sgemm(0, 1, rows, L->fan_in, L->fan_out, st.delta, L->fan_out, v + L->w_at, L->fan_out, 1.0f, re_below, L->fan_in);
    }
  }
}

/* ---------------------------------------------------------------- Node-API */

/* The copies and the state returned; H stays (a freed product has x == NULL). */
static void free_arrays(Hvp *H) {
  for (int l = 0; l < H->depth; l++) {
    free(H->layers[l].running);
    H->layers[l].running = NULL;
  }
  free(H->x);
  free(H->y);
  free(H->theta);
  free(H->states);
  free(H->ready);
  free(H->work);
  H->x = H->y = H->theta = H->states = H->work = NULL;
  H->ready = NULL;
}

static void free_hvp(Hvp *H) {
  if (H == NULL) return;
  free_arrays(H);
  free(H);
}

static void finalize_hvp(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free_hvp(data);
}

/* A Float32Array or Float64Array argument's data and length, or NULL (and a TypeError). */
static void *typed_arg(napi_env env, napi_value value, napi_typedarray_type want, size_t *length, const char *what) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, &data, NULL, NULL) != napi_ok || type != want) {
    char message[128];
    snprintf(message, sizeof message, "dync_hvp: %s must be a %s", what, want == napi_float32_array ? "Float32Array" : "Float64Array");
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  return data;
}

static float *copy_floats(const float *from, size_t n) {
  float *to = malloc((n ? n : 1) * sizeof(float));
  if (to) memcpy(to, from, n * sizeof(float));
  return to;
}

/* The header and layers of a descriptor into H; 0 (and a RangeError) when they do not describe a network. */
static int read_descriptor(napi_env env, const double *d, size_t length, Hvp *H) {
  if (length < HVP_HEADER) goto bad;
  H->seeds = (int)d[0];
  H->rows = (int)d[1];
  H->batch = (int)d[2];
  H->depth = (int)d[3];
  H->loss = (int)d[4];
  H->scale = (float)d[5];
  H->inv_m = (float)(1.0 / d[6]);
  H->budget = d[7] > 0 ? d[7] : (double)STATE_BUDGET;
  if (H->seeds < 1 || H->rows < 1 || H->batch < 1 || H->depth < 1 || H->depth > MAX_DEPTH || H->loss < LOSS_MSE ||
      H->loss > LOSS_CROSS_ENTROPY || !(d[6] >= 1) || length != (size_t)(HVP_HEADER + HVP_PER_LAYER * H->depth))
    goto bad;
  if (H->batch > H->rows) H->batch = H->rows;
  H->batches = (H->rows + H->batch - 1) / H->batch;
  size_t at = 0;
  for (int l = 0; l < H->depth; l++) {
    const double *p = d + HVP_HEADER + HVP_PER_LAYER * l;
    HvpLayer *L = &H->layers[l];
    L->fan_in = (int)p[0];
    L->fan_out = (int)p[1];
    L->act = (int)p[2];
    L->alpha = (float)p[3];
    L->has_bias = p[4] != 0;
    L->norm = (int)p[5];
    L->eps = (float)p[6];
    if (L->fan_in < 1 || L->fan_out < 1 || L->act < ACT_IDENTITY || L->act > ACT_SOFTPLUS || (l > 0 && L->fan_in != H->layers[l - 1].fan_out) ||
        L->norm < NORM_NONE || L->norm > NORM_RUNNING || (L->norm && !(p[6] >= 0)))
      goto bad;
    L->w_at = at;
    at += (size_t)L->fan_in * L->fan_out;
    L->b_at = at;
    at += L->has_bias ? (size_t)L->fan_out : 0;
    L->g_at = at;
    at += L->norm ? 2 * (size_t)L->fan_out : 0;
  }
  H->params = at;
  H->in_dim = H->layers[0].fan_in;
  H->out_dim = H->layers[H->depth - 1].fan_out;
  return 1;
bad:
  napi_throw_range_error(env, NULL, "dync_hvp: hvpPrepare: bad descriptor");
  return 0;
}

/*
 * hvpPrepare(descriptor: Float64Array, x: Float32Array, y: Float32Array, theta: Float32Array) → state.
 * descriptor = [S, rows, rows per physical batch, depth, loss, scale, m (rows the loss averages over), state budget
 * in floats (0: STATE_BUDGET), then per
 * layer: fanIn, fanOut, activation, alpha, hasBias, norm (NORM_*), eps]; x [S, rows, fanIn₀] (encoded), y [S, rows,
 * fanOut_last] (cross-entropy: the smoothed target rows), theta [S, P]: per seed W₀, b₀, γ₀, β₀, W₁, … flat (the
 * vectors' layout); running: per NORM_RUNNING layer in order its [S, fanOut] means then [S, fanOut] variances.
 */
static napi_value hvp_prepare(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    napi_throw_type_error(env, NULL, "dync_hvp: hvpPrepare takes (descriptor, x, y, theta, running)");
    return NULL;
  }
  size_t dn, xn, yn, tn;
  const double *d = typed_arg(env, argv[0], napi_float64_array, &dn, "the descriptor");
  const float *x = d ? typed_arg(env, argv[1], napi_float32_array, &xn, "x") : NULL;
  const float *y = x ? typed_arg(env, argv[2], napi_float32_array, &yn, "y") : NULL;
  const float *theta = y ? typed_arg(env, argv[3], napi_float32_array, &tn, "theta") : NULL;
  size_t rn = 0;
  const float *running = theta ? typed_arg(env, argv[4], napi_float32_array, &rn, "running") : NULL;
  bool pending = false;
  /* An empty Float32Array (no running statistics) may have no data pointer: only a thrown TypeError stops here. */
  if (theta == NULL || napi_is_exception_pending(env, &pending) != napi_ok || pending) return NULL;
  Hvp *H = calloc(1, sizeof *H);
  if (H == NULL) goto oom;
  if (!read_descriptor(env, d, dn, H)) {
    free(H);
    return NULL;
  }
  size_t running_floats = 0;
  for (int l = 0; l < H->depth; l++) running_floats += H->layers[l].norm == NORM_RUNNING ? 2 * (size_t)H->seeds * H->layers[l].fan_out : 0;
  if (xn != (size_t)H->seeds * H->rows * H->in_dim || yn != (size_t)H->seeds * H->rows * H->out_dim || tn != (size_t)H->seeds * H->params || rn != running_floats) {
    free(H);
    napi_throw_range_error(env, NULL, "dync_hvp: hvpPrepare: x, y or theta does not match the descriptor");
    return NULL;
  }
  layout_state(H);
  const size_t one = (size_t)H->batch * H->state_row + H->state_fixed;
  const size_t all = one * H->seeds * H->batches;
  H->kept = (double)all <= H->budget;
  size_t widest = 0;
  for (int l = 0; l < H->depth; l++) {
    const size_t w = (size_t)H->layers[l].fan_in * H->layers[l].fan_out;
    widest = w > widest ? w : widest;
  }
  H->x = copy_floats(x, xn);
  H->y = copy_floats(y, yn);
  H->theta = copy_floats(theta, tn);
  H->states = malloc((H->kept ? all : one) * sizeof(float));
  H->ready = calloc(H->kept ? (size_t)H->seeds * H->batches : 1, 1);
  H->work = malloc(((size_t)H->batch * H->work_row + H->work_fixed + widest) * sizeof(float));
  if (!H->x || !H->y || !H->theta || !H->states || !H->ready || !H->work) goto oom;
  for (int l = 0, at = 0; l < H->depth; l++) {
    HvpLayer *L = &H->layers[l];
    if (L->norm != NORM_RUNNING) continue;
    const size_t size = 2 * (size_t)H->seeds * L->fan_out;
    if (!(L->running = copy_floats(running + at, size))) goto oom;
    at += (int)size;
  }
  napi_value external;
  if (napi_create_external(env, H, finalize_hvp, NULL, &external) != napi_ok) goto oom;
  return external;
oom:
  free_hvp(H);
  napi_throw_error(env, NULL, "dync_hvp: out of memory for the Hessian-vector product's state");
  return NULL;
}

/* The Hvp of an external, or NULL (and a TypeError) when it is not one or was freed. */
static Hvp *hvp_of(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL || ((Hvp *)data)->x == NULL) {
    napi_throw_type_error(env, NULL, "dync_hvp: not a prepared Hessian-vector product (or freed)");
    return NULL;
  }
  return data;
}

/* hvpProduct(state, v: Float32Array [S, P], out: Float64Array [S, P]): out = H·v per seed (out overwritten). */
static napi_value hvp_product(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) {
    napi_throw_type_error(env, NULL, "dync_hvp: hvpProduct takes (state, v, out)");
    return NULL;
  }
  Hvp *H = hvp_of(env, argv[0]);
  size_t vn, on;
  const float *v = H ? typed_arg(env, argv[1], napi_float32_array, &vn, "v") : NULL;
  double *out = v ? typed_arg(env, argv[2], napi_float64_array, &on, "out") : NULL;
  if (out == NULL) return NULL;
  if (vn != (size_t)H->seeds * H->params || on != vn) {
    napi_throw_range_error(env, NULL, "dync_hvp: hvpProduct: v and out must hold seeds × parameters entries");
    return NULL;
  }
  memset(out, 0, on * sizeof(double));
  for (int s = 0; s < H->seeds; s++) {
    for (int k = 0; k < H->batches; k++) product_part(H, s, k, v + (size_t)s * H->params, out + (size_t)s * H->params);
  }
  return NULL;
}

/* hvpFree(state): the state's memory returned now (the external stays, unusable). */
static napi_value hvp_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "dync_hvp: hvpFree takes a prepared Hessian-vector product");
    return NULL;
  }
  free_arrays(data);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"hvpPrepare", NULL, hvp_prepare, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hvpProduct", NULL, hvp_product, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hvpFree", NULL, hvp_free, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
