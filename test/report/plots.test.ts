/**
 * Every plot kind rendered from fixture data: the SVG's structure (marks per series, axis titles, legend
 * entries, reference lines, log tick labels) and the plotted numbers against values computed by hand.
 */
import { describe, expect, it } from "vitest";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { gaussianKde, scottBandwidth } from "../../numerics/kde.js";
import { plotToVegaLite, renderPng, renderSvg, type VegaLiteSpec } from "../../report/plots.js";
import { DivergenceIndex } from "../../runtime/analysis/divergence.js";
import type { Table } from "../../runtime/analysis/table.js";
import * as F from "./plot-fixtures.js";
import { markGroups, markShapes, markTexts, shapes, texts } from "./svg-structure.js";

type Datum = Record<string, number | string>;
const dataOf = (vl: VegaLiteSpec, layer: string): Datum[] => ((vl as unknown as { data: { values: Datum[] } }).data.values).filter((d) => d["_layer"] === layer);
const subtitle = (vl: VegaLiteSpec): string => ((vl as unknown as { title: { subtitle?: string[] } }).title.subtitle ?? []).join(" | ");

describe("line plots", () => {
  const acts = ["silu", "relu"];
  const seeds = [0, 1, 2, 3];
  const table = F.trainingCurves(acts, seeds, 40);
  const spec = F.lineSpec({ color: "act", band: { fn: "std", over: "seeds" }, logY: true, refs: [{ kind: "constant", value: 0.05, label: "2/lr" }] });

  it("draws one line, one band and 40 markers per colour, the labelled reference rule, titles and legend", async () => {
    const svg = await renderSvg(plotToVegaLite(spec, { y: table }));
    expect(markShapes(svg, "lines")).toBe(2);
    expect(markShapes(svg, "band")).toBe(2);
    expect(markShapes(svg, "points")).toBe(80);
    expect(markShapes(svg, "refs")).toBe(1);
    expect(markTexts(svg, "ref_labels")).toEqual(["2/lr"]);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["step", "training loss"]));
    expect(texts(svg, "legend-label")).toEqual(["silu", "relu"]);
    expect(texts(svg, "legend-title")).toEqual(["act"]);
    // Log y from ~1e-3 to 2.6: decade ticks print as plain numbers, not SI prefixes (no "1m").
    const yLabels = texts(svg, "axis-label");
    expect(yLabels).toEqual(expect.arrayContaining(["0.01", "0.1", "1"]));
    expect(yLabels.some((l) => /\dm$/.test(l))).toBe(false);
  });

  it("plots the mean over seeds with a band of ± one sample std", () => {
    const vl = plotToVegaLite(spec, { y: table });
    // relu (factor 2) at step 100: values (1 + s/10)·2·e^(−2) for s = 0..3 → mean 2.3 e^(−2), std 2·e^(−2)·√(var of 1, 1.1, 1.2, 1.3).
    const e2 = Math.exp(-2);
    const mean = 2.3 * e2;
    const std = 2 * e2 * Math.sqrt((0.15 ** 2 + 0.05 ** 2 + 0.05 ** 2 + 0.15 ** 2) / 3);
    const line = dataOf(vl, "line").find((d) => d["_color"] === "relu" && d["x"] === 100)!;
    const band = dataOf(vl, "band").find((d) => d["_color"] === "relu" && d["x"] === 100)!;
    expect(line["y"]).toBeCloseTo(mean, 14);
    expect(band["lo"]).toBeCloseTo(mean - std, 14);
    expect(band["hi"]).toBeCloseTo(mean + std, 14);
    expect(subtitle(vl)).toContain("band: ± 1 std");
  });

  it("a min–max band spans the smallest and largest seed", () => {
    const vl = plotToVegaLite(F.lineSpec({ color: "act", band: { fn: "range", over: "seeds" } }), { y: table });
    const band = dataOf(vl, "band").find((d) => d["_color"] === "silu" && d["x"] === 0)!;
    expect([band["lo"], band["hi"]]).toEqual([1, 1.3]);
  });

  it("facets into one panel per value, each with a line per colour", async () => {
    const svg = await renderSvg(plotToVegaLite(F.lineSpec({ color: "seeds", facet: "act" }), { y: F.trainingCurves(["silu", "relu", "tanh"], [0, 1, 2], 30) }));
    expect(markShapes(svg, "lines")).toBe(9);
    expect(markGroups(svg, "lines").map(shapes)).toEqual(new Array(9).fill(1));
    // One panel header per act; each panel holds its 3 seed lines (their aria labels name the act's values).
    expect(texts(svg, "title-text")).toEqual(expect.arrayContaining(["relu", "silu", "tanh"]));
    expect(texts(svg, "legend-title")).toEqual(["seed"]);
    expect(svg).toContain(">tanh<");
  });

  it("on a log x axis leaves out step 0 and says so; dimensions not mapped give one line each", () => {
    const vl = plotToVegaLite(F.lineSpec({ logX: true }), { y: F.trainingCurves(["silu"], [0, 1], 5) });
    expect(dataOf(vl, "line").every((d) => (d["x"] as number) > 0)).toBe(true);
    expect(subtitle(vl)).toMatch(/2 values ≤ 0 omitted on the log x axis/);
    expect(subtitle(vl)).toMatch(/one line per act × seed/);
  });

  it("thins a 2048-point series to at most 2000 points and says so in the subtitle", async () => {
    const rows = Array.from({ length: 2048 }, (_, k) => ({ key: { seeds: 0, steps: k }, value: 1 / (1 + k) + (k === 1500 ? 1 : 0) }));
    const vl = plotToVegaLite(F.lineSpec(), { y: { dims: ["seeds", "steps"], rows } });
    const line = dataOf(vl, "line");
    expect(line.length).toBeLessThanOrEqual(2000);
    expect(line.map((d) => d["x"])).toContain(1500); // the spike survives
    expect(subtitle(vl)).toContain("thinned to ≤ 2000 points");
    const svg = await renderSvg(vl);
    const path = markGroups(svg, "lines")[0]!.match(/d="([^"]+)"/)![1]!;
    expect((path.match(/L/g) ?? []).length + 1).toBe(line.length);
  });

  it("names a dimension the data lack (RUN051)", () => {
    expect(() => plotToVegaLite(F.lineSpec({ color: "width" }), { y: table })).toThrow(/colour "width" is not a dimension/);
  });
});

describe("loglog plots", () => {
  const widths = [8, 16, 32, 64, 128];
  const table = F.powerLaws({ silu: { c: 2, alpha: 1.02 }, relu: { c: 1, alpha: 0.5 } }, widths);
  const spec = F.loglogSpec({ color: "act", refs: [{ kind: "power", exponent: -1, label: "width⁻¹" }] });

  it("draws points and lines per colour, the fitted laws with α in the legend, a dashed reference", async () => {
    const vl = plotToVegaLite(spec, { y: table });
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "points")).toBe(10);
    expect(markShapes(svg, "series")).toBe(2);
    expect(markShapes(svg, "fits")).toBe(2);
    expect(markShapes(svg, "refs")).toBe(1);
    expect(markGroups(svg, "refs")[0]).toContain("stroke-dasharray");
    expect(markTexts(svg, "ref_labels")).toEqual(["width⁻¹"]);
    expect(texts(svg, "legend-label")).toEqual(["silu: α = 1.02", "relu: α = 0.5"]);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["width", "median loss"]));
    expect(texts(svg, "axis-label")).toEqual(expect.arrayContaining(["10", "100"]));
  });

  it("the fit passes through c·x^−α and the reference through the first point with slope −1", () => {
    const vl = plotToVegaLite(spec, { y: table });
    const fit = dataOf(vl, "fit").filter((d) => String(d["_series"]).startsWith("silu"));
    for (const d of fit) expect(d["y"] as number).toBeCloseTo(2 * (d["x"] as number) ** -1.02, 12);
    const ref = dataOf(vl, "ref");
    expect(ref.map((d) => d["x"])).toEqual([8, 128]);
    expect(ref[0]!["y"]).toBeCloseTo(2 * 8 ** -1.02, 14);
    expect(ref[1]!["y"]).toBeCloseTo(2 * 8 ** -1.02 * (8 / 128), 14);
  });

  it("in small multiples prints each fit's α next to it", async () => {
    const svg = await renderSvg(plotToVegaLite(F.loglogSpec({ color: "act", facet: "act" }), { y: table }));
    expect(markGroups(svg, "fits")).toHaveLength(2);
    expect(markTexts(svg, "fit_labels").sort()).toEqual(["α = 0.5", "α = 1.02"]);
    expect(texts(svg, "legend-label")).toEqual(["silu", "relu"]);
  });

  it("asks to reduce a dimension it cannot place (RUN050)", () => {
    const withSeeds = { dims: ["width", "seeds"], rows: widths.flatMap((w) => [0, 1].map((s) => ({ key: { width: w, seeds: s }, value: 1 / w }))) };
    expect(() => plotToVegaLite(F.loglogSpec(), { y: withSeeds })).toThrow(DyncRuntimeError);
    expect(() => plotToVegaLite(F.loglogSpec(), { y: withSeeds })).toThrow(/also vary over seed/);
  });

  it("ignores a dimension with one value throughout (a probe measured only at the end)", () => {
    // y = 3·w^−1 at the single step 500: the fit must recover α = 1 as if the step dimension were absent.
    const atEnd = { dims: ["width", "steps"], rows: widths.map((w) => ({ key: { width: w, steps: 500 }, value: 3 / w })) };
    const fit = dataOf(plotToVegaLite(F.loglogSpec(), { y: atEnd }), "fit");
    for (const d of fit) expect(d["y"] as number).toBeCloseTo(3 / (d["x"] as number), 12);
  });
});

describe("scatter plots", () => {
  const xs = F.concat(F.valuesTable(F.normals(300, 1), { act: "silu" }), F.valuesTable(F.normals(300, 2, 1), { act: "relu" }));
  const ys = F.concat(F.valuesTable(F.normals(300, 3), { act: "silu" }), F.valuesTable(F.normals(300, 4, 2), { act: "relu" }));

  it("draws one circle per joined row, coloured, with axis titles and legend", async () => {
    const svg = await renderSvg(plotToVegaLite(F.scatterSpec({ color: "act" }), { x: xs, y: ys }));
    expect(markShapes(svg, "points")).toBe(600);
    expect(texts(svg, "legend-label")).toEqual(["silu", "relu"]);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["feature norm", "angle"]));
  });

  it("colours each point by its `shade` value, joined by key, on a continuous scale; non-finite shades are left out and counted", async () => {
    // pc1 = seed, pc2 = 2·seed, shade = log loss −seed/10; seed 3's shade is NaN (a diverged loss)
    const seeds = [0, 1, 2, 3, 4];
    const shade = F.valuesTable(seeds.map((s) => (s === 3 ? NaN : -s / 10)));
    const spec = F.scatterSpec({ shade: { expr: { op: "probe", name: "loss" }, label: "log10(final_loss)" } });
    const vl = plotToVegaLite(spec, { x: F.valuesTable(seeds), y: F.valuesTable(seeds.map((s) => 2 * s)), shade });
    const points = dataOf(vl, "points");
    expect(points.map((d) => [d["x"], d["y"], d["_shade"]])).toEqual([0, 1, 2, 4].map((s) => [s, 2 * s, -s / 10]));
    expect(subtitle(vl)).toContain("1 points without a finite log10(final_loss) omitted");
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "points")).toBe(4);
    expect(texts(svg, "legend-title")).toContain("log10(final_loss)");
  });

  it("draws one panel per `panels` value (a per-seed label joined onto per-point curves), in numeric order; NaN labels left out and counted", async () => {
    // Curves of 3 points per seed, seeds 0–4; labels per seed: 1, 0, 1, NaN, 10 (10 sorts after 1, not before).
    const curve = (f: (s: number, p: number) => number): Table => ({
      dims: ["seeds", "point"],
      rows: [0, 1, 2, 3, 4].flatMap((s) => [0, 1, 2].map((p) => ({ key: { seeds: s, point: p }, value: f(s, p) }))),
    });
    const labels = F.valuesTable([1, 0, 1, NaN, 10]);
    const spec = F.scatterSpec({ panels: { expr: { op: "probe", name: "cluster" }, label: "cluster" } });
    const vl = plotToVegaLite(spec, { x: curve((_s, p) => p), y: curve((s, p) => s * p), panels: labels });
    const points = dataOf(vl, "points");
    expect(points.filter((d) => d["_facet"] === "1").map((d) => d["y"])).toEqual([0, 0, 0, 0, 2, 4]);
    expect(points.filter((d) => d["_facet"] === "0").map((d) => d["y"])).toEqual([0, 1, 2]);
    expect(points.filter((d) => d["_facet"] === "10")).toHaveLength(3);
    expect((vl as unknown as { facet: { sort: string[] } }).facet.sort).toEqual(["0", "1", "10"]);
    expect((vl as unknown as { resolve: unknown }).resolve).toEqual({ scale: { y: "independent" } });
    expect(subtitle(vl)).toContain("3 points without a finite cluster omitted");
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "points")).toBe(12);
    expect(texts(svg, "title-text")).toEqual(expect.arrayContaining(["0", "1", "10"]));
  });

  it("thins 10,000 points to 5,000 and says so; the plot still renders", async () => {
    const n = 10_000;
    const vl = plotToVegaLite(F.scatterSpec(), { x: F.valuesTable(F.normals(n, 5), {}, "neuron"), y: F.valuesTable(F.normals(n, 6), {}, "neuron") });
    expect(subtitle(vl)).toContain("5,000 of 10,000 points");
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "points")).toBe(5000);
    expect(renderPng(svg).subarray(1, 4).toString()).toBe("PNG");
  });
});

describe("histograms", () => {
  const a = F.normals(500, 1);
  const b = F.normals(400, 2, 1.5);
  const table = F.concat(F.valuesTable(a, { act: "silu" }), F.valuesTable(b.map((v) => v), { act: "relu" }));

  it("draws `bins` bars per colour over shared bins whose counts add up", async () => {
    const vl = plotToVegaLite(F.histogramSpec({ color: "act", bins: 10 }), { values: table });
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "bars")).toBe(20);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["final loss", "count"]));
    const bars = dataOf(vl, "bins");
    const sum = (act: string) => bars.filter((d) => d["_color"] === act).reduce((s, d) => s + (d["y"] as number), 0);
    expect([sum("silu"), sum("relu")]).toEqual([500, 400]);
    const lo = Math.min(...a, ...b);
    const width = (Math.max(...a, ...b) - lo) / 10;
    const inFirst = a.filter((v) => v < lo + width).length;
    expect(bars.find((d) => d["_color"] === "silu" && d["x"] === lo)!["y"]).toBe(inFirst);
  });

  it("of log10 values, leaving out values ≤ 0, faceted", async () => {
    const values = F.concat(F.valuesTable([0.001, 0.01, 0.1, 1, 10, -1, 0], { width: 8 }), F.valuesTable([0.01, 0.02], { width: 16 }));
    const vl = plotToVegaLite(F.histogramSpec({ facet: "width", bins: 4, log10: true }), { values });
    expect(subtitle(vl)).toContain("2 values ≤ 0 omitted");
    const bars = dataOf(vl, "bins");
    expect(bars[0]!["x"]).toBeCloseTo(-3, 12);
    expect(bars.filter((d) => d["_facet"] === "8").map((d) => d["y"])).toEqual([1, 1, 1, 2]);
    const svg = await renderSvg(vl);
    expect(markGroups(svg, "bars")).toHaveLength(2);
    expect(texts(svg, "axis-title")).toContain("log₁₀ final loss");
  });
});

describe("density plots", () => {
  const a = F.normals(200, 1);
  const b = F.normals(150, 2, 2);
  const table = F.concat(F.valuesTable(a, { act: "silu" }), F.valuesTable(b, { act: "relu" }));

  it("draws one KDE curve per colour, equal to the hand-computed density at each grid point", async () => {
    const vl = plotToVegaLite(F.densitySpec({ color: "act" }), { values: table });
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "curves")).toBe(2);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["final loss", "density"]));
    const silu = dataOf(vl, "density").filter((d) => d["_color"] === "silu");
    const h = scottBandwidth(a);
    for (const d of silu.filter((_, i) => i % 50 === 0)) {
      const x = d["x"] as number;
      const byHand = a.reduce((s, v) => s + Math.exp(-(((x - v) / h) ** 2) / 2), 0) / (a.length * h * Math.sqrt(2 * Math.PI));
      expect(d["y"] as number).toBeCloseTo(byHand, 14);
    }
    expect(gaussianKde(a, [silu[100]!["x"] as number], h)[0]).toBe(silu[100]!["y"]);
  });

  it("skips a series without spread and says why", () => {
    const values = F.concat(F.valuesTable(a, { act: "silu" }), F.valuesTable([3, 3, 3], { act: "relu" }));
    const vl = plotToVegaLite(F.densitySpec({ color: "act" }), { values });
    expect(subtitle(vl)).toContain("no density for relu");
  });
});

describe("points of diverged runs", () => {
  // fin over lr: lr=10 diverged (every seed), so its value is NaN; lr=3 is NaN for another reason.
  const fin: Table = { dims: ["lr"], rows: [0.01, 0.1, 1, 3, 10].map((lr, i) => ({ key: { lr }, value: [0.9, 0.5, 0.3, Number.NaN, Number.NaN][i]! })) };
  const divergence = new DivergenceIndex([{ id: "lr=10", point: { lr: 10 }, seeds: [{ seed: 0, step: 62 }, { seed: 1, step: 69 }], seedCount: 2 }], ["lr"]);
  const spec = F.lineSpec({ y: { op: "let", name: "fin" }, yLabel: "fin", x: "lr", logX: true, logY: true });

  it("a line plot draws a × at the top at the diverged x and names the run in the subtitle", async () => {
    const vl = plotToVegaLite(spec, { y: fin, divergence });
    expect(dataOf(vl, "diverged")).toEqual([{ _layer: "diverged", x: 10 }]);
    expect(subtitle(vl)).toContain("× 1 NaN value not drawn: run lr=10 diverged at steps 62–69 (2 of 2 seeds)");
    expect(subtitle(vl)).toContain("1 NaN/infinite value omitted"); // lr=3: no diverged run explains it
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "points")).toBe(3);
    expect(markShapes(svg, "diverged")).toBe(1);
    expect(markGroups(svg, "diverged")[0]).toContain("#D55E00");
  });

  it("without divergence information a NaN is only counted, as before", async () => {
    const vl = plotToVegaLite(spec, { y: fin });
    expect(dataOf(vl, "diverged")).toEqual([]);
    expect(subtitle(vl)).toContain("2 NaN/infinite values omitted");
    expect(markGroups(await renderSvg(vl), "diverged")).toEqual([]);
  });

  it("a steps axis marks only the first NaN step of each diverged seed's series", () => {
    const rows = [0, 1].flatMap((seed) => [0, 10, 20, 30].map((steps) => ({ key: { lr: 10, seeds: seed, steps }, value: seed === 1 && steps > 10 ? Number.NaN : 1 })));
    const one = new DivergenceIndex([{ id: "lr=10", point: { lr: 10 }, seeds: [{ seed: 1, step: 12 }], seedCount: 2 }], ["lr"]);
    const vl = plotToVegaLite(F.lineSpec({ color: "seeds" }), { y: { dims: ["lr", "seeds", "steps"], rows }, divergence: one });
    expect(dataOf(vl, "diverged")).toEqual([{ _layer: "diverged", _color: "1", x: 20 }]);
    expect(subtitle(vl)).toContain("× 2 NaN values not drawn: run lr=10 diverged at step 12 (1 of 2 seeds)");
  });

  it("a scatter plot marks a diverged point at its x", () => {
    const x: Table = { dims: ["lr"], rows: [1, 10].map((lr) => ({ key: { lr }, value: lr })) };
    const vl = plotToVegaLite(F.scatterSpec(), { x, y: { dims: ["lr"], rows: [{ key: { lr: 1 }, value: 2 }, { key: { lr: 10 }, value: Number.NaN }] }, divergence });
    expect(dataOf(vl, "points")).toHaveLength(1);
    expect(dataOf(vl, "diverged")).toEqual([{ _layer: "diverged", x: 10 }]);
  });
});
