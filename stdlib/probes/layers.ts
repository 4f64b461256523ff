/**
 * How probes address a model's layers: through its layer view (`Model.layers`), never its class. A
 * probe's `layer: k` counts the hidden layers, dense or conv (`net.hidden[k]` of an mlp; in a cnn the
 * conv blocks come first).
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { LayerView, Model } from "../../contract/model.js";

/** The layers `layer: k` counts: hidden dense layers and conv blocks, in forward order. */
export function hiddenLayers(model: Model): LayerView[] {
  return model.layers.filter((l) => l.role === "hidden" || l.role === "conv");
}

/** Hidden layer `k`, checked. */
export function hiddenLayer(model: Model, k: number): LayerView {
  const hidden = hiddenLayers(model);
  if (!(Number.isInteger(k) && k >= 0 && k < hidden.length)) {
    throw new DyncRuntimeError("RUN040", `layer must be a hidden-layer index in 0..${hidden.length - 1}, got ${JSON.stringify(k)}`, `the model's hidden layers: ${hidden.map((l) => l.name).join(", ")}`);
  }
  return hidden[k]!;
}

/** The first layer after `view` that has weights: the one its outputs feed. */
export function nextWeighted(model: Model, view: LayerView): LayerView | undefined {
  return model.layers.slice(model.layers.indexOf(view) + 1).find((l) => l.weight !== undefined);
}

/** Layer kinds that make a network more than dense layers and activations. */
const NOT_PLAIN: ReadonlySet<LayerView["kind"]> = new Set(["encoding", "batchnorm", "layernorm", "conv", "pool"]);

/**
 * The hidden and output layer of a plain one-hidden-layer dense network (no encoding, normalisation or
 * convolution; dropout and a constant output scale allowed), or undefined for any other model.
 */
export function twoLayerView(model: Model): { readonly hidden: LayerView; readonly out: LayerView } | undefined {
  const weighted = model.layers.filter((l) => l.weight !== undefined);
  const [hidden, out] = weighted;
  if (weighted.length !== 2 || model.layers.some((l) => NOT_PLAIN.has(l.kind))) return undefined;
  if (hidden!.role !== "hidden" || hidden!.kind !== "dense" || out!.role !== "out" || out!.kind !== "dense") return undefined;
  return { hidden: hidden!, out: out! };
}
