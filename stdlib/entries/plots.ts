/**
 * Registry entries for plots. Their data arguments are analysis expressions (probes, analyses,
 * reductions), so the compiler lowers them with the analysis compiler (compiler/check/plots.ts); these
 * entries give the parameters, their defaults and docs to the checker, the editor and docs/stdlib.md.
 */
import { papers } from "../registry/citations.js";
import type { Entry, Param, ParamType } from "../registry/types.js";
import { gammaParams } from "../condensation/entries.js";

const result = (name: string, doc: string): Param => ({ name, type: { t: "ref", of: "probe" }, doc });
const dim = (name: string, doc: string): Param => ({ name, type: { t: "string" }, default: null, doc });
const color = dim("color", "A sweep variable (or `seeds`) drawn as one coloured series per value.");
const facet = dim("facet", "A sweep variable split into small multiples.");
const title: Param = { name: "title", type: { t: "string" }, default: null, doc: "Figure title (default: the statement)." };
const log: Param = { name: "log", type: { t: "choice", options: ["none", "x", "y", "xy"] }, default: "none", doc: "Logarithmic axes." };

/** `at:` of matrix and image plots: `end`, `start`, a step, or a list of those (checked in compiler/check/plots.ts). */
const snapshot: ParamType = { t: "oneOf", of: [{ t: "choice", options: ["start", "end"] }, { t: "number", integer: true, min: 0 }] };
const snapshots: ParamType = { t: "oneOf", of: [snapshot, { t: "list", of: snapshot, minLength: 1 }] };

export const plots: Entry[] = [
  {
    name: "line",
    kind: "plot",
    doc: "A result against training time or a sweep variable, one line per colour, with optional band and reference lines.",
    params: [
      result("y", "The series: a probe or an analysis (`sharp`, `mean(h) over seeds`); several in a list (`[train_loss, test_loss]`, or `line(train_loss, test_loss)`) share the plot, each in its own colour (its own dashes when `color` is given), named in the legend."),
      { name: "x", type: { t: "string" }, default: "steps", doc: "`steps` (training time), `epochs` (training time in passes over the training data: a step divided by its run's steps per epoch, so fractional between epoch ends) or a sweep variable." },
      color,
      facet,
      { name: "band", type: { t: "string" }, default: null, doc: "`std over seeds` (mean ± std) or `range over seeds` (min–max) around the mean." },
      { name: "ref", type: { t: "list", of: { t: "number" } }, default: null, doc: "Horizontal reference lines, e.g. `ref: 2/lr`." },
      {
        name: "mark",
        type: { t: "list", of: { t: "ref", of: "probe" } },
        default: null,
        doc: "Vertical rules at steps: a probe's measurement steps (`mark: groups` for a probe `at first(sharp > 2/lr)`: where the event fired; a snapshot probe `at [start, 500]`) or an analysis's step values (`mark: learned_at`), coloured by `color` when they have it.",
      },
      log,
      title,
    ],
    cites: papers.opposing,
  },
  {
    name: "loglog",
    kind: "plot",
    doc: "`y vs x` on log-log axes across a sweep variable, with the fitted power law and its exponent in the legend.",
    params: [
      result("relation", "`y vs x`: a result against a sweep variable."),
      color,
      facet,
      { name: "fit", type: { t: "bool" }, default: true, doc: "Draw the least-squares power law per colour." },
      { name: "ref", type: { t: "list", of: { t: "number" } }, default: null, doc: "Reference power laws through the first point, e.g. `ref: [width^-1, width^-4]`." },
      title,
    ],
    cites: papers.lottery,
  },
  {
    name: "scatter",
    kind: "plot",
    doc: "One result against another, point by point (joined on their shared dimensions), coloured by a dimension (`color`) or by a third result's value (`shade`).",
    params: [
      result("x", "Horizontal values."),
      result("y", "Vertical values."),
      color,
      {
        name: "shade",
        type: { t: "ref", of: "probe" },
        default: null,
        doc: "A result whose value colours each point on a continuous scale, joined on the shared dimensions like `x` and `y` (`shade: log10(final_loss)`: parameter-space PCA coloured by loss, Liu & Tegmark Fig 9); not together with `color`.",
      },
      {
        name: "panels",
        type: { t: "ref", of: "probe" },
        default: null,
        doc: "A result whose value is a category (a whole number, e.g. a cluster label per seed) drawing one panel per value, joined on the shared dimensions like `shade` (`panels: clusters(pca.pc1, pca.pc2, stat: label) over seeds`: the activation curves of each cluster's nets, Liu & Tegmark Figs 10–11); facets by a result, where `facet` takes a dimension, so not together with `facet`.",
      },
      facet,
      log,
      title,
    ],
    cites: papers.condensation,
  },
  {
    name: "histogram",
    kind: "plot",
    doc: "Histogram of a result's values (e.g. final loss over seeds); `histogram(log10(x))` bins log10 of them.",
    params: [
      result("values", "The values, e.g. `final_loss` or `log10(final_loss)`."),
      { name: "bins", type: { t: "number", integer: true, min: 1, max: 1000 }, default: 30, doc: "Number of bins." },
      color,
      facet,
      title,
    ],
    cites: papers.lottery,
  },
  {
    name: "heatmap",
    kind: "plot",
    doc: "A matrix probe's recorded snapshots (`heatmap(cos, at: [start, end], facet: gamma)`) or a result over two dimensions (`heatmap(err, x: steps, y: frequency)`), diverging colours around 0 for signed data, viridis otherwise; large matrices are drawn as block-averaged images.",
    params: [
      result("values", "A matrix probe (`cos`), or with `x` and `y` any result (`median(fp.error) over seeds`)."),
      { name: "x", type: { t: "string" }, default: null, doc: "With `y`: the dimension across (e.g. `steps`)." },
      { name: "y", type: { t: "string" }, default: null, doc: "With `x`: the dimension upwards (e.g. `frequency`)." },
      facet,
      { name: "at", type: snapshots, default: "end", doc: "Matrix probes: which snapshots, one row of panels each: `start`, `end`, a step (the nearest recorded one), or a list `[start, end]`." },
      { name: "seed", type: { t: "number", integer: true }, default: null, doc: "Matrix probes: the seed drawn (default: the first; `facet: seeds` draws every seed)." },
      { name: "range", type: { t: "list", of: { t: "number" } }, default: null, doc: "Fixed colour domain `[lo, hi]`, e.g. `range: [-1, 1]` for cosines (default: the data's range, symmetric around 0 for signed data)." },
      { name: "order", type: { t: "choice", options: ["none", "eigen"] }, default: "none", doc: "Matrix probes: `eigen` sorts rows and columns by the leading eigenvector (float64), for matrices the probe did not order." },
      { name: "log", type: { t: "choice", options: ["none", "color"] }, default: "none", doc: "`color`: a logarithmic colour scale (positive values)." },
      title,
    ],
    cites: papers.condensation,
  },
  {
    name: "image",
    kind: "plot",
    doc: "Values of an `outputs` probe (or `region_ids`, `region_slice`: any probe recording coordinates `x0`, `x1` over `point`) over a two-input `grid(…)` or `image(…)`, placed at the recorded input coordinates as an image with equal aspect: one result colour-mapped (`image(f.output)`, viridis, or diverging around 0 for signed data), three results as red, green, blue (each clipped to [0, 1]), or `image(f.region)`, the activation regions in repeating categorical colours.",
    params: [
      result("values", "One result (`f.output`, `median(f.output) over seeds`, `f.region`) or three (`f.output, f.output1, f.output2`: RGB)."),
      facet,
      { name: "at", type: snapshots, default: "end", doc: "Which measurement steps, one row of panels each: `start`, `end`, a step (the nearest recorded one), or a list `[start, end]`." },
      { name: "seed", type: { t: "number", integer: true }, default: null, doc: "The seed drawn when the values have one per seed (default: the first; `facet: seeds` draws every seed)." },
      { name: "range", type: { t: "list", of: { t: "number" } }, default: null, doc: "Fixed colour domain `[lo, hi]` of a colour-mapped image (default: the data's range, symmetric around 0 for signed data)." },
      title,
    ],
    cites: papers.spectral,
  },
  {
    name: "phase_plane",
    kind: "plot",
    doc: "The (γ, γ') plane of the two-layer phase diagram with its linear, critical and condensed regions and the NTK, mean-field and LeCun/He points; one marker per swept (γ, γ') coloured by the value: a regime from `slope_regime`/`phase_regime`, or a number such as an RD slope (labelled).",
    params: [
      result("values", "One value per swept (γ, γ'), e.g. `slope_regime(slope)` or `slope.exponent`."),
      ...gammaParams,
      facet,
      title,
    ],
    cites: papers.condensation,
  },
  {
    name: "density",
    kind: "plot",
    doc: "Gaussian kernel density estimate of a result's values (Scott's bandwidth), one curve per colour.",
    params: [result("values", "The values, e.g. `conf` or `log10(final_loss)`."), color, facet, title],
    cites: papers.spectral,
  },
];
