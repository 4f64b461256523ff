/**
 * Each run's last measured wall time, remembered for the default `--jobs` (jobs.ts): the next time the same
 * plan trains on the same backend, whether workers pay off is known before the first step.
 *
 * One small JSON file per plan hash and backend (`{ "runs": { "<run id>": seconds } }`) under
 * `<cache>/run-times/`, beside the cached programs (`<cache>/programs/`, cli/program-cache.ts). A file is
 * written to a temporary name and renamed into place, so concurrent runs see a whole file or none; a file
 * that cannot be read or written is as if nothing were remembered (the rule then times the first run).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** dync's cache directory: `$DYNC_CACHE_DIR`, else `$XDG_CACHE_HOME/dync`, else `~/.cache/dync`. */
export function dyncCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env["DYNC_CACHE_DIR"] || join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "dync");
}

/** Where run times are remembered. */
export function runTimesDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dyncCacheDir(env), "run-times");
}

/** The file of one plan (its `planHash`) on one backend (name and matrix-product path: they change times). */
function runTimesFile(dir: string, planHash: string, backend: string): string {
  return join(dir, `${createHash("sha256").update(`${planHash}\0${backend}`).digest("hex").slice(0, 32)}.json`);
}

/** Remembered seconds per run id; empty when none (or the file is unreadable). */
export function readRunTimes(dir: string, planHash: string, backend: string): Record<string, number> {
  try {
    const { runs } = JSON.parse(readFileSync(runTimesFile(dir, planHash, backend), "utf8")) as { runs?: unknown };
    if (typeof runs !== "object" || runs === null) return {};
    return Object.fromEntries(Object.entries(runs).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]) && e[1] >= 0));
  } catch {
    return {};
  }
}

/** Remember `times` (seconds per run id) over what was remembered; false when it could not be written. */
export function rememberRunTimes(dir: string, planHash: string, backend: string, times: Readonly<Record<string, number>>): boolean {
  if (Object.keys(times).length === 0) return true;
  const path = runTimesFile(dir, planHash, backend);
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temporary, `${JSON.stringify({ runs: { ...readRunTimes(dir, planHash, backend), ...times } })}\n`);
    renameSync(temporary, path);
    return true;
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // never written
    }
    return false;
  }
}
