/**
 * Event and snapshot markers on line plots: one rule per distinct (panel, colour, step), grey or coloured by
 * the series' colour, labelled; steps from a probe's measurement times or from an analysis's values.
 */
import { describe, expect, it } from "vitest";
import type { AnalysisEnv } from "../../runtime/analysis/source.js";
import type { Table } from "../../runtime/analysis/table.js";
import { markSteps } from "../../report/plot-marks.js";
import { plotToVegaLite, renderSvg, type VegaLiteSpec } from "../../report/plots.js";
import type { RecordedTensors } from "../../report/recorded-tensors.js";
import * as F from "./plot-fixtures.js";
import { markShapes, markTexts } from "./svg-structure.js";

type Datum = Record<string, number | string>;
const dataOf = (vl: VegaLiteSpec, layer: string): Datum[] => (vl as unknown as { data: { values: Datum[] } }).data.values.filter((d) => d["_layer"] === layer);
const subtitle = (vl: VegaLiteSpec): string => ((vl as unknown as { title: { subtitle?: string[] } }).title.subtitle ?? []).join(" | ");

const curves = F.trainingCurves(["silu", "relu"], [0, 1], 30);

describe("marks on line plots", () => {
  it("draws a grey labelled rule per step of a snapshot probe, in every panel", async () => {
    // A snapshot probe measured at steps 0 and 150 for every act and seed: two distinct steps.
    const snap: Table = { dims: ["act", "seeds"], rows: ["silu", "relu"].flatMap((act) => [0, 1].flatMap((seeds) => [0, 150].map((value) => ({ key: { act, seeds }, value })))) };
    const spec = F.lineSpec({ facet: "act", marks: [{ kind: "probe", name: "snap", label: "snap" }] });
    const vl = plotToVegaLite(spec, { y: curves, marks: [{ label: "snap", steps: snap }] });
    const rules = dataOf(vl, "mark");
    expect(rules.map((r) => [r["_facet"], r["x"]])).toEqual([["silu", 0], ["silu", 150], ["relu", 0], ["relu", 150]]);
    expect(subtitle(vl)).toContain("dotted rules: snap (4 steps)");
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "marks")).toBe(4);
    expect(markTexts(svg, "mark_labels")).toEqual(["snap", "snap", "snap", "snap"]);
  });

  it("colours rules by the plot's colour when the steps have it (convergence step per frequency), skipping NaN", async () => {
    const learned: Table = { dims: ["act"], rows: [{ key: { act: "silu" }, value: 120 }, { key: { act: "relu" }, value: NaN }] };
    const spec = F.lineSpec({ color: "act", band: { fn: "range", over: "seeds" }, marks: [{ kind: "steps", expr: { op: "let", name: "learned_at" }, label: "learned_at" }] });
    const vl = plotToVegaLite(spec, { y: curves, marks: [{ label: "learned_at", steps: learned }] });
    expect(dataOf(vl, "mark_colored")).toEqual([{ _layer: "mark_colored", x: 120, label: "learned_at", _color: "silu" }]);
    expect(subtitle(vl)).toContain("1 learned_at value not drawn");
    const svg = await renderSvg(vl);
    expect(markShapes(svg, "marks_colored")).toBe(1);
    expect(markTexts(svg, "mark_labels_colored")).toEqual(["learned_at"]);
    // Same colour as the silu line (the first Okabe–Ito colour).
    expect(svg).toMatch(/marks_colored_marks"[^>]*><line[^>]*stroke="#0072B2"/);
  });

  it("says marks need a plot over steps", () => {
    const spec = F.lineSpec({ x: "act", marks: [{ kind: "probe", name: "snap", label: "snap" }] });
    const vl = plotToVegaLite(spec, { y: curves, marks: [{ label: "snap", steps: { dims: [], rows: [{ key: {}, value: 5 }] } }] });
    expect(subtitle(vl)).toContain("drawn only on plots over steps");
    expect(dataOf(vl, "mark")).toHaveLength(0);
  });

  it("takes a probe's steps from its series, or from its recorded tensors for a matrix probe", () => {
    const series: Table = { dims: ["width", "seeds", "steps"], rows: [{ key: { width: 4, seeds: 0, steps: 0 }, value: 1 }, { key: { width: 4, seeds: 0, steps: 40 }, value: 2 }] };
    const env: AnalysisEnv = { probe: (name) => (name === "wn" ? series : { dims: ["width", "seeds", "steps"], rows: [] }), analysis: () => series, totalSteps: () => 40 };
    const steps = markSteps({ kind: "probe", name: "wn", label: "wn" }, env);
    expect(steps).toEqual({ dims: ["width", "seeds"], rows: [{ key: { width: 4, seeds: 0 }, value: 0 }, { key: { width: 4, seeds: 0 }, value: 40 }] });
    const recorded: RecordedTensors = { dir: "", runs: [], records: [{ probe: "cos", run: "width=4", point: { width: 4 }, seed: 1, step: 30, epoch: 0, file: "x.npy" }] };
    expect(markSteps({ kind: "probe", name: "cos", label: "cos" }, env, recorded)).toEqual({ dims: ["width", "seeds"], rows: [{ key: { width: 4, seeds: 1 }, value: 30 }] });
  });
});
