/**
 * `param(net, name, stat)` and `sign_changes(series)`, against hand computation: the probe reads the
 * opposing-signals model's `b_o` and `c` (whose initial norms and value the paper fixes) and a parameter
 * written by hand; the analysis counts sign flips of hand-built series, per seed, in step order.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { opposingLinear } from "../../runtime/nn/opposing.js";
import { createParam } from "../../runtime/params.js";
import { countSignChanges, coreAnalysisImplementations } from "../../stdlib/core/analyses.js";
import { namedParam, paramStatistic } from "../../stdlib/core/param.js";
import type { Table } from "../../runtime/analysis/index.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("param", () => {
  it("reads mean, sum, norm, max_abs and first of each seed's entries", () => {
    // Two seeds of a [2, 2] parameter: seed 0 = (1, −2, 3, −4), seed 1 = (0.5, 0.5, 0.5, −2.5).
    const p = createParam("w", "weight", Float32Array.from([1, -2, 3, -4, 0.5, 0.5, 0.5, -2.5]), [2, 2, 2]);
    expect(Array.from(paramStatistic(p, 2, "sum"))).toEqual([-2, -1]);
    expect(Array.from(paramStatistic(p, 2, "mean"))).toEqual([-0.5, -0.25]);
    expect(Array.from(paramStatistic(p, 2, "norm"))).toEqual([Math.sqrt(30), Math.sqrt(7)]);
    expect(Array.from(paramStatistic(p, 2, "max_abs"))).toEqual([4, 2.5]);
    expect(Array.from(paramStatistic(p, 2, "first"))).toEqual([1, 0.5]);
    p.variable.dispose();
  });

  it("finds the opposing model's layers by name: ‖b_o‖² = d2/(d1 + d2), c = 1, as the paper initialises them", () => {
    const model = opposingLinear({ d1: 3, d2: 12, seeds: [0, 1, 2] });
    const norms = paramStatistic(namedParam(model, "b_o"), 3, "norm");
    for (const n of norms) expect(n * n).toBeCloseTo(12 / 15, 5);
    expect(Array.from(paramStatistic(namedParam(model, "c"), 3, "first"))).toEqual([1, 1, 1]);
    // A full parameter name works too, and `mean` is 1ᵀb_o/d2, summed by hand here.
    const values = Array.from(model.bo.variable.dataSync() as Float32Array);
    const handMean = Array.from({ length: 3 }, (_, s) => values.slice(s * 12, (s + 1) * 12).reduce((a, v) => a + v, 0) / 12);
    paramStatistic(namedParam(model, "b_o.weight"), 3, "mean").forEach((m, s) => expect(m).toBeCloseTo(handMean[s]!, 6));
    expect(() => namedParam(model, "bo")).toThrow(DyncRuntimeError);
    model.dispose();
  });
});

describe("sign_changes", () => {
  it("counts flips between consecutive nonzero values, skipping zeros and NaN", () => {
    expect(countSignChanges([1, -1, 1, -1])).toBe(3);
    expect(countSignChanges([0.04, 0.02, 0.001, -0.002, -0.004])).toBe(1);
    expect(countSignChanges([1, 0, 0, 2, NaN, -3, 0, -1, 4])).toBe(2);
    expect(countSignChanges([0, 0])).toBe(0);
    expect(countSignChanges([])).toBe(0);
  });

  it("counts per seed in step order, whatever order the rows come in", () => {
    const fn = coreAnalysisImplementations.find((a) => a.entry.name === "sign_changes")!;
    // seed 0 in step order: 1, −1, 2, −2 (3 flips), rows given out of order; seed 1: 1, 2, 3 (none).
    const table: Table = {
      dims: ["seeds", "steps"],
      rows: [
        { key: { seeds: 0, steps: 20 }, value: 2 },
        { key: { seeds: 0, steps: 0 }, value: 1 },
        { key: { seeds: 0, steps: 30 }, value: -2 },
        { key: { seeds: 0, steps: 10 }, value: -1 },
        ...[1, 2, 3].map((value, i) => ({ key: { seeds: 1, steps: 10 * i }, value })),
      ],
    };
    const out = fn.call([table], {}, []);
    expect(out).toEqual({ dims: ["seeds"], rows: [{ key: { seeds: 0 }, value: 3 }, { key: { seeds: 1 }, value: 0 }] });
  });
});
