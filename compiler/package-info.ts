/** dync's own package.json, found by walking up from this file (works from sources and from dist/). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly root: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "dync") return (cached = { name: pkg.name, version: pkg.version ?? "0.0.0", root: dir });
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("dync's package.json was not found above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
