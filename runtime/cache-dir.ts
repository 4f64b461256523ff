/**
 * dync's cache directory, shared by what it keeps between processes: generated programs (cli/program-cache.ts),
 * runs' measured times (runner/run-times.ts) and the report's compiled Vega code (report/script-cache.ts); and how
 * a cache file is stored there and marked as used.
 */
import { mkdirSync, readdirSync, statSync, unlinkSync, utimesSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { replaceFile } from "./record/atomic-file.js";

/** Cache files unused this long are deleted when another is stored in their folder (old programs, old Node versions). */
const PRUNE_AFTER_DAYS = 30;

/** dync's cache directory: `$DYNC_CACHE_DIR`, else `$XDG_CACHE_HOME/dync`, else `~/.cache/dync`. */
export function dyncCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env["DYNC_CACHE_DIR"] || join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "dync");
}

/**
 * Store `data` as the file `name` of the cache folder `dir`: written to a temporary name and renamed into place, so
 * processes sharing the folder read a whole file or none; then the folder's files (stray temporary ones too) unused
 * for PRUNE_AFTER_DAYS are deleted. Its path, or undefined when the folder cannot be written: a cache that cannot be
 * written costs time, never a run.
 */
export function storeCacheFile(dir: string, name: string, data: string | Uint8Array): string | undefined {
  const path = join(dir, name);
  try {
    mkdirSync(dir, { recursive: true });
    replaceFile(path, data);
  } catch {
    return undefined;
  }
  pruneUnused(dir, name);
  return path;
}

/** Mark a cache file as used now (pruning reads its mtime); a read-only cache still serves. */
export function touchCacheFile(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // read-only: it serves without the mark
  }
}

function pruneUnused(dir: string, keep: string): void {
  const cutoff = Date.now() - PRUNE_AFTER_DAYS * 24 * 3600 * 1000;
  try {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name !== keep && statSync(path).mtimeMs < cutoff) tryUnlink(path);
    }
  } catch {
    // another process pruned first, or the directory is unreadable: nothing to do
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
