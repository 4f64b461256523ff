/**
 * The seed-batched multilayer perceptron every `.dyn` `mlp(...)` compiles to.
 *
 * Layer i (`hidden{i}`): dense → [batch norm] → activation → [dropout]. Then `out`: dense, times
 * `outputScale`. Taps record, per layer, `pre` = the activation's input (after batch norm) and
 * `post` = the layer's output as the next layer sees it (after dropout); for `out`, `pre` is the dense
 * output and `post` the scaled model output.
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import { lossName, type LossKind } from "../loss.js";
import type { DenseMlpPlan, ForwardOptions, FusedStep, FusedStepPath, LayerView, Model, Param, ScalarNetSpec } from "../../contract/model.js";
import { layerViews, mlpLayers } from "../../contract/layer-list.js";
import { isValidSeed } from "../../contract/program.js";
import { scalarNetStep, scalarNetStepPath } from "./scalar-net-step.js";
import { type Activation, type ActivationSpec, activation, activationName, DEFAULT_LEAKY_SLOPE } from "./activations.js";
import { applyBatchNorm, type BatchNormParams, createBatchNorm } from "./batchnorm.js";
import { applyDense, createDenseParams, type DenseParams } from "./dense.js";
import { applyDropout, checkDropout, DropoutStreams } from "./dropout.js";
import type { RngState } from "../rng.js";
import { createEncoding, type Encoding, type EncodingSpec } from "./encodings.js";
import { layerInits, type MlpInit } from "./layer-init.js";

export type { LayeredInit, MlpInit, PhaseInit } from "./layer-init.js";

/** Seeds as values (`[0, 7, 42]`) or a count n meaning 0..n−1. */
export type SeedList = number | readonly number[];

export interface MlpOptions {
  readonly inDim: number;
  readonly hidden: readonly number[];
  readonly outDim: number;
  /** Default relu. */
  readonly act?: ActivationSpec;
  /** Biases on every dense layer; default true. */
  readonly bias?: boolean;
  /** Default "none". */
  readonly norm?: "none" | "batchnorm";
  /** Dropout probability after each hidden activation; default 0. */
  readonly dropout?: number;
  readonly encode?: EncodingSpec;
  /** The output is multiplied by this (1/α); default 1, or 1/α under the phase init. */
  readonly outputScale?: number;
  readonly seeds: SeedList;
  /** Default torch_default. */
  readonly init?: MlpInit;
}

/**
 * Forward options of nn models: `updateStats` (default = training) lets probes run in training mode without
 * moving BN statistics; `dropout: false` (default = training) keeps dropout off in training mode, so a probe
 * can use batch statistics without drawing from the dropout streams (curvature probes).
 */
export interface NnForwardOptions extends ForwardOptions {
  readonly updateStats?: boolean;
  readonly dropout?: boolean;
}

interface HiddenLayer {
  readonly name: string;
  readonly dense: DenseParams;
  readonly norm?: BatchNormParams;
}

/** Seed values from a count or a list of distinct whole numbers in [0, 2^32) (the streams `Rng` tells apart). */
export function resolveSeeds(seeds: SeedList): number[] {
  const list = typeof seeds === "number" ? Array.from({ length: seeds }, (_, i) => i) : [...seeds];
  if (list.length === 0 || list.some((s) => !isValidSeed(s)) || new Set(list).size !== list.length) {
    throw new DyncRuntimeError("RUN040", `seeds must be a positive count or a list of distinct whole numbers in [0, 2^32), got ${JSON.stringify(seeds)}`);
  }
  return list;
}

/** A seed-batched MLP (the `Model` contract), with its configuration readable for records and probes. */
export class Mlp implements Model {
  readonly seeds: number;
  readonly seedValues: readonly number[];
  readonly layerNames: readonly string[];
  readonly params: readonly Param[];
  readonly layers: readonly LayerView[];
  readonly state: readonly tf.Variable[];
  readonly outputScale: number;
  readonly inDim: number;
  readonly outDim: number;
  private readonly hidden: readonly HiddenLayer[];
  private readonly out: DenseParams;
  private readonly act: Activation;
  private readonly dropout: number;
  private readonly encoding?: Encoding;
  private readonly dropoutStreams: DropoutStreams;

  constructor(readonly options: MlpOptions) {
    checkShape(options);
    this.seedValues = resolveSeeds(options.seeds);
    this.seeds = this.seedValues.length;
    this.inDim = options.inDim;
    this.outDim = options.outDim;
    this.act = activation(options.act ?? "relu");
    this.dropout = checkDropout(options.dropout ?? 0);
    this.dropoutStreams = new DropoutStreams(this.seedValues);
    const inits = layerInits(options);
    this.outputScale = inits.outputScale;
    this.encoding = options.encode ? createEncoding(options.encode, options.inDim, this.seedValues) : undefined;
    const bias = options.bias ?? true;
    let width = this.encoding?.outDim ?? options.inDim;
    this.hidden = options.hidden.map((h, i) => {
      const name = `hidden${i}`;
      const dense = createDenseParams(name, width, h, { seeds: this.seedValues, init: inits.forLayer(name), bias });
      width = h;
      const norm = options.norm === "batchnorm" ? createBatchNorm(name, this.seeds, h) : undefined;
      return norm ? { name, dense, norm } : { name, dense };
    });
    this.out = createDenseParams("out", width, options.outDim, { seeds: this.seedValues, init: inits.forLayer("out"), bias });
    this.layerNames = [...this.hidden.map((l) => l.name), "out"];
    this.params = [
      ...this.hidden.flatMap((l) => layerParams(l.dense, l.norm)),
      ...layerParams(this.out),
    ];
    this.state = this.hidden.flatMap((l) => (l.norm ? [l.norm.runningMean, l.norm.runningVar] : []));
    this.layers = this.describeLayers(options);
  }

  /** The layer view: this network as the layer list `mlp(…)` stands for (contract/layer-list.ts). */
  private describeLayers(o: MlpOptions): LayerView[] {
    const list = mlpLayers({
      hidden: o.hidden,
      outDim: o.outDim,
      act: o.act ?? "relu",
      bias: o.bias ?? true,
      norm: o.norm ?? "none",
      dropout: o.dropout ?? 0,
      encode: o.encode ?? null,
      outputScale: o.outputScale ?? null,
    });
    const dense = new Map([...this.hidden.map((l) => [l.name, l.dense] as const), ["out", this.out] as const]);
    return layerViews(list, [o.inDim], (name) => dense.get(name)!);
  }

  /** The dropout streams' positions (checkpoints). */
  randomState(): unknown {
    return this.dropoutStreams.state();
  }

  restoreRandomState(state: unknown): void {
    this.dropoutStreams.restore(state as RngState[]);
  }

  /** `[S, B, inDim]` → `[S, B, outDim]`. */
  forward(x: tf.Tensor, options: NnForwardOptions): tf.Tensor {
    this.checkInput(x);
    const { training, taps } = options;
    const updateStats = options.updateStats ?? training;
    let h = (this.encoding ? this.encoding.apply(x as tf.Tensor3D) : x) as tf.Tensor3D;
    for (const layer of this.hidden) {
      let pre = applyDense(layer.dense, h);
      if (layer.norm) pre = applyBatchNorm(layer.norm, pre, training, updateStats);
      h = applyDropout(this.dropoutStreams, this.act(pre), this.dropout, training) as tf.Tensor3D;
      taps?.pre.set(layer.name, pre);
      taps?.post.set(layer.name, h);
    }
    const pre = applyDense(this.out, h);
    const y = this.outputScale === 1 ? pre : tf.mul(pre, this.outputScale);
    taps?.pre.set("out", pre);
    taps?.post.set("out", y);
    return y;
  }

  /**
   * The training step of a plain 1→W→1 network (one hidden layer, biases, no batch norm, dropout or
   * encoding) under mse, half_mse or half_sse (equal to half_mse with one output), as one SIMD kernel on the wasm backend (runtime/kernels); undefined
   * otherwise. Equal to differentiating `forward` up to float32 summation order (test/runtime/
   * fused-scalar-net.test.ts).
   */
  fusedLossAndGradients(x: tf.Tensor, y: tf.Tensor, loss: LossKind): FusedStep | undefined {
    const net = this.scalarNet(loss);
    if (!net) return undefined;
    this.checkInput(x);
    return scalarNetStep(x, y, net);
  }

  fusedStepPath(loss: LossKind): FusedStepPath | undefined {
    const net = this.scalarNet(loss);
    return net && scalarNetStepPath(net);
  }

  /** The network as a plain 1→W→1 network (one hidden layer, biases, no batch norm, dropout or encoding) under mse, half_mse or half_sse; else undefined. */
  scalarNet(loss: LossKind): ScalarNetSpec | undefined {
    const [hidden, ...deeper] = this.hidden;
    if (!hidden || deeper.length > 0 || hidden.norm || this.encoding || this.dropout > 0) return undefined;
    if (this.inDim !== 1 || this.outDim !== 1 || lossName(loss) === "cross_entropy" || !hidden.dense.bias || !this.out.bias) return undefined;
    const spec = this.options.act ?? "relu";
    const alpha = typeof spec === "object" && "slope" in spec ? spec.slope : DEFAULT_LEAKY_SLOPE;
    const params = [hidden.dense.weight.variable, hidden.dense.bias.variable, this.out.weight.variable, this.out.bias.variable] as const;
    return { activation: activationName(spec), alpha, scale: this.outputScale, half: loss === "mse" ? 1 : 0.5, params };
  }

  /** The network as a plain dense MLP (`Model.denseMlpPlan`; the hidden layers' batch norm included): without dropout; else undefined. */
  denseMlpPlan(): DenseMlpPlan | undefined {
    if (this.dropout > 0) return undefined;
    const spec = this.options.act ?? "relu";
    const act = { activation: activationName(spec), alpha: typeof spec === "object" && "slope" in spec ? spec.slope : DEFAULT_LEAKY_SLOPE };
    const normOf = (n: BatchNormParams) => ({ norm: { gamma: n.gamma, beta: n.beta, runningMean: n.runningMean, runningVar: n.runningVar, eps: n.eps } });
    const layer = (dense: DenseParams, hidden: boolean, norm?: BatchNormParams) => ({ weight: dense.weight, ...(dense.bias ? { bias: dense.bias } : {}), ...(norm ? normOf(norm) : {}), ...(hidden ? act : { activation: "identity" as const, alpha: 0 }) });
    return { encode: (x) => this.encode(x), layers: [...this.hidden.map((l) => layer(l.dense, true, l.norm)), layer(this.out, false)], scale: this.outputScale };
  }

  /** Input encoding applied to `[S, B, inDim]` (identity without one), for probes that look at encoded inputs. */
  encode(x: tf.Tensor3D): tf.Tensor3D {
    return this.encoding ? this.encoding.apply(x) : x;
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
    for (const v of this.state) v.dispose();
    this.encoding?.dispose();
  }

  private checkInput(x: tf.Tensor): void {
    if (x.rank !== 3 || x.shape[0] !== this.seeds || x.shape[2] !== this.inDim) {
      throw new DyncRuntimeError(
        "RUN040",
        `mlp input must be [seeds=${this.seeds}, batch, in=${this.inDim}], got [${x.shape.join(", ")}]`,
      );
    }
  }
}

/** Build a seed-batched MLP. */
export function mlp(options: MlpOptions): Mlp {
  return new Mlp(options);
}

function layerParams(dense: DenseParams, norm?: BatchNormParams): Param[] {
  return [dense.weight, ...(dense.bias ? [dense.bias] : []), ...(norm ? [norm.gamma, norm.beta] : [])];
}

function checkShape(o: MlpOptions): void {
  const bad = [o.inDim, o.outDim, ...o.hidden].some((n) => !(Number.isInteger(n) && n >= 1));
  if (bad) {
    throw new DyncRuntimeError(
      "RUN040",
      `mlp widths must be positive integers, got in ${o.inDim}, hidden [${o.hidden.join(", ")}], out ${o.outDim}`,
    );
  }
}

