/**
 * Divergence is visible everywhere it flows: a diverged seed's later measurements are NaN rows (in memory,
 * metrics.csv, metrics.jsonl), `last()` of it is NaN, reductions are NaN unless the nan… ones are asked
 * for, expects name the diverged run, the manifest records it, plots mark it, and `dync run` exits 3.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import type { Model } from "../../contract/model.js";
import type { AnalysisExpr, ExpectSpec, PlotSpec, ProfilePlan, ReduceFn } from "../../contract/program.js";
import { createOptimizer } from "../../runtime/optim.js";
import { evaluateProfile } from "../../runtime/analysis/index.js";
import { ResultCollector } from "../../runtime/analysis/results.js";
import { RunRecorder, type Manifest } from "../../runtime/record/index.js";
import { train } from "../../runtime/train/index.js";
import { RunResultRecorder } from "../../runner/run-recorder.js";
import { runExperiment, runMain } from "../../runner/index.js";
import { worseExit } from "../../runner/cli.js";
import { captureStream, metricsRows, regressionProgram, regressionRun, SEEDS, STEPS } from "./experiment-fixture.js";
import { markShapes } from "../report/svg-structure.js";
import { rebuildReport } from "../../report/index.js";

let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "dync-divergence-"));
  await selectBackend("cpu");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const probe = (name: string): AnalysisExpr => ({ op: "probe", name });
const reduce = (fn: ReduceFn, arg: AnalysisExpr, over: string[] = []): AnalysisExpr => ({ op: "reduce", fn, arg, over });
const lessThan = (left: AnalysisExpr, value: number): AnalysisExpr => ({ op: "compare", fn: "<", left, right: { op: "number", value } });
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;

/** y = w·x + b per seed, every seed starting at w = 0.1, b = 0. */
function linearModel(seeds: number): Model {
  const wv = tf.variable(tf.fill([seeds, 1, 1], 0.1));
  const bv = tf.variable(tf.zeros([seeds, 1]));
  return {
    seeds,
    layerNames: ["out"],
    layers: [],
    params: [
      { name: "out.weight", layer: "out", role: "weight", variable: wv },
      { name: "out.bias", layer: "out", role: "bias", variable: bv },
    ],
    state: [],
    forward: (x) => tf.tidy(() => tf.add(tf.matMul(x as tf.Tensor3D, wv as tf.Tensor3D), tf.expandDims(bv, 1))),
    dispose: () => tf.dispose([wv, bv]),
  };
}

const onePoint = (x: number): Dataset => ({ name: "train", n: 1, xShape: [1], x: Float32Array.of(x), yDim: 1, y: Float32Array.of(0) });

describe("one seed of three diverges at a step known by hand", () => {
  // Full-batch GD (lr 0.1, MSE) on one point (a, 0) from w = 0.1, b = 0: the residual r = w·a + b obeys
  // r_{k+1} = r_k·(1 − 2·lr·(a² + 1)), so w_k = 0.1 − 2·lr·a·Σ_{j<k} r_j. Seed 11 has a = 40: the factor is
  // −319.2, r_7² = (0.1·40·319.2⁷)² ≈ 1.8e36 is a float32, r_8² ≈ 1.9e41 is not: its loss is +∞ at step 8.
  // Seeds 10 (a = 1, factor 0.6) and 12 (a = 0.5, factor 0.75) converge.
  const seeds = [10, 11, 12];
  const inputs = [1, 40, 0.5];
  const T = 20;
  const weightAt = (a: number, k: number) => {
    const f = 1 - 2 * 0.1 * (a * a + 1);
    let w = 0.1;
    for (let j = 0, r = 0.1 * a; j < k; j++, r *= f) w -= 2 * 0.1 * a * r;
    return w;
  };
  const run = { ...regressionRun(4), probes: [] };
  const results = new ResultCollector(["width"], seeds);
  let dir: string;
  let diverged: { seed: number; step: number }[];

  beforeAll(async () => {
    dir = join(root, "partial");
    const recorder = new RunRecorder({ dir, experiment: "t", config: {}, sweepAxes: ["width"], backend: { name: "cpu" } });
    recorder.beginRun(run.id, run.point, seeds);
    const model = linearModel(3);
    const optimizer = createOptimizer({ kind: "gd", lr: 0.1 }, model.params);
    const every4 = { kind: "every", n: 4, unit: "steps" } as const;
    const outcome = await train({
      model,
      optimizer,
      loss: "mse",
      data: inputs.map(onePoint),
      seeds,
      duration: { steps: T },
      batch: "full",
      probes: [
        { name: "w", cadence: every4, run: () => Float64Array.from(model.params[0]!.variable.dataSync()) },
        { name: "tl", cadence: every4, run: (ctx) => (ctx.loss ? Float64Array.from(ctx.loss.perSeed.dataSync()) : undefined) },
      ],
      recorder: new RunResultRecorder(run, seeds, recorder, results),
      onDivergence: "continue",
    });
    diverged = outcome.diverged.map(({ seed, step }) => ({ seed, step }));
    results.setDiverged(run.id, diverged);
    recorder.finish("diverged");
    optimizer.dispose();
    model.dispose();
  });

  it("finds seed 11 diverged at step 8, and the others train to the end", () => {
    expect(diverged).toEqual([{ seed: 11, step: 8 }]);
    const end = results.rows.filter((r) => r.probe === "w" && r.step === T);
    expect(end.map((r) => r.seed)).toEqual(seeds);
    expect(end[0]!.value).toBeCloseTo(weightAt(1, T), 6);
    expect(end[2]!.value).toBeCloseTo(weightAt(0.5, T), 6);
  });

  it("writes exactly the rows after step 8 of seed 11 as nan in metrics.csv: measured up to 8, NaN after", () => {
    const lines = readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe("run,seed,width,step,epoch,probe,value,npy_file");
    const seed11 = lines.slice(1).map((l) => l.split(",")).filter((f) => f[1] === "11").map((f) => `${f[5]}@${f[3]}=${f[6]}`);
    const number = (v: string) => Number(v.split("=")[1]);
    expect(seed11.map((s) => s.split("=")[0])).toEqual(["w@0", "tl@0", "w@4", "tl@4", "w@8", "tl@8", "w@12", "tl@12", "w@16", "tl@16", "w@20"]);
    expect(number(seed11[2]!) / weightAt(40, 4)).toBeCloseTo(1, 5); // w_4 ≈ 1.04e9, in float32
    expect(seed11[5]).toBe("tl@8=inf"); // the loss that diverged, as measured
    expect(seed11.slice(6)).toEqual(["w@12=nan", "tl@12=nan", "w@16=nan", "tl@16=nan", "w@20=nan"]);
    // The healthy seeds have no nan anywhere, and the same steps (no train loss at the end: it has no batch).
    const others = lines.slice(1).filter((l) => !l.split(",")[1]!.startsWith("11"));
    expect(others.some((l) => /,(nan|inf|-inf),/.test(l))).toBe(false);
    expect(others.filter((l) => l.split(",")[1] === "10").map((l) => l.split(",")[5] + "@" + l.split(",")[3])).toEqual(seed11.map((s) => s.split("=")[0]));
    // metrics.jsonl: null for NaN, 1e999 for +inf.
    const jsonl = metricsRows(dir).filter((r) => r["seed"] === 11 && r["probe"] === "w").map((r) => r["value"]);
    expect(jsonl.slice(3)).toEqual([null, null, null]);
    expect(readFileSync(join(dir, "metrics.jsonl"), "utf8")).toContain('"step":8,"epoch":8,"probe":"tl","value":1e999');
  });

  it("last() is NaN for the diverged seed and the hand value for the others; median is NaN, nanmedian is not", () => {
    const plan: ProfilePlan = {
      seeds,
      runs: [run],
      analyses: [
        { name: "fin", expr: reduce("last", probe("w")), line: 1 },
        { name: "med", expr: reduce("median", { op: "let", name: "fin" }, ["seeds"]), line: 2 },
        { name: "nanmed", expr: reduce("nanmedian", { op: "let", name: "fin" }, ["seeds"]), line: 3 },
        { name: "nanmax", expr: reduce("nanmax", { op: "let", name: "fin" }, ["seeds"]), line: 4 },
        { name: "n", expr: reduce("count", { op: "let", name: "fin" }, ["seeds"]), line: 5 },
      ],
      expects: [{ text: "med < 1", line: 6, expr: lessThan({ op: "let", name: "med" }, 1) }],
      plots: [],
    };
    const evaluation = evaluateProfile(plan, results);
    const value = (name: string, seed?: number) => evaluation.analyses.get(name)!.rows.find((r) => seed === undefined || r.key["seeds"] === seed)!.value as number;
    expect(value("fin", 11)).toBeNaN();
    expect(value("fin", 10)).toBeCloseTo(0.05 + 0.05 * 0.6 ** T, 6); // w_k = 0.1 − 0.05·(1 − 0.6^k)
    expect(value("fin", 12)).toBeCloseTo(0.08 + 0.02 * 0.75 ** T, 6); // w_k = 0.1 − 0.02·(1 − 0.75^k)
    expect(value("med")).toBeNaN();
    // nanmedian of {w_10, w_12} (seed 11 left out): the mean of the two.
    expect(value("nanmed")).toBeCloseTo((0.05 + 0.05 * 0.6 ** T + 0.08 + 0.02 * 0.75 ** T) / 2, 6);
    expect(value("nanmax")).toBeCloseTo(0.08 + 0.02 * 0.75 ** T, 6);
    expect(value("n")).toBe(3);
    expect(evaluation.expects[0]).toMatchObject({
      passed: false,
      detail: "med = NaN is not comparable with 1 — med is NaN: run width=4 diverged at step 8 (1 of 3 seeds)",
    });
  });
});

describe("a probe run on an event (`at first(…)`) of a seed that diverged before the event fired", () => {
  // As above: seed 11 (a = 40) has an infinite loss at step 8, seeds 10 and 12 converge. Event `late` holds
  // from step 12 on (watching w, measured every 4 steps); probe `snap` runs on it. Seed 11 diverged before
  // step 12, so its event can never fire: `snap` gets one NaN row for it at step 9, the first step lost,
  // whether the other seeds train on (partial) or the run stopped (every seed diverged).
  const T = 20;
  const every4 = { kind: "every", n: 4, unit: "steps" } as const;
  const snapSpec = { name: "snap", probe: "weight_norm", args: {}, cadences: [{ kind: "on", event: "late" }], line: 1 } as const;

  async function trainWithEvent(seeds: number[], inputs: number[], tag: string): Promise<{ rows: { seed: number; step: number; value: number }[]; fired: number[] }> {
    const run = { ...regressionRun(4), probes: [snapSpec as never] };
    const results = new ResultCollector(["width"], seeds);
    const recorder = new RunRecorder({ dir: join(root, tag), experiment: "t", config: {}, sweepAxes: ["width"], backend: { name: "cpu" } });
    recorder.beginRun(run.id, run.point, seeds);
    const model = linearModel(seeds.length);
    const optimizer = createOptimizer({ kind: "gd", lr: 0.1 }, model.params);
    const outcome = await train({
      model,
      optimizer,
      loss: "mse",
      data: inputs.map(onePoint),
      seeds,
      duration: { steps: T },
      batch: "full",
      probes: [
        { name: "w", cadence: every4, run: () => Float64Array.from(model.params[0]!.variable.dataSync()) },
        { name: "snap", cadence: { kind: "on", event: "late" }, run: () => Float64Array.from(model.params[0]!.variable.dataSync()) },
      ],
      events: [{ name: "late", watch: "w", condition: (_value, step) => step >= 12 }],
      recorder: new RunResultRecorder(run, seeds, recorder, results),
      onDivergence: "continue",
    });
    recorder.finish("diverged");
    optimizer.dispose();
    model.dispose();
    return {
      rows: results.rows.filter((r) => r.probe === "snap").map((r) => ({ seed: r.seed, step: r.step, value: r.value })),
      fired: [...outcome.events.get("late")!],
    };
  }

  it("partial: the healthy seeds measure where the event fired, the diverged one has one NaN row at d + 1", async () => {
    const { rows, fired } = await trainWithEvent([10, 11, 12], [1, 40, 0.5], "event-partial");
    expect(fired).toEqual([12, -1, 12]);
    expect(rows.filter((r) => r.seed === 11)).toEqual([{ seed: 11, step: 9, value: NaN }]);
    expect(rows.filter((r) => r.seed !== 11).map((r) => [r.seed, r.step])).toEqual([[10, 12], [12, 12]]);
    expect(rows.filter((r) => r.seed !== 11).every((r) => Number.isFinite(r.value))).toBe(true);
  });

  it("every seed diverged and training stopped at step 8: the same one NaN row at step 9", async () => {
    const { rows, fired } = await trainWithEvent([11], [40], "event-all");
    expect(fired).toEqual([-1]);
    expect(rows).toEqual([{ seed: 11, step: 9, value: NaN }]);
  });
});

describe("a sweep point whose every seed diverges (lr = 1e6), end to end on the cpu backend", () => {
  const runs = [regressionRun(4), regressionRun(8, { kind: "sgd", lr: 1e6 })];
  const counted: ExpectSpec = { text: "count(final_loss) over seeds, steps == 6", line: 20, expr: { op: "compare", fn: "==", left: reduce("count", probe("final_loss"), ["seeds", "steps"]), right: { op: "number", value: 6 } } };
  const finalMedian = reduce("median", reduce("last", probe("final_loss")), ["seeds"]);
  const plot: PlotSpec = { kind: "line", text: "plot line(fin, x: width)", line: 21, y: finalMedian, yLabel: "fin", x: "width", band: null, logX: false, logY: false, refs: [], color: null, facet: null, title: null };

  it("records NaN at every scheduled step after the divergence, exits 3 when every expect holds, and marks the plot", async () => {
    const base = regressionProgram(runs, [counted]);
    const program = { ...base, profiles: { ...base.profiles, default: { ...base.profiles["default"]!, plots: [plot] } } };
    const dir = join(root, "e2e-holds");
    const stdout = captureStream();
    const stderr = captureStream();
    expect(await runMain(program, ["--backend", "cpu", "--out", dir, "--quiet"], { stdout, stderr })).toBe(3);
    expect(stdout.text()).toContain("✓ expect count(final_loss) over seeds, steps == 6");

    const manifest = readManifest(dir);
    expect(manifest.status).toBe("diverged");
    const divergedSteps = manifest.runs[1]!.diverged!;
    expect(divergedSteps.map((d) => d.seed).sort()).toEqual(SEEDS);
    const first = Math.min(...divergedSteps.map((d) => d.step));
    expect(manifest.runs[0]!.diverged).toBeUndefined();
    expect(manifest.message).toBe(`1 of 2 runs diverged (width=8: 3 of 3 seeds from step ${first}); their later measurements are NaN`);

    // The diverged run has the same rows as the healthy one: every probe at every scheduled step.
    const rows = metricsRows(dir);
    const shape = (run: string) => rows.filter((r) => r["run"] === run).map((r) => `${r["probe"]}/${r["seed"]}@${r["step"]}`);
    expect(shape("width=8")).toEqual(shape("width=4"));
    expect(shape("width=8")).toContain(`final_loss/0@${STEPS}`);
    const stepOf = new Map(divergedSteps.map((d) => [d.seed, d.step]));
    for (const r of rows.filter((r) => r["run"] === "width=8")) {
      const after = (r["step"] as number) > stepOf.get(r["seed"] as number)!;
      if (after) expect(r["value"]).toBeNull();
      if (r["step"] === 0) expect(typeof r["value"]).toBe("number");
    }

    // The plot marks width=8 at the top and names the run; the report lists it.
    const svg = readFileSync(join(dir, "plots", "01-line-fin.svg"), "utf8");
    expect(markShapes(svg, "points")).toBe(1);
    expect(markShapes(svg, "diverged")).toBe(1);
    expect(svg).toContain(`× 1 NaN value not drawn: run width=8 diverged`);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("<b>1 of 2 runs diverged</b>");
    expect(html).toMatch(/<code>width=8<\/code>: 3 of 3 seeds — seed \d at step \d+, seed \d at step \d+, seed \d at step \d+/);
    // `dync report DIR` rebuilds the same marks from the files alone (manifest runs[].diverged).
    rmSync(join(dir, "plots"), { recursive: true });
    await rebuildReport(dir);
    expect(markShapes(readFileSync(join(dir, "plots", "01-line-fin.svg"), "utf8"), "diverged")).toBe(1);
  });

  it("an expect over the NaN fails naming the diverged run; the exit code is 3 (a run diverged) all the same", async () => {
    const failing: ExpectSpec = { text: "median(last(final_loss)) over seeds < 10", line: 22, expr: lessThan(finalMedian, 10) };
    const outcome = await runExperiment(regressionProgram(runs, [counted, failing]), { backend: "cpu", outDir: join(root, "e2e-fails"), quiet: true, stdout: captureStream(), stderr: captureStream() });
    expect(outcome.exitCode).toBe(3);
    expect(outcome.expects[0]!.passed).toBe(true);
    const steps = outcome.runs[1]!.diverged.map((d) => d.step);
    const at = Math.min(...steps) === Math.max(...steps) ? `at step ${steps[0]}` : `at steps ${Math.min(...steps)}–${Math.max(...steps)}`;
    expect(outcome.expects[1]).toMatchObject({
      passed: false,
      detail: `1 of 2 rows hold; fails at width=8: median(last(final_loss)) over seeds = NaN is not comparable with 10 — median(last(final_loss)) over seeds is NaN: run width=8 diverged ${at} (3 of 3 seeds)`,
    });
    expect(readManifest(outcome.dir).message).toMatch(/^1 of 2 runs diverged \(width=8: 3 of 3 seeds from step \d+\); their later measurements are NaN; 1 of 2 expectations failed$/);
  });
});

describe("dync run's exit code over several experiments", () => {
  it("is the most serious: a signal, then 70 (internal), 2 (input), 3 (a run failed), 1 (an expect failed), 0", () => {
    expect(worseExit(0, 3)).toBe(3);
    expect(worseExit(3, 1)).toBe(3);
    expect(worseExit(1, 3)).toBe(3);
    expect(worseExit(0, 1)).toBe(1);
    expect(worseExit(3, 2)).toBe(2);
    expect(worseExit(2, 70)).toBe(70);
    expect(worseExit(70, 130)).toBe(130);
    expect(worseExit(3, 0)).toBe(3);
  });
});
