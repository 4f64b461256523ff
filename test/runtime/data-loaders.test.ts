import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../runtime/rng.js";
import { loadCifar10, loadCifar100, loadFashionMnist, loadMnist } from "../../stdlib/data/index.js";
import { expectRuntimeError } from "./expect-runtime-error.js";

const root = mkdtempSync(join(tmpdir(), "dync-data-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function randomBytes(count: number, seed: number, below = 256): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: count }, () => rng.int(below));
}

/** An unsigned-byte IDX file: magic 0x0000080D (D = number of dims), big-endian dims, data. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 | dims.length, 0);
  dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([header, data]);
}

describe("MNIST IDX files", () => {
  const dir = join(root, "mnist");
  mkdirSync(dir);
  const trainImages = randomBytes(6 * 28 * 28, 1);
  const trainLabels = Uint8Array.from([5, 0, 4, 1, 9, 2]);
  const testImages = randomBytes(3 * 28 * 28, 2);
  const testLabels = Uint8Array.from([7, 2, 1]);
  // train gzip'd (as Fashion-MNIST ships), test plain
  writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), gzipSync(idx([6, 28, 28], trainImages)));
  writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), gzipSync(idx([6], trainLabels)));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), idx([3, 28, 28], testImages));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idx([3], testLabels));

  it("loads gzip'd train files: [28, 28, 1] images scaled to [0, 1], one-hot labels", () => {
    const data = loadMnist({ dir, split: "train" });
    expect(data.n).toBe(6);
    expect(data.name).toBe("train");
    expect(data.xShape).toEqual([28, 28, 1]);
    expect(data.x.length).toBe(6 * 784);
    for (let k = 0; k < data.x.length; k += 97) expect(data.x[k]).toBe(Math.fround(trainImages[k]! / 255));
    expect([...data.labels]).toEqual([5, 0, 4, 1, 9, 2]);
    expect(data.numClasses).toBe(10);
    expect(data.yDim).toBe(10);
    expect([...data.y.subarray(0, 10)]).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect([...data.y.subarray(40, 50)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("loads plain test files with limit, symmetric scaling and numeric targets", () => {
    const data = loadMnist({ dir, split: "test", limit: 2, normalize: "symmetric", oneHot: false, name: "digits" });
    expect(data.n).toBe(2);
    expect(data.name).toBe("digits");
    expect(data.x.length).toBe(2 * 784);
    expect(data.x[10]).toBeCloseTo((testImages[10]! / 255 - 0.5) / 0.5, 6);
    expect([...data.y]).toEqual([7, 2]);
    expect(data.yDim).toBe(1);
  });

  it("applies a mean/std normalization on the [0, 1] scale", () => {
    const data = loadMnist({ dir, split: "test", normalize: { mean: 0.1307, std: 0.3081 } });
    expect(data.x[5]).toBeCloseTo((testImages[5]! / 255 - 0.1307) / 0.3081, 5);
    expect(data.x[500]).toBeCloseTo((testImages[500]! / 255 - 0.1307) / 0.3081, 5);
    expect(loadMnist({ dir, split: "test", normalize: "raw" }).x[7]).toBe(testImages[7]);
  });

  it("Fashion-MNIST reads the same layout with its class names", () => {
    const data = loadFashionMnist({ dir, split: "test" });
    expect(data.classNames[7]).toBe("Sneaker");
    expect([...data.labels]).toEqual([7, 2, 1]);
  });

  it("a missing directory or file is RUN010 naming the path and the four expected files", () => {
    expectRuntimeError(() => loadMnist({ dir: join(root, "nowhere"), split: "train" }), "RUN010", /nowhere/, /t10k-labels-idx1-ubyte/);
    const partial = join(root, "mnist-partial");
    mkdirSync(partial);
    writeFileSync(join(partial, "train-images-idx3-ubyte"), idx([1, 28, 28], randomBytes(784, 3)));
    expectRuntimeError(
      () => loadMnist({ dir: partial, split: "train" }),
      "RUN010",
      /train-labels-idx1-ubyte \(or train-labels-idx1-ubyte\.gz\) is missing from .*mnist-partial/,
      /train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte/,
    );
  });

  it("bad magic, truncation, label/image count mismatch and corrupt gzip are RUN011 naming the file", () => {
    const bad = join(root, "mnist-bad");
    mkdirSync(bad);
    const write = (name: string, bytes: Uint8Array) => writeFileSync(join(bad, name), bytes);
    write("t10k-labels-idx1-ubyte", idx([2], Uint8Array.from([1, 2])));
    write("t10k-images-idx3-ubyte", idx([2], Uint8Array.from([1, 2]))); // a label file where images belong
    expectRuntimeError(() => loadMnist({ dir: bad, split: "test" }), "RUN011", /t10k-images-idx3-ubyte: bad magic number 0x00000801; expected 0x00000803/);
    write("t10k-images-idx3-ubyte", idx([2, 28, 28], randomBytes(2 * 784, 4)).subarray(0, 1000));
    expectRuntimeError(() => loadMnist({ dir: bad, split: "test" }), "RUN011", /t10k-images-idx3-ubyte: truncated: .*\[2, 28, 28\] = 1568 bytes of data, the file holds 984/);
    write("t10k-images-idx3-ubyte", idx([3, 28, 28], randomBytes(3 * 784, 4)));
    expectRuntimeError(() => loadMnist({ dir: bad, split: "test" }), "RUN011", /t10k-labels-idx1-ubyte: holds 2 labels but .* holds 3 images/);
    write("train-images-idx3-ubyte.gz", Uint8Array.from([0x1f, 0x8b, 1, 2, 3]));
    write("train-labels-idx1-ubyte", idx([1], Uint8Array.from([3])));
    expectRuntimeError(() => loadMnist({ dir: bad, split: "train" }), "RUN011", /train-images-idx3-ubyte\.gz is not a valid gzip file/);
    write("train-images-idx3-ubyte.gz", gzipSync(idx([1, 28, 28], randomBytes(784, 5))));
    write("train-labels-idx1-ubyte", idx([1], Uint8Array.from([12])));
    expectRuntimeError(() => loadMnist({ dir: bad, split: "train" }), "RUN011", /label 12 at index 0/);
  });

  it("a limit beyond the split is RUN040", () => {
    expectRuntimeError(() => loadMnist({ dir, split: "test", limit: 4 }), "RUN040", /limit 4 exceeds the 3 samples/);
  });
});

/** CIFAR records: label byte(s) then R, G, B planes of 32×32. */
function cifarBatch(labels: number[][], seed: number): { bytes: Buffer; pixels: Uint8Array[] } {
  const pixels = labels.map((_, i) => randomBytes(3072, seed * 100 + i));
  const bytes = Buffer.concat(labels.map((l, i) => Buffer.concat([Buffer.from(l), pixels[i]!])));
  return { bytes, pixels };
}

describe("CIFAR binary batches", () => {
  const dir = join(root, "cifar10");
  const inner = join(dir, "cifar-10-batches-bin"); // the tarball's layout; the loader looks inside
  mkdirSync(inner, { recursive: true });
  const batches = [1, 2, 3, 4, 5].map((k) => cifarBatch([[k - 1], [(k + 4) % 10]], k));
  batches.forEach((b, k) => writeFileSync(join(inner, `data_batch_${k + 1}.bin`), b.bytes));
  const test = cifarBatch([[3], [8], [0]], 9);
  writeFileSync(join(inner, "test_batch.bin"), test.bytes);

  it("reads records in batch order, planar RGB → HWC, scaled to [0, 1]", () => {
    const data = loadCifar10({ dir, split: "train" });
    expect(data.n).toBe(10);
    expect(data.xShape).toEqual([32, 32, 3]);
    expect([...data.labels]).toEqual([0, 5, 1, 6, 2, 7, 3, 8, 4, 9]);
    expect(data.classNames[data.labels[1]!]).toBe("dog");
    // sample 3 = batch 2, record 1; pixel (row 7, col 19), each channel
    const planar = batches[1]!.pixels[1]!;
    for (let ch = 0; ch < 3; ch++) {
      expect(data.x[3 * 3072 + (7 * 32 + 19) * 3 + ch]).toBe(Math.fround(planar[ch * 1024 + 7 * 32 + 19]! / 255));
    }
    expect([...data.y.subarray(10, 20)]).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it("test split, limit across the file, and the directory itself as well as its parent", () => {
    const data = loadCifar10({ dir: inner, split: "test", limit: 2, normalize: "raw" });
    expect([...data.labels]).toEqual([3, 8]);
    expect(data.x[(31 * 32 + 31) * 3 + 2]).toBe(test.pixels[0]![2 * 1024 + 31 * 32 + 31]);
    const firstThree = loadCifar10({ dir, split: "train", limit: 3 });
    expect([...firstThree.labels]).toEqual([0, 5, 1]);
  });

  it("missing batches are RUN010 listing the expected files; bad sizes and labels are RUN011", () => {
    expectRuntimeError(() => loadCifar10({ dir: join(root, "absent"), split: "train" }), "RUN010", /absent/, /data_batch_1\.bin/);
    const broken = join(root, "cifar-broken");
    mkdirSync(broken);
    writeFileSync(join(broken, "test_batch.bin"), test.bytes.subarray(0, 3073 + 100));
    expectRuntimeError(() => loadCifar10({ dir: broken, split: "train" }), "RUN010", /data_batch_1\.bin .* is missing/, /test_batch\.bin/);
    expectRuntimeError(() => loadCifar10({ dir: broken, split: "test" }), "RUN011", /test_batch\.bin: size 3173 bytes is not a whole number of 3073-byte CIFAR-10 records/);
    writeFileSync(join(broken, "test_batch.bin"), cifarBatch([[1], [42]], 3).bytes);
    expectRuntimeError(() => loadCifar10({ dir: broken, split: "test" }), "RUN011", /record 1 has label byte 42 >= 10/);
  });

  it("CIFAR-100 reads coarse and fine labels from 3074-byte records", () => {
    const dir100 = join(root, "cifar100");
    mkdirSync(dir100);
    const train = cifarBatch([[11, 99], [19, 0], [0, 57]], 7);
    writeFileSync(join(dir100, "train.bin"), train.bytes);
    writeFileSync(join(dir100, "test.bin"), cifarBatch([[1, 2]], 8).bytes);
    const fine = loadCifar100({ dir: dir100, split: "train" });
    expect([...fine.labels]).toEqual([99, 0, 57]);
    expect(fine.numClasses).toBe(100);
    expect(fine.yDim).toBe(100);
    expect(fine.x[(2 * 32 + 5) * 3 + 1]).toBe(Math.fround(train.pixels[0]![1024 + 2 * 32 + 5]! / 255));
    const coarse = loadCifar100({ dir: dir100, split: "train", labels: "coarse", oneHot: false });
    expect([...coarse.labels]).toEqual([11, 19, 0]);
    expect(coarse.numClasses).toBe(20);
    expect([...coarse.y]).toEqual([11, 19, 0]);
    // a CIFAR-10 batch is not a CIFAR-100 file
    writeFileSync(join(dir100, "test.bin"), test.bytes);
    expectRuntimeError(() => loadCifar100({ dir: dir100, split: "test" }), "RUN011", /3074-byte CIFAR-100 records/);
  });
});
