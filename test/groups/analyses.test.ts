/**
 * `diff`, `top_k`, `bottom_k` against hand-computed tables, and the opposing-signal analyses of a recorded
 * per-sample loss evaluated through the analysis IR against numpy-style float64 computations here:
 * Δᵢ(t) = ℓᵢ(t) − ℓᵢ(t−1), the fraction of points with Δᵢ > 0 per step (`mean(diff(psl) > 0) over point`),
 * the top-k set at one step and the group's mean loss (`(sum(psl * up) over point) / k`).
 */
import { describe, expect, it } from "vitest";
import type { AnalysisExpr } from "../../contract/program.js";
import { evaluate } from "../../runtime/analysis/evaluate.js";
import type { AnalysisEnv } from "../../runtime/analysis/source.js";
import type { Table } from "../../runtime/analysis/table.js";
import { analysisFunctions, analysisImplementations } from "../../stdlib/implementations.js";
import { Rng } from "../../runtime/rng.js";

const call = (name: string, table: Table, options: Record<string, number>, over: string[]) => analysisImplementations.get(name)!.call([table], options, over);

describe("diff", () => {
  it("is each measurement minus the one before, per series, in step order (rows may come in any order)", () => {
    const rows = [
      { key: { seeds: 0, steps: 10, point: 0 }, value: 4 },
      { key: { seeds: 0, steps: 0, point: 0 }, value: 1 },
      { key: { seeds: 0, steps: 20, point: 0 }, value: 2 },
      { key: { seeds: 0, steps: 0, point: 1 }, value: 5 },
      { key: { seeds: 0, steps: 10, point: 1 }, value: 5 },
    ];
    const out = call("diff", { dims: ["seeds", "steps", "point"], rows }, {}, ["steps"]);
    expect(out.dims).toEqual(["seeds", "steps", "point"]);
    expect(out.rows).toEqual([
      { key: { seeds: 0, steps: 10, point: 0 }, value: 3 },
      { key: { seeds: 0, steps: 20, point: 0 }, value: -2 },
      { key: { seeds: 0, steps: 10, point: 1 }, value: 0 },
    ]);
    expect(call("diff", { dims: ["seeds", "steps", "point"], rows }, {}, [])).toEqual(out);
    expect(() => call("diff", { dims: ["seeds", "steps", "point"], rows }, {}, ["point"])).toThrow(/runs over steps, not over point/);
  });
});

describe("top_k and bottom_k", () => {
  const rows = [3, -1, 7, NaN, 7, 0].map((value, point) => ({ key: { seeds: 0, point }, value }));
  it("mark the k largest / smallest points with 1 per group, ties to the earlier point, NaN never", () => {
    const top = call("top_k", { dims: ["seeds", "point"], rows }, { k: 2 }, ["point"]);
    expect(top.dims).toEqual(["seeds", "point"]);
    expect(top.rows.map((r) => r.value)).toEqual([0, 0, 1, 0, 1, 0]);
    expect(call("top_k", { dims: ["seeds", "point"], rows }, { k: 3 }, ["point"]).rows.map((r) => r.value)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(call("bottom_k", { dims: ["seeds", "point"], rows }, { k: 2 }, ["point"]).rows.map((r) => r.value)).toEqual([0, 1, 0, 0, 0, 1]);
    expect(call("top_k", { dims: ["seeds", "point"], rows }, { k: 10 }, ["point"]).rows.map((r) => r.value)).toEqual([1, 1, 1, 0, 1, 1]);
    expect(() => call("top_k", { dims: ["seeds", "point"], rows }, { k: 2 }, [])).toThrow(/top_k\(x, k: 2\) over point/);
  });
});

describe("peak_step", () => {
  it("is the step of each series' largest value, the earliest on ties, NaN skipped, NaN when nothing is left", () => {
    // seed 0: values 1, 5, NaN, 5, 2 at steps 0, 10, 20, 30, 40 (rows out of order): the first 5, step 10
    // seed 1: a NaN-only series; seed 2: its largest value, 9, at its last step 40
    const series: Record<number, number[]> = { 0: [1, 5, NaN, 5, 2], 1: [NaN, NaN, NaN, NaN, NaN], 2: [-3, -1, 0, 2, 9] };
    const rows = [4, 2, 0, 3, 1].flatMap((t) => [0, 1, 2].map((seeds) => ({ key: { seeds, steps: 10 * t }, value: series[seeds]![t]! })));
    const out = call("peak_step", { dims: ["seeds", "steps"], rows }, {}, []);
    expect(out.dims).toEqual(["seeds"]);
    expect(Object.fromEntries(out.rows.map((r) => [r.key["seeds"], r.value]))).toEqual({ 0: 10, 1: NaN, 2: 40 });
    expect(() => call("peak_step", { dims: ["seeds"], rows: [{ key: { seeds: 0 }, value: 1 }] }, {}, [])).toThrow(/peak_step needs a series over steps/);
  });

  it("finds the step of the largest rise of a loss through diff, as numpy's argmax of np.diff does", () => {
    const loss = [0.5, 0.4, 0.41, 0.3, 0.38, 0.2, 0.35, 0.1];
    // np.argmax(np.diff(loss)) = 5 (0.2 → 0.35, +0.15): the rise that ends at index 6, i.e. step 6 * 25
    const table: Table = { dims: ["seeds", "steps"], rows: loss.map((value, t) => ({ key: { seeds: 0, steps: 25 * t }, value })) };
    const d = call("diff", table, {}, ["steps"]);
    expect(call("peak_step", d, {}, []).rows).toEqual([{ key: { seeds: 0 }, value: 150 }]);
  });
});

describe("opposing-signal analyses of a per-sample loss", () => {
  // A recorded per_sample_loss: 2 seeds × 6 steps × 9 points of random losses.
  const rng = new Rng(5);
  const S = 2, T = 6, N = 9, K = 3;
  const loss = Array.from({ length: S }, () => Array.from({ length: T }, () => Array.from({ length: N }, () => rng.uniform())));
  const psl: Table = { dims: ["seeds", "steps", "point"], rows: loss.flatMap((perStep, s) => perStep.flatMap((perPoint, t) => perPoint.map((value, point) => ({ key: { seeds: s, steps: 10 * t, point }, value })))) };
  const lets = new Map<string, Table>();
  const env: AnalysisEnv = { probe: () => psl, analysis: (name) => lets.get(name)!, totalSteps: () => 10 * (T - 1), functions: analysisFunctions };
  const probe: AnalysisExpr = { op: "probe", name: "psl" };
  const d: AnalysisExpr = { op: "fn", name: "diff", args: [probe], options: {}, over: ["steps"] };
  const valueAt = (t: Table, key: Record<string, number>) => t.rows.find((r) => Object.entries(key).every(([k, v]) => r.key[k] === v))?.value;

  it("gives the fraction of points whose loss rose at each step", () => {
    const rising = evaluate({ op: "reduce", fn: "mean", over: ["point"], arg: { op: "compare", fn: ">", left: d, right: { op: "number", value: 0 } } }, env);
    expect(rising.dims).toEqual(["seeds", "steps"]);
    for (let s = 0; s < S; s++) {
      for (let t = 1; t < T; t++) {
        const expected = loss[s]![t]!.filter((v, i) => v - loss[s]![t - 1]![i]! > 0).length / N;
        expect(valueAt(rising, { seeds: s, steps: 10 * t })).toBe(expected);
      }
    }
  });

  it("finds the k points whose loss rose most at a step and follows their mean loss", () => {
    // up = top_k(last(d before 31 steps), k: 3) over point: the rises at step 30.
    const up = evaluate({ op: "fn", name: "top_k", args: [{ op: "reduce", fn: "last", over: ["steps"], arg: { op: "time", relation: "before", arg: d, at: { step: 31 } } }], options: { k: K }, over: ["point"] }, env);
    lets.set("up", up);
    const groupLoss = evaluate({ op: "arith", fn: "/", left: { op: "reduce", fn: "sum", over: ["point"], arg: { op: "arith", fn: "*", left: probe, right: { op: "let", name: "up" } } }, right: { op: "number", value: K } }, env);
    for (let s = 0; s < S; s++) {
      const rise = loss[s]![3]!.map((v, i) => v - loss[s]![2]![i]!);
      const chosen = rise.map((_, i) => i).sort((a, b) => rise[b]! - rise[a]!).slice(0, K);
      for (let i = 0; i < N; i++) expect(valueAt(up, { seeds: s, point: i })).toBe(chosen.includes(i) ? 1 : 0);
      for (let t = 0; t < T; t++) expect(valueAt(groupLoss, { seeds: s, steps: 10 * t })).toBeCloseTo(chosen.reduce((a, i) => a + loss[s]![t]![i]!, 0) / K, 14);
    }
  });
});
