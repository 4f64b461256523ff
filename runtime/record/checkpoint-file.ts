/**
 * Checkpoint files (`<run dir>/checkpoints/<run>.ckpt`): one value tree of plain JSON data and typed arrays,
 * stored exactly (float32 parameters bit for bit, float64 probe state, int32 orders), written atomically.
 *
 * Layout: the 8 bytes `DYNCCKPT`, a uint32 (little-endian) byte length of a UTF-8 JSON header, the header,
 * then the arrays' bytes, each at an 8-byte-aligned offset. In the header every typed array is replaced by
 * `{"$array": i}`, an index into `arrays: [{ dtype, offset, length }]`; numbers that JSON cannot hold (NaN,
 * ±Infinity, -0) are `{"$number": "NaN"}`.
 *
 * Writes go to `<file>.tmp`, are fsynced and renamed over the old file, so a kill at any moment leaves
 * either the previous checkpoint or the new one, whole.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { DyncRuntimeError } from "../errors.js";

const MAGIC = "DYNCCKPT";
const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
} as const;
type DType = keyof typeof DTYPES;
type Typed = Float32Array | Float64Array | Int32Array | Uint8Array;

interface ArrayEntry {
  readonly dtype: DType;
  readonly offset: number;
  readonly length: number;
}

/** Write `value` to `path` atomically (see the file comment); RUN032 when it cannot be written. */
export function writeCheckpointFile(path: string, value: unknown): void {
  const arrays: Typed[] = [];
  const entries: ArrayEntry[] = [];
  let offset = 0;
  const encoded = encode(value, (array) => {
    offset = align8(offset);
    entries.push({ dtype: dtypeOf(array), offset, length: array.length });
    arrays.push(array);
    offset += array.byteLength;
    return entries.length - 1;
  });
  const headerBytes = Buffer.from(JSON.stringify({ arrays: entries, value: encoded }));
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, "latin1");
  prefix.writeUInt32LE(headerBytes.length, 8);
  const start = align8(12 + headerBytes.length);
  const temporary = `${path}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(temporary, "w");
    try {
      writeAll(fd, prefix, 0);
      writeAll(fd, headerBytes, 12);
      arrays.forEach((array, i) => writeAll(fd, new Uint8Array(array.buffer, array.byteOffset, array.byteLength), start + entries[i]!.offset));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new DyncRuntimeError("RUN032", `cannot write the checkpoint ${path}: ${(error as Error).message}`, "check that the run directory is writable and the disk is not full");
  }
}

/** The value a checkpoint file holds; RUN032 naming the file when it is not a whole checkpoint. */
export function readCheckpointFile(path: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new DyncRuntimeError("RUN032", `cannot read the checkpoint ${path}: ${(error as Error).message}`);
  }
  const corrupt = (why: string) => new DyncRuntimeError("RUN032", `the checkpoint ${path} is corrupt: ${why}`, "delete it to restart that run from step 0");
  if (bytes.length < 12 || bytes.toString("latin1", 0, 8) !== MAGIC) throw corrupt("it does not start with DYNCCKPT");
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) throw corrupt("the header is cut short");
  let header: { arrays: ArrayEntry[]; value: unknown };
  try {
    header = JSON.parse(bytes.toString("utf8", 12, 12 + headerLength)) as typeof header;
  } catch (error) {
    throw corrupt(`the header is not JSON (${(error as Error).message})`);
  }
  const start = align8(12 + headerLength);
  const arrays = header.arrays.map((e) => {
    const Type = DTYPES[e.dtype];
    if (!Type) throw corrupt(`unknown dtype ${String(e.dtype)}`);
    const from = start + e.offset;
    const to = from + e.length * Type.BYTES_PER_ELEMENT;
    if (!Number.isInteger(from) || to > bytes.length) throw corrupt("the data is cut short");
    const copy = new Uint8Array(to - from);
    copy.set(bytes.subarray(from, to));
    return new Type(copy.buffer);
  });
  return decode(header.value, (i) => {
    const array = arrays[i];
    if (!array) throw corrupt(`array ${i} is missing`);
    return array;
  });
}

function encode(value: unknown, store: (array: Typed) => number): unknown {
  if (isTyped(value)) return { $array: store(value) };
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0) ? value : { $number: String(Object.is(value, -0) ? "-0" : value) };
  if (Array.isArray(value)) return value.map((v) => encode(v, store));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, store)]));
  }
  return value;
}

function decode(value: unknown, array: (i: number) => Typed): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, array));
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record["$array"] === "number") return array(record["$array"]);
    if (typeof record["$number"] === "string") return record["$number"] === "-0" ? -0 : Number(record["$number"]);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decode(v, array)]));
  }
  return value;
}

function isTyped(value: unknown): value is Typed {
  return value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array || value instanceof Uint8Array;
}

function dtypeOf(array: Typed): DType {
  if (array instanceof Float32Array) return "float32";
  if (array instanceof Float64Array) return "float64";
  return array instanceof Int32Array ? "int32" : "uint8";
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) {
    const n = writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new Error("no space left on device (a write took no bytes)");
    done += n;
  }
}
