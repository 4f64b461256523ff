/**
 * `plot phase_plane`: the (γ, γ') regions drawn against the boundaries of Luo et al. (2021) as
 * `predictedRegime` states them, the swept points and their colours, fits shown by their exponent.
 */
import { describe, expect, it } from "vitest";
import { predictedRegime } from "../../stdlib/condensation/analyses.js";
import type { Table } from "../../runtime/analysis/table.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { planeBox, regionData } from "../../report/plot-phase.js";
import { plotToVegaLite, renderSvg, type VegaLiteSpec } from "../../report/plots.js";
import type { PlotSpec } from "../../contract/program.js";
import { markShapes, markTexts, texts } from "./svg-structure.js";

type PhaseSpec = Extract<PlotSpec, { kind: "phase_plane" }>;
type Datum = Record<string, number | string>;

const spec = (over: Partial<PhaseSpec> = {}): PhaseSpec => ({
  kind: "phase_plane",
  text: "plot phase_plane(observed)",
  line: 30,
  color: null,
  facet: null,
  title: null,
  values: { op: "let", name: "observed" },
  label: "observed",
  gamma: "gamma",
  gamma_prime: "gamma_prime",
  ...over,
});

const grid: [number, number][] = [[0.5, 0], [0.5, 0.5], [1, 0], [1, 0.5], [1.75, 0], [1.75, 0.5]];
const regimes: Table = { dims: ["gamma", "gamma_prime"], rows: grid.map(([g, gp]) => ({ key: { gamma: g, gamma_prime: gp }, value: predictedRegime(g, gp) })) };
const dataOf = (vl: VegaLiteSpec, layer: string): Datum[] => ((vl as unknown as { data: { values: Datum[] } }).data.values).filter((d) => d["_layer"] === layer);

/** Whether (x, y) lies under the condensed area's piecewise-linear upper edge (and right of its left edge). */
function underCondensedArea(area: Datum[], x: number, y: number): boolean {
  const xs = area.map((d) => Number(d["x"]));
  if (x <= xs[0]! || x > xs[xs.length - 1]!) return false;
  const i = xs.findIndex((v) => v >= x);
  const [a, b] = [area[i - 1]!, area[i]!];
  const t = (x - Number(a["x"])) / (Number(b["x"]) - Number(a["x"]));
  const top = Number(a["y2"]) + t * (Number(b["y2"]) - Number(a["y2"]));
  return y < top;
}

describe("phase plane regions", () => {
  it("the condensed area holds exactly the points the diagram calls condensed", () => {
    const box = planeBox([{ gamma: 3, gammaPrime: 0.2 }]);
    const area = regionData(box).filter((d) => d["_layer"] === "condensed");
    let state = 7;
    const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const x = box.x0 + rand() * (box.x1 - box.x0);
      const y = box.y0 + rand() * (box.y1 - box.y0);
      if (Math.abs(y - (x - 1)) < 1e-6 || Math.abs(x - 1) < 1e-6) continue;
      expect(underCondensedArea(area, x, y)).toBe(predictedRegime(x, y) === 1);
    }
  });

  it("the critical line runs up γ = 1 to (1, 0), then along γ' = γ − 1 to the box's edge", () => {
    const box = planeBox([]);
    expect(box).toEqual({ x0: 0, x1: 2, y0: -0.5, y1: 1 });
    const line = regionData(box).filter((d) => d["_layer"] === "critical").map((d) => [d["x"], d["y"]]);
    expect(line).toEqual([[1, -0.5], [1, 0], [2, 1]]);
    // a wider γ range meets the top edge first: the line stops at γ' = y1
    const wide = planeBox([{ gamma: 3.5, gammaPrime: 0 }]);
    expect(regionData(wide).filter((d) => d["_layer"] === "critical").at(-1)).toMatchObject({ x: 2, y: 1 });
  });
});

describe("phase plane plots", () => {
  it("draws one marker per swept point, coloured by regime, with the regions, boundary and named inits", async () => {
    const vl = plotToVegaLite(spec(), { values: regimes });
    expect(dataOf(vl, "point").map((d) => d["v"])).toEqual(["linear", "linear", "critical", "linear", "condensed", "condensed"]);
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "points")).toBe(6);
    expect(markShapes(svg, "linear")).toBe(1);
    expect(markShapes(svg, "condensed")).toBe(1);
    expect(markShapes(svg, "critical")).toBe(1);
    expect(markTexts(svg, "landmark_labels")).toEqual(["NTK", "mean field", "LeCun/He"]);
    expect(texts(svg, "legend-label")).toEqual(["linear", "critical", "condensed"]);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["γ (gamma)", "γ' (gamma_prime)"]));
  });

  it("a power-law fit is placed by its exponent (the RD slope), labelled", () => {
    const fit = (exponent: number) => ({ exponent, alpha: -exponent, c: 1, r2: 1, ciLow: exponent, ciHigh: exponent, n: 3 });
    const slopes: Table = { dims: ["gamma", "gamma_prime"], rows: [{ key: { gamma: 0.5, gamma_prime: 0 }, value: fit(-0.54) }, { key: { gamma: 1.75, gamma_prime: 0 }, value: fit(0.41) }] } as unknown as Table;
    const points = dataOf(plotToVegaLite(spec({ label: "slope" }), { values: slopes }), "point");
    expect(points.map((d) => [d["v"], d["label"]])).toEqual([[-0.54, "-0.54"], [0.41, "0.41"]]);
  });

  it("data that still vary over another dimension are an error naming it", () => {
    const perWidth: Table = { dims: ["width", "gamma", "gamma_prime"], rows: [{ key: { width: 10, gamma: 1, gamma_prime: 0 }, value: 0 }] };
    expect(() => plotToVegaLite(spec(), { values: perWidth })).toThrow(DyncRuntimeError);
    expect(() => plotToVegaLite(spec(), { values: perWidth })).toThrow(/also vary over width/);
    const noGamma: Table = { dims: ["width"], rows: [{ key: { width: 10 }, value: 0 }] };
    expect(() => plotToVegaLite(spec(), { values: noGamma })).toThrow(/"gamma" is not a dimension of the data/);
  });
});
