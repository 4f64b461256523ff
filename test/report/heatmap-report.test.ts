/**
 * Heatmaps and marks in a report of an executor-trained run (cpu backend): the matrix heatmap reads the
 * recorded .npy snapshots, the per-unit probe is reloaded from its .npy vectors, and `rebuildReport` from
 * the directory alone redraws byte-identical figures.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExperiment, type ExperimentOutcome } from "../../runner/index.js";
import { readNpy } from "../../runtime/npy.js";
import { loadResults, readManifest, readReportInput, rebuildReport, writeReport } from "../../report/index.js";
import { cosineMatrix } from "../../stdlib/condensation/cosine.js";
import { CROSSED_BELOW, heatmapProgram } from "./heatmap-fixture.js";
import { markShapes, markTexts, texts } from "./svg-structure.js";

const root = mkdtempSync(join(tmpdir(), "dync-heatmap-report-"));
const dir = join(root, "run");
const sink = { write: () => true };
let outcome: ExperimentOutcome;
let html: string;
const svgs = (): Map<string, string> => new Map(readdirSync(join(dir, "plots")).filter((f) => f.endsWith(".svg")).map((f) => [f, readFileSync(join(dir, "plots", f), "utf8")]));

beforeAll(async () => {
  const program = heatmapProgram();
  outcome = await runExperiment(program, { backend: "cpu", outDir: dir, quiet: true, stdout: sink, stderr: sink });
  const result = await writeReport(dir, { program, outcome });
  expect(result.plots.map((p) => p.error)).toEqual([null, null, null, null, null]);
  html = readFileSync(join(dir, "report.html"), "utf8");
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("heatmaps in a run's report", () => {
  it("draws the cosine matrices of both widths at start and end as embedded images, seed 0 noted", () => {
    const svg = [...svgs()].find(([f]) => f.startsWith("01-"))![1];
    expect(svg.match(/<image xlink:href="data:image\/png;base64,/g)).toHaveLength(4);
    const notes = texts(svg, "title-subtitle").join(" | ");
    expect(notes).toContain("seed 0 (first of 2");
    expect(notes).toContain("end: step 40");
    expect(notes).toContain("80 × 80 cells drawn as a 80 × 80-pixel image");
    expect(texts(svg, "title-text")).toEqual(expect.arrayContaining(["width", "4", "80", "start", "end"]));
    expect(html).toContain("img-src data:");
  });

  it("the recorded matrices are the cosine similarities of the recorded network (unit diagonal, symmetric)", () => {
    const file = readdirSync(join(dir, "tensors", "cos", "width=4")).sort();
    expect(file).toEqual(["seed0_step0.npy", "seed0_step40.npy", "seed1_step0.npy", "seed1_step40.npy"]);
    const { data, shape } = readNpy(join(dir, "tensors", "cos", "width=4", "seed0_step40.npy"));
    expect(shape).toEqual([4, 4]);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(data[i * 4 + j]).toBeCloseTo(data[j * 4 + i]!, 6);
    // cosineMatrix of a planted set of vectors agrees with the definition (independent of the run).
    const d = cosineMatrix(Float64Array.from([1, 0, 0, 2, 1, 1]), 3, 2);
    expect(d[1]).toBe(0);
    expect(d[2]).toBeCloseTo(Math.SQRT1_2, 15);
  });

  it("draws the per-unit table heatmap as rectangles: 21 points × 5 steps per width", () => {
    const svg = [...svgs()].find(([f]) => f.startsWith("02-"))![1];
    expect(markShapes(svg, "cells")).toBe(2 * 21 * 5);
    expect(texts(svg, "axis-title")).toEqual(expect.arrayContaining(["step", "point"]));
  });

  it("marks the line plot at the matrix snapshots (steps 0 and 40), coloured by width like the lines", () => {
    const svg = [...svgs()].find(([f]) => f.startsWith("03-"))![1];
    expect(markShapes(svg, "marks_colored")).toBe(4);
    expect(markTexts(svg, "mark_labels_colored")).toEqual(["cos", "cos", "cos", "cos"]);
    expect(texts(svg, "title-subtitle").join(" ")).toContain("dotted rules: cos (4 steps)");
  });
});

describe("event marks", () => {
  it("draws a rule per seed panel and width where `at first(tl < 0.1)` fired: the first step tl < 0.1", () => {
    // Truth from the recorded train loss itself: per (seed, width), the first measured step below 0.1.
    const firstBelow = new Map<string, number>();
    for (const r of [...outcome.results.rows].filter((r) => r.probe === "tl").sort((a, b) => a.step - b.step)) {
      const key = `${r.seed}|${r.point["width"]}`;
      if (r.value < CROSSED_BELOW && !firstBelow.has(key)) firstBelow.set(key, r.step);
    }
    expect(firstBelow.size).toBeGreaterThan(0);
    const fired = outcome.results.rows.filter((r) => r.probe === "crossed").map((r) => `${r.seed}|${r.point["width"]}|${r.step}`).sort();
    expect(fired).toEqual([...firstBelow].map(([k, step]) => `${k}|${step}`).sort());
    const svg = [...svgs()].find(([f]) => f.startsWith("05-"))![1];
    expect(markShapes(svg, "marks_colored")).toBe(firstBelow.size);
    expect(texts(svg, "title-subtitle").join(" ")).toContain(`dotted rules: crossed (${firstBelow.size} step`);
  });
});

describe("rebuilding a report with per-unit probes and matrices", () => {
  it("reloads the per-unit rows from their .npy files exactly as the run held them", () => {
    const input = readReportInput(dir)!;
    const loaded = loadResults(dir, readManifest(dir), input.totalSteps, input.plan);
    const key = (r: { run: string; seed: number; step: number; probe: string; index?: Readonly<Record<string, number>> }) => `${r.run}|${r.seed}|${r.step}|${r.probe}|${JSON.stringify(r.index ?? {})}`;
    const inMemory = new Map(outcome.results.rows.map((r) => [key(r), r.value]));
    const indexed = loaded.rows.filter((r) => r.index);
    // 2 widths × 2 seeds × 5 steps × 3 fields × 21 points.
    expect(indexed).toHaveLength(2 * 2 * 5 * 3 * 21);
    expect(loaded.rows).toHaveLength(outcome.results.rows.length);
    for (const r of loaded.rows) expect(Object.is(r.value, inMemory.get(key(r))), key(r)).toBe(true);
  });

  it("rebuildReport redraws every figure byte-identically from the directory alone", async () => {
    const before = svgs();
    rmSync(join(dir, "plots"), { recursive: true });
    rmSync(join(dir, "report.html"));
    const result = await rebuildReport(dir);
    expect(result.plots.map((p) => p.error)).toEqual([null, null, null, null, null]);
    const after = svgs();
    expect([...after.keys()]).toEqual([...before.keys()]);
    // Vega numbers gradients and clip paths with a process-wide counter (so that figures inlined in one
    // page never share an id); a rebuild in this same process continues the count, `dync report` would not.
    const ids = (svg: string) => svg.replace(/\b(gradient_|clip)\d+/g, "$1#");
    for (const [name, svg] of before) expect(ids(after.get(name)!), name).toBe(ids(svg));
  });
});
