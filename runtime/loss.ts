/**
 * Seed-batched losses. Every loss maps predictions `[S, B, out]` and targets to a per-sample loss `[S, B]`
 * and a per-seed loss `[S]` (the mean of the per-sample loss over the batch). The training loop sums the
 * per-seed losses, so each seed's parameters receive exactly that seed's gradient.
 */
import { tf } from "./tf.js";
import { DyncRuntimeError } from "./errors.js";
import type { Param } from "../contract/model.js";
import type { LossKind } from "../contract/training-specs.js";
export { lossName, type LossKind, type LossName } from "../contract/training-specs.js";

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

/**
 * Half the mean squared error, ½·mse: ½·(1/C)·Σ_outputs (f − y)² per sample, averaged over samples. With one
 * output it is the ½(f − y)² of theory papers; with C outputs it is `half_sse` / C (see there).
 */
export function halfMseLoss(prediction: tf.Tensor, target: tf.Tensor): LossValues {
  checkSameShape("half_mse", prediction, target);
  return tf.tidy(() => {
    const perSample = tf.mul(tf.mean(sampleRows(tf.squaredDifference(prediction, target)), -1), 0.5) as tf.Tensor2D;
    return { perSample, perSeed: tf.mean(perSample, 1) as tf.Tensor1D };
  });
}

/**
 * Half the summed squared error: ½·Σ_outputs (f − y)² per sample, averaged over samples — the squared loss of
 * Cohen et al. (edge-of-stability code: `SquaredLoss`, ½‖f − y‖² summed, divided by the sample count). With C
 * outputs it is C·`half_mse`, so its Hessian, its sharpness and the step size at which GD turns unstable
 * (sharpness = 2/η) differ from `half_mse`'s by that factor C.
 */
export function halfSseLoss(prediction: tf.Tensor, target: tf.Tensor): LossValues {
  checkSameShape("half_sse", prediction, target);
  return tf.tidy(() => {
    const perSample = tf.mul(tf.sum(sampleRows(tf.squaredDifference(prediction, target)), -1), 0.5) as tf.Tensor2D;
    return { perSample, perSeed: tf.mean(perSample, 1) as tf.Tensor1D };
  });
}

/**
 * Softmax cross-entropy on logits `[S, B, C]`; targets are one-hot (or soft) rows `[S, B, C]` or int32
 * labels `[S, B]`. Computed as logsumexp(z) − Σ y·z, which stays finite for large logits. With `smoothing`
 * ε > 0 the targets are first smoothed to (1 − ε)·y + ε/C (torch `CrossEntropyLoss(label_smoothing=ε)`).
 */
export function crossEntropyLoss(logits: tf.Tensor, target: tf.Tensor, smoothing = 0): LossValues {
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
    const rows = labelsGiven ? tf.oneHot(tf.cast(target, "int32"), classes) : target;
    const oneHot = smoothing > 0 ? smoothTargets(rows, smoothing) : rows;
    const logNormalizer = tf.logSumExp(logits, -1);
    const targetLogit = tf.sum(tf.mul(oneHot, logits), -1);
    // Soft targets need Σy·logsumexp; for one-hot rows Σy = 1 and this is logsumexp itself.
    const mass = labelsGiven && smoothing === 0 ? tf.onesLike(logNormalizer) : tf.sum(oneHot, -1);
    const perSample = tf.sub(tf.mul(mass, logNormalizer), targetLogit) as tf.Tensor2D;
    return { perSample, perSeed: tf.mean(perSample, 1) as tf.Tensor1D };
  });
}

/**
 * Soft target rows `[S, B, C]` smoothed towards the uniform distribution: (1 − ε)·y + ε/C. For one-hot rows
 * this is torch's label smoothing; soft rows are mixed the same way (torch does so for probability targets).
 */
export function smoothTargets(rows: tf.Tensor, smoothing: number): tf.Tensor {
  if (!(smoothing >= 0 && smoothing <= 1)) throw new DyncRuntimeError("RUN040", `label smoothing must be in [0, 1], got ${smoothing}`);
  const classes = rows.shape[rows.rank - 1]!;
  return tf.tidy(() => tf.add(tf.mul(rows, 1 - smoothing), smoothing / classes));
}

/** The loss function a `LossKind` names. */
export function lossFunction(kind: LossKind): LossFn {
  if (typeof kind === "object") return (logits, target) => crossEntropyLoss(logits, target, kind.smoothing);
  switch (kind) {
    case "mse":
      return mseLoss;
    case "half_mse":
      return halfMseLoss;
    case "half_sse":
      return halfSseLoss;
    case "cross_entropy":
      return (logits, target) => crossEntropyLoss(logits, target);
    default:
      throw new DyncRuntimeError("RUN040", `unknown loss "${String(kind)}" (known: mse, half_mse, half_sse, cross_entropy)`);
  }
}

/** ε of a smoothed cross-entropy, 0 for every other loss. */
export function labelSmoothing(kind: LossKind): number {
  return typeof kind === "object" ? kind.smoothing : 0;
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
