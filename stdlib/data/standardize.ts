/**
 * Per-pixel standardisation (Cohen et al.'s CIFAR preprocessing, `cifar.py`: center, then standardize): each
 * input value j of a sample becomes (x_j − μ_j)/σ_j with μ_j and σ_j the mean and population standard
 * deviation of value j over the *training* set's samples, and every data set is transformed with those same
 * statistics, so a held-out set sees the training set's preprocessing. A value constant over the training
 * samples (σ_j = 0, e.g. MNIST's border pixels) is only centred, as scikit-learn's StandardScaler does.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

/** Per input value j: the training set's mean μ_j and the divisor σ_j (its std, or 1 where that is 0). */
export interface PixelStatistics {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

/** μ and σ of every input value over the samples of `train`, summed in float64 (two passes). */
export function pixelStatistics(train: Dataset): PixelStatistics {
  const d = train.x.length / train.n;
  const mean = new Float64Array(d);
  for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) mean[j]! += train.x[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= train.n;
  const scale = new Float64Array(d);
  for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) scale[j]! += (train.x[i * d + j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]! / train.n) || 1;
  return { mean, scale };
}

/** `data` with every input value standardised by `stats` (which must have one entry per input value). */
export function standardizePixels(data: Dataset, stats: PixelStatistics): Dataset {
  const d = data.x.length / data.n;
  if (d !== stats.mean.length) {
    throw new DyncRuntimeError("RUN040", `data set "${data.name}" has ${d} values per sample but the training set's statistics have ${stats.mean.length}; standardize: pixel needs equal shapes`);
  }
  const x = new Float32Array(data.x.length);
  for (let i = 0; i < data.n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (data.x[i * d + j]! - stats.mean[j]!) / stats.scale[j]!;
  return { ...data, x };
}
