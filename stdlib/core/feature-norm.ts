/** `feature_norm(net, data, layer)`: the mean norm of a hidden layer's output over a data set, from the tapped forward pass. */
import { tf } from "../../runtime/tf.js";
import type { Model, Taps } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import { hiddenLayer, hiddenLayers } from "../probes/layers.js";
import * as entries from "./entries.js";

export const featureNormProbe = defineProbe(entries.featureNorm, {
  measure: ({ model, data, layer }) => meanFeatureNorm(model, data, layerName(model, layer)),
});

/** Hidden layer `k`'s name, or the last hidden layer's. */
function layerName(model: Model, k: number | null): string {
  if (k !== null) return hiddenLayer(model, k).name;
  const last = hiddenLayers(model).at(-1);
  if (!last) throw new DyncRuntimeError("RUN040", "feature_norm needs a hidden layer; this model has none");
  return last.name;
}

/** Per seed: (1/n)·Σ_i ‖post_layer(x_i)‖₂ over the rows of `data`, the norms summed in float64. */
export function meanFeatureNorm(model: Model, data: EvalData, layer: string): Float64Array {
  const S = model.seeds;
  const sums = new Float64Array(S);
  for (const range of data.chunks()) {
    const squares = tf.tidy(() => {
      const taps: Taps = { pre: new Map(), post: new Map() };
      model.forward(data.rows(range).x, { training: false, taps });
      const post = taps.post.get(layer);
      if (!post) throw new DyncRuntimeError("RUN040", `layer ${layer} recorded no output`);
      return tf.sum(tf.square(tf.reshape(post, [S, range.count, -1])), 2);
    });
    const values = squares.dataSync();
    squares.dispose();
    for (let s = 0; s < S; s++) for (let i = 0; i < range.count; i++) sums[s]! += Math.sqrt(values[s * range.count + i]!);
  }
  return sums.map((sum) => sum / data.n);
}
