/**
 * Plan templates by hand: the sweep points of cross products and zipped sweeps (order, ids), the patch
 * rules (objects merge, arrays by index or whole, `$delete`, `$replace`), seed ranges, explicit plans,
 * and `planTemplate` ∘ `expandPlan` giving back the runs it was made from.
 */
import { describe, expect, it } from "vitest";
import { applyPatch, compactSeeds, diff, expandPlan, planTemplate, runId, runLabel, seedValues, sweepPoints } from "../../contract/plan.js";
import type { PlanTemplate, ProfilePlan, RunBase, RunSpec } from "../../contract/program.js";
import { regressionRun } from "./experiment-fixture.js";

const results = { analyses: [], expects: [], plots: [] } as const;

function base(): RunBase {
  const { id: _id, point: _point, ...rest } = regressionRun(8);
  return rest;
}

function template(axes: PlanTemplate["axes"], points: PlanTemplate["points"]): PlanTemplate {
  return { seeds: [0, 1], axes, base: base(), points, ...results };
}

describe("sweep points", () => {
  it("a cross product runs the first axis outermost, in declaration order", () => {
    const points = sweepPoints([{ act: ["silu", "relu"] }, { width: [10, 20, 30] }]);
    expect(points.map(runId)).toEqual([
      "act=silu,width=10", "act=silu,width=20", "act=silu,width=30",
      "act=relu,width=10", "act=relu,width=20", "act=relu,width=30",
    ]);
    expect(points[4]).toEqual({ act: "relu", width: 20 });
  });

  it("a zipped sweep steps its variables together", () => {
    const points = sweepPoints([{ gamma: [0.5, 1, 1.5], gamma_prime: [2, 3, 4] }, { lr: [0.1, 0.2] }]);
    expect(points.map(runId)).toEqual([
      "gamma=0.5,gamma_prime=2,lr=0.1", "gamma=0.5,gamma_prime=2,lr=0.2",
      "gamma=1,gamma_prime=3,lr=0.1", "gamma=1,gamma_prime=3,lr=0.2",
      "gamma=1.5,gamma_prime=4,lr=0.1", "gamma=1.5,gamma_prime=4,lr=0.2",
    ]);
  });

  it("no sweep is one point, the run `run`", () => {
    expect(sweepPoints([])).toEqual([{}]);
    const plan = expandPlan(template([], [{}]));
    expect(plan.runs.map((r) => [r.id, r.point])).toEqual([["run", {}]]);
    expect(plan.runs[0]).toEqual({ id: "run", point: {}, ...base() });
  });

  it("zipped value lists of different lengths are refused", () => {
    expect(() => sweepPoints([{ a: [1, 2], b: [1] }])).toThrow(/different lengths/);
  });

  it("names, booleans and calls shown as text print into the id as written", () => {
    expect(runId({ act: "leaky_relu", bias: false, enc: "fourier(L: 3)" })).toBe("act=leaky_relu,bias=false,enc=fourier(L: 3)");
  });

  it("messages name a swept run by its point and the one run without a sweep as `the run`, not `run run`", () => {
    expect(runLabel(runId({ width: 8 }))).toBe("run width=8");
    expect(runLabel(runId({}))).toBe("the run");
  });
});

describe("expanding a template", () => {
  it("each point is the base with its patch; ids and points follow the axes", () => {
    const plan = expandPlan(template([{ width: [8, 16] }, { lr: [0.1, 0.01] }], [
      {},
      { optimizer: { lr: 0.01 } },
      { model: { hidden: [16] } },
      { model: { hidden: [16] }, optimizer: { lr: 0.01 } },
    ]));
    expect(plan.seeds).toEqual([0, 1]);
    expect(plan.runs.map((r) => r.id)).toEqual(["width=8,lr=0.1", "width=8,lr=0.01", "width=16,lr=0.1", "width=16,lr=0.01"]);
    expect(plan.runs[3]!.point).toEqual({ width: 16, lr: 0.01 });
    expect(plan.runs[3]!.model).toEqual({ ...base().model, hidden: [16] });
    expect(plan.runs[3]!.optimizer).toEqual({ kind: "adam", lr: 0.01 });
    expect(plan.runs[0]).toEqual({ id: "width=8,lr=0.1", point: { width: 8, lr: 0.1 }, ...base() });
  });

  it("runs share no objects with the base or each other", () => {
    const t = template([{ width: [8, 16] }], [{}, {}]);
    const [a, b] = expandPlan(t).runs as RunSpec[];
    (a!.model.hidden as number[])[0] = 99;
    expect(b!.model.hidden).toEqual([8]);
    expect(t.base.model.hidden).toEqual([8]);
  });

  it("a patch count that does not match the axes is refused", () => {
    expect(() => expandPlan(template([{ width: [8, 16, 32] }], [{}, {}]))).toThrow(/3 sweep points but 2 patches/);
  });

  it("seeds may be a range", () => {
    expect(seedValues({ from: 3, count: 4 })).toEqual([3, 4, 5, 6]);
    expect(expandPlan({ ...template([], [{}]), seeds: { from: 0, count: 1000 } }).seeds).toHaveLength(1000);
    expect(compactSeeds(Array.from({ length: 12 }, (_, i) => i + 5))).toEqual({ from: 5, count: 12 });
    expect(compactSeeds([0, 1, 2, 3])).toEqual([0, 1, 2, 3]); // short lists stay lists
    expect(compactSeeds([0, 1, 2, 3, 4, 5, 6, 7, 8, 10])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 10]);
  });

  it("explicit runs (a hand-written program) come back as they are", () => {
    const runs = [regressionRun(4), regressionRun(8)];
    const plan = expandPlan({ seeds: { from: 0, count: 2 }, runs, ...results });
    expect(plan.runs).toEqual(runs); // same runs, same order (producers of cross-run references would come first)
    expect(plan.seeds).toEqual([0, 1]);
  });
});

describe("patches", () => {
  it("objects merge field by field; other values replace", () => {
    expect(applyPatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { b: { d: 4 }, e: [5], f: null })).toEqual({ a: 1, b: { c: 2, d: 4 }, e: [5], f: null });
  });

  it("an object patches an array by index", () => {
    expect(applyPatch([{ a: 1 }, { a: 2 }, { a: 3 }], { 1: { a: 20 } })).toEqual([{ a: 1 }, { a: 20 }, { a: 3 }]);
    expect(() => applyPatch([1, 2], { 2: 3 })).toThrow(/outside an array of 2/);
  });

  it("`$delete` removes a field, `$replace` replaces an array by an object", () => {
    expect(applyPatch({ a: 1, schedule: { kind: "cosine" } }, { schedule: { $delete: true } })).toEqual({ a: 1 });
    expect(applyPatch({ init: [1, 2] }, { init: { $replace: { default: "kaiming" } } })).toEqual({ init: { default: "kaiming" } });
  });

  it("an object where the base has a string or nothing is the value itself", () => {
    expect(applyPatch({ init: "torch_default" }, { init: { default: "kaiming", layers: {} } })).toEqual({ init: { default: "kaiming", layers: {} } });
    expect(applyPatch({}, { schedule: { kind: "warmup", then: { kind: "constant" } } })).toEqual({ schedule: { kind: "warmup", then: { kind: "constant" } } });
  });

  it("diff writes only what differs, arrays by index when shorter", () => {
    const probes = [{ name: "a", args: { layer: 0, n: 100 } }, { name: "b", args: { layer: 1, n: 100 } }];
    const changed = [probes[0], { name: "b", args: { layer: 2, n: 100 } }];
    expect(diff({ probes, hidden: [8] }, { probes: changed, hidden: [16] })).toEqual({ probes: { 1: { args: { layer: 2 } } }, hidden: [16] });
    expect(diff({ x: [1, 2, 3] }, { x: [1, 2, 3] })).toBeUndefined();
    expect(diff({ x: Number.NaN, y: 0 }, { x: Number.NaN, y: -0 })).toEqual({ y: -0 });
    expect(diff({ a: 1, s: { k: 1 } }, { a: 1 })).toEqual({ s: { $delete: true } });
    expect(diff({ a: [1] }, { a: { k: 1 } })).toEqual({ a: { $replace: { k: 1 } } });
    // another variant of a union is written whole rather than as a patch with deletions
    const coords = { kind: "coords", range: [-1, 1], domain: [0, 1] };
    expect(diff({ model: { encode: coords } }, { model: { encode: { kind: "fourier", L: 3 } } })).toEqual({ model: { encode: { $replace: { kind: "fourier", L: 3 } } } });
    // the top level is always patched field by field
    expect(diff({ s: 1, t: 2 }, { u: 3 })).toEqual({ u: 3, s: { $delete: true }, t: { $delete: true } });
  });
});

describe("planTemplate then expandPlan gives the runs back", () => {
  it("for runs that differ in model, optimizer, schedule (present in one only), init form and probe arguments", () => {
    const at = (width: number, act: string): RunSpec => {
      const run = regressionRun(width);
      const model = { ...run.model, act: act === "silu" ? "silu" : { name: "leaky_relu", slope: 0.01 } } as RunSpec["model"];
      const init = width === 16 ? ({ default: "kaiming_uniform", layers: { out: { weight: { kind: "normal", mean: 0, std: 1 } } } } as never) : run.model.init;
      const probes = run.probes.map((p, i) => (i === 0 ? { ...p, args: { ...p.args, layer: width } } : p));
      return {
        ...run,
        id: `width=${width},act=${act}`,
        point: { width, act },
        model: { ...model, init },
        probes,
        ...(act === "silu" ? { schedule: { kind: "cosine", steps: { steps: 10 }, floor: 0 } } : {}),
      } as RunSpec;
    };
    const runs = [at(8, "silu"), at(8, "leaky"), at(16, "silu"), at(16, "leaky")];
    const plan: ProfilePlan = { seeds: Array.from({ length: 20 }, (_, i) => i), runs, ...results };
    const t = planTemplate(plan, [{ width: [8, 16] }, { act: ["silu", "leaky"] }]);
    expect(t.seeds).toEqual({ from: 0, count: 20 });
    expect(t.points[0]).toEqual({});
    expect(t.points[1]).toEqual({ model: { act: { name: "leaky_relu", slope: 0.01 } }, schedule: { $delete: true } });
    const back = expandPlan(JSON.parse(JSON.stringify(t)) as PlanTemplate);
    expect(back.runs).toStrictEqual(JSON.parse(JSON.stringify(runs)));
    expect(back.seeds).toEqual(plan.seeds);
  });
});
