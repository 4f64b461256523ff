/**
 * The seed-batched model of a layer list (`model net { … }`, and `cnn(…)` lowered by `convNetLayers`): any
 * list that `layerGeometry` accepts, built from the same blocks as `Mlp` and `ConvNet` (dense with its
 * transposing gradient, im2col convolution, batch/layer norm, dropout streams, encodings, activations with
 * exact second derivatives), so a list written like an `mlp(…)` computes exactly what `Mlp` computes.
 *
 * Taps are per weighted layer (dense, conv), as for `Mlp`/`ConvNet`: `pre` is the value entering the first
 * activation after the layer (after any norm), `post` the value the next weighted layer receives (after
 * activation, pooling, dropout; before `flatten`). For the last layer `post` is the model output. `input`
 * (when the caller asks for it) is what a weighted layer receives, and `shift` is added to its linear output.
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import { labelSmoothing, lossName, type LossKind } from "../loss.js";
import type { DenseMlpPlan, FusedStep, FusedStepPath, LayerView, Model, Param, ScalarNetSpec } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { activationAfter, type LayerGeometry, layerGeometry, layerRole } from "../../contract/layer-list.js";
import { type FusedDenseLayer, nativeFusedStepActive, nativeMlpStep } from "../kernels/native-fused.js";
import { scalarNetStep, scalarNetStepPath } from "./scalar-net-step.js";
import { type Activation, type ActivationSpec, activation, activationName, DEFAULT_LEAKY_SLOPE } from "./activations.js";
import { applyBatchNorm, type BatchNormParams, createBatchNorm } from "./batchnorm.js";
import { type ConvParams, conv2d, conv2dRelu, createConvParams, flatten, pool2d } from "./conv.js";
import { applyDense, createDenseParams, type DenseParams } from "./dense.js";
import { applyDropout, checkDropout, DropoutStreams } from "./dropout.js";
import type { RngState } from "../rng.js";
import { createEncoding, type Encoding } from "./encodings.js";
import { applyLayerNorm, createLayerNorm, type LayerNormParams } from "./layernorm.js";
import { layerInits, type MlpInit } from "./layer-init.js";
import { type NnForwardOptions, resolveSeeds, type SeedList } from "./mlp.js";

export interface SequentialOptions {
  /** One sample: `[d]`, or `[H, W, C]` (images, also accepted as flattened HWC rows). */
  readonly inShape: readonly number[];
  readonly layers: readonly LayerSpec[];
  readonly seeds: SeedList;
  /** Default torch_default; per-layer overrides by layer name. */
  readonly init?: MlpInit;
}

/** A built layer: how it maps x, and what it owns. */
interface Built {
  readonly geometry: LayerGeometry;
  readonly params: readonly Param[];
  readonly state: readonly tf.Variable[];
  readonly view: LayerView;
  /** The layer's linear part (everything, for layers without an activation). */
  apply(x: tf.Tensor, options: NnForwardOptions): tf.Tensor;
  /** The activation applied after `apply` (a dense/conv `act:`, or an activation layer). */
  readonly act?: Activation;
  /**
   * `act(apply(x))` as one op where the layer has one (a conv with ReLU on the native path), else undefined. Not used
   * when taps or a shift need the value before the activation.
   */
  applyActivated?(x: tf.Tensor, options: NnForwardOptions): tf.Tensor | undefined;
  /** A `scale`: the tapped `pre` stays the unscaled value (as `Mlp`'s `out`). */
  readonly endsPre: boolean;
  /** A batch-norm layer's parameters and statistics (the fused step reads them). */
  readonly norm?: BatchNormParams;
  /** An encoding layer's function (the fused step encodes with it). */
  readonly encoding?: Encoding;
  dispose(): void;
}

/** A seed-batched layer-list network (the `Model` contract). */
export class Sequential implements Model {
  readonly seeds: number;
  readonly seedValues: readonly number[];
  readonly inDim: number;
  readonly outDim: number;
  readonly layerNames: readonly string[];
  readonly params: readonly Param[];
  readonly state: readonly tf.Variable[];
  readonly layers: readonly LayerView[];
  /** The output is multiplied by this (1/α of the phase init; 1 otherwise). */
  readonly outputScale: number;
  private readonly built: readonly Built[];
  private readonly dropoutStreams: DropoutStreams;

  constructor(readonly options: SequentialOptions) {
    this.seedValues = resolveSeeds(options.seeds);
    this.seeds = this.seedValues.length;
    const geometry = layerGeometry(options.layers, options.inShape);
    if (!Array.isArray(geometry)) throw new DyncRuntimeError("RUN040", `layer ${geometry.index}: ${geometry.message}`);
    const last = geometry.at(-1);
    if (!last || last.output.kind !== "flat") {
      throw new DyncRuntimeError("RUN040", "a layer list must end in rows of outputs (a dense layer, or `flatten`)");
    }
    this.inDim = options.inShape.reduce((a, b) => a * b, 1);
    this.outDim = last.output.width;
    this.dropoutStreams = new DropoutStreams(this.seedValues);
    const hidden = geometry.filter((g, i) => layerRole(options.layers, i) === "hidden").map((g) => g.output.kind === "flat" ? g.output.width : 0);
    const inits = layerInits({ init: options.init, hidden });
    if (inits.outputScale !== 1 && options.layers.some((l) => l.kind === "scale")) {
      throw new DyncRuntimeError("RUN040", "the phase init sets the output scale 1/α; do not add a `scale` layer too");
    }
    this.outputScale = inits.outputScale;
    this.built = geometry.map((g, i) => this.build(g, i, inits.forLayer(g.spec.name)));
    this.params = this.built.flatMap((b) => b.params);
    this.state = this.built.flatMap((b) => b.state);
    this.layers = this.built.map((b) => b.view);
    this.layerNames = this.layers.filter((v) => v.weight).map((v) => v.name);
  }

  /** The dropout streams' positions (the only randomness drawn while training). */
  randomState(): unknown {
    return this.dropoutStreams.state();
  }

  restoreRandomState(state: unknown): void {
    this.dropoutStreams.restore(state as RngState[]);
  }

  /** `[S, B, ...inShape]` (or flattened rows) → `[S, B, outDim]`. */
  forward(input: tf.Tensor, options: NnForwardOptions): tf.Tensor {
    this.checkInput(input);
    const { taps } = options;
    let x = input;
    let block: string | undefined;
    let activated = false;
    for (const b of this.built) {
      const input = this.conform(x, b.geometry);
      if (b.view.weight) taps?.input?.set(b.view.name, input);
      const shift = b.view.weight ? options.shift?.get(b.view.name) : undefined;
      const fused = taps || shift ? undefined : b.applyActivated?.(input, options);
      x = fused ?? b.apply(input, options);
      if (shift) x = tf.add(x, shift);
      if (b.view.weight) [block, activated] = [b.view.name, false];
      if (b.act) {
        if (block && !activated) taps?.pre.set(block, x);
        if (!fused) x = b.act(x);
        activated = true;
      } else if (b.endsPre) {
        activated = true;
      } else if (block && !activated) {
        taps?.pre.set(block, x);
      }
      if (block && b.geometry.spec.kind !== "flatten") taps?.post.set(block, x);
    }
    if (this.outputScale !== 1) {
      x = tf.mul(x, this.outputScale);
      if (block) taps?.post.set(block, x);
    }
    return x;
  }

  /**
   * The training step without the tape: `Mlp`'s fused SIMD step where the list is a plain 1→W→1 network
   * (dense(W, act, bias) → dense(1, bias) [→ scale], mse, half_mse or half_sse), else the native fused MLP
   * step where the native path serves and the list is a plain dense MLP; undefined otherwise (taped path).
   */
  fusedLossAndGradients(x: tf.Tensor, y: tf.Tensor, loss: LossKind): FusedStep | undefined {
    return this.scalarNetStep(x, y, loss) ?? this.nativeMlpStep(x, y, loss);
  }

  /** The step `fusedLossAndGradients` takes, in the same order: the scalar net's, else the native MLP's. */
  fusedStepPath(loss: LossKind): FusedStepPath | undefined {
    const net = this.scalarNet(loss);
    const scalar = net && scalarNetStepPath(net);
    if (scalar) return scalar;
    return this.fusedDensePlan() && nativeFusedStepActive() ? "native-mlp" : undefined;
  }

  /**
   * A plain dense MLP's step as one native call (runtime/kernels/native-fused.ts) where the native path serves:
   * after any input encodings, dense layers (any activation, with or without bias, with or without batch norm
   * after the product; a separate activation layer after a dense without one), then optionally a `scale`; rows
   * in, rows out; no layer norm or dropout (they take the taped path). Undefined otherwise.
   *
   * The encodings run first, as tfjs ops outside any tape, and the kernel trains on the encoded rows: they own
   * no parameters (a fixed function of the input, see `encodingPrefix`), so nothing differentiates through
   * them, as the taped path's gradient does not (its input gradient is pruned).
   */
  private nativeMlpStep(x: tf.Tensor, y: tf.Tensor, loss: LossKind): FusedStep | undefined {
    const plan = this.fusedDensePlan();
    if (!plan || x.rank !== 3 || x.shape[2] !== this.inDim || y.rank !== 3 || y.shape[2] !== this.outDim || x.shape[1] === 0) return undefined;
    this.checkInput(x);
    if (plan.layers.some((l) => l.norm) && x.shape[1]! < 2) return undefined; // the taped path says why (RUN040)
    const encoded = plan.encodings.length === 0 ? x : tf.tidy(() => plan.encodings.reduce((h, e) => e.encodeRows(h as tf.Tensor3D), x));
    let step: ReturnType<typeof nativeMlpStep>;
    try {
      step = nativeMlpStep(encoded, y, plan.layers, lossName(loss), { smoothing: labelSmoothing(loss), scale: this.outputScale * plan.scale });
    } finally {
      if (encoded !== x) encoded.dispose();
    }
    if (!step) return undefined;
    // The running statistics move once per training step, as the taped forward pass moves them.
    plan.layers.filter((l) => l.norm).forEach((l, k) => {
      const [mean, variance] = step.runningStats[k]!;
      (l.norm!.runningMean as tf.Variable).assign(mean);
      (l.norm!.runningVar as tf.Variable).assign(variance);
      tf.dispose([mean, variance]);
    });
    return { perSample: step.perSample, perSeed: step.perSeed, grads: step.grads, path: "native-mlp" };
  }

  /**
   * The list as its leading input encodings, then dense layers with their activations and the output factor,
   * or undefined when the rest is not a plain MLP.
   */
  private fusedDensePlan(): { encodings: Encoding[]; layers: FusedDenseLayer[]; scale: number } | undefined {
    const encodings = this.encodingPrefix();
    const layers: FusedDenseLayer[] = [];
    let scale = 1;
    for (const [i, spec] of this.options.layers.entries()) {
      if (i < encodings.length) continue;
      const previous = layers.at(-1);
      if (scale !== 1) return undefined; // a `scale` only at the end
      if (spec.kind === "dense") {
        const { weight, bias } = this.built[i]!.view;
        layers.push({ weight: weight!.variable, ...(bias ? { bias: bias.variable } : {}), ...fusedActivation(spec.act) });
      } else if (spec.kind === "batchnorm" && previous && previous.activation === "identity" && !previous.norm) {
        const bn = this.built[i]!.norm!;
        const norm = { gamma: bn.gamma.variable, beta: bn.beta.variable, runningMean: bn.runningMean, runningVar: bn.runningVar, momentum: bn.momentum, eps: bn.eps };
        layers[layers.length - 1] = { ...previous, norm };
      } else if (spec.kind === "activation" && previous && previous.activation === "identity") {
        layers[layers.length - 1] = { ...previous, ...fusedActivation(spec.act) };
      } else if (spec.kind === "scale" && previous) {
        scale = spec.factor;
      } else {
        return undefined;
      }
    }
    return layers.length > 0 ? { encodings, layers, scale } : undefined;
  }

  /**
   * The list as a plain dense MLP (`Model.denseMlpPlan`): the fused step's plan, batch norm included (between a
   * dense layer's product and its activation); undefined otherwise.
   */
  denseMlpPlan(): DenseMlpPlan | undefined {
    const plan = this.fusedDensePlan();
    if (!plan) return undefined;
    const views = this.built.filter((b) => b.view.weight).map((b) => b.view);
    const norms = this.built.filter((b) => b.norm).map((b) => b.norm!);
    const layers = plan.layers.map((l, i) => {
      const bn = l.norm && norms.find((n) => n.gamma.variable === l.norm!.gamma);
      const norm = bn ? { norm: { gamma: bn.gamma, beta: bn.beta, runningMean: bn.runningMean, runningVar: bn.runningVar, eps: bn.eps } } : {};
      return { weight: views[i]!.weight!, ...(views[i]!.bias ? { bias: views[i]!.bias } : {}), ...norm, activation: l.activation, alpha: l.alpha };
    });
    const encode = (x: tf.Tensor3D) => plan.encodings.reduce((h, e) => e.apply(h), x);
    return { encode, layers, scale: this.outputScale * plan.scale };
  }

  /**
   * The encodings the list starts with that are fixed functions of the input: no parameters, no state, no
   * randomness drawn while training (every registered encoding: coords, fourier, and gaussian_features, whose
   * frequency matrix is drawn once at construction). A trainable encoding would end the prefix.
   */
  private encodingPrefix(): Encoding[] {
    const end = this.built.findIndex((b) => !b.encoding || b.params.length > 0 || b.state.length > 0);
    return this.built.slice(0, end < 0 ? this.built.length : end).map((b) => b.encoding!);
  }

  /** `Mlp`'s fused step for a plain 1→W→1 network (see fusedLossAndGradients): native where it serves, else SIMD. */
  private scalarNetStep(x: tf.Tensor, y: tf.Tensor, loss: LossKind): FusedStep | undefined {
    const net = this.scalarNet(loss);
    if (!net) return undefined;
    this.checkInput(x);
    return scalarNetStep(x, y, net);
  }

  /** The list as a plain 1→W→1 network: dense(W, act, bias) → dense(1, bias) [→ scale], under mse, half_mse or half_sse. */
  scalarNet(loss: LossKind): ScalarNetSpec | undefined {
    const [first, second, third, ...rest] = this.options.layers;
    if (lossName(loss) === "cross_entropy" || rest.length > 0 || this.inDim !== 1 || this.outDim !== 1) return undefined;
    if (first?.kind !== "dense" || second?.kind !== "dense" || !first.bias || !second.bias || second.act !== null) return undefined;
    if (third && third.kind !== "scale") return undefined;
    const spec = first.act ?? "identity";
    const alpha = typeof spec === "object" && "slope" in spec ? spec.slope : DEFAULT_LEAKY_SLOPE;
    const scale = this.outputScale * (third?.kind === "scale" ? third.factor : 1);
    const [w1, b1, w2, b2] = this.params.map((p) => p.variable);
    return { activation: activationName(spec), alpha, scale, half: loss === "mse" ? 1 : 0.5, params: [w1!, b1!, w2!, b2!] };
  }

  dispose(): void {
    for (const b of this.built) b.dispose();
  }

  /** Rows `[S, B, n]` for dense layers, encodings, flatten and flat data; images `[S, B, H, W, C]` otherwise. */
  private conform(x: tf.Tensor, g: LayerGeometry): tf.Tensor {
    const rows = g.input.kind === "flat" || ["dense", "encoding", "flatten"].includes(g.spec.kind);
    if (rows) return x.rank === 3 ? x : flatten(x);
    if (g.input.kind !== "image" || x.rank === 5) return x;
    return tf.reshape(x, [x.shape[0]!, x.shape[1]!, g.input.h, g.input.w, g.input.c]);
  }

  private checkInput(x: tf.Tensor): void {
    const perSample = x.shape.slice(2);
    const rows = perSample.length === 1 && perSample[0] === this.inDim;
    const exact = perSample.length === this.options.inShape.length && perSample.every((n, i) => n === this.options.inShape[i]);
    if (x.shape[0] !== this.seeds || !(rows || exact)) {
      throw new DyncRuntimeError("RUN040", `model input must be [seeds=${this.seeds}, batch, ${this.options.inShape.join(", ")}] or [seeds=${this.seeds}, batch, ${this.inDim}], got [${x.shape.join(", ")}]`);
    }
  }

  private build(g: LayerGeometry, index: number, init: ReturnType<ReturnType<typeof layerInits>["forLayer"]>): Built {
    const spec = g.spec;
    const view = { name: spec.name, kind: spec.kind, role: layerRole(this.options.layers, index), fanIn: g.fanIn, fanOut: g.fanOut, activation: activationAfter(this.options.layers, index) };
    const plain = (apply: Built["apply"], endsPre = false, dispose: () => void = () => undefined): Built => ({ geometry: g, params: [], state: [], view, apply, endsPre, dispose });
    const common = { seeds: this.seedValues, init };
    switch (spec.kind) {
      case "dense": {
        const params = createDenseParams(spec.name, g.fanIn, spec.width, { ...common, bias: spec.bias });
        return weighted(g, { ...view, kind: "dense" }, params, (x, o) => applyDense(params, x as tf.Tensor3D, o.skipParameterGradients), spec.act);
      }
      case "conv": {
        if (g.input.kind !== "image") throw new DyncRuntimeError("RUN040", `conv layer ${spec.name} needs images`);
        const geometry = { kernel: spec.kernel, stride: spec.stride, padding: spec.padding } as const;
        const params = createConvParams(spec.name, g.input.c, spec.filters, geometry, { ...common, bias: spec.bias });
        const built = weighted(g, { ...view, kind: "conv" }, params, (x) => conv2d(x, params.weight.variable, params.bias?.variable, params.geometry), spec.act);
        if (spec.act === null || activationName(spec.act) !== "relu") return built;
        return { ...built, applyActivated: (x) => conv2dRelu(x, params.weight.variable, params.bias?.variable, params.geometry) };
      }
      case "pool":
        return plain((x) => pool2d(x, spec.op, spec.size));
      case "flatten":
        return plain((x) => x);
      case "batchnorm": {
        const bn = createBatchNorm(spec.name, this.seeds, g.fanIn);
        return { ...normLayer(g, view, bn), state: [bn.runningMean, bn.runningVar], apply: (x, o) => batchNorm(bn, x, o), norm: bn };
      }
      case "layernorm": {
        const ln = createLayerNorm(spec.name, this.seeds, g.fanIn);
        return { ...normLayer(g, view, ln), apply: (x) => applyLayerNorm(ln, x) };
      }
      case "dropout": {
        const p = checkDropout(spec.p);
        return plain((x, o) => applyDropout(this.dropoutStreams, x, p, o.training && o.dropout !== false));
      }
      case "activation":
        return { ...plain((x) => x), act: activation(spec.act) };
      case "encoding": {
        const encoding: Encoding = createEncoding(spec.encoding, g.fanIn, this.seedValues);
        return { ...plain((x) => encoding.apply(x as tf.Tensor3D), false, () => { encoding.dispose(); }), encoding };
      }
      case "scale":
        return plain((x) => tf.mul(x, spec.factor), true);
    }
  }
}

/** An activation spec as the fused step's name and slope (identity for none). */
function fusedActivation(spec: ActivationSpec | null): Pick<FusedDenseLayer, "activation" | "alpha"> {
  if (spec === null) return { activation: "identity", alpha: 0 };
  return { activation: activationName(spec), alpha: typeof spec === "object" && "slope" in spec ? spec.slope : DEFAULT_LEAKY_SLOPE };
}

/** A dense or conv layer: its weight and bias in the view, applying its own activation if it has one. */
function weighted(g: LayerGeometry, view: LayerView, params: DenseParams | ConvParams, apply: Built["apply"], act: ActivationSpec | null): Built {
  const own = params.bias ? [params.weight, params.bias] : [params.weight];
  return {
    geometry: g,
    params: own,
    state: [],
    view: { ...view, weight: params.weight, ...(params.bias ? { bias: params.bias } : {}) },
    apply,
    ...(act === null ? {} : { act: activation(act) }),
    endsPre: false,
    dispose: () => own.forEach((p) => p.variable.dispose()),
  };
}

function normLayer(g: LayerGeometry, view: LayerView, p: BatchNormParams | LayerNormParams): Omit<Built, "apply"> {
  const state = "runningMean" in p ? [p.runningMean, p.runningVar] : [];
  return {
    geometry: g,
    params: [p.gamma, p.beta],
    state,
    view,
    endsPre: false,
    dispose: () => [p.gamma.variable, p.beta.variable, ...state].forEach((v) => v.dispose()),
  };
}

/** Batch norm over the batch (rows) or over batch and pixels per channel (images, BatchNorm2d). */
function batchNorm(bn: BatchNormParams, x: tf.Tensor, o: NnForwardOptions): tf.Tensor {
  const updateStats = o.updateStats ?? o.training;
  if (x.rank === 3) return applyBatchNorm(bn, x as tf.Tensor3D, o.training, updateStats);
  const [S, ...rest] = x.shape;
  const C = rest.at(-1)!;
  const pixels = tf.reshape(x, [S!, rest.slice(0, -1).reduce((a, b) => a * b, 1), C]) as tf.Tensor3D;
  return tf.reshape(applyBatchNorm(bn, pixels, o.training, updateStats), x.shape);
}

/** Build a seed-batched layer-list model. */
export function sequential(options: SequentialOptions): Sequential {
  return new Sequential(options);
}
