/**
 * Reading a `.dyn` file from disk: every way a path can be unusable (missing, a directory, too large,
 * binary, not UTF-8) becomes a diagnostic instead of an exception.
 */
import { readFileSync, statSync, type Stats } from "node:fs";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { SourceFile } from "../diagnostics/source.js";

/** Source files larger than this are refused: a `.dyn` file this big is not source code. */
export const MAX_SOURCE_MB = 16;

export type ReadResult = { ok: true; text: string } | { ok: false; diagnostic: Diagnostic };

/** Read `path` as UTF-8 `.dyn` source. */
export function readSource(path: string): ReadResult {
  const at = new SourceFile(path, "").span(0, 0);
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return fail(diagnostic("DYN4002", at, { path }));
    // A device (`/dev/zero`), FIFO or socket never ends or blocks the reader: refuse before opening it.
    if (!stat.isFile()) return fail(diagnostic("DYN4010", at, { path, kind: fileKind(stat) }));
    if (stat.size > MAX_SOURCE_MB * 1024 * 1024) {
      return fail(diagnostic("DYN4003", at, { path, size: (stat.size / 1024 / 1024).toFixed(1), limit: MAX_SOURCE_MB }));
    }
    bytes = readFileSync(path);
  } catch (error) {
    return fail(diagnostic("DYN4001", at, { path, reason: describeFsError(error) }));
  }
  return decode(path, bytes);
}

/** Decode bytes as UTF-8, refusing binary files and invalid sequences with the offending offset. */
export function decode(path: string, bytes: Uint8Array): ReadResult {
  // Locate a byte offset as line:col by decoding (leniently) what precedes it.
  const at = (offset: number) => {
    const prefix = new TextDecoder("utf-8").decode(bytes.subarray(0, offset));
    return new SourceFile(path, prefix).span(prefix.length, prefix.length);
  };
  const nul = bytes.indexOf(0);
  if (nul >= 0) return fail(diagnostic("DYN1007", at(nul)));
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return { ok: true, text };
  } catch {
    return fail(diagnostic("DYN1006", at(firstInvalidUtf8(bytes)), { offset: firstInvalidUtf8(bytes) }));
  }
}

function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

function fail(d: Diagnostic): ReadResult {
  return { ok: false, diagnostic: d };
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOTDIR") return "a part of the path is not a directory";
  return (error as Error).message ?? String(error);
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= bytes.length || (bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return bytes.length;
}
