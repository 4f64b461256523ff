/** Class labels → target rows, shared by the classification sources (mixtures, MNIST, CIFAR). */

/** One-hot rows: n × numClasses, row i has a 1 at labels[i]. */
export function oneHot(labels: Int32Array, numClasses: number): Float32Array {
  const y = new Float32Array(labels.length * numClasses);
  labels.forEach((label, i) => (y[i * numClasses + label] = 1));
  return y;
}

/** Targets for a classification dataset: one-hot rows (yDim = numClasses), or the label as a number (yDim = 1). */
export function classTargets(
  labels: Int32Array,
  numClasses: number,
  asOneHot: boolean,
): { y: Float32Array; yDim: number } {
  return asOneHot ? { y: oneHot(labels, numClasses), yDim: numClasses } : { y: Float32Array.from(labels), yDim: 1 };
}
