/**
 * The in-memory form every data source produces and the training loop consumes.
 *
 * Values live in JS typed arrays (row-major, sample-first) so that loaders, generators and float64
 * analyses need no backend; the training loop uploads them to tensors once.
 */
export interface Dataset {
  /** The name the `.dyn` file gave it, e.g. `train`. */
  readonly name: string;
  /** Number of samples. */
  readonly n: number;
  /** Shape of one input sample: `[1]` for 1-D regression, `[28, 28, 1]` for an MNIST image (HWC). */
  readonly xShape: readonly number[];
  /** Inputs, `n * prod(xShape)` values, sample-major. */
  readonly x: Float32Array;
  /** Width of one target row (`1` for scalar regression; `numClasses` when targets are one-hot). */
  readonly yDim: number;
  /** Targets, `n * yDim` values, sample-major (one-hot rows for classification). */
  readonly y: Float32Array;
  /** Class labels for classification data, `n` values in `[0, numClasses)`. */
  readonly labels?: Int32Array;
  readonly numClasses?: number;
  /** Names of the input variables for synthetic data (`["x"]`, `["x1", "x2"]`), for plots and target code. */
  readonly inputNames?: readonly string[];
}

export function sampleSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
