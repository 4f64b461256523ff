/**
 * The cache of generated programs behind `dync run`. Generating a program loads ts-morph, prettier and
 * TypeScript (seconds); the program is a function of the source text, where it is shown from (its path
 * relative to the working directory) and where it is (its directory, for its data files), the runtime URL it imports, the options that change it (command-line
 * overrides) and the compiler that generates it. Those, hashed, name the cached file; the same inputs load
 * it instead of generating it again. Profiles, backends and the other run flags are not in the key: one
 * program holds every profile and takes them as arguments.
 *
 * Location: `$DYNC_CACHE_DIR`, else `$XDG_CACHE_HOME/dync`, else `~/.cache/dync` (programs/ inside).
 * Several processes may share it: a program is written to a temporary file and renamed into place, so a
 * reader sees a whole file or none. Programs unused for PRUNE_AFTER_DAYS are deleted when a new one is
 * written. When the directory cannot be written, the program goes to a temporary directory, as uncached.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { dyncCacheDir } from "../runtime/cache-dir.js";

/** Bumped when the key's meaning or the cached file's form changes. */
const CACHE_FORMAT = 1;
const PRUNE_AFTER_DAYS = 30;

/** What a generated program depends on, besides the compiler itself. */
export interface ProgramInputs {
  readonly source: string;
  readonly displayPath: string;
  /** The `.dyn` file's absolute directory: the program resolves data files against it. */
  readonly sourceDir: string;
  readonly runtimeImport: string;
  /** Options that change the generated program (command-line overrides), as JSON-able data. */
  readonly options?: unknown;
}

/** The cache directory of this environment. */
export function programCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dyncCacheDir(env), "programs");
}

/** The cache key of a program: a content hash of its inputs and of the compiler build. */
export function programKey(inputs: ProgramInputs): string {
  const parts = { format: CACHE_FORMAT, compiler: compilerBuildId(), ...inputs, options: inputs.options ?? null };
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

/** The path of a cached program, or undefined when there is none (a hit also marks it as used). */
export function cachedProgram(dir: string, key: string): string | undefined {
  const path = programPath(dir, key);
  if (!existsSync(path)) return undefined;
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // a read-only cache still serves hits
  }
  return path;
}

/** Store a program; its path, or undefined when the cache directory cannot be written. */
export function storeProgram(dir: string, key: string, js: string): string | undefined {
  const path = programPath(dir, key);
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temporary, js);
    renameSync(temporary, path);
  } catch {
    tryUnlink(temporary);
    return undefined;
  }
  pruneUnused(dir, key);
  return path;
}

function programPath(dir: string, key: string): string {
  return join(dir, `${key}.mjs`);
}

/** Delete programs (and stray temporary files) not used for PRUNE_AFTER_DAYS. */
function pruneUnused(dir: string, keep: string): void {
  const cutoff = Date.now() - PRUNE_AFTER_DAYS * 24 * 3600 * 1000;
  try {
    for (const name of readdirSync(dir)) {
      if (name.startsWith(keep)) continue;
      const path = join(dir, name);
      if (statSync(path).mtimeMs < cutoff) tryUnlink(path);
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

let buildId: string | undefined;

/**
 * The compiler's identity: a hash of the code that generates programs (compiler/, contract/, grammar/,
 * diagnostics/, stdlib/ — the compiler's whole import graph — as built or as sources) and of the versions of
 * the libraries it generates with. A rebuilt or edited compiler is a different one, whatever its version says.
 */
export function compilerBuildId(): string {
  if (buildId) return buildId;
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const hash = createHash("sha256");
  for (const sub of ["compiler", "contract", "grammar", "diagnostics", "stdlib"]) {
    for (const file of codeFiles(join(root, sub))) hash.update(file).update("\0").update(readFileSync(file)).update("\0");
  }
  hash.update(libraryVersions());
  return (buildId = hash.digest("hex"));
}

/** Code files under `dir`, sorted, recursively (declarations and maps do not change what runs). */
function codeFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...codeFiles(path));
    else if (/\.(js|ts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(path);
  }
  return files.sort();
}

/** Versions of the libraries that shape generated code (read from their package.json, never loaded). */
function libraryVersions(): string {
  const require = createRequire(import.meta.url);
  return ["prettier", "ts-morph", "typescript"]
    .map((name) => {
      try {
        return `${name}@${(JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version?: string }).version}`;
      } catch {
        return `${name}@?`;
      }
    })
    .join(",");
}
