/**
 * Input encodings applied before the first layer, on `[S, B, d]` inputs:
 * - `coords`: rescale each coordinate affinely from a domain to a range, e.g. [0, 1] → [−1, 1];
 * - `fourier`: NeRF positional encoding with L levels, per level k < L and per coordinate [sin(2^k π x), cos(2^k π x)]
 *   (the order of the spectral-bias paper's code), optionally preceded by x itself;
 * - `gaussian_features`: Gaussian Fourier features [sin(2π xB), cos(2π xB)] with B `[d, m]` ~ N(0, σ²) fixed per seed,
 *   drawn from `new Rng(seed).fork("encoding")` (Tancik et al. 2020), optionally preceded by x.
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import { Rng } from "../rng.js";
import { bmm } from "./bmm.js";
import { nativeSinCos } from "../kernels/native-fused.js";
import type { EncodingSpec } from "../../contract/model-specs.js";
export type { EncodingSpec } from "../../contract/model-specs.js";

/** An encoding ready to apply: output width, the function, and the constants it owns. */
export interface Encoding {
  readonly spec: EncodingSpec;
  readonly outDim: number;
  /** Differentiable (on the tape, with exact derivatives of every order). */
  apply(x: tf.Tensor3D): tf.Tensor3D;
  /**
   * The same function for training's fused step, which does not differentiate it: sin and cos in one native
   * call where the native path serves (float32 roundings of sin/cos may differ from tfjs's in the last bit).
   */
  encodeRows(x: tf.Tensor3D): tf.Tensor3D;
  dispose(): void;
}

/** [sin a, cos a] on the tape. */
type SinCos = (angles: tf.Tensor) => [tf.Tensor, tf.Tensor];
const tapedSinCos: SinCos = (angles) => [tf.sin(angles), tf.cos(angles)];
const fixedSinCos: SinCos = (angles) => nativeSinCos(angles) ?? tapedSinCos(angles);

/** Build the encoding for inputs of width `inDim` and the given seed values. */
export function createEncoding(spec: EncodingSpec, inDim: number, seeds: readonly number[]): Encoding {
  switch (spec.kind) {
    case "coords":
      return coordsEncoding(spec, inDim);
    case "fourier":
      return nerfEncoding(spec, inDim);
    case "gaussian_features":
      return gaussianEncoding(spec, inDim, seeds);
    default:
      throw new DyncRuntimeError("RUN040", `unknown input encoding ${JSON.stringify(spec)}`);
  }
}

function coordsEncoding(spec: Extract<EncodingSpec, { kind: "coords" }>, inDim: number): Encoding {
  const [d0, d1] = spec.domain ?? [0, 1];
  const [r0, r1] = spec.range;
  if (!(d1 > d0) || !(Number.isFinite(r0) && Number.isFinite(r1))) {
    throw new DyncRuntimeError("RUN040", `coords encoding needs a domain lo < hi and a finite range, got [${d0}, ${d1}] → [${r0}, ${r1}]`);
  }
  const scale = (r1 - r0) / (d1 - d0);
  const apply = (x: tf.Tensor3D) => tf.add(tf.mul(tf.sub(x, d0), scale), r0) as tf.Tensor3D;
  return { spec, outDim: inDim, apply, encodeRows: apply, dispose: () => undefined };
}

function nerfEncoding(spec: Extract<EncodingSpec, { kind: "fourier" }>, inDim: number): Encoding {
  const L = spec.L;
  if (!(Number.isInteger(L) && L >= 1)) throw new DyncRuntimeError("RUN040", `fourier encoding needs L >= 1, got ${L}`);
  const freqs = Array.from({ length: L }, (_, k) => 2 ** k * Math.PI);
  const freqTensor = tf.tensor(freqs, [L, 1]);
  const encode = (sinCos: SinCos) => (x: tf.Tensor3D) => {
    const [S, B] = x.shape;
    const angles = tf.mul(tf.expandDims(x, 2), freqTensor); // [S, B, L, d]
    // [S, B, L, d, 2], stacked along a new first axis and transposed: the same values as stacking on the
    // last axis, but tfjs's wasm Pack copies per row, i.e. per element on the last axis (~9× slower).
    const pairs = tf.transpose(tf.stack(sinCos(angles)), [1, 2, 3, 4, 0]);
    const flat = tf.reshape(pairs, [S, B, 2 * L * inDim]) as tf.Tensor3D;
    return spec.include_input ? (tf.concat([x, flat], 2) as tf.Tensor3D) : flat;
  };
  return {
    spec,
    outDim: 2 * L * inDim + (spec.include_input ? inDim : 0),
    apply: encode(tapedSinCos),
    encodeRows: encode(fixedSinCos),
    dispose: () => freqTensor.dispose(),
  };
}

function gaussianEncoding(spec: Extract<EncodingSpec, { kind: "gaussian_features" }>, inDim: number, seeds: readonly number[]): Encoding {
  const { sigma, features: m } = spec;
  if (!(Number.isInteger(m) && m >= 1) || !(sigma > 0)) {
    throw new DyncRuntimeError("RUN040", `gaussian features need features >= 1 and sigma > 0, got ${m}, ${sigma}`);
  }
  const values = new Float32Array(seeds.length * inDim * m);
  seeds.forEach((seed, s) => new Rng(seed).fork("encoding").normals(values, s * inDim * m, inDim * m, sigma));
  // 2π folded into the constant matrix: xB' with B' = 2πB.
  const projection = tf.tidy(() => tf.mul(tf.tensor3d(values, [seeds.length, inDim, m]), 2 * Math.PI)) as tf.Tensor3D;
  const encode = (sinCos: SinCos) => (x: tf.Tensor3D) => {
    const feats = tf.concat(sinCos(bmm(x, projection)), 2) as tf.Tensor3D;
    return spec.include_input ? (tf.concat([x, feats], 2) as tf.Tensor3D) : feats;
  };
  return {
    spec,
    outDim: 2 * m + (spec.include_input ? inDim : 0),
    apply: encode(tapedSinCos),
    encodeRows: encode(fixedSinCos),
    dispose: () => projection.dispose(),
  };
}

/** The frequency matrix B `[d, m]` of seed value `seed` (for records and tests), σ·N(0,1) draws row-major. */
export function gaussianFeatureMatrix(seed: number, inDim: number, features: number, sigma: number): Float64Array {
  const matrix = new Float64Array(inDim * features);
  new Rng(seed).fork("encoding").normals(matrix, 0, matrix.length, sigma);
  return matrix;
}
