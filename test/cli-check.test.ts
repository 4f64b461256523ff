/**
 * `dync check` as a whole, in-process through `main()`: exit codes, unreadable inputs (empty, binary,
 * invalid UTF-8, huge, deeply nested, directories, missing paths), usage errors and the JSON output form.
 * Expected offsets and positions are computed here from the bytes written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../diagnostics/messages.js";
import { MAX_SOURCE_MB } from "../compiler/read-source.js";
import { runCli } from "./diagnostics/run-cli.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dync-cli-check-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write `content` to a fresh file in the temporary directory and return its path. */
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The diagnostic codes in text output, in order. */
function codes(stdout: string): string[] {
  return [...stdout.matchAll(/^\S+:\d+:\d+: (?:error|warning|info) (DYN\d{4}):/gm)].map((m) => m[1]!);
}

describe("clean and broken files", () => {
  it("an empty file is clean: exit 0", async () => {
    const run = await runCli(["check", file("empty.dyn", "")]);
    expect(run).toEqual({ code: 0, stdout: "0 errors, 0 warnings in 1 file\n", stderr: "" });
  });

  it("a syntax error: exit 1, a code frame and the summary", async () => {
    const path = file("bad.dyn", "let a = 1\nlet b = 2 +\nlet c = 3\n");
    const run = await runCli(["check", path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `${path}:3:1: error DYN1102: expected an expression after \`+\`, found \`let\`\n3 | let c = 3\n  | ^~~\n\n1 error, 0 warnings in 1 file\n`,
    );
  });

  it("several files: one summary counting every file", async () => {
    const a = file("a.dyn", "");
    const b = file("b.dyn", "let = 1\n");
    const run = await runCli(["check", a, b, a]);
    expect(run.code).toBe(1);
    expect(codes(run.stdout)).toEqual(["DYN1101"]);
    expect(run.stdout.endsWith("1 error, 0 warnings in 3 files\n")).toBe(true);
  });
});

describe("files that are not `.dyn` source", () => {
  it("random binary garbage with a NUL byte: DYN1007 at the NUL, exit 1", async () => {
    // A deterministic byte pattern standing in for a binary file; the first NUL is at offset 37.
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i === 37 ? 0 : 1 + ((i * 7919 + 13) % 255)));
    const run = await runCli(["check", file("garbage.dyn", bytes)]);
    expect(run.code).toBe(1);
    expect(codes(run.stdout)).toEqual(["DYN1007"]);
    expect(run.stdout.length).toBeLessThan(1000);
  });

  it("invalid UTF-8: DYN1006 naming the byte offset and its line", async () => {
    const head = Buffer.from("experiment e {\n  seeds 3\n  let s = \"caf", "utf8");
    const bytes = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('"\n}\n')]); // Latin-1 é
    const run = await runCli(["check", file("latin1.dyn", bytes)]);
    expect(run.code).toBe(1);
    expect(codes(run.stdout)).toEqual(["DYN1006"]);
    expect(run.stdout).toContain(`(first bad byte at offset ${head.length})`);
    expect(run.stdout).toMatch(new RegExp(`latin1\\.dyn:3:${"  let s = \"caf".length + 1}: error DYN1006`));
  });

  it("a directory: DYN4002", async () => {
    const sub = join(dir, "folder.dyn");
    mkdirSync(sub, { recursive: true });
    const run = await runCli(["check", sub]);
    expect(run.code).toBe(1);
    expect(codes(run.stdout)).toEqual(["DYN4002"]);
    expect(run.stdout).toContain("is a directory");
  });

  it("a missing path: DYN4001, and the other files are still checked", async () => {
    const missing = join(dir, "nope", "missing.dyn");
    const run = await runCli(["check", missing, file("ok.dyn", "")]);
    expect(run.code).toBe(1);
    expect(codes(run.stdout)).toEqual(["DYN4001"]);
    expect(run.stdout).toContain("no such file");
    expect(run.stdout.endsWith("1 error, 0 warnings in 2 files\n")).toBe(true);
  });

  it(`a file over ${MAX_SOURCE_MB} MB is refused with DYN4003 without being parsed`, async () => {
    const run = await runCli(["check", file("huge.dyn", Buffer.alloc((MAX_SOURCE_MB + 1) * 1024 * 1024, 0x20))]);
    expect(run.code).toBe(1);
    expect(codes(run.stdout)).toEqual(["DYN4003"]);
  });
});

describe("large and deep inputs", () => {
  it("a 10 MB file is read and parsed (under the size limit), with bounded output", async () => {
    // One real error after 10 MB of comment, and a 10 MB identifier: the frame must be windowed.
    expect(10 * 1024 * 1024).toBeLessThan(MAX_SOURCE_MB * 1024 * 1024);
    const comment = `// ${"x".repeat(10 * 1024 * 1024)}\nlet a = 1 +\nlet b = 2\n`;
    const run1 = await runCli(["check", file("ten-mb-comment.dyn", comment)]);
    expect(run1.code).toBe(1);
    expect(codes(run1.stdout)).toEqual(["DYN1102"]);
    expect(run1.stdout).toMatch(/ten-mb-comment\.dyn:3:1: error DYN1102: expected an expression after `\+`, found `let`/);
    expect(run1.stdout.length).toBeLessThan(2000);

    const ident = `let a = 1 ${"y".repeat(10 * 1024 * 1024)} + 2\nlet b = 2\n`;
    const run2 = await runCli(["check", file("ten-mb-ident.dyn", ident)]);
    expect(run2.code).toBe(1);
    expect(codes(run2.stdout)[0]).toBe("DYN1102");
    expect(run2.stdout).toContain("found `yyyyyyyyyyyyyyyyyyyyy…`");
    expect(run2.stdout.length).toBeLessThan(3000);
  });

  it("many errors: at most 100 are printed, then a count of the rest", async () => {
    const run = await runCli(["check", file("many.dyn", "let a = @ 1\n".repeat(250))]);
    expect(run.code).toBe(1);
    expect(codes(run.stdout)).toHaveLength(100);
    expect(run.stdout).toContain("… and 150 more diagnostics in this file");
    expect(run.stdout.endsWith("250 errors, 0 warnings in 1 file\n")).toBe(true);
  });

  it("10,000 nested parentheses: DYN1107, no stack overflow", async () => {
    const run = await runCli(["check", file("deep.dyn", `let a = ${"(".repeat(10_000)}1${")".repeat(10_000)}\n`)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
    expect(codes(run.stdout)).toContain("DYN1107");
    expect(run.stdout.length).toBeLessThan(5000);
  });

  it("10,000 unary minuses: no crash", async () => {
    const run = await runCli(["check", file("minus.dyn", `let a = ${"- ".repeat(10_000)}1\n`)]);
    expect(run.stderr).toBe("");
    expect([0, 1]).toContain(run.code);
    expect(run.stdout.length).toBeLessThan(5000);
  });
});

describe("usage errors exit 2", () => {
  it("an unknown option", async () => {
    const run = await runCli(["check", "--frobnicate", file("u.dyn", "")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option `--frobnicate`");
    expect(run.stdout).toBe("");
  });

  it("no files", async () => {
    const run = await runCli(["check"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("needs at least one file");
  });

  it("a bad --format value", async () => {
    const run = await runCli(["check", "--format", "xml", file("v.dyn", "")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--format");
  });
});

describe("--format json", () => {
  it("prints one JSON object per diagnostic with code, severity, message, file and range", async () => {
    const text = "experiment e {\r\n\toptimiser adam(lr: 1e)\r\n}\r\nlet s = \"\\q\"\n";
    const path = file("json.dyn", text);
    const run = await runCli(["check", "--format", "json", path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
    const lines = run.stdout.trimEnd().split("\n");
    const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const syntax = objects.filter((o) => String(o["code"]).startsWith("DYN1"));
    expect(syntax.map((o) => o["code"])).toEqual(["DYN1102", "DYN1003", "DYN1005"]);
    for (const o of objects) {
      expect(Object.keys(messages)).toContain(o["code"]);
      expect(o["severity"]).toBe("error");
      expect(typeof o["message"]).toBe("string");
      expect(o["file"]).toBe(path);
      const range = o["range"] as { start: { line: number; col: number; offset: number }; end: { line: number; col: number; offset: number } };
      expect(range.start.offset).toBeLessThanOrEqual(range.end.offset);
    }
    // Ranges are 1-based and agree with the bytes written (CRLF, a tab before the token).
    const [misspelt, number, escape] = syntax as { range: { start: object; end: object }; hint?: string }[];
    expect(misspelt!.range).toEqual({ start: { line: 2, col: 2, offset: 17 }, end: { line: 2, col: 11, offset: 26 } });
    expect(misspelt!.hint).toBe("did you mean `optimizer`?");
    expect(number!.range.start).toEqual({ line: 2, col: 21, offset: text.indexOf("1e") });
    expect(escape!.range).toEqual({ start: { line: 4, col: 10, offset: text.indexOf("\\q") }, end: { line: 4, col: 12, offset: text.indexOf("\\q") + 2 } });
  });

  it("prints nothing at all for a clean file (no summary line)", async () => {
    const run = await runCli(["check", "--format", "json", file("clean.dyn", "// nothing\n")]);
    expect(run).toEqual({ code: 0, stdout: "", stderr: "" });
  });
});
