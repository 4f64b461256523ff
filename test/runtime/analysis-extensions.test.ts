/**
 * The extension points phenomenon libraries build on: per-unit probes (an extra index dimension in the
 * results) and library analysis functions (`{ op: "fn" }`), end to end from `.dyn` source to tables.
 */
import { describe, expect, it } from "vitest";
import { evaluate, ResultEnv, type AnalysisFunction, type Table } from "../../runtime/analysis/index.js";
import type { ResultRow } from "../../runtime/analysis/results.js";
import type { ProfilePlan, RunSpec } from "../../contract/program.js";
import { checkSource } from "../../compiler/check/index.js";

// A test-only analysis: the number of rows of its argument per remaining group, and its option `scale`.
const testRowsTimes: AnalysisFunction = (args, options, over) => {
  const table = args[0]!;
  const keep = table.dims.filter((d) => !over.includes(d));
  const groups = new Map<string, { key: Record<string, unknown>; n: number }>();
  for (const r of table.rows) {
    const key = Object.fromEntries(keep.map((d) => [d, r.key[d]]));
    const id = JSON.stringify(key);
    const g = groups.get(id) ?? { key, n: 0 };
    g.n++;
    groups.set(id, g);
  }
  return { dims: keep, rows: [...groups.values()].map((g) => ({ key: g.key as never, value: g.n * Number(options["scale"]) })) };
};

function plan(probes: RunSpec["probes"]): ProfilePlan {
  return { seeds: [0, 1], runs: [{ id: "run", point: {}, probes, events: [] } as unknown as RunSpec], analyses: [], expects: [], plots: [] };
}

describe("per-unit probe results", () => {
  // neuron k of seed s at step t has value 100·s + 10·t + k: every cell traceable.
  const rows: ResultRow[] = [];
  for (const seed of [0, 1]) for (const step of [0, 1]) for (let k = 0; k < 3; k++) {
    rows.push({ run: "run", point: {}, seed, step, epoch: step, probe: "feats.angle", value: 100 * seed + 10 * step + k, index: { neuron: k } });
  }
  const env = new ResultEnv(plan([{ name: "feats", probe: "neuron_features", fields: ["angle"], index: "neuron", args: {}, cadences: [], line: 1 }]), {
    sweepVars: [],
    seeds: [0, 1],
    rows,
    totalSteps: { run: 1 },
  }, new Map([["test_rows_times", testRowsTimes]]));

  it("have the index as a dimension after seeds and steps", () => {
    const t = env.probe("feats.angle");
    expect(t.dims).toEqual(["seeds", "steps", "neuron"]);
    expect(t.rows).toHaveLength(12);
    expect(t.rows.find((r) => r.key["seeds"] === 1 && r.key["steps"] === 1 && r.key["neuron"] === 2)?.value).toBe(112);
  });

  it("reduce over the index like any dimension: mean over neurons = 100·s + 10·t + 1", () => {
    const t = evaluate({ op: "reduce", fn: "mean", arg: { op: "probe", name: "feats.angle" }, over: ["neuron"] }, env);
    expect(t.dims).toEqual(["seeds", "steps"]);
    expect(t.rows.map((r) => r.value)).toEqual([1, 11, 101, 111]);
  });

  it("dispatch library analysis functions with their options", () => {
    const t: Table = evaluate({ op: "fn", name: "test_rows_times", args: [{ op: "probe", name: "feats.angle" }], options: { scale: 2 }, over: ["neuron", "steps"] }, env);
    expect(t.dims).toEqual(["seeds"]);
    expect(t.rows.map((r) => r.value)).toEqual([12, 12]);
  });
});

describe("the compiler lowers analyses of probes", () => {
  it("lowers `quantile(l, q: 0.5) over seeds` to a reduce with its level", () => {
    const src = `experiment e {
  data train = grid(x in [-1, 1], n: 5) -> x^2
  model net = mlp(hidden: [4])
  optimizer gd(lr: 0.1)
  train 3 steps
  probe l = loss(net, train) at end
  let a = quantile(l, q: 0.5) over seeds
  expect a < 10
}`;
    const r = checkSource(src, "e.dyn");
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.experiments[0]!.profiles["default"]!.analyses[0]!.expr).toEqual({ op: "reduce", fn: "quantile", arg: { op: "probe", name: "l" }, over: ["seeds"], q: 0.5 });
  });
});
