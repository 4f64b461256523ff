/**
 * Whole-file replacement for files other processes read while a run writes them (`dync report --watch`
 * serves report.html and the plots as they are rebuilt; the run rewrites manifest.json after every run).
 *
 * The new content goes to a temporary file beside the target and is renamed over it. A reader that opened
 * the old file keeps reading the old inode to its end, and a reader that opens later gets the new one:
 * never the first part of one and the rest of the other. (An in-place `writeFileSync` truncates the file a
 * reader is streaming: a page served during a rebuild spliced the old SVG path into the new one.) Caches and the
 * runner's hand-over files are replaced the same way (runtime/cache-dir.ts, runner/run-times.ts, runner/handoff.ts).
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { unwritable } from "./run-dir.js";

let written = 0;

/**
 * Replace `path` with `data` atomically (temporary file beside it + rename). On failure the temporary file is
 * removed, the old file is left as it was, and the error is the write's or the rename's, as thrown.
 */
export function replaceFile(path: string, data: string | Uint8Array): void {
  // Unique per process and call: two writers (a run's final report, a watcher's rebuild) never share one.
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${written++}.tmp`);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // the error to report is the write's
    }
    throw error;
  }
}

/** `replaceFile` for a run directory's files: a failure is RUN030 naming `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  try {
    replaceFile(path, data);
  } catch (error) {
    throw unwritable(path, error);
  }
}
