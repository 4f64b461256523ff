/**
 * Independent float64 references for the regions tests: a dense network's pre-activations by plain loops over
 * its weights (read from the parameters), the NeRF encoding written out from its definition, and patterns,
 * region ids and dead units as arrays of 0/1.
 */
import type { Model } from "../../contract/model.js";

/** One seed's dense layers in forward order: W [fanIn × fanOut] row-major, b [fanOut] (zeros without bias). */
export interface DenseWeights {
  readonly fanIn: number;
  readonly fanOut: number;
  readonly w: Float64Array;
  readonly b: Float64Array;
}

/** Seed index s's weighted (dense) layers of a model, as float64. */
export function denseWeights(model: Model, s: number): DenseWeights[] {
  return model.layers
    .filter((l) => l.weight)
    .map((l) => {
      const size = l.fanIn * l.fanOut;
      const w = Float64Array.from((l.weight!.variable.dataSync() as Float32Array).subarray(s * size, (s + 1) * size));
      const b = l.bias ? Float64Array.from((l.bias.variable.dataSync() as Float32Array).subarray(s * l.fanOut, (s + 1) * l.fanOut)) : new Float64Array(l.fanOut);
      return { fanIn: l.fanIn, fanOut: l.fanOut, w, b };
    });
}

/** γ(x) = per level k < L, per coordinate j: [sin(2^k π x_j), cos(2^k π x_j)] (the paper's code's order). */
export function nerf(x: readonly number[], L: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < L; k++) for (const v of x) out.push(Math.sin(2 ** k * Math.PI * v), Math.cos(2 ** k * Math.PI * v));
  return out;
}

/** Pre-activations of every hidden layer (all dense layers but the last) at input e, ReLU between layers. */
export function hiddenPre(layers: readonly DenseWeights[], e: readonly number[]): number[][] {
  const out: number[][] = [];
  let h = e;
  for (const layer of layers.slice(0, -1)) {
    const z: number[] = [];
    for (let o = 0; o < layer.fanOut; o++) {
      let sum = layer.b[o]!;
      for (let i = 0; i < layer.fanIn; i++) sum += h[i]! * layer.w[i * layer.fanOut + o]!;
      z.push(sum);
    }
    out.push(z);
    h = z.map((v) => Math.max(0, v));
  }
  return out;
}

/** Patterns as 0/1 arrays per point, over the hidden layers `layers` (indices; all when null). */
export function referencePatterns(pre: readonly (readonly number[][])[], layers: readonly number[] | null): number[][] {
  return pre.map((perLayer) => (layers ?? perLayer.map((_, k) => k)).flatMap((k) => perLayer[k]!.map((v) => (v > 0 ? 1 : 0))));
}

/** Smallest |z| over all points and units: the margin by which float32 and float64 signs must agree. */
export function smallestMagnitude(pre: readonly (readonly number[][])[]): number {
  return Math.min(...pre.flatMap((p) => p.flat().map(Math.abs)));
}

/** Ids by first appearance and the count of distinct patterns, by string keys. */
export function referenceRegions(patterns: readonly number[][]): { ids: number[]; count: number } {
  const seen = new Map<string, number>();
  const ids = patterns.map((p) => {
    const key = p.join("");
    if (!seen.has(key)) seen.set(key, seen.size);
    return seen.get(key)!;
  });
  return { ids, count: seen.size };
}

/** Units that are 0 in every pattern. */
export function referenceDead(patterns: readonly number[][]): number {
  const units = patterns[0]!.length;
  let dead = 0;
  for (let u = 0; u < units; u++) if (patterns.every((p) => p[u] === 0)) dead++;
  return dead;
}

/** Unpacks row r of a packed pattern set into 0/1 values (bit u % 32 of word ⌊u/32⌋). */
export function unpackRow(bits: Uint32Array, words: number, units: number, r: number): number[] {
  return Array.from({ length: units }, (_, u) => (bits[r * words + (u >>> 5)]! >>> (u & 31)) & 1);
}
