/**
 * Fashion-MNIST as real classification data: the files Debian's `dataset-fashion-mnist` installs
 * (/usr/share/datasets/fashion-mnist, gzip'd IDX; .ci/run installs the package), found without `dir:` when
 * `<--data>/fashion_mnist` does not exist. The expected numbers were read independently with python3's gzip
 * and struct modules: 6,000 images per class in train and 1,000 in test, the first labels, the first image's
 * pixel sum. Where the package is missing, MNIST, CIFAR-10/100 and Fashion-MNIST fail with RUN010 naming the
 * directory and where the files go.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { buildRunData } from "../../runner/data.js";
import { DEBIAN_FASHION_MNIST_DIR } from "../../stdlib/entries/data.js";
import { loadCifar100, loadFashionMnist, type ImageClassificationDataset } from "../../stdlib/data/index.js";
import { realDataDir } from "../../stdlib/data/sources.js";

const root = mkdtempSync(join(tmpdir(), "dync-fashion-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const installed = existsSync(join(DEBIAN_FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz"));
const program = { targets: {}, file: "x.dyn" } as unknown as ExperimentProgram;

function fashion(split: "train" | "test", dir: string | null = null, limit: number | null = null): DataSpec {
  return { source: "fashion_mnist", split, limit, dir, normalize: "unit", perSeed: false };
}

function build(spec: DataSpec, dataRoot: string): ImageClassificationDataset {
  return buildRunData({ d: spec }, { program, seeds: [0], dataRoot }).get("d")![0] as ImageClassificationDataset;
}

function classCounts(labels: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels) counts[label]!++;
  return counts;
}

/** The error `fn` throws, as a DyncRuntimeError. */
function thrown(fn: () => unknown): DyncRuntimeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DyncRuntimeError);
    return error as DyncRuntimeError;
  }
  throw new Error("expected a DyncRuntimeError");
}

describe.skipIf(!installed)(`Fashion-MNIST from Debian's dataset-fashion-mnist (${DEBIAN_FASHION_MNIST_DIR})`, () => {
  it("train: 60,000 images, 6,000 per class, first labels 9 0 0 3 0 2 7 2 5 5 0 9, the first image's pixels summing to 76,247/255", () => {
    const train = build(fashion("train"), join(root, "no-data-root"));
    expect([train.n, train.xShape, train.numClasses, train.classNames[9]]).toEqual([60000, [784], 10, "Ankle boot"]);
    expect(classCounts(train.labels)).toEqual(new Array(10).fill(6000));
    expect([...train.labels.subarray(0, 12)]).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9]);
    let sum = 0;
    for (let p = 0; p < 784; p++) sum += train.x[p]!;
    expect(sum).toBeCloseTo(76247 / 255, 3);
    // One-hot targets agree with the labels.
    expect([...train.y.subarray(0, 10)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("test: 10,000 images, 1,000 per class, first labels 9 2 1 1 6 1 4 6 5 7 4 5; limit keeps the first", () => {
    const test = build(fashion("test"), join(root, "no-data-root"));
    expect(test.n).toBe(10000);
    expect(classCounts(test.labels)).toEqual(new Array(10).fill(1000));
    expect([...test.labels.subarray(0, 12)]).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5]);
    expect([...build(fashion("test", null, 5), join(root, "no-data-root")).labels]).toEqual([9, 2, 1, 1, 6]);
  });
});

describe("where a real data set's files are looked for", () => {
  /** A tiny Fashion-MNIST in `dir`: two train and one test image. */
  function tinyIdx(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const idx = (dims: number[], data: Uint8Array) => {
      const header = Buffer.alloc(4 + 4 * dims.length);
      header.writeUInt32BE(0x0800 | dims.length, 0);
      dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
      return gzipSync(Buffer.concat([header, data]));
    };
    writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), idx([2, 28, 28], new Uint8Array(2 * 784).fill(255)));
    writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), idx([2], Uint8Array.from([3, 4])));
    writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), idx([1, 28, 28], new Uint8Array(784)));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), idx([1], Uint8Array.from([8])));
  }

  it("dir: first, then <data root>/fashion_mnist when it exists, then the Debian package's directory", () => {
    const dataRoot = join(root, "data");
    tinyIdx(join(dataRoot, "fashion_mnist"));
    tinyIdx(join(root, "elsewhere"));
    expect(realDataDir("fashion_mnist", join(root, "elsewhere"), dataRoot)).toBe(join(root, "elsewhere"));
    expect(realDataDir("fashion_mnist", null, dataRoot)).toBe(join(dataRoot, "fashion_mnist"));
    expect([...build(fashion("train"), dataRoot).labels]).toEqual([3, 4]);
    const fallback = realDataDir("fashion_mnist", null, join(root, "empty-root"));
    expect(fallback).toBe(existsSync(DEBIAN_FASHION_MNIST_DIR) ? DEBIAN_FASHION_MNIST_DIR : join(root, "empty-root", "fashion_mnist"));
    // Only Fashion-MNIST has a system package to fall back on.
    expect(realDataDir("mnist", null, join(root, "empty-root"))).toBe(join(root, "empty-root", "mnist"));
  });

  it("missing MNIST, CIFAR-10 and CIFAR-100 are RUN010 naming the directory, the files and how to point dync at them", () => {
    const dataRoot = join(root, "empty-root");
    const real = (source: "mnist" | "cifar10" | "cifar100") =>
      ({ source, split: "train", limit: null, dir: null, normalize: "unit", perSeed: false, ...(source === "cifar100" ? { labels: "fine" } : {}) }) as DataSpec;
    const mnist = thrown(() => build(real("mnist"), dataRoot));
    expect([mnist.code, mnist.message]).toEqual(["RUN010", expect.stringMatching(/data directory .*empty-root\/mnist does not exist; expected it to hold the MNIST files train-images-idx3-ubyte, .* \(optionally \.gz\)/)]);
    expect(mnist.hint).toMatch(/dync never downloads data: put the files in that directory, name another with `dir:`, or run with `--data ROOT` for ROOT\/<source>/);
    const cifar100 = thrown(() => build(real("cifar100"), dataRoot));
    expect([cifar100.code, cifar100.message]).toEqual(["RUN010", expect.stringMatching(/empty-root\/cifar100 does not exist; expected it to hold the CIFAR-100 binary batches train\.bin, test\.bin/)]);
    expect(thrown(() => build(real("cifar10"), dataRoot)).message).toMatch(/empty-root\/cifar10 does not exist.*data_batch_1\.bin/);
    expect(thrown(() => loadCifar100({ dir: join(dataRoot, "x"), split: "test" })).hint).toMatch(/--data ROOT/);
  });

  it("a missing Fashion-MNIST directory names the Debian package as well", () => {
    const error = thrown(() => loadFashionMnist({ dir: join(root, "nowhere"), split: "train" }));
    expect(error.code).toBe("RUN010");
    expect(error.hint).toMatch(/apt-get install dataset-fashion-mnist` puts them in \/usr\/share\/datasets\/fashion-mnist/);
    expect(error.hint).toMatch(/name another with `dir:`/);
  });
});
