/**
 * `shuffle_labels: s` (random labels): the targets of a labelled image source permuted across its images by a
 * permutation fixed by s and the image count; the pixels stay. Checked on a hand-made table, then on
 * Fashion-MNIST through the runner's data building against the unshuffled images re-indexed here, and the
 * checker's rule that only the training split may be shuffled.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import type { Dataset } from "../../runtime/dataset.js";
import { buildRunData } from "../../runner/data.js";
import { labelPermutation, shuffleLabels, type ImageClassificationDataset } from "../../stdlib/data/index.js";
import { DEBIAN_FASHION_MNIST_DIR } from "../../stdlib/entries/data.js";

const program = { targets: {}, file: "x.dyn" } as unknown as ExperimentProgram;
const installed = existsSync(join(DEBIAN_FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz"));

function isPermutation(p: Int32Array): boolean {
  return [...p].sort((a, b) => a - b).every((v, i) => v === i);
}

describe("labelPermutation and shuffleLabels", () => {
  it("a bijection fixed by the seed: the same seed gives the same permutation, another seed another one", () => {
    const p = labelPermutation(5, 1000);
    expect(isPermutation(p)).toBe(true);
    expect(Array.from(labelPermutation(5, 1000))).toEqual(Array.from(p));
    expect(Array.from(labelPermutation(6, 1000))).not.toEqual(Array.from(p));
    // A uniform permutation of 1000 has ~1 fixed point (Poisson(1)); far more would mean a weak shuffle.
    expect(p.filter((v, i) => v === i).length).toBeLessThan(10);
  });

  it("moves whole target rows and labels to the permuted samples; inputs untouched", () => {
    // Four samples, two target columns each; row i of the result is row perm[i] of the input.
    const data: Dataset = { name: "t", n: 4, xShape: [1], x: Float32Array.from([10, 11, 12, 13]), yDim: 2, y: Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]), labels: Int32Array.from([0, 1, 0, 1]), numClasses: 2 };
    const perm = labelPermutation(2, 4);
    const out = shuffleLabels(data, 2);
    expect(Array.from(out.x)).toEqual([10, 11, 12, 13]);
    for (let i = 0; i < 4; i++) {
      expect(Array.from(out.y.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(data.y.subarray(2 * perm[i]!, 2 * perm[i]! + 2)));
      expect(out.labels![i]).toBe(data.labels![perm[i]!]);
    }
    expect(Array.from(data.y)).toEqual([1, 0, 0, 1, 1, 0, 0, 1]);
  });
});

describe.skipIf(!installed)("shuffle_labels on Fashion-MNIST through the runner", () => {
  const spec = (shuffle?: number): DataSpec => ({ source: "fashion_mnist", split: "train", limit: 500, dir: null, normalize: "unit", perSeed: false, ...(shuffle === undefined ? {} : { shuffle_labels: shuffle }) });
  const build = (s: DataSpec, seeds: number[]) => buildRunData({ train: s }, { program, seeds, dataRoot: "./data" }).get("train")! as ImageClassificationDataset[];

  it("keeps each image, gives it image perm[i]'s label, keeps the class counts; every run seed sees the same labels", () => {
    const [raw] = build(spec(), [0]);
    const shuffled = build(spec(7), [0, 1, 2]);
    const perm = labelPermutation(7, 500);
    const d = shuffled[0]!;
    expect(Array.from(d.x)).toEqual(Array.from(raw!.x));
    for (let i = 0; i < 500; i++) {
      expect(d.labels[i]).toBe(raw!.labels[perm[i]!]);
      expect(d.y[i * 10 + d.labels[i]!]).toBe(1);
    }
    const counts = (l: Int32Array) => Array.from({ length: 10 }, (_, c) => l.filter((v) => v === c).length);
    expect(counts(d.labels)).toEqual(counts(raw!.labels));
    // Random labels: about 1 in 10 images keeps its class by chance, not most of them.
    expect(d.labels.filter((v, i) => v === raw!.labels[i]).length).toBeLessThan(100);
    for (const other of shuffled) expect(Array.from(other.labels)).toEqual(Array.from(d.labels));
  });
});

describe("the checker", () => {
  const source = (data: string) => `experiment e {\n  seeds 1\n  data train = ${data}\n  model net = mlp(hidden: [4], act: relu)\n  optimizer sgd(lr: 0.1)\n  train 10 steps, batch full\n}\n`;

  it("lowers shuffle_labels into the data spec, and refuses it on the test split", () => {
    const ok = checkSource(source("fashion_mnist(limit: 100, shuffle_labels: 3)"), "e.dyn");
    expect(ok.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(ok.experiments[0]!.profiles["default"]!.runs[0]!.data["train"]).toMatchObject({ source: "fashion_mnist", shuffle_labels: 3 });
    const plain = checkSource(source("fashion_mnist(limit: 100)"), "e.dyn");
    expect(plain.experiments[0]!.profiles["default"]!.runs[0]!.data["train"]).not.toHaveProperty("shuffle_labels");
    const test = checkSource(source("fashion_mnist(split: test, limit: 100, shuffle_labels: 3)"), "e.dyn");
    expect(test.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")).toMatch(/DYN2014 .*`shuffle_labels` applies to the training split only/);
    const fractional = checkSource(source("fashion_mnist(limit: 100, shuffle_labels: 1.5)"), "e.dyn");
    expect(fractional.diagnostics.some((d) => d.severity === "error")).toBe(true);
  });
});
