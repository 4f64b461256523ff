/**
 * Golden diagnostics: every `test/fixtures/invalid/NAME.dyn` holds one mistake a researcher would really
 * make; `NAME.expected` is the exact text `dync check` prints for its lexical and syntax diagnostics (code
 * frames, hints, summary line; no colour). The goldens are taken from the syntax stage alone so they do not
 * change when the checker learns something new; a second test ties them to the real `dync check`, whose
 * output must contain every one of those diagnostics.
 *
 * Regenerate with `UPDATE_GOLDENS=1 npx vitest run test/diagnostics/golden.test.ts`, then read every
 * changed golden as a user would before accepting it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { messages } from "../../diagnostics/messages.js";
import { parse } from "../../grammar/parse.js";
import { runCli, syntaxCheck } from "./run-cli.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const INVALID = join(ROOT, "test", "fixtures", "invalid");
const VALID = join(ROOT, "test", "fixtures", "valid");
const SKETCHES = join(ROOT, "test", "fixtures", "sketches");
const UPDATE = process.env["UPDATE_GOLDENS"] === "1";

/** Paths shown relative to the repository root, as a user working in it sees them. */
function relative(text: string): string {
  return text.split(`${ROOT}/`).join("");
}

const invalid = readdirSync(INVALID).filter((f) => f.endsWith(".dyn")).sort();

/** The `file:line:col: error CODE: message` header lines of rendered output. */
function headers(text: string): string[] {
  return text.split("\n").filter((l) => /^\S+:\d+:\d+: (error|warning|info) DYN\d{4}: /.test(l));
}

describe("golden diagnostics for invalid programs", () => {
  it("has at least 45 fixtures, each with a golden", () => {
    expect(invalid.length).toBeGreaterThanOrEqual(45);
    if (!UPDATE) for (const f of invalid) expect(existsSync(join(INVALID, f.replace(/\.dyn$/, ".expected"))), f).toBe(true);
  });

  for (const file of invalid) {
    it(file, () => {
      const run = syntaxCheck(join(INVALID, file));
      const text = relative(run.stdout);
      const golden = join(INVALID, file.replace(/\.dyn$/, ".expected"));
      if (UPDATE) writeFileSync(golden, text);
      expect(run.code, "an invalid program exits 1").toBe(1);
      expect(text).toBe(readFileSync(golden, "utf8"));
      // Every reported code is in the message table and the summary counts what was printed.
      const codes = headers(text).map((h) => /error (DYN\d{4}):/.exec(h)![1]!);
      expect(codes.length).toBeGreaterThan(0);
      for (const c of codes) expect(Object.keys(messages)).toContain(c);
      expect(text.trimEnd().split("\n").at(-1)).toBe(`${codes.length} error${codes.length === 1 ? "" : "s"}, 0 warnings in 1 file`);
    });
  }
});

describe("the real `dync check` reports every golden diagnostic", () => {
  for (const file of invalid) {
    it(file, async () => {
      const full = await runCli(["check", join(INVALID, file)]);
      expect(full.code).toBe(1);
      expect(full.stderr).toBe("");
      const printed = new Set(headers(relative(full.stdout)));
      const golden = readFileSync(join(INVALID, file.replace(/\.dyn$/, ".expected")), "utf8");
      for (const h of headers(golden)) expect(printed, h).toContain(h);
    });
  }
});

describe("valid programs have no lexical or syntax diagnostics", () => {
  const valid = [
    ...readdirSync(VALID).filter((f) => f.endsWith(".dyn")).map((f) => join(VALID, f)),
    ...readdirSync(SKETCHES).filter((f) => f.endsWith(".dyn")).map((f) => join(SKETCHES, f)),
  ].sort();
  it("has valid fixtures", () => expect(valid.length).toBeGreaterThan(8));
  for (const path of valid) {
    it(relative(path), async () => {
      expect(syntaxCheck(path)).toEqual({ code: 0, stdout: "0 errors, 0 warnings in 1 file\n" });
      // `dync check` adds the checker's diagnostics (unknown names in these snippets), never a syntax one.
      const full = await runCli(["check", path]);
      expect(full.stderr).toBe("");
      expect(headers(full.stdout).filter((h) => / DYN1\d{3}: /.test(h))).toEqual([]);
      expect(parse(readFileSync(path, "utf8")).diagnostics).toEqual([]);
    });
  }
});
