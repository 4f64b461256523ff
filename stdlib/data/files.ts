/**
 * Locating and reading data files from a directory the user names (nothing is downloaded at run time).
 * A missing file or directory is RUN010 naming the path and what was expected; an unreadable or corrupt
 * file is RUN011 naming the file and what was wrong.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
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

/** A file's bytes, gunzipped when its name ends in `.gz` (a corrupt gzip stream or a file over the cap is RUN011). */
export function readDataFile(path: string): Buffer {
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > MAX_DATA_FILE_BYTES) tooLarge(path, `is ${mebibytes(size)}`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof DyncRuntimeError) throw error;
    throw new DyncRuntimeError("RUN010", `cannot read data file ${path}: ${(error as Error).message}`);
  }
  if (!path.endsWith(".gz")) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_DATA_FILE_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") tooLarge(path, `decompresses to more than ${mebibytes(MAX_DATA_FILE_BYTES)} (from ${mebibytes(bytes.length)})`);
    throw new DyncRuntimeError("RUN011", `${path} is not a valid gzip file: ${(error as Error).message}`);
  }
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
