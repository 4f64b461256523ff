/**
 * A data set on the backend for probes: uploaded once per run, read in chunks of rows so that a probe over
 * a large data set and many seeds never builds one huge `[S, n, …]` tensor.
 */
import { tf } from "../../runtime/tf.js";
import { sampleSize, type Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

/** Seed-rows per chunk: S · rows ≤ this, which bounds a chunk's activations to a few MB per unit of width. */
const CHUNK_SEED_ROWS = 1 << 16;

/** A chunk of rows `[start, start + count)`. */
export interface RowRange {
  readonly start: number;
  readonly count: number;
}

export class EvalData {
  readonly name: string;
  readonly n: number;
  readonly xShape: readonly number[];
  readonly yDim: number;
  /** Whether all seeds share one data set (stored once, tiled per chunk). */
  readonly shared: boolean;
  /** The host data sets (one shared, or one per seed index), by reference: for samplers that read rows and labels in JS. */
  readonly sets: readonly Dataset[];
  /** Inputs `[D, n, ...xShape]` with D = 1 (shared) or S. */
  private readonly x: tf.Tensor;
  /** Targets `[D, n, yDim]`. */
  private readonly y: tf.Tensor;

  /** `chunkSeedRows`: largest S · rows evaluated at once (smaller values only to test the chunking). */
  constructor(
    datasets: readonly Dataset[],
    readonly seeds: number,
    private readonly chunkSeedRows: number = CHUNK_SEED_ROWS,
  ) {
    const first = datasets[0];
    if (!first || (datasets.length !== 1 && datasets.length !== seeds)) {
      throw new DyncRuntimeError("RUN040", `a probe data set needs one data set or one per seed (${seeds}), got ${datasets.length}`);
    }
    this.name = first.name;
    this.n = first.n;
    this.xShape = first.xShape;
    this.yDim = first.yDim;
    this.shared = datasets.length === 1;
    this.sets = datasets;
    const D = datasets.length;
    this.x = tf.tensor(concat(datasets.map((d) => d.x)), [D, this.n, ...this.xShape]);
    this.y = tf.tensor(concat(datasets.map((d) => d.y)), [D, this.n, this.yDim]);
    if (datasets.some((d) => d.n !== this.n || d.yDim !== this.yDim || sampleSize(d.xShape) !== sampleSize(this.xShape))) {
      this.dispose();
      throw new DyncRuntimeError("RUN040", `the per-seed copies of data set "${this.name}" differ in size or shape`);
    }
  }

  /** Seed index s's host copy of the data set. */
  hostSet(s: number): Dataset {
    return this.sets[this.shared ? 0 : s]!;
  }

  /** Row ranges covering all n rows, each small enough to evaluate at once for every seed. */
  chunks(): RowRange[] {
    const size = Math.max(1, Math.floor(this.chunkSeedRows / this.seeds));
    const out: RowRange[] = [];
    for (let start = 0; start < this.n; start += size) out.push({ start, count: Math.min(size, this.n - start) });
    return out;
  }

  /** Rows of `range` as `[S, count, ...]` inputs and `[S, count, yDim]` targets; the caller disposes them (or tidies). */
  rows(range: RowRange): { x: tf.Tensor; y: tf.Tensor } {
    return tf.tidy(() => ({ x: this.seedRows(this.x, range), y: this.seedRows(this.y, range) }));
  }

  /**
   * Rows chosen per seed: `rows[s]` (all of one length m) are seed index s's row indices, each in [0, n).
   * Inputs `[S, m, ...xShape]` and targets `[S, m, yDim]`; the caller disposes them (or tidies).
   */
  gather(rows: readonly Int32Array[]): { x: tf.Tensor; y: tf.Tensor } {
    const m = rows[0]?.length ?? 0;
    if (rows.length !== this.seeds || rows.some((r) => r.length !== m)) {
      throw new DyncRuntimeError("RUN040", `gather needs ${this.seeds} row lists of one length, got lengths [${rows.map((r) => r.length)}]`);
    }
    const flat = new Int32Array(this.seeds * m);
    rows.forEach((r, s) => {
      const offset = this.shared ? 0 : s * this.n;
      r.forEach((row, k) => {
        if (!(row >= 0 && row < this.n)) throw new DyncRuntimeError("RUN040", `row ${row} is outside data set "${this.name}" (${this.n} rows)`);
        flat[s * m + k] = offset + row;
      });
    });
    return tf.tidy(() => {
      const index = tf.tensor1d(flat, "int32");
      const pick = (t: tf.Tensor) => {
        const [D, n, ...rest] = t.shape;
        const picked = tf.gather(tf.reshape(t, [D! * n!, ...rest]), index);
        return tf.reshape(picked, [this.seeds, m, ...rest]);
      };
      return { x: pick(this.x), y: pick(this.y) };
    });
  }

  dispose(): void {
    tf.dispose([this.x, this.y]);
  }

  private seedRows(t: tf.Tensor, { start, count }: RowRange): tf.Tensor {
    const begin = [0, start, ...Array<number>(t.rank - 2).fill(0)];
    const size = [-1, count, ...Array<number>(t.rank - 2).fill(-1)];
    const part = tf.slice(t, begin, size);
    return this.shared ? tf.tile(part, [this.seeds, ...Array<number>(t.rank - 1).fill(1)]) : part;
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
