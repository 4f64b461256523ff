/**
 * Images in a report of an executor-trained run (cpu backend) on a 16 × 16 grid: the `outputs` probe's
 * vectors are reloaded from their stacked .npy files, the drawn pixels are the recorded outputs' colours (computed
 * here from the .npy values), the region image has one colour per recorded region id, and `rebuildReport`
 * from the directory alone redraws byte-identical figures.
 */
import * as vega from "vega";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExperiment } from "../../runner/index.js";
import { readNpy } from "../../runtime/npy.js";
import { OKABE_ITO } from "../../report/colors.js";
import { parseRgb } from "../../report/heatmap-colors.js";
import { rebuildReport, writeReport } from "../../report/index.js";
import { decodePng } from "../../stdlib/data/png.js";
import { GRID_N, imageProgram } from "./image-fixture.js";
import { texts } from "./svg-structure.js";

const root = mkdtempSync(join(tmpdir(), "dync-image-report-"));
const dir = join(root, "run");
const sink = { write: () => true };
const svgs = (d: string): Map<string, string> => new Map(readdirSync(join(d, "plots")).filter((f) => f.endsWith(".svg")).map((f) => [f, readFileSync(join(d, "plots", f), "utf8")]));
/** The embedded PNGs of an SVG, decoded, in document order. */
const images = (svg: string) => [...svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => decodePng(Buffer.from(m[1]!, "base64"), "image.png"));
const byte = (png: ReturnType<typeof decodePng>, c: number, r: number) => [0, 1, 2].map((k) => Math.round(png.rgb[(r * png.width + c) * 3 + k]! * 255));
/** A recorded vector of probe field `name` (e.g. `f.output`) for run, seed and step. */
const recorded = (name: string, run: string, seed: number, step: number): Float64Array => {
  const rows = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const row = rows.find((r) => r["probe"] === name && r["run"] === run && r["seed"] === seed && r["step"] === step && typeof r["npy_file"] === "string");
  expect(row, `${name} ${run} seed ${seed} step ${step}`).toBeDefined();
  // per-point probes are stacked: the row's value is its row in the run's array (docs/run-directory.md)
  const { data, shape } = readNpy(join(dir, String(row!["npy_file"])));
  const index = row!["value"];
  expect(typeof index, "a stacked row index").toBe("number");
  return Float64Array.from(data.subarray((index as number) * shape[1]!, ((index as number) + 1) * shape[1]!));
};

beforeAll(async () => {
  const program = imageProgram();
  const outcome = await runExperiment(program, { backend: "cpu", outDir: dir, quiet: true, stdout: sink, stderr: sink });
  const result = await writeReport(dir, { program, outcome });
  expect(result.plots.map((p) => p.error)).toEqual([null, null]);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("images in a run's report", () => {
  it("draws the output of both widths at start and end, each pixel the recorded output's colour", () => {
    const svg = [...svgs(dir)].find(([f]) => f.startsWith("01-"))![1];
    const pngs = images(svg);
    expect(pngs).toHaveLength(4);
    expect(pngs.map((p) => [p.width, p.height])).toEqual(Array(4).fill([GRID_N, GRID_N]));
    expect(texts(svg, "title-subtitle").join(" | ")).toContain("seed 0 (first of 2");
    // Panels in order start (width 4, 8), end (width 4, 8); the shared colour domain from all four.
    const panels = [["width=4", 0], ["width=8", 0], ["width=4", 40], ["width=8", 40]] as const;
    const outputs = panels.map(([run, step]) => recorded("f.output", run, 0, step));
    const x0 = recorded("f.x0", "width=4", 0, 0);
    const x1 = recorded("f.x1", "width=4", 0, 0);
    const all = outputs.flatMap((o) => [...o]);
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    // By hand: a signed range gets RdBu over ±max|v| (position 0.5 at 0, red at +max); otherwise viridis over [lo, hi].
    const signed = lo < 0 && hi > 0;
    const a = Math.max(-lo, hi);
    const colour = (v: number): number[] => signed ? parseRgb((vega.scheme("redblue") as (t: number) => string)(1 - (0.5 + v / (2 * a)))) : parseRgb((vega.scheme("viridis") as (t: number) => string)((v - lo) / (hi - lo)));
    const xs = [...new Set(x0)].sort((p, q) => p - q);
    const ys = [...new Set(x1)].sort((p, q) => p - q);
    expect([xs.length, ys.length]).toEqual([GRID_N, GRID_N]);
    pngs.forEach((png, k) => {
      for (let point = 0; point < GRID_N * GRID_N; point += 7) {
        const c = xs.indexOf(x0[point]!);
        const r = GRID_N - 1 - ys.indexOf(x1[point]!); // y grows upwards
        byte(png, c, r).forEach((v, ch) => expect(Math.abs(v - colour(outputs[k]![point]!)[ch]!)).toBeLessThanOrEqual(1));
      }
    });
  });

  it("draws one region colour per recorded region id, and says how many regions each seed has", () => {
    const svg = [...svgs(dir)].find(([f]) => f.startsWith("02-"))![1];
    const pngs = images(svg);
    expect(pngs).toHaveLength(2);
    const x0 = recorded("f.x0", "width=4", 0, 40);
    const x1 = recorded("f.x1", "width=4", 0, 40);
    const xs = [...new Set(x0)].sort((p, q) => p - q);
    const ys = [...new Set(x1)].sort((p, q) => p - q);
    const notes = texts(svg, "title-subtitle").join(" | ");
    [0, 1].forEach((seed) => {
      const ids = recorded("f.region", "width=4", seed, 40);
      // Ids number patterns in order of first appearance: the first point is region 0, each new id is the next.
      expect(ids[0]).toBe(0);
      let next = 0;
      for (const id of ids) if (id > next) expect(id).toBe(++next);
      expect(notes).toContain(`seed ${seed}: ${next + 1}`);
      for (let point = 0; point < ids.length; point++) {
        const c = xs.indexOf(x0[point]!);
        const r = GRID_N - 1 - ys.indexOf(x1[point]!);
        expect(byte(pngs[seed]!, c, r)).toEqual(parseRgb(OKABE_ITO[ids[point]! % 8]!));
      }
    });
  });

  it("rebuilds byte-identical images from the run directory alone", async () => {
    const before = svgs(dir);
    await rebuildReport(dir);
    const after = svgs(dir);
    // Vega numbers clip paths and gradients per process; everything else, the images included, is identical.
    const ids = (svg: string | undefined) => svg?.replace(/clip\d+/g, "clip").replace(/gradient_\d+/g, "gradient");
    for (const [f, svg] of before) expect(ids(after.get(f)), f).toBe(ids(svg));
  });
});
