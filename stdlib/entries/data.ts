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

/** `resample:` of random synthetic sources: one draw reused every step, or a fresh draw per step. */
const resampleParam = {
  name: "resample",
  type: { t: "choice" as const, options: ["never", "every_step"] },
  default: "never",
  doc: "`every_step`: when this is the training set, every update trains on a new draw of it (same size, same distribution; update k's draw comes from the data set's stream forked for k, so it is reproducible per seed and on resume) — the \"D → ∞\" of papers that sample fresh data each step. Probes and held-out uses see the first draw. `never` (default): one draw per seed, reused every step.",
};

/** `resample` only when on, so specs (and generated programs) without it stay as they were. */
const resampleOf = (a: Readonly<Record<string, unknown>>) => (a["resample"] === "every_step" ? { resample: "every_step" as const } : {});

/** `standardize:` of image sources: per-pixel standardisation with the training set's statistics. */
const standardizeParam = {
  name: "standardize",
  type: { t: "choice" as const, options: ["none", "pixel"] },
  default: "none",
  doc: "`pixel`: per input value (pixel and channel), subtract the training data set's mean and divide by its standard deviation (over its samples; a value constant over them is only centred), after `normalize` — Cohen et al.'s CIFAR preprocessing. Statistics always come from the experiment's training data set, which must be standardised too; held-out sets with `standardize: pixel` are transformed the same way.",
};

/** `standardize` only when on, so specs (and generated programs) without it stay as they were. */
const standardizeOf = (a: Readonly<Record<string, unknown>>) => (a["standardize"] === "pixel" ? { standardize: "pixel" as const } : {});

/** `shuffle_labels:` of the labelled image sources: random labels, a seeded permutation of the targets. */
const shuffleLabelsParam = {
  name: "shuffle_labels",
  type: { t: "number" as const, integer: true, min: 0 },
  default: null,
  doc: "Random labels (Zhang et al. 2017): a whole number s permutes the targets across the images (after `limit`) by `new Rng(s).fork(\"shuffle_labels\").permutation(n)`, the same permutation for every seed of the run and fixed by s and the image count alone; each image keeps its pixels and gets another image's label, so the class counts stay; the run directory keeps the permutation as `data/<run>/<data set>.label_permutation.npy` (the labels trained on are `labels[perm]`). Training split only. Default: the labels of the files.",
};

/** `shuffle_labels` only when set, so specs (and generated programs) without it stay as they were. */
const shuffleLabelsOf = (a: Readonly<Record<string, unknown>>) => (typeof a["shuffle_labels"] === "number" ? { shuffle_labels: a["shuffle_labels"] } : {});

/** Random labels on a held-out split would make every measurement on it meaningless. */
const shuffleTrainOnly = {
  params: ["shuffle_labels", "split"],
  holds: (a: Readonly<Record<string, unknown>>) => a["shuffle_labels"] === null || a["split"] === "train",
  message: "`shuffle_labels` applies to the training split only: random labels on held-out images measure nothing (shuffle the training data set and evaluate on the true test labels)",
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

export const uniform = dataEntry({
  name: "uniform",
  kind: "data",
  doc: "`n` random points with each input variable drawn from U[lo, hi) (`x in [-1, 1]`), per seed from the data set's stream (see `split`); with `resample: every_step` a new draw every training step.",
  params: [
    {
      name: "vars",
      type: { t: "bindings", domain: "interval", min: 1, max: 8 },
      doc: "Input variables and their intervals: `x in [-1, 1]` (the upper end is never drawn, whether `]` or `)`).",
    },
    count("n", "Number of points."),
    sampleSplit,
    resampleParam,
  ],
  cites: papers.lottery,
  lower: (a) => ({ source: "uniform", axes: a["vars"], n: a["n"], ...splitOf(a), ...resampleOf(a) }),
  data: {
    targets: "function",
    namedInputs: [],
    perSeed: true,
    shape: (s) => inputsShape(axisNames(s["axes"])),
    size: (s) => s["n"] as number,
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
  doc: "Targets T_degree(x) on n evenly spaced points of an interval, both ends included.",
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

/** The split, limit, dir and normalize parameters every real image data set takes. */
const realImageParams = (name: string, files: string, defaultDir: string) =>
  [
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
      doc: `Directory with the ${files} (default: ${defaultDir}).`,
    },
    {
      name: "normalize",
      type: { t: "choice", options: ["unit", "symmetric", "raw"] },
      default: "unit",
      doc: "Pixels to [0, 1], [−1, 1] ((v − 0.5)/0.5, as the spectral-bias paper), or 0..255.",
    },
    standardizeParam,
    shuffleLabelsParam,
  ] as const;

const realImageSpec = (name: string, a: Spec) => ({
  source: name,
  split: a["split"],
  limit: a["limit"],
  dir: a["dir"],
  normalize: a["normalize"],
  ...standardizeOf(a),
  ...shuffleLabelsOf(a),
});

/** Where Debian's `dataset-fashion-mnist` package installs the Fashion-MNIST files. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** MNIST and Fashion-MNIST: one schema, two names. */
function idxImages<const N extends "mnist" | "fashion_mnist">(name: N) {
  const fashion = name === "fashion_mnist";
  const defaultDir = `\`--data DIR\`/${name}, or ./data/${name}${fashion ? `; when that directory does not exist, ${DEBIAN_FASHION_MNIST_DIR} (Debian's \`dataset-fashion-mnist\`)` : ""}`;
  return dataEntry({
    name,
    kind: "data",
    doc: `${fashion ? "Fashion-MNIST" : "MNIST"} from IDX files (plain or .gz) in a directory; never downloaded.`,
    params: realImageParams(name, "IDX files", defaultDir),
    rules: [shuffleTrainOnly],
    cites: papers.diversity,
    lower: (a) => realImageSpec(name, a),
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
  doc: "CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin) from a directory; never downloaded.",
  params: realImageParams("cifar10", "batches", "`--data DIR`/cifar10, or ./data/cifar10"),
  rules: [shuffleTrainOnly],
  cites: papers.diversity,
  lower: (a) => realImageSpec("cifar10", a),
  data: {
    targets: "own",
    perSeed: false,
    shape: () => imageShape(32, 32, 3, 10),
    size: splitSize({ train: 50000, test: 10000 }),
  },
});

export const cifar100 = dataEntry({
  name: "cifar100",
  kind: "data",
  doc: "CIFAR-100 binary version (train.bin, test.bin) from a directory; never downloaded. 100 fine classes or 20 coarse superclasses.",
  params: [
    ...realImageParams("cifar100", "files", "`--data DIR`/cifar100, or ./data/cifar100"),
    {
      name: "labels",
      type: { t: "choice", options: ["fine", "coarse"] },
      default: "fine",
      doc: "The 100 fine classes or the 20 coarse superclasses.",
    },
  ],
  rules: [shuffleTrainOnly],
  cites: papers.spectral,
  lower: (a) => ({ ...realImageSpec("cifar100", a), labels: a["labels"] }),
  data: {
    targets: "own",
    perSeed: false,
    shape: (s) => imageShape(32, 32, 3, s["labels"] === "coarse" ? 20 : 100),
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
    resampleParam,
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
    ...resampleOf(a),
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

export const opposingSignals = dataEntry({
  name: "opposing_signals",
  kind: "data",
  doc: "The two-layer linear model's data of Rosenfeld & Risteski §3.3: x ∈ R^{d1} ~ N(0, I); an opposing-signal block x_o ∈ R^{d2} that is s·a·1 (s = ±1 at random, a² = α/(p·d2)) on round(p·n) points chosen at random and 0 elsewhere; target y = βᵀx + (1/√d2)·1ᵀ|x_o| with β = (‖β‖/√d1)·1. Inputs are [x, x_o] (d1 + d2 values). Pair it with `opposing_linear(d1:, d2:)`.",
  params: [
    count("n", "Number of points."),
    count("d1", "Dimension of the ordinary input x."),
    count("d2", "Dimension of the opposing-signal block x_o (the paper takes d2 ≥ d1)."),
    { name: "p", type: { t: "number", above: 0, max: 1 }, default: 0.05, doc: "Fraction p of points carrying the opposing signal." },
    { name: "alpha", type: { t: "number", above: 0 }, default: 1, doc: "Signal strength α: a² = α/(p·d2), so the outliers' second moment E‖x_o‖² is α." },
    { name: "beta", type: { t: "number", min: 0 }, default: 1, doc: "‖β‖ of the linear target on x (β along the all-ones direction)." },
    sampleSplit,
    resampleParam,
  ],
  cites: papers.opposing,
  lower: (a) => ({ source: "opposing_signals", n: a["n"], d1: a["d1"], d2: a["d2"], p: a["p"], alpha: a["alpha"], beta: a["beta"], ...splitOf(a), ...resampleOf(a) }),
  data: {
    targets: "own",
    perSeed: true,
    shape: (s) => ({ inputs: [], inDim: (s["d1"] as number) + (s["d2"] as number), outDim: 1, classes: false }),
    size: (s) => s["n"] as number,
  },
});

export const constantImage = dataEntry({
  name: "constant_image",
  kind: "data",
  doc: "Probe input: `n` identical images of one solid colour — every pixel `value`, or per channel `color` — in the units the training images have after `normalize` (e.g. [0, 1]); one-hot targets of class `label`. With `standardize: pixel` it goes through the training set's standardisation like any held-out set. Rosenfeld & Risteski's Fig. 5 feeds a solid sky-blue image each step: `probe sky = outputs(net, sky) every step` follows its outputs (logits), `class_probs(net, sky)` its class probabilities, `feature_norm(net, sky)` its feature norm, `accuracy(net, sky)` whether it is classified as `label`.",
  params: [
    count("size", "Height and width in pixels."),
    count("channels", "Colour channels.", 3),
    count("classes", "Number of classes (the model's outputs)."),
    { name: "value", type: { t: "number" }, default: 0.5, doc: "Every pixel's value (when `color` is not given)." },
    { name: "color", type: { t: "list", of: { t: "number" } }, default: null, doc: "One value per channel, e.g. `[0.53, 0.81, 0.92]` for sky blue in [0, 1]." },
    { name: "label", type: { t: "number", integer: true, min: 0 }, default: 0, doc: "The class of the one-hot targets." },
    count("n", "Number of (identical) images.", 1),
    standardizeParam,
  ],
  rules: [
    { params: ["color", "channels"], holds: (a) => a["color"] === null || (a["color"] as number[]).length === a["channels"], message: "`color` needs one value per channel" },
    { params: ["label", "classes"], holds: (a) => (a["label"] as number) < (a["classes"] as number), message: "`label` must be a class: below `classes`" },
  ],
  cites: papers.opposing,
  lower: (a) => ({
    source: "constant_image",
    size: a["size"],
    channels: a["channels"],
    classes: a["classes"],
    color: a["color"] === null ? Array<number>(a["channels"] as number).fill(a["value"] as number) : a["color"],
    label: a["label"],
    n: a["n"],
    ...standardizeOf(a),
  }),
  data: {
    targets: "own",
    perSeed: false,
    shape: (s) => imageShape(s["size"] as number, s["size"] as number, s["channels"] as number, s["classes"] as number),
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
    standardizeParam,
    sampleSplit,
    resampleParam,
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
    ...standardizeOf(a),
    ...splitOf(a),
    ...resampleOf(a),
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

/** An image's `size` (`128`: 128×128, or `[width, height]`) as [width, height]; null when not given. */
export const imageSize = (size: unknown): readonly [number, number] | null =>
  size === null || size === undefined ? null : typeof size === "number" ? [size, size] : (size as readonly [number, number]);

export const image = dataEntry({
  name: "image",
  kind: "data",
  doc: "A PNG photograph as a coordinate-regression data set: one point per pixel, inputs its coordinates (x across, left to right; y up, bottom to top, so `plot image` draws it upright), targets its red, green and blue in [0, 1] (three outputs) or its gray level (one). Points in file order, row by row from the top-left pixel. `x in [0, 1], y in [0, 1]` (default) puts the pixels at linspace(0, 1, width) × linspace(0, 1, height); `[0, 1)` at column/width. Files shipped with dync: examples/data/ (docs/data.md).",
  params: [
    {
      name: "file",
      type: { t: "string" },
      doc: "The PNG file, relative to the `.dyn` file (8 or 16 bits, gray, RGB, palette, with or without alpha, which is dropped; not interlaced).",
    },
    {
      name: "vars",
      type: { t: "bindings", domain: "interval", min: 0, max: 2 },
      default: null,
      doc: "The column and row coordinates and their intervals, as in `grid`: `x in [-1, 1], y in [-1, 1]` (default `x in [0, 1], y in [0, 1]`).",
    },
    {
      name: "size",
      type: {
        t: "oneOf",
        of: [
          { t: "number", integer: true, min: 1 },
          { t: "list", of: { t: "number", integer: true, min: 1 }, minLength: 2 },
        ],
      },
      default: null,
      doc: "Shrink the image first to `size`×`size` or `[width, height]` pixels with a box filter (each pixel the area-weighted mean of those it covers; a 512×512 photo at `size: 128` averages 4×4 blocks). Default: the file's size, known only once it is read.",
    },
    {
      name: "channels",
      type: { t: "choice", options: ["rgb", "gray"] },
      default: "rgb",
      doc: "`rgb`: three targets (a gray file gives three equal ones); `gray`: one, the luma 0.299 R + 0.587 G + 0.114 B.",
    },
    {
      name: "normalize",
      type: { t: "choice", options: ["unit", "symmetric"] },
      default: "unit",
      doc: "Targets in [0, 1] or [−1, 1].",
    },
  ],
  rules: [
    {
      params: ["vars"],
      holds: (a) => a["vars"] === null || (a["vars"] as readonly unknown[]).length === 2,
      message: "an image has two coordinates: bind both, like `x in [-1, 1], y in [-1, 1]`, or neither",
    },
    {
      params: ["size"],
      holds: (a) => typeof a["size"] !== "object" || a["size"] === null || (a["size"] as readonly unknown[]).length === 2,
      message: "`size` is one number (a square) or `[width, height]`",
    },
  ],
  cites: papers.spectral,
  lower: (a) => ({
    source: "image",
    file: a["file"],
    axes: a["vars"],
    size: a["size"],
    channels: a["channels"],
    normalize: a["normalize"],
  }),
  data: {
    targets: "own",
    namedInputs: ["x", "y"],
    perSeed: false,
    shape: (s) => ({
      inputs: s["axes"] ? axisNames(s["axes"]) : ["x", "y"],
      inDim: 2,
      outDim: s["channels"] === "gray" ? 1 : 3,
      classes: false,
    }),
    size: (s) => {
      const size = imageSize(s["size"]);
      return size ? size[0] * size[1] : undefined;
    },
    files: (s) => [s["file"] as string],
  },
});

export const sinusoids = dataEntry({
  name: "sinusoids",
  kind: "data",
  doc: "A sum of sinusoids y(x) = Σ_k A_k sin(2π f_k x + 2π φ_k) on n evenly spaced points, by default x = arange(0, 1, 1/n) (the spectral-bias paper's 1-D signal: f = 5, 10, …, 70, n = 2048). With `phases: random` each seed draws its phases φ_k ~ U[0, 1) from its task stream, so every data set of one seed (a training grid, a finer test grid) has the same signal.",
  params: [
    {
      name: "frequencies",
      type: { t: "list", of: { t: "number" }, minLength: 1 },
      doc: "The frequencies f_k in cycles per unit of x.",
    },
    count("n", "Number of points.", 2048),
    {
      name: "phases",
      type: { t: "oneOf", of: [{ t: "choice", options: ["random"] }, { t: "list", of: { t: "number" }, minLength: 1 }] },
      default: "random",
      doc: "The phases φ_k in cycles, one per frequency, or `random`: drawn per seed.",
    },
    {
      name: "amplitudes",
      type: { t: "list", of: { t: "number" }, minLength: 1 },
      default: null,
      doc: "The amplitudes A_k, one per frequency (default 1 each).",
    },
    {
      name: "vars",
      type: { t: "bindings", domain: "interval", min: 0, max: 1 },
      default: null,
      doc: "The input variable and its interval (default `x in [0, 1)`). The signal is evaluated at the input values themselves: for inputs in [−1, 1) keep `[0, 1)` and rescale in the model (`encode: coords(range: [-1, 1])`).",
    },
  ],
  rules: [
    {
      params: ["phases", "frequencies"],
      holds: (a) => a["phases"] === "random" || (a["phases"] as readonly number[]).length === (a["frequencies"] as readonly number[]).length,
      message: "`phases` has one value per frequency",
    },
    {
      params: ["amplitudes", "frequencies"],
      holds: (a) => a["amplitudes"] === null || (a["amplitudes"] as readonly number[]).length === (a["frequencies"] as readonly number[]).length,
      message: "`amplitudes` has one value per frequency",
    },
    {
      params: ["n", "vars"],
      holds: (a) => (a["n"] as number) >= 2 || a["vars"] === null || (a["vars"] as { closedHi: boolean }[]).every((v) => !v.closedHi),
      message: "points over a closed interval `[lo, hi]` include both ends, so `n` must be ≥ 2",
    },
  ],
  cites: papers.spectral,
  lower: (a) => ({
    source: "sinusoids",
    frequencies: a["frequencies"],
    amplitudes: a["amplitudes"],
    phases: a["phases"],
    n: a["n"],
    axes: a["vars"],
  }),
  data: {
    targets: "own",
    namedInputs: ["x"],
    perSeed: true,
    shape: (s) => inputsShape(s["axes"] ? axisNames(s["axes"]) : ["x"]),
    size: (s) => s["n"] as number,
  },
});

/**
 * Your own tables: every row a sample, the inputs unnamed (columns of a file), the targets real values, or
 * with `classes: K` one whole-number label in [0, K) each, trained on as one-hot rows (classification).
 */
const tableShape = (inDim: number, outDim: number, classes: unknown): DataSourceShape =>
  typeof classes === "number" ? { inputs: [], inDim, outDim: classes, classes: true } : { inputs: [], inDim, outDim, classes: false };
const classesParam = (target: string) => ({
  name: "classes",
  type: { t: "number" as const, integer: true, min: 2 },
  default: null,
  doc: `Classification: the number of classes K; ${target} then holds whole-number labels 0…K−1 (one-hot targets, \`cross_entropy\` and \`accuracy\` apply). Without it the targets are real values (regression).`,
});

export const csv = dataEntry({
  name: "csv",
  kind: "data",
  doc: "Your own data from a CSV file: a header row naming the columns, then one sample per row, every cell a number (`1.5`, `-2e-3`, `nan`/`inf` refused). `csv(\"train.csv\", x: [\"u\", \"v\"], y: \"w\")` takes inputs u, v and target w; other columns are ignored. Comma-separated, a cell may be in double quotes, blank lines are skipped; a missing column, a short row or a cell that is not a number stops the run naming the file and line (RUN011).",
  params: [
    { name: "file", type: { t: "string" }, doc: "The CSV file, relative to the `.dyn` file." },
    { name: "x", type: { t: "list", of: { t: "string" }, minLength: 1 }, doc: "The input columns by header name, in the model's input order." },
    {
      name: "y",
      type: { t: "oneOf", of: [{ t: "string" }, { t: "list", of: { t: "string" }, minLength: 1 }] },
      doc: "The target column by header name, or a list of them (one model output each).",
    },
    classesParam("the `y` column"),
  ],
  rules: [{ params: ["classes", "y"], holds: (a) => a["classes"] === null || typeof a["y"] === "string" || (a["y"] as readonly string[]).length === 1, message: "`classes` needs one label column as `y`" }],
  lower: (a) => ({ source: "csv", file: a["file"], x: a["x"], y: typeof a["y"] === "string" ? [a["y"]] : a["y"], ...(a["classes"] === null ? {} : { classes: a["classes"] }) }),
  data: {
    targets: "own",
    perSeed: false,
    shape: (s) => tableShape((s["x"] as readonly string[]).length, (s["y"] as readonly string[]).length, s["classes"]),
    size: () => undefined,
    files: (s) => [s["file"] as string],
  },
});

export const npy = dataEntry({
  name: "npy",
  kind: "data",
  doc: "Your own data from NumPy `.npy` files (`np.save`): `x` an `(n, inputs)` array (or `(n,)` for one input), `y` `(n, outputs)` (or `(n,)` for one output), float32, float64, int32, int64 or uint8, C order. `npy(x: \"X.npy\", y: \"y.npy\", inputs: 3)`. The sizes are stated in the call so the program is checked before any file is read; a file of another shape, or x and y of different lengths, stops the run naming the file (RUN011).",
  params: [
    { name: "x", type: { t: "string" }, doc: "The inputs' `.npy` file, relative to the `.dyn` file." },
    { name: "y", type: { t: "string" }, doc: "The targets' `.npy` file, relative to the `.dyn` file." },
    count("inputs", "Values per input row (the second dimension of x; 1 for an `(n,)` array).", 1),
    count("outputs", "Values per target row (the second dimension of y; 1 for an `(n,)` array).", 1),
    classesParam("y (shape `(n,)` or `(n, 1)`)"),
  ],
  rules: [{ params: ["classes", "outputs"], holds: (a) => a["classes"] === null || a["outputs"] === 1, message: "`classes` needs one label per row (`outputs: 1`)" }],
  lower: (a) => ({ source: "npy", x: a["x"], y: a["y"], inputs: a["inputs"], outputs: a["outputs"], ...(a["classes"] === null ? {} : { classes: a["classes"] }) }),
  data: {
    targets: "own",
    perSeed: false,
    shape: (s) => tableShape(s["inputs"] as number, s["outputs"] as number, s["classes"]),
    size: () => undefined,
    files: (s) => [s["x"] as string, s["y"] as string],
  },
});

export const dataSources: readonly Entry[] = [
  grid,
  uniform,
  points,
  chebyshev,
  mnist,
  fashionMnist,
  cifar10,
  cifar100,
  gaussianMixture,
  gratings,
  image,
  sinusoids,
  opposingSignals,
  constantImage,
  csv,
  npy,
];
