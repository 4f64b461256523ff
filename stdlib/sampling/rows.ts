/**
 * A data set as samplers read it: one seed's copy of its rows on the host (inputs as float32, labels when
 * it has classes), and the two geometries samplers ask for: the order of a one-input data set along its
 * input, and the 2-D lattice of a two-input grid. The lattice is read off the inputs themselves (as
 * `plot image` reads its grid off the recorded coordinates), so any row order and any source whose rows
 * are a full grid — `grid(x in …, y in …)`, a coordinate image — qualifies, and nothing else does.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { sampleSize } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

export interface SampleRows {
  /** The data set's `.dyn` name, for messages. */
  readonly name: string;
  readonly n: number;
  /** Input values per row. */
  readonly d: number;
  /** Inputs, n · d values, row-major. */
  readonly x: Float32Array;
  /** Targets, n · yDim values, row-major. */
  readonly y: Float32Array;
  readonly yDim: number;
  /** Class labels when the data set brings them. */
  readonly labels?: Int32Array;
}

export function sampleRows(set: Dataset): SampleRows {
  return { name: set.name, n: set.n, d: sampleSize(set.xShape), x: set.x, y: set.y, yDim: set.yDim, ...(set.labels ? { labels: set.labels } : {}) };
}

/** Class labels of every row: the data set's own, else read off one-hot targets; RUN040 for data without classes. */
export function classLabels(rows: SampleRows, who: string): Int32Array {
  if (rows.labels) return rows.labels;
  const labels = new Int32Array(rows.n);
  const oneHot = rows.yDim >= 2 && labels.every((_, r) => {
    let hot = -1;
    for (let c = 0; c < rows.yDim; c++) {
      const v = rows.y[r * rows.yDim + c]!;
      if (v === 1 && hot < 0) hot = c;
      else if (v !== 0) return false;
    }
    labels[r] = hot;
    return hot >= 0;
  });
  if (!oneHot) {
    throw new DyncRuntimeError("RUN040", `${who} needs class labels, but data set "${rows.name}" has no classes (its targets are not one-hot)`, "use a classification data set (`mnist`, `fashion_mnist`, `gaussian_mixture`, …) or `class: any`");
  }
  return labels;
}

/** Rows in the order of the single input (stable: equal inputs keep row order); RUN040 unless the data set has one input. */
export function lineOrder(rows: SampleRows, who: string): Int32Array {
  if (rows.d !== 1) {
    throw new DyncRuntimeError("RUN040", `${who} needs a data set with one input, but data set "${rows.name}" has ${rows.d} input values per row`, "use a 1-D data set such as `grid(t in [0, 1), n: 2048)`");
  }
  const order = Int32Array.from({ length: rows.n }, (_, i) => i);
  return order.sort((a, b) => rows.x[a]! - rows.x[b]! || a - b);
}

/** A full H × W lattice: `rowAt[r · W + c]` is the data row at lattice cell (r, c), r along the first input. */
export interface Lattice {
  readonly H: number;
  readonly W: number;
  readonly rowAt: Int32Array;
}

/** The lattice the rows' two inputs form; RUN040 naming the data set when they form none. */
export function lattice(rows: SampleRows, who: string): Lattice {
  const fail = (why: string): never => {
    throw new DyncRuntimeError("RUN040", `${who} needs rows forming a 2-D grid of two inputs, but data set "${rows.name}" ${why}`, "use a grid such as `grid(x in [0, 1], y in [0, 1], n: 128)` or a coordinate image");
  };
  if (rows.d !== 2) return fail(`has ${rows.d} input value${rows.d === 1 ? "" : "s"} per row`);
  const axis = (c: number): Map<number, number> => {
    const values = [...new Set(Array.from({ length: rows.n }, (_, r) => rows.x[r * 2 + c]!))].sort((a, b) => a - b);
    return new Map(values.map((v, k) => [v, k]));
  };
  const first = axis(0);
  const second = axis(1);
  const H = first.size;
  const W = second.size;
  if (H * W !== rows.n) return fail(`has ${rows.n} rows over ${H} × ${W} distinct input values`);
  const rowAt = new Int32Array(rows.n).fill(-1);
  for (let r = 0; r < rows.n; r++) {
    const cell = first.get(rows.x[r * 2]!)! * W + second.get(rows.x[r * 2 + 1]!)!;
    if (rowAt[cell] !== -1) return fail(`has two rows at one grid point (rows ${rowAt[cell]} and ${r})`);
    rowAt[cell] = r;
  }
  return { H, W, rowAt };
}
