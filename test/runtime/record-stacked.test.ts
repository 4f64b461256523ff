/**
 * Stacked tensors (runtime/record/stacked.ts): one array [measurements, units] per probe, run and seed, valid
 * .npy after every append, its steps beside it; an append at an earlier step (a resumed run) drops the rows
 * from that step on; a new writer (a new process) continues the file. Read back by our decoder and, when
 * python3 has numpy, by np.load itself; and the report's loader (loadResults) expands rows as the run did.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readNpy } from "../../runtime/npy.js";
import { RunRecorder, StackedArrays, stepsPath } from "../../runtime/record/index.js";
import { loadResults, readManifest } from "../../report/run-files.js";
import type { ProfilePlan } from "../../contract/program.js";

const root = mkdtempSync(join(tmpdir(), "dync-stacked-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const row = (step: number) => Float64Array.from({ length: 5 }, (_, i) => step * 10 + i);

describe("stacked arrays", () => {
  it("appends rows to one .npy whose header grows in place, with the steps beside it", () => {
    const path = join(root, "a.npy");
    const stacks = new StackedArrays();
    expect([0, 1, 2, 5].map((step) => stacks.append(path, step, row(step), [5]))).toEqual([0, 1, 2, 3]);
    const { data, shape } = readNpy(path);
    expect(shape).toEqual([4, 5]);
    expect(Array.from(data)).toEqual([0, 1, 2, 5].flatMap((s) => Array.from(row(s))));
    expect(Array.from(readNpy(stepsPath(path)).data)).toEqual([0, 1, 2, 5]);
    expect(statSync(path).size).toBe(128 + 4 * 5 * 8); // a 128-byte header, the same as for one row
  });

  it("drops rows at and after a step written again, also from a new writer (a resumed run)", () => {
    const path = join(root, "b.npy");
    const first = new StackedArrays();
    for (const step of [0, 1, 2, 3]) first.append(path, step, row(step), [5]);
    const resumed = new StackedArrays();
    expect(resumed.append(path, 2, row(20), [5])).toBe(2);
    expect(resumed.append(path, 3, row(30), [5])).toBe(3);
    expect(readNpy(path).shape).toEqual([4, 5]);
    expect(Array.from(readNpy(path).data.subarray(10))).toEqual([...row(20), ...row(30)]);
    expect(Array.from(readNpy(stepsPath(path)).data)).toEqual([0, 1, 2, 3]);
  });

  it("repairs an append torn by a kill (a row without its header update, a step without its row) when continued", () => {
    const path = join(root, "torn.npy");
    const first = new StackedArrays();
    for (const step of [0, 1, 2]) first.append(path, step, row(step), [5]);
    appendFileSync(path, Buffer.from(row(3).buffer)); // killed after the row's bytes, before its header
    expect(() => readNpy(path)).toThrow(/data bytes/);
    const resumed = new StackedArrays();
    expect(resumed.append(path, 3, row(3), [5])).toBe(3);
    expect(readNpy(path).shape).toEqual([4, 5]);
    expect(Array.from(readNpy(stepsPath(path)).data)).toEqual([0, 1, 2, 3]);
    appendFileSync(stepsPath(path), Buffer.from(Int32Array.of(4).buffer)); // a step whose row never came
    expect(new StackedArrays().append(path, 4, row(4), [5])).toBe(4);
    expect(Array.from(readNpy(path).data.subarray(15))).toEqual([...row(3), ...row(4)]);
  });

  it("refuses a row of another shape or dtype (RUN090)", () => {
    const path = join(root, "c.npy");
    const stacks = new StackedArrays();
    stacks.append(path, 0, row(0), [5]);
    expect(() => stacks.append(path, 1, new Float64Array(4), [4])).toThrow(/cannot join it/);
    expect(() => stacks.append(path, 1, new Float32Array(5), [5])).toThrow(/cannot join it/);
  });

  it("is written by the recorder with the row index as the metrics value, and loaded back per point", () => {
    const recorder = new RunRecorder({ dir: join(root, "run"), experiment: "e", config: {}, backend: { name: "cpu" } });
    recorder.beginRun("run", {}, [7]);
    for (const step of [0, 1, 2]) recorder.tensor({ run: "run", seed: 7, step, probe: "psl", data: row(step), stacked: true });
    recorder.endRun("run", "ok");
    recorder.finish("ok");
    const metrics = readFileSync(join(recorder.paths.dir, "metrics.csv"), "utf8").trim().split("\n");
    expect(metrics.slice(1)).toEqual([0, 1, 2].map((k) => `run,7,${k},,psl,${k},tensors/psl/run/seed7.npy`));
    const plan = { seeds: [7], runs: [{ id: "run", point: {}, probes: [{ name: "psl", probe: "per_sample_loss", index: "point", args: {}, cadences: [], line: 1 }], events: [] }], analyses: [], expects: [], plots: [] } as unknown as ProfilePlan;
    const results = loadResults(recorder.paths.dir, readManifest(recorder.paths.dir), { run: 3 }, plan);
    const at = (step: number, point: number) => results.rows.find((r) => r.step === step && r.index?.["point"] === point)?.value;
    expect(results.rows.length).toBe(15);
    expect([at(0, 0), at(1, 4), at(2, 2)]).toEqual([0, 14, 22]);
  });

  const python = ["python3", "/usr/bin/python3"].find((exe) => spawnSync(exe, ["-c", "import numpy"]).status === 0);
  it.skipIf(!python)("loads with np.load as [measurements, units]", () => {
    const path = join(root, "a.npy");
    const run = spawnSync(python!, ["-c", "import numpy as np, sys; a = np.load(sys.argv[1]); s = np.load(sys.argv[2]); print(a.shape, a.dtype, a[3, 4], s.tolist())", path, stepsPath(path)], { encoding: "utf8" });
    expect(run.stdout.trim()).toBe("(4, 5) float64 54.0 [0, 1, 2, 5]");
  });
});
