/** Packaging decoded byte images (HWC) and their labels as a classification `Dataset`. */
import type { Dataset } from "../../runtime/dataset.js";
import { classTargets } from "./classes.js";
import { pixelAffine, type PixelNormalization } from "./pixels.js";

export interface ImageClassificationDataset extends Dataset {
  readonly labels: Int32Array;
  readonly numClasses: number;
  /** Human-readable class names, index = label. */
  readonly classNames: readonly string[];
}

export interface LabelledImages {
  name: string;
  /** n·h·w·c bytes, sample-major, HWC. */
  pixels: Uint8Array;
  /** [h, w, c] */
  shape: readonly [number, number, number];
  labels: Int32Array;
  classNames: readonly string[];
  normalize: PixelNormalization;
  oneHot: boolean;
}

/** Scale the bytes per channel and attach one-hot (or numeric) targets. */
export function labelledImages(images: LabelledImages): ImageClassificationDataset {
  const channels = images.shape[2];
  const { scale, offset } = pixelAffine(images.normalize, channels);
  const x = new Float32Array(images.pixels.length);
  for (let k = 0; k < x.length; k++) {
    const c = k % channels;
    x[k] = images.pixels[k]! * scale[c]! + offset[c]!;
  }
  const numClasses = images.classNames.length;
  const { y, yDim } = classTargets(images.labels, numClasses, images.oneHot);
  return {
    name: images.name,
    n: images.labels.length,
    xShape: [...images.shape],
    x,
    yDim,
    y,
    labels: images.labels,
    numClasses,
    classNames: images.classNames,
  };
}
