/**
 * tfjs-core is loaded with `require`, in one place (runtime/tf.ts): an ES import of the CommonJS package costs
 * Node a format detection and an export-name scan of its 1.2 MB file on top of the compile, in every process
 * (docs/performance.md, "Start-up"). This fails on any other value import of a tfjs package in the source
 * folders; `import type` is free (erased) and allowed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tf } from "../../runtime/tf.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SOURCE_FOLDERS = ["diagnostics", "grammar", "contract", "numerics", "runtime", "stdlib", "report", "runner", "compiler", "cli", "editor"];
const THE_ONE_PLACE = "runtime/tf.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Value imports of a tfjs package: `import … from`, `export … from`, `import "…"` (statements), and `import("…")`. */
const STATIC_IMPORT = /^\s*(?:import|export)\b(?!\s+type\b)(?:[^;"'`]*?\bfrom)?\s*["'](@tensorflow\/tfjs[^"']*)["']/gm;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*["'](@tensorflow\/tfjs[^"']*)["']/g;

function tfjsValueImports(text: string): string[] {
  return [...text.matchAll(STATIC_IMPORT), ...text.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]!);
}

describe("tfjs is required in one place", () => {
  it("no source file but runtime/tf.ts imports a tfjs package as a value", () => {
    const files = SOURCE_FOLDERS.flatMap(sourceFiles).filter((f) => f !== THE_ONE_PLACE);
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((file) => tfjsValueImports(readFileSync(join(ROOT, file), "utf8")).map((pkg) => `${file}: ${pkg}`))).toEqual([]);
  });

  it("the pattern catches the forms it is meant to catch and leaves type imports alone", () => {
    const caught = tfjsValueImports;
    expect(caught(`import * as tf from "@tensorflow/tfjs-core";`)).toEqual(["@tensorflow/tfjs-core"]);
    expect(caught(`import {\n  version_core,\n} from "@tensorflow/tfjs-core";`)).toEqual(["@tensorflow/tfjs-core"]);
    expect(caught(`import "@tensorflow/tfjs-backend-wasm";`)).toEqual(["@tensorflow/tfjs-backend-wasm"]);
    expect(caught(`const m = await import("@tensorflow/tfjs-backend-wasm");`)).toEqual(["@tensorflow/tfjs-backend-wasm"]);
    expect(caught(`export { tensor } from "@tensorflow/tfjs-core";`)).toEqual(["@tensorflow/tfjs-core"]);
    expect(caught(`import type * as tf from "@tensorflow/tfjs-core";`)).toEqual([]);
    expect(caught(`import type { Tensor } from "@tensorflow/tfjs-core";`)).toEqual([]);
    expect(caught(`export type { Tensor } from "@tensorflow/tfjs-core";`)).toEqual([]);
  });

  it("the required module is the one an ES import gives: one engine, one kernel registry", async () => {
    const imported = await import("@tensorflow/tfjs-core");
    expect(tf.engine()).toBe(imported.engine());
    expect(tf.Tensor).toBe(imported.Tensor);
    expect(tf.version_core).toBe(imported.version_core);
  });
});
