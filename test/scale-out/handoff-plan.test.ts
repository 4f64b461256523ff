/**
 * The order of runs that read each other's values (contract/handoff.ts): producers first, otherwise plan order;
 * cycles found; `--shard` keeps a reader in its producer's shard; `expandPlan` applies the order.
 */
import { describe, expect, it } from "vitest";
import { orderRuns, producersOf, runCycle, shardOfRuns } from "../../contract/handoff.js";
import { expandPlan, shardRuns } from "../../contract/plan.js";
import type { ProbeSpec, RunSpec } from "../../contract/program.js";

/** A run `id` (point `{ k: id }`) whose probe reads probe `h` of each run in `reads`. */
function run(id: string, reads: string[] = []): Pick<RunSpec, "id" | "point" | "probes"> {
  const probes: ProbeSpec[] = reads.map((r, i) => ({ name: `p${i}`, probe: "project", args: { model: { ref: "net" }, along: { ref: "h", from: { k: r } } }, cadences: [], line: 1 }));
  return { id: `k=${id}`, point: { k: id }, probes };
}

describe("runs reading other runs' values", () => {
  it("know their producers (their own run excluded)", () => {
    expect(producersOf(run("a", ["b", "a", "b"]))).toEqual(["k=b"]);
  });

  it("train after their producers, the others keeping plan order", () => {
    const runs = [run("a", ["c"]), run("b"), run("c"), run("d", ["a"]), run("e")];
    expect(orderRuns(runs).map((r) => r.id)).toEqual(["k=b", "k=c", "k=a", "k=d", "k=e"]);
    const independent = [run("a"), run("b"), run("c")];
    expect(orderRuns(independent)).toEqual(independent);
  });

  it("in a cycle are named, and cannot be ordered", () => {
    const runs = [run("a", ["b"]), run("b", ["c"]), run("c", ["a"]), run("d")];
    expect(runCycle(runs)).toEqual(["k=a", "k=b", "k=c", "k=a"]);
    expect(runCycle([run("a", ["a"]), run("b", ["a"])])).toBeUndefined();
    expect(() => orderRuns(runs)).toThrow(/cycle among runs k=a, k=b, k=c/);
  });

  it("go to their producer's shard; the other runs are dealt out in turn as before", () => {
    const runs = [run("g"), run("s", ["g"]), run("m", ["g"]), run("x"), run("y", ["x"]), run("z")];
    expect(shardOfRuns(runs, 2)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(shardRuns(runs, { index: 2, count: 2 }).map((r) => r.id)).toEqual(["k=x", "k=y", "k=z"]);
    expect(shardOfRuns([run("a"), run("b"), run("c")], 2)).toEqual([1, 2, 1]);
  });

  it("are ordered by expandPlan, which every consumer of a plan calls", () => {
    const base = { ...run("unused"), data: {}, trainOn: "train", model: {}, loss: "mse", l2: 0, optimizer: {}, duration: { steps: 1 }, batch: "full", events: [] } as unknown as RunSpec;
    const { id: _id, point: _point, ...rest } = base;
    const reader = { probes: run("x", ["2"]).probes };
    const plan = expandPlan({ seeds: [0], axes: [{ k: ["1", "2"] }], base: { ...rest, probes: [] }, points: [reader, {}], analyses: [], expects: [], plots: [] } as never);
    expect(plan.runs.map((r) => r.id)).toEqual(["k=2", "k=1"]);
  });
});
