/**
 * The fast start-up path of `ensureGradients`: the single-file bundle of tfjs-core's
 * `register_all_gradients.js` registers exactly the gradient functions that importing the original modules
 * through the resolve hook does (each path run in a fresh Node process, the registries compared by kernel
 * name). That the registered functions compute correct gradients is what every other runtime test checks:
 * they all go through `ensureGradients`, hence through the bundle when it exists.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { version_core as tfVersion } from "@tensorflow/tfjs-core";
import { gradientBundle, TFJS_CORE_ESM_HOOK } from "../../runtime/backend.js";

const root = resolve(import.meta.dirname, "../..");

/** Kernel names with a registered gradient after running `load` (ESM source) in a fresh Node process. */
function registeredGradients(load: string): string[] {
  const script = `import "@tensorflow/tfjs-core";\n${load}\nconsole.log(JSON.stringify([...globalThis._tfGlobals.get("gradRegistry").keys()].sort()));`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout.trim().split("\n").pop()!) as string[];
}

describe("the gradient bundle", () => {
  it("registers the same gradient functions as loading tfjs-core's modules through the resolve hook", () => {
    const bundle = gradientBundle();
    // esbuild comes with vitest's toolchain, so in this checkout the bundle can always be built.
    expect(bundle).toBeDefined();
    expect(existsSync(bundle!)).toBe(true);
    const viaBundle = registeredGradients(`await import(${JSON.stringify(pathToFileURL(bundle!).href)});`);
    const viaHook = registeredGradients(
      `import { register } from "node:module";\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(TFJS_CORE_ESM_HOOK)}`)});\nawait import("@tensorflow/tfjs-core/dist/register_all_gradients.js");`,
    );
    expect(viaHook.length).toBeGreaterThan(100);
    expect(viaHook).toContain("Tanh");
    expect(viaHook).toContain("BatchMatMul");
    expect(viaBundle).toEqual(viaHook);
  }, 60_000);

  it("`npm run build` ships one in dist/, which the compiled runtime finds first and which registers the same functions", () => {
    const found = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `import { gradientBundle } from "./dist/runtime/backend.js"; console.log(gradientBundle());`],
      { cwd: root, encoding: "utf8" },
    );
    const shipped = found.stdout.trim().split("\n").pop()!;
    expect(shipped).toBe(resolve(root, "dist/runtime", `tfjs-core-${tfVersion}-gradients.mjs`));
    const viaShipped = registeredGradients(`await import(${JSON.stringify(pathToFileURL(shipped).href)});`);
    const viaCache = registeredGradients(`await import(${JSON.stringify(pathToFileURL(gradientBundle()!).href)});`);
    expect(viaShipped.length).toBeGreaterThan(100);
    expect(viaShipped).toEqual(viaCache);
  }, 60_000);
});
