/**
 * Layer lists as plain data: the shape each layer sees, its parameter count and multiply-adds, its role
 * (`hidden`, `conv`, `out`), and `mlp(…)`/`cnn(…)` written as layer lists. Pure JavaScript (no tfjs), so the
 * checker, `dync plan` and the runtime's `Sequential` share one set of shape rules.
 */
import type { ConvNetModelSpec, LayerSpec, MlpModelSpec, ModelSpec } from "./program.js";
import type { EncodingSpec } from "./model-specs.js";
import type { LayerView, Param } from "./model.js";

/** What flows between layers: rows of `width` values, or images. `raw`: the model input, still readable as rows. */
export type LayerShape =
  | { readonly kind: "flat"; readonly width: number }
  | { readonly kind: "image"; readonly h: number; readonly w: number; readonly c: number; readonly raw: boolean };

/** One layer with the shapes around it and what it costs per sample. */
export interface LayerGeometry {
  readonly spec: LayerSpec;
  readonly input: LayerShape;
  readonly output: LayerShape;
  /** Trainable values of one seed. */
  readonly params: number;
  /** Multiply-adds of the weights in one sample's forward pass. */
  readonly multiplyAdds: number;
  /** Inputs and outputs per unit (dense: widths; conv: k·k·C_in and k·k·C_out, PyTorch's fans); width otherwise. */
  readonly fanIn: number;
  readonly fanOut: number;
}

/** Why a layer does not fit what it receives. */
export interface LayerShapeError {
  readonly index: number;
  readonly reason: "needs-image" | "needs-flatten" | "too-small";
  readonly message: string;
}

/** The size of a convolution's output along one axis (TensorFlow's valid/same rules, as runtime/nn/conv.ts). */
export function convOutputLength(size: number, kernel: number, stride: number, padding: "valid" | "same"): number {
  return padding === "same" ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/** The width of an encoding's output for inputs of width d. */
export function encodedWidth(e: EncodingSpec, d: number): number {
  if (e.kind === "coords") return d;
  if (e.kind === "fourier") return 2 * e.L * d + (e.include_input ? d : 0);
  return 2 * e.features + (e.include_input ? d : 0);
}

/** `[d]` or `[H, W, C]` as the shape the first layer receives. */
export function inputShape(inShape: readonly number[]): LayerShape {
  if (inShape.length === 3) return { kind: "image", h: inShape[0]!, w: inShape[1]!, c: inShape[2]!, raw: true };
  return { kind: "flat", width: inShape.reduce((a, b) => a * b, 1) };
}

/** Values per sample of a shape. */
export function shapeSize(s: LayerShape): number {
  return s.kind === "flat" ? s.width : s.h * s.w * s.c;
}

/** Every layer's geometry, or the first layer that does not fit its input. */
export function layerGeometry(layers: readonly LayerSpec[], inShape: readonly number[]): LayerGeometry[] | LayerShapeError {
  const out: LayerGeometry[] = [];
  let shape = inputShape(inShape);
  for (const [index, spec] of layers.entries()) {
    const g = oneLayer(spec, shape, index);
    if ("reason" in g) return g;
    out.push(g);
    shape = g.output;
  }
  return out;
}

function oneLayer(spec: LayerSpec, input: LayerShape, index: number): LayerGeometry | LayerShapeError {
  const same = (params = 0): LayerGeometry => ({ spec, input, output: input, params, multiplyAdds: 0, fanIn: lastAxis(input), fanOut: lastAxis(input) });
  switch (spec.kind) {
    case "dense": {
      const rows = asRows(input, index, `dense layer \`${spec.name}\``);
      if ("reason" in rows) return rows;
      const n = rows.width * spec.width;
      return { spec, input, output: { kind: "flat", width: spec.width }, params: n + (spec.bias ? spec.width : 0), multiplyAdds: n, fanIn: rows.width, fanOut: spec.width };
    }
    case "encoding": {
      const rows = asRows(input, index, `encoding \`${spec.name}\``);
      if ("reason" in rows) return rows;
      const width = encodedWidth(spec.encoding, rows.width);
      return { spec, input, output: { kind: "flat", width }, params: 0, multiplyAdds: 0, fanIn: rows.width, fanOut: width };
    }
    case "conv": {
      if (input.kind !== "image") return needsImage(index, `conv2d layer \`${spec.name}\``, input.width);
      const [h, w] = [convOutputLength(input.h, spec.kernel, spec.stride, spec.padding), convOutputLength(input.w, spec.kernel, spec.stride, spec.padding)];
      if (h < 1 || w < 1) return tooSmall(index, `conv2d layer \`${spec.name}\` (kernel ${spec.kernel}, ${spec.padding})`, input);
      const k2 = spec.kernel * spec.kernel;
      const weights = k2 * input.c * spec.filters;
      return {
        spec,
        input,
        output: { kind: "image", h, w, c: spec.filters, raw: false },
        params: weights + (spec.bias ? spec.filters : 0),
        multiplyAdds: h * w * weights,
        fanIn: k2 * input.c,
        fanOut: k2 * spec.filters,
      };
    }
    case "pool": {
      if (input.kind !== "image") return needsImage(index, `${spec.op}_pool layer \`${spec.name}\``, input.width);
      const [h, w] = [Math.floor(input.h / spec.size), Math.floor(input.w / spec.size)];
      if (h < 1 || w < 1) return tooSmall(index, `${spec.op}_pool layer \`${spec.name}\` (size ${spec.size})`, input);
      return { ...same(), output: { kind: "image", h, w, c: input.c, raw: false } };
    }
    case "flatten": {
      const width = shapeSize(input);
      return { ...same(), output: { kind: "flat", width }, fanIn: width, fanOut: width };
    }
    case "batchnorm":
    case "layernorm":
      return same(2 * lastAxis(input));
    case "dropout":
    case "activation":
    case "scale":
      return same();
  }
}

/** Channels of an image, width of rows. */
function lastAxis(s: LayerShape): number {
  return s.kind === "flat" ? s.width : s.c;
}

/** Rows for a dense layer or encoding: flat data, or the raw input images read as rows of H·W·C values. */
function asRows(input: LayerShape, index: number, what: string): { width: number } | LayerShapeError {
  if (input.kind === "flat") return { width: input.width };
  if (input.raw) return { width: shapeSize(input) };
  return {
    index,
    reason: "needs-flatten",
    message: `${what} receives ${input.h}×${input.w}×${input.c} feature maps; add \`flatten\` before it`,
  };
}

function needsImage(index: number, what: string, width: number): LayerShapeError {
  return { index, reason: "needs-image", message: `${what} needs images [H, W, C], but it receives rows of ${width} value${width === 1 ? "" : "s"}` };
}

function tooSmall(index: number, what: string, input: Extract<LayerShape, { kind: "image" }>): LayerShapeError {
  return { index, reason: "too-small", message: `${what} does not fit the ${input.h}×${input.w} ${input.raw ? "images" : "feature maps"} it receives` };
}

/** `hidden` for dense layers before the last weighted layer, `out` for a final dense layer, `conv`, or `other`. */
export function layerRole(layers: readonly LayerSpec[], index: number): "hidden" | "conv" | "out" | "other" {
  const kind = layers[index]!.kind;
  if (kind === "conv") return "conv";
  if (kind !== "dense") return "other";
  const later = layers.slice(index + 1).some((l) => l.kind === "dense" || l.kind === "conv");
  return later ? "hidden" : "out";
}

/** The activation right after layer `index`: its own `act:`, or a directly following activation layer. */
export function activationAfter(layers: readonly LayerSpec[], index: number): Extract<LayerSpec, { kind: "activation" }>["act"] | null {
  const spec = layers[index]!;
  if ((spec.kind === "dense" || spec.kind === "conv") && spec.act !== null) return spec.act;
  const next = layers[index + 1];
  return next?.kind === "activation" ? next.act : null;
}

// ── mlp(…) and cnn(…) as layer lists ────────────────────────────────────────

/**
 * `mlp(…)`: [encoding] → (dense → [batchnorm] → act → [dropout]) per hidden width → dense `out` → [scale].
 * The batch-norm layers share their dense layer's name, so their parameters keep the names `hidden0.gamma`,
 * `hidden0.beta`.
 */
export function mlpLayers(m: Omit<MlpModelSpec, "kind" | "name" | "inDim" | "init">): LayerSpec[] {
  const layers: LayerSpec[] = [];
  if (m.encode) layers.push({ name: "encode", kind: "encoding", encoding: m.encode });
  m.hidden.forEach((width, i) => {
    const name = `hidden${i}`;
    const norm = m.norm === "batchnorm";
    layers.push({ name, kind: "dense", width, act: norm ? null : m.act, bias: m.bias });
    if (norm) layers.push({ name, kind: "batchnorm" }, { name: `act${i}`, kind: "activation", act: m.act });
    if (m.dropout > 0) layers.push({ name: `dropout${i}`, kind: "dropout", p: m.dropout });
  });
  layers.push({ name: "out", kind: "dense", width: m.outDim, act: null, bias: m.bias });
  if (m.outputScale !== null && m.outputScale !== 1) layers.push({ name: "scale", kind: "scale", factor: m.outputScale });
  return layers;
}

/** `cnn(…)`: per block conv (own act) → [pool], flatten, (dense → act) per hidden width, dense `out`. */
export function convNetLayers(m: Pick<ConvNetModelSpec, "convs" | "hidden" | "outDim" | "act" | "bias">): LayerSpec[] {
  const layers: LayerSpec[] = [];
  m.convs.forEach((block, i) => {
    const conv = { kernel: block.kernel, stride: block.stride ?? 1, padding: block.padding ?? "valid" } as const;
    layers.push({ name: `conv${i}`, kind: "conv", filters: block.filters, ...conv, act: block.act ?? m.act, bias: m.bias });
    if (block.pool) layers.push({ name: `pool${i}`, kind: "pool", op: block.pool.kind, size: block.pool.size });
  });
  layers.push({ name: "flatten", kind: "flatten" });
  m.hidden.forEach((width, j) => layers.push({ name: `hidden${j}`, kind: "dense", width, act: m.act, bias: m.bias }));
  layers.push({ name: "out", kind: "dense", width: m.outDim, act: null, bias: m.bias });
  return layers;
}

/** The layer view of a list whose weights `paramsOf(name)` returns (dense and conv layers). */
export function layerViews(
  layers: readonly LayerSpec[],
  inShape: readonly number[],
  paramsOf: (name: string) => { readonly weight: Param; readonly bias?: Param },
): LayerView[] {
  const geometry = layerGeometry(layers, inShape);
  if (!Array.isArray(geometry)) throw new Error(`layer ${geometry.index}: ${geometry.message}`);
  return geometry.map((g, i) => {
    const weights = g.spec.kind === "dense" || g.spec.kind === "conv" ? paramsOf(g.spec.name) : undefined;
    return {
      name: g.spec.name,
      kind: g.spec.kind,
      role: layerRole(layers, i),
      ...(weights ? { weight: weights.weight, ...(weights.bias ? { bias: weights.bias } : {}) } : {}),
      fanIn: g.fanIn,
      fanOut: g.fanOut,
      activation: activationAfter(layers, i),
    };
  });
}

/** The layer list a model spec stands for, with the shape of one input sample. */
export function modelLayers(m: ModelSpec): { layers: readonly LayerSpec[]; inShape: readonly number[] } {
  if (m.kind === "convnet") return { layers: convNetLayers(m), inShape: m.inShape };
  if (m.kind === "layers") return { layers: m.layers, inShape: m.inShape };
  // c·(bᵀx + b_oᵀx_o) is no layer list (b and b_o read two parts of one input); for counting it is one dense
  // map of [x, x_o] to one output with one more parameter (c, counted where a bias would be): d1 + d2 + 1
  // parameters and d1 + d2 multiply-adds. The runtime builds it as `OpposingLinear`, never from this list.
  if (m.kind === "opposing_linear") return { layers: [{ name: "out", kind: "dense", width: 1, act: null, bias: true }], inShape: [m.inDim] };
  return { layers: mlpLayers(m), inShape: [m.inDim] };
}
