/**
 * NumPy `.npy` files, format version 1.0, byte-identical to what `numpy.save` writes for the same array:
 * magic `\x93NUMPY`, version 1.0, little-endian uint16 header length, then the header dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }` followed by numpy's spare growth space and
 * padded with spaces and a final newline so the data starts at a multiple of 64 bytes; then the values,
 * little-endian, C order. `np.load(path)` reads them directly.
 */
import { closeSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { endianness } from "node:os";
import { DyncRuntimeError } from "./errors.js";

export type NpyData = Float32Array | Float64Array | Int32Array | Uint8Array;
export type NpyDescr = "<f4" | "<f8" | "<i4" | "|u1";

export interface NpyArray {
  readonly data: NpyData;
  readonly shape: readonly number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** numpy leaves room for the leading dimension to grow to 21 digits without rewriting the file. */
const GROWTH_AXIS_MAX_DIGITS = 21;
const LITTLE_ENDIAN_HOST = endianness() === "LE";

/** The numpy type string of a typed array. */
export function npyDescr(data: NpyData): NpyDescr {
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Float64Array) return "<f8";
  if (data instanceof Int32Array) return "<i4";
  return "|u1";
}

/** The full header (magic through the newline) numpy writes for this dtype and shape. */
export function npyHeader(descr: NpyDescr, shape: readonly number[]): Uint8Array {
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pythonTuple(shape)}, }`;
  if (shape.length > 0) dict += " ".repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  const withNewline = dict.length + 1;
  const padding = ALIGN - ((MAGIC.length + 2 + 2 + withNewline) % ALIGN);
  const text = dict + " ".repeat(padding) + "\n";
  const out = new Uint8Array(10 + text.length);
  out.set(MAGIC, 0);
  out.set([1, 0], 6);
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let k = 0; k < text.length; k++) out[10 + k] = text.charCodeAt(k);
  return out;
}

/** Encode an array as `.npy` bytes; `shape` defaults to 1-D (the data's length). */
export function encodeNpy(data: NpyData, shape: readonly number[] = [data.length]): Uint8Array {
  checkShape(data, shape);
  const header = npyHeader(npyDescr(data), shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(littleEndianBytes(data), header.length);
  return out;
}

/** Write an array as a `.npy` file; an OS failure is RUN030 naming the path and the reason. */
export function writeNpy(path: string, data: NpyData, shape?: readonly number[]): void {
  const bytes = encodeNpy(data, shape);
  try {
    writeFileSync(path, bytes);
  } catch (error) {
    removeQuietly(() => rmSync(path, { force: true })); // a half-written file (a full disk) must not pass for a measurement
    throw new DyncRuntimeError("RUN030", `cannot write ${path}: ${(error as Error).message}`);
  }
}

/**
 * Decode `.npy` bytes (versions 1.0–3.0, the four dtypes above and int64, numpy's default integer, read as
 * float64: exact to 2⁵³; C order); bad input is RUN011 naming `path`.
 */
export function decodeNpy(bytes: Uint8Array, path = "<npy bytes>"): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) bad(path, "not a .npy file (bad magic string)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) bad(path, `unsupported .npy format version ${major}.${bytes[7]}`);
  const [lengthBytes, headerLength] = major === 1 ? [2, view.getUint16(8, true)] : [4, view.getUint32(8, true)];
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) bad(path, "truncated header");
  const header = new TextDecoder("latin1").decode(bytes.subarray(8 + lengthBytes, dataStart));
  const { descr, shape } = parseHeader(header, path);
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = { "<f4": 4, "<f8": 8, "<i4": 4, "<i8": 8, "|u1": 1 }[descr];
  if (bytes.length - dataStart !== count * itemSize) {
    bad(path, `holds ${bytes.length - dataStart} data bytes; shape (${shape.join(", ")}) of ${descr} needs ${count * itemSize}`);
  }
  const copy = new Uint8Array(bytes.subarray(dataStart)); // an owned copy starting at offset 0, so aligned
  return { data: fromLittleEndian(copy, descr, count), shape };
}

/** Read a `.npy` file. */
export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new DyncRuntimeError("RUN010", `cannot read ${path}: ${(error as Error).message}`);
  }
  return decodeNpy(bytes, path);
}

/** The shape a `.npy` file declares, read from its header alone (not its data): for sizes at plan time. */
export function readNpyShape(path: string): number[] {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const start = Buffer.alloc(12);
    readSync(fd, start, 0, 12, 0);
    if (MAGIC.some((b, k) => start[k] !== b)) bad(path, "not a .npy file (bad magic string)");
    const major = start[6]!;
    if (major < 1 || major > 3) bad(path, `unsupported .npy format version ${major}.${start[7]}`);
    const [lengthBytes, headerLength] = major === 1 ? [2, start.readUInt16LE(8)] : [4, start.readUInt32LE(8)];
    const header = Buffer.alloc(headerLength);
    if (readSync(fd, header, 0, headerLength, 8 + lengthBytes) < headerLength) bad(path, "truncated header");
    return parseHeader(header.toString("latin1"), path).shape;
  } catch (error) {
    if (error instanceof DyncRuntimeError) throw error;
    throw new DyncRuntimeError("RUN010", `cannot read ${path}: ${(error as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function pythonTuple(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

function checkShape(data: NpyData, shape: readonly number[]): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new DyncRuntimeError("RUN040", `invalid .npy shape (${shape.join(", ")})`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new DyncRuntimeError("RUN040", `shape (${shape.join(", ")}) has ${count} elements but the data has ${data.length}`);
  }
}

function littleEndianBytes(data: NpyData): Uint8Array {
  if (LITTLE_ENDIAN_HOST || data instanceof Uint8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Big-endian hosts: write element by element through a DataView.
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((v: number, i: number) => {
    if (data instanceof Float32Array) view.setFloat32(4 * i, v, true);
    else if (data instanceof Float64Array) view.setFloat64(8 * i, v, true);
    else view.setInt32(4 * i, v, true);
  });
  return out;
}

function fromLittleEndian(bytes: Uint8Array, descr: ReadDescr, count: number): NpyData {
  if (descr === "|u1") return bytes;
  if (descr === "<i8") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Float64Array.from({ length: count }, (_, i) => Number(view.getBigInt64(8 * i, true)));
  }
  if (LITTLE_ENDIAN_HOST) {
    if (descr === "<f4") return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    if (descr === "<f8") return new Float64Array(bytes.buffer, bytes.byteOffset, count);
    return new Int32Array(bytes.buffer, bytes.byteOffset, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (descr === "<f4") return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  if (descr === "<f8") return Float64Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
  return Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
}

/** What decodeNpy reads: what dync writes, and int64. */
type ReadDescr = NpyDescr | "<i8";

function parseHeader(header: string, path: string): { descr: ReadDescr; shape: number[] } {
  const descrMatch = /'descr':\s*'([^']*)'/.exec(header);
  const orderMatch = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descrMatch || !orderMatch || !shapeMatch) bad(path, `unreadable header ${JSON.stringify(header.trim())}`);
  const descr = descrMatch[1] === "<u1" ? "|u1" : descrMatch[1];
  if (descr !== "<f4" && descr !== "<f8" && descr !== "<i4" && descr !== "<i8" && descr !== "|u1") {
    bad(path, `dtype ${descrMatch[1]} is not supported (float32, float64, int32, int64 or uint8, little-endian)`);
  }
  if (orderMatch[1] === "True") bad(path, "Fortran-ordered arrays are not supported", "save with np.ascontiguousarray");
  const shape = shapeMatch[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) bad(path, `invalid shape (${shapeMatch[1]})`);
  return { descr, shape };
}

function bad(path: string, problem: string, hint?: string): never {
  throw new DyncRuntimeError("RUN011", `${path}: ${problem}`, hint);
}

/** Clean-up after a failed write must not hide that write's error. */
function removeQuietly(remove: () => void): void {
  try {
    remove();
  } catch {
    // the error being reported is the write's
  }
}
