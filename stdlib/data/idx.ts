/**
 * The IDX format of MNIST and Fashion-MNIST: a 4-byte magic number (0, 0, type code, number of dimensions),
 * one big-endian uint32 per dimension, then the values. Only unsigned bytes (type 0x08) occur in these
 * datasets: images have magic 0x00000803, labels 0x00000801.
 */
import { badFormat } from "./files.js";

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parse an unsigned-byte IDX file with `expectedDims` dimensions, checking magic number and length. */
export function parseIdx(bytes: Uint8Array, path: string, expectedDims: number): IdxArray {
  const expectedMagic = (UNSIGNED_BYTE << 8) | expectedDims;
  const what = expectedDims === 3 ? "unsigned-byte images, 3 dimensions" : `unsigned-byte, ${expectedDims} dimension(s)`;
  if (bytes.length < 4) badFormat(path, `only ${bytes.length} bytes long, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    badFormat(path, `bad magic number 0x${hex(magic)}; expected 0x${hex(expectedMagic)} (IDX, ${what})`);
  }
  const headerLength = 4 + 4 * expectedDims;
  if (bytes.length < headerLength) badFormat(path, `truncated IDX header (${bytes.length} of ${headerLength} bytes)`);
  const dims = Array.from({ length: expectedDims }, (_, k) => view.getUint32(4 + 4 * k, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLength;
  if (actual !== size) {
    const problem = actual < size ? "truncated" : "has trailing bytes";
    badFormat(path, `${problem}: the header declares dimensions [${dims.join(", ")}] = ${size} bytes of data, the file holds ${actual}`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function hex(value: number): string {
  return value.toString(16).padStart(8, "0");
}
