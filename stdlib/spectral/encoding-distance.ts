/**
 * `encoding_distance(fourier(L: 5), grid)`: the matrix ‖γ(xᵢ) − γ(xⱼ)‖ over a data set's rows (Lazzari &
 * Liu P6, their scripts/encoding_distance.py over a 64 × 64 grid). γ is the encoding layer's own code
 * (runtime/nn/encodings.ts, float32 on the backend, as the network sees it); the distances are summed in
 * float64.
 */
import { tf } from "../../runtime/tf.js";
import type { EncodingSpec } from "../../contract/model-specs.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { createEncoding } from "../../runtime/nn/encodings.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import type { SeedTensors } from "../probes/types.js";
import * as entries from "./entries.js";

/** γ of every row of `data`, per seed index: n × width row-major float64 blocks. */
export function encodedRows(spec: EncodingSpec, data: EvalData, seedValues: readonly number[]): { width: number; perSeed: Float64Array[] } {
  const d = data.xShape.reduce((a, b) => a * b, 1);
  const encoding = createEncoding(spec, d, seedValues);
  const S = seedValues.length;
  const width = encoding.outDim;
  const perSeed = Array.from({ length: S }, () => new Float64Array(data.n * width));
  try {
    for (const range of data.chunks()) {
      const encoded = tf.tidy(() => encoding.apply(tf.reshape(data.rows(range).x, [S, range.count, d]) as tf.Tensor3D));
      const values = encoded.dataSync();
      encoded.dispose();
      for (let s = 0; s < S; s++) {
        perSeed[s]!.set(values.subarray(s * range.count * width, (s + 1) * range.count * width), range.start * width);
      }
    }
  } finally {
    encoding.dispose();
  }
  return { width, perSeed };
}

/** The symmetric n × n matrix of Euclidean distances between the rows of an n × width matrix (float64 sums). */
export function rowDistances(rows: Float64Array, n: number, width: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < width; k++) {
        const diff = rows[i * width + k]! - rows[j * width + k]!;
        sum += diff * diff;
      }
      const dist = Math.sqrt(sum);
      out[i * n + j] = dist;
      out[j * n + i] = dist;
    }
  }
  return out;
}

export const encodingDistanceProbe = defineProbe(entries.encodingDistance, { measure: ({ encoding, data, max_points }, ctx): SeedTensors => {
  if (data.n > max_points) {
    throw new DyncRuntimeError("RUN040", `encoding_distance over data set "${data.name}" would record a ${data.n} × ${data.n} matrix per seed (${data.n} rows > max_points ${max_points})`, "use a smaller grid (the paper's figure is 64 × 64) or raise `max_points`");
  }
  const { width, perSeed } = encodedRows(encoding as EncodingSpec, data, ctx.seeds);
  return {
    kind: "tensors",
    shape: [data.n, data.n],
    perSeed: perSeed.map((rows, s) => (ctx.seedIndices.includes(s) ? rowDistances(rows, data.n, width) : undefined)),
  };
} });
