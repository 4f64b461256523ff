/**
 * `plot image` from fixture tables: points reshaped by their recorded coordinates (shuffled on purpose),
 * the embedded PNG's pixels against colours computed here (viridis position by hand, RGB bytes by hand,
 * the region palette), snapshots, seeds and facets, the SVG structure and resvg's rendering, and the
 * run-time errors for data that is not a grid.
 */
import * as vega from "vega";
import { describe, expect, it } from "vitest";
import type { Row, Table } from "../../runtime/analysis/table.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { PlotSpec } from "../../contract/program.js";
import { OKABE_ITO } from "../../report/colors.js";
import { parseRgb } from "../../report/heatmap-colors.js";
import { coordinateAxis, imagePlot, imageTables } from "../../report/plot-image.js";
import type { AnalysisEnv } from "../../runtime/analysis/source.js";
import { renderPng, renderSvg, type VegaLiteSpec } from "../../report/plots.js";
import { decodePng } from "../../stdlib/data/png.js";
import { markGroups, texts } from "./svg-structure.js";

type ImageSpec = Extract<PlotSpec, { kind: "image" }>;
type Datum = Record<string, number | string>;

const probe = (name: string) => ({ op: "probe", name }) as const;
const spec = (over: Partial<ImageSpec> = {}): ImageSpec => ({
  kind: "image", text: "plot image(f.output)", line: 12, color: null, facet: null, title: null,
  values: [probe("f.output")], label: "f.output", labels: ["f.output"], coords: [probe("f.x0"), probe("f.x1")], coordLabels: ["f.x0", "f.x1"], colors: "scale", at: ["end"], seed: null, range: null, ...over,
});

// A 6 (x0 in [0, 1]) × 4 (x1 in [-1, 0.5]) grid; point ids are a fixed shuffle of the grid so the reshape
// cannot rely on sample order.
const XS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const YS = [-1, -0.5, 0, 0.5];
const cells = YS.flatMap((y) => XS.map((x) => [x, y] as const));
const shuffle = cells.map((_, i) => (i * 7) % cells.length); // 7 is coprime with 24: a permutation
const points = shuffle.map((c) => cells[c]!);

/** A table over point × steps × seeds (and a width sweep) of f(x, y, step, seed, width). */
function table(f: (x: number, y: number, step: number, seed: number, width: number) => number, steps = [0, 100], seeds = [0, 1], widths: number[] | null = null): Table {
  const rows: Row[] = [];
  for (const width of widths ?? [0]) for (const seed of seeds) for (const step of steps) points.forEach(([x, y], p) => rows.push({ key: { ...(widths ? { width } : {}), seeds: seed, steps: step, point: p }, value: f(x, y, step, seed, width) }));
  return { dims: [...(widths ? ["width"] : []), "seeds", "steps", "point"], rows };
}
const coords = (widths: number[] | null = null): [Table, Table] => [table((x) => x, undefined, undefined, widths), table((_, y) => y, undefined, undefined, widths)];

const dataOf = (vl: VegaLiteSpec, layer: string): Datum[] => (vl as unknown as { data: { values: Datum[] } }).data.values.filter((d) => d["_layer"] === layer);
const subtitle = (vl: VegaLiteSpec): string => ((vl as unknown as { title: { subtitle?: string[] } }).title.subtitle ?? []).join(" | ");
/** The pixels of an image datum, decoded by the project's general PNG reader (filters, colour types). */
function pixels(d: Datum): { width: number; height: number; at: (col: number, row: number) => number[] } {
  const png = decodePng(Buffer.from(String(d["url"]).replace(/^data:image\/png;base64,/, ""), "base64"), "image.png");
  return { width: png.width, height: png.height, at: (c, r) => [0, 1, 2].map((k) => Math.round(png.rgb[(r * png.width + c) * 3 + k]! * 255)) };
}
/** Pixel row of grid row yi: y grows upwards, so the largest y is the top row. */
const rowOf = (yi: number) => YS.length - 1 - yi;

describe("image plot: colour-mapped values", () => {
  const f = (x: number, y: number, step: number, seed: number) => (step === 0 ? 0 : 1) * (x + 2 * y) + seed * 10;

  it("places every point at its coordinates, with viridis colours computed from the data's range", () => {
    const vl = imagePlot(spec(), { channels: [table(f)], coords: coords() });
    const [image] = dataOf(vl, "image");
    const px = pixels(image!);
    expect([px.width, px.height]).toEqual([6, 4]);
    // Seed 0 at the end (step 100): values x + 2y in [−2, 2]: signed → a diverging scale. Force viridis with a range.
    const positive = imagePlot(spec({ range: [3, 4] }), { channels: [table((x, y) => 3 + x * 0.5 + (y + 1) / 3)], coords: coords() });
    const ppx = pixels(dataOf(positive, "image")[0]!);
    const viridis = vega.scheme("viridis") as (t: number) => string;
    XS.forEach((x, xi) => YS.forEach((y, yi) => {
      const t = (3 + x * 0.5 + (y + 1) / 3 - 3) / (4 - 3);
      const expected = parseRgb(viridis(t));
      ppx.at(xi, rowOf(yi)).forEach((c, k) => expect(Math.abs(c - expected[k]!)).toBeLessThanOrEqual(1));
    }));
    // The image spans the cells' edges in input units: x from −0.1 to 1.1, y from −1.25 to 0.75.
    expect([image!["x0"], image!["x1"], image!["y0"], image!["y1"]].map((v) => Number(v).toFixed(6))).toEqual(["-0.100000", "1.100000", "-1.250000", "0.750000"]);
    // Signed data use RdBu around 0: the (1, 0.5) corner (x + 2y = 2, the maximum) is the red end.
    const rdbu = vega.scheme("redblue") as (t: number) => string;
    expect(px.at(5, 0)).toEqual(parseRgb(rdbu(0)));
    expect(px.at(0, 3)).toEqual(parseRgb(rdbu(1))); // (0, −1): −2, the blue end
    expect(subtitle(vl)).toContain("seed 0 (first of 2");
    expect(subtitle(vl)).toContain("snapshot: end (step 100)");
  });

  it("draws with equal aspect: the panel is 1.2 wide by 2 high in input units", () => {
    const vl = imagePlot(spec(), { channels: [table(f)], coords: coords() }) as unknown as { width: number; height: number };
    expect(vl.height).toBe(360);
    expect(vl.width).toBe(Math.round((360 * 1.2) / 2));
  });

  it("snapshots and seeds: `at: [start, end]` gives two rows of panels; `seed: 1` picks that seed's values", () => {
    const vl = imagePlot(spec({ at: ["start", "end"], seed: 1 }), { channels: [table(f)], coords: coords() });
    const images = dataOf(vl, "image");
    expect(images.map((d) => d["_row"])).toEqual(["start", "end"]);
    const legend = dataOf(vl, "legend").map((d) => Number(d["v"]));
    // Seed 1: start values are all 10, end values 10 + x + 2y in [8, 12]: viridis over [8, 12].
    expect(legend).toEqual([8, 12]);
    const start = pixels(images[0]!);
    const mid = parseRgb((vega.scheme("viridis") as (t: number) => string)(0.5));
    start.at(2, 1).forEach((c, k) => expect(Math.abs(c - mid[k]!)).toBeLessThanOrEqual(1));
    expect(subtitle(vl)).toContain("seed 1");
    expect(() => imagePlot(spec({ seed: 5 }), { channels: [table(f)], coords: coords() })).toThrow(/seed 5 was not measured/);
  });

  it("facets by a sweep variable, one column per value", async () => {
    const widths = [4, 8];
    const vl = imagePlot(spec({ facet: "width" }), { channels: [table((x, y, s, seed, w) => w + x + y, undefined, undefined, widths)], coords: coords(widths) });
    expect(dataOf(vl, "image").map((d) => d["_col"])).toEqual(["4", "8"]);
    const svg = await renderSvg(vl);
    expect(markGroups(svg, "image").length).toBe(2);
    expect((svg.match(/href="data:image\/png;base64,/g) ?? []).length).toBe(2);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["f.x0", "f.x1"]));
  });

  it("a nearest step is noted; a start that was not recorded is skipped with a note", () => {
    const vl = imagePlot(spec({ at: [{ step: 60 }] }), { channels: [table(f)], coords: coords() });
    expect(subtitle(vl)).toContain("step 60 was not recorded: drawn at the nearest recorded step 100");
    expect(() => imagePlot(spec({ at: ["start"] }), { channels: [table(f, [50, 100])], coords: coords() })).toThrow(/none of the requested snapshots/);
  });
});

describe("image plot: RGB and regions", () => {
  it("three channels become RGB bytes round(255·clip(v, 0, 1)), out-of-range values counted", () => {
    const r = (x: number) => x * 1.2 - 0.1; // −0.1 … 1.1: both ends clipped
    const g = (_: number, y: number) => (y + 1) / 1.5;
    const b = (x: number, y: number) => 0.25 + 0 * x * y;
    const vl = imagePlot(spec({ colors: "rgb", values: [probe("f.output"), probe("f.output1"), probe("f.output2")], label: "f.output, f.output1, f.output2", labels: ["f.output", "f.output1", "f.output2"] }), { channels: [table(r), table(g), table(b)], coords: coords() });
    const px = pixels(dataOf(vl, "image")[0]!);
    const byte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
    XS.forEach((x, xi) => YS.forEach((y, yi) => expect(px.at(xi, rowOf(yi))).toEqual([byte(r(x)), byte(g(x, y)), byte(b(x, y))])));
    expect(px.at(0, 0)[0]).toBe(0);
    expect(px.at(5, 0)[0]).toBe(255);
    // r < 0 at x = 0, r > 1 at x = 1: 4 points each (one column of 4 rows).
    expect(subtitle(vl)).toContain("clipped to [0, 1] (4 of 72 values below 0, 4 above 1)");
    expect(dataOf(vl, "legend")).toHaveLength(0);
  });

  it("region ids get the palette's colours, repeating past 8, and the count is in the subtitle", async () => {
    const id = (x: number, y: number) => XS.indexOf(x) + 6 * YS.indexOf(y) > 11 ? 9 : XS.indexOf(x) < 3 ? 0 : 1; // ids 0, 1, 9
    const vl = imagePlot(spec({ colors: "regions", values: [probe("f.region")], label: "f.region", labels: ["f.region"] }), { channels: [table(id)], coords: coords() });
    const px = pixels(dataOf(vl, "image")[0]!);
    XS.forEach((x, xi) => YS.forEach((y, yi) => expect(px.at(xi, rowOf(yi))).toEqual(parseRgb(OKABE_ITO[id(x, y) % 8]!.toLowerCase()))));
    expect(subtitle(vl)).toContain("3 activation regions (ids in order of first appearance; colours repeat every 8 ids)");
    const svg = await renderSvg(vl);
    const drawn = decodePng(renderPng(svg, 1), "regions.png");
    expect(drawn.width).toBeGreaterThan(100);
  });
});

describe("image plot: data that is not a grid", () => {
  it("RUN051 when the points do not fill a grid, or the values have no point dimension", () => {
    const [cx, cy] = coords();
    const missing: Table = { dims: cy.dims, rows: cy.rows.map((r) => (r.key["point"] === 3 ? { ...r, value: 0.25 } : r)) };
    expect(() => imagePlot(spec(), { channels: [table(() => 1)], coords: [cx, missing] })).toThrow(DyncRuntimeError);
    expect(() => imagePlot(spec(), { channels: [table(() => 1)], coords: [cx, missing] })).toThrow(/do not form a grid/);
    const noPoint: Table = { dims: ["seeds"], rows: [{ key: { seeds: 0 }, value: 1 }] };
    expect(() => imagePlot(spec(), { channels: [noPoint], coords: [cx, cy] })).toThrow(/no `point` dimension/);
  });
});

describe("image plot: coordinates and large grids", () => {
  it("float32 grid coordinates get exactly even cells (one pixel each); uneven ones keep halfway edges", () => {
    const f32 = Array.from({ length: 16 }, (_, i) => Math.fround(-1 + (2 * i) / 15));
    const { axis } = coordinateAxis("x", f32);
    const h = 2 / 15;
    axis.edges.forEach((e, i) => expect(e).toBeCloseTo(-1 + (i - 0.5) * h, 6));
    const uneven = coordinateAxis("x", [0, 1, 3]);
    expect([...uneven.axis.edges]).toEqual([-0.5, 0.5, 2, 4]);
  });

  it("a 600-point-wide grid becomes 300 pixels: means of 2 points, regions of the block's middle point", () => {
    const n = 600;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = [0, 1];
    const pts = ys.flatMap((y) => xs.map((x) => [x, y] as const));
    const tab = (f: (x: number, y: number) => number): Table => ({ dims: ["point"], rows: pts.map(([x, y], p) => ({ key: { point: p }, value: f(x, y) })) });
    const cs: [Table, Table] = [tab((x) => x), tab((_, y) => y)];
    const vl = imagePlot(spec({ range: [0, 1] }), { channels: [tab((x) => (x % 2 === 0 ? 0 : 1))], coords: cs });
    const px = pixels(dataOf(vl, "image")[0]!);
    expect([px.width, px.height]).toEqual([300, 2]);
    // Every block holds one 0 and one 1: mean 0.5, the middle of viridis.
    const mid = parseRgb((vega.scheme("viridis") as (t: number) => string)(0.5));
    px.at(123, 0).forEach((c, k) => expect(Math.abs(c - mid[k]!)).toBeLessThanOrEqual(1));
    expect(subtitle(vl)).toContain("2 × 600 points drawn as an image of at most 512 pixels a side (each pixel the mean of its block of points)");
    // Regions: block p covers points 2p, 2p + 1; the middle one (index (2p + 2p + 1) >> 1 = 2p) gives the colour.
    const regions = imagePlot(spec({ colors: "regions", values: [probe("f.region")], label: "f.region", labels: ["f.region"] }), { channels: [tab((x) => Math.floor(x / 2) % 3 === 0 && x % 2 === 1 ? 1 : 0)], coords: cs });
    const rpx = pixels(dataOf(regions, "image")[0]!);
    expect(rpx.at(0, 0)).toEqual(parseRgb(OKABE_ITO[0]!.toLowerCase()));
  });
});

describe("image tables: the data set must have exactly two inputs", () => {
  /** An environment whose probes are the given tables; any other name is RUN051, as the result env does. */
  const envOf = (probes: Record<string, Table>): AnalysisEnv => ({
    probe: (name) => {
      const t = probes[name];
      if (!t) throw new DyncRuntimeError("RUN051", `no probe "${name}" was recorded`);
      return t;
    },
    analysis: () => { throw new DyncRuntimeError("RUN051", "no analyses"); },
    totalSteps: () => 100,
  });
  const [cx, cy] = coords();
  const out = table(() => 1);

  it("evaluates the channels and both coordinates", () => {
    const tables = imageTables(spec(), envOf({ "f.output": out, "f.x0": cx, "f.x1": cy }));
    expect(tables.channels).toEqual([out]);
    expect(tables.coords).toEqual([cx, cy]);
  });

  it("RUN051 naming the cause for one input or three", () => {
    expect(() => imageTables(spec(), envOf({ "f.output": out, "f.x0": cx }))).toThrow(/recorded no second input coordinate \(f\.x1\); an image needs a data set with two inputs/);
    expect(() => imageTables(spec(), envOf({ "f.output": out, "f.x0": cx, "f.x1": cy, "f.x2": cy }))).toThrow(/three or more input coordinates/);
  });
});
