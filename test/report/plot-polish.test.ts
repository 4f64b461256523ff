/**
 * Report polish (issue 20): log axes that end on labelled 1-2-5 ticks around the data, hover values as SVG
 * `<title>`s, one-value facets drawn as one panel, two ordered colour values far apart, plots as wide as
 * the page's column.
 */
import { describe, expect, it } from "vitest";
import { logTicks } from "../../report/plot-common.js";
import { hoverTitles, plotToVegaLite, renderSvg, seriesTable, type VegaLiteSpec } from "../../report/plots.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Table } from "../../runtime/analysis/table.js";
import { VIRIDIS_DARK, VIRIDIS_LIGHT } from "../../report/colors.js";
import * as F from "./plot-fixtures.js";
import { markGroups, texts } from "./svg-structure.js";

const titlesIn = (group: string): string[] => [...group.matchAll(/<title>(.*?)<\/title>/g)].map((m) => m[1]!);

describe("log axis ticks", () => {
  it("run from the 1-2-5 number below the smallest value to the one above the largest (quickstart's losses)", () => {
    // 0.0017 lies between 1e-3 and 2e-3; 0.0166 between 1e-2 and 2e-2.
    expect(logTicks([0.0017, 0.0035, 0.0166])).toEqual([0.001, 0.002, 0.005, 0.01, 0.02]);
    expect(logTicks([4, 16, 64])).toEqual([2, 5, 10, 20, 50, 100]);
  });

  it("keep a value that is itself a tick as an end, and give one value a tick on each side", () => {
    expect(logTicks([0.01, 0.05])).toEqual([0.01, 0.02, 0.05]);
    expect(logTicks([0.01])).toEqual([0.005, 0.01, 0.02]);
  });

  it("use decades over a wide range, and every n-th decade over a very wide one, ends labelled", () => {
    // 0.0017…3.2 in 1-2-5 steps would be 12 ticks (0.001 … 5): decades 1e-3 … 10 instead.
    expect(logTicks([0.0017, 3.2])).toEqual([0.001, 0.01, 0.1, 1, 10]);
    // 1e-15 … 1: 16 decades, more than 8 ticks: every 3rd decade (⌈15 / 7⌉ = 3), from 1e-15 to 1.
    expect(logTicks([1e-15, 0.5, 1])).toEqual([1e-15, 1e-12, 1e-9, 1e-6, 1e-3, 1]);
  });

  it("ignore values a log axis cannot show, and give none for no values", () => {
    expect(logTicks([0, -1, Number.NaN, 3])).toEqual([2, 5]);
    expect(logTicks([0, Number.NaN])).toBeNull();
  });

  it("are the drawn axis: its lowest and highest labels bracket every point", async () => {
    const rows = [4, 16, 64].map((width, i) => ({ key: { width }, value: [0.0166, 0.0035, 0.0017][i]! }));
    const svg = await renderSvg(plotToVegaLite(F.loglogSpec({ fit: false }), { y: { dims: ["width"], rows } }));
    const labels = texts(svg, "axis-label");
    expect(labels).toEqual(expect.arrayContaining(["0.001", "0.002", "0.005", "0.01", "0.02", "2", "100"]));
  });
});

describe("hover values", () => {
  it("every point carries its values as a <title>, every line and band its series", async () => {
    const spec = F.lineSpec({ color: "act", band: { fn: "std", over: "seeds" } });
    const svg = await renderSvg(plotToVegaLite(spec, { y: F.trainingCurves(["silu", "relu"], [0, 1], 3) }));
    expect(titlesIn(markGroups(svg, "lines").join(""))).toEqual(["training loss, act = silu", "training loss, act = relu"]);
    expect(titlesIn(markGroups(svg, "band").join(""))).toEqual(["training loss, act = silu", "training loss, act = relu"]);
    const points = titlesIn(markGroups(svg, "points").join(""));
    expect(points).toHaveLength(6);
    // relu (factor 2) at step 10, seeds 0 and 1: mean of 2·e^(−0.2) and 2.2·e^(−0.2) = 2.1·0.81873… = 1.71933…
    expect(points, points.join("\n")).toContain("training loss = 1.719 at step 10, act = relu");
    expect(points).toContain("training loss = 1.05 at step 0, act = silu");
  });

  it("turns only described empty items into elements with a title, guides untouched", () => {
    const svg = `<g aria-label="X-axis" role="graphics-symbol"><path aria-label="a &lt; b" role="graphics-symbol" d="M0,0"/><path aria-hidden="true" d="M1,1"/></g>`;
    expect(hoverTitles(svg)).toBe(`<g aria-label="X-axis" role="graphics-symbol"><path aria-label="a &lt; b" role="graphics-symbol" d="M0,0"><title>a &lt; b</title></path><path aria-hidden="true" d="M1,1"/></g>`);
  });
});

describe("layout and colours", () => {
  const spec = (vl: VegaLiteSpec) => vl as unknown as Record<string, unknown> & { title: { subtitle?: string[] }; width?: number };

  it("a facet with one value is one panel without a header, its value in the subtitle", async () => {
    const vl = plotToVegaLite(F.lineSpec({ facet: "act" }), { y: F.trainingCurves(["silu"], [0], 4) });
    expect(spec(vl)["facet"]).toBeUndefined();
    expect(spec(vl).title.subtitle).toEqual(expect.arrayContaining(["act = silu"]));
    const svg = await renderSvg(vl);
    expect(texts(svg, "title-text")).not.toContain("silu");
  });

  it("two values of an ordered colour (steps 0 and 1000) take viridis's two ends", () => {
    const vl = plotToVegaLite(F.lineSpec({ color: "seeds" }), { y: F.trainingCurves(["silu"], [0, 1], 3) });
    const layers = (vl as unknown as { layer: { name: string; encoding: { color?: { scale: { range?: string[] } } } }[] }).layer;
    expect(layers.find((l) => l.name === "lines")!.encoding.color!.scale.range).toEqual([VIRIDIS_DARK, VIRIDIS_LIGHT]);
  });

  it("a single panel is about as wide as the report's column (1180 px page)", () => {
    const vl = plotToVegaLite(F.lineSpec(), { y: F.trainingCurves(["silu"], [0], 4) });
    expect(spec(vl).width).toBeGreaterThanOrEqual(800);
  });
});

describe("several results on one line plot", () => {
  const probe = (name: string) => ({ op: "probe", name }) as const;
  const several = (over: Parameters<typeof F.lineSpec>[0] = {}) =>
    F.lineSpec({ yLabel: "train, test", series: [{ y: probe("train"), label: "train" }, { y: probe("test"), label: "test" }], ...over });
  // train: the fixture's curves; test: the same, doubled (so each test point is twice its train point).
  const train = F.trainingCurves(["silu", "relu"], [0], 4);
  const test: Table = { dims: train.dims, rows: train.rows.map((r) => ({ key: r.key, value: (r.value as number) * 2 })) };

  it("stacks the results along a `series` dimension, each row's value its own result's", () => {
    const spec = several();
    const table = seriesTable(spec, [{ label: "train", table: train }, { label: "test", table: test }]);
    expect(table.dims).toEqual(["act", "seeds", "steps", "series"]);
    expect(table.rows).toHaveLength(2 * train.rows.length);
    const at = (series: string) => table.rows.find((r) => r.key["series"] === series && r.key["act"] === "relu" && r.key["steps"] === 10)!.value;
    expect(at("train")).toBe(2 * Math.exp(-10 / 50)); // relu (factor 2), seed 0, step 10
    expect(at("test")).toBe(4 * Math.exp(-10 / 50));
  });

  it("draws one line per result in its own colour, named in the legend and the lines' titles", async () => {
    const spec = several();
    const one = { dims: ["steps"], rows: train.rows.filter((r) => r.key["act"] === "silu").map((r) => ({ key: { steps: r.key["steps"]! }, value: r.value })) };
    const two = { dims: ["steps"], rows: one.rows.map((r) => ({ key: r.key, value: (r.value as number) / 2 })) };
    const svg = await renderSvg(plotToVegaLite(spec, { y: seriesTable(spec, [{ label: "train", table: one }, { label: "test", table: two }]) }));
    expect(texts(svg, "legend-label")).toEqual(["train", "test"]);
    expect(titlesIn(markGroups(svg, "lines").join(""))).toEqual(["train", "test"]);
    expect(titlesIn(markGroups(svg, "points").join(""))).toContain(`test = ${Number((0.5 * Math.exp(-10 / 50)).toPrecision(4))} at step 10`);
    const strokes = [...markGroups(svg, "lines").join("").matchAll(/stroke="(#[0-9a-fA-F]+)"/g)].map((m) => m[1]);
    expect(new Set(strokes).size).toBe(2);
  });

  it("coloured by a sweep variable, tells the results apart by dashes", async () => {
    const spec = several({ color: "act" });
    const vl = plotToVegaLite(spec, { y: seriesTable(spec, [{ label: "train", table: train }, { label: "test", table: test }]) });
    const lines = (vl as unknown as { layer: { name: string; encoding: Record<string, { field?: string }> }[] }).layer.find((l) => l.name === "lines")!;
    expect(lines.encoding["color"]!.field).toBe("_color");
    expect(lines.encoding["strokeDash"]!.field).toBe("_dash");
    const svg = await renderSvg(vl);
    expect(markGroups(svg, "lines").join("").match(/<path/g)).toHaveLength(4); // 2 acts × 2 results
    expect(svg).toContain("stroke-dasharray");
  });

  it("results of different dimensions cannot share the axes: RUN051 names both", () => {
    const spec = several();
    const last = { dims: ["act", "seeds"], rows: [] };
    try {
      seriesTable(spec, [{ label: "train", table: train }, { label: "test", table: last }]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DyncRuntimeError);
      expect((error as DyncRuntimeError).message).toMatch(/train has act, seeds, steps and test has act, seeds/);
    }
  });
});
