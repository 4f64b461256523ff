/**
 * Training data on the backend: uploaded once, then minibatches are gathered by index with tf.gather.
 * Seeds either share one dataset or each has its own (same size and shapes), e.g. per-seed noise draws.
 */
import { tf } from "../tf.js";
import { nativeGatherRows } from "../kernels/native-fused.js";
import { sampleSize, type Dataset } from "../dataset.js";
import { DyncRuntimeError } from "../errors.js";

/** Inputs `[S, B, ...xShape]` and targets `[S, B, yDim]` of one batch; the holder disposes them. */
export interface BatchTensors {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/** The datasets of one seed-batched run as tensors. */
export class TrainData {
  readonly n: number;
  readonly xShape: readonly number[];
  readonly yDim: number;
  /** Whether all seeds train on one dataset. */
  readonly shared: boolean;
  /** Flat inputs `[D·n, ...xShape]`: D = 1 when shared, S otherwise (seed s owns rows s·n … s·n + n − 1). */
  readonly x: tf.Tensor;
  /** Flat targets `[D·n, yDim]`. */
  readonly y: tf.Tensor2D;
  /** The datasets as given: one when shared, else one per seed index. */
  readonly datasets: readonly Dataset[];
  private fullBatch: BatchTensors | undefined;

  constructor(
    data: Dataset | readonly Dataset[],
    readonly seeds: number,
  ) {
    const list: readonly Dataset[] = Array.isArray(data) ? data : [data as Dataset];
    this.shared = list.length === 1;
    if (!this.shared && list.length !== seeds) {
      throw new DyncRuntimeError("RUN040", `${list.length} per-seed datasets given for ${seeds} seeds`);
    }
    const first = list[0]!;
    checkConsistent(list);
    this.n = first.n;
    this.xShape = first.xShape;
    this.yDim = first.yDim;
    this.x = tf.tensor(concat(list.map((d) => d.x)), [list.length * this.n, ...this.xShape]);
    this.y = tf.tensor2d(concat(list.map((d) => d.y)), [list.length * this.n, this.yDim]);
    this.datasets = list;
  }

  /** The whole dataset as one batch `[S, n, ...]`, built once and kept (full-batch training, probes). */
  full(): BatchTensors {
    if (!this.fullBatch) {
      const S = this.seeds;
      this.fullBatch = tf.tidy(() => {
        const x = tf.reshape(this.x, [this.shared ? 1 : S, this.n, ...this.xShape]);
        const y = tf.reshape(this.y, [this.shared ? 1 : S, this.n, this.yDim]);
        return this.shared
          ? { x: tf.tile(x, [S, ...Array<number>(x.rank - 1).fill(1)]), y: tf.tile(y, [S, 1, 1]) }
          : { x: tf.clone(x), y: tf.clone(y) };
      });
    }
    return this.fullBatch;
  }

  /** Rows `indices[s]` of seed s's data, stacked to `[S, B, ...]` (all seeds must take B rows). */
  gather(indices: readonly Int32Array[]): BatchTensors {
    if (indices.length !== this.seeds) throw new DyncRuntimeError("RUN040", `got indices for ${indices.length} of ${this.seeds} seeds`);
    const B = indices[0]!.length;
    const flat = new Int32Array(this.seeds * B);
    indices.forEach((rows, s) => {
      if (rows.length !== B) throw new DyncRuntimeError("RUN040", "every seed's batch must have the same size");
      const offset = this.shared ? 0 : s * this.n;
      for (let i = 0; i < B; i++) flat[s * B + i] = rows[i]! + offset;
    });
    // On the native path one row copy per tensor (tfjs's wasm Gather is slow per element; bitwise the same rows).
    const native = tf.tidy(() => {
      const x = nativeGatherRows(this.x, flat);
      const y = x && nativeGatherRows(this.y, flat);
      return x && y ? { x: tf.reshape(x, [this.seeds, B, ...this.xShape]), y: tf.reshape(y, [this.seeds, B, this.yDim]) } : undefined;
    });
    if (native) return native;
    return tf.tidy(() => {
      const idx = tf.tensor1d(flat, "int32");
      return {
        x: tf.reshape(tf.gather(this.x, idx), [this.seeds, B, ...this.xShape]),
        y: tf.reshape(tf.gather(this.y, idx), [this.seeds, B, this.yDim]),
      };
    });
  }

  dispose(): void {
    tf.dispose([this.x, this.y]);
    if (this.fullBatch) tf.dispose([this.fullBatch.x, this.fullBatch.y]);
    this.fullBatch = undefined;
  }
}

function checkConsistent(list: readonly Dataset[]): void {
  if (list.length === 0) throw new DyncRuntimeError("RUN040", "training needs a dataset");
  const first = list[0]!;
  for (const d of list) {
    const sameShape = d.xShape.length === first.xShape.length && d.xShape.every((v, i) => v === first.xShape[i]);
    if (d.n !== first.n || !sameShape || d.yDim !== first.yDim) {
      throw new DyncRuntimeError(
        "RUN040",
        `per-seed datasets must agree in size and shapes: "${d.name}" has n=${d.n}, x [${d.xShape}], y ${d.yDim} but "${first.name}" has n=${first.n}, x [${first.xShape}], y ${first.yDim}`,
      );
    }
    if (d.x.length !== d.n * sampleSize(d.xShape) || d.y.length !== d.n * d.yDim) {
      throw new DyncRuntimeError("RUN040", `dataset "${d.name}": x or y length does not match n=${d.n} and its shapes`);
    }
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
