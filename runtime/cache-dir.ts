/**
 * dync's cache directory, shared by what it keeps between processes: generated programs (cli/program-cache.ts),
 * runs' measured times (runner/run-times.ts) and the report's compiled Vega code (report/script-cache.ts).
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** dync's cache directory: `$DYNC_CACHE_DIR`, else `$XDG_CACHE_HOME/dync`, else `~/.cache/dync`. */
export function dyncCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env["DYNC_CACHE_DIR"] || join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "dync");
}
