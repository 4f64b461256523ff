/**
 * Per-row vectors of selected hidden layers over a whole data set, pass by pass, for the diversity probes:
 * the post-activation features F (the `post` tap: what the next weighted layer receives) or the per-row
 * feature gradients ∂ℓ_row/∂F.
 *
 * Feature gradients from one backward: the confusion family's `backpropSignals` gives every row's
 * δ = ∂ℓ_row/∂z of the weighted layer that F feeds (z = F·W + b, F flattened), and ∂ℓ_row/∂F = δ·Wᵀ
 * exactly, whatever follows z (norms, activations). In evaluation mode rows do not interact, so the
 * gradient of Σ_rows ℓ_row is row by row that row's own gradient. Wᵀ is transposed explicitly (a
 * transposed matMul is ~12× slower on wasm).
 *
 * Passes: `EvalData.chunks()` split so that one pass holds at most ~8 M tapped values (the regions
 * family's `rowsPerPass`), downloaded as float32 and consumed before the next pass.
 */
import { tf } from "../../runtime/tf.js";
import type { LayerView, Model, Taps } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { LossKind } from "../../runtime/loss.js";
import { backpropSignals } from "../confusion/pair-gradients.js";
import type { EvalData, RowRange } from "../probes/eval-data.js";
import { nextWeighted } from "../probes/layers.js";
import { rowsPerPass } from "../regions/patterns.js";

/** What is measured per row: post-activation features, or the gradient of the row's loss with respect to them. */
export type RowVectors =
  | { readonly kind: "features" }
  /** `probe`: the measuring probe's name, for errors. */
  | { readonly kind: "gradients"; readonly loss: LossKind; readonly probe: string };

/** One pass: rows `range`, and per selected layer its values `[S, range.count, width]` (float32, seed-major). */
export interface RowPass {
  readonly range: RowRange;
  readonly values: readonly Float32Array[];
}

/** Units per row of each selected layer (hidden-layer names), from a one-row pass. */
export function vectorWidths(model: Model, data: EvalData, selected: readonly string[], what: RowVectors): number[] {
  if (data.n === 0) throw new DyncRuntimeError("RUN040", `data set "${data.name}" has no rows`);
  const parts = passTensors(model, data, selected, what, { start: 0, count: 1 });
  const widths = parts.map((t) => t.shape[2]!);
  tf.dispose(parts);
  return widths;
}

/** Every row of `data` in passes, the selected layers' vectors per pass. */
export function* rowPasses(model: Model, data: EvalData, selected: readonly string[], what: RowVectors, widths: readonly number[]): Generator<RowPass> {
  const size = rowsPerPass(model.seeds, widths.reduce((a, b) => a + b, 0));
  for (const chunk of data.chunks()) {
    for (let start = chunk.start; start < chunk.start + chunk.count; start += size) {
      const range = { start, count: Math.min(size, chunk.start + chunk.count - start) };
      const parts = passTensors(model, data, selected, what, range);
      try {
        yield { range, values: parts.map((t) => t.dataSync() as Float32Array) };
      } finally {
        tf.dispose(parts);
      }
    }
  }
}

/** `[S, count, width]` per selected layer for rows `range`; the caller disposes them. */
function passTensors(model: Model, data: EvalData, selected: readonly string[], what: RowVectors, range: RowRange): tf.Tensor[] {
  return what.kind === "features" ? featureTensors(model, data, selected, range) : gradientTensors(model, data, selected, what, range);
}

function featureTensors(model: Model, data: EvalData, selected: readonly string[], range: RowRange): tf.Tensor[] {
  return tf.tidy(() => {
    const { x } = data.rows(range);
    const taps: Taps = { pre: new Map(), post: new Map() };
    model.forward(x, { training: false, taps });
    return selected.map((name) => {
      const post = taps.post.get(name);
      if (!post) throw new DyncRuntimeError("RUN040", `layer ${name} recorded no post-activation features`);
      return tf.reshape(post, [model.seeds, range.count, -1]);
    });
  });
}

function gradientTensors(model: Model, data: EvalData, selected: readonly string[], what: RowVectors & { kind: "gradients" }, range: RowRange): tf.Tensor[] {
  const next = selected.map((name) => fedLayer(model, name));
  const distinct = [...new Map(next.map((l) => [l.name, l])).values()];
  const inputs = new Map<string, tf.Tensor>();
  try {
    return tf.tidy(() => {
      const { x, y } = data.rows(range);
      const deltas = backpropSignals(model, what.loss, distinct, x, y, inputs, what.probe);
      return next.map((layer) => tf.matMul(deltas[distinct.indexOf(layer)]!, tf.transpose(layer.weight!.variable, [0, 2, 1])));
    });
  } finally {
    tf.dispose([...inputs.values()]);
  }
}

/** The dense layer hidden layer `name`'s features feed; RUN040 when that is not a dense layer. */
function fedLayer(model: Model, name: string): LayerView {
  const view = model.layers.find((l) => l.name === name)!;
  const next = nextWeighted(model, view);
  if (!next || next.kind !== "dense") {
    throw new DyncRuntimeError(
      "RUN040",
      `feature gradients of layer ${name} need a dense layer after it, but ${next ? `layer ${next.name} is ${next.kind}` : "it feeds no weighted layer"}`,
      "measure hidden layers followed by a dense layer (every hidden layer of an mlp; the last conv block of a cnn through `flatten`)",
    );
  }
  return next;
}
