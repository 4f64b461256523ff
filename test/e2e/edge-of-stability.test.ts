/**
 * The control of examples/edge-of-stability.dyn: the same experiment with step sizes ten times smaller
 * (`sweep lr in [0.008, 0.01]`, so 2/η is 250 and 200).
 * The sharpness then never reaches 2/η and the loss falls monotonically, so the expects that state the edge
 * of stability must fail — they can tell the phenomenon from its absence — while the one about the
 * starting sharpness still holds. So must those of Fig. 3's opposing pair: at the control's "spike" (its
 * smallest fall) the points that fell most are not the band 0.6 < |x| < 0.9 (2 of 8), the groups' losses
 * do not turn step by step, and they move about 2× a random group's (the top and bottom sets of any step
 * move more than random points by construction), not more than 2.5×. Their moves are opposite, as
 * anywhere, so `opposed` holds, and the points that rose are the outer ones, beside the band. (The
 * example itself runs in test/e2e/examples.test.ts, every expect holding.) Uses the built CLI.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(tmpdir(), "dync-eos-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function control(): string {
  const source = readFileSync(join(root, "examples", "edge-of-stability.dyn"), "utf8");
  const replaced = source.replace("sweep lr in [0.08, 0.1]", "sweep lr in [0.008, 0.01]").replace("profile quick { seeds 1; train 2000 steps }", "profile quick { seeds 1; train 600 steps }");
  expect(replaced).toContain("sweep lr in [0.008, 0.01]");
  expect(replaced).toContain("train 600 steps }");
  return replaced;
}

describe("edge of stability: the control with a ten times smaller step", () => {
  it("fails the expects that state the phenomenon", () => {
    const file = join(scratch, "control.dyn");
    writeFileSync(file, control());
    const r = spawnSync(process.execPath, [cli, "run", file, "--profile", "quick", "--out", join(scratch, "run")], { cwd: root, encoding: "utf8" });
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    const line = (start: string) => r.stdout.split("\n").find((l) => l.includes(`expect ${start}`)) ?? "";
    expect(line("median(hover) over seeds within 15% of 2 / lr")).toMatch(/^✗/);
    expect(line("min(max(l after 50%)")).toMatch(/^✗/);
    expect(line("max(last(l) / first(l))")).toMatch(/^✗/);
    expect(line("max(first(sharp)) over seeds < 0.75 * 2 / lr")).toMatch(/^✓/);
    expect(line("min(band_split) over (lr, seeds) >= 6")).toMatch(/^✗/);
    expect(line("min(turns) over (lr, seeds) > 0.9")).toMatch(/^✗/);
    expect(line("min(vs_random) over (lr, seeds) > 2.5")).toMatch(/^✗/);
    expect(line("min(opposed) over (lr, seeds) > 0.9")).toMatch(/^✓/);
    expect(r.status).not.toBe(0);
  }, 300_000);
});
