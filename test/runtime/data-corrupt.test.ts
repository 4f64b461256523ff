/**
 * Corrupt, truncated and hostile data files are RUN011 naming the file and what is wrong, never a stack
 * trace, a hang or an allocation of what a header merely declares: IDX (MNIST), CIFAR, PNG, `.npy` (what
 * `dync report` reads), a gzip bomb (stops inflating at MAX_DATA_FILE_BYTES), a PNG declaring 30000×30000
 * (refused on its header) and a PNG whose image data is a zlib bomb (cut off at the declared size).
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { encodeNpy, readNpy } from "../../runtime/npy.js";
import { decodePng, loadCifar10, loadMnist } from "../../stdlib/data/index.js";
import { MAX_DATA_FILE_BYTES } from "../../stdlib/data/files.js";
import { MAX_PNG_PIXELS } from "../../stdlib/data/png.js";
import { expectRuntimeError } from "./expect-runtime-error.js";

const root = mkdtempSync(join(tmpdir(), "dync-corrupt-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MiB = 1024 * 1024;

/** An IDX file of unsigned bytes with the given dimensions (magic 0x0000080N, big-endian sizes). */
function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE((0x08 << 8) | dims.length, 0);
  dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([header, data]);
}

/** A PNG made of the signature, an IHDR for width × height RGB 8-bit, one IDAT holding `idat`, and IEND. */
function png(width: number, height: number, idat: Uint8Array): Buffer {
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))]);
}

describe("gzip'd data files", () => {
  it("a 1 MB gzip bomb (16 members of 64 MiB of zeros: 1 GiB inflated) is refused at the 256 MiB cap, not inflated whole", () => {
    const dir = join(root, "bomb");
    mkdirSync(dir);
    const member = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    expect(bomb.length).toBeLessThan(1.1 * MiB);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), bomb);
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idx([1], Uint8Array.from([3])));
    const started = Date.now();
    expectRuntimeError(() => loadMnist({ dir, split: "test" }), "RUN011", /t10k-images-idx3-ubyte\.gz: decompresses to more than 256 MiB \(from 1\.0\d MiB\), over the 256 MiB a data file may hold/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(MAX_DATA_FILE_BYTES).toBe(256 * MiB);
  }, 60_000);

  it("a file larger than the cap is refused from its size, before it is read (a sparse 300 MiB file)", () => {
    const dir = join(root, "huge");
    mkdirSync(dir);
    const file = join(dir, "test_batch.bin");
    writeFileSync(file, "");
    truncateSync(file, 300 * MiB);
    expectRuntimeError(() => loadCifar10({ dir, split: "test" }), "RUN011", /test_batch\.bin: is 300 MiB, over the 256 MiB a data file may hold/);
  });

  it("a truncated gzip stream and a gzip'd IDX with a wrong size are RUN011 naming the file", () => {
    const dir = join(root, "truncated-gz");
    mkdirSync(dir);
    const images = gzipSync(idx([2, 28, 28], new Uint8Array(2 * 784).fill(7)));
    writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), images.subarray(0, images.length - 30));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idx([2], Uint8Array.from([1, 2])));
    expectRuntimeError(() => loadMnist({ dir, split: "test" }), "RUN011", /t10k-images-idx3-ubyte\.gz is not a valid gzip file: unexpected end of file/);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), gzipSync(idx([2, 28, 28], new Uint8Array(784))));
    expectRuntimeError(() => loadMnist({ dir, split: "test" }), "RUN011", /t10k-images-idx3-ubyte\.gz: truncated: the header declares dimensions \[2, 28, 28\] = 1568 bytes of data, the file holds 784/);
  });

  it("a CIFAR batch gzip'd and cut mid-record is RUN011 naming the file and the record size", () => {
    const dir = join(root, "cifar-gz");
    mkdirSync(dir);
    writeFileSync(join(dir, "test_batch.bin.gz"), gzipSync(new Uint8Array(3073 * 2 - 1)));
    expectRuntimeError(() => loadCifar10({ dir, split: "test" }), "RUN011", /test_batch\.bin\.gz: size 6145 bytes is not a whole number of 3073-byte CIFAR-10 records/);
  });
});

describe("PNG sizes are capped before allocating", () => {
  it("a header declaring 30000×30000 is refused on the header (a 70-byte file)", () => {
    const file = png(30000, 30000, deflateSync(new Uint8Array(10)));
    expect(file.length).toBeLessThan(100);
    expectRuntimeError(() => decodePng(file, "big.png"), "RUN011", /big\.png: 30000×30000 pixels, over the 16777216 \(4096×4096\) an image may have/);
    expect(MAX_PNG_PIXELS).toBe(4096 * 4096);
  });

  it("image data that inflates beyond the declared 2×2 image (a zlib bomb) is cut off and refused", () => {
    const bomb = deflateSync(new Uint8Array(32 * MiB), { level: 9 });
    expectRuntimeError(() => decodePng(png(2, 2, bomb), "bomb.png"), "RUN011", /bomb\.png: image data inflates to more than the 14 bytes a 2×2 image holds/);
  });

  it("the image data of exactly the declared size still decodes (filter byte 0, 2 rows of 6 bytes)", () => {
    const rows = Uint8Array.from([0, 0, 51, 102, 255, 0, 0, 0, 0, 0, 0, 0, 0, 255]);
    const image = decodePng(png(2, 2, deflateSync(rows)), "ok.png");
    expect([...image.rgb.subarray(0, 6)].map((v) => Math.round(v * 255))).toEqual([0, 51, 102, 255, 0, 0]);
  });
});

describe(".npy files (as dync report reads them)", () => {
  const good = encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  const write = (name: string, bytes: Uint8Array) => {
    const file = join(root, name);
    writeFileSync(file, bytes);
    return file;
  };

  it("bad magic, a truncated header, truncated data and a wrong size are RUN011 naming the file", () => {
    const magic = Buffer.from(good);
    magic[1] = 0x58;
    expectRuntimeError(() => readNpy(write("magic.npy", magic)), "RUN011", /magic\.npy: not a \.npy file \(bad magic string\)/);
    expectRuntimeError(() => readNpy(write("header.npy", good.subarray(0, 50))), "RUN011", /header\.npy: truncated header/);
    expectRuntimeError(() => readNpy(write("data.npy", good.subarray(0, good.length - 3))), "RUN011", /data\.npy: holds 21 data bytes; shape \(2, 3\) of <f4 needs 24/);
    expectRuntimeError(() => readNpy(write("long.npy", Buffer.concat([good, Buffer.alloc(4)]))), "RUN011", /long\.npy: holds 28 data bytes; shape \(2, 3\) of <f4 needs 24/);
  });

  it("a header declaring a huge shape is refused from the byte count, before anything is allocated", () => {
    const header = Buffer.from(good.subarray(0, 128)).toString("latin1").replace("(2, 3)", "(99999999, 99999)");
    const forged = Buffer.concat([Buffer.from(header.slice(0, 128), "latin1"), Buffer.from(good.subarray(128))]);
    expectRuntimeError(() => readNpy(write("huge.npy", forged)), "RUN011", /huge\.npy: holds 24 data bytes; shape \(99999999, 99999\) of <f4 needs 39999\d+/);
  });
});
