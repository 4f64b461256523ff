/**
 * Registry entries for plots. Their data arguments are analysis expressions (probes, analyses,
 * reductions), so the compiler lowers them with the analysis compiler (compiler/check/plots.ts); these
 * entries give the parameters, their defaults and docs to the checker, the editor and docs/stdlib.md.
 */
import { papers } from "../registry/citations.js";
import type { Entry, Param } from "../registry/types.js";

const result = (name: string, doc: string): Param => ({ name, type: { t: "ref", of: "probe" }, doc });
const dim = (name: string, doc: string): Param => ({ name, type: { t: "string" }, default: null, doc });
const color = dim("color", "A sweep variable (or `seeds`) drawn as one coloured series per value.");
const facet = dim("facet", "A sweep variable split into small multiples.");
const title: Param = { name: "title", type: { t: "string" }, default: null, doc: "Figure title (default: the statement)." };
const log: Param = { name: "log", type: { t: "choice", options: ["none", "x", "y", "xy"] }, default: "none", doc: "Logarithmic axes." };

export const plots: Entry[] = [
  {
    name: "line",
    kind: "plot",
    doc: "A result against training time or a sweep variable, one line per colour, with optional band and reference lines.",
    params: [
      result("y", "The series: a probe or an analysis (`sharp`, `mean(h) over seeds`)."),
      { name: "x", type: { t: "string" }, default: "steps", doc: "`steps` (training time) or a sweep variable." },
      color,
      facet,
      { name: "band", type: { t: "string" }, default: null, doc: "`std over seeds` (mean ± std) or `range over seeds` (min–max) around the mean." },
      { name: "ref", type: { t: "list", of: { t: "number" } }, default: null, doc: "Horizontal reference lines, e.g. `ref: 2/lr`." },
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
    doc: "One result against another, point by point (joined on their shared dimensions).",
    params: [result("x", "Horizontal values."), result("y", "Vertical values."), color, facet, log, title],
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
    name: "density",
    kind: "plot",
    doc: "Gaussian kernel density estimate of a result's values (Scott's bandwidth), one curve per colour.",
    params: [result("values", "The values, e.g. `conf` or `log10(final_loss)`."), color, facet, title],
    cites: papers.spectral,
  },
];
