/**
 * Control runs for the reproduction examples' expects: each expect must fail when the phenomenon it checks
 * is absent, or it would pass on anything. A control is the example's `quick` profile with a small source
 * edit that removes the phenomenon (no fit, every sweep point at one regime, no condensation, a target with
 * nothing to grow towards, …); the test asserts which expects fail. The unedited quick profiles pass in
 * test/e2e/examples.test.ts. Uses the built CLI (`npm test` builds first).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";

// Every control trains an example's quick profile (some conv layers or 500 images): well under a minute
// alone, minutes on a loaded 2-core machine, where the default 60 s flaked. The limit catches a hang, it
// times nothing (as the examples' EXAMPLE_LIMIT_MS); it is this file's default, so no control is left at 60 s.
const CONTROL_LIMIT_MS = 600_000;
vi.setConfig({ testTimeout: CONTROL_LIMIT_MS });

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(tmpdir(), "dync-controls-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Each expect's text (as the run prints it) and whether it held. */
type Outcomes = Map<string, boolean>;

/**
 * Runs `examples/<example>.dyn` with every `[from, to]` edit applied (each `from` must occur exactly once,
 * so a changed example fails here instead of silently running unedited) under `profile`.
 */
function runControl(name: string, example: string, edits: readonly (readonly [string, string])[], profile = "quick"): { status: number | null; outcomes: Outcomes } {
  let source = readFileSync(join(root, "examples", `${example}.dyn`), "utf8");
  for (const [from, to] of edits) {
    expect(source.split(from).length - 1, `"${from}" occurs once in ${example}.dyn`).toBe(1);
    source = source.replace(from, to);
  }
  const file = join(scratch, `${name}.dyn`);
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, [cli, "run", file, "--profile", profile, "--out", join(scratch, name), "--quiet", "--jobs", "1"], { cwd: root, encoding: "utf8" });
  expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  const outcomes: Outcomes = new Map();
  for (const line of r.stdout.split("\n")) {
    const m = /^([✓✗]) expect (.*?) {2}\(/.exec(line);
    if (m) outcomes.set(m[2]!, m[1] === "✓");
  }
  return { status: r.status, outcomes };
}

/** The rows of a `let` in a control run's results.json, as (key → value) pairs. */
function letRows(name: string, letName: string): { key: Record<string, number>; value: number }[] {
  const results = JSON.parse(readFileSync(join(scratch, name, "results.json"), "utf8")) as { lets: { name: string; rows: { key: Record<string, number>; value: number }[] }[] };
  const found = results.lets.find((l) => l.name === letName);
  expect(found, `let ${letName} in ${name}/results.json`).toBeDefined();
  return found!.rows;
}

/** A scalar probe's value per seed at its first and its last recorded step (metrics.jsonl of a control run). */
function firstAndLast(name: string, probe: string): { first: number[]; last: number[] } {
  const rows = readFileSync(join(scratch, name, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { seed: number; step: number; probe: string; value: number })
    .filter((r) => r.probe === probe);
  const steps = rows.map((r) => r.step);
  const at = (step: number) => rows.filter((r) => r.step === step).sort((a, b) => a.seed - b.seed).map((r) => r.value);
  expect(rows.length, `probe ${probe} recorded in ${name}`).toBeGreaterThan(0);
  return { first: at(Math.min(...steps)), last: at(Math.max(...steps)) };
}

/** Asserts the run failed and exactly the `failing` expects did (all listed expects must have run). */
function expectFailures(run: { status: number | null; outcomes: Outcomes }, failing: readonly string[]): void {
  for (const f of failing) expect(run.outcomes.has(f), `expect \`${f}\` ran`).toBe(true);
  const failed = [...run.outcomes].filter(([, held]) => !held).map(([text]) => text);
  expect(failed.sort()).toEqual([...failing].sort());
  expect(run.status).toBe(1);
}

describe("phase-diagram controls", () => {
  const ntk = "slope[gamma = 0.5, gamma_prime = 0].exponent < -0.15";
  const condensed = "slope[gamma = 1.75, gamma_prime = 0].exponent > 0.15";
  const regimes = "observed == predicted";
  const fits = "last(train_l) < 0.05 * target_variance";
  const lr = "width^(2 * gamma) / (width * (width^-gamma_prime + width^gamma_prime))";
  const init = "init phase(gamma: gamma, gamma_prime: gamma_prime)";

  it("no fit (lr 1000× smaller): the regimes still match, only the fit check catches it", () => {
    expectFailures(runControl("pd-nofit", "phase-diagram", [["optimizer gd(lr: 0.1 *", "optimizer gd(lr: 1e-4 *"]]), [fits]);
  });

  it("every point trained at the NTK point (γ = ½): RD shrinks with m everywhere", () => {
    const edits = [[init, "init phase(gamma: 0.5, gamma_prime: 0)"], [lr, "width ^ 1 / (2 * width)"]] as const;
    expectFailures(runControl("pd-all-ntk", "phase-diagram", edits), [condensed, regimes]);
  });

  it("every point trained in the condensed regime (γ = 1.75): RD grows with m everywhere", () => {
    const edits = [[init, "init phase(gamma: 1.75, gamma_prime: 0)"], [lr, "width ^ 3.5 / (2 * width)"]] as const;
    expectFailures(runControl("pd-all-condensed", "phase-diagram", edits), [ntk, regimes]);
  });
});

describe("condensation-process controls", () => {
  const grows = "last(directions) > directions[steps = 1000]";
  const bounded = "max(dirs.kinks) over (seeds, steps) <= 4";
  const merged = "max(abs(dirs.merged_loss - dirs.loss)) over (seeds, steps) < 1e-6";

  it("large init (γ = ½, the linear regime): no condensation, kinks all over the domain", () => {
    const edits = [["init phase(gamma: 1.75, gamma_prime: 0)", "init phase(gamma: 0.5, gamma_prime: 0)"], ["optimizer gd(lr: 0.001 * m^2.5)", "optimizer gd(lr: 0.05)"]] as const;
    const run = runControl("cp-linear", "condensation-process", edits);
    expect(run.outcomes.get(bounded)).toBe(false);
    expect(run.status).toBe(1);
  });

  it("a target with one kink: nothing to split towards after the plateau, so no growth", () => {
    // The four-kink target as `dync fmt` lays it out (it breaks the long expression inside a call).
    const target = "-relu(x) + relu(2 * (x + 0.3)) - relu(\n    1.5 * (x - 0.4),\n  ) + relu(0.5 * (x - 0.8))";
    const run = runControl("cp-one-kink", "condensation-process", [[target, "relu(x - 0.2)"]]);
    expect(run.outcomes.get(grows)).toBe(false);
    expect(run.status).toBe(1);
  });

  it("tanh instead of relu: merging by the mean vector is not exact, so the merged-loss check fails", () => {
    const run = runControl("cp-tanh", "condensation-process", [["act: relu)", "act: tanh)"]]);
    expect(run.outcomes.get(merged)).toBe(false);
    expect(run.status).toBe(1);
  });
});

describe("lottery-histograms controls", () => {
  const multimodal = "in_range(n_modes, along: width, max: 4) >= 2";
  const unimodal = "in_range(n_modes, along: width, min: 10) == 1";
  const levels = "n_modes[width = 2] >= 3";
  const clustered = "n_clusters[width = 2] >= 2";

  it("untrained nets (1 step): the losses of random nets have one mode at every width, so no loss levels at width 2, and their parameters one blob, not clusters", () => {
    const edits = [["    train 3000 steps", "    train 1 steps"], ["step_decay(every: 1000 steps, factor: 0.2)", "step_decay(every: 1 steps, factor: 0.2)"]] as const;
    expectFailures(runControl("lh-untrained", "lottery-histograms", edits), [multimodal, levels, clustered]);
  });

  it("a width-2 net in every row: the N = 10 row is multimodal", () => {
    expectFailures(runControl("lh-narrow", "lottery-histograms", [["hidden: [width]", "hidden: [2]"]]), [unimodal]);
  });
});

describe("lottery-leaky controls", () => {
  it("every row at width 5: the loss does not fall with the sweep's width, so α > 1.5 fails", () => {
    expectFailures(runControl("ll-fixed-width", "lottery-leaky", [["hidden: [width]", "hidden: [5]"]]), ["alpha > 1.5"]);
  });
});

describe("lottery-wide controls", () => {
  const onCurve = "on_curve > 0.15";

  it("untrained (1 step): w and b stay independent", () => {
    expectFailures(runControl("lw-untrained", "lottery-wide", [["    train 1000 steps", "    train 1 steps"]]), [onCurve]);
  });

  it("the odd target x³: the neurons gather on an odd curve, which bins of |w| do not explain", () => {
    const edit = ["data train = grid(x in [-2, 2], n: 101) -> x^2", "data train = grid(x in [-2, 2], n: 101) -> x^3"] as const;
    expectFailures(runControl("lw-odd", "lottery-wide", [edit]), [onCurve]);
  });
});

describe("condensation-fashion controls", () => {
  const condensed = "early[power = -2] > 0.1";
  const spread = "early[power = -0.5] < 0.01";
  const init = "init net.layers[*] ~ fan_normal(power: power)";

  it("every point from LeCun's init: no early alignment, so the small-init expect fails", () => {
    expectFailures(runControl("cf-lecun", "condensation-fashion", [[init, "init net.layers[*] ~ fan_normal(power: -0.5)"]]), [condensed]);
  });

  it("every point from the small init: aligned pairs at both, so the LeCun expect fails", () => {
    expectFailures(runControl("cf-small", "condensation-fashion", [[init, "init net.layers[*] ~ fan_normal(power: -2)"]]), [spread]);
  });
});


describe("condensation-cnn-fashion controls", () => {
  const fits = "reached == 1";
  const condensed = "min(last(share.aligned)) over seeds > 0.3";

  it("LeCun's init: the CNN fits its images with no kernel pair aligned, so the condensation expect fails", () => {
    const edit = ["init net.layers[*] ~ fan_normal(power: -2)", "init net.layers[*] ~ fan_normal(power: -0.5)"] as const;
    expectFailures(runControl("ccf-lecun", "condensation-cnn-fashion", [edit]), [condensed]);
  }, CONTROL_LIMIT_MS);

  it("no fit (lr 1000× smaller): the fit expect fails", () => {
    const edit = ["optimizer adam(lr: 3e-3)", "optimizer adam(lr: 3e-6)"] as const;
    expectFailures(runControl("ccf-nofit", "condensation-cnn-fashion", [edit]), [fits, condensed]);
  }, CONTROL_LIMIT_MS);
});

describe("frequency-principle controls", () => {
  const firstBeforeSecond = "learned_at[frequency = 0] < learned_at[frequency = 1]";
  const secondBeforeThird = "learned_at[frequency = 1] < learned_at[frequency = 2]";

  it("random Fourier features (σ = 3) in front of the same net: it fits, every peak at once, both expects fail", () => {
    // Features sin/cos(2πBx) with B ~ N(0, 3²) cycles per unit hand the net the target's frequencies (0.5, 1.5 and
    // 2.5 cycles per unit) directly, so none is easier than another (Tancik et al. 2020): the low-first order is
    // absent while the fit is not (docs/experiments/frequency-principle.md: at step 2 the two higher peaks are ahead).
    const edit = ["model net = mlp(hidden: [64, 64], act: tanh)", "model net = mlp(encode: gaussian_features(sigma: 3), hidden: [64, 64], act: tanh)"] as const;
    expectFailures(runControl("fp-features", "frequency-principle", [edit]), [firstBeforeSecond, secondBeforeThird]);
    // The right reason: every peak converged, at one and the same probe step (not NaN: nothing unlearned) …
    const learned = letRows("fp-features", "learned_at").map((r) => r.value);
    expect(learned).toHaveLength(3);
    expect(learned.every((v) => Number.isFinite(v) && v === learned[0])).toBe(true);
    // … while the training loss fell by orders of magnitude in every seed.
    const loss = firstAndLast("fp-features", "train_l");
    loss.last.forEach((l, s) => expect(l).toBeLessThan(1e-3 * loss.first[s]!));
  }, CONTROL_LIMIT_MS);
});

describe("frequency-principle-fashion controls", () => {
  const before16 = "learned_at[frequency = 2] < learned_at[frequency = 3]";
  const before64 = "learned_at[frequency = 2] < learned_at[frequency = 4]";

  it("nothing learned (lr 1000× smaller): no frequency converges, both order expects fail", () => {
    const edit = ["optimizer adam(lr: 1e-3)", "optimizer adam(lr: 1e-6)"] as const;
    expectFailures(runControl("fpf-none", "frequency-principle-fashion", [edit]), [before16, before64]);
  }, CONTROL_LIMIT_MS);

  it("random labels through random Fourier features (σ = 1): it memorises the images, every frequency at once, both expects fail", () => {
    // Random labels flatten the target's spectrum along the projection (a label shuffle alone does not: the plain
    // net still fits k = 1, 2, 4 first); features sin/cos(2πBx), B ~ N(0, 1) per pixel, make every image's
    // features nearly orthogonal to every other's, so no direction of input space is fitted before another.
    // docs/experiments/frequency-principle.md has both runs.
    const edits = [
      ["data train = fashion_mnist(split: train, limit: 500)", "data train = fashion_mnist(split: train, limit: 500, shuffle_labels: 1)"],
      ["model net = mlp(hidden: [200], act: relu)", "model net = mlp(encode: gaussian_features(sigma: 1), hidden: [200], act: relu)"],
    ] as const;
    expectFailures(runControl("fpf-random", "frequency-principle-fashion", edits), [before16, before64]);
    // The right reason: every listed frequency converged (no NaN), none of k = 16, 64 after k = 4 …
    const learned = new Map(letRows("fpf-random", "learned_at").map((r) => [r.key["frequency"]!, r.value]));
    [0, 1, 2, 3, 4].forEach((k) => expect(Number.isFinite(learned.get(k)), `learned_at[frequency = ${k}]`).toBe(true));
    expect(learned.get(3)!).toBeLessThanOrEqual(learned.get(2)!);
    expect(learned.get(4)!).toBeLessThanOrEqual(learned.get(2)!);
    // … while the net learns: the random labels are memorised in every seed.
    const acc = firstAndLast("fpf-random", "acc");
    acc.first.forEach((a) => expect(a).toBeLessThan(0.3));
    acc.last.forEach((a) => expect(a).toBe(1));
  }, CONTROL_LIMIT_MS);
});
