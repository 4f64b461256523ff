/**
 * An output directory that cannot take a run is RUN030 before anything trains: under a regular file, on a
 * read-only file system, on a full disk. A disk that fills during the run stops it without torn rows:
 * metrics.csv and metrics.jsonl end with whole rows, hold the same rows, no temporary or half-written file
 * is left, and the error says what was kept. Tests run as root (chmod does not stop root), so the read-only
 * and full cases use tmpfs mounts; they are skipped, saying why, where mounting is not permitted.
 * Spawns the built CLI (dist/: build first).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeNpy } from "../../runtime/npy.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".output-dir-"));
const mounts: string[] = [];
afterAll(() => {
  for (const dir of mounts) spawnSync("umount", [dir]);
  rmSync(scratch, { recursive: true, force: true });
});

/** Two runs × 4 seeds, a loss row per seed every step (~6,000 rows fill 1 MB) and .npy outputs every 1000 steps. */
const SOURCE = `experiment fill {
  sweep width in [4, 8]
  seeds 4
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  data test = grid(x in [-1, 1], n: 5) -> x^2
  model net = mlp(hidden: [width], act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train 20000 steps, batch full
  probe l = loss(net, train) every 1 steps
  probe o = outputs(net, test) every 1000 steps
  plot line(l, color: width)
}
`;
const dyn = join(scratch, "fill.dyn");
writeFileSync(dyn, SOURCE);

const run = (out: string) => spawnSync(process.execPath, [CLI, "run", dyn, "--jobs", "1", "--out", out], { cwd: ROOT, encoding: "utf8" });

/** A tmpfs of `size` (e.g. `64k`, `ro,size=1m`) at a fresh directory; undefined when mounting is not permitted. */
function tmpfs(name: string, options: string): string | undefined {
  const dir = join(scratch, name);
  mkdirSync(dir);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  if (mounted.status !== 0) return undefined;
  mounts.push(dir);
  return dir;
}
const canMount = (() => {
  const probe = mkdtempSync(join(scratch, "probe-"));
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", probe]).status === 0;
  if (ok) spawnSync("umount", [probe]);
  return ok;
})();
const WHY_SKIPPED = "mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN)";

/** RUN030 naming `what`, before training: no progress line, no metrics file, no stack trace. */
function expectRefusedBeforeTraining(p: ReturnType<typeof run>, what: RegExp, out: string): void {
  expect(p.status).toBe(2);
  expect(p.stderr).toMatch(/^error RUN030: /m);
  expect(p.stderr).toMatch(what);
  expect(p.stderr).not.toMatch(/internal error|\bat .*:\d+:\d+/);
  expect(p.stderr).not.toMatch(/ done: /);
  expect(existsSync(join(out, "metrics.csv"))).toBe(false);
}

describe("an output directory that cannot take a run is RUN030 before training", () => {
  it("a path under a regular file", () => {
    const file = join(scratch, "a-file");
    writeFileSync(file, "not a directory\n");
    const out = join(file, "run");
    expectRefusedBeforeTraining(run(out), /cannot write the run directory at .*a-file\/run: ENOTDIR/, out);
  }, 60_000);

  it.skipIf(!canMount)(`a read-only file system (tmpfs mounted ro; skipped when ${WHY_SKIPPED})`, () => {
    const dir = tmpfs("readonly", "ro,size=1m")!;
    const out = join(dir, "run");
    expectRefusedBeforeTraining(run(out), /EROFS/, out);
  }, 60_000);

  it.skipIf(!canMount)(`a full disk: a 64 KiB tmpfs (skipped when ${WHY_SKIPPED})`, () => {
    const dir = tmpfs("tiny", "size=64k")!;
    const out = join(dir, "run");
    expectRefusedBeforeTraining(run(out), /the disk holding the run directory .* is full: 64 KiB free, a run needs at least 1 MiB/, out);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
  }, 60_000);
});

describe.skipIf(!canMount)(`a disk that fills during the run (skipped when ${WHY_SKIPPED})`, () => {
  it("stops with RUN030; metrics.csv and metrics.jsonl end with whole rows and hold the same rows; no temporary or half-written file; says what was kept", () => {
    const dir = tmpfs("fills", "size=1100k")!;
    const out = join(dir, "run");
    const p = run(out);
    expect(p.status).toBe(2);
    expect(p.stderr).not.toMatch(/internal error|\bat .*:\d+:\d+/);
    expect(p.stderr).toMatch(/^error RUN030: cannot write .*(metrics\.(csv|jsonl)|\.npy|manifest\.json).*ENOSPC/m);
    const csv = readFileSync(join(out, "metrics.csv"), "utf8");
    const jsonl = readFileSync(join(out, "metrics.jsonl"), "utf8");
    expect(csv.endsWith("\n")).toBe(true);
    expect(jsonl.endsWith("\n")).toBe(true);
    const [header, ...rows] = csv.trimEnd().split("\n");
    const columns = header!.split(",");
    const objects = jsonl.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects.length).toBe(rows.length);
    expect(rows.length).toBeGreaterThan(1000);
    rows.forEach((row, i) => {
      const fields = row.split(",");
      expect(fields.length).toBe(columns.length);
      columns.forEach((c, k) => expect(fields[k]).toBe(objects[i]![c] === null ? "" : String(objects[i]![c])));
    });
    expect(p.stderr).toContain(`keeps ${rows.length} whole rows in metrics.csv and metrics.jsonl`);
    const files = readdirSync(out, { recursive: true }) as string[];
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // Every .npy on disk is whole and every one a row names exists.
    for (const f of files.filter((f) => f.endsWith(".npy"))) expect(() => decodeNpy(readFileSync(join(out, f)), f)).not.toThrow();
    for (const o of objects.filter((o) => o["npy_file"] !== null)) expect(existsSync(join(out, String(o["npy_file"])))).toBe(true);
    // The manifest is whole JSON (its last successful state, or `failed` when there was room for it).
    expect(["running", "failed"]).toContain((JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { status: string }).status);
  }, 120_000);
});
