/** Registry entries for models and input encodings. */
import { papers } from "../registry/citations.js";
import type { Entry, Lowered } from "../registry/types.js";

const isPhaseInit = (init: Lowered | undefined): boolean => typeof init === "object" && init !== null && (init as { kind?: unknown }).kind === "phase";

export const encodings: Entry[] = [
  {
    name: "coords",
    kind: "encoding",
    doc: "Rescale input coordinates from `domain` to `range` (e.g. [0, 1] → [−1, 1]).",
    params: [
      { name: "range", type: { t: "interval" }, default: [-1, 1], doc: "Target range." },
      { name: "domain", type: { t: "interval" }, default: [0, 1], doc: "Where the raw inputs lie." },
    ],
    rules: [{ params: ["domain"], holds: (a) => (a["domain"] as number[])[0]! < (a["domain"] as number[])[1]!, message: "`domain` must have lo < hi" }],
    cites: papers.spectral,
    lower: (a) => ({ kind: "coords", range: a["range"], domain: a["domain"] }),
  },
  {
    name: "fourier",
    kind: "encoding",
    doc: "NeRF positional encoding: [sin(2ᵏπx), cos(2ᵏπx)] for k < L, per input coordinate.",
    params: [
      { name: "L", type: { t: "number", integer: true, min: 1 }, doc: "Number of frequency levels." },
      { name: "include_input", type: { t: "bool" }, default: false, doc: "Also pass the raw coordinates through." },
    ],
    cites: papers.spectral,
    lower: (a) => ({ kind: "fourier", L: a["L"], include_input: a["include_input"] }),
  },
  {
    name: "gaussian_features",
    kind: "encoding",
    doc: "Random Fourier features [sin(2πBx), cos(2πBx)] with B ~ N(0, σ²), fixed per seed.",
    params: [
      { name: "sigma", type: { t: "number", above: 0 }, doc: "Scale σ of the frequencies." },
      { name: "features", type: { t: "number", integer: true, min: 1 }, default: 256, doc: "Number of frequencies m (output width 2m)." },
      { name: "include_input", type: { t: "bool" }, default: false, doc: "Also pass the raw coordinates through." },
    ],
    cites: papers.spectral,
    lower: (a) => ({ kind: "gaussian_features", sigma: a["sigma"], features: a["features"], include_input: a["include_input"] }),
  },
];

export const models: Entry[] = [
  {
    name: "mlp",
    kind: "model",
    doc: "Multilayer perceptron: [encode] → (dense → [batchnorm] → act → [dropout]) per hidden width → dense out · output_scale.",
    params: [
      { name: "in", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Input width (default: inferred from the training data)." },
      { name: "hidden", type: { t: "list", of: { t: "number", integer: true, min: 1 } }, doc: "Hidden widths, e.g. `[width]` or `[128] * 4`." },
      { name: "out", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Output width (default: inferred from the targets or classes)." },
      { name: "act", type: { t: "entry", kind: "activation" }, default: "relu", doc: "Hidden activation." },
      { name: "bias", type: { t: "bool" }, default: true, doc: "Biases on every dense layer." },
      { name: "norm", type: { t: "choice", options: ["none", "batchnorm"] }, default: "none", doc: "Batch norm after each hidden dense layer." },
      { name: "dropout", type: { t: "number", min: 0, below: 1 }, default: 0, doc: "Dropout probability after each hidden activation." },
      { name: "encode", type: { t: "entry", kind: "encoding" }, default: null, doc: "Input encoding." },
      { name: "output_scale", type: { t: "number" }, default: null, doc: "Multiply the output by this constant (1/α)." },
      { name: "init", type: { t: "entry", kind: "init" }, default: "torch_default", doc: "Initialisation scheme." },
    ],
    rules: [
      { params: ["output_scale"], holds: (a) => a["output_scale"] !== 0, message: "`output_scale` must not be 0 (it would zero the output and every gradient)" },
      { params: ["output_scale", "init"], holds: (a) => !isPhaseInit(a["init"]) || a["output_scale"] === null, message: "the `phase` init sets the output scale 1/α itself; leave out `output_scale`" },
      { params: ["init", "hidden"], holds: (a) => !isPhaseInit(a["init"]) || (a["hidden"] as number[]).length === 1, message: "the `phase` init is defined for one hidden layer: `hidden: [m]`" },
    ],
    cites: papers.pytorch,
    lower: (a) => ({
      kind: "mlp",
      inDim: a["in"],
      hidden: a["hidden"],
      outDim: a["out"],
      act: a["act"],
      bias: a["bias"],
      norm: a["norm"],
      dropout: a["dropout"],
      encode: a["encode"],
      outputScale: a["output_scale"],
      init: a["init"],
    }),
  },
  {
    name: "opposing_linear",
    kind: "model",
    doc: "Rosenfeld & Risteski's two-layer linear model f = c·(bᵀx + b_oᵀx_o) on inputs [x, x_o] (x: the first d1 values, x_o: the last d2), initialised as in the paper: c = 1, b and b_o in uniformly random directions with ‖b‖² = d1/(d1+d2) and ‖b_o‖² = d2/(d1+d2). Layers `net.b`, `net.b_o` (weights [d, 1]) and `net.c` (a scalar). Pair it with `opposing_signals(…)` data and `half_mse` (½(f − y)²).",
    params: [
      { name: "d1", type: { t: "number", integer: true, min: 1 }, doc: "Width of the ordinary input x (the first d1 inputs)." },
      { name: "d2", type: { t: "number", integer: true, min: 1 }, doc: "Width of the opposing-signal block x_o (the last d2 inputs)." },
    ],
    cites: papers.opposing,
    lower: (a) => ({ kind: "opposing_linear", d1: a["d1"], d2: a["d2"] }),
  },
  {
    name: "cnn",
    kind: "model",
    doc: "Convolutional network for image data: per entry of `filters` a block conv (kernel×kernel, `filters[i]` channels) → conv_act → [max/avg pool], then flatten → (dense → act) per hidden width → dense out. Layers are `net.convs[i]`, `net.hidden[j]`, `net.out`; probes count conv blocks first (`layer: 0` is the first conv). The input shape comes from the training images.",
    params: [
      { name: "filters", type: { t: "list", of: { t: "number", integer: true, min: 1 }, minLength: 1 }, doc: "Output channels of each conv block, e.g. `[32, 32]`." },
      { name: "kernel", type: { t: "number", integer: true, min: 1 }, default: 5, doc: "Kernel height and width (every block)." },
      { name: "stride", type: { t: "number", integer: true, min: 1 }, default: 1, doc: "Convolution stride." },
      { name: "padding", type: { t: "choice", options: ["valid", "same"] }, default: "valid", doc: "`valid` (no padding) or `same` (output size ⌈in/stride⌉)." },
      { name: "pool", type: { t: "number", integer: true, min: 1 }, default: 1, doc: "Non-overlapping pooling window after each block (1: no pooling)." },
      { name: "pooling", type: { t: "choice", options: ["max", "avg"] }, default: "max", doc: "Max or average pooling." },
      { name: "conv_act", type: { t: "entry", kind: "activation" }, default: null, doc: "Activation of the conv blocks (default: `act`)." },
      { name: "hidden", type: { t: "list", of: { t: "number", integer: true, min: 1 } }, default: [], doc: "Widths of the dense hidden layers after flattening." },
      { name: "out", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Output width (default: the number of classes)." },
      { name: "act", type: { t: "entry", kind: "activation" }, default: "relu", doc: "Activation of the dense hidden layers." },
      { name: "bias", type: { t: "bool" }, default: true, doc: "Biases on every conv and dense layer." },
      { name: "init", type: { t: "entry", kind: "init" }, default: "torch_default", doc: "Initialisation scheme (conv fans: k·k·C_in in, k·k·C_out out)." },
    ],
    cites: papers.pytorch,
    lower: (a) => ({
      kind: "convnet",
      inDim: null,
      convs: (a["filters"] as number[]).map((filters) => ({
        filters,
        kernel: a["kernel"],
        stride: a["stride"],
        padding: a["padding"],
        ...(a["pool"] === 1 ? {} : { pool: { kind: a["pooling"], size: a["pool"] } }),
        ...(a["conv_act"] === null ? {} : { act: a["conv_act"] }),
      })),
      hidden: a["hidden"],
      outDim: a["out"],
      act: a["act"],
      bias: a["bias"],
      init: a["init"],
    }),
  },
];
