/**
 * Activation patterns (Lazzari & Liu 2023, P1): for every measured row, the on/off state (pre-activation
 * z > 0) of every unit of the selected hidden layers, concatenated in layer order and bit-packed.
 *
 * What a pattern is:
 * - a unit is one output of a hidden layer (`hiddenLayers`: dense layers before the output, conv blocks);
 *   the value compared with 0 is the layer's tapped `pre`: what enters its activation, after any norm
 *   (runtime/nn/sequential.ts). For a conv layer every (row, column, channel) of its feature map is a unit,
 *   in HWC order: the pattern that fixes a CNN's linear piece. An encoding layer is not hidden.
 * - for ReLU (and any activation whose only kink is at 0: leaky ReLU) the pattern is the input's linear
 *   region; for a smooth activation (tanh, SiLU) it is the side of every unit's hyperplane the input lies
 *   on, still defined and still what `hamming` compares, but not a linear region.
 *
 * Packing: row r's bits are words `bits[r·words, (r+1)·words)`; unit u of the concatenation is bit u % 32
 * (least significant first) of word ⌊u / 32⌋, the padding bits of the last word are 0. 262,144 rows of
 * 2,048 units are 262,144 · 64 words · 4 bytes = 64 MiB per seed.
 *
 * Evaluation runs over `EvalData.chunks()` split further into passes of at most PASS_VALUES tapped values,
 * since a forward pass with taps keeps every layer's activations alive until its chunk is packed.
 */
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model, Taps } from "../../contract/model.js";
import type { EvalData, RowRange } from "../probes/eval-data.js";
import { hiddenLayer, hiddenLayers } from "../probes/layers.js";

/** On/off patterns (z > 0) of hidden ReLU units for rows of a data set, one seed; bit-packed, row-major. */
export interface PatternSet {
  readonly rows: number; // rows measured (data rows, or the subset asked for)
  readonly units: number; // bits per row (all selected layers)
  readonly words: number; // Uint32 words per row = ceil(units / 32)
  readonly bits: Uint32Array; // rows * words
  readonly layers: readonly { readonly name: string; readonly offset: number; readonly units: number }[];
}

/** Seed-rows × units of one evaluation pass: ~8 M tapped values, a few hundred MB of activations at most. */
const PASS_VALUES = 1 << 23;

/** Patterns per seed index of the hidden layers `layers` (hidden-layer indices; null = all) at data rows `rows` (null = all rows). */
export function activationPatterns(model: Model, data: EvalData, layers: readonly number[] | null, rows: Int32Array | null): PatternSet[] {
  const selected = selectLayers(model, layers);
  if (rows) checkRows(rows, data.n);
  const widths = layerWidths(model, data, selected);
  const layout = layerLayout(selected, widths);
  const units = widths.reduce((a, b) => a + b, 0);
  const words = Math.ceil(units / 32);
  // A subset is evaluated once per distinct row, in row order, then spread to the rows asked for.
  const distinct = rows ? Int32Array.from(new Set(rows)).sort() : null;
  const count = distinct ? distinct.length : data.n;
  const sets = Array.from({ length: model.seeds }, () => ({ rows: count, units, words, bits: new Uint32Array(count * words), layers: layout }));
  const passRows = rowsPerPass(model.seeds, units);
  for (const pass of passes(data, distinct, passRows)) {
    const on = tf.tidy(() => signs(model, selected, inputsOf(data, pass)));
    const values = on.dataSync() as Uint8Array;
    on.dispose();
    sets.forEach((set, s) => packRows(values.subarray(s * pass.take * units, (s + 1) * pass.take * units), units, words, set.bits, pass.dest));
  }
  return rows && distinct ? sets.map((set) => spread(set, distinct, rows)) : sets;
}

/** The pattern rows of `rows` from a set measured at the sorted distinct rows `distinct`. */
function spread(set: PatternSet, distinct: Int32Array, rows: Int32Array): PatternSet {
  const position = new Map<number, number>();
  distinct.forEach((r, k) => position.set(r, k));
  const bits = new Uint32Array(rows.length * set.words);
  rows.forEach((r, k) => {
    const from = position.get(r)! * set.words;
    bits.set(set.bits.subarray(from, from + set.words), k * set.words);
  });
  return { ...set, rows: rows.length, bits };
}

/** Hamming distance per pair (pattern rows i[k], j[k] of `p`), over all units or one entry of p.layers. */
export function hammingDistances(p: PatternSet, i: Int32Array, j: Int32Array, layer?: number): Float64Array {
  if (i.length !== j.length) throw new DyncRuntimeError("RUN040", `pair index arrays differ in length (${i.length} and ${j.length})`);
  const span = layer === undefined ? { offset: 0, units: p.units } : p.layers[layer];
  if (!span) throw new DyncRuntimeError("RUN040", `pattern layer ${layer} out of range (the patterns have ${p.layers.length} layers)`);
  const out = new Float64Array(i.length);
  for (let k = 0; k < i.length; k++) {
    const a = i[k]!;
    const b = j[k]!;
    if (!(a >= 0 && a < p.rows && b >= 0 && b < p.rows)) throw new DyncRuntimeError("RUN040", `pair ${k} (${a}, ${b}) is outside the ${p.rows} pattern rows`);
    out[k] = xorPopcount(p.bits, a * p.words, b * p.words, span.offset, span.units);
  }
  return out;
}

/**
 * Region ids of a pattern set: the first distinct pattern in row order gets 0, the next new one 1, and so
 * on (deterministic, no random permutation), with the number of distinct patterns. Rows are hashed and, on
 * equal hashes, compared word by word, so the count is exact.
 */
export function regionIds(p: PatternSet): { readonly ids: Int32Array; readonly count: number } {
  const { rows, words, bits } = p;
  const size = 2 ** Math.ceil(Math.log2(Math.max(2, 2 * rows)));
  const slots = new Int32Array(size).fill(-1); // first row of each distinct pattern, by hash slot
  const ids = new Int32Array(rows);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    let slot = rowHash(bits, r * words, words) & (size - 1);
    for (;;) {
      const first = slots[slot]!;
      if (first < 0) {
        slots[slot] = r;
        ids[r] = count++;
        break;
      }
      if (sameRow(bits, first * words, r * words, words)) {
        ids[r] = ids[first]!;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  return { ids, count };
}

/** Units of `p`'s layer span (all units, or entry `layer` of p.layers) that are off on every row. */
export function deadUnits(p: PatternSet, layer?: number): number {
  const span = layer === undefined ? { offset: 0, units: p.units } : p.layers[layer]!;
  const alive = new Uint32Array(p.words);
  for (let r = 0; r < p.rows; r++) for (let w = 0; w < p.words; w++) alive[w]! |= p.bits[r * p.words + w]!;
  let on = 0;
  for (let u = span.offset; u < span.offset + span.units; u++) on += (alive[u >>> 5]! >>> (u & 31)) & 1;
  return span.units - on;
}

/**
 * Packs rows of `units` on/off bytes (0 or 1, row-major) into 32-bit words: row k goes to pattern row
 * `dest[k]` of `out` (`words` words per row). Exported for the probes that tap their own forward pass.
 */
export function packRows(on: Uint8Array, units: number, words: number, out: Uint32Array, dest: Int32Array): void {
  for (let k = 0; k < dest.length; k++) {
    const src = k * units;
    const base = dest[k]! * words;
    for (let w = 0; w < words; w++) {
      const lo = src + w * 32;
      // Highest unit first, shifting left: branch-free, ~5× faster than testing each byte (bench/regions-bench.ts).
      let word = 0;
      for (let u = Math.min(src + units, lo + 32) - 1; u >= lo; u--) word = (word << 1) | on[u]!;
      out[base + w] = word >>> 0;
    }
  }
}

// ── layers ───────────────────────────────────────────────────────────────────

/** Rows of one evaluation pass for S seeds and `units` tapped units per row. */
export function rowsPerPass(seeds: number, units: number): number {
  return Math.max(1, Math.floor(PASS_VALUES / (seeds * Math.max(1, units))));
}

/** The names of hidden layers `layers` (indices, checked; null = all), in the order given. */
export function selectLayers(model: Model, layers: readonly number[] | null): string[] {
  const hidden = hiddenLayers(model);
  if (hidden.length === 0) throw new DyncRuntimeError("RUN040", "activation patterns need a model with hidden layers; this one has none");
  if (layers === null) return hidden.map((l) => l.name);
  if (layers.length === 0) throw new DyncRuntimeError("RUN040", "layers must name at least one hidden layer");
  if (new Set(layers).size !== layers.length) throw new DyncRuntimeError("RUN040", `layers lists a hidden layer twice: [${layers.join(", ")}]`);
  return layers.map((k) => hiddenLayer(model, k).name);
}

/** Units per row of each selected layer, from a one-row forward pass (conv feature maps need the input size). */
function layerWidths(model: Model, data: EvalData, selected: readonly string[]): number[] {
  if (data.n === 0) throw new DyncRuntimeError("RUN040", `data set "${data.name}" has no rows`);
  return tf.tidy(() => {
    const taps = tapForward(model, data.rows({ start: 0, count: 1 }).x, selected);
    return selected.map((name) => taps.get(name)!.size / model.seeds);
  });
}

function layerLayout(selected: readonly string[], widths: readonly number[]): PatternSet["layers"] {
  let offset = 0;
  return selected.map((name, k) => {
    const entry = { name, offset, units: widths[k]! };
    offset += widths[k]!;
    return entry;
  });
}

/** The forward pass's pre-activations of the selected layers. */
function tapForward(model: Model, x: tf.Tensor, selected: readonly string[]): Map<string, tf.Tensor> {
  const taps: Taps = { pre: new Map(), post: new Map() };
  model.forward(x, { training: false, taps });
  for (const name of selected) {
    if (!taps.pre.get(name)) throw new DyncRuntimeError("RUN040", `layer ${name} recorded no pre-activation`);
  }
  return taps.pre;
}

/** `[S, rows, units]` booleans: pre-activation > 0 of every unit of the selected layers, in layer order. */
function signs(model: Model, selected: readonly string[], x: tf.Tensor): tf.Tensor {
  const pre = tapForward(model, x, selected);
  const [S, B] = x.shape as [number, number];
  const parts = selected.map((name) => tf.reshape(tf.greater(pre.get(name)!, 0), [S, B, -1]));
  return parts.length === 1 ? parts[0]! : tf.concat(parts, 2);
}

// ── rows ─────────────────────────────────────────────────────────────────────

/** One evaluation pass: data rows `range` (or the rows `gather` picks from it), written to pattern rows `dest`. */
interface Pass {
  readonly range: RowRange;
  /** Offsets into `range` of the rows to evaluate, when a subset; null: every row of the range. */
  readonly gather: Int32Array | null;
  readonly take: number;
  readonly dest: Int32Array;
}

function checkRows(rows: Int32Array, n: number): void {
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (!(r >= 0 && r < n)) throw new DyncRuntimeError("RUN040", `row ${r} is outside the data set's ${n} rows`);
  }
}

/** The passes covering all rows (pattern row = data row) or the sorted distinct rows `distinct` (pattern row k = distinct[k]). */
function* passes(data: EvalData, distinct: Int32Array | null, passRows: number): Generator<Pass> {
  const ranges = data.chunks().flatMap((c) => split(c, passRows));
  if (!distinct) {
    for (const range of ranges) yield { range, gather: null, take: range.count, dest: Int32Array.from({ length: range.count }, (_, k) => range.start + k) };
    return;
  }
  let at = 0;
  for (const range of ranges) {
    const from = at;
    while (at < distinct.length && distinct[at]! < range.start + range.count) at++;
    if (at === from) continue;
    const lo = distinct[from]!;
    const sub = { start: lo, count: distinct[at - 1]! - lo + 1 };
    yield { range: sub, gather: distinct.slice(from, at).map((r) => r - lo), take: at - from, dest: Int32Array.from({ length: at - from }, (_, k) => from + k) };
  }
}

function split(range: RowRange, size: number): RowRange[] {
  const out: RowRange[] = [];
  for (let start = range.start; start < range.start + range.count; start += size) out.push({ start, count: Math.min(size, range.start + range.count - start) });
  return out;
}

function inputsOf(data: EvalData, pass: Pass): tf.Tensor {
  const { x } = data.rows(pass.range);
  return pass.gather ? tf.gather(x, tf.tensor1d(pass.gather, "int32"), 1) : x;
}

// ── bits ─────────────────────────────────────────────────────────────────────

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Differing bits of the rows starting at words `a` and `b`, over units [offset, offset + units). */
function xorPopcount(bits: Uint32Array, a: number, b: number, offset: number, units: number): number {
  const end = offset + units;
  let total = 0;
  for (let w = offset >>> 5; w * 32 < end; w++) {
    let diff = (bits[a + w]! ^ bits[b + w]!) >>> 0;
    const lo = Math.max(0, offset - w * 32);
    const hi = Math.min(32, end - w * 32);
    if (lo > 0 || hi < 32) diff &= (hi === 32 ? 0xffffffff : (1 << hi) - 1) & ~((1 << lo) - 1);
    total += popcount(diff >>> 0);
  }
  return total;
}

/** A 32-bit mix of one row's words (murmur3's finaliser per word). */
function rowHash(bits: Uint32Array, start: number, words: number): number {
  let h = 0x9747b28c ^ words;
  for (let w = 0; w < words; w++) {
    let k = Math.imul(bits[start + w]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function sameRow(bits: Uint32Array, a: number, b: number, words: number): boolean {
  for (let w = 0; w < words; w++) if (bits[a + w] !== bits[b + w]) return false;
  return true;
}
