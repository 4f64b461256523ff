/** `accuracy(model, data)`: the fraction of samples whose highest-scoring class is the true class, overall or per class. */
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import type { SeedIndexed } from "../probes/types.js";
import * as entries from "./entries.js";

/** Fraction of samples whose argmax output is the true class (argmax of the one-hot target), per seed, in eval mode; or per class. */
export const accuracyProbe = defineProbe(entries.accuracy, {
  measure: ({ model, data, by }) => (by === "class" ? classAccuracy(model, data) : datasetAccuracy(model, data)),
});

/** Per seed: correct argmax predictions over all of `data`, divided by n (ties go to the lowest class, as argmax). */
export function datasetAccuracy(model: Model, data: EvalData): Float64Array {
  const { correct } = countHits(model, data, false);
  return correct.map((c) => c / data.n);
}

/**
 * Per seed and class c (target column order): correct predictions among the samples whose true class is c,
 * divided by their number; NaN for a class no sample has. Counts are JS numbers (exact for any data size).
 */
export function classAccuracy(model: Model, data: EvalData): SeedIndexed {
  const { perClass } = countHits(model, data, true);
  const value = perClass.correct.map((correct, s) => correct.map((c, k) => c / perClass.total[s]![k]!));
  return { kind: "indexed", dim: "class", fields: { value } };
}

interface Hits {
  readonly correct: Float64Array;
  readonly perClass: { readonly correct: Float64Array[]; readonly total: Float64Array[] };
}

/** One evaluation-mode pass over `data` in chunks: correct predictions per seed and, when asked, per seed and true class. */
function countHits(model: Model, data: EvalData, byClass: boolean): Hits {
  if (data.yDim < 2) {
    throw new DyncRuntimeError(
      "RUN040",
      `accuracy needs class targets (one-hot rows of 2 or more classes), but data set "${data.name}" has one target column`,
      "use loss(model, data) for regression",
    );
  }
  const S = model.seeds;
  const correct = new Float64Array(S);
  const perClass = { correct: Array.from({ length: S }, () => new Float64Array(data.yDim)), total: Array.from({ length: S }, () => new Float64Array(data.yDim)) };
  for (const range of data.chunks()) {
    const [hits, truth] = tf.tidy(() => {
      const { x, y } = data.rows(range);
      const label = tf.argMax(y, -1);
      return [tf.cast(tf.equal(tf.argMax(model.forward(x, { training: false }), -1), label), "int32"), label] as const;
    });
    const hit = hits.dataSync();
    const labels = truth.dataSync();
    tf.dispose([hits, truth]);
    // hits and labels are [S, rows] (targets tiled per seed when all seeds share the data set)
    const rows = hit.length / S;
    for (let s = 0; s < S; s++) {
      for (let i = 0; i < rows; i++) {
        const h = hit[s * rows + i]!;
        correct[s]! += h;
        if (!byClass) continue;
        const c = labels[s * rows + i]!;
        perClass.correct[s]![c]! += h;
        perClass.total[s]![c]! += 1;
      }
    }
  }
  return { correct, perClass };
}
