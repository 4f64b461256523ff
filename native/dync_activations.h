/*
 * The activations' elementwise parts shared by dync's native kernels (dync_fused.c: the fused training step;
 * dync_hvp.c: the Hessian-vector product), so both compute tanh, σ, e^x and softplus with the same formulas
 * and round alike. Static inline: each addon compiles its own copy (with its own target_clones).
 */
#ifndef DYNC_ACTIVATIONS_H
#define DYNC_ACTIVATIONS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Activation codes; runtime/kernels/native-fused.ts holds the same table (native-hvp.ts uses it too). */
enum { ACT_IDENTITY = 0, ACT_RELU, ACT_LEAKY_RELU, ACT_TANH, ACT_SIGMOID, ACT_SILU, ACT_XTANH, ACT_GELU, ACT_SOFTPLUS };

/*
 * exp, tanh and sigmoid as dync's wasm SIMD kernels compute them (runtime/kernels/simd-source.ts: Cephes'
 * expf with a magic-bias exponent, Cephes' tanhf; derivatives that do not cancel in the tails), written
 * branch-free so gcc vectorizes the loops (libm's tanhf/expf calls made the step slower than the taped one).
 */
static inline float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint32_t to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* e^(−a) for a ≥ 0, clamped at e^(−87); NaN stays NaN. */
static inline float exp_neg(float a) {
  const float t = -a < -87.0f ? -87.0f : -a;
  const float z = t * 1.44269504088896341f + 12583039.0f;
  const float n = z - 12583039.0f;
  const float r = (t - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return ((p * (r * r) + r) + 1.0f) * from_bits(to_bits(z) << 23);
}

/* tanh(x) into *t and 1 − tanh²(x) into *sech2. */
static inline void tanh_parts(float x, float *t, float *sech2) {
  const float abs = fabsf(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z + -5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z + -3.33332819422e-1f;
  p = p * z * x + x;
  const float e = exp_neg(abs + abs);
  const float d = 1.0f + e;
  const int small = abs < 0.625f;
  *t = small ? p : copysignf((1.0f - e) / d, x);
  *sech2 = small ? 1.0f - p * p : (4.0f * e) / (d * d);
}

/* σ(x) into *sig and 1 − σ(x) into *comp. */
static inline void sigmoid_parts(float x, float *sig, float *comp) {
  const float e = exp_neg(fabsf(x));
  const float s = 1.0f / (1.0f + e);
  const float es = e * s;
  *sig = x >= 0 ? s : es;
  *comp = x >= 0 ? es : s;
}

/* tfjs's Softplus: exp(x) below log(ε) + 2, x above −(log(ε) + 2), log(1 + exp(x)) between (ε = 2^-23). */
static inline float softplusf(float z) {
  const float threshold = -15.942385f; /* log(1.1920928955078125e-7) + 2 */
  if (z > -threshold) return z;
  if (z < threshold) return expf(z);
  return logf(1.0f + expf(z));
}

#endif
