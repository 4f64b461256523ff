/**
 * A large script (the Vega and Vega-Lite bundles, report/vega.ts) compiled with a V8 code cache kept in dync's
 * cache directory (`<cache>/v8/`). Compiling vega.min.js and vega-lite.min.js and the functions the first figure
 * runs took ~90 ms of CPU in every process that draws a figure (`dync run`, a compiled program, `dync report`);
 * from the cache V8 deserialises the code instead, about half of that. The code is the same code, so every
 * SVG is byte for byte the same.
 *
 * The cache file is named by a hash of the script's text, its path, the Node and V8 versions, the platform and
 * the process's V8-relevant flags: V8 itself only checks a cache against the source's length and its own
 * version and flags, so a changed bundle of the same length must not find the old file. A cache V8 rejects
 * anyway is ignored and written again. The data is taken after the first figure is drawn (`keep`), so it holds
 * the functions drawing needs, not only the top level. Files are written to a temporary name and renamed into
 * place (processes may share the directory); one unused for 30 days is deleted when another is
 * written (runtime/cache-dir.ts); a directory that cannot be read or written only costs the compile.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Script } from "node:vm";
import { dyncCacheDir, storeCacheFile, touchCacheFile } from "../runtime/cache-dir.js";

/** Bumped when the key's meaning or the wrapper changes. */
const CACHE_FORMAT = 1;

/** How the cache served a script: compiled from it, compiled without one (none yet), or refused by V8. */
export type CodeCacheState = "hit" | "miss" | "rejected";

export interface CachedScript {
  /** The script's value: a function of `params` (the script's text is its body). */
  readonly fn: (...args: unknown[]) => unknown;
  readonly state: CodeCacheState;
  /** Write the code V8 has compiled for the script so far, unless it came from the cache (once per process). */
  keep(): void;
}

/**
 * The file at `path` compiled as the body of a function of `params` (as CommonJS wraps a module), with the
 * code cache of `cacheDir` when it holds one for this text and this Node.
 */
export function compileCached(path: string, params: readonly string[], cacheDir: string = join(dyncCacheDir(), "v8")): CachedScript {
  const text = readFileSync(path, "utf8");
  // On one line with the text's first line, so line numbers in stack traces stay the file's own.
  const wrapped = `(function (${params.join(", ")}) {${text}\n})`;
  const file = join(cacheDir, `${basename(path)}-${cacheKey(path, wrapped)}.bin`);
  const cachedData = readIfPresent(file);
  const script = new Script(wrapped, { filename: path, ...(cachedData ? { cachedData } : {}) });
  const state: CodeCacheState = !cachedData ? "miss" : script.cachedDataRejected ? "rejected" : "hit";
  if (state === "hit") touchCacheFile(file);
  let kept = state === "hit";
  return {
    fn: script.runInThisContext() as (...args: unknown[]) => unknown,
    state,
    keep: () => {
      if (kept) return;
      kept = true;
      storeCacheFile(cacheDir, basename(file), script.createCachedData());
    },
  };
}

function cacheKey(path: string, wrapped: string): string {
  const runtime = { format: CACHE_FORMAT, path, node: process.version, v8: process.versions.v8, platform: process.platform, arch: process.arch, flags: [...process.execArgv, process.env["NODE_OPTIONS"] ?? ""] };
  return createHash("sha256").update(JSON.stringify(runtime)).update("\0").update(wrapped).digest("hex").slice(0, 32);
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
