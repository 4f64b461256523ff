/**
 * `shuffle_labels: s` of the labelled image sources: the targets permuted across the samples (Zhang et al.'s
 * random labels), so every image keeps its pixels and some other image's label. The permutation is
 * `new Rng(s).fork("shuffle_labels").permutation(n)`: fixed by the seed `s` the program states and the data
 * set's size alone, the same for every seed of the run (all nets fit the same random labelling), and
 * reproducible from the program text.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { Rng } from "../../runtime/rng.js";

/** The permutation `shuffle_labels: seed` applies to a data set of `n` samples: sample i gets the label of sample perm[i]. */
export function labelPermutation(seed: number, n: number): Int32Array {
  return new Rng(seed).fork("shuffle_labels").permutation(n);
}

/** `dataset` with target rows (and class labels) permuted across its samples by `labelPermutation(seed, n)`; inputs unchanged. */
export function shuffleLabels<D extends Dataset>(dataset: D, seed: number): D {
  const perm = labelPermutation(seed, dataset.n);
  const y = new Float32Array(dataset.y.length);
  for (let i = 0; i < dataset.n; i++) y.set(dataset.y.subarray(perm[i]! * dataset.yDim, (perm[i]! + 1) * dataset.yDim), i * dataset.yDim);
  const labels = dataset.labels ? Int32Array.from(perm, (j) => dataset.labels![j]!) : undefined;
  return { ...dataset, y, ...(labels ? { labels } : {}) };
}
