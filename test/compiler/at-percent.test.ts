/**
 * `at 25%`: a probe measured at a share of training. The checker keeps the share (`{ fraction }`), so a
 * profile that changes `train` moves the point with it; the runtime resolves it against each run's own
 * length as ⌈f·T⌉, the first step `after 25%` keeps (contract/training-specs.ts cadencePointStep).
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { cadencePointStep } from "../../contract/training-specs.js";
import { CadenceScheduler } from "../../runtime/train/cadence.js";
import { evaluate, ResultEnv } from "../../runtime/analysis/index.js";
import type { ProfilePlan, RunSpec } from "../../contract/program.js";

const SOURCE = (probe: string) => `experiment e {
  data train = grid(x in [-2, 2], n: 64) -> x^2
  model net = mlp(hidden: [8], act: tanh)
  optimizer sgd(lr: 0.1)
  train 200 steps, batch full
  ${probe}
  profile quick { train 30 steps }
}`;

function check(probe: string) {
  const result = checkSource(SOURCE(probe), "at-percent.dyn");
  return { errors: result.diagnostics.filter((d) => d.severity === "error"), profiles: result.experiments[0]?.profiles };
}

/** The steps at which the probe `w` of a run of `totalSteps` is scheduled. */
function scheduled(points: Parameters<typeof cadencePointStep>[0][], totalSteps: number): number[] {
  const s = new CadenceScheduler([{ name: "w", cadence: { kind: "at", points } }], [], { totalSteps, stepsPerEpoch: 1, seeds: 1 });
  return Array.from({ length: totalSteps + 1 }, (_, k) => k).filter((k) => s.scheduledAt(k).includes("w"));
}

describe("at 25%", () => {
  it("is checked to a fraction of training, the same in a profile that trains for another length", () => {
    const { errors, profiles } = check("probe w = weight_norm(net) at [start, 25%, 50%, end]");
    expect(errors).toEqual([]);
    for (const name of ["default", "quick"]) {
      const w = profiles![name]!.runs[0]!.probes.find((p) => p.name === "w")!;
      expect(w.cadences).toEqual([{ kind: "at", points: ["start", { fraction: 0.25 }, { fraction: 0.5 }, "end"] }]);
    }
    expect(profiles!["quick"]!.runs[0]!.duration).toEqual({ steps: 30 });
  });

  it("runs at ⌈f·T⌉ of each run's own length: 200 steps → 50 and 100, 30 steps → 8 (7.5 up) and 15", () => {
    const points = ["start" as const, { fraction: 0.25 }, { fraction: 0.5 }, "end" as const];
    expect(scheduled(points, 200)).toEqual([0, 50, 100, 200]);
    expect(scheduled(points, 30)).toEqual([0, 8, 15, 30]);
  });

  it("takes a share that rounds just above a whole step as that step (7% of 100 is step 7), 0% as step 0, 100% as the end", () => {
    expect(0.07 * 100).toBeGreaterThan(7); // the float rounding this guards against
    expect(cadencePointStep({ fraction: 0.07 }, 100, 1)).toBe(7);
    expect(cadencePointStep({ fraction: 0 }, 100, 1)).toBe(0);
    expect(cadencePointStep({ fraction: 1 }, 37, 1)).toBe(37);
    expect(cadencePointStep({ fraction: 1 / 3 }, 10, 1)).toBe(4);
  });

  it("`after 7%` keeps the step `at 7%` measures at: the same ⌈f·T⌉ (f·T = 7.000000000000001 for T = 100)", () => {
    const rows = [5, 6, 7, 8].map((step) => ({ run: "r", point: {}, seed: 0, step, epoch: 0, probe: "w", value: step }));
    const plan = { seeds: [0], runs: [{ id: "r", point: {}, probes: [{ name: "w" }], events: [] } as unknown as RunSpec], analyses: [], expects: [], plots: [] } satisfies ProfilePlan;
    const env = new ResultEnv(plan, { sweepVars: [], seeds: [0], rows, totalSteps: { r: 100 } });
    const steps = (relation: "after" | "before") => evaluate({ op: "time", relation, arg: { op: "probe", name: "w" }, at: { fraction: 0.07 } }, env).rows.map((r) => r.key["steps"]);
    expect(steps("after")).toEqual([7, 8]);
    expect(steps("before")).toEqual([5, 6]);
    expect(cadencePointStep({ fraction: 0.07 }, 100, 1)).toBe(7);
  });

  it("refuses a share outside 0–100% with DYN2040 on the points", () => {
    const { errors } = check("probe w = weight_norm(net) at 150%");
    expect(errors.map((d) => [d.code, d.message])).toEqual([["DYN2040", expect.stringContaining("between 0% (start) and 100% (end); got 150%")]]);
  });
});
