/**
 * runner/data.ts keeps the last run's data sets per program, so the runs of a sweep whose axes do not enter a data
 * set draw it once. What must hold: a later run gets exactly the data a fresh build gives (checked against a build
 * for another program object, which shares nothing), in arrays of its own, so one run's writes never reach another;
 * a spec that differs (a swept size, another seed) is built anew; data sets past the budget are not kept at all.
 */
import { describe, expect, it } from "vitest";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import { buildRunData, keptDataFloats, setKeptDataBudget } from "../../runner/data.js";

const program = (): ExperimentProgram => ({ targets: {} }) as unknown as ExperimentProgram;
const uniform = (n: number): DataSpec => ({ source: "uniform", axes: [{ name: "x", lo: -2, hi: 2 }], n, perSeed: true }) as unknown as DataSpec;
const mixture = (n: number): DataSpec => ({ source: "gaussian_mixture", n, d: 5, classes: 3, separation: 2, std: 1, perSeed: true }) as DataSpec;
const build = (p: ExperimentProgram, specs: Record<string, DataSpec>, seeds: readonly number[]) => buildRunData(specs, { program: p, seeds, dataRoot: "/nonexistent" });

describe("data sets shared by the runs of a sweep", () => {
  it("a later run gets a fresh build's values in arrays of its own", () => {
    const shared = program();
    const specs = { train: uniform(64), test: mixture(40) };
    const first = build(shared, specs, [0, 1, 2]);
    const second = build(shared, specs, [0, 1, 2]);
    const fresh = build(program(), specs, [0, 1, 2]);
    for (const name of ["train", "test"]) {
      second.get(name)!.forEach((d, s) => {
        const truth = fresh.get(name)![s]!;
        expect([...d.x]).toEqual([...truth.x]);
        expect([...d.y]).toEqual([...truth.y]);
        expect(d.labels && [...d.labels]).toEqual(truth.labels && [...truth.labels]);
        expect(d.x).not.toBe(first.get(name)![s]!.x);
        expect(d.y).not.toBe(first.get(name)![s]!.y);
      });
    }
  });

  it("one run's writes to its arrays do not reach the next run", () => {
    const shared = program();
    const specs = { train: mixture(30) };
    const first = build(shared, specs, [5]).get("train")![0]!;
    const truth = [...first.x];
    first.x.fill(123);
    first.y.fill(-1);
    first.labels!.fill(2);
    const second = build(shared, specs, [5]).get("train")![0]!;
    expect([...second.x]).toEqual(truth);
    expect(second.y.some((v) => v === -1)).toBe(false);
    expect([...second.labels!]).toEqual([...build(program(), specs, [5]).get("train")![0]!.labels!]);
  });

  it("another size or another seed is built anew, and the data set it replaces is not handed out again", () => {
    const shared = program();
    const small = build(shared, { train: uniform(16) }, [0]).get("train")![0]!;
    const large = build(shared, { train: uniform(32) }, [0]).get("train")![0]!;
    expect(large.n).toBe(32);
    expect([...large.x]).toEqual([...build(program(), { train: uniform(32) }, [0]).get("train")![0]!.x]);
    const otherSeed = build(shared, { train: uniform(32) }, [1]).get("train")![0]!;
    expect([...otherSeed.x]).not.toEqual([...large.x]);
    // Back to 16 points: the same values as the first build, drawn again.
    expect([...build(shared, { train: uniform(16) }, [0]).get("train")![0]!.x]).toEqual([...small.x]);
  });

  it("keeps the last run's data within the budget only", () => {
    const shared = program();
    build(shared, { train: uniform(50) }, [0, 1]);
    // Inputs only (no target): 2 seeds × 50 points.
    expect(keptDataFloats(shared)).toBe(100);
    setKeptDataBudget(99);
    try {
      const over = build(shared, { train: uniform(50) }, [0, 1]).get("train")!;
      expect(keptDataFloats(shared)).toBe(0);
      expect([...over[1]!.x]).toEqual([...build(program(), { train: uniform(50) }, [0, 1]).get("train")![1]!.x]);
    } finally {
      setKeptDataBudget(0);
    }
  });
});
