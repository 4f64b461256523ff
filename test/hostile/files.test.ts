/**
 * Files that are not source: devices and FIFOs (which hung `dync check` and the language server),
 * imports outside the project or of non-`.dyn` files (`import "/etc/passwd"` echoed its lines), and
 * `dync compile X.dyn -o X.dyn` (which overwrote the source).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { readSource } from "../../compiler/read-source.js";
import { runCli } from "../diagnostics/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "dync-hostile-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A project: a marker at the top, the checked file one level down. */
const project = join(dir, "project");
mkdirSync(join(project, "src", "lib"), { recursive: true });
writeFileSync(join(project, "dync.json"), "{}");
writeFileSync(join(project, "shared.dyn"), "let base_lr = 0.1\n");
writeFileSync(join(project, "src", "lib", "more.dyn"), "let width = 8\n");
writeFileSync(join(dir, "outside.dyn"), "let secret = 1\n");
writeFileSync(join(project, "notes.txt"), "password: hunter2\n");
symlinkSync(join(dir, "outside.dyn"), join(project, "link.dyn"));
const fifo = join(dir, "pipe.dyn");
execFileSync("mkfifo", [fifo]);

function importErrors(imports: readonly string[]): string[] {
  const file = join(project, "src", "main.dyn");
  const text = imports.map((p) => `import ${JSON.stringify(p)}\n`).join("");
  const result = checkSource(text, file);
  // Nothing of a refused file is read: no source besides the checked file and what it may import.
  for (const path of result.sources.keys()) expect(path.endsWith(".dyn")).toBe(true);
  return result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
}

describe("non-regular files", () => {
  it.each(["/dev/zero", "/dev/null"])("`dync check %s` is refused at once (was: hung)", (path) => {
    const read = readSource(path);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.diagnostic.code).toBe("DYN4010");
  });

  it("a FIFO is refused without opening it (opening would block)", () => {
    const read = readSource(fifo);
    expect(!read.ok && read.diagnostic.message).toBe(`\`${fifo}\` is a named pipe (FIFO), not a \`.dyn\` file`);
  });
});

describe("imports", () => {
  it("inside the project, up and down from the importing file", () => {
    expect(importErrors(["../shared.dyn", "lib/more.dyn"])).toEqual([]);
  });

  it("outside the project, directly or through a symlink", () => {
    expect(importErrors(["../../outside.dyn", "../link.dyn"])).toEqual([
      `DYN4011 cannot import \`../../outside.dyn\`: it is outside the project directory \`${project}\``,
      `DYN4011 cannot import \`../link.dyn\`: it is outside the project directory \`${project}\``,
    ]);
  });

  it("a file that is not `.dyn` source is never read, so its contents never appear (was: `/etc/passwd` echoed)", () => {
    const errors = importErrors(["/etc/passwd", "../notes.txt", "/dev/zero"]);
    expect(errors.map((e) => e.split(":")[0])).toEqual(["DYN4011 cannot import `/etc/passwd`", "DYN4011 cannot import `../notes.txt`", "DYN4011 cannot import `/dev/zero`"]);
    expect(errors.join("\n")).not.toMatch(/root|hunter2/);
  });
});

describe("`dync compile -o`", () => {
  it("refuses to overwrite the source it compiles (was: overwrote it)", async () => {
    const source = join(dir, "keep.dyn");
    const text = readFileSync("examples/quickstart.dyn", "utf8");
    writeFileSync(source, text);
    const run = await runCli(["compile", source, "-o", source]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("DYN4012");
    expect(readFileSync(source, "utf8")).toBe(text);
  }, 60_000);
});
