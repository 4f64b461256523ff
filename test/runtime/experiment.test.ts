import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../../runtime/backend.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { mlp } from "../../runtime/nn/index.js";
import { seedSlice } from "../../runtime/params.js";
import type { ExpectSpec, ProfilePlan } from "../../contract/program.js";
import type { Manifest } from "../../runtime/record/index.js";
import { runExperiment, runMain, type ExpectOutcome, type ResultTable } from "../../runner/index.js";
import { captureStream, metricsRows, regressionProgram, regressionRun, SEEDS, STEPS } from "./experiment-fixture.js";

let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "dync-experiment-"));
  await selectBackend("cpu");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const quietRun = (name: string) => ({ backend: "cpu" as const, outDir: join(root, name), quiet: true, stdout: captureStream(), stderr: captureStream() });
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest & { expects?: ExpectOutcome[] };

/** Float64 loss of seed `seed`'s freshly initialised width-`width` relu net on the 21-point grid of x². */
function initialGridLoss(width: number, seed: number): number {
  const net = mlp({ inDim: 1, hidden: [width], outDim: 1, act: "relu", seeds: [seed] });
  const [w1, b1, w2, b2] = ["hidden0.weight", "hidden0.bias", "out.weight", "out.bias"].map((p) => seedSlice(net, p, 0).values);
  net.dispose();
  let sum = 0;
  for (let i = 0; i < 21; i++) {
    const x = Math.fround(-1 + (2 * i) / 20);
    let y = b2![0]!;
    for (let j = 0; j < width; j++) y += Math.max(0, x * w1![j]! + b1![j]!) * w2![j]!;
    sum += (y - Math.fround(x * x)) ** 2;
  }
  return sum / 21;
}

describe("runExperiment on the cpu backend", () => {
  let outcome: Awaited<ReturnType<typeof runExperiment>>;
  beforeAll(async () => {
    outcome = await runExperiment(regressionProgram([4, 8, 16].map((w) => regressionRun(w))), quietRun("sweep"));
  });

  it("trains every run and writes a run directory whose manifest says ok", () => {
    expect(outcome.exitCode).toBe(0);
    expect(outcome.status).toBe("ok");
    expect(outcome.backend.name).toBe("cpu");
    const manifest = readManifest(outcome.dir);
    expect(manifest.status).toBe("ok");
    expect(manifest.runs.map((r) => [r.run, r.status, r.seeds])).toEqual([
      ["width=4", "ok", SEEDS],
      ["width=8", "ok", SEEDS],
      ["width=16", "ok", SEEDS],
    ]);
    expect(manifest.sweepAxes).toEqual(["width"]);
    expect(manifest.backend.name).toBe("cpu");
    expect(outcome.results.totalSteps).toEqual({ "width=4": STEPS, "width=8": STEPS, "width=16": STEPS });
  });

  it("keeps the same measurements in memory and in metrics.jsonl", () => {
    const onDisk = metricsRows(outcome.dir).map((r) => [r["run"], r["seed"], r["width"], r["step"], r["epoch"], r["probe"], r["value"]]);
    const inMemory = outcome.results.rows.map((r) => [r.run, r.seed, r.point["width"], r.step, r.epoch, r.probe, r.value]);
    expect(onDisk).toEqual(inMemory);
    // 3 runs × 3 seeds × (2 final_loss + 4 train_loss (steps 0, 10, 20, 30; none at end) + 1 weight_norm)
    expect(inMemory).toHaveLength(3 * 3 * 7);
    const tlSteps = new Set(outcome.results.rows.filter((r) => r.probe === "tl").map((r) => r.step));
    expect([...tlSteps]).toEqual([0, 10, 20, 30]);
  });

  it("records the untrained loss as a float64 forward pass of the same initialisation computes it", () => {
    for (const width of [4, 16]) {
      for (const seed of SEEDS) {
        const row = outcome.results.rows.find((r) => r.run === `width=${width}` && r.seed === seed && r.probe === "final_loss" && r.step === 0)!;
        expect(row.value).toBeCloseTo(initialGridLoss(width, seed), 5);
      }
    }
  });

  it("trains: the test loss at the end is below the loss at the start for every run and seed", () => {
    const at = (run: string, seed: number, step: number) =>
      outcome.results.rows.find((r) => r.run === run && r.seed === seed && r.probe === "final_loss" && r.step === step)!.value;
    for (const run of ["width=4", "width=8", "width=16"]) for (const seed of SEEDS) expect(at(run, seed, STEPS)).toBeLessThan(at(run, seed, 0));
  });
});

describe("divergence and failures", () => {
  it("marks a run whose training diverges (lr = 1e6) and completes the others", async () => {
    const runs = [regressionRun(4), regressionRun(8, { kind: "sgd", lr: 1e6 }), regressionRun(16)];
    const options = quietRun("diverging");
    const outcome = await runExperiment(regressionProgram(runs), options);
    expect(outcome.exitCode).toBe(3); // a run diverged: exit 3, whatever the expects say
    expect(outcome.status).toBe("diverged");
    const manifest = readManifest(outcome.dir);
    expect(manifest.runs.map((r) => r.status)).toEqual(["ok", "diverged", "ok"]);
    expect(manifest.runs[1]!.message).toMatch(/3 of 3 seeds diverged/);
    expect(manifest.status).toBe("diverged");
    expect(options.stderr.text()).toMatch(/run width=8: 3 of 3 seeds diverged/);
    // The healthy runs were measured to the end; the diverged one has NaN there (experiment-divergence.test.ts).
    const ends = outcome.results.rows.filter((r) => r.probe === "final_loss" && r.step === STEPS);
    expect(ends.map((r) => r.run)).toEqual(["width=4", "width=4", "width=4", "width=8", "width=8", "width=8", "width=16", "width=16", "width=16"]);
    expect(ends.map((r) => Number.isFinite(r.value))).toEqual([true, true, true, false, false, false, true, true, true]);
    // Every seed of the diverged run diverged before the end, so the run stopped early.
    const divergedSteps = outcome.runs[1]!.diverged.map((d) => d.step);
    expect(Math.max(...divergedSteps)).toBeLessThan(STEPS);
  });

  it("records a run that fails (a probe naming an unknown data set) as failed and runs the rest", async () => {
    const broken = regressionRun(8, undefined, {
      probes: [{ name: "bad", probe: "loss", args: { model: { ref: "net" }, data: { ref: "valid" } }, cadences: [{ kind: "at", points: ["end"] }], line: 7 }],
    });
    const options = quietRun("failing");
    const outcome = await runExperiment(regressionProgram([regressionRun(4), broken]), options);
    expect(outcome.exitCode).toBe(3); // a run failed
    expect(outcome.runs.map((r) => r.status)).toEqual(["ok", "failed"]);
    expect(outcome.runs[1]!.message).toBe('RUN040: probe bad (line 7): argument data names "valid", which the run does not define');
    expect(options.stderr.text()).toContain('error RUN040: probe bad (line 7): argument data names "valid"');
    expect(readManifest(outcome.dir).runs[1]!.status).toBe("failed");
  });

  it("rejects an unknown profile with a clear error naming the profiles", async () => {
    const error = await runExperiment(regressionProgram([regressionRun(4)]), { ...quietRun("noprofile"), profile: "fast" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DyncRuntimeError);
    expect((error as DyncRuntimeError).render()).toBe('error RUN040: experiment square has no profile "fast"\n  hint: profiles: default, quick');
  });
});

describe("memory", () => {
  it("leaves no tensors behind: the count is the same before and after a three-run experiment", async () => {
    const program = regressionProgram([4, 8, 16].map((w) => regressionRun(w)));
    await runExperiment(program, { ...quietRun("warmup"), profile: "quick" }); // one-time backend state
    const before = tf.memory().numTensors;
    await runExperiment(program, quietRun("memory"));
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** A real evaluation of `final_loss(end) < final_loss(start)` for every run and seed, standing in for runtime/analysis. */
function lossDecreasedEvaluator(plan: ProfilePlan, results: ResultTable) {
  const expects = plan.expects.map((spec: ExpectSpec) => {
    const pairs = results.rows.filter((r) => r.probe === "final_loss" && r.step === 0).map((start) => {
      const end = results.rows.find((r) => r.run === start.run && r.seed === start.seed && r.probe === "final_loss" && r.step === results.totalSteps[r.run])!;
      return end.value / start.value;
    });
    const worst = Math.max(...pairs);
    const bound = (spec.expr as { right: { value: number } }).right.value;
    return { text: spec.text, line: spec.line, passed: worst < bound, detail: `worst end/start ratio = ${worst.toFixed(3)}` };
  });
  return { analyses: new Map<string, unknown>(), expects };
}

const ratioExpect = (bound: number): ExpectSpec => ({
  text: `ratio < ${bound}`,
  line: 20,
  expr: { op: "compare", fn: "<", left: { op: "let", name: "ratio" }, right: { op: "number", value: bound } },
});

describe("runMain", () => {
  const main = (program: ReturnType<typeof regressionProgram>, argv: string[]) => {
    const stdout = captureStream();
    const stderr = captureStream();
    return runMain(program, argv, { stdout, stderr, evaluator: lossDecreasedEvaluator }).then((code) => ({ code, stdout: stdout.text(), stderr: stderr.text() }));
  };

  it("returns 2 with the usage for an unknown flag, a missing value, a bad backend or an unknown profile", async () => {
    const program = regressionProgram([regressionRun(4)]);
    for (const [argv, message] of [
      [["--fast"], 'error: unknown option "--fast"'],
      [["--out"], "error: --out needs a value"],
      [["--backend", "tpu"], 'error: unknown backend "tpu"'],
      [["--profile", "nope"], 'error RUN040: experiment square has no profile "nope"'],
    ] as const) {
      const { code, stderr } = await main(program, [...argv]);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
      expect(stderr).toContain("usage: node <program>");
    }
  });

  it("returns 0 when every expect holds and prints it with a check mark", async () => {
    const dir = join(root, "main-pass");
    const { code, stdout } = await main(regressionProgram([regressionRun(4)], [ratioExpect(1)]), ["--profile", "quick", "--backend=cpu", "--out", dir, "--quiet"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backend: cpu — @tensorflow\/tfjs-backend-cpu 4\.22\.0$/m);
    expect(stdout).toMatch(/^✓ expect ratio < 1 {2}\(worst end\/start ratio = 0\.\d+\)$/m);
    const manifest = readManifest(dir);
    expect(manifest.expects).toEqual([expect.objectContaining({ text: "ratio < 1", line: 20, passed: true })]);
    expect((manifest.source as { profile: string }).profile).toBe("quick");
  });

  it("returns 1 when an expect fails and marks it with a cross", async () => {
    const { code, stdout } = await main(regressionProgram([regressionRun(4)], [ratioExpect(0)]), ["--profile", "quick", "--backend", "cpu", "--out", join(root, "main-fail"), "--quiet"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^✗ expect ratio < 0 {2}\(/m);
  });

  it("evaluates expects with runtime/analysis by default", async () => {
    const series = { op: "probe", name: "final_loss" } as const;
    const decreased: ExpectSpec = {
      text: "last(final_loss) < first(final_loss)",
      line: 21,
      expr: { op: "compare", fn: "<", left: { op: "reduce", fn: "last", arg: series, over: ["steps"] }, right: { op: "reduce", fn: "first", arg: series, over: ["steps"] } },
    };
    const stdout = captureStream();
    const dir = join(root, "main-analysis");
    const code = await runMain(regressionProgram([regressionRun(4)], [decreased]), ["--profile", "quick", "--backend", "cpu", "--out", dir, "--quiet"], { stdout, stderr: captureStream() });
    expect(code).toBe(0);
    expect(stdout.text()).toMatch(/^✓ expect last\(final_loss\) < first\(final_loss\)/m);
    expect(readManifest(dir).expects![0]!.passed).toBe(true);
  });

  it("returns 2 (an input error) with `error RUN030` and no stack trace when the run directory is taken", async () => {
    const dir = join(root, "main-pass"); // holds a run already
    const { code, stderr } = await main(regressionProgram([regressionRun(4)]), ["--profile", "quick", "--backend", "cpu", "--out", dir, "--quiet"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error RUN030: the run directory .* already holds a run/m);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("prints one progress line per run when not on a terminal", async () => {
    const { code, stderr } = await main(regressionProgram([4, 8].map((w) => regressionRun(w))), ["--backend", "cpu", "--out", join(root, "main-progress")]);
    expect(stderr).not.toContain("error");
    expect(code).toBe(0);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^width=4 done: 40 steps in \d+s \(.* steps\/s\) batch loss median \d/);
    expect(lines[1]).toMatch(/^width=8 done: 40 steps/);
  });
});

