/**
 * Heatmaps from fixture data: the PNG encoder (decoded independently with zlib), block means and resampling
 * against hand computation, leading-eigenvector order of a planted block matrix, colour scales against
 * Vega's own schemes, the SVG structure of rectangle and raster heatmaps, and what resvg draws of them.
 */
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { crc32 as zlibCrc32, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { PlotSpec } from "../../contract/program.js";
import { heatColorScale, parseRgb } from "../../report/heatmap-colors.js";
import { blockMeans, eigenReorder, indexAxis, pixelMap, valueAxis } from "../../report/heatmap-grid.js";
import { heatmapPlot, RECT_CAP } from "../../report/plot-heatmap.js";
import { renderPng, renderSvg, type VegaLiteSpec } from "../../report/plots.js";
import { crc32, encodePng } from "../../report/png.js";
import type { MatrixSnapshot } from "../../report/recorded-tensors.js";
import type { Row } from "../../runtime/analysis/table.js";
import { decodePng as decodeAnyPng } from "../../stdlib/data/png.js";
import { markGroups, markShapes, texts } from "./svg-structure.js";

type HeatmapSpec = Extract<PlotSpec, { kind: "heatmap" }>;
type Datum = Record<string, number | string>;

const matrixSpec = (over: Partial<HeatmapSpec> = {}): HeatmapSpec => ({
  kind: "heatmap", text: "plot heatmap(cos)", line: 9, color: null, facet: null, title: null, label: "cos", range: [-1, 1], logColor: false, order: "none",
  data: { source: "matrix", probe: "cos", at: ["end"], seed: null }, ...over,
});

const snapshot = (values: Float64Array, n: number, over: Partial<MatrixSnapshot> = {}): MatrixSnapshot => ({ run: "run", point: {}, seed: 0, step: 100, at: "end", rows: n, cols: n, values, file: "", ...over });
const dataOf = (vl: VegaLiteSpec, layer: string): Datum[] => (vl as unknown as { data: { values: Datum[] } }).data.values.filter((d) => d["_layer"] === layer);
const subtitle = (vl: VegaLiteSpec): string => ((vl as unknown as { title: { subtitle?: string[] } }).title.subtitle ?? []).join(" | ");

/** Decodes an 8-bit RGBA, non-interlaced PNG with filter type 0 by hand: chunks, CRCs, inflate. */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const buf = Buffer.from(png);
  expect([...buf.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString("latin1", offset + 4, offset + 8);
    const body = buf.subarray(offset + 8, offset + 8 + length);
    expect(buf.readUInt32BE(offset + 8 + length)).toBe(zlibCrc32(buf.subarray(offset + 4, offset + 8 + length)));
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([...body.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
    } else if (type === "IDAT") idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    rgba.set(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), y * width * 4);
  }
  return { width, height, rgba };
}

const pngOfDataUrl = (url: string): Uint8Array => Buffer.from(url.replace(/^data:image\/png;base64,/, ""), "base64");

describe("PNG encoder", () => {
  it("computes the standard CRC-32 check value", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("round-trips pixels through an independent decode (zlib inflate, chunk CRCs)", () => {
    const w = 7;
    const h = 3;
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37 + 11) % 256);
    const decoded = decodePng(encodePng(rgba, w, h));
    expect([decoded.width, decoded.height]).toEqual([w, h]);
    expect(decoded.rgba).toEqual(rgba);
  });

  it("rejects a buffer of the wrong size with a clear error", () => {
    expect(() => encodePng(new Uint8Array(10), 2, 2)).toThrow(DyncRuntimeError);
  });
});

describe("heatmap geometry", () => {
  it("block-averages a 2048-cell axis into 512 pixels of 4 cells, skipping NaN", () => {
    const axis = indexAxis("i", 2048);
    const map = pixelMap(axis.edges);
    expect([map.pixels, map.block, map.lo, map.hi]).toEqual([512, 4, 0, 2048]);
    const n = 8;
    const values = Float64Array.from({ length: n * n }, (_, k) => k);
    values[0] = NaN;
    const m = pixelMap(indexAxis("i", n).edges);
    expect(m.block).toBe(1);
    // Blocks of 3 over 8 cells by hand: pixels [0,3), [3,6), [6,8) — the last block is partial.
    const three = { pixels: 3, start: Int32Array.from([0, 3, 6]), end: Int32Array.from([3, 6, 8]), lo: 0, hi: 9, block: 3 };
    const means = blockMeans({ rows: n, cols: n, values }, three, three);
    const mean = (cells: number[]) => cells.reduce((a, b) => a + b, 0) / cells.length;
    expect(means[0]).toBeCloseTo(mean([1, 2, 8, 9, 10, 16, 17, 18]), 12); // cell 0 is NaN
    expect(means[2 * 3 + 2]).toBeCloseTo(mean([54, 55, 62, 63]), 12);
  });

  it("resamples an uneven axis (log-spaced steps) so each pixel takes the cell under it", () => {
    const { axis, order } = valueAxis("step", [1000, 10, 100, 1]);
    expect(order).toEqual([1, 10, 100, 1000]);
    // Cell edges halfway between neighbours; outer cells as wide outwards as inwards.
    expect([...axis.edges]).toEqual([-3.5, 5.5, 55, 550, 1450]);
    const map = pixelMap(axis.edges);
    expect(map.block).toBe(0);
    const size = (1450 + 3.5) / 512;
    for (let p = 0; p < 512; p += 37) {
      const centre = -3.5 + (p + 0.5) * size;
      const cell = [...axis.edges].findIndex((e, i) => i < 4 && centre >= e && centre < axis.edges[i + 1]!);
      // Either the one cell under the pixel, or the cells whose centres fall inside it.
      if (map.end[p]! - map.start[p]! === 1) expect(map.start[p]).toBe(cell);
    }
    // The first pixel holds the centres of cells 0 (at 1) and 1 (at 10): 2.84 wide, so only cell 0's.
    expect([map.start[0], map.end[0]]).toEqual([0, 1]);
  });

  it("orders a shuffled two-block matrix so each block is contiguous", () => {
    const n = 12;
    const group = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0];
    const values = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) values[i * n + j] = group[i] === group[j] ? 0.9 + (i === j ? 0.1 : 0) : -0.2;
    const { matrix, order } = eigenReorder({ rows: n, cols: n, values });
    const groups = [...order].map((i) => group[i]);
    // One switch between groups along the order: the blocks are contiguous.
    expect(groups.filter((g, k) => k > 0 && g !== groups[k - 1]).length).toBe(1);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(matrix.values[i * n + j]).toBe(values[order[i]! * n + order[j]!]);
    expect([...order].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  });
});

describe("heatmap colour scales", () => {
  it("signed data: diverging RdBu centred at 0, blue for −1 and red for +1, the same colours as Vega's scheme", () => {
    const scale = heatColorScale(Float64Array.from([-0.3, 0.8]), { range: [-1, 1], log: false });
    expect(scale.kind).toBe("diverging");
    expect(scale.position(0)).toBe(0.5);
    expect(scale.position(-1)).toBe(0);
    const rdbu = vega.scheme("redblue") as (t: number) => string;
    expect(scale.rgb(1)).toEqual(parseRgb(rdbu(0)));
    expect(scale.rgb(-1)).toEqual(parseRgb(rdbu(1)));
    expect(scale.rgb(0.5)).toEqual(parseRgb(rdbu(0.25)));
    expect(scale.rgb(NaN)).toBeNull();
  });

  it("signed data without a range: a domain symmetric around 0", () => {
    expect(heatColorScale(Float64Array.from([-0.5, 2]), { range: null, log: false }).domain).toEqual([-2, 2]);
  });

  it("positive data: viridis over the data's range, or on a log scale", () => {
    const linear = heatColorScale(Float64Array.from([2, 4, 6]), { range: null, log: false });
    expect([linear.kind, linear.domain, linear.position(4)]).toEqual(["sequential", [2, 6], 0.5]);
    const viridis = vega.scheme("viridis") as (t: number) => string;
    expect(linear.rgb(6)).toEqual(parseRgb(viridis(1)));
    const log = heatColorScale(Float64Array.from([2e-3, 5e-2, 0, NaN]), { range: null, log: true });
    expect(log.domain).toEqual([1e-3, 1e-1]);
    expect(log.position(1e-2)).toBeCloseTo(0.5, 12);
    expect(log.rgb(0)).toBeNull();
  });
});

describe("matrix heatmaps", () => {
  it("draws a small matrix as one rectangle per cell, faceted by snapshot and sweep value, with a colour legend", async () => {
    const n = 6;
    const values = Float64Array.from({ length: n * n }, (_, k) => Math.cos(k));
    values[7] = NaN;
    const snaps = [0.5, 1.75].flatMap((gamma) => (["start", "end"] as const).map((at) => snapshot(values, n, { point: { gamma }, at, step: at === "start" ? 0 : 300 })));
    const vl = heatmapPlot(matrixSpec({ facet: "gamma", data: { source: "matrix", probe: "cos", at: ["start", "end"], seed: null } }), { matrices: { snapshots: snaps, notes: ["seed 0"] } });
    expect(subtitle(vl)).toContain("4 NaN/infinite cells left blank");
    expect(subtitle(vl)).toContain("end: step 300");
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "cells")).toBe(4 * (n * n - 1));
    // Facet headers are title texts: the figure's title, the dimension titles and one label per row/column.
    expect(texts(svg, "title-text")).toEqual(expect.arrayContaining(["cos", "gamma", "snapshot", "0.5", "1.75", "start", "end"]));
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["column", "row"]));
    expect(texts(svg, "legend-title")).toEqual(["cos"]);
    expect(svg).toContain("<linearGradient");
    // The cell (0, 0) holds cos(0) = 1: the red end of RdBu.
    const rdbu = vega.scheme("redblue") as (t: number) => string;
    const fills = [...markGroups(svg, "cells")[0]!.matchAll(/fill="([^"]+)"/g)].map((m) => m[1]);
    expect(fills[0]).toBe(rdbu(0));
    // Cell (0, 3) holds cos(3) = −0.98999: position (1 − 0.98999)/2 on the ramp read from its blue end.
    expect(parseRgb(fills[3]!)).toEqual(parseRgb(rdbu(1 - (1 + Math.cos(3)) / 2)));
  });

  it("rasterises a 2048 × 2048 matrix into a 512 × 512 PNG of 4 × 4 block means, noted, drawn by resvg", async () => {
    const n = 2048;
    // A planted pattern: +1 on two diagonal blocks, −1 off them, with a gentle ramp so block means differ.
    const cell = (i: number, j: number) => ((i < 1024) === (j < 1024) ? 1 : -1) * (1 - (i + j) / 8192);
    const values = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) values[i * n + j] = cell(i, j);
    const spec = matrixSpec();
    const vl = heatmapPlot(spec, { matrices: { snapshots: [snapshot(values, n)], notes: [] } });
    expect(subtitle(vl)).toContain("2048 × 2048 cells drawn as a 512 × 512-pixel image, each pixel the mean of 4 × 4 cells");
    const [image] = dataOf(vl, "image");
    expect(dataOf(vl, "cell")).toHaveLength(0);
    expect([image!["x0"], image!["x1"], image!["y0"], image!["y1"]]).toEqual([0, 2048, 0, 2048]);
    const png = decodePng(pngOfDataUrl(String(image!["url"])));
    expect([png.width, png.height]).toEqual([512, 512]);
    const scale = heatColorScale(Float64Array.from([-1, 1]), { range: [-1, 1], log: false });
    for (const [py, px] of [[0, 0], [10, 300], [300, 10], [511, 511], [255, 256]] as const) {
      let sum = 0;
      for (let i = py * 4; i < py * 4 + 4; i++) for (let j = px * 4; j < px * 4 + 4; j++) sum += cell(i, j);
      const expected = scale.rgb(sum / 16)!;
      const k = (py * 512 + px) * 4;
      for (let c = 0; c < 3; c++) expect(Math.abs(png.rgba[k + c]! - expected[c]!)).toBeLessThanOrEqual(1);
      expect(png.rgba[k + 3]).toBe(255);
    }
    const svg = await renderSvg(vl);
    expect(svg).toMatch(/<image xlink:href="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    expect(svg).toContain("image-rendering: pixelated");
    expect(svg.length).toBeLessThan(2_000_000);
    // resvg draws the embedded image: the top-left block (row 0 at the top) is red, the top-right blue.
    const raster = new Resvg(svg, { fitTo: { mode: "zoom", value: 1 }, font: { loadSystemFonts: false } }).render();
    const frame = /<g class="mark-group role-frame root"[^>]*><g transform="translate\((\d+(?:\.\d+)?),(\d+(?:\.\d+)?)\)"/.exec(svg);
    const outer = /transform="translate\((\d+(?:\.\d+)?),(\d+(?:\.\d+)?)\)"><g class="mark-group role-frame root"/.exec(svg)!;
    const ox = Number(outer[1]) + Number(frame?.[1] ?? 0);
    const oy = Number(outer[2]) + Number(frame?.[2] ?? 0);
    const at = (x: number, y: number) => {
      const k = (Math.round(oy + y) * raster.width + Math.round(ox + x)) * 4;
      return [raster.pixels[k]!, raster.pixels[k + 1]!, raster.pixels[k + 2]!];
    };
    const size = 360;
    const topLeft = at(size * 0.1, size * 0.1);
    const topRight = at(size * 0.9, size * 0.1);
    expect(topLeft[0]).toBeGreaterThan(120);
    expect(topLeft[2]).toBeLessThan(90);
    expect(topRight[2]).toBeGreaterThan(110);
    expect(topRight[0]).toBeLessThan(90);
  });

  it("the PNG export keeps the raster's pixels crisp: a pixel beside a block edge has its own block's colour", async () => {
    // 100 × 100 (rasterised, one image pixel per cell) with quadrants −1, 1 / 0.5, −0.5.
    const n = 100;
    const quadrant = (i: number, j: number) => (i < 50 ? (j < 50 ? -1 : 1) : j < 50 ? 0.5 : -0.5);
    const values = Float64Array.from({ length: n * n }, (_, k) => quadrant(Math.floor(k / n), k % n));
    const vl = heatmapPlot(matrixSpec(), { matrices: { snapshots: [snapshot(values, n)], notes: [] } });
    const svg = await renderSvg(vl);
    const png = decodeAnyPng(renderPng(svg, 1), "heatmap.png");
    const outer = /transform="translate\((\d+(?:\.\d+)?),(\d+(?:\.\d+)?)\)"><g class="mark-group role-frame root"/.exec(svg)!;
    const scale = heatColorScale(Float64Array.from([-1, 1]), { range: [-1, 1], log: false });
    // The 360 px panel shows 3.6 px per cell; the block edge is at 180 px. The pixels right beside it
    // (centres 179.5 and 180.5 px) would mix both blocks' colours if the image were smoothed.
    for (const [x, y, i, j] of [[179, 90, 25, 49], [180, 90, 25, 50], [90, 179, 49, 25], [90, 180, 50, 25], [270, 270, 75, 75]] as const) {
      const k = (Math.floor(Number(outer[2]) + y) * png.width + Math.floor(Number(outer[1]) + x)) * 4;
      const p = (k / 4) * 3;
      expect([png.rgb[p]!, png.rgb[p + 1]!, png.rgb[p + 2]!].map((c) => Math.round(c * 255))).toEqual(scale.rgb(quadrant(i, j)));
    }
  });

  it("keeps rectangles up to RECT_CAP cells and rasterises beyond", () => {
    const small = Math.floor(Math.sqrt(RECT_CAP));
    const vlSmall = heatmapPlot(matrixSpec(), { matrices: { snapshots: [snapshot(new Float64Array(small * small).fill(0.5), small)], notes: [] } });
    expect(dataOf(vlSmall, "cell")).toHaveLength(small * small);
    const big = small + 1;
    const vlBig = heatmapPlot(matrixSpec(), { matrices: { snapshots: [snapshot(new Float64Array(big * big).fill(0.5), big)], notes: [] } });
    expect(dataOf(vlBig, "image")).toHaveLength(1);
  });

  it("orders rows and columns by the leading eigenvector when asked", () => {
    const n = 8;
    const group = [0, 1, 0, 1, 1, 0, 1, 0];
    const values = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) values[i * n + j] = group[i] === group[j] ? 1 : -0.5;
    const vl = heatmapPlot(matrixSpec({ order: "eigen" }), { matrices: { snapshots: [snapshot(values, n)], notes: [] } });
    expect(subtitle(vl)).toContain("leading-eigenvector order");
    // After reordering, cells in the same half are all +1: (0,1..3) and (4,5..7).
    const cells = dataOf(vl, "cell");
    const value = (i: number, j: number) => cells.find((c) => c["y0"] === i && c["x0"] === j)!["v"];
    expect([value(0, 1), value(0, 2), value(0, 3), value(4, 7), value(0, 7)]).toEqual([1, 1, 1, 1, -0.5]);
  });
});

describe("table heatmaps", () => {
  /** error[seeds, frequency, steps] = exp(−step·(frequency + 1)/100)·(1 + seed). */
  const rows: Row[] = [];
  for (const seed of [0, 1]) for (let f = 0; f < 3; f++) for (let step = 0; step <= 200; step += 25) rows.push({ key: { seeds: seed, frequency: f, steps: step }, value: Math.exp((-step * (f + 1)) / 100) * (1 + seed) });
  const table = { dims: ["seeds", "frequency", "steps"], rows };
  const spec: HeatmapSpec = { ...matrixSpec(), text: "plot heatmap(fp.error, x: steps, y: frequency)", label: "fp.error", range: null, data: { source: "table", values: { op: "probe", name: "fp.error" }, x: "steps", y: "frequency" } };

  it("draws frequency × steps as rectangles at the first seed, says so, on viridis", async () => {
    const vl = heatmapPlot(spec, { values: table });
    expect(subtitle(vl)).toContain("seed = 0 (first of 2");
    const cells = dataOf(vl, "cell");
    expect(cells).toHaveLength(3 * 9);
    // Cell (frequency 2, step 50) spans steps 37.5–62.5 and frequencies 1.5–2.5, value e^(−1.5).
    const c = cells.find((d) => d["y0"] === 1.5 && d["x0"] === 37.5)!;
    expect([c["x1"], c["y1"]]).toEqual([62.5, 2.5]);
    expect(c["v"]).toBeCloseTo(Math.exp(-1.5), 14);
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "cells")).toBe(27);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["step", "frequency"]));
    expect(texts(svg, "title-text")).toEqual(["fp.error over step × frequency"]);
  });

  it("rasterises a long table with uneven steps: resampled columns, the largest y on top", async () => {
    // 3 peaks × 2400 log-spaced steps (7,200 cells): value = peak index, so rows are flat colours.
    const steps = Array.from({ length: 2400 }, (_, k) => Math.round(10 * 1.004 ** k) + k);
    const rows: Row[] = [];
    for (let f = 0; f < 3; f++) for (const step of steps) rows.push({ key: { frequency: f, steps: step }, value: f + 1 });
    const vl = heatmapPlot({ ...spec, range: null }, { values: { dims: ["frequency", "steps"], rows } });
    expect(subtitle(vl)).toContain("3 × 2400 cells drawn as a 3 × 512-pixel image, uneven columns resampled to 512 pixels");
    const [image] = dataOf(vl, "image");
    const png = decodePng(pngOfDataUrl(String(image!["url"])));
    const scale = heatColorScale(Float64Array.from([1, 3]), { range: null, log: false });
    const pixel = (r: number, c: number) => [...png.rgba.subarray((r * png.width + c) * 4, (r * png.width + c) * 4 + 3)];
    // Image row 0 is the top of the panel: frequency 2 (value 3); the bottom row is frequency 0 (value 1).
    for (const c of [0, 200, 511]) {
      expect(pixel(0, c)).toEqual(scale.rgb(3));
      expect(pixel(2, c)).toEqual(scale.rgb(1));
    }
    // And the image lands the right way up in the figure: frequency 2 at the top of the 520 × 300 panel.
    const svg = await renderSvg(vl);
    const drawn = decodeAnyPng(renderPng(svg, 1), "table.png");
    const outer = /transform="translate\((\d+(?:\.\d+)?),(\d+(?:\.\d+)?)\)"><g class="mark-group role-frame root"/.exec(svg)!;
    const at = (x: number, y: number) => {
      const p = (Math.floor(Number(outer[2]) + y) * drawn.width + Math.floor(Number(outer[1]) + x)) * 3;
      return [drawn.rgb[p]!, drawn.rgb[p + 1]!, drawn.rgb[p + 2]!].map((c) => Math.round(c * 255));
    };
    expect(at(260, 50)).toEqual(scale.rgb(3));
    expect(at(260, 250)).toEqual(scale.rgb(1));
  });

  it("a log colour scale spans the positive values", () => {
    const vl = heatmapPlot({ ...spec, logColor: true }, { values: table });
    const layer = (vl as unknown as { layer: { name: string; encoding: { color?: { scale: { type: string; domain: number[] } } } }[] }).layer.find((l) => l.name === "cells")!;
    expect(layer.encoding.color!.scale.type).toBe("log");
    // Seed 0's values span e^(−6) = 0.0025 … 1: the domain rounds out to whole decades, 0.001 … 1.
    expect(layer.encoding.color!.scale.domain).toEqual([0.001, 1]);
  });

  it("names a dimension the data lack (RUN051)", () => {
    expect(() => heatmapPlot({ ...spec, data: { ...spec.data, y: "neuron" } as HeatmapSpec["data"] }, { values: table })).toThrow(/RUN051|"neuron" is not a dimension/);
  });
});
