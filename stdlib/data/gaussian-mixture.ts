/**
 * Class-structured Gaussian mixtures (feature-diversity notes: small synthetic classification data for fast
 * runs). Class means μ_c ~ N(0, (separation²/d)·I), so E‖μ_c‖² = separation²; classes are balanced
 * (sizes differ by at most one) and shuffled; a point of class c is x = μ_c + std·ε with ε ~ N(0, I).
 *
 * The means are the task: they come from the task stream, which does not depend on the data set, so a
 * training set and a held-out set with the same `d`, `classes` and `separation` share them; labels and
 * points come from the data set's own sample stream. Means are drawn row by row (class 0's d coordinates
 * first), so a mixture with fewer classes or the same classes and a different separation shares a prefix.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { drawInBlocks, type Rng } from "../../runtime/rng.js";
import type { DataStreams } from "./inputs.js";
import { classTargets } from "./classes.js";
import { checkCount, defaultInputNames, invalid } from "./inputs.js";

export interface GaussianMixtureOptions {
  name: string;
  n: number;
  d: number;
  classes: number;
  /** Scale of the class means: E‖μ_c‖² = separation². */
  separation: number;
  /** Within-class standard deviation per coordinate. */
  std: number;
  /** One-hot targets (default) or the label as a number. */
  oneHot?: boolean;
}

export interface GaussianMixtureDataset extends Dataset {
  readonly labels: Int32Array;
  readonly numClasses: number;
  /** Class means, classes × d, row-major (float64). */
  readonly means: Float64Array;
}

/** Means from the task stream (fork `means`); balanced shuffled labels (fork `labels`) and points (fork `points`) from the sample stream. */
export function gaussianMixture(streams: DataStreams, options: GaussianMixtureOptions): GaussianMixtureDataset {
  const n = checkCount(options.n, "n");
  const d = checkCount(options.d, "d");
  const classes = checkCount(options.classes, "classes");
  if (!(options.separation >= 0 && options.std >= 0)) {
    invalid(`a Gaussian mixture needs separation >= 0 and std >= 0, got ${options.separation} and ${options.std}`);
  }
  const means = drawMeans(streams.task.fork("means"), classes, d, options.separation);
  const labels = balancedLabels(streams.samples.fork("labels"), n, classes);
  const x = new Float32Array(n * d);
  // x[i, j] = mean[label_i, j] + std·z with the z drawn in order (point by point), in bulk
  drawInBlocks(streams.samples.fork("points"), "normal", n * d, (z, start, length) => {
    let i = Math.floor(start / d);
    let j = start - i * d;
    for (let k = 0; k < length; k++) {
      x[start + k] = means[labels[i]! * d + j]! + options.std * z[k]!;
      if (++j === d) {
        j = 0;
        i++;
      }
    }
  });
  const { y, yDim } = classTargets(labels, classes, options.oneHot ?? true);
  const inputNames = defaultInputNames(d);
  return { name: options.name, n, xShape: [d], x, yDim, y, labels, numClasses: classes, inputNames, means };
}

function drawMeans(rng: Rng, classes: number, d: number, separation: number): Float64Array {
  const scale = separation / Math.sqrt(d);
  const means = new Float64Array(classes * d);
  rng.normals(means, 0, means.length, scale);
  return means;
}

/** Labels 0..C−1 with class c appearing ⌊n/C⌋ or ⌊n/C⌋+1 times, in a random order. */
function balancedLabels(rng: Rng, n: number, classes: number): Int32Array {
  const order = rng.permutation(n);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) labels[order[k]!] = k % classes;
  return labels;
}
