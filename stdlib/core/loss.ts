/** `loss(model, data)`: the model's loss on a whole data set. */
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { lossFunction, type LossKind } from "../../runtime/loss.js";
import type { Model } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import * as entries from "./entries.js";

/** The model's loss on every sample of a data set, per seed, in eval mode (no dropout, batch norm running statistics). */
export const lossProbe = defineProbe(entries.loss, { measure: ({ model, data }, _ctx, run) => datasetLoss(model, data, run.loss) });

/** Mean per-sample loss of `model` over all of `data`, per seed; the sum over samples is taken in float64. */
export function datasetLoss(model: Model, data: EvalData, kind: LossKind): Float64Array {
  if (data.yDim === 0) {
    throw new DyncRuntimeError("RUN040", `loss needs targets, but data set "${data.name}" has none`, "give it a target: `-> f(x)`");
  }
  const lossFn = lossFunction(kind);
  const sums = new Float64Array(model.seeds);
  for (const range of data.chunks()) {
    const perSample = tf.tidy(() => {
      const { x, y } = data.rows(range);
      return lossFn(model.forward(x, { training: false }), y).perSample;
    });
    const values = perSample.dataSync();
    perSample.dispose();
    for (let s = 0; s < model.seeds; s++) {
      for (let i = 0; i < range.count; i++) sums[s]! += values[s * range.count + i]!;
    }
  }
  return sums.map((sum) => sum / data.n);
}
