/**
 * Registry entries for the layers of a `model net { … }` block. Each lowers to a `LayerSpec` without its name
 * (the checker names it). Every activation and every input encoding is a layer too: those entries are made
 * from the activation and encoding entries, so their parameters and docs have one source.
 */
import { papers } from "../registry/citations.js";
import type { Entry, Param } from "../registry/types.js";
import { encodings } from "./models.js";
import { activations } from "./training.js";

const act: Param = { name: "act", type: { t: "entry", kind: "activation" }, default: null, doc: "Activation applied to the output (default: none)." };
const bias: Param = { name: "bias", type: { t: "bool" }, default: true, doc: "Add a bias." };
const poolSize: Param = { name: "size", type: { t: "number", integer: true, min: 1 }, default: 2, doc: "Window height and width (also the stride)." };

const builtIn: Entry[] = [
  {
    name: "dense",
    kind: "layer",
    doc: "Fully connected layer on rows: x·W + b, W `[fan_in, width]`. Images straight from the data are read as rows of H·W·C values; after `conv2d` or a pool, `flatten` first.",
    params: [
      { name: "width", type: { t: "number", integer: true, min: 1 }, default: null, doc: "Output width (default, for the last layer only: the number of targets or classes)." },
      act,
      bias,
    ],
    cites: papers.pytorch,
    lower: (a) => ({ kind: "dense", width: a["width"], act: a["act"], bias: a["bias"] }),
  },
  {
    name: "conv2d",
    kind: "layer",
    doc: "2-D convolution on images `[H, W, C]` (fans k·k·C_in in, k·k·filters out, as PyTorch).",
    params: [
      { name: "filters", type: { t: "number", integer: true, min: 1 }, doc: "Output channels." },
      { name: "kernel", type: { t: "number", integer: true, min: 1 }, default: 3, doc: "Kernel height and width." },
      { name: "stride", type: { t: "number", integer: true, min: 1 }, default: 1, doc: "Stride." },
      { name: "padding", type: { t: "choice", options: ["valid", "same"] }, default: "valid", doc: "`valid` (no padding) or `same` (output size ⌈in/stride⌉)." },
      act,
      bias,
    ],
    cites: papers.pytorch,
    lower: (a) => ({ kind: "conv", filters: a["filters"], kernel: a["kernel"], stride: a["stride"], padding: a["padding"], act: a["act"], bias: a["bias"] }),
  },
  {
    name: "max_pool",
    kind: "layer",
    doc: "Maximum over non-overlapping size×size windows of images (leftover rows and columns are dropped).",
    params: [poolSize],
    cites: papers.pytorch,
    lower: (a) => ({ kind: "pool", op: "max", size: a["size"] }),
  },
  {
    name: "avg_pool",
    kind: "layer",
    doc: "Mean over non-overlapping size×size windows of images (leftover rows and columns are dropped).",
    params: [poolSize],
    cites: papers.pytorch,
    lower: (a) => ({ kind: "pool", op: "avg", size: a["size"] }),
  },
  {
    name: "flatten",
    kind: "layer",
    doc: "Images `[H, W, C]` → rows of H·W·C values (HWC order).",
    params: [],
    cites: papers.pytorch,
    lower: () => ({ kind: "flatten" }),
  },
  {
    name: "batchnorm",
    kind: "layer",
    doc: "Batch normalization as PyTorch's BatchNorm1d on rows and BatchNorm2d on images (per channel): in training the batch mean and biased variance, and the running statistics move (momentum 0.1, running variance from the unbiased batch variance); in evaluation the running statistics. eps 1e-5; scale γ = 1 and shift β = 0 to start (`layer.gamma`, `layer.beta`).",
    params: [],
    cites: papers.pytorch,
    lower: () => ({ kind: "batchnorm" }),
  },
  {
    name: "layernorm",
    kind: "layer",
    doc: "Layer normalization as PyTorch's LayerNorm over the last axis (the features of a row, the channels of a pixel), eps 1e-5, with scale γ and shift β; the same in training and evaluation.",
    params: [],
    cites: papers.pytorch,
    lower: () => ({ kind: "layernorm" }),
  },
  {
    name: "dropout",
    kind: "layer",
    doc: "Inverted dropout in training (each value kept with probability 1 − p and scaled by 1/(1 − p)); the identity in evaluation.",
    params: [{ name: "p", type: { t: "number", min: 0, max: 0.999 }, default: 0.5, doc: "Drop probability." }],
    cites: papers.pytorch,
    lower: (a) => ({ kind: "dropout", p: a["p"] }),
  },
  {
    name: "scale",
    kind: "layer",
    doc: "Multiply by a constant (an output scale 1/α).",
    params: [{ name: "c", type: { t: "number" }, doc: "The factor." }],
    lower: (a) => ({ kind: "scale", factor: a["c"] }),
  },
];

/** `relu`, `tanh`, … as layers: the activation entry's parameters, lowered to an activation layer. */
const activationLayers: Entry[] = activations.map((e) => ({
  ...e,
  kind: "layer",
  doc: `Activation layer: ${e.doc}`,
  lower: (a) => ({ kind: "activation", act: e.lower ? e.lower(a) : e.name }),
}));

/** `fourier(L: 4)`, … as layers on rows (usually first). */
const encodingLayers: Entry[] = encodings.map((e) => ({
  ...e,
  kind: "layer",
  doc: `Encoding layer: ${e.doc}`,
  lower: (a) => ({ kind: "encoding", encoding: e.lower ? e.lower(a) : e.name }),
}));

export const layers: Entry[] = [...builtIn, ...activationLayers, ...encodingLayers];
