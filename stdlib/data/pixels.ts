/** Pixel scaling shared by the image loaders (MNIST, CIFAR, PNG), and the `limit` option. */
import { invalid } from "./inputs.js";

/**
 * `unit`: v/255 in [0, 1] (default); `symmetric`: (v/255 − 0.5)/0.5 in [−1, 1] (spectral-bias notes);
 * `raw`: the byte value 0..255; `{ mean, std }`: (v/255 − mean_c)/std_c per channel c (scalars apply to all).
 */
export type PixelNormalization = "unit" | "symmetric" | "raw" | { mean: number | readonly number[]; std: number | readonly number[] };

/** Per-channel affine maps byte ↦ scale·byte + offset implementing a normalization for `channels` channels. */
export function pixelAffine(
  normalization: PixelNormalization,
  channels: number,
  maxValue = 255,
): { scale: Float64Array; offset: Float64Array } {
  const scale = new Float64Array(channels);
  const offset = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    if (normalization === "unit") [scale[c], offset[c]] = [1 / maxValue, 0];
    else if (normalization === "symmetric") [scale[c], offset[c]] = [2 / maxValue, -1];
    else if (normalization === "raw") [scale[c], offset[c]] = [1, 0];
    else {
      const mean = channelValue(normalization.mean, c, channels, "mean");
      const std = channelValue(normalization.std, c, channels, "std");
      if (!(std > 0)) invalid(`pixel normalization needs std > 0, got ${std}`);
      [scale[c], offset[c]] = [1 / (maxValue * std), -mean / std];
    }
  }
  return { scale, offset };
}

/** How many samples to keep: all of `available`, or the first `limit` (more than available is RUN040). */
export function applyLimit(limit: number | undefined, available: number, what: string): number {
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 1) invalid(`limit must be a positive integer, got ${limit}`);
  if (limit > available) invalid(`limit ${limit} exceeds the ${available} samples of ${what}`);
  return limit;
}

function channelValue(value: number | readonly number[], c: number, channels: number, what: string): number {
  if (typeof value === "number") return value;
  if (value.length !== channels) invalid(`pixel normalization ${what} has ${value.length} values for ${channels} channels`);
  return value[c]!;
}
