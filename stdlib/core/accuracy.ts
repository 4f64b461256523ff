/** `accuracy(model, data)`: the fraction of samples whose highest-scoring class is the true class. */
import * as tf from "@tensorflow/tfjs-core";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import * as entries from "./entries.js";

/** Fraction of samples whose argmax output is the true class (argmax of the one-hot target), per seed, in eval mode. */
export const accuracyProbe = defineProbe(entries.accuracy, { measure: ({ model, data }) => datasetAccuracy(model, data) });

/** Per seed: correct argmax predictions over all of `data`, divided by n (ties go to the lowest class, as argmax). */
export function datasetAccuracy(model: Model, data: EvalData): Float64Array {
  if (data.yDim < 2) {
    throw new DyncRuntimeError(
      "RUN040",
      `accuracy needs class targets (one-hot rows of 2 or more classes), but data set "${data.name}" has one target column`,
      "use loss(model, data) for regression",
    );
  }
  const correct = new Float64Array(model.seeds);
  for (const range of data.chunks()) {
    const counts = tf.tidy(() => {
      const { x, y } = data.rows(range);
      const hits = tf.equal(tf.argMax(model.forward(x, { training: false }), -1), tf.argMax(y, -1));
      return tf.sum(tf.cast(hits, "int32"), 1);
    });
    const values = counts.dataSync();
    counts.dispose();
    for (let s = 0; s < model.seeds; s++) correct[s]! += values[s]!;
  }
  return correct.map((c) => c / data.n);
}
