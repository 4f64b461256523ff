import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../runtime/rng.js";
import { boxResize, decodePng, loadImage } from "../../stdlib/data/index.js";
import { expectRuntimeError } from "./expect-runtime-error.js";

const root = mkdtempSync(join(tmpdir(), "dync-png-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// ---- a reference PNG encoder written from the specification (independent of the decoder under test) ----
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc(body), 8 + data.length);
  return out;
}

interface PngSpec {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  /** Packed scanline bytes (no filter bytes), height × rowBytes. */
  rows: Uint8Array;
  palette?: Uint8Array;
  interlace?: number;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Encode with filter type (row mod 5), so every filter of the decoder is exercised. */
function encodePng(spec: PngSpec): Buffer {
  const channels = CHANNELS[spec.colorType]!;
  const rowBytes = Math.ceil((spec.width * channels * spec.depth) / 8);
  const bpp = Math.max(1, (channels * spec.depth) / 8);
  const filtered = new Uint8Array(spec.height * (rowBytes + 1));
  for (let r = 0; r < spec.height; r++) {
    const filter = r % 5;
    filtered[r * (rowBytes + 1)] = filter;
    for (let k = 0; k < rowBytes; k++) {
      const raw = spec.rows[r * rowBytes + k]!;
      const a = k >= bpp ? spec.rows[r * rowBytes + k - bpp]! : 0;
      const b = r > 0 ? spec.rows[(r - 1) * rowBytes + k]! : 0;
      const c = r > 0 && k >= bpp ? spec.rows[(r - 1) * rowBytes + k - bpp]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const prediction = [0, a, b, Math.floor((a + b) / 2), paeth][filter]!;
      filtered[r * (rowBytes + 1) + 1 + k] = (raw - prediction + 256) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr.set([spec.depth, spec.colorType, 0, 0, spec.interlace ?? 0], 8);
  const idat = deflateSync(filtered);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    ...(spec.palette ? [chunk("PLTE", spec.palette)] : []),
    // split the stream over two IDAT chunks, as encoders may
    chunk("IDAT", idat.subarray(0, 7)),
    chunk("IDAT", idat.subarray(7)),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

function randomBytes(count: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: count }, () => rng.int(256));
}

describe("PNG decoder", () => {
  it("8-bit RGB with all five filters decodes to bytes/255", () => {
    const [width, height] = [7, 6];
    const rows = randomBytes(width * height * 3, 1);
    const image = decodePng(encodePng({ width, height, depth: 8, colorType: 2, rows }), "rgb.png");
    expect([image.width, image.height, image.gray]).toEqual([7, 6, false]);
    expect([...image.rgb]).toEqual([...rows].map((v) => Math.fround(v / 255)));
  });

  it("8-bit RGBA drops alpha; gray+alpha replicates gray", () => {
    const rgba = randomBytes(5 * 5 * 4, 2);
    const image = decodePng(encodePng({ width: 5, height: 5, depth: 8, colorType: 6, rows: rgba }), "rgba.png");
    for (let p = 0; p < 25; p++) {
      for (let k = 0; k < 3; k++) expect(image.rgb[3 * p + k]).toBe(Math.fround(rgba[4 * p + k]! / 255));
    }
    const ga = randomBytes(4 * 3 * 2, 3);
    const gray = decodePng(encodePng({ width: 4, height: 3, depth: 8, colorType: 4, rows: ga }), "ga.png");
    expect(gray.gray).toBe(true);
    for (let p = 0; p < 12; p++) expect([...gray.rgb.subarray(3 * p, 3 * p + 3)]).toEqual(new Array(3).fill(Math.fround(ga[2 * p]! / 255)));
  });

  it("16-bit gray is big-endian over 65535", () => {
    const rows = randomBytes(3 * 6 * 2, 4);
    const image = decodePng(encodePng({ width: 3, height: 6, depth: 16, colorType: 0, rows }), "g16.png");
    for (let p = 0; p < 18; p++) expect(image.rgb[3 * p]).toBe(Math.fround((rows[2 * p]! * 256 + rows[2 * p + 1]!) / 65535));
  });

  it("1-bit gray and 4-bit palette images unpack MSB-first with padded rows", () => {
    // width 10 at 1 bit: 2 bytes per row, last 6 bits padding
    const bits = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1];
    const row = Uint8Array.from([0b10110010, 0b11000000]);
    const mono = decodePng(encodePng({ width: 10, height: 2, depth: 1, colorType: 0, rows: Buffer.concat([row, row]) }), "m.png");
    expect(Array.from({ length: 10 }, (_, c) => mono.rgb[3 * (10 + c)])).toEqual(bits);
    const palette = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    // width 3 at 4 bits: indices 2, 0, 1 → bytes 0x20, 0x10
    const indexed = decodePng(encodePng({ width: 3, height: 1, depth: 4, colorType: 3, rows: Uint8Array.from([0x20, 0x10]), palette }), "p.png");
    expect([...indexed.rgb]).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });

  it("signature, CRC, truncation, interlacing and palette errors are RUN011 naming the file", () => {
    const good = encodePng({ width: 2, height: 2, depth: 8, colorType: 2, rows: randomBytes(12, 5) });
    expectRuntimeError(() => decodePng(Buffer.from("GIF89a....."), "a.gif"), "RUN011", /a\.gif: not a PNG file/);
    const corrupt = Buffer.from(good);
    corrupt[40] = corrupt[40]! ^ 0xff;
    expectRuntimeError(() => decodePng(corrupt, "c.png"), "RUN011", /c\.png: CRC mismatch/);
    expectRuntimeError(() => decodePng(good.subarray(0, good.length - 20), "t.png"), "RUN011", /t\.png: truncated/);
    const interlaced = encodePng({ width: 2, height: 2, depth: 8, colorType: 2, rows: randomBytes(12, 5), interlace: 1 });
    expectRuntimeError(() => decodePng(interlaced, "i.png"), "RUN011", /i\.png: Adam7-interlaced/);
    const badIndex = encodePng({ width: 1, height: 1, depth: 8, colorType: 3, rows: Uint8Array.from([5]), palette: Uint8Array.from([1, 2, 3]) });
    expectRuntimeError(() => decodePng(badIndex, "p.png"), "RUN011", /palette entry 5 beyond the palette/);
  });
});

describe("loadImage: pixels as a coordinate dataset", () => {
  const [width, height] = [6, 4];
  const rows = randomBytes(width * height * 3, 6);
  const file = join(root, "photo.png");
  writeFileSync(file, encodePng({ width, height, depth: 8, colorType: 2, rows }));

  it("inputs (x, y) = (linspace over columns, linspace over rows from the bottom up); RGB targets in [0, 1]", () => {
    const data = loadImage({ file });
    expect([data.n, data.width, data.height, data.yDim]).toEqual([24, 6, 4, 3]);
    expect(data.inputNames).toEqual(["x", "y"]);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const i = r * width + c;
        expect(data.x[2 * i]).toBe(Math.fround(c / 5));
        // The top row (r = 0) has y = 1: `plot image` draws y upwards, so the picture stands upright.
        expect(data.x[2 * i + 1]).toBe(Math.fround((3 - r) / 3));
        for (let k = 0; k < 3; k++) expect(data.y[3 * i + k]).toBe(Math.fround(rows[3 * i + k]! / 255));
      }
    }
  });

  it("axes x in [−1, 1), y in [0, 2] named u, v; gray (BT.601 luma) in [−1, 1]", () => {
    const axes = [{ name: "u", lo: -1, hi: 1, ends: "left" }, { name: "v", lo: 0, hi: 2, ends: "both" }] as const;
    const data = loadImage({ file, axes, channels: "gray", targetRange: "symmetric" });
    expect([data.yDim, data.inputNames]).toEqual([1, ["u", "v"]]);
    expect([...data.x.subarray(0, 12)].filter((_, k) => k % 2 === 0)).toEqual([0, 1, 2, 3, 4, 5].map((c) => Math.fround(-1 + c / 3)));
    expect([0, 1, 2, 3].map((r) => data.x[2 * r * width + 1])).toEqual([2, 4 / 3, 2 / 3, 0].map(Math.fround));
    const i = 2 * width + 3;
    const luma = (0.299 * rows[3 * i]! + 0.587 * rows[3 * i + 1]! + 0.114 * rows[3 * i + 2]!) / 255;
    expect(data.y[i]).toBeCloseTo(2 * luma - 1, 6);
  });

  it("size: box-filter shrinking averages whole blocks (6×4 → 3×2: 2×2 blocks)", () => {
    const data = loadImage({ file, size: { width: 3, height: 2 } });
    expect([data.n, data.width, data.height]).toEqual([6, 3, 2]);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        for (let k = 0; k < 3; k++) {
          const at = (rr: number, cc: number) => rows[3 * (rr * width + cc) + k]! / 255;
          const mean = (at(2 * r, 2 * c) + at(2 * r, 2 * c + 1) + at(2 * r + 1, 2 * c) + at(2 * r + 1, 2 * c + 1)) / 4;
          expect(data.y[3 * (r * 3 + c) + k]).toBeCloseTo(mean, 6);
        }
      }
    }
    // The shrunk grid's coordinates span [0, 1] again: linspace(0, 1, 3) across, linspace(1, 0, 2) down.
    expect([...data.x]).toEqual([0, 1, 0.5, 1, 1, 1, 0, 0, 0.5, 0, 1, 0]);
  });

  it("box filter at a non-integer ratio weights pixels by shared area (3 → 2: weights 2/3, 1/3 | 1/3, 2/3)", () => {
    const image = { width: 3, height: 1, rgb: Float32Array.from([0, 0, 0, 0.3, 0.3, 0.3, 0.9, 0.9, 0.9]) };
    const half = boxResize(image, 2, 1);
    // New pixel 0 covers old [0, 1.5): 1 of pixel 0 and ½ of pixel 1 → (0 + 0.5·0.3)/1.5 = 0.1;
    // new pixel 1 covers [1.5, 3): (0.5·0.3 + 0.9)/1.5 = 0.7.
    expect([...half.rgb].map((v) => Number(v.toFixed(6)))).toEqual([0.1, 0.1, 0.1, 0.7, 0.7, 0.7]);
    expectRuntimeError(() => boxResize(image, 4, 1, "tiny.png"), "RUN040", /tiny\.png is 3×1 pixels; size 4×1 would enlarge it/);
  });

  it("a missing file is RUN010", () => {
    expectRuntimeError(() => loadImage({ file: join(root, "none.png") }), "RUN010", /none\.png does not exist; expected a PNG file/);
  });
});
