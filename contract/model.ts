/**
 * The contract between models (runtime/nn), the training loop, optimizers and probes.
 *
 * Every model is seed-batched: S independent networks of one architecture live in one set of
 * parameters whose leading axis is the seed (`[S, fanIn, fanOut]` for a dense weight). A single run is
 * S = 1. Inputs are `[S, B, ...xShape]` (each seed may see its own samples) and outputs `[S, B, out]`.
 * Because the summed loss over seeds has, for each seed, exactly that seed's gradient, one backward pass
 * trains all S networks independently.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { LossKind } from "./training-specs.js";

/** A training step's loss and gradients from `Model.fusedLossAndGradients` (the caller disposes them). */
export interface FusedStep {
  readonly perSample: tf.Tensor2D;
  readonly perSeed: tf.Tensor1D;
  readonly grads: readonly tf.Tensor[];
}

/** weight, bias, BN scale/shift… A parameter is addressed as `layer.role`, e.g. `hidden0.weight`. */
export type ParamRole = "weight" | "bias" | "gamma" | "beta" | "scale";

export interface Param {
  /** Stable address: `${layer}.${role}`, e.g. `hidden0.weight`, `out.bias`. */
  readonly name: string;
  readonly layer: string;
  readonly role: ParamRole;
  /** Leading axis is the seed axis S. */
  readonly variable: tf.Variable;
}

/** Per-layer intermediate values recorded during a forward pass, for probes ("taps"). */
export interface Taps {
  /** Pre-activation of layer `name`, `[S, B, width]`. */
  pre: Map<string, tf.Tensor>;
  /** Post-activation (the layer's output), `[S, B, width]`. */
  post: Map<string, tf.Tensor>;
}

export interface ForwardOptions {
  /** Batch norm uses batch statistics and dropout is active when true. */
  training: boolean;
  /** When given, every layer writes its pre- and post-activation here (tensors owned by the caller). */
  taps?: Taps;
}

export interface Model {
  /** Number of seeds batched in the parameters. */
  readonly seeds: number;
  /** Layer names in order (`hidden0`, `hidden1`, …, `out`), addressable from `.dyn` as `net.hidden[0]`. */
  readonly layerNames: readonly string[];
  readonly params: readonly Param[];
  /** `[S, B, ...xShape]` → `[S, B, out]`. Must be differentiable (twice, for curvature probes). */
  forward(x: tf.Tensor, options: ForwardOptions): tf.Tensor;
  /**
   * Optional fast path of the training step: the loss on (x, y) and its gradient for every parameter (in
   * `params` order) computed without the autodiff tape, or undefined where the model cannot (then the
   * training loop differentiates `forward`). Must equal what differentiating `forward` gives.
   */
  fusedLossAndGradients?(x: tf.Tensor, y: tf.Tensor, loss: LossKind): FusedStep | undefined;
  /** Non-trainable state (BN running statistics), snapshotted with the parameters. */
  readonly state: readonly tf.Variable[];
  dispose(): void;
}
