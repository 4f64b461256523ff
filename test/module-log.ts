/**
 * A preload that logs every module a child node process loads: ES modules through a resolve hook (it runs
 * on the loader thread and appends each URL as it is resolved), CommonJS ones from the module cache at exit.
 * Start the child with `--import <returned path>` and `MODULE_LOG=<file>` in its environment.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes hook.mjs and preload.mjs into `dir`; returns the preload's path. */
export function writeModuleLogHook(dir: string): string {
  writeFileSync(
    join(dir, "hook.mjs"),
    `import { appendFileSync } from "node:fs";
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + "\\n");
  return resolved;
}
`,
  );
  const preload = join(dir, "preload.mjs");
  writeFileSync(
    preload,
    `import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
const log = process.env.MODULE_LOG;
register(new URL("./hook.mjs", import.meta.url), { data: { log } });
const cjs = createRequire(import.meta.url).cache;
process.on("exit", () => appendFileSync(log, Object.keys(cjs).join("\\n") + "\\n"));
`,
  );
  return preload;
}
