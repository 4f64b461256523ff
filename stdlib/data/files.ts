/**
 * Locating and reading data files from a directory the user names (nothing is downloaded at run time).
 * A missing file or directory is RUN010 naming the path and what was expected; an unreadable or corrupt
 * file is RUN011 naming the file and what was wrong.
 */
import { existsSync, readFileSync, statSync, type Stats } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { DyncRuntimeError } from "../../runtime/errors.js";

/** Where a missing data set's files go, for RUN010's hint (a data set's own `install` hint comes first). */
function placeHint(install?: string): string {
  const place = "dync never downloads data: put the files in that directory, name another with `dir:`, or run with `--data ROOT` for ROOT/<source>";
  return install ? `${install}; or ${place.replace(/^dync never downloads data: /, "")}` : place;
}

/** Throw RUN010 unless `dir` is an existing directory; `expected` says what it should hold, `install` how to get it. */
export function requireDirectory(dir: string, expected: string, install?: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new DyncRuntimeError("RUN010", `data directory ${dir} does not exist; expected it to hold ${expected}`, placeHint(install));
  }
  if (!isDir) throw new DyncRuntimeError("RUN010", `${dir} is not a directory; expected a directory holding ${expected}`);
}

/** The first of `names` (each also tried with `.gz`) present in `dir`, or undefined. */
export function findFile(dir: string, names: readonly string[]): string | undefined {
  for (const name of names) {
    for (const candidate of [name, `${name}.gz`]) {
      const path = join(dir, candidate);
      if (existsSync(path) && statSync(path).isFile()) return path;
    }
  }
  return undefined;
}

/** Like `findFile`, but a missing file is RUN010 listing every file the source expects. */
export function requireFile(dir: string, names: readonly string[], source: string, allExpected: readonly string[]): string {
  const path = findFile(dir, names);
  if (path) return path;
  throw new DyncRuntimeError(
    "RUN010",
    `${source}: ${names[0]} (or ${names[0]}.gz) is missing from ${dir}; expected the files ${allExpected.join(", ")}`,
    "dync never downloads data at run time: place the files there (gzip'd .gz files are read as they are)",
  );
}

/**
 * Largest data file read, in bytes, before or after gunzip: 256 MiB, well above the largest standard set
 * (CIFAR-100's train.bin, 147 MiB; MNIST's train images, 45 MiB). A gzip bomb stops inflating here rather
 * than filling memory.
 */
export const MAX_DATA_FILE_BYTES = 256 * 1024 * 1024;

/**
 * A file's bytes, gunzipped when its name ends in `.gz` (a corrupt gzip stream or a file over the cap is RUN011).
 * A gzip'd file's bytes may be shared with earlier and later reads of the same file (`gunzipped`): callers only
 * read them (parse, copy, convert), never write into them.
 */
export function readDataFile(path: string): Buffer {
  const stats = statOf(path);
  if (stats.size > MAX_DATA_FILE_BYTES) tooLarge(path, `is ${mebibytes(stats.size)}`);
  if (!path.endsWith(".gz")) return bytesOf(path);
  const absolute = resolve(path);
  const kept = gunzipped.get(absolute);
  if (kept && kept.version === fileVersion(stats) && (kept.compressed === undefined || kept.compressed.equals(bytesOf(path)))) {
    gunzipped.delete(absolute); // re-inserted last: the most recently used file is evicted last
    gunzipped.set(absolute, kept);
    gunzipCounts.reused++;
    return kept.bytes;
  }
  const readAt = Date.now();
  const compressed = bytesOf(path);
  const settled = Math.max(stats.mtimeMs, stats.ctimeMs) < readAt - SETTLED_MS;
  const entry = { version: fileVersion(stats), bytes: gunzip(path, compressed), ...(settled ? {} : { compressed }) };
  gunzipCounts.inflated++;
  keep(absolute, entry);
  return entry.bytes;
}

function statOf(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    throw new DyncRuntimeError("RUN010", `cannot read data file ${path}: ${(error as Error).message}`);
  }
}

function bytesOf(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new DyncRuntimeError("RUN010", `cannot read data file ${path}: ${(error as Error).message}`);
  }
}

/** What changes when a file is written (size, mtime, ctime: ctime cannot be set back) or replaced by a rename (inode). */
function fileVersion(stats: Stats): string {
  return `${stats.ino} ${stats.size} ${stats.mtimeMs} ${stats.ctimeMs}`;
}

/**
 * How long a file must have been unchanged, when it is read, for its times alone to show a later write: file
 * times tick coarsely (a few ms), so a write in the same tick as the read could leave them as they were.
 */
const SETTLED_MS = 2000;

function gunzip(path: string, compressed: Buffer): Buffer {
  try {
    return gunzipSync(compressed, { maxOutputLength: MAX_DATA_FILE_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") tooLarge(path, `decompresses to more than ${mebibytes(MAX_DATA_FILE_BYTES)} (from ${mebibytes(compressed.length)})`);
    throw new DyncRuntimeError("RUN011", `${path} is not a valid gzip file: ${(error as Error).message}`);
  }
}

/**
 * Gunzipped data files of this thread by absolute path, least recently used first. The runs of a sweep over a large
 * data set build their data one by one from the same files, and runner/data.ts keeps only small built data sets for
 * the next run (each run gets a copy of its own to write into), so a large set was read and gunzipped once per run:
 * Fashion-MNIST's training images, 26 MB gzip'd, 47 MB inflated, 0.3–0.9 s a run. Each run still converts the bytes
 * into data of its own. An entry is reused while the file's inode, size, mtime and ctime are those it was read with;
 * a file that had changed less than `SETTLED_MS` before it was read keeps its compressed bytes too, and is reused
 * only while it still reads the same (a fresh file could be rewritten without its times moving). Plain files are
 * not kept: reading them is all their cost. Pool workers are threads, each with its own entries.
 */
interface Gunzipped {
  readonly version: string;
  readonly bytes: Buffer;
  readonly compressed?: Buffer;
}
const gunzipped = new Map<string, Gunzipped>();

/**
 * The most bytes kept: 128 MiB, enough for Fashion-MNIST's or MNIST's four files (~55 MB inflated) and under the
 * float32 data a run on a full training set holds anyway (Fashion-MNIST's: ~190 MB).
 */
export const GUNZIPPED_FILE_BYTES = 128 * 1024 * 1024;
let gunzippedBudget = GUNZIPPED_FILE_BYTES;
const gunzipCounts = { inflated: 0, reused: 0 };

function keep(path: string, entry: Gunzipped): void {
  gunzipped.delete(path);
  if (bytesOfEntry(entry) > gunzippedBudget) return;
  gunzipped.set(path, entry);
  let total = keptGunzippedBytes();
  for (const [oldest, kept] of gunzipped) {
    if (total <= gunzippedBudget) break;
    gunzipped.delete(oldest);
    total -= bytesOfEntry(kept);
  }
}

function bytesOfEntry(entry: Gunzipped): number {
  return entry.bytes.length + (entry.compressed?.length ?? 0);
}

/** Bytes of the gunzipped data files kept for later reads (inflated, and compressed where kept). */
export function keptGunzippedBytes(): number {
  let total = 0;
  for (const entry of gunzipped.values()) total += bytesOfEntry(entry);
  return total;
}

/** Tests: gzip'd files inflated so far, and reads that reused an earlier inflate. */
export function gunzipReadCounts(): { readonly inflated: number; readonly reused: number } {
  return { ...gunzipCounts };
}

/** Tests: another budget in bytes (0 restores the default); forgets every kept file. */
export function setGunzippedBudget(bytes: number): void {
  gunzippedBudget = bytes > 0 ? bytes : GUNZIPPED_FILE_BYTES;
  gunzipped.clear();
}

function tooLarge(path: string, what: string): never {
  badFormat(path, `${what}, over the ${mebibytes(MAX_DATA_FILE_BYTES)} a data file may hold`, "a real data set's files are far smaller: the file is damaged or not the expected one (a gzip bomb?)");
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MiB`;
}

/** Throw RUN011 naming the file and what is wrong with it. */
export function badFormat(path: string, problem: string, hint?: string): never {
  throw new DyncRuntimeError("RUN011", `${path}: ${problem}`, hint);
}
