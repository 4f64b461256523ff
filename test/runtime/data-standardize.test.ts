/**
 * `standardize: pixel`: each input value minus the training set's mean over its samples, divided by the
 * training set's population standard deviation (1 where that is 0), applied to every standardised data set
 * with the training set's statistics. A hand-worked table, then gratings through the runner's data
 * building checked against the same arithmetic done in float64 on the unstandardised images.
 */
import { describe, expect, it } from "vitest";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { buildRunData } from "../../runner/data.js";
import { pixelStatistics, standardizePixels } from "../../stdlib/data/index.js";

const program = { targets: {}, file: "x.dyn" } as unknown as ExperimentProgram;
const context = { program, seeds: [3, 4], dataRoot: "./data" };

function table(rows: number[][]): Dataset {
  return { name: "t", n: rows.length, xShape: [rows[0]!.length], x: Float32Array.from(rows.flat()), yDim: 1, y: new Float32Array(rows.length) };
}

describe("per-pixel statistics", () => {
  it("centre and scale each column by the training set's mean and population std; a constant column is only centred", () => {
    // Column 0: 1, 3, 5 → μ = 3, σ = √(8/3); column 1: 5, 5, 5 → μ = 5, σ = 0 → divisor 1.
    const stats = pixelStatistics(table([[1, 5], [3, 5], [5, 5]]));
    expect(Array.from(stats.mean)).toEqual([3, 5]);
    expect(stats.scale[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(stats.scale[1]).toBe(1);
    const train = standardizePixels(table([[1, 5], [3, 5], [5, 5]]), stats);
    const s = Math.sqrt(8 / 3);
    [-2 / s, 0, 0, 0, 2 / s, 0].forEach((v, i) => expect(train.x[i]).toBeCloseTo(v, 6));
    // A held-out sample goes through the training statistics: (7 − 3)/σ, (6 − 5)/1.
    const test = standardizePixels(table([[7, 6]]), stats);
    expect(test.x[0]).toBeCloseTo(4 / s, 6);
    expect(test.x[1]).toBeCloseTo(1, 6);
    expect(() => standardizePixels(table([[1, 2, 3]]), stats)).toThrow(DyncRuntimeError);
  });
});

describe("standardize: pixel in a run's data", () => {
  const gratings = (split: "train" | "test", n: number, standardize: boolean): DataSpec => ({
    source: "gratings", n, size: 6, channels: 2, classes: 3, cycles: 2, noise: 0.25, normalize: "unit", phase_spread: 1, split, perSeed: true,
    ...(standardize ? { standardize: "pixel" as const } : {}),
  });

  it("standardises the training set to mean 0 and std 1 per pixel, and the test set with the training set's statistics, per seed", () => {
    const raw = buildRunData({ train: gratings("train", 40, false), test: gratings("test", 12, false) }, context, "train");
    const std = buildRunData({ train: gratings("train", 40, true), test: gratings("test", 12, true) }, context, "train");
    for (let s = 0; s < 2; s++) {
      const [rawTrain, rawTest] = [raw.get("train")![s]!, raw.get("test")![s]!];
      const d = rawTrain.x.length / rawTrain.n;
      expect(d).toBe(72);
      for (let j = 0; j < d; j++) {
        // float64 statistics of column j of this seed's raw training images, computed here independently.
        const column = Array.from({ length: rawTrain.n }, (_, i) => rawTrain.x[i * d + j]!);
        const mean = column.reduce((a, v) => a + v, 0) / column.length;
        const sd = Math.sqrt(column.reduce((a, v) => a + (v - mean) ** 2, 0) / column.length);
        const trainColumn = Array.from({ length: rawTrain.n }, (_, i) => std.get("train")![s]!.x[i * d + j]!);
        expect(trainColumn.reduce((a, v) => a + v, 0) / rawTrain.n).toBeCloseTo(0, 5);
        expect(Math.sqrt(trainColumn.reduce((a, v) => a + v * v, 0) / rawTrain.n)).toBeCloseTo(1, 5);
        for (let i = 0; i < rawTest.n; i++) expect(std.get("test")![s]!.x[i * d + j]).toBeCloseTo((rawTest.x[i * d + j]! - mean) / sd, 4);
      }
      // Labels and targets are untouched.
      expect(std.get("test")![s]!.y).toEqual(rawTest.y);
    }
  });

  it("a constant image (a probe input) is n copies of its colour with one-hot class `label`, standardised with the training set's statistics", () => {
    const sky: DataSpec = { source: "constant_image", size: 6, channels: 2, classes: 3, color: [0.2, 0.9], label: 1, n: 2, perSeed: false, standardize: "pixel" };
    const raw = buildRunData({ train: gratings("train", 40, false), sky: { ...sky, standardize: undefined } as DataSpec }, context, "train");
    const rawSky = raw.get("sky")![0]!;
    expect(rawSky.n).toBe(2);
    expect(Array.from(rawSky.x.subarray(0, 4))).toEqual([Math.fround(0.2), Math.fround(0.9), Math.fround(0.2), Math.fround(0.9)]);
    expect(Array.from(rawSky.y)).toEqual([0, 1, 0, 0, 1, 0]);
    const std = buildRunData({ train: gratings("train", 40, true), sky }, context, "train");
    // A data set shared by the seeds takes seed index 0's training statistics.
    const rawTrain = raw.get("train")![0]!;
    const d = 72;
    for (const j of [0, 1, 37, 71]) {
      const column = Array.from({ length: rawTrain.n }, (_, i) => rawTrain.x[i * d + j]!);
      const mean = column.reduce((a, v) => a + v, 0) / column.length;
      const sd = Math.sqrt(column.reduce((a, v) => a + (v - mean) ** 2, 0) / column.length);
      expect(std.get("sky")![0]!.x[d + j]).toBeCloseTo((rawSky.x[j]! - mean) / sd, 4);
    }
  });

  it("refuses a standardised held-out set when the training set is not standardised (RUN040)", () => {
    expect(() => buildRunData({ train: gratings("train", 40, false), test: gratings("test", 12, true) }, context, "train")).toThrow(/training set "train" is not standardised/);
  });
});
