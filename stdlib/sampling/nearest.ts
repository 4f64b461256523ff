/**
 * Exact k nearest (or farthest) rows by Euclidean distance between inputs, for a set of anchor rows.
 * Distances are summed in float64 from the float32 inputs (each difference and square exact to float64
 * rounding), so the order is the true one up to float64 ties; ties go to the lower row index. Memory stays
 * bounded: anchors are processed in blocks of ANCHOR_BLOCK, each keeping a heap of its k best partners,
 * while every row streams past once per block (no n × anchors distance matrix).
 */
import type { SampleRows } from "./rows.js";

export type Order = "nearest" | "farthest";

/** Anchors sharing one pass over the rows: a row's inputs are read once for all of them. */
const ANCHOR_BLOCK = 32;

/**
 * For each anchor, its k best partners (excluding itself, and rows `eligible` refuses), best first:
 * smallest distance for `nearest`, largest for `farthest`, the lower row first among equal distances.
 * Fewer than k when fewer rows are eligible.
 */
export function nearestRows(rows: SampleRows, anchors: Int32Array, k: number, order: Order, eligible?: (anchor: number, row: number) => boolean): Int32Array[] {
  const out: Int32Array[] = [];
  for (let start = 0; start < anchors.length; start += ANCHOR_BLOCK) {
    const block = anchors.subarray(start, Math.min(anchors.length, start + ANCHOR_BLOCK));
    out.push(...blockPartners(rows, block, k, order, eligible));
  }
  return out;
}

function blockPartners(rows: SampleRows, block: Int32Array, k: number, order: Order, eligible?: (anchor: number, row: number) => boolean): Int32Array[] {
  const { x, d, n } = rows;
  const heaps = Array.from(block, () => new PartnerHeap(k, order));
  const anchorInputs = Array.from(block, (a) => Float64Array.from(x.subarray(a * d, (a + 1) * d)));
  for (let row = 0; row < n; row++) {
    const base = row * d;
    for (let b = 0; b < block.length; b++) {
      const anchor = block[b]!;
      if (row === anchor || (eligible && !eligible(anchor, row))) continue;
      const xa = anchorInputs[b]!;
      let sum = 0;
      for (let c = 0; c < d; c++) {
        const diff = xa[c]! - x[base + c]!;
        sum += diff * diff;
      }
      heaps[b]!.offer(sum, row);
    }
  }
  return heaps.map((h) => h.sorted());
}

/**
 * The k best (distance², row) seen so far, as a binary heap with the worst kept at the top so a better
 * candidate replaces it in O(log k).
 */
class PartnerHeap {
  private readonly dist: Float64Array;
  private readonly row: Int32Array;
  private size = 0;

  constructor(
    private readonly k: number,
    private readonly order: Order,
  ) {
    this.dist = new Float64Array(k);
    this.row = new Int32Array(k);
  }

  /** Whether (da, ra) ranks before (db, rb): closer (farther) first, the lower row among equals. */
  private before(da: number, ra: number, db: number, rb: number): boolean {
    if (da !== db) return this.order === "nearest" ? da < db : da > db;
    return ra < rb;
  }

  offer(d: number, r: number): void {
    if (this.size < this.k) {
      this.dist[this.size] = d;
      this.row[this.size] = r;
      this.up(this.size++);
    } else if (this.k > 0 && this.before(d, r, this.dist[0]!, this.row[0]!)) {
      this.dist[0] = d;
      this.row[0] = r;
      this.down(0);
    }
  }

  /** The partners, best first. */
  sorted(): Int32Array {
    const idx = Array.from({ length: this.size }, (_, i) => i);
    idx.sort((a, b) => (this.before(this.dist[a]!, this.row[a]!, this.dist[b]!, this.row[b]!) ? -1 : 1));
    return Int32Array.from(idx, (i) => this.row[i]!);
  }

  /** Whether slot a is worse than slot b (belongs nearer the top). */
  private worse(a: number, b: number): boolean {
    return this.before(this.dist[b]!, this.row[b]!, this.dist[a]!, this.row[a]!);
  }

  private swap(a: number, b: number): void {
    [this.dist[a], this.dist[b]] = [this.dist[b]!, this.dist[a]!];
    [this.row[a], this.row[b]] = [this.row[b]!, this.row[a]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < this.size && this.worse(l, top)) top = l;
      if (r < this.size && this.worse(r, top)) top = r;
      if (top === i) return;
      this.swap(i, top);
      i = top;
    }
  }
}
