/**
 * `outputs(net, data)`: the network's output on every sample of a data set, with any number of input
 * columns, as per-unit values over `point`: the input coordinates, the output and target columns, and the
 * activation region of each point in a hidden layer (the on/off pattern of its neurons, pre-activation > 0),
 * numbered in order of first appearance so that the ids are deterministic. Over a 2-D `grid(…)` data set
 * this is what `plot image(…)` draws: a learned image, or the linear regions of a ReLU layer (Montúfar et
 * al. 2014; Hanin & Rolnick 2019).
 */
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model, Taps } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import { hiddenLayer, hiddenLayers } from "../probes/layers.js";
import { packRows, regionIds } from "../regions/patterns.js";
import * as entries from "./entries.js";

/** Input coordinates recorded as fields `x0`…: the first MAX_COORDS input columns. */
export const MAX_COORDS = 4;
/** Output columns recorded as fields: `output` (column 0), `output1`… up to this many columns. */
export const MAX_OUTPUTS = 4;

/** The recorded fields (the entry's `result.fields`): input, output and target columns, and `region`. */
type OutputField = (typeof entries.outputs.result.fields)[number];

/** The field of output column `k`: `output`, `output1`, `output2`, … */
export function outputField(k: number): string {
  return k === 0 ? "output" : `output${k}`;
}

/** Region ids (stdlib/regions: first appearance, exact) of n rows of m on/off bytes (row-major). */
function regionIdsOf(on: Uint8Array, n: number, m: number): Float64Array {
  const words = Math.ceil(m / 32);
  const bits = new Uint32Array(n * words);
  packRows(on, m, words, bits, Int32Array.from({ length: n }, (_, i) => i));
  return Float64Array.from(regionIds({ rows: n, units: m, words, bits, layers: [] }).ids);
}

/** Per seed: inputs [n × d], outputs [n × k], targets [n × t], on/off pattern [n × m] (when a layer is given). */
interface Evaluated {
  readonly x: Float32Array;
  readonly out: Float32Array;
  readonly y: Float32Array;
  readonly on: Uint8Array | null;
  readonly outDim: number;
  readonly width: number;
}

/** The forward pass over all rows in chunks, with the layer's pre-activation tapped when asked. */
function evaluate(model: Model, data: EvalData, layer: string | null): Evaluated {
  const S = model.seeds;
  const n = data.n;
  const d = data.xShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(S * n * d);
  const y = new Float32Array(S * n * data.yDim);
  let out: Float32Array | null = null;
  let on: Uint8Array | null = null;
  let outDim = 0;
  let width = 0;
  for (const range of data.chunks()) {
    const [xs, ys, os, pre] = tf.tidy(() => {
      const rows = data.rows(range);
      const taps: Taps = { pre: new Map(), post: new Map() };
      const o = model.forward(rows.x, { training: false, ...(layer ? { taps } : {}) });
      const p = layer ? taps.pre.get(layer) : undefined;
      if (layer && !p) throw new DyncRuntimeError("RUN040", `layer ${layer} recorded no pre-activation`);
      return [tf.reshape(rows.x, [S, range.count, d]), rows.y, o, p ? tf.cast(tf.greater(p, 0), "int32") : tf.zeros([S, range.count, 0], "int32")] as const;
    });
    const [xv, yv, ov, pv] = [xs.dataSync(), ys.dataSync(), os.dataSync(), pre.dataSync()];
    outDim = os.shape[2]!;
    width = pre.shape[2]!;
    tf.dispose([xs, ys, os, pre]);
    out ??= new Float32Array(S * n * outDim);
    if (layer) on ??= new Uint8Array(S * n * width);
    for (let s = 0; s < S; s++) {
      x.set(xv.subarray(s * range.count * d, (s + 1) * range.count * d), (s * n + range.start) * d);
      y.set(yv.subarray(s * range.count * data.yDim, (s + 1) * range.count * data.yDim), (s * n + range.start) * data.yDim);
      out.set(ov.subarray(s * range.count * outDim, (s + 1) * range.count * outDim), (s * n + range.start) * outDim);
      if (on) for (let j = 0; j < range.count * width; j++) on[(s * n + range.start) * width + j] = pv[s * range.count * width + j]!;
    }
  }
  return { x, out: out!, y, on, outDim, width };
}

/** Column `c` of seed `s`'s rows (each `cols` wide) as float64. */
function column(values: Float32Array, s: number, n: number, cols: number, c: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => values[(s * n + i) * cols + c]!);
}

/**
 * The probe: per seed, fields `x0`… (input columns, up to MAX_COORDS), `output`, `output1`… and `target`,
 * `target1`… (up to MAX_OUTPUTS columns), and `region` (the activation-region id in hidden layer `layer`,
 * default the last hidden layer; absent for a model without hidden layers).
 */
export const outputsProbe = defineProbe(entries.outputs, { measure: ({ model, data, layer: k }, ctx) => {
  const hidden = hiddenLayers(model);
  const layer = k === null ? (hidden.length ? hidden[hidden.length - 1]!.name : null) : hiddenLayer(model, k).name;
  const d = data.xShape.reduce((a, b) => a * b, 1);
  const ev = evaluate(model, data, layer);
  if (ev.outDim === 0) throw new DyncRuntimeError("RUN040", `the network has no output columns`);
  const n = data.n;
  const seeds = [...Array(model.seeds).keys()];
  const fields: { [K in OutputField]?: (Float64Array | undefined)[] } = {};
  const perSeed = (name: string, f: (s: number) => Float64Array): void => {
    fields[name as OutputField] = seeds.map((s) => (ctx.seedIndices.includes(s) ? f(s) : undefined));
  };
  for (let c = 0; c < Math.min(d, MAX_COORDS); c++) perSeed(`x${c}`, (s) => column(ev.x, s, n, d, c));
  for (let c = 0; c < Math.min(ev.outDim, MAX_OUTPUTS); c++) perSeed(outputField(c), (s) => column(ev.out, s, n, ev.outDim, c));
  for (let c = 0; c < Math.min(data.yDim, MAX_OUTPUTS); c++) perSeed(c === 0 ? "target" : `target${c}`, (s) => column(ev.y, s, n, data.yDim, c));
  if (ev.on) {
    const on = ev.on;
    perSeed("region", (s) => regionIdsOf(on.subarray(s * n * ev.width, (s + 1) * n * ev.width), n, ev.width));
  }
  return { kind: "indexed", dim: "point" as const, fields };
} });
