/**
 * The geometry of a heatmap: its two axes as cell edges, one matrix of values per panel, the optional
 * leading-eigenvector reordering of a square matrix, and the block means a large matrix is rasterised to.
 */
import { reorderByLeadingEigenvector } from "../numerics/eigen.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { SweepValue } from "../contract/program.js";

/** One axis: cell i spans [edges[i], edges[i+1]]; a categorical axis has a label per cell at index positions. */
export interface HeatAxis {
  readonly title: string;
  readonly edges: Float64Array;
  /** Tick labels of a categorical axis (cells at 0..n); null for numeric and index axes. */
  readonly labels: readonly string[] | null;
}

/** One panel's values: `rows` × `cols`, row-major, row i along the y axis's cell i. */
export interface HeatMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
}

/** Cells of a matrix axis: cell i spans [i, i + 1], so ticks count rows/columns from 0. */
export function indexAxis(title: string, n: number): HeatAxis {
  return { title, edges: Float64Array.from({ length: n + 1 }, (_, i) => i), labels: null };
}

/**
 * An axis over a dimension's values: numbers sorted, each cell reaching halfway to its neighbours (the
 * outer cells as far out as inwards); any non-number makes the axis categorical, one unit per value.
 */
export function valueAxis(title: string, values: readonly SweepValue[]): { axis: HeatAxis; order: SweepValue[] } {
  if (values.length === 0) throw new DyncRuntimeError("RUN051", `a heatmap axis (${title}) has no values`);
  if (!values.every((v) => typeof v === "number")) {
    return { axis: { title, edges: Float64Array.from({ length: values.length + 1 }, (_, i) => i), labels: values.map(String) }, order: [...values] };
  }
  const sorted = [...(values as number[])].sort((a, b) => a - b);
  const n = sorted.length;
  const edges = new Float64Array(n + 1);
  for (let i = 1; i < n; i++) edges[i] = (sorted[i - 1]! + sorted[i]!) / 2;
  edges[0] = n === 1 ? sorted[0]! - 0.5 : sorted[0]! - (edges[1]! - sorted[0]!);
  edges[n] = n === 1 ? sorted[0]! + 0.5 : sorted[n - 1]! + (sorted[n - 1]! - edges[n - 1]!);
  return { axis: { title, edges, labels: null }, order: sorted };
}

/** Whether every cell of the axis has the same width (to 1e-9 relative): then a raster can block-average. */
export function isUniform(edges: Float64Array): boolean {
  const n = edges.length - 1;
  const width = (edges[n]! - edges[0]!) / n;
  for (let i = 0; i < n; i++) if (Math.abs(edges[i + 1]! - edges[i]! - width) > 1e-9 * Math.abs(width)) return false;
  return true;
}

/** Pixels per axis side beyond which cells are averaged into blocks. */
export const RASTER_MAX_SIDE = 512;

/** How the cells of one axis map to raster pixels: pixel p averages cells [start[p], end[p]). */
export interface PixelMap {
  readonly pixels: number;
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** The coordinate range the pixels cover (a last, partial block reaches past the last edge). */
  readonly lo: number;
  readonly hi: number;
  /** Cells per pixel on a uniform axis (1 = one pixel per cell); 0 when the axis was resampled. */
  readonly block: number;
}

/**
 * Pixels of one axis. Uniform axes: one pixel per cell up to RASTER_MAX_SIDE, else blocks of ⌈n/512⌉ cells
 * (block means). Uneven axes (e.g. steps on a log cadence): RASTER_MAX_SIDE equal pixels over the range,
 * each the mean of the cells whose centre falls in it, or the cell under its centre when none does.
 */
export function pixelMap(edges: Float64Array): PixelMap {
  const n = edges.length - 1;
  const lo = edges[0]!;
  if (isUniform(edges)) {
    const block = Math.ceil(n / RASTER_MAX_SIDE);
    const pixels = Math.ceil(n / block);
    const width = (edges[n]! - lo) / n;
    const start = Int32Array.from({ length: pixels }, (_, p) => p * block);
    const end = Int32Array.from({ length: pixels }, (_, p) => Math.min(n, (p + 1) * block));
    return { pixels, start, end, lo, hi: lo + pixels * block * width, block };
  }
  const pixels = RASTER_MAX_SIDE;
  const hi = edges[n]!;
  const size = (hi - lo) / pixels;
  const start = new Int32Array(pixels);
  const end = new Int32Array(pixels);
  let cell = 0;
  for (let p = 0; p < pixels; p++) {
    const a = lo + p * size;
    const b = a + size;
    while (cell < n && (edges[cell]! + edges[cell + 1]!) / 2 < a) cell++;
    let last = cell;
    while (last < n && (edges[last]! + edges[last + 1]!) / 2 < b) last++;
    if (last > cell) {
      start[p] = cell;
      end[p] = last;
    } else {
      const centre = (a + b) / 2;
      let under = cell;
      while (under > 0 && edges[under]! > centre) under--;
      while (under < n - 1 && edges[under + 1]! <= centre) under++;
      start[p] = under;
      end[p] = under + 1;
    }
  }
  return { pixels, start, end, lo, hi, block: 0 };
}

/** Mean of each block of cells (NaN cells skipped; a block of only NaN stays NaN), rows × cols pixels. */
export function blockMeans(matrix: HeatMatrix, cols: PixelMap, rows: PixelMap): Float64Array {
  const out = new Float64Array(rows.pixels * cols.pixels);
  for (let py = 0; py < rows.pixels; py++) {
    for (let px = 0; px < cols.pixels; px++) {
      let sum = 0;
      let count = 0;
      for (let i = rows.start[py]!; i < rows.end[py]!; i++) {
        const base = i * matrix.cols;
        for (let j = cols.start[px]!; j < cols.end[px]!; j++) {
          const v = matrix.values[base + j]!;
          if (Number.isNaN(v)) continue;
          sum += v;
          count++;
        }
      }
      out[py * cols.pixels + px] = count ? sum / count : NaN;
    }
  }
  return out;
}

/**
 * Rows and columns of a square matrix sorted by the entries of the leading eigenvector of its symmetric
 * part (NaN rows last), in float64 (power iteration, see stdlib cosine_similarity), so blocks of similar
 * rows become visible. Returns the permuted matrix and order[i] = the original index shown at i.
 */
export function eigenReorder(matrix: HeatMatrix): { matrix: HeatMatrix; order: Int32Array } {
  const n = matrix.rows;
  if (matrix.cols !== n) throw new DyncRuntimeError("RUN051", `\`order: eigen\` needs a square matrix, got ${matrix.rows} × ${matrix.cols}`);
  const symmetric = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) symmetric[i * n + j] = (matrix.values[i * n + j]! + matrix.values[j * n + i]!) / 2;
  const { order } = reorderByLeadingEigenvector(symmetric, n);
  const values = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) values[i * n + j] = matrix.values[order[i]! * n + order[j]!]!;
  return { matrix: { rows: n, cols: n, values }, order };
}
