/**
 * `every 25%`: a probe measured periodically at a share of training. The checker keeps the share
 * (`{ kind: "every", fraction }`), so a profile or a command line that changes `train` moves the points with
 * it; the runtime measures at ⌈k·f·T⌉ for k = 0, 1, … (step 0 included, as `every N steps` includes it),
 * each step once, rounding each point as `at k·f` does (contract/training-specs.ts everyShareSteps).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { emitModule } from "../../compiler/emit/emit.js";
import { everySharePoints, everyShareSteps, type Cadence, type CadencePoint } from "../../contract/training-specs.js";
import { CadenceScheduler } from "../../runtime/train/cadence.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");

const SOURCE = (probe: string, train = "200 steps") => `experiment e {
  seeds 1
  data train = grid(x in [-1, 1], n: 16) -> x^2
  model net = mlp(hidden: [2], act: tanh)
  optimizer sgd(lr: 0.05)
  train ${train}, batch full
  ${probe}
  profile quick { train 7 steps }
}`;

function check(probe: string, train?: string) {
  const result = checkSource(SOURCE(probe, train), "every-percent.dyn");
  return { result, diagnostics: result.diagnostics.map((d) => [d.severity, d.code, d.message]), profiles: result.experiments[0]?.profiles };
}

/** The steps at which the probe `w`, with these cadences, is scheduled in a run of `totalSteps`. */
function scheduled(cadence: Cadence | readonly Cadence[], totalSteps: number, stepsPerEpoch = 1): number[] {
  const s = new CadenceScheduler([{ name: "w", cadence }], [], { totalSteps, stepsPerEpoch, seeds: 1 });
  return Array.from({ length: totalSteps + 1 }, (_, k) => k).filter((k) => s.scheduledAt(k).includes("w"));
}

const every = (percent: number): Cadence => ({ kind: "every", fraction: percent / 100 });

describe("every 25%: checked", () => {
  it("is kept as a share, the same in a profile that trains for another length, and combines with `at`", () => {
    const { diagnostics, profiles } = check("probe w = weight_norm(net) every 25%, at start, at 3");
    expect(diagnostics).toEqual([]);
    for (const name of ["default", "quick"]) {
      const w = profiles![name]!.runs[0]!.probes.find((p) => p.name === "w")!;
      expect(w.cadences).toEqual([{ kind: "every", fraction: 0.25 }, { kind: "at", points: ["start"] }, { kind: "at", points: [{ step: 3 }] }]);
    }
    expect(profiles!["quick"]!.runs[0]!.duration).toEqual({ steps: 7 });
  });

  it("takes a share from a sweep or a let, per run", () => {
    const { diagnostics, profiles } = check("let half = 50%\n  sweep share in [20%, 25%]\n  probe w = weight_norm(net) every share\n  probe v = weight_norm(net) every half");
    expect(diagnostics).toEqual([]);
    expect(profiles!["default"]!.runs.map((r) => r.probes.map((p) => p.cadences))).toEqual([
      [[{ kind: "every", fraction: 0.2 }], [{ kind: "every", fraction: 0.5 }]],
      [[{ kind: "every", fraction: 0.25 }], [{ kind: "every", fraction: 0.5 }]],
    ]);
  });

  it("refuses 0%, a negative share and more than 100% with DYN2040; takes 100% and fractional shares", () => {
    const errors = (share: string) => check(`probe w = weight_norm(net) every ${share}`).diagnostics.filter(([severity]) => severity === "error");
    expect(errors("0%")).toEqual([["error", "DYN2040", "`every` takes a share of training above 0%, like `every 10%`; got 0%"]]);
    expect(errors("-10%")).toEqual([["error", "DYN2040", "`every` takes a share of training above 0%, like `every 10%`; got -10%"]]);
    expect(errors("150%")).toEqual([["error", "DYN2040", "`every` takes a share of training at most 100% (`every 100%` measures at start and end); got 150%"]]);
    expect(errors("100%")).toEqual([]);
    expect(errors("12.5%")).toEqual([]);
  });

  it("warns (DYN2108) where a share is under one step of a run counted in steps, with the measurements it gets", () => {
    // 1% of 100 steps is exactly one step: no collision, no warning. 1% of 99: 101 points on 100 steps.
    expect(check("probe w = weight_norm(net) every 1%", "100 steps").diagnostics.filter(([, , message]) => !message.includes("of 7 steps (set by profile `quick`)"))).toEqual([]);
    expect(check("probe w = weight_norm(net) every 1%", "99 steps").diagnostics).toEqual([
      ["warning", "DYN2108", "`every 1%` of 99 steps is less than one step: the probe is measured at every step, 100 times, not 101"],
      // The quick profile's 7 steps: 0.07 of a step per point, steps 0…7. The warning names who set them.
      ["warning", "DYN2108", "`every 1%` of 7 steps (set by profile `quick`) is less than one step: the probe is measured at every step, 8 times, not 101"],
    ]);
    // In epochs the step count depends on the data: no warning at compile time (the runtime measures each step once).
    expect(check("probe w = weight_norm(net) every 1%", "50 epochs").diagnostics.filter(([, , message]) => !message.includes("of 7 steps (set by profile `quick`)"))).toEqual([]);
  });

  it("DYN2108 names the profile or command line that set the step count, and only then", () => {
    const warnings = (source: string, overrides?: { profile: string; args: string[] }) =>
      checkSource(source, "every-percent.dyn", overrides ? { overrides } : {}).diagnostics.filter((d) => d.code === "DYN2108").map((d) => d.message);
    const under = (steps: number, by = "") => `\`every 1%\` of ${steps} steps${by} is less than one step: the probe is measured at every step, ${steps + 1} times, not 101`;
    // A profile that does not touch `train` runs the experiment's 99 steps: one warning, naming no profile.
    const inherits = SOURCE("probe w = weight_norm(net) every 1%", "99 steps").replace("profile quick { train 7 steps }", "profile quick { seeds 2 }");
    expect(warnings(inherits)).toEqual([under(99)]);
    // A profile's `train` always states a length (even the same one): that profile's run is then its to name.
    expect(warnings(inherits.replace("profile quick { seeds 2 }", "profile quick { train 99 steps, batch 4 }"))).toEqual([under(99), under(99, " (set by profile `quick`)")]);
    expect(warnings(SOURCE("probe w = weight_norm(net) every 1%", "200 steps"))).toEqual([under(7, " (set by profile `quick`)")]);
    // `train=50` on the command line, laid over profile quick: the command line set it.
    expect(warnings(SOURCE("probe w = weight_norm(net) every 1%", "200 steps"), { profile: "quick", args: ["train=50"] })).toEqual([under(50, " (set on the command line)")]);
  });

  it("`checkpoint every 10%` keeps the share for each run to resolve; outside (0%, 100%] is DYN2052, none written DYN2106", () => {
    const withCheckpoint = (share: string, train = "200 steps") => check(`probe w = weight_norm(net) every 10 steps\n  checkpoint every ${share}`, train);
    const { profiles, diagnostics } = withCheckpoint("10%");
    expect(diagnostics).toEqual([]);
    expect(profiles!["default"]!.runs[0]!.checkpoint).toEqual({ fraction: 0.1 });
    expect(profiles!["quick"]!.runs[0]!.checkpoint).toEqual({ fraction: 0.1 }); // the same share of its 7 steps
    expect(withCheckpoint("12.5%", "20 epochs").diagnostics).toEqual([]);
    const message = (got: string) => `\`checkpoint every\` takes a whole number of steps or epochs ≥ 1, like \`checkpoint every 500 steps\`, or a share of training above 0% and at most 100%, like \`checkpoint every 10%\`; got ${got}`;
    expect(withCheckpoint("0%").diagnostics).toEqual([["error", "DYN2052", message("0%")]]);
    expect(withCheckpoint("150%").diagnostics).toEqual([["error", "DYN2052", message("150%")]]);
    // 100% is start and end only; 60% of 7 steps is ⌈4.2⌉ = 5, inside; 90% of 1 step or of 7 (⌈6.3⌉) is the end.
    const never = (share: string, total: string) => ["warning", "DYN2106", `\`checkpoint every ${share}\` is not shorter than training (${total}): no checkpoint will be taken`];
    expect(withCheckpoint("100%").diagnostics).toEqual([never("100%", "200 steps"), never("100%", "7 steps")]);
    expect(withCheckpoint("60%").diagnostics).toEqual([]);
    expect(withCheckpoint("90%", "1 steps").diagnostics).toEqual([never("90%", "1 steps"), never("90%", "7 steps")]);
  });

  it("an event may pin the probe to a step it measures: a quarter of 200 steps, not step 40; in epochs the compiler cannot tell", () => {
    const pinned = (step: number, train: string, profile = "") => {
      const source = SOURCE(`probe l = loss(net, train) every 25%\n  probe h = weight_norm(net) at first(l < 0.5 * l[steps = ${step}])`, train).replace("profile quick { train 7 steps }", profile);
      return checkSource(source, "pin.dyn").diagnostics.filter((d) => d.severity === "error").map((d) => [d.code, d.message]);
    };
    const refused = (step: number) => [["DYN2040", `probe \`l\` is not measured at step ${step} (every 25%), so \`l[steps = ${step}]\` would never have a value`]];
    expect(pinned(50, "200 steps")).toEqual([]);
    expect(pinned(40, "200 steps")).toEqual(refused(40));
    expect(pinned(40, "160 steps")).toEqual([]);
    // A profile that trains 7 steps measures at 0, 2, 4, 6, 7: step 50 is none of them.
    expect(pinned(50, "200 steps", "profile quick { train 7 steps }")).toEqual(refused(50));
    expect(pinned(4, "200 steps", "profile quick { train 7 steps }")).toEqual(refused(4)); // the default's 200 steps
    expect(pinned(0, "200 steps", "profile quick { train 7 steps }")).toEqual([]);
    expect(pinned(40, "50 epochs")).toEqual([]);
  });

  it("emits the share into the program and its run summary", async () => {
    const file = "every-percent.dyn";
    const source = SOURCE("probe w = weight_norm(net) every 10%, at end");
    const module = await emitModule(checkSource(source, file).experiments, { file, source });
    // Both profiles' runs: the default's 200 steps and quick's 7 keep the same share.
    expect(module.match(/\{ kind: "every", fraction: 0\.1 \},\s*\{ kind: "at", points: \["end"\] \}/g)).toHaveLength(2);
    expect(module).toContain("// probes: w every 10% + at [end]");
  });
});

describe("every f: the steps of a run of T steps", () => {
  it("T = 100: every 25% → 0, 25, 50, 75, 100; 30% → 0, 30, 60, 90 (no end); 7% → multiples of 7 up to 98", () => {
    expect(scheduled(every(25), 100)).toEqual([0, 25, 50, 75, 100]);
    expect(scheduled(every(30), 100)).toEqual([0, 30, 60, 90]);
    expect(scheduled(every(7), 100)).toEqual([0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98]);
    expect(scheduled(every(100), 100)).toEqual([0, 100]);
  });

  it("T = 7: 25% → ⌈1.75⌉, ⌈3.5⌉, ⌈5.25⌉, 7; 30% → ⌈2.1⌉, ⌈4.2⌉, ⌈6.3⌉; 10% (0.7 of a step) → every step once", () => {
    expect(scheduled(every(25), 7)).toEqual([0, 2, 4, 6, 7]);
    expect(scheduled(every(30), 7)).toEqual([0, 3, 5, 7]);
    expect(scheduled(every(50), 7)).toEqual([0, 4, 7]);
    // ⌈0.7k⌉ for k = 0…10: 0 1 2 3 3 4 5 5 6 7 7.
    expect(scheduled(every(10), 7)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("T = 3: 25% → ⌈0.75⌉, ⌈1.5⌉, ⌈2.25⌉, 3; 40% → ⌈1.2⌉, ⌈2.4⌉; 50% → ⌈1.5⌉, 3", () => {
    expect(scheduled(every(25), 3)).toEqual([0, 1, 2, 3]);
    expect(scheduled(every(40), 3)).toEqual([0, 2, 3]);
    expect(scheduled(every(50), 3)).toEqual([0, 2, 3]);
    expect(scheduled(every(45), 3)).toEqual([0, 2, 3]);
    // ⌈0.9k⌉ for k = 0…3: 0 1 2 3.
    expect(scheduled(every(30), 3)).toEqual([0, 1, 2, 3]);
  });

  it("lists each step once (a share under one step) and counts its points: 0.5% of 10 steps is steps 0…10, of 201 points", () => {
    expect(everyShareSteps(0.005, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(everySharePoints(0.005)).toBe(201);
    expect(everySharePoints(0.3)).toBe(4);
    expect(everySharePoints(0.1)).toBe(11); // 10 · 0.1 is 1 exactly in floats, 3 · 0.1 is not 0.3: counted by 1/f
    expect(everyShareSteps(0.25, 0)).toEqual([0]);
  });

  it("counts in steps in a run counted in epochs (T = epochs · steps per epoch): 25% of 5 epochs of 3 steps", () => {
    expect(scheduled(every(25), 15, 3)).toEqual([0, 4, 8, 12, 15]);
  });

  it("gives the steps of the equivalent `at [start, f, 2f, …]` list, for every whole percent and some fractional ones, T = 0…250", () => {
    for (const percent of [...Array.from({ length: 100 }, (_, i) => i + 1), 0.5, 2.5, 12.5, 33.3, 66.7, 0.1]) {
      // `at k·p%` as the checker lowers it: the percentage k·p over 100.
      const points: CadencePoint[] = ["start"];
      for (let k = 1; k * percent <= 100; k++) points.push({ fraction: (k * percent) / 100 });
      for (let total = 0; total <= 250; total++) {
        expect(scheduled(every(percent), total), `every ${percent}% of ${total} steps`).toEqual(scheduled({ kind: "at", points }, total));
        // Listed once each, ascending (what dync plan counts): no step twice, also where f·T < 1.
        const steps = everyShareSteps(percent / 100, total);
        expect(steps.every((step, i) => i === 0 || step > steps[i - 1]!), `every ${percent}% of ${total} steps`).toBe(true);
      }
    }
  });

  it("`every 25%` and `at [start, 25%, 50%, 75%, 100%]`, both through the checker, probe the same steps in each profile", () => {
    const byEvery = check("probe w = weight_norm(net) every 25%").profiles!;
    const byAt = check("probe w = weight_norm(net) at [start, 25%, 50%, 75%, 100%]").profiles!;
    for (const [name, total, steps] of [["default", 200, [0, 50, 100, 150, 200]], ["quick", 7, [0, 2, 4, 6, 7]]] as const) {
      const cadences = (profiles: typeof byEvery) => profiles[name]!.runs[0]!.probes[0]!.cadences;
      expect(scheduled(cadences(byEvery), total)).toEqual(steps);
      expect(scheduled(cadences(byAt), total)).toEqual(steps);
    }
  });

  it("an event watching a probe every 25% decides at its steps and triggers its probe there, for the seeds it fires for", async () => {
    // T = 10: the watched probe runs at ⌈2.5k⌉ = 0, 3, 5, 8, 10; its value is the step, per seed halved for seed 1.
    const s = new CadenceScheduler(
      [
        { name: "l", cadence: every(25) },
        { name: "h", cadence: { kind: "on", event: "late" } },
      ],
      [{ name: "late", watch: "l", condition: (value) => (value as number[]).map((v) => v >= 4) }],
      { totalSteps: 10, stepsPerEpoch: 1, seeds: 2 },
    );
    const calls: string[] = [];
    for (let step = 0; step <= 10; step++) {
      await s.runStep(step, (probe, seeds) => {
        calls.push(`${probe}@${step}:${seeds.join("")}`);
        return [step, step / 2];
      });
    }
    // Seed 0 reaches 4 at step 5, seed 1 (step / 2) at step 8; h runs once per seed, there.
    expect(calls).toEqual(["l@0:01", "l@3:01", "l@5:01", "h@5:0", "l@8:01", "h@8:1", "l@10:01"]);
    expect(Array.from(s.firedSteps("late"))).toEqual([5, 8]);
  });

  it("a share outside (0, 1] given to the scheduler directly is RUN040", () => {
    for (const fraction of [0, -0.1, 1.5, Number.NaN]) {
      expect(() => scheduled({ kind: "every", fraction }, 10)).toThrow(DyncRuntimeError);
      expect(() => scheduled({ kind: "every", fraction }, 10)).toThrow(/"every" takes a share of training in \(0%, 100%\]/);
    }
  });
});

describe("every 25%: dync run measures at each run's own length", () => {
  let scratch: string;
  let file: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(ROOT, "test", ".every-percent-"));
    file = join(scratch, "e.dyn");
    writeFileSync(file, SOURCE("probe w = weight_norm(net) every 25%\n  probe v = weight_norm(net) every 30%, at start, at 2"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Per probe, the steps metrics.csv records (one seed). */
  function recordedSteps(...args: string[]): Record<string, number[]> {
    const out = join(scratch, `run-${args.join("-").replace(/\W+/g, "_")}`);
    const run = spawnSync(process.execPath, [CLI, "run", file, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", out, ...args], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const [header, ...rows] = readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(","));
    const [stepColumn, probeColumn] = [header!.indexOf("step"), header!.indexOf("probe")];
    const steps: Record<string, number[]> = {};
    for (const row of rows) (steps[row[probeColumn]!] ??= []).push(Number(row[stepColumn]));
    return steps;
  }

  it("dync plan counts a share's distinct steps: every 10% is 11 calls of 100 steps, 8 of the quick profile's 7", () => {
    /** The plan's training arithmetic (FLOP) with probe `l = loss(net, train)` at this cadence. */
    const flops = (cadence: string, ...args: string[]) => {
      const source = join(scratch, `plan-${cadence.replace(/\W+/g, "_")}.dyn`);
      writeFileSync(source, SOURCE(`probe l = loss(net, train) ${cadence}`, "100 steps"));
      const plan = spawnSync(process.execPath, [CLI, "plan", source, ...args], { encoding: "utf8" });
      expect(plan.status, plan.stderr + plan.stdout).toBe(0);
      return Number(/training arithmetic ≈ (\d+) FLOP/.exec(plan.stdout)![1]);
    };
    for (const [args, calls] of [[[], { 10: 11, 25: 5, 50: 3 }], [["--profile", "quick"], { 10: 8, 25: 5, 50: 3 }]] as const) {
      // Calls of every 50% as the baseline; per call, the cost the plan gives 25%'s two more calls.
      const base = flops("every 50%", ...args);
      const perCall = (flops("every 25%", ...args) - base) / (calls[25] - calls[50]);
      expect(perCall).toBeGreaterThan(0);
      expect(flops("every 10%", ...args) - base).toBe((calls[10] - calls[50]) * perCall);
      expect(flops("at [start, 25%, 50%, 75%, end]", ...args)).toBe(flops("every 25%", ...args));
    }
  }, 60_000);

  it("200 steps, the quick profile's 7, and 3 from the command line", () => {
    expect(recordedSteps()).toEqual({ w: [0, 50, 100, 150, 200], v: [0, 2, 60, 120, 180] });
    expect(recordedSteps("--profile", "quick")).toEqual({ w: [0, 2, 4, 6, 7], v: [0, 2, 3, 5, 7] });
    expect(recordedSteps("train=3")).toEqual({ w: [0, 1, 2, 3], v: [0, 1, 2, 3] });
  }, 60_000);
});
