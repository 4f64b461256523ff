/**
 * The reference the fused training steps are checked against: one step's per-seed loss and gradients by
 * differentiating `forward` on tfjs's tape (the path the loop takes without a fused step).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../../contract/model.js";
import { lossFunction, type LossKind } from "../../runtime/loss.js";

/** max |a − b| / max |b| */
export function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(tf.max(tf.abs(b)).dataSync()[0]!, 1e-30));
}

/** Per-seed loss and gradients by tfjs's tape. */
export function taped(model: Model, x: tf.Tensor, y: tf.Tensor, loss: LossKind): { perSample: tf.Tensor; perSeed: tf.Tensor; grads: tf.Tensor[] } {
  const variables = model.params.map((p) => p.variable);
  let perSeed: tf.Tensor | undefined;
  let perSample: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const values = lossFunction(loss)(model.forward(x, { training: true }), y);
    perSeed = tf.keep(values.perSeed);
    perSample = tf.keep(values.perSample);
    return tf.sum(values.perSeed) as tf.Scalar;
  }, variables);
  value.dispose();
  return { perSample: perSample!, perSeed: perSeed!, grads: variables.map((v) => grads[v.name]!) };
}
