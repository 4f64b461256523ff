/** `class_probs(net, data)`: the softmax of the outputs, averaged over a data set's samples, per seed and class. */
import { tf } from "../../runtime/tf.js";
import type { Model } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { portableMath } from "../../numerics/portable-math.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import * as entries from "./entries.js";

export const classProbsProbe = defineProbe(entries.classProbs, {
  measure: ({ model, data }, ctx) => {
    const probs = meanClassProbabilities(model, data);
    return { kind: "indexed", dim: "class" as const, fields: { value: probs.map((p, s) => (ctx.seedIndices.includes(s) ? p : undefined)) } };
  },
});

/**
 * Per seed: (1/n)·Σ_i softmax(f(x_i)) over the rows of `data`, evaluation mode. The outputs come from tfjs
 * in float32; the softmax (shifted by the row's largest output, so no exp overflows) and the mean are float64,
 * so probabilities near 0 or 1 keep their digits.
 */
export function meanClassProbabilities(model: Model, data: EvalData): Float64Array[] {
  const S = model.seeds;
  const sums: Float64Array[] = [];
  for (const range of data.chunks()) {
    const logits = tf.tidy(() => model.forward(data.rows(range).x, { training: false }));
    const classes = logits.shape[logits.shape.length - 1]!;
    if (classes < 2) {
      logits.dispose();
      throw new DyncRuntimeError("RUN040", `class_probs needs a model with 2 or more outputs (one per class), but it has ${classes} on data set "${data.name}"`, "use outputs(model, data) for a regression output");
    }
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    for (let s = 0; s < S; s++) {
      const sum = (sums[s] ??= new Float64Array(classes));
      for (let i = 0; i < range.count; i++) addSoftmax(values.subarray((s * range.count + i) * classes, (s * range.count + i + 1) * classes), sum);
    }
  }
  return sums.map((sum) => sum.map((v) => v / data.n));
}

/** Adds softmax(row) to `into`, in float64. */
function addSoftmax(row: Float32Array, into: Float64Array): void {
  let top = -Infinity;
  for (const v of row) top = Math.max(top, v);
  const exps = Array.from(row, (v) => portableMath.exp(v - top)); // fdlibm, not Math.exp: the same on every Node
  const total = exps.reduce((a, b) => a + b, 0);
  exps.forEach((e, c) => (into[c]! += e / total));
}
