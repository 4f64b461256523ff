/**
 * writeFileAtomic: a reader that opened the old file reads it whole while it is replaced (the `--watch`
 * server streams report.html while a rebuild writes it), and a failed write leaves the old file and no
 * temporary behind.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../runtime/record/atomic-file.js";
import { expectRuntimeError } from "./expect-runtime-error.js";

const scratch = mkdtempSync(join(tmpdir(), "dync-atomic-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Read `length` bytes from `fd` at `position`. */
function readAt(fd: number, position: number, length: number): string {
  const buffer = Buffer.alloc(length);
  const got = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, got).toString("latin1");
}

describe("writeFileAtomic", () => {
  it("lets a reader that opened the old file finish reading it unchanged", () => {
    const path = join(scratch, "report.html");
    const old = "A".repeat(100_000);
    writeFileSync(path, old);
    const fd = openSync(path, "r");
    try {
      const head = readAt(fd, 0, 65_536);
      writeFileAtomic(path, "B".repeat(120_000));
      const rest = readAt(fd, 65_536, 200_000);
      expect(head + rest).toBe(old);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, "latin1")).toBe("B".repeat(120_000));
    expect(readdirSync(scratch).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("writes bytes as given", () => {
    const path = join(scratch, "plot.png");
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255, 13, 10]);
    writeFileAtomic(path, bytes);
    expect([...readFileSync(path)]).toEqual([...bytes]);
  });

  it("names the path in RUN030 when the write fails, removing its temporary", () => {
    // The target is a directory: the temporary is written, the rename fails (as root too, unlike a chmod).
    const dir = join(scratch, "taken");
    mkdirSync(join(dir, "report.html"), { recursive: true });
    expectRuntimeError(() => writeFileAtomic(join(dir, "report.html"), "x"), "RUN030", /cannot write the run directory at .*taken\/report\.html/);
    expect(readdirSync(dir)).toEqual(["report.html"]);
  });

  it("names the path in RUN030 when its directory is missing", () => {
    expectRuntimeError(() => writeFileAtomic(join(scratch, "gone", "manifest.json"), "{}"), "RUN030", /gone\/manifest\.json/);
  });
});
