/**
 * The control of examples/opposing-signals.dyn: the same experiment with a step ten times smaller
 * (`let eta = 0.015`, so 2/η ≈ 133 while the sharpness only climbs from 6.6 to ≈ 9): stable GD, no edge of
 * stability. Then the sharpness stays far below 2/η, most points' losses fall at each step (≈ 7% rise),
 * the groups the run finds at step 150 drift monotonically instead of swinging against each other and are
 * no sharp outliers (gradient norm ≈ 1.5×, curvature along the top eigenvector ≈ 0.74× a random subset's),
 * and the black probe image's class probabilities drift instead of turning at
 * every step while its feature norm is still growing at the end: every expect of the quick profile must fail, so passing them (in
 * test/e2e/examples.test.ts) means the measurement saw the phenomenon. Uses the built CLI.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const source = readFileSync(join(root, "examples", "opposing-signals.dyn"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "dync-opposing-signals-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const STEP = "let eta = 0.15\n";

describe("opposing-signals.dyn: every expect fails under stable GD (a ten times smaller step)", () => {
  it("fails each expect of the quick profile", { timeout: 600_000 }, () => {
    expect(source.split(STEP), "the example no longer sets `let eta = 0.15`").toHaveLength(2);
    const file = join(scratch, "small-step.dyn");
    writeFileSync(file, source.replace(STEP, "let eta = 0.015\n"));
    const r = spawnSync(process.execPath, [cli, "run", file, "--profile", "quick", "--out", join(scratch, "run"), "--quiet"], { cwd: root, encoding: "utf8" });
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    const expects = (JSON.parse(readFileSync(join(scratch, "run", "manifest.json"), "utf8")) as { expects: { text: string; passed: boolean }[] }).expects;
    expect(expects.map((e) => e.text)).toEqual([
      "median(sharp after 150 steps) within 15% of 2 / eta",
      "median(rising after 150 steps) in [0.4, 0.6]",
      "opposed > 0.5",
      "turns > 0.5",
      "grad_ratio > 2.5",
      "curv_ratio > 2",
      "black_turns > 0.5",
      "last(black_f) < 0.98 * max(black_f)",
    ]);
    for (const e of expects) expect(e.passed, e.text).toBe(false);
    expect(r.status).not.toBe(0);
  });
});
