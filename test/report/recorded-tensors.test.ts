/**
 * Choosing a matrix heatmap's snapshots among the recorded .npy files: the nearest recorded step, the
 * first or a given seed, every seed when faceted by seeds, other sweep variables fixed at their first
 * value, and clear errors for a probe that recorded no matrices.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeNpy } from "../../runtime/npy.js";
import type { PlotSpec } from "../../contract/program.js";
import { selectSnapshots, type RecordedTensors, type TensorRecord } from "../../report/recorded-tensors.js";

type MatrixHeatmap = Parameters<typeof selectSnapshots>[0];

const dir = mkdtempSync(join(tmpdir(), "dync-tensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runs = [
  { run: "w=4,act=relu", point: { w: 4, act: "relu" }, seeds: [7, 9] },
  { run: "w=4,act=tanh", point: { w: 4, act: "tanh" }, seeds: [7, 9] },
  { run: "w=8,act=relu", point: { w: 8, act: "relu" }, seeds: [7, 9] },
  { run: "w=8,act=tanh", point: { w: 8, act: "tanh" }, seeds: [7, 9] },
];
const records: TensorRecord[] = [];
for (const r of runs) {
  for (const seed of r.seeds) {
    for (const step of [0, 20, 40]) {
      const file = `tensors/cos/${r.run}/seed${seed}_step${step}.npy`;
      mkdirSync(join(dir, "tensors", "cos", r.run), { recursive: true });
      // Each matrix encodes where it came from: [w, seed, step, act = relu ? 0 : 1].
      writeNpy(join(dir, file), Float32Array.from([r.point.w, seed, step, r.point.act === "relu" ? 0 : 1]), [2, 2]);
      records.push({ probe: "cos", run: r.run, point: r.point, seed, step, epoch: 0, file });
    }
  }
}
const recorded: RecordedTensors = { dir, runs, records };

const spec = (over: Partial<Extract<PlotSpec, { kind: "heatmap" }>>, data: Partial<MatrixHeatmap["data"]> = {}): MatrixHeatmap => ({
  kind: "heatmap", text: "plot heatmap(cos)", line: 3, color: null, facet: null, title: null, label: "cos", range: null, logColor: false, order: "none",
  ...over, data: { source: "matrix", probe: "cos", at: ["end"], seed: null, ...data },
}) as MatrixHeatmap;

const origin = (s: { values: Float64Array }) => [...s.values];

describe("selectSnapshots", () => {
  it("faceted by w: both widths, act fixed at its first value, the first seed, the nearest recorded step", () => {
    const notes: string[] = [];
    const snaps = selectSnapshots(spec({ facet: "w" }, { at: ["start", { step: 25 }, "end"] }), recorded, notes);
    expect(snaps.map(origin)).toEqual([
      [4, 7, 0, 0], [4, 7, 20, 0], [4, 7, 40, 0],
      [8, 7, 0, 0], [8, 7, 20, 0], [8, 7, 40, 0],
    ]);
    expect(snaps.map((s) => s.at)).toEqual(["start", "step 25", "end", "start", "step 25", "end"]);
    expect(notes).toEqual(["act = relu (first of 2; facet: act shows all)", "seed 7 (first of 2; seed: or facet: seeds for others)", "step 25 was not recorded: drawn at the nearest recorded step 20"]);
  });

  it("a given seed, or every seed when faceted by seeds", () => {
    expect(selectSnapshots(spec({ facet: "act" }, { seed: 9 }), recorded, []).map(origin)).toEqual([[4, 9, 40, 0], [4, 9, 40, 1]]);
    expect(selectSnapshots(spec({ facet: "seeds" }), recorded, []).map((s) => s.seed)).toEqual([7, 9]);
    expect(() => selectSnapshots(spec({}, { seed: 3 }), recorded, [])).toThrow(/seed 3 has no recorded matrices; seeds: 7, 9/);
  });

  it("says when start was not recorded, and names the probes that did record tensors", () => {
    const late: RecordedTensors = { ...recorded, records: records.filter((r) => r.step > 0) };
    const notes: string[] = [];
    expect(selectSnapshots(spec({}, { at: ["start", "end"] }), late, notes)).toHaveLength(1);
    expect(notes).toContain("no snapshot at start (step 0) was recorded; add `start` to the probe's `at`");
    expect(() => selectSnapshots(spec({}, { probe: "loss" } as Partial<MatrixHeatmap["data"]>), recorded, [])).toThrow(/probe "loss" recorded no matrices/);
  });
});
