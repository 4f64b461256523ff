/**
 * The sampling family's schemas: pair samplers (registry kind `sampler`, the `pairs:` argument of probes
 * that compare two rows of a data set) and the two probes that take them, `hamming` and
 * `gradient_confusion` (Lazzari & Liu 2023, P3–P5). Schema only (no runtime imports): the registry, the
 * checker and the docs read it; ./samplers.ts and ./probes.ts implement it.
 *
 * A sampler is drawn once per run and seed, from the seed's random stream forked by the probe's name, on
 * that seed's copy of the probe's data set, and is fixed across steps: every measurement of a probe compares
 * the same pairs.
 */
import { papers } from "../registry/citations.js";
import { analysisEntry, probeEntry } from "../registry/entry.js";
import type { Entry, Lowered, Param, SamplerNeed, SamplerSchema } from "../registry/types.js";
import { data, model } from "../core/entries.js";

/** A sampler entry: lowered to `{ kind: name, …args }`, so a hand-written spec reads back field for field. */
function samplerEntry<const E extends SamplerFields>(entry: E): E & SamplerKind {
  return { ...entry, kind: "sampler", lower: (a) => ({ kind: entry.name, ...a }) };
}

interface SamplerFields {
  readonly name: string;
  readonly doc: string;
  readonly params: readonly Param[];
  readonly rules?: Entry["rules"];
  readonly cites?: Entry["cites"];
  readonly sampler: SamplerSchema;
}

interface SamplerKind {
  readonly kind: "sampler";
  readonly lower: (a: Readonly<Record<string, Lowered>>) => unknown;
}

/** A whole-number parameter (literal-typed, so implementations get typed arguments). */
function count<const N extends string>(name: N, doc: string, fallback: number, min = 1) {
  return { name, type: { t: "number", integer: true, min }, default: fallback, doc } as const;
}
const needs = (...n: SamplerNeed[]) => ({ needs: () => n });
const isWhole = (v: Lowered | undefined): boolean => Array.isArray(v) && v.every((x) => Number.isInteger(x) && (x as number) >= 0);

/**
 * The paper's global image pairs at 512 × 512: rows and columns in [0, 225) against [275, 511). Other sizes
 * take the same fractions of each side, rounded inward: [0, ⌊225·N/512⌋) against [⌈275·N/512⌉, ⌊511·N/512⌋).
 */
export const QUADRANT_FRACTIONS = { lowEnd: 225 / 512, highStart: 275 / 512, highEnd: 511 / 512 } as const;

export const patches = samplerEntry({
  name: "patches",
  doc: "Local pairs on a 2-D grid: `count` random `size`×`size` patches of grid cells, `per` random pairs of distinct cells inside each (count·per pairs). Needs a data set whose rows form a full grid of its two inputs.",
  params: [
    count("size", "Side of a patch, in grid cells.", 50, 2),
    count("count", "Number of patches.", 100),
    count("per", "Pairs per patch.", 500),
  ],
  sampler: needs("grid"),
  cites: papers.spectral,
});

export const oppositeQuadrants = samplerEntry({
  name: "opposite_quadrants",
  doc: "Global pairs on a 2-D grid: one cell where both inputs are low and one where both are high, the paper's pixel ranges [0, 225)² against [275, 511)² at 512² as fractions of each side (grid indices [0, ⌊225·N/512⌋) against [⌈275·N/512⌉, ⌊511·N/512⌋) along each input, counted from its smallest value). Needs a data set whose rows form a full grid of its two inputs.",
  params: [count("n", "Number of pairs.", 50000)],
  sampler: needs("grid"),
  cites: papers.spectral,
});

export const windows = samplerEntry({
  name: "windows",
  doc: "Local pairs in 1-D: `count` random windows of `size` consecutive samples (in the order of the one input), `per` random pairs of distinct samples inside each. Needs a data set with one input.",
  params: [
    count("size", "Samples per window.", 50, 2),
    count("count", "Number of windows.", 25),
    count("per", "Pairs per window.", 100),
  ],
  sampler: { ...needs("line"), rows: (a) => ({ param: "size", rows: a["size"] as number }) },
  cites: papers.spectral,
});

export const between = samplerEntry({
  name: "between",
  doc: "Pairs across two ranges of rows: i uniform in rows `a`, j uniform in rows `b`, each range the row indices lo ≤ i < hi (the upper end is excluded however the interval is written), e.g. `between([0, 800), [1200, 2047), n: 5000)`. Overlapping ranges may pair a row with itself.",
  params: [
    { name: "a", type: { t: "interval" }, doc: "Rows of the first point, `[lo, hi)`." },
    { name: "b", type: { t: "interval" }, doc: "Rows of the second point, `[lo, hi)`." },
    count("n", "Number of pairs.", 5000),
  ],
  rules: [
    { params: ["a"], holds: (a) => isWhole(a["a"]) && (a["a"] as number[])[0]! < (a["a"] as number[])[1]!, message: "`a` must be whole row indices with lo < hi" },
    { params: ["b"], holds: (a) => isWhole(a["b"]) && (a["b"] as number[])[0]! < (a["b"] as number[])[1]!, message: "`b` must be whole row indices with lo < hi" },
  ],
  sampler: { ...needs(), rows: (a) => [a["a"], a["b"]].map((r, k) => ({ param: k ? "b" : "a", rows: (r as number[])[1]! })).reduce((x, y) => (y.rows > x.rows ? y : x)) },
  cites: papers.spectral,
});

export const knn = samplerEntry({
  name: "knn",
  doc: "Neighbour pairs: `anchors` random rows, each paired with its `k` nearest rows by Euclidean distance between inputs (exact, float64, ties to the lower row), among all rows (`any`), rows of its class (`same`) or of other classes (`different`).",
  params: [
    count("k", "Neighbours per anchor.", 25),
    count("anchors", "Anchor rows.", 100),
    { name: "class", type: { t: "choice", options: ["any", "same", "different"] }, default: "any", doc: "Which rows may be neighbours: any, the anchor's class, or other classes (these two need class labels)." },
  ],
  sampler: { needs: (a) => (a["class"] === "any" ? [] : ["labels"]), rows: (a) => ({ param: "anchors", rows: a["anchors"] as number }) },
  cites: papers.spectral,
});

export const farthest = samplerEntry({
  name: "farthest",
  doc: "Distant pairs: `anchors` random rows, each paired with its `k` farthest rows by Euclidean distance between inputs (exact, float64, ties to the lower row).",
  params: [count("k", "Partners per anchor.", 25), count("anchors", "Anchor rows.", 100)],
  sampler: { ...needs(), rows: (a) => ({ param: "anchors", rows: a["anchors"] as number }) },
  cites: papers.spectral,
});

export const randomPairs = samplerEntry({
  name: "random_pairs",
  doc: "Uniform random pairs of distinct rows.",
  params: [count("n", "Number of pairs.", 5000)],
  sampler: needs(),
});

export const samplers = [patches, oppositeQuadrants, windows, between, knn, farthest, randomPairs] as const;

const pairs = { name: "pairs", type: { t: "entry", kind: "sampler" }, doc: "The pair sampler, e.g. `patches(size: 50, count: 100, per: 500)`." } as const satisfies Param;

/** Pairs a lowered sampler spec draws per seed (upper bound for `knn`/`farthest`: anchors · k). */
export function pairCount(spec: unknown): number {
  const s = (spec ?? {}) as Record<string, unknown>;
  const n = (key: string) => (typeof s[key] === "number" ? (s[key] as number) : 0);
  switch (s["kind"]) {
    case "patches":
    case "windows":
      return n("count") * n("per");
    case "knn":
    case "farthest":
      return n("anchors") * n("k");
    default:
      return n("n");
  }
}

export const hamming = probeEntry({
  name: "hamming",
  kind: "probe",
  doc: "Hamming distance between the activation patterns (hidden ReLU units on/off, pre-activation > 0) of the two rows of each sampled pair: fields `mean` and `std` (n − 1) over the pairs, per seed. `layers: [k]` measures hidden layer k alone (the per-layer variant); `normalize: true` divides by the number of units compared.",
  params: [
    model,
    data,
    pairs,
    { name: "layers", type: { t: "list", of: { t: "number", integer: true, min: 0 }, minLength: 1 }, default: null, doc: "Hidden layers whose units are compared (0 is `net.hidden[0]`; default: every hidden layer)." },
    { name: "normalize", type: { t: "bool" }, default: false, doc: "Divide by the number of units compared (a fraction in [0, 1])." },
  ],
  result: { fields: ["mean", "std"] },
  cites: papers.spectral,
  cost: (args, shape) => ({ forwardPasses: 2 * pairCount(args["pairs"]), flops: pairCount(args["pairs"]) * shape.layers.reduce((a, l) => a + l.width, 0) }),
});

export const gradientConfusion = probeEntry({
  name: "gradient_confusion",
  kind: "probe",
  doc: "Gradient confusion: the cosine between the per-example loss gradients (every weight and bias) of the two rows of each sampled pair, one value per pair (dimension `pair`) per seed. `plot density(c)` draws its distribution; `share_below(c) over pair` is the share of confused pairs, `quantile(c, 0.5) over pair` their median. Computed without per-example gradients: a dense layer's per-example gradient is the outer product of its input a and δ = ∂ℓ/∂z, so ⟨g_i, g_j⟩ = Σ_layers (δ_i·δ_j)(a_i·a_j + 1), from one evaluation-mode forward/backward over the pairs' rows plus Σ widths float64 multiply-adds per pair. The per-example loss is that row's loss alone. Only dense layers may carry parameters (RUN040 otherwise); a row whose gradient is zero gives NaN.",
  params: [model, data, pairs],
  result: { index: "pair" },
  cites: papers.spectral,
  // One forward/backward (≈ 2 forward passes) per distinct row, at most two rows per pair; then per pair and
  // per row float64 dot products over every layer's input and output width (stdlib/confusion/pair-gradients.ts).
  cost: (args, shape) => {
    const pairs = pairCount(args["pairs"]);
    const widths = shape.layers.reduce((sum, l) => sum + l.fanIn + l.width, 0);
    return { forwardPasses: 2 * 2 * pairs, flops: 2 * 3 * pairs * widths };
  },
});

export const samplingProbes: readonly Entry[] = [hamming, gradientConfusion];

export const shareBelow = analysisEntry({
  name: "share_below",
  kind: "analysis",
  doc: "The fraction of values below `threshold` in each group, NaN values (a pair with a zero gradient has no cosine) left out: `share_below(conf) over pair` is the share of confused pairs (cosine < 0) per seed and step.",
  params: [
    { name: "values", type: { t: "ref", of: "probe" }, doc: "A probe or an analysis." },
    { name: "threshold", type: { t: "number" }, default: 0, doc: "Values strictly below it count." },
  ],
  cites: papers.spectral,
});

export const countAbove = analysisEntry({
  name: "count_above",
  kind: "analysis",
  doc: "The number of values strictly above `threshold` in each group (NaN values never count): `count_above(acc, threshold: 0.1) over class` with `acc = accuracy(net, data, by: class)` is how many of 10 classes are above chance, per seed and step.",
  params: [
    { name: "values", type: { t: "ref", of: "probe" }, doc: "A probe or an analysis." },
    { name: "threshold", type: { t: "number" }, default: 0, doc: "Values strictly above it count." },
  ],
});

export const samplingAnalyses: readonly Entry[] = [shareBelow, countAbove];

export const samplingEntries: readonly Entry[] = [...samplers, ...samplingProbes, ...samplingAnalyses];
