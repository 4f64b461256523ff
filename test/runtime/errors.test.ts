/**
 * The RUN table in runtime/errors.ts against the tree: every code the source throws or the hand-written
 * docs mention is in the table, every table code is thrown somewhere, and the two printed forms are the
 * ones docs/runtime-errors.md shows.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { formatAnalysisError } from "../../runtime/analysis/profile.js";
import { DyncRuntimeError, runtimeErrors } from "../../runtime/errors.js";

/** vitest runs from the repository root, as test/docs.test.ts assumes too. */
const ROOT = ".";
/** Not project source: dependencies, build output, tests (they quote codes to check them), the table itself. */
const SKIP_DIRS = new Set(["node_modules", "dist", "test", ".git", ".vscode-test", "out"]);
const TABLE = join("runtime", "errors.ts");
const GENERATED_DOC = join("docs", "runtime-errors.md");

function projectFiles(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : projectFiles(path, extensions);
    return extensions.some((ext) => entry.name.endsWith(ext)) ? [path] : [];
  });
}

/** code → the files (relative, `/`-separated) in which `pattern` finds it. */
function occurrences(files: readonly string[], pattern: RegExp): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    for (const match of readFileSync(join(ROOT, file), "utf8").matchAll(pattern)) {
      const where = found.get(match[1]!) ?? [];
      const shown = file.split(sep).join("/");
      if (!where.includes(shown)) where.push(shown);
      found.set(match[1]!, where);
    }
  }
  return found;
}

const sources = projectFiles(".", [".ts", ".mts", ".mjs"]).filter((f) => f !== TABLE);
/** A code as a string literal: what `new DyncRuntimeError("RUN040", …)` is written with. */
const thrown = occurrences(sources, /"(RUN\d{3})"/g);
/** Any mention, in code comments and hand-written docs too. */
const mentioned = occurrences([...sources, ...projectFiles(".", [".md"]).filter((f) => f !== GENERATED_DOC)], /\b(RUN\d{3})\b/g);
const tableCodes = Object.keys(runtimeErrors);

describe("the RUN error table", () => {
  it("has every code the source throws or the docs mention", () => {
    const unknown = [...mentioned].filter(([code]) => !tableCodes.includes(code)).map(([code, files]) => `${code} in ${files.join(", ")}`);
    expect(unknown).toEqual([]);
  });

  it("has no dead entries: every code is thrown somewhere outside the table", () => {
    expect(tableCodes.filter((code) => !thrown.has(code))).toEqual([]);
  });

  it("gives each code a unique kebab-case name, a one-line summary and help", () => {
    const names = Object.values(runtimeErrors).map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
    for (const [code, spec] of Object.entries(runtimeErrors)) {
      expect(code).toMatch(/^RUN\d{3}$/);
      expect(spec.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(spec.summary).not.toMatch(/[\n.]$|\n/);
      expect(spec.help.length).toBeGreaterThan(80);
    }
  });

  it("accepts only codes of the table (checked by tsc)", () => {
    // @ts-expect-error RUN999 is not a code of the table
    const unknown = new DyncRuntimeError("RUN999", "no such code");
    expect(unknown.code).toBe("RUN999");
  });
});

describe("the printed forms", () => {
  const withHint = new DyncRuntimeError("RUN030", "cannot write /r/manifest.json: EACCES", "check that the output directory is writable");
  const bare = new DyncRuntimeError("RUN051", 'loss has no dimension "depth"');

  it("render(): `error CODE: message` and the hint indented on the next line", () => {
    expect(withHint.render()).toBe("error RUN030: cannot write /r/manifest.json: EACCES\n  hint: check that the output directory is writable");
    expect(bare.render()).toBe('error RUN051: loss has no dimension "depth"');
  });

  it("an analysis that could not be evaluated prints like render(): its name and line, then the hint", () => {
    const ambiguous = new DyncRuntimeError("RUN050", "last(l) is ambiguous: 2 values at step 30", "reduce the other dimensions (e.g. `over seeds`) first");
    expect(formatAnalysisError({ name: "fin", line: 11, error: ambiguous })).toBe(
      "error RUN050: analysis fin (line 11): last(l) is ambiguous: 2 values at step 30\n  hint: reduce the other dimensions (e.g. `over seeds`) first",
    );
    expect(formatAnalysisError({ name: "fin", line: 11, error: bare })).toBe('error RUN051: analysis fin (line 11): loss has no dimension "depth"');
  });

  it("oneLine(): `CODE: message (hint: …)`, as a failed run's manifest message", () => {
    expect(withHint.oneLine()).toBe("RUN030: cannot write /r/manifest.json: EACCES (hint: check that the output directory is writable)");
    expect(bare.oneLine()).toBe('RUN051: loss has no dimension "depth"');
  });

  it("docs/runtime-errors.md shows both forms, and a section per code", () => {
    const doc = readFileSync(join(ROOT, GENERATED_DOC), "utf8");
    expect(doc).toMatch(/\n {2}error RUN010: mnist: .*\n {4}hint: dync never downloads data/);
    expect(doc).toMatch(/\n {2}RUN010: mnist: .* \(hint: dync never downloads data.*\)\n/);
    for (const code of tableCodes) expect(doc).toContain(`\n## ${code}\n`);
  });

  it("docs link the reference where errors and the manifest are described", () => {
    for (const page of ["README.md", "docs/run-directory.md", "docs/diagnostics.md"]) {
      expect(readFileSync(join(ROOT, page), "utf8"), page).toContain("runtime-errors.md");
    }
  });
});
