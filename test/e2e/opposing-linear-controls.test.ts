/**
 * Controls for examples/opposing-linear-model.dyn: each of its expects must fail when the effect it claims
 * is absent, so passing means the measurement saw the effect. The example's quick profile (which
 * test/e2e/examples.test.ts runs, every expect holding) is changed in one place per control:
 * - the data's outlier strength is 4α while the bound stays (α, 3α): the initial sharpness (≥ 4α, since the
 *   b_o block alone has eigenvalue 4α) leaves the interval;
 * - every step size is divided by 4.5, so the run labelled η = 0.036 trains at 0.008, below
 *   16/(5‖β‖α) ≈ 0.033: b_o decays without oscillating, and `flips[lr = 0.036] >= 4` fails.
 * Uses the built CLI (`npm test` builds first).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const example = readFileSync(join(root, "examples", "opposing-linear-model.dyn"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "dync-opposing-controls-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface ExpectOutcome {
  readonly text: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** The example with `from` replaced by `to` (which must occur exactly once), run on its quick profile. */
function runVariant(name: string, from: string, to: string): ExpectOutcome[] {
  expect(example.split(from)).toHaveLength(2);
  const file = join(scratch, `${name}.dyn`);
  writeFileSync(file, example.replace(from, to));
  const out = join(scratch, name);
  const r = spawnSync(process.execPath, [cli, "run", file, "--profile", "quick", "--out", out, "--quiet"], { cwd: root, encoding: "utf8" });
  expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  return (JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { expects: ExpectOutcome[] }).expects;
}

const outcome = (expects: readonly ExpectOutcome[], text: string) => expects.find((e) => e.text === text)!;

describe("opposing-linear-model.dyn: each expect fails on its control", () => {
  it("outliers 4α strong: the initial sharpness leaves (α, 3α)", () => {
    const expects = runVariant("strong", "alpha: alpha,", "alpha: 4 * alpha,");
    const bound = outcome(expects, "s0 in [alpha, 3 * alpha]");
    expect(bound.passed).toBe(false);
    expect(bound.detail).toMatch(/0 of 4 rows hold/);
  }, 300_000);

  it("every η below 16/(5‖β‖α): b_o no longer oscillates through 0", () => {
    const expects = runVariant("small-steps", "optimizer gd(lr: lr)", "optimizer gd(lr: lr / 4.5)");
    expect(outcome(expects, "flips[lr = 0.036] >= 4").passed).toBe(false);
    expect(outcome(expects, "flips[lr = 0.008] <= 1").passed).toBe(true);
  }, 300_000);
});
