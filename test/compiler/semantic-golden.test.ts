/**
 * Golden diagnostics of the checker: every `test/fixtures/semantic/NAME.dyn` parses cleanly and holds one
 * realistic semantic mistake; its first line names the diagnostic code that mistake must produce
 * (`// DYN2010: …`). `NAME.expected` is the exact text `dync check` prints (code frames, hints, summary
 * line; no colour), with paths relative to the repository root.
 *
 * Regenerate with `UPDATE_GOLDENS=1 npx vitest run test/compiler/semantic-golden.test.ts`, then read
 * every changed golden as a user would before accepting it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { messages } from "../../diagnostics/messages.js";
import { parse } from "../../grammar/parse.js";
import { runCli } from "../diagnostics/run-cli.js";
import { ROOT, relativeToRoot } from "./paths.js";

const SEMANTIC = join(ROOT, "test", "fixtures", "semantic");
const UPDATE = process.env["UPDATE_GOLDENS"] === "1";
const fixtures = readdirSync(SEMANTIC).filter((f) => f.endsWith(".dyn")).sort();

/** `file:line:col: severity CODE: message` header lines of rendered output, as [severity, code]. */
function headers(text: string): { severity: string; code: string }[] {
  return [...text.matchAll(/^\S+:\d+:\d+: (error|warning|info) (DYN\d{4}): /gm)].map((m) => ({ severity: m[1]!, code: m[2]! }));
}

/** The code a fixture declares on its first line: `// DYN2010: what the mistake is`. */
function declaredCode(source: string): string {
  const m = /^\/\/ (DYN\d{4}): \S/.exec(source);
  if (!m) throw new Error("a semantic fixture starts with `// DYNxxxx: description`");
  return m[1]!;
}

describe("golden diagnostics for semantically invalid programs", () => {
  it("has at least 45 fixtures, each with a golden", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(45);
    if (!UPDATE) for (const f of fixtures) expect(existsSync(join(SEMANTIC, f.replace(/\.dyn$/, ".expected"))), f).toBe(true);
  });

  for (const file of fixtures) {
    it(file, async () => {
      const path = join(SEMANTIC, file);
      const source = readFileSync(path, "utf8");
      // The mistake is semantic: the file itself parses without a single diagnostic.
      expect(parse(source, path).diagnostics).toEqual([]);
      const run = await runCli(["check", path]);
      expect(run.stderr).toBe("");
      const text = relativeToRoot(run.stdout);
      const golden = join(SEMANTIC, file.replace(/\.dyn$/, ".expected"));
      if (UPDATE) writeFileSync(golden, text);
      expect(text).toBe(readFileSync(golden, "utf8"));

      const found = headers(text);
      expect(found.length).toBeGreaterThan(0);
      // The first diagnostic is the one the fixture is about.
      expect(found[0]!.code).toBe(declaredCode(source));
      for (const h of found) {
        expect(Object.keys(messages)).toContain(h.code);
        expect(messages[h.code as keyof typeof messages].severity).toBe(h.severity);
      }
      const errors = found.filter((h) => h.severity === "error").length;
      const warnings = found.filter((h) => h.severity === "warning").length;
      expect(run.code, "exit 1 exactly when there are errors").toBe(errors > 0 ? 1 : 0);
      expect(text.trimEnd().split("\n").at(-1)).toBe(`${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"} in 1 file`);
    });
  }
});
