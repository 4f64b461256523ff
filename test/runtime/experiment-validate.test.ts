/**
 * Hand-written programs (the JavaScript API, `runMain(program)`) are validated against the same registry
 * schemas as `dync check`, before the backend starts or a run directory exists.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { OptimizerSpec } from "../../runtime/optim.js";
import type { ExperimentProgram, ProbeSpec, RunPatch, RunSpec } from "../../contract/program.js";
import { runMain } from "../../runner/index.js";
import { runArgProblems } from "../../runner/validate-args.js";
import { captureStream, probes, regressionProgram, regressionRun } from "./experiment-fixture.js";

const root = mkdtempSync(join(tmpdir(), "dync-validate-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const withOptimizer = (optimizer: Record<string, unknown>, over: Partial<RunSpec> = {}) => regressionRun(4, optimizer as unknown as OptimizerSpec, over);

describe("runMain on a hand-written program", () => {
  it("fails with RUN040 naming run, entry and argument for adam beta1 = 1, before training", async () => {
    const out = join(root, "beta1");
    const stdout = captureStream();
    const stderr = captureStream();
    const program = regressionProgram([regressionRun(4), withOptimizer({ kind: "adam", lr: 0.01, beta1: 1 }, { id: "width=8" })]);
    const code = await runMain(program, ["--backend", "cpu", "--out", out, "--quiet"], { stdout, stderr });
    expect(code).toBe(2); // an input error: nothing trained
    expect(stderr.text()).toBe("error RUN040: run width=8: optimizer: `beta1` of `adam` must be a number in [0, 1), not 1\n");
    // Nothing ran: no backend line, no run directory, not even the valid first run.
    expect(stdout.text()).toBe("");
    expect(existsSync(out)).toBe(false);
  });
});

describe("runMain on a hand-written plan template", () => {
  // A template's base can be valid while a patch is not: validation sees the expanded runs.
  const template = (points: RunPatch[], axis: number[] = [4, 8]): ExperimentProgram => {
    const { id: _id, point: _point, ...base } = regressionRun(4);
    const program = regressionProgram([regressionRun(4)]);
    return { ...program, profiles: { default: { seeds: [0, 1], axes: [{ width: axis }], base, points, analyses: [], expects: [], plots: [] } } };
  };

  it("fails with RUN040 naming the run whose patch breaks a rule, before training", async () => {
    const out = join(root, "template-beta1");
    const stdout = captureStream();
    const stderr = captureStream();
    const code = await runMain(template([{}, { optimizer: { beta1: 1 } }]), ["--backend", "cpu", "--out", out, "--quiet"], { stdout, stderr });
    expect(code).toBe(2); // an input error: nothing trained
    expect(stderr.text()).toBe("error RUN040: run width=8: optimizer: `beta1` of `adam` must be a number in [0, 1), not 1\n");
    expect(stdout.text()).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  it("fails with RUN040 when the patches do not match the axes", async () => {
    const stderr = captureStream();
    const code = await runMain(template([{}, {}], [4, 8, 16]), ["--backend", "cpu", "--out", join(root, "template-count"), "--quiet"], { stdout: captureStream(), stderr });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/^error RUN040: experiment square, profile default: plan template: the axes give 3 sweep points but 2 patches are listed\n/);
  });
});

describe("runArgProblems", () => {
  it("accepts the fixture's runs and the compiler's null-for-default convention", () => {
    expect(runArgProblems(regressionRun(4))).toEqual([]);
    expect(runArgProblems(withOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weight_decay: null }))).toEqual([]);
  });

  it("applies the entry's rules, which only the registry knows", () => {
    expect(runArgProblems(withOptimizer({ kind: "sgd", lr: 0.1, nesterov: true }))).toEqual([
      "run width=4: optimizer: `sgd`: `nesterov: true` needs `momentum` > 0 (as in PyTorch)",
    ]);
    expect(runArgProblems(withOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: true, dampening: 0.5 }))).toEqual([
      "run width=4: optimizer: `sgd`: `nesterov: true` needs `dampening: 0` (as in PyTorch)",
    ]);
  });

  it("names renamed lowered fields by their .dyn name and reports unknown ones", () => {
    expect(runArgProblems(withOptimizer({ kind: "sgd", lr: 0.1, weight_decay: -0.5 }))).toEqual([
      "run width=4: optimizer: `weight_decay` of `sgd` must be a number ≥ 0, not -0.5",
    ]);
    expect(runArgProblems(withOptimizer({ kind: "adam", lr: 0.1, beta_1: 0.5 }))).toEqual(["run width=4: optimizer: `adam` has no parameter `beta_1`"]);
    expect(runArgProblems(withOptimizer({ kind: "adamx", lr: 0.1 }))).toEqual([
      'run width=4: optimizer: unknown optimizer "adamx" (known: gd, sgd, adam, adamw, sign_sgd)',
    ]);
  });

  it("checks data sources, the mlp's encoding and phase init, whose specs carry the .dyn names", () => {
    const gratings = { source: "gratings", n: 8, size: 6, channels: 1, classes: 4, cycles: 2, noise: 0.25, normalize: "unit", phase_spread: 2, perSeed: true };
    const grid = { source: "grid", axes: [{ name: "x", lo: -1, hi: 1, closedHi: true }], n: 1, target: "square", perSeed: false };
    const data = { ...regressionRun(4).data, extra: gratings, test: grid } as unknown as RunSpec["data"];
    expect(runArgProblems(regressionRun(4, undefined, { data }))).toEqual([
      "run width=4: data \"test\": `grid`: a grid over a closed interval `[lo, hi]` includes both ends, so it needs `n` ≥ 2",
      "run width=4: data \"extra\": `phase_spread` of `gratings` must be a number in [0, 1], not 2",
    ]);
    const model = { ...regressionRun(4).model, encode: { kind: "fourier", L: 0, include_input: false }, init: { kind: "phase", gamma: 1, gamma_prime: 0, alpha: 0 } } as RunSpec["model"];
    expect(runArgProblems(regressionRun(4, undefined, { model }))).toEqual([
      'run width=4: model "net": `L` of `fourier` must be a whole number ≥ 1, not 0',
      'run width=4: model "net": `alpha` of `phase` must be a number > 0, not 0',
    ]);
  });

  it("checks schedules (a warm-up's inner one too), the mlp and probe arguments", () => {
    const schedule = { kind: "warmup", steps: { steps: 10 }, then: { kind: "step_decay", every: { epochs: 0 }, factor: 0.5 } } as unknown as RunSpec["schedule"];
    expect(runArgProblems(regressionRun(4, undefined, { schedule }))).toEqual([
      'run width=4: schedule: `every` of `step_decay` must be a duration like `10k steps` or `5 epochs`, not {"epochs":0}',
    ]);
    const model = { ...regressionRun(4).model, dropout: 1 } as RunSpec["model"];
    expect(runArgProblems(regressionRun(4, undefined, { model }))).toEqual(['run width=4: model "net": `dropout` of `mlp` must be a number in [0, 1), not 1']);
    const sharp: ProbeSpec = { name: "sharp", probe: "sharpness", args: { model: { ref: "net" }, data: { ref: "test" }, iters: 0 }, cadences: [], line: 9 };
    expect(runArgProblems(regressionRun(4, undefined, { probes: [...probes, sharp] }))).toEqual([
      "run width=4: probe sharp (line 9): `iters` of `sharpness` must be a whole number ≥ 1, not 0",
    ]);
  });

  it("checks the L2 term: λ ≥ 0 and `on` one of all | weights", () => {
    expect(runArgProblems(regressionRun(4, undefined, { l2: 1e-3, l2On: "weights" }))).toEqual([]);
    expect(runArgProblems(regressionRun(4, undefined, { l2: -1 }))).toEqual(["run width=4: regularize: `lambda` of `l2` must be a number ≥ 0, not -1"]);
    const biasOnly = { l2: 1e-3, l2On: "bias" } as unknown as Partial<RunSpec>;
    expect(runArgProblems(regressionRun(4, undefined, biasOnly))).toEqual(['run width=4: regularize: `on` of `l2` must be one of `all`, `weights`, not "bias"']);
  });

  it("checks a probe's pair sampler against its own entry", () => {
    const pairs = (spec: Record<string, unknown>): ProbeSpec => ({ name: "h", probe: "hamming", args: { model: { ref: "net" }, data: { ref: "test" }, pairs: spec }, cadences: [], line: 7 });
    expect(runArgProblems(regressionRun(4, undefined, { probes: [...probes, pairs({ kind: "windows", size: 8, count: 2, per: 3 })] }))).toEqual([]);
    expect(runArgProblems(regressionRun(4, undefined, { probes: [...probes, pairs({ kind: "windows", size: 1 })] }))).toEqual([
      "run width=4: probe h (line 7): pairs: `size` of `windows` must be a whole number ≥ 2, not 1",
    ]);
    expect(runArgProblems(regressionRun(4, undefined, { probes: [...probes, pairs({ kind: "between", a: [0, 1.5], b: [2, 3] })] }))).toEqual([
      "run width=4: probe h (line 7): pairs: `between`: `a` must be whole row indices with lo < hi",
    ]);
    expect(runArgProblems(regressionRun(4, undefined, { probes: [...probes, pairs({ kind: "windws" })] }))[0]).toMatch(/pairs: unknown sampler "windws" \(known: patches, /);
  });
});
