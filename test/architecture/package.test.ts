/**
 * package.json points at files a build produces: every `exports` target (with its declarations, which
 * generated programs type-check against when dync is installed) and the `bin`. Needs `npm run build`
 * first (npm test's pretest does it), which also marks the bin executable.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  bin: Record<string, string>;
  exports: Record<string, string>;
};

describe("package.json entry points exist after a build", () => {
  it.each(Object.entries(pkg.exports))("exports %s → %s (and its .d.ts)", (_name, target) => {
    expect(existsSync(join(ROOT, target)), `${target} missing: run \`npm run build\``).toBe(true);
    expect(existsSync(join(ROOT, target.replace(/\.js$/, ".d.ts")))).toBe(true);
  });

  it.each(Object.entries(pkg.bin))("bin %s → %s", (_name, target) => {
    expect(existsSync(join(ROOT, target)), `${target} missing: run \`npm run build\``).toBe(true);
    expect(readFileSync(join(ROOT, target), "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
    // executable: `npx dync …` in a checkout (the README's first command) runs this file itself
    // (tools/mark-executable.mjs; tsc writes it 0644); Windows keeps no such bit
    if (process.platform !== "win32") expect(statSync(join(ROOT, target)).mode & 0o111).toBe(0o111);
  });

  it("dync/runtime is the runner's public index, which generated programs import", () => {
    expect(pkg.exports["./runtime"]).toBe("./dist/runner/index.js");
  });
});
