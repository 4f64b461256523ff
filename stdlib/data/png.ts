/**
 * A small PNG decoder (Node zlib for the deflate stream, so no dependency): colour types gray, RGB, palette,
 * gray+alpha and RGBA at every bit depth PNG allows, all five row filters, CRC-checked chunks.
 * Adam7-interlaced files are refused with RUN011 (re-save them non-interlaced); alpha is read and dropped.
 */
import { inflateSync, crc32 } from "node:zlib";
import { badFormat } from "./files.js";

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** True when the file stores gray levels (colour types 0 and 4). */
  readonly gray: boolean;
  /** width·height·3 values in [0, 1], row-major from the top-left pixel, RGB (gray replicated). */
  readonly rgb: Float32Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

/**
 * Largest image decoded, in pixels (4096×4096): checked on the header before anything is allocated or
 * inflated, as a header can declare 30000×30000 in a file of a few hundred bytes.
 */
export const MAX_PNG_PIXELS = 4096 * 4096;

/** Decode a PNG file's bytes; `path` names the file in RUN011 errors. */
export function decodePng(bytes: Uint8Array, path: string): DecodedImage {
  const { header, palette, idat } = readChunks(bytes, path);
  const channels = CHANNELS[header.colorType]!;
  const rowBytes = Math.ceil((header.width * channels * header.depth) / 8);
  const expected = (rowBytes + 1) * header.height;
  let inflated: Buffer;
  try {
    // Exactly `expected` bytes are needed; a stream that inflates beyond them (a zlib bomb) is cut off there.
    inflated = inflateSync(idat, { maxOutputLength: expected });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") badFormat(path, `image data inflates to more than the ${expected} bytes a ${header.width}×${header.height} image holds`);
    badFormat(path, `corrupt image data (zlib: ${(error as Error).message})`);
  }
  if (inflated.length < (rowBytes + 1) * header.height) {
    badFormat(path, `truncated image data: ${inflated.length} bytes for ${header.height} rows of ${rowBytes + 1}`);
  }
  const bytesPerPixel = Math.max(1, (channels * header.depth) / 8);
  const raw = unfilter(inflated, header.height, rowBytes, bytesPerPixel, path);
  return { width: header.width, height: header.height, gray: header.colorType === 0 || header.colorType === 4, rgb: toRgb(raw, header, rowBytes, palette, path) };
}

function readChunks(bytes: Uint8Array, path: string) {
  if (bytes.length < 8 || SIGNATURE.some((b, k) => bytes[k] !== b)) badFormat(path, "not a PNG file (bad signature)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let offset = 8;
  for (;;) {
    if (offset + 12 > bytes.length) badFormat(path, "truncated: the file ends before its IEND chunk");
    const length = view.getUint32(offset, false);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > bytes.length) badFormat(path, `truncated ${type} chunk (${length} bytes declared)`);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length, false)) {
      badFormat(path, `CRC mismatch in the ${type} chunk: the file is corrupt`);
    }
    if (type === "IHDR") header = parseHeader(data, path);
    else if (type === "PLTE") palette = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    offset = end;
  }
  if (!header) badFormat(path, "no IHDR chunk");
  if (header.colorType === 3 && !palette) badFormat(path, "palette image without a PLTE chunk");
  if (idat.length === 0) badFormat(path, "no IDAT chunk (no image data)");
  return { header, palette, idat: Buffer.concat(idat) };
}

function parseHeader(data: Uint8Array, path: string): Header {
  if (data.length !== 13) badFormat(path, `IHDR chunk has ${data.length} bytes, not 13`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const header = { width: view.getUint32(0), height: view.getUint32(4), depth: data[8]!, colorType: data[9]!, interlace: data[12]! };
  const depths = DEPTHS[header.colorType];
  if (!depths) badFormat(path, `unknown PNG colour type ${header.colorType}`);
  if (!depths.includes(header.depth)) badFormat(path, `bit depth ${header.depth} is invalid for colour type ${header.colorType}`);
  if (header.width === 0 || header.height === 0) badFormat(path, "zero width or height");
  if (header.width * header.height > MAX_PNG_PIXELS) {
    badFormat(path, `${header.width}×${header.height} pixels, over the ${MAX_PNG_PIXELS} (4096×4096) an image may have`, "scale the image down: each pixel becomes a training sample");
  }
  if (data[10] !== 0 || data[11] !== 0) badFormat(path, "unknown compression or filter method");
  if (header.interlace !== 0) {
    badFormat(path, "Adam7-interlaced PNGs are not supported", "re-save the image without interlacing");
  }
  return header;
}

/** Undo the per-row filters (None, Sub, Up, Average, Paeth) in place; returns the rows without filter bytes. */
function unfilter(data: Uint8Array, height: number, rowBytes: number, bpp: number, path: string): Uint8Array {
  const out = new Uint8Array(height * rowBytes);
  for (let r = 0; r < height; r++) {
    const filter = data[r * (rowBytes + 1)]!;
    const line = data.subarray(r * (rowBytes + 1) + 1, (r + 1) * (rowBytes + 1));
    const row = out.subarray(r * rowBytes, (r + 1) * rowBytes);
    const prior = r > 0 ? out.subarray((r - 1) * rowBytes, r * rowBytes) : new Uint8Array(rowBytes);
    for (let k = 0; k < rowBytes; k++) {
      const left = k >= bpp ? row[k - bpp]! : 0;
      const up = prior[k]!;
      const upLeft = k >= bpp ? prior[k - bpp]! : 0;
      row[k] = (line[k]! + predictor(filter, left, up, upLeft, r, path)) & 0xff;
    }
  }
  return out;
}

function predictor(filter: number, left: number, up: number, upLeft: number, row: number, path: string): number {
  switch (filter) {
    case 0: return 0;
    case 1: return left;
    case 2: return up;
    case 3: return (left + up) >> 1;
    case 4: return paeth(left, up, upLeft);
    default: return badFormat(path, `row ${row} has unknown filter type ${filter}`);
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Unpack samples (1–16 bits, big-endian), expand palette or gray, drop alpha, scale to [0, 1]. */
function toRgb(raw: Uint8Array, header: Header, rowBytes: number, palette: Uint8Array | undefined, path: string): Float32Array {
  const { width, height, depth, colorType } = header;
  const channels = CHANNELS[colorType]!;
  const maxValue = 2 ** depth - 1;
  const rgb = new Float32Array(width * height * 3);
  const sample = (row: number, index: number): number => {
    const base = row * rowBytes;
    if (depth === 16) return (raw[base + 2 * index]! << 8) | raw[base + 2 * index + 1]!;
    if (depth === 8) return raw[base + index]!;
    const bit = index * depth;
    return (raw[base + (bit >> 3)]! >> (8 - depth - (bit & 7))) & maxValue;
  };
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const out = 3 * (r * width + c);
      if (colorType === 3) {
        const entry = sample(r, c);
        if (3 * entry + 2 >= palette!.length) badFormat(path, `pixel (${c}, ${r}) uses palette entry ${entry} beyond the palette`);
        for (let k = 0; k < 3; k++) rgb[out + k] = palette![3 * entry + k]! / 255;
      } else if (channels <= 2) {
        rgb.fill(sample(r, c * channels) / maxValue, out, out + 3);
      } else {
        for (let k = 0; k < 3; k++) rgb[out + k] = sample(r, c * channels + k) / maxValue;
      }
    }
  }
  return rgb;
}
