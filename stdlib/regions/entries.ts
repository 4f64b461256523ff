/**
 * Registry entries of the activation-region family (Lazzari & Liu 2023, P1, P2, P8, P11; Montúfar et al.
 * 2014): region counts and dead units over a data set, region ids per point for `plot image`, and regions
 * on a 2-D slice through the encoded input space. A pattern is the on/off state (pre-activation > 0) of
 * every unit of the chosen hidden layers (stdlib/regions/patterns.ts: conv maps count every position and
 * channel; for a smooth activation it is the side of each unit's hyperplane). Named `activation_regions`
 * as in the language sketch (design/LANGUAGE.md). Schema only; the implementations in this folder import it.
 */
import { model } from "../core/entries.js";
import { papers } from "../registry/citations.js";
import { probeEntry } from "../registry/entry.js";
import type { Entry, Lowered, Param, ProbeCostShape, Rule } from "../registry/types.js";

const data = { name: "data", type: { t: "ref", of: "data" }, doc: "The data set whose points are measured." } as const satisfies Param;
const layers = {
  name: "layers",
  type: { t: "list", of: { t: "number", integer: true, min: 0 }, minLength: 1 },
  default: null,
  doc: "Hidden layers whose units make the pattern (0 is `net.hidden[0]`; default: every hidden layer, the paper's all-layer regions).",
} as const satisfies Param;

/** One forward pass over every row of the `data` argument. */
const forwardOverData = (args: Readonly<Record<string, Lowered>>, shape: ProbeCostShape) => ({ forwardPasses: shape.rows(args["data"]) ?? 0 });

export const activationRegions = probeEntry({
  name: "activation_regions",
  kind: "probe",
  doc: "Activation regions over a data set, per seed: `count`, the number of distinct on/off patterns of the chosen hidden layers' units (exact; at most the number of points), and `dead`, the units never on (pre-activation ≤ 0 at every point). Patterns are bit-packed (262,144 points × 2,048 units: 64 MiB).",
  params: [model, data, layers],
  result: { fields: ["count", "dead"] },
  cites: papers.spectral,
  cost: forwardOverData,
});

export const deadUnits = probeEntry({
  name: "dead_units",
  kind: "probe",
  doc: "Dead ReLUs: hidden units of the chosen layers whose pre-activation is ≤ 0 at every point of the data set, per seed (per layer: `layers: [k]`).",
  params: [model, data, layers],
  cites: papers.spectral,
  cost: forwardOverData,
});

export const regionIds = probeEntry({
  name: "region_ids",
  kind: "probe",
  doc: "The activation region of every point of a data set (dimension `point`): `region`, the id of its on/off pattern over the chosen hidden layers, numbered 0, 1, … in order of first appearance over the points (stable, no random permutation; the count is the largest id + 1), with the input coordinates `x0`…`x3` so that over a two-input `grid(…)` `plot image(r.region)` draws the regions. `outputs(net, data, layer: k).region` is the one-layer case.",
  params: [model, { ...data, doc: "The data set; over a two-input `grid(…)` the ids can be drawn with `plot image`." }, layers],
  result: { index: "point", fields: ["x0", "x1", "x2", "x3", "region"] },
  cites: papers.spectral,
  cost: forwardOverData,
});

const dimsRule: Rule = { params: ["dims"], holds: (a) => new Set(a["dims"] as number[]).size === (a["dims"] as number[]).length && (a["dims"] as number[]).length <= 2, message: "`dims` must be one or two different input dimensions" };
const rangeRule: Rule = { params: ["range"], holds: (a) => (a["range"] as number[])[0]! < (a["range"] as number[])[1]!, message: "`range` must have lo < hi" };

export const regionSlice = probeEntry({
  name: "region_slice",
  kind: "probe",
  doc: "Activation regions on a slice through the network's *encoded* input space (the paper's Fig. 6): the first hidden layer's inputs are set to `at` except dimensions `dims`, which run over `n` evenly spaced values of `range` (both ends included) — an n × n plane for two dims, a line for one — bypassing the input encoding. Dimension `point`: the slice coordinates `x0` (dims[0], fastest) and `x1`, and `region`, the pattern id numbered by first appearance (the count is the largest id + 1), drawn by `plot image(s.region)`. Needs dense hidden layers (encodings, activations, dropout allowed; no norms or convolutions).",
  params: [
    model,
    { name: "dims", type: { t: "list", of: { t: "number", integer: true, min: 0 }, minLength: 1 }, default: [0, 1], doc: "The one or two encoded input dimensions the slice runs along (0 is the first input of the first hidden layer)." },
    { name: "n", type: { t: "number", integer: true, min: 2, max: 4096 }, default: 256, doc: "Points along each slice dimension (at most 4,096: 16.8 M points on a plane)." },
    { name: "range", type: { t: "interval" }, default: [-1, 1], doc: "The values each slice dimension takes." },
    { name: "at", type: { t: "number" }, default: 0, doc: "The value of every other encoded dimension." },
    layers,
  ],
  rules: [dimsRule, rangeRule],
  result: { index: "point", fields: ["x0", "x1", "region"] },
  cites: papers.spectral,
  cost: (args) => ({ forwardPasses: Number(args["n"]) ** ((args["dims"] as number[]).length) }),
});

export const regionProbes: readonly Entry[] = [activationRegions, deadUnits, regionIds, regionSlice];
