/**
 * Seed-batched losses. Every loss maps predictions `[S, B, out]` and targets to a per-sample loss `[S, B]`
 * and a per-seed loss `[S]` (the mean of the per-sample loss over the batch). The training loop sums the
 * per-seed losses, so each seed's parameters receive exactly that seed's gradient.
 */
import * as tf from "@tensorflow/tfjs-core";
import { DyncRuntimeError } from "./errors.js";
import type { Param } from "../contract/model.js";
import type { LossKind } from "../contract/training-specs.js";
export type { LossKind } from "../contract/training-specs.js";

/** Per-sample `[S, B]` and per-seed `[S]` loss values; the caller owns (and disposes) both tensors. */
export interface LossValues {
  readonly perSample: tf.Tensor2D;
  readonly perSeed: tf.Tensor1D;
}

/** A loss on seed-batched predictions `[S, B, out]` and targets (`[S, B, out]`, or int32 labels `[S, B]`). */
export type LossFn = (prediction: tf.Tensor, target: tf.Tensor) => LossValues;

/** Mean squared error, averaged over outputs and batch (PyTorch `MSELoss(reduction="mean")` per seed). */
export function mseLoss(prediction: tf.Tensor, target: tf.Tensor): LossValues {
  checkSameShape("mse", prediction, target);
  return tf.tidy(() => {
    const perSample = tf.mean(sampleRows(tf.squaredDifference(prediction, target)), -1) as tf.Tensor2D;
    return { perSample, perSeed: tf.mean(perSample, 1) as tf.Tensor1D };
  });
}

/** Half the mean squared error, ½·mse: the convention of Cohen et al. and of the opposing-signals paper. */
export function halfMseLoss(prediction: tf.Tensor, target: tf.Tensor): LossValues {
  checkSameShape("half_mse", prediction, target);
  return tf.tidy(() => {
    const perSample = tf.mul(tf.mean(sampleRows(tf.squaredDifference(prediction, target)), -1), 0.5) as tf.Tensor2D;
    return { perSample, perSeed: tf.mean(perSample, 1) as tf.Tensor1D };
  });
}

/**
 * Softmax cross-entropy on logits `[S, B, C]`; targets are one-hot (or soft) rows `[S, B, C]` or int32
 * labels `[S, B]`. Computed as logsumexp(z) − Σ y·z, which stays finite for large logits.
 */
export function crossEntropyLoss(logits: tf.Tensor, target: tf.Tensor): LossValues {
  if (logits.rank !== 3) {
    throw new DyncRuntimeError("RUN040", `cross_entropy expects logits [seeds, batch, classes], got shape [${logits.shape}]`);
  }
  const classes = logits.shape[2]!;
  const labelsGiven = target.rank === 2;
  if (labelsGiven) {
    if (target.shape[0] !== logits.shape[0] || target.shape[1] !== logits.shape[1]) {
      throw new DyncRuntimeError(
        "RUN040",
        `cross_entropy labels have shape [${target.shape}] but logits have shape [${logits.shape}]`,
      );
    }
  } else {
    checkSameShape("cross_entropy", logits, target);
  }
  return tf.tidy(() => {
    const oneHot = labelsGiven ? tf.oneHot(tf.cast(target, "int32"), classes) : target;
    const logNormalizer = tf.logSumExp(logits, -1);
    const targetLogit = tf.sum(tf.mul(oneHot, logits), -1);
    // Soft targets need Σy·logsumexp; for one-hot rows Σy = 1 and this is logsumexp itself.
    const mass = labelsGiven ? tf.onesLike(logNormalizer) : tf.sum(oneHot, -1);
    const perSample = tf.sub(tf.mul(mass, logNormalizer), targetLogit) as tf.Tensor2D;
    return { perSample, perSeed: tf.mean(perSample, 1) as tf.Tensor1D };
  });
}

/** The loss function a `LossKind` names. */
export function lossFunction(kind: LossKind): LossFn {
  switch (kind) {
    case "mse":
      return mseLoss;
    case "half_mse":
      return halfMseLoss;
    case "cross_entropy":
      return crossEntropyLoss;
    default:
      throw new DyncRuntimeError("RUN040", `unknown loss "${String(kind)}" (known: mse, half_mse, cross_entropy)`);
  }
}

/**
 * The parameters `regularize l2(λ, on: …)` penalises: `all` every one (biases, batch-norm γ/β and scales
 * too: the documented default), `weights` the weight matrices and conv kernels only (the λ‖W‖² of papers).
 */
export function l2Targets<P extends { readonly role: string }>(params: readonly P[], on: "all" | "weights"): readonly P[] {
  return on === "weights" ? params.filter((p) => p.role === "weight") : params;
}

/** L2 regularisation per seed: λ·Σ_params ‖θ_s‖², shape `[S]` (every axis but the seed axis is summed). */
export function l2Penalty(params: readonly (Param | tf.Tensor)[], lambda: number): tf.Tensor1D {
  if (!Number.isFinite(lambda) || lambda < 0) {
    throw new DyncRuntimeError("RUN040", `l2 coefficient must be a finite number ≥ 0, got ${lambda}`);
  }
  if (params.length === 0) throw new DyncRuntimeError("RUN040", "l2 penalty needs at least one parameter");
  return tf.tidy(() => {
    const squares = params.map((p) => {
      const t = p instanceof tf.Tensor ? p : p.variable;
      return tf.sum(tf.square(tf.reshape(t, [t.shape[0]!, -1])), 1);
    });
    return tf.mul(tf.addN(squares), lambda) as tf.Tensor1D;
  });
}

/** `[S, B, ...]` → `[S, B, rest]`, so outputs of any rank average over every non-sample axis. */
function sampleRows(t: tf.Tensor): tf.Tensor3D {
  return tf.reshape(t, [t.shape[0]!, t.shape[1]!, -1]);
}

function checkSameShape(loss: string, prediction: tf.Tensor, target: tf.Tensor): void {
  const same = prediction.rank === target.rank && prediction.shape.every((d, i) => d === target.shape[i]);
  if (!same || prediction.rank < 2) {
    throw new DyncRuntimeError(
      "RUN040",
      `${loss}: prediction shape [${prediction.shape}] and target shape [${target.shape}] must be equal [seeds, batch, ...]`,
    );
  }
}
