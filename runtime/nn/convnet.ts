/**
 * A seed-batched CNN for image classification: `conv{i}` (conv2d → activation → optional pooling), flatten,
 * `hidden{j}` dense layers with the activation, and a dense `out`. A conv block may choose its own
 * activation (tanh convolutions before ReLU dense layers, as in Zhou et al.'s condensation CNN). Taps: for conv layers `pre` is the conv
 * output `[S, B, Ho, Wo, C]` and `post` the activated, pooled output; dense layers as in `mlp`.
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import type { LayerView, Model, Param } from "../../contract/model.js";
import { convNetLayers, layerViews } from "../../contract/layer-list.js";
import { type Activation, type ActivationSpec, activation } from "./activations.js";
import { type ConvParams, conv2d, convOutputSize, createConvParams, flatten, pool2d } from "./conv.js";
import { applyDense, createDenseParams, type DenseParams } from "./dense.js";
import { layerInits, type LayeredInit } from "./layer-init.js";
import type { InitSchemeName, LayerInit } from "../init.js";
import { type NnForwardOptions, resolveSeeds, type SeedList } from "./mlp.js";
import type { ConvBlockSpec } from "../../contract/model-specs.js";
export type { ConvBlockSpec } from "../../contract/model-specs.js";

export interface ConvNetOptions {
  /** One image, `[H, W, C]`. */
  readonly inShape: readonly [number, number, number];
  readonly convs: readonly ConvBlockSpec[];
  readonly hidden: readonly number[];
  readonly outDim: number;
  /** Default relu. */
  readonly act?: ActivationSpec;
  /** Default true. */
  readonly bias?: boolean;
  readonly seeds: SeedList;
  /** Default torch_default; per-layer overrides by name (`conv0`, `hidden0`, `out`). */
  readonly init?: InitSchemeName | LayerInit | LayeredInit;
}

/** A seed-batched CNN (the `Model` contract). */
export class ConvNet implements Model {
  readonly seeds: number;
  readonly seedValues: readonly number[];
  /** Values per image, H·W·C: a flattened image row has this length. */
  readonly inDim: number;
  readonly outDim: number;
  readonly layerNames: readonly string[];
  readonly params: readonly Param[];
  readonly layers: readonly LayerView[];
  readonly state: readonly tf.Variable[] = [];
  private readonly convs: readonly { name: string; params: ConvParams; act: Activation; pool?: ConvBlockSpec["pool"] }[];
  private readonly dense: readonly { name: string; params: DenseParams }[];
  private readonly act: Activation;

  constructor(readonly options: ConvNetOptions) {
    this.seedValues = resolveSeeds(options.seeds);
    this.seeds = this.seedValues.length;
    this.act = activation(options.act ?? "relu");
    this.inDim = options.inShape[0] * options.inShape[1] * options.inShape[2];
    this.outDim = options.outDim;
    const inits = layerInits({ init: options.init, hidden: options.hidden });
    const bias = options.bias ?? true;
    const common = { seeds: this.seedValues, bias };
    let [h, w, c] = options.inShape;
    this.convs = options.convs.map((spec, i) => {
      const name = `conv${i}`;
      const geometry = { kernel: spec.kernel, stride: spec.stride ?? 1, padding: spec.padding ?? "valid" } as const;
      const params = createConvParams(name, c, spec.filters, geometry, { ...common, init: inits.forLayer(name) });
      [h, w, c] = [convOutputSize(h, geometry).out, convOutputSize(w, geometry).out, spec.filters];
      if (spec.pool) [h, w] = [Math.floor(h / spec.pool.size), Math.floor(w / spec.pool.size)];
      if (!(h >= 1 && w >= 1)) throw new DyncRuntimeError("RUN040", `${name} leaves no pixels of a ${options.inShape.join("×")} image`);
      const act = spec.act === undefined ? this.act : activation(spec.act);
      return spec.pool ? { name, params, act, pool: spec.pool } : { name, params, act };
    });
    let width = h * w * c;
    const sizes = [...options.hidden, options.outDim];
    this.dense = sizes.map((size, j) => {
      const name = j < options.hidden.length ? `hidden${j}` : "out";
      const params = createDenseParams(name, width, size, { ...common, init: inits.forLayer(name) });
      width = size;
      return { name, params };
    });
    this.layerNames = [...this.convs.map((l) => l.name), ...this.dense.map((l) => l.name)];
    this.params = [...this.convs.map((l) => l.params), ...this.dense.map((l) => l.params)].flatMap((p) =>
      p.bias ? [p.weight, p.bias] : [p.weight],
    );
    const weights = new Map<string, { readonly weight: Param; readonly bias?: Param }>([...this.convs.map((l) => [l.name, l.params] as const), ...this.dense.map((l) => [l.name, l.params] as const)]);
    const list = convNetLayers({ convs: options.convs, hidden: options.hidden, outDim: options.outDim, act: options.act ?? "relu", bias });
    this.layers = layerViews(list, options.inShape, (name) => weights.get(name)!);
  }

  /** `[S, B, H, W, C]`, or flattened rows `[S, B, H·W·C]` in HWC order, → `[S, B, outDim]`. */
  forward(input: tf.Tensor, options: NnForwardOptions): tf.Tensor {
    const [H, W, C] = this.options.inShape;
    // Data sets store images as rows of H·W·C values (HWC order), which reshape back without copying.
    const x = input.rank === 3 && input.shape[2] === this.inDim ? tf.reshape(input, [input.shape[0]!, input.shape[1]!, H, W, C]) : input;
    if (x.rank !== 5 || x.shape[0] !== this.seeds || x.shape[2] !== H || x.shape[3] !== W || x.shape[4] !== C) {
      throw new DyncRuntimeError("RUN040", `convnet input must be [seeds=${this.seeds}, batch, ${H}, ${W}, ${C}] or [seeds=${this.seeds}, batch, ${this.inDim}], got [${input.shape.join(", ")}]`);
    }
    const { taps } = options;
    let h: tf.Tensor = x;
    for (const layer of this.convs) {
      const pre = conv2d(h, layer.params.weight.variable, layer.params.bias?.variable, layer.params.geometry);
      h = layer.act(pre);
      if (layer.pool) h = pool2d(h, layer.pool.kind, layer.pool.size);
      taps?.pre.set(layer.name, pre);
      taps?.post.set(layer.name, h);
    }
    let v = flatten(h);
    this.dense.forEach((layer, j) => {
      const pre = applyDense(layer.params, v);
      v = j < this.dense.length - 1 ? (this.act(pre) as tf.Tensor3D) : pre;
      taps?.pre.set(layer.name, pre);
      taps?.post.set(layer.name, v);
    });
    return v;
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
  }
}

/** Build a seed-batched CNN. */
export function convNet(options: ConvNetOptions): ConvNet {
  return new ConvNet(options);
}
