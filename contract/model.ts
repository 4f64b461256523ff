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
import type { ActivationName, ActivationSpec } from "./model-specs.js";

/**
 * Which training step served a model's updates (manifest.json `runs[].step`): `native-mlp`, the fused native
 * step of a plain dense MLP (OpenBLAS addon); `native-scalar` and `simd-scalar`, the fused step of a 1→W→1
 * network, native or as dync's wasm SIMD kernel; `taped`, tfjs's tape differentiating `forward`. They agree
 * up to float32 summation order, so a resumed run must keep its path.
 */
export type TrainingStepPath = "native-mlp" | "native-scalar" | "simd-scalar" | "taped";
/** How many updates of a run each path served (paths that served none left out). */
export type StepPathCounts = Readonly<Partial<Record<TrainingStepPath, number>>>;
/**
 * Which computation served a run's Hessian-vector products (manifest.json `runs[].hvp`, products per path):
 * `native`, the native R-operator of a plain dense MLP (`Model.denseMlpPlan`; runtime/kernels/native-hvp.ts);
 * `rop`, the same R-operator in tfjs ops where the native one does not serve (stdlib/curvature/rop-hvp.ts);
 * `taped`, a second backward pass on tfjs's tape; `difference`, central differences of gradients (`hvp:
 * "difference"`). native, rop and taped agree up to float32 summation order.
 */
export type HvpPath = "native" | "rop" | "taped" | "difference";
/** Hessian-vector products of a run per path (paths that served none left out). */
export type HvpPathCounts = Readonly<Partial<Record<HvpPath, number>>>;
/** The paths without the tape (`Model.fusedLossAndGradients`). */
export type FusedStepPath = Exclude<TrainingStepPath, "taped">;

/** A training step's loss and gradients from `Model.fusedLossAndGradients` (the caller disposes them). */
export interface FusedStep {
  readonly perSample: tf.Tensor2D;
  readonly perSeed: tf.Tensor1D;
  readonly grads: readonly tf.Tensor[];
  /** Which fused step computed them. */
  readonly path: FusedStepPath;
}

/**
 * A plain 1→W→1 network (dense(W, act, bias) → dense(1, bias), output times `scale`) under (half) mean squared
 * error, as the fused scalar-net kernels take it (`Model.scalarNet`).
 */
export interface ScalarNetSpec {
  readonly activation: ActivationName;
  /** leaky_relu's slope. */
  readonly alpha: number;
  readonly scale: number;
  /** 1 for mse, 0.5 for half_mse / half_sse (equal with one output). */
  readonly half: number;
  /** w1 `[S, 1, W]`, b1 `[S, W]`, w2 `[S, W, 1]`, b2 `[S, 1]`: the model's parameters in `params` order. */
  readonly params: readonly [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
}

/**
 * Batch norm (BatchNorm1d over the batch rows, per seed and feature) between a dense layer's product and its
 * activation: γ⊙(z − μ)/√(v + eps) + β. Which statistics μ, v apply is the caller's choice, as for `forward`:
 * those of the rows evaluated (training mode, `ForwardOptions.training`) or the running ones (evaluation mode).
 */
export interface DenseMlpNorm {
  /** `[S, fanOut]`: scale γ and shift β. */
  readonly gamma: Param;
  readonly beta: Param;
  /** `[S, fanOut]`: the running statistics (non-trainable state; evaluation mode normalises with them). */
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly eps: number;
}

/** One dense layer of a plain dense MLP (`Model.denseMlpPlan`): x·W (+ b), then its batch norm if any, then its activation (identity for none). */
export interface DenseMlpLayer {
  /** `[S, fanIn, fanOut]`. */
  readonly weight: Param;
  /** `[S, fanOut]`. */
  readonly bias?: Param;
  /** Batch norm after the product (and bias), before the activation. */
  readonly norm?: DenseMlpNorm;
  readonly activation: ActivationName;
  /** leaky_relu's slope. */
  readonly alpha: number;
}

/**
 * A model as a plain dense MLP: fixed input encodings (no parameters), then dense layers, each with an optional
 * batch norm after its product and its activation, the output times `scale` — no layer norm, dropout, convolution
 * (`Model.denseMlpPlan`). Kernels that compute with the layers directly (the Hessian-vector products:
 * stdlib/curvature/rop-hvp.ts and runtime/kernels/native-hvp.ts) read it.
 */
export interface DenseMlpPlan {
  /** The input encodings as one function of rows `[S, B, in]` → `[S, B, fanIn of the first layer]` (the identity without). */
  encode(x: tf.Tensor3D): tf.Tensor3D;
  readonly layers: readonly DenseMlpLayer[];
  /** The factor on the last layer's output (the model's `outputScale` times a final `scale` layer's). */
  readonly scale: number;
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
  /**
   * When present, the value each weighted layer receives (after encodings and `flatten`): `[S, B, fanIn]`
   * for a dense layer. With `ForwardOptions.shift` it gives per-example weight gradients as outer products.
   */
  input?: Map<string, tf.Tensor>;
}

/** What kind of layer a `LayerView` describes. */
export type LayerKind = "dense" | "conv" | "pool" | "flatten" | "batchnorm" | "layernorm" | "dropout" | "activation" | "encoding" | "scale";

/** One layer of a model as probes see it: its parameters, fans and the activation applied to its output. */
export interface LayerView {
  /** Address: `hidden0`, `conv0`, `out` (mlp/cnn), or the name given in a `model net { … }` block. */
  readonly name: string;
  readonly kind: LayerKind;
  /** `hidden` (net.hidden[k]), `conv` (net.convs[k]), `out` (net.out), or `other` (norms, pools, …). */
  readonly role: "hidden" | "conv" | "out" | "other";
  /** dense `[S, fanIn, fanOut]`, conv `[S, k, k, C_in, C_out]`; absent for layers without weights. */
  readonly weight?: Param;
  readonly bias?: Param;
  /** Inputs and outputs per unit: dense fanIn = input width; conv fanIn = k·k·C_in. */
  readonly fanIn: number;
  readonly fanOut: number;
  /** The activation applied right after this layer (its own `act:` or the next activation layer), or null. */
  readonly activation: ActivationSpec | null;
}

export interface ForwardOptions {
  /** Batch norm uses batch statistics and dropout is active when true. */
  training: boolean;
  /** When given, every layer writes its pre- and post-activation here (tensors owned by the caller). */
  taps?: Taps;
  /**
   * Tensors added to the linear output (x·W + b, before any norm or activation) of the weighted layers they
   * name, each of that output's shape. Zeros leave the forward pass unchanged; the gradient of a sum of
   * per-row losses with respect to them is each row's backprop signal ∂loss_row/∂z_row (gradient confusion).
   * Only `Sequential` reads it.
   */
  shift?: ReadonlyMap<string, tf.Tensor>;
  /**
   * The caller differentiates only with respect to the input or `shift`, never the parameters: dense layers
   * then return zeros as their weight gradient instead of computing aᵀ·dy (a third of a backward pass).
   * Only `Sequential` reads it.
   */
  skipParameterGradients?: boolean;
}

export interface Model {
  /** Number of seeds batched in the parameters. */
  readonly seeds: number;
  /** Layer names in order (`hidden0`, `hidden1`, …, `out`), addressable from `.dyn` as `net.hidden[0]`. */
  readonly layerNames: readonly string[];
  readonly params: readonly Param[];
  /** Every layer in forward order (encodings, norms, pools included). */
  readonly layers: readonly LayerView[];
  /** `[S, B, ...xShape]` → `[S, B, out]`. Must be differentiable (twice, for curvature probes). */
  forward(x: tf.Tensor, options: ForwardOptions): tf.Tensor;
  /**
   * Optional fast path of the training step: the loss on (x, y) and its gradient for every parameter (in
   * `params` order) computed without the autodiff tape, or undefined where the model cannot (then the
   * training loop differentiates `forward`). Must equal what differentiating `forward` gives.
   */
  fusedLossAndGradients?(x: tf.Tensor, y: tf.Tensor, loss: LossKind): FusedStep | undefined;
  /**
   * The fused step `fusedLossAndGradients` takes under `loss` in this process, decided as it decides but
   * without a batch (a well-formed one assumed), or undefined for the tape. `--resume` asks it of each
   * recorded run's model (runner/resume.ts).
   */
  fusedStepPath?(loss: LossKind): FusedStepPath | undefined;
  /**
   * The model as a plain 1→W→1 network under `loss` (its parameters are exactly the spec's four), or
   * undefined when it is not one; the training loop then may run several updates in one fused call.
   */
  scalarNet?(loss: LossKind): ScalarNetSpec | undefined;
  /**
   * The model as a plain dense MLP (`DenseMlpPlan`), or undefined when it is not one; its layers' parameters are
   * then exactly `params`, in order (per layer: weight, bias, then the norm's γ and β).
   */
  denseMlpPlan?(): DenseMlpPlan | undefined;
  /** Non-trainable state (BN running statistics), snapshotted with the parameters. */
  readonly state: readonly tf.Variable[];
  /**
   * Randomness the model draws while training (dropout streams) as plain data, for checkpoints, and its
   * restoration; absent for a model that draws none after initialisation.
   */
  randomState?(): unknown;
  restoreRandomState?(state: unknown): void;
  /** The constant factor on the output (a `scale` layer; 1/α under the phase init); absent means 1. */
  readonly outputScale?: number;
  dispose(): void;
}
