/**
 * stdlib/data/files.ts keeps gunzipped data files, so the runs of a sweep over a large gzip'd data set (Fashion-MNIST,
 * ~47 MB of training images inflated) do not gunzip it once per run. What must hold: a reused read gives exactly the
 * bytes that were compressed (the independent truth: the buffer the test gzip'd itself); a file rewritten between
 * reads is inflated again, even at the same size with its mtime set back (a fresh file is checked by its bytes, one
 * unchanged for long, like Debian's Fashion-MNIST, by its times alone); the budget evicts the least recently used
 * file and never keeps one larger than itself; and the runs of a sweep whose built data are too large to keep
 * (runner/data.ts) still each get their own arrays, equal to a fresh build, from one inflate.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import { buildRunData, setKeptDataBudget } from "../../runner/data.js";
import { DEBIAN_FASHION_MNIST_DIR } from "../../stdlib/entries/data.js";
import { gunzipReadCounts, keptGunzippedBytes, readDataFile, setGunzippedBudget } from "../../stdlib/data/files.js";

const DEBIAN_LABELS = join(DEBIAN_FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz");
const root = mkdtempSync(join(tmpdir(), "dync-gunzip-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  setGunzippedBudget(0);
  setKeptDataBudget(0);
});

/** `length` bytes of a pattern that differs with `salt`. */
function pattern(length: number, salt: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, k) => (k * 31 + salt * 7 + ((k * k) >> 3)) & 0xff));
}

function writeGz(name: string, contents: Buffer): string {
  const path = join(root, name);
  writeFileSync(path, gzipSync(contents));
  return path;
}

/** Counts since `before`. */
function countsSince(before: { inflated: number; reused: number }): { inflated: number; reused: number } {
  const now = gunzipReadCounts();
  return { inflated: now.inflated - before.inflated, reused: now.reused - before.reused };
}

describe("gunzipped data files kept between reads", () => {
  it("a second read reuses the first inflate and gives the bytes that were compressed", () => {
    const contents = pattern(5000, 1);
    const path = writeGz("a.bin.gz", contents);
    const before = gunzipReadCounts();
    const first = readDataFile(path);
    const second = readDataFile(path);
    expect(first.equals(contents)).toBe(true);
    expect(second.equals(contents)).toBe(true);
    expect(countsSince(before)).toEqual({ inflated: 1, reused: 1 });
  });

  it("a file rewritten between reads is inflated again, even at the same size with its mtime set back", () => {
    const old = pattern(4000, 2);
    const changed = pattern(4000, 3);
    const path = writeGz("b.bin.gz", old);
    expect(gzipSync(changed).length).toBe(gzipSync(old).length); // same compressed size: the size alone cannot tell
    const { atime, mtime } = statSync(path);
    expect(readDataFile(path).equals(old)).toBe(true);
    writeFileSync(path, gzipSync(changed));
    utimesSync(path, atime, mtime);
    const before = gunzipReadCounts();
    expect(readDataFile(path).equals(changed)).toBe(true);
    expect(countsSince(before)).toEqual({ inflated: 1, reused: 0 });
    expect(readDataFile(path).equals(changed)).toBe(true);
    expect(countsSince(before)).toEqual({ inflated: 1, reused: 1 });
  });

  it("the budget evicts the least recently used file and keeps none larger than itself", () => {
    const files = [1, 2, 3].map((k) => ({ contents: pattern(3000, 10 + k), path: writeGz(`c${k}.bin.gz`, pattern(3000, 10 + k)) }));
    const entry = (k: number) => statSync(files[k]!.path).size + 3000;
    setGunzippedBudget(entry(0) + entry(1) + 10); // room for two of the three files
    readDataFile(files[0]!.path);
    readDataFile(files[1]!.path);
    readDataFile(files[0]!.path); // file 0 is now the most recently used, file 1 the least
    readDataFile(files[2]!.path); // evicts file 1
    expect(keptGunzippedBytes()).toBe(entry(0) + entry(2));
    const before = gunzipReadCounts();
    expect(readDataFile(files[0]!.path).equals(files[0]!.contents)).toBe(true);
    expect(readDataFile(files[1]!.path).equals(files[1]!.contents)).toBe(true);
    expect(countsSince(before)).toEqual({ inflated: 1, reused: 1 });

    setGunzippedBudget(100); // smaller than any one file
    const small = gunzipReadCounts();
    expect(readDataFile(files[2]!.path).equals(files[2]!.contents)).toBe(true);
    expect(readDataFile(files[2]!.path).equals(files[2]!.contents)).toBe(true);
    expect(countsSince(small)).toEqual({ inflated: 2, reused: 0 });
    expect(keptGunzippedBytes()).toBe(0);
  });

  it.runIf(existsSync(DEBIAN_LABELS))("a file unchanged for long is reused on its times alone, without its compressed bytes", () => {
    // Debian's Fashion-MNIST training labels: 60,000 labels after a 8-byte IDX header, 29,491 bytes gzip'd.
    setGunzippedBudget(0);
    const before = gunzipReadCounts();
    const first = readDataFile(DEBIAN_LABELS);
    expect(first.length).toBe(60_008);
    expect(keptGunzippedBytes()).toBe(60_008);
    expect(readDataFile(DEBIAN_LABELS).equals(gunzipSync(readFileSync(DEBIAN_LABELS)))).toBe(true);
    expect(countsSince(before)).toEqual({ inflated: 1, reused: 1 });
  });

  describe("the runs of a sweep over a data set too large to keep built", () => {
    // A Fashion-MNIST directory of 5 images of 3×4 pixels (IDX: magic, big-endian dimensions, bytes), gzip'd.
    const dir = join(root, "fashion");
    const pixels = pattern(5 * 3 * 4, 4);
    const idx = (magic: number, dims: number[], data: Buffer) => {
      const header = Buffer.alloc(4 + 4 * dims.length);
      header.writeUInt32BE(magic, 0);
      dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
      return Buffer.concat([header, data]);
    };
    const writeSet = (labels: number[]) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), gzipSync(idx(0x803, [5, 3, 4], pixels)));
      writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), gzipSync(idx(0x801, [5], Buffer.from(labels))));
    };
    const spec: DataSpec = { source: "fashion_mnist", split: "train", limit: null, dir, normalize: "unit", perSeed: false };
    const program = { targets: {}, file: join(root, "x.dyn") } as unknown as ExperimentProgram;
    const build = () => buildRunData({ train: spec }, { program, seeds: [0], dataRoot: root }).get("train")![0]!;

    it("each run gets its own arrays, with the values the bytes give, from one inflate per file", () => {
      writeSet([0, 1, 9, 3, 4]);
      setKeptDataBudget(1); // no built data set is kept: every run builds again, as Fashion-MNIST's full training set does
      const before = gunzipReadCounts();
      const first = build();
      const second = build();
      expect(countsSince(before)).toEqual({ inflated: 2, reused: 2 });
      expect(second.x.length).toBe(pixels.length);
      second.x.forEach((v, k) => expect(Math.abs(v - pixels[k]! / 255)).toBeLessThan(1e-7));
      expect([...second.labels!]).toEqual([0, 1, 9, 3, 4]);
      expect(second.x).not.toBe(first.x);
      first.x.fill(7);
      expect([...build().x]).toEqual([...second.x]);
    });

    it("labels rewritten between two runs reach the second run", () => {
      writeSet([0, 1, 9, 3, 4]);
      setKeptDataBudget(1);
      expect([...build().labels!]).toEqual([0, 1, 9, 3, 4]);
      writeSet([5, 5, 2, 2, 8]);
      expect([...build().labels!]).toEqual([5, 5, 2, 2, 8]);
    });
  });
});
