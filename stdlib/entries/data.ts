/**
 * Registry entries for data sources. Synthetic sources produce inputs (and targets with `-> expr`);
 * sample statements in data blocks (`x ~ uniform(-2, 2) [1024]`) use the distributions of training.ts.
 */
import { papers } from "../registry/citations.js";
import { dataEntry } from "../registry/entry.js";
import type { DataSourceShape, Entry } from "../registry/types.js";

/** `split:` of synthetic sources: which sample stream, the task being shared (docs/language.md, "Held-out data"). */
const sampleSplit = {
  name: "split",
  type: { t: "choice" as const, options: ["train", "test"] },
  default: null,
  doc: "Which sample stream: `train` and `test` are independent draws of one task (data sets with the same arguments and seed share the task). Default: the data set's own stream, named after it, so differently named data sets never share samples and `data test = …` without `split:` is the `test` stream.",
};

/** `split` only when given, so specs (and generated programs) without it stay as they were. */
const splitOf = (a: Readonly<Record<string, unknown>>) =>
  a["split"] === null ? {} : { split: a["split"] };

const count = (name: string, doc: string, def?: number | null) => ({
  name,
  type: { t: "number" as const, integer: true, min: 1 },
  ...(def !== undefined ? { default: def } : {}),
  doc,
});

type Spec = Readonly<Record<string, unknown>>;

/** Named inputs and one target column: the shape of a source that a `-> expr` target completes. */
const inputsShape = (inputs: readonly string[]): DataSourceShape => ({
  inputs,
  inDim: inputs.length,
  outDim: 1,
  classes: false,
});

/** An image data set with one-hot labels: `[H, W, C]` pixels flattened to H·W·C inputs. */
const imageShape = (
  h: number,
  w: number,
  c: number,
  classes: number,
): DataSourceShape => ({
  inputs: [],
  inDim: h * w * c,
  outDim: classes,
  classes: true,
  image: [h, w, c],
});

const axisNames = (axes: unknown): string[] =>
  (axes as readonly { name: string }[]).map((a) => a.name);

/** Images in a real data set: `limit`, else the split's size. */
const splitSize = (sizes: { train: number; test: number }) => (s: Spec) =>
  (s["limit"] as number | null) ?? sizes[s["split"] as "train" | "test"];

export const grid = dataEntry({
  name: "grid",
  kind: "data",
  doc: "A uniform grid over one or two input variables; `[lo, hi)` excludes the upper end.",
  params: [
    {
      name: "vars",
      type: { t: "bindings", domain: "interval", min: 1, max: 2 },
      doc: "Input variables and their intervals: `x in [-1, 1]`.",
    },
    count("n", "Points per axis."),
  ],
  rules: [
    {
      params: ["n", "vars"],
      holds: (a) =>
        (a["n"] as number) >= 2 ||
        (a["vars"] as { closedHi: boolean }[]).every((v) => !v.closedHi),
      message:
        "a grid over a closed interval `[lo, hi]` includes both ends, so it needs `n` ≥ 2",
    },
  ],
  cites: papers.frequency,
  lower: (a) => ({ source: "grid", axes: a["vars"], n: a["n"] }),
  data: {
    targets: "function",
    namedInputs: [],
    perSeed: false,
    shape: (s) => inputsShape(axisNames(s["axes"])),
    size: (s) => (s["n"] as number) ** (s["axes"] as readonly unknown[]).length,
  },
});

export const points = dataEntry({
  name: "points",
  kind: "data",
  doc: "Explicit input points: `points(x in [-1, -1/3, 1/3, 1])`.",
  params: [
    {
      name: "vars",
      type: { t: "bindings", domain: "values", min: 1, max: 8 },
      doc: "Each input variable with its values (equal lengths).",
    },
  ],
  cites: papers.condensation,
  lower: (a) => ({ source: "points", columns: a["vars"] }),
  data: {
    targets: "function",
    namedInputs: [],
    perSeed: false,
    shape: (s) => inputsShape(Object.keys(s["columns"] as object)),
    size: (s) =>
      (
        Object.values(s["columns"] as object)[0] as
          readonly number[] | undefined
      )?.length ?? 0,
  },
});

export const chebyshev = dataEntry({
  name: "chebyshev",
  kind: "data",
  doc: "Targets T_degree(x) on n Chebyshev-spaced or uniform points of an interval.",
  params: [
    count("degree", "Polynomial degree k (T_k)."),
    count("n", "Number of points.", 40),
    {
      name: "vars",
      type: { t: "bindings", domain: "interval", min: 0, max: 1 },
      default: null,
      doc: "The input variable and its interval (default `x in [-1, 1]`).",
    },
  ],
  cites: papers.opposing,
  lower: (a) => ({
    source: "chebyshev",
    degree: a["degree"],
    n: a["n"],
    axes: a["vars"],
  }),
  data: {
    targets: "own",
    namedInputs: ["x"],
    perSeed: false,
    shape: (s) => inputsShape(s["axes"] ? axisNames(s["axes"]) : ["x"]),
    size: (s) => s["n"] as number,
  },
});

/** MNIST and Fashion-MNIST: one schema, two names. */
function idxImages<const N extends "mnist" | "fashion_mnist">(name: N) {
  return dataEntry({
    name,
    kind: "data",
    doc: `${name === "mnist" ? "MNIST" : "Fashion-MNIST"} from IDX files (plain or .gz) in a directory; never downloaded.`,
    params: [
      {
        name: "split",
        type: { t: "choice", options: ["train", "test"] },
        default: "train",
        doc: "Which split.",
      },
      count("limit", "Use the first `limit` images.", null),
      {
        name: "dir",
        type: { t: "string" },
        default: null,
        doc: `Directory with the IDX files (default: \`--data DIR\`/${name}, or ./data/${name}).`,
      },
      {
        name: "normalize",
        type: { t: "choice", options: ["unit", "symmetric", "raw"] },
        default: "unit",
        doc: "Pixels to [0, 1], [−1, 1], or 0..255.",
      },
    ],
    cites: papers.diversity,
    lower: (a) => ({
      source: name,
      split: a["split"],
      limit: a["limit"],
      dir: a["dir"],
      normalize: a["normalize"],
    }),
    data: {
      targets: "own",
      perSeed: false,
      shape: () => imageShape(28, 28, 1, 10),
      size: splitSize({ train: 60000, test: 10000 }),
    },
  });
}

export const mnist = idxImages("mnist");
export const fashionMnist = idxImages("fashion_mnist");

export const cifar10 = dataEntry({
  name: "cifar10",
  kind: "data",
  doc: "CIFAR-10 binary batches from a directory; never downloaded.",
  params: [
    {
      name: "split",
      type: { t: "choice", options: ["train", "test"] },
      default: "train",
      doc: "Which split.",
    },
    count("limit", "Use the first `limit` images.", null),
    {
      name: "dir",
      type: { t: "string" },
      default: null,
      doc: "Directory with the batches (default: `--data DIR`/cifar10, or ./data/cifar10).",
    },
    {
      name: "normalize",
      type: { t: "choice", options: ["unit", "symmetric", "raw"] },
      default: "unit",
      doc: "Pixel scaling.",
    },
  ],
  cites: papers.diversity,
  lower: (a) => ({
    source: "cifar10",
    split: a["split"],
    limit: a["limit"],
    dir: a["dir"],
    normalize: a["normalize"],
  }),
  data: {
    targets: "own",
    perSeed: false,
    shape: () => imageShape(32, 32, 3, 10),
    size: splitSize({ train: 50000, test: 10000 }),
  },
});

export const gaussianMixture = dataEntry({
  name: "gaussian_mixture",
  kind: "data",
  doc: "Class-structured data: one Gaussian blob per class in d dimensions, labels one-hot. The class means (the task) depend on the seed only, so data sets with the same arguments share them; the points come from each data set's own stream (see `split`).",
  params: [
    count("n", "Number of samples."),
    count("d", "Input dimension."),
    count("classes", "Number of classes.", 10),
    {
      name: "separation",
      type: { t: "number", min: 0 },
      default: 3,
      doc: "Typical distance ‖μ‖ of a class mean from 0.",
    },
    {
      name: "std",
      type: { t: "number", above: 0 },
      default: 1,
      doc: "Within-class standard deviation.",
    },
    sampleSplit,
  ],
  cites: papers.diversity,
  lower: (a) => ({
    source: "gaussian_mixture",
    n: a["n"],
    d: a["d"],
    classes: a["classes"],
    separation: a["separation"],
    std: a["std"],
    ...splitOf(a),
  }),
  data: {
    targets: "own",
    perSeed: true,
    shape: (s) => ({
      inputs: [],
      inDim: s["d"] as number,
      outDim: s["classes"] as number,
      classes: true,
    }),
    size: (s) => s["n"] as number,
  },
});

export const gratings = dataEntry({
  name: "gratings",
  kind: "data",
  doc: "Synthetic images for CNNs, no files needed: class c of C is a grating g = cos(2π·cycles·(u·cos θ + v·sin θ) + φ) at orientation θ = π·c/C, with pixel centres (u, v) in (−½, ½)² and a phase φ ~ U[0, 2π·phase_spread) per image; pixels (1 + g)/2 (`unit`) or g (`symmetric`) plus N(0, noise²) noise; `size`×`size` pixels, `channels` identical channels, balanced one-hot labels. Each seed draws its own images; the task (orientations) is fixed by the arguments, and the images come from each data set's own stream (see `split`).",
  params: [
    count("n", "Number of images."),
    count("size", "Height and width in pixels.", 16),
    count("channels", "Colour channels (all equal).", 1),
    count("classes", "Number of orientations.", 4),
    {
      name: "cycles",
      type: { t: "number", above: 0 },
      default: 2,
      doc: "Periods of the grating across the image.",
    },
    {
      name: "noise",
      type: { t: "number", min: 0 },
      default: 0.25,
      doc: "Standard deviation of the pixel noise.",
    },
    {
      name: "phase_spread",
      type: { t: "number", min: 0, max: 1 },
      default: 1,
      doc: "Phases drawn from [0, 2π·phase_spread): 1 gives every class the same mean image; smaller spreads give classes distinct mean images, as photographs have.",
    },
    {
      name: "normalize",
      type: { t: "choice", options: ["unit", "symmetric"] },
      default: "unit",
      doc: "Pixels (1 + g)/2 in [0, 1] like photographs' (a positive mean), or g in [−1, 1] (class means 0).",
    },
    sampleSplit,
  ],
  cites: papers.condensation,
  lower: (a) => ({
    source: "gratings",
    n: a["n"],
    size: a["size"],
    channels: a["channels"],
    classes: a["classes"],
    cycles: a["cycles"],
    noise: a["noise"],
    normalize: a["normalize"],
    phase_spread: a["phase_spread"],
    ...splitOf(a),
  }),
  data: {
    targets: "own",
    perSeed: true,
    shape: (s) =>
      imageShape(
        s["size"] as number,
        s["size"] as number,
        s["channels"] as number,
        s["classes"] as number,
      ),
    size: (s) => s["n"] as number,
  },
});

export const dataSources: readonly Entry[] = [
  grid,
  points,
  chebyshev,
  mnist,
  fashionMnist,
  cifar10,
  gaussianMixture,
  gratings,
];
