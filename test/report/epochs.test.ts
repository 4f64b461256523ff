/**
 * `plot line(…, x: epochs)`: a row's epoch is its step divided by its run's steps per epoch, ⌈n / batch⌉,
 * which the runner records per run (manifest `runs[…].stepsPerEpoch`). Numbers are hand-computed for a
 * training set of 10 samples with batches of 3 (4 steps per epoch: 3 + 3 + 3 + 1) and of 4 (3 steps: 4 + 4 + 2).
 * The end-to-end case runs the built CLI (build first: `npx tsc -p tsconfig.build.json && node tools/gradient-bundle.mjs`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ResultEnv } from "../../runtime/analysis/source.js";
import type { ResultRow, ResultTable } from "../../runtime/analysis/results.js";
import { trainingPlan } from "../../runtime/train/batches.js";
import type { ProfilePlan } from "../../contract/program.js";
import { evaluatePlotTables, plotToVegaLite, renderSvg } from "../../report/plots.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import * as F from "./plot-fixtures.js";

type Datum = Record<string, number | string>;

const RUNS = [
  { id: "batch=3", point: { batch: 3 }, stepsPerEpoch: 4 },
  { id: "batch=4", point: { batch: 4 }, stepsPerEpoch: 3 },
];
const plan = { seeds: [0, 1], runs: RUNS.map((r) => ({ id: r.id, point: r.point, probes: [{ name: "loss" }], events: [] })), analyses: [], expects: [], plots: [] } as unknown as ProfilePlan;

/** loss = 1 / (1 + step) at steps 0, 2, 4, 6, 8 for both seeds of both runs. */
function results(stepsPerEpoch: Record<string, number> | undefined): ResultTable {
  const rows: ResultRow[] = RUNS.flatMap((r) => [0, 1].flatMap((seed) => [0, 2, 4, 6, 8].map((step) => ({ run: r.id, point: r.point, seed, step, epoch: Math.floor(step / r.stepsPerEpoch), probe: "loss", value: 1 / (1 + step) }))));
  return { sweepVars: ["batch"], seeds: [0, 1], rows, totalSteps: { "batch=3": 8, "batch=4": 8 }, ...(stepsPerEpoch ? { stepsPerEpoch } : {}) };
}

describe("x: epochs", () => {
  it("the runner's steps per epoch is ⌈n / batch⌉: 4 for 10 samples in batches of 3, 3 in batches of 4", () => {
    expect(trainingPlan(10, { size: 3 }, { steps: 8 }).stepsPerEpoch).toBe(4);
    expect(trainingPlan(10, { size: 4 }, { steps: 8 }).stepsPerEpoch).toBe(3);
  });

  it("places each step at step / (its run's steps per epoch), fractional between epoch ends", async () => {
    const env = new ResultEnv(plan, results({ "batch=3": 4, "batch=4": 3 }));
    const spec = F.lineSpec({ x: "epochs", color: "batch", band: { fn: "range", over: "seeds" } });
    const tables = evaluatePlotTables(spec, env);
    expect(tables.y!.dims).toEqual(["batch", "seeds", "epochs"]);
    const vl = plotToVegaLite(spec, tables) as unknown as { data: { values: Datum[] } };
    const xs = (batch: string) => vl.data.values.filter((d) => d["_layer"] === "line" && d["_color"] === batch).map((d) => d["x"]);
    expect(xs("3")).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(xs("4")).toEqual([0, 2 / 3, 4 / 3, 2, 8 / 3]);
    const svg = await renderSvg(vl as never);
    expect(svg).toContain(">epoch<");
  });

  it("marks move to epochs too (a snapshot at step 6 of the batch-3 run is at epoch 1.5)", () => {
    const env = new ResultEnv(plan, results({ "batch=3": 4, "batch=4": 3 }));
    const spec = F.lineSpec({ x: "epochs", color: "batch", marks: [{ kind: "probe", name: "loss", label: "loss" }] });
    const marks = evaluatePlotTables(spec, env).marks![0]!.steps;
    const batch3 = marks.rows.filter((r) => r.key["batch"] === 3 && r.key["seeds"] === 0).map((r) => r.value);
    expect(batch3).toEqual([0, 0.5, 1, 1.5, 2]);
  });

  it("runs of different steps per epoch reduced into one row are ambiguous (RUN050); results without them name the cause (RUN040)", () => {
    const env = new ResultEnv(plan, results({ "batch=3": 4, "batch=4": 3 }));
    expect(env.stepsPerEpoch({ batch: 4, seeds: 0, steps: 2 }, ["batch", "seeds", "steps"])).toBe(3);
    expect(() => env.stepsPerEpoch({ seeds: 0, steps: 2 }, ["seeds", "steps"])).toThrow(/RUN050|runs of 4, 3 steps per epoch/);
    const old = new ResultEnv(plan, results(undefined));
    const error = (() => {
      try {
        evaluatePlotTables(F.lineSpec({ x: "epochs", color: "batch" }), old);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DyncRuntimeError);
    expect((error as DyncRuntimeError).code).toBe("RUN040");
    expect((error as DyncRuntimeError).message).toContain("no steps per epoch for run batch=3");
  });

  it("the checker takes `x: epochs` (and `epoch`) on a line plot only", () => {
    const source = (plot: string) => `experiment e {
  seeds 1
  data train = grid(x in [-1, 1], n: 10) -> x^2
  model net = mlp(hidden: [4], act: tanh)
  optimizer sgd(lr: 0.1)
  train 8 steps, batch 3
  probe l = loss(net, train) every 2 steps
  ${plot}
}
`;
    expect(F.lowerPlots(source("plot line(l, x: epochs)")).plots[0]).toMatchObject({ kind: "line", x: "epochs" });
    expect(F.lowerPlots(source("plot line(l, x: epoch)")).plots[0]).toMatchObject({ kind: "line", x: "epochs" });
    expect(F.lowerPlots(source("plot line(l, color: epochs)")).errors.join("\n")).toContain("DYN2023");
  });
});

describe("x: epochs through `dync run` (built CLI)", () => {
  const ROOT = resolve(import.meta.dirname, "..", "..");
  const scratch = mkdtempSync(join(ROOT, "test", ".epochs-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("records steps per epoch in the manifest, fills the epoch column with completed epochs and plots over epochs", () => {
    // 10 samples in batches of 4: 3 steps per epoch; 7 steps, measured at every step.
    const file = join(scratch, "e.dyn");
    writeFileSync(
      file,
      `experiment e {
  seeds 1
  data train = grid(x in [-1, 1], n: 10) -> x^2
  model net = mlp(hidden: [3], act: tanh)
  optimizer sgd(lr: 0.05)
  train 7 steps, batch 4
  probe l = loss(net, train) every 1 steps
  plot line(l, x: epochs)
}
`,
    );
    const out = join(scratch, "run");
    const p = spawnSync(process.execPath, [join(ROOT, "dist", "cli", "bin.js"), "run", file, "--backend", "cpu", "--jobs", "1", "--out", out], { encoding: "utf8", cwd: scratch, env: { ...process.env, NO_COLOR: "1" } });
    expect(p.stderr + p.stdout).not.toMatch(/error/i);
    expect(p.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { runs: { steps: number; stepsPerEpoch: number }[] };
    expect(manifest.runs[0]).toMatchObject({ steps: 7, stepsPerEpoch: 3 });
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { probe: string; step: number; epoch: number });
    const epochs = lines.filter((m) => m.probe === "l").map((m) => [m.step, m.epoch]);
    // completed epochs ⌊step / 3⌋
    expect(epochs).toEqual([[0, 0], [1, 0], [2, 0], [3, 1], [4, 1], [5, 1], [6, 2], [7, 2]]);
    const svg = readFileSync(join(out, "plots", "01-line-l.svg"), "utf8");
    expect(svg).toContain(">epoch<");
    expect(svg).toContain("l = ");
    // the last point's hover text: at epoch 7/3
    expect(svg).toMatch(/at epoch 2\.33/);
  }, 120_000);

  it("through worker threads (--jobs 2) each run records its own steps per epoch, ⌈n / batch⌉, as --jobs 1 does", () => {
    // 10 samples in batches of 3 and of 4: 4 and 3 steps per epoch, one run each, one per worker.
    const file = join(scratch, "sweep.dyn");
    writeFileSync(
      file,
      `experiment e {
  sweep b in [3, 4]
  seeds 2
  data train = grid(x in [-1, 1], n: 10) -> x^2
  model net = mlp(hidden: [3], act: tanh)
  optimizer sgd(lr: 0.05)
  train 7 steps, batch b
  probe l = loss(net, train) every 1 steps
  plot line(l, x: epochs)
}
`,
    );
    const runWith = (jobs: number) => {
      const out = join(scratch, `sweep-jobs${jobs}`);
      const p = spawnSync(process.execPath, [join(ROOT, "dist", "cli", "bin.js"), "run", file, "--backend", "cpu", "--jobs", String(jobs), "--out", out], { encoding: "utf8", cwd: scratch, env: { ...process.env, NO_COLOR: "1" } });
      expect(p.stderr + p.stdout).not.toMatch(/error/i);
      expect(p.status).toBe(0);
      return { out, stderr: p.stderr };
    };
    const pooled = runWith(2);
    const serial = runWith(1);
    expect(pooled.stderr).toMatch(/^training 2 runs on 2 worker threads$/m);
    const stepsPerEpoch = (out: string) =>
      (JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { runs: { run: string; steps: number; stepsPerEpoch: number }[] }).runs.map((r) => [r.run, r.steps, r.stepsPerEpoch]);
    const ceil = (n: number, batch: number) => Math.ceil(n / batch);
    expect(stepsPerEpoch(pooled.out)).toEqual([
      ["b=3", 7, ceil(10, 3)],
      ["b=4", 7, ceil(10, 4)],
    ]);
    expect(stepsPerEpoch(serial.out)).toEqual(stepsPerEpoch(pooled.out));
    // the epoch column, completed epochs ⌊step / stepsPerEpoch⌋ per run, and every other byte of the metrics
    const epochs = (out: string) =>
      readFileSync(join(out, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { run: string; seed: number; probe: string; step: number; epoch: number })
        .filter((m) => m.probe === "l" && m.seed === 0)
        .map((m) => [m.run, m.step, m.epoch]);
    const want = [3, 4].flatMap((b) => [0, 1, 2, 3, 4, 5, 6, 7].map((step) => [`b=${b}`, step, Math.floor(step / ceil(10, b))]));
    expect(epochs(pooled.out)).toEqual(want);
    expect(readFileSync(join(pooled.out, "metrics.csv"), "utf8")).toBe(readFileSync(join(serial.out, "metrics.csv"), "utf8"));
    // the plot over epochs: b=3's last point at 7/4, b=4's at 7/3
    const svg = readFileSync(join(pooled.out, "plots", "01-line-l.svg"), "utf8");
    expect(svg).toMatch(/at epoch 1\.75/);
    expect(svg).toMatch(/at epoch 2\.33/);
  }, 180_000);
});
