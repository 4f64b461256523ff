/**
 * Vega and Vega-Lite, loaded from the single-file bundles their packages ship (build/vega.min.js,
 * build/vega-lite.min.js: the same versions, built from the same sources). The packages' `exports` point at
 * their per-module ESM builds: `vega` alone is about 35 packages (vega-*, d3-*) and took ~0.2 s of CPU to load,
 * the largest part of `dync report`'s start-up; the two bundles load in ~0.06 s. They are UMD scripts in
 * `"type": "module"` packages (so neither `import` nor `require` reads them as scripts): each is compiled as
 * a CommonJS-style function, and Vega-Lite's one `require("vega")` gets this Vega, so there is one instance.
 * Every value import of vega or vega-lite in dync goes through this module (types come from the packages).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { compileCached, type CachedScript, type CodeCacheState } from "./script-cache.js";

type Vega = typeof import("vega");
type VegaLite = typeof import("vega-lite");

const require = createRequire(import.meta.url);

/** A package's bundle, beside its ESM entry point (build/, in both packages). */
function bundlePath(pkg: string, file: string): string {
  return join(dirname(require.resolve(pkg)), file);
}

/**
 * Runs a UMD bundle as CommonJS and returns its exports; `deps` answers its `require` calls. It is compiled
 * with the code cache of report/script-cache.ts, whose handle goes to `scripts`.
 */
function loadBundle<T>(path: string, deps: Record<string, unknown>, scripts: CachedScript[]): T {
  const module = { exports: {} as Record<string, unknown> };
  const script = compileCached(path, ["exports", "module", "require"]);
  scripts.push(script);
  const requireDep = (name: string): unknown => {
    if (!Object.hasOwn(deps, name)) throw new Error(`${path} requires "${name}", which dync does not provide to it`);
    return deps[name];
  };
  script.fn.call(undefined, module.exports, module, requireDep);
  return module.exports as T;
}

let loaded: { readonly vega: Vega; readonly vegaLite: VegaLite; readonly scripts: readonly CachedScript[] } | undefined;

/**
 * Vega and Vega-Lite, loaded on first use (~0.15 s of CPU with their warm-up, about half that from the code
 * cache): a report whose figures are all unchanged (report.ts reuses an SVG whose Vega-Lite spec is the same)
 * never loads them.
 */
export function vegaLibraries(): { readonly vega: Vega; readonly vegaLite: VegaLite } {
  if (!loaded) {
    const scripts: CachedScript[] = [];
    const vega = loadBundle<Vega>(bundlePath("vega", "vega.min.js"), {}, scripts);
    loaded = { vega, vegaLite: loadBundle<VegaLite>(bundlePath("vega-lite", "vega-lite.min.js"), { vega }, scripts), scripts };
  }
  return loaded;
}

/** Called once a figure is drawn: the bundles' code, with what drawing compiled, goes to the code cache for the next process. */
export function keepCompiledVega(): void {
  for (const script of loaded?.scripts ?? []) script.keep();
}

/** How the code cache served the bundles in this process (for tests), in load order; empty before they load. */
export function vegaCodeCacheStates(): readonly CodeCacheState[] {
  return loaded?.scripts.map((s) => s.state) ?? [];
}
