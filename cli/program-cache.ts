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
 * reader sees a whole file or none. Programs unused for 30 days are deleted (runtime/cache-dir.ts) when a new one is
 * written. When the directory cannot be written, the program goes to a temporary directory, as uncached.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { dyncCacheDir, storeCacheFile, touchCacheFile } from "../runtime/cache-dir.js";

/** Bumped when the key's meaning or the cached file's form changes. */
const CACHE_FORMAT = 1;

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
  touchCacheFile(path);
  return path;
}

/** Store a program; its path, or undefined when the cache directory cannot be written. */
export function storeProgram(dir: string, key: string, js: string): string | undefined {
  return storeCacheFile(dir, programName(key), js);
}

function programPath(dir: string, key: string): string {
  return join(dir, programName(key));
}

function programName(key: string): string {
  return `${key}.mjs`;
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
