/**
 * `region_slice`: activation regions on a plane (or line) through the encoded input space, as in the
 * spectral-bias paper's Fig. 6: the first weighted layer's inputs are `at` everywhere except the slice
 * dimensions, which run over an evenly spaced grid. The input encoding is bypassed, so the slice is
 * evaluated layer by layer from the model's layer views (dense layers with their activation, dropout as
 * the identity in evaluation); norms and convolutions have no meaning on such a slice here and are refused.
 * A dense layer's activation is the one its view names (its own `act:`, or the activation layer right
 * after it); a layer view does not say which activation an activation layer elsewhere applies, so one not
 * directly after a dense layer is refused, and one after a dense layer that has its own `act:` as well
 * (two activations in a row) is taken as that dense layer's only one.
 */
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { activation } from "../../runtime/nn/activations.js";
import { dense } from "../../runtime/nn/dense.js";
import type { LayerView, Model } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import * as entries from "./entries.js";
import { packRows, type PatternSet, regionIds, rowsPerPass, selectLayers } from "./patterns.js";

/** A slice: n^k points, `dims` (k of them) running over `range`, every other encoded input at `at`. */
export interface SliceSpec {
  readonly dims: readonly number[];
  readonly n: number;
  readonly range: readonly [number, number];
  readonly at: number;
}

/** The value of point p along slice dimension k: dims[0] varies fastest. */
function sliceValue(spec: SliceSpec, p: number, k: number): number {
  const [lo, hi] = spec.range;
  const i = Math.floor(p / spec.n ** k) % spec.n;
  return lo + ((hi - lo) * i) / (spec.n - 1);
}

/** Patterns per seed of hidden layers `layers` (null = all) over the slice's points (row p = point p). */
export function slicePatterns(model: Model, spec: SliceSpec, layers: readonly number[] | null): PatternSet[] {
  const names = new Set(selectLayers(model, layers));
  const path = slicePath(model, names);
  const width = path[0]!.fanIn;
  const bad = spec.dims.find((d) => !(Number.isInteger(d) && d >= 0 && d < width));
  if (bad !== undefined) throw new DyncRuntimeError("RUN040", `region_slice dimension ${bad} is outside the ${width} encoded inputs of layer ${path[0]!.name}`);
  const selected = path.filter((v) => names.has(v.name));
  const layout = selected.reduce<{ name: string; offset: number; units: number }[]>((acc, v) => [...acc, { name: v.name, offset: (acc.at(-1)?.offset ?? 0) + (acc.at(-1)?.units ?? 0), units: v.fanOut }], []);
  const units = layout.reduce((a, l) => a + l.units, 0);
  const words = Math.ceil(units / 32);
  const rows = spec.n ** spec.dims.length;
  const S = model.seeds;
  const sets = Array.from({ length: S }, () => ({ rows, units, words, bits: new Uint32Array(rows * words), layers: layout }));
  const step = rowsPerPass(S, units);
  for (let start = 0; start < rows; start += step) {
    const count = Math.min(step, rows - start);
    const on = tf.tidy(() => sliceSigns(path, names, sliceInputs(spec, width, S, start, count)));
    const values = on.dataSync() as Uint8Array;
    on.dispose();
    const dest = Int32Array.from({ length: count }, (_, k) => start + k);
    sets.forEach((set, s) => packRows(values.subarray(s * count * units, (s + 1) * count * units), units, words, set.bits, dest));
  }
  return sets;
}

/**
 * The layers evaluated on the slice: the dense layers from the first weighted one up to the last selected,
 * with the dropout and activation layers between them; anything before the first must be an encoding.
 */
function slicePath(model: Model, selected: ReadonlySet<string>): LayerView[] {
  const views = model.layers;
  const first = views.findIndex((v) => v.weight !== undefined);
  const last = Math.max(...views.map((v, i) => (selected.has(v.name) ? i : -1)));
  const before = views.slice(0, first).find((v) => v.kind !== "encoding" && v.kind !== "dropout");
  if (before) throw new DyncRuntimeError("RUN040", `region_slice starts at the first weighted layer; layer ${before.name} (${before.kind}) comes before it`);
  const path = views.slice(first, last + 1);
  path.forEach((v, i) => {
    const activationAfterDense = v.kind === "activation" && path[i - 1]?.kind === "dense";
    if (!(v.kind === "dense" || v.kind === "dropout" || activationAfterDense)) {
      throw new DyncRuntimeError("RUN040", `region_slice evaluates dense layers with their activations only; layer ${v.name} is ${v.kind === "activation" ? "an activation not directly after a dense layer" : `a ${v.kind} layer`}`);
    }
  });
  return path.filter((v) => v.kind === "dense");
}

/** `[S, count, width]` slice points start… (the same for every seed). */
function sliceInputs(spec: SliceSpec, width: number, S: number, start: number, count: number): tf.Tensor3D {
  const values = new Float32Array(count * width).fill(spec.at);
  for (let p = 0; p < count; p++) spec.dims.forEach((d, k) => (values[p * width + d] = sliceValue(spec, start + p, k)));
  return tf.tile(tf.tensor3d(values, [1, count, width]), [S, 1, 1]);
}

/** `[S, count, units]` booleans z > 0 of the selected layers, evaluating the dense path (its activations between). */
function sliceSigns(path: readonly LayerView[], selected: ReadonlySet<string>, x: tf.Tensor3D): tf.Tensor {
  const parts: tf.Tensor[] = [];
  let h = x;
  for (const view of path) {
    const z = dense(h, view.weight!.variable as tf.Tensor3D, view.bias?.variable as tf.Tensor2D | undefined);
    if (selected.has(view.name)) parts.push(tf.greater(z, 0));
    h = view.activation ? (activation(view.activation)(z) as tf.Tensor3D) : z;
  }
  return parts.length === 1 ? parts[0]! : tf.concat(parts, 2);
}

export const regionSliceProbe = defineProbe(entries.regionSlice, {
  measure({ model, dims, n, range, at, layers }, ctx) {
    const spec: SliceSpec = { dims, n, range, at };
    const sets = slicePatterns(model, spec, layers);
    const rows = n ** dims.length;
    const measured = (f: (s: number) => Float64Array) => sets.map((_, s) => (ctx.seedIndices.includes(s) ? f(s) : undefined));
    const coordinate = (k: number) => Float64Array.from({ length: rows }, (_, p) => sliceValue(spec, p, k));
    const fields: { [K in (typeof entries.regionSlice.result.fields)[number]]?: (Float64Array | undefined)[] } = {
      x0: measured(() => coordinate(0)),
      region: measured((s) => Float64Array.from(regionIds(sets[s]!).ids)),
    };
    if (dims.length === 2) fields.x1 = measured(() => coordinate(1));
    return { kind: "indexed", dim: "point" as const, fields };
  },
});
