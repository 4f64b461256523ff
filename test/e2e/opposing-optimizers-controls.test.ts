/**
 * Controls for examples/opposing-signals-optimizers.dyn: each claim's expects must fail when the optimizer
 * is swapped for one without the property, so passing means the measurement saw it. The example's quick
 * profile (which test/e2e/examples.test.ts runs, every expect holding) is changed in one place per control:
 * - GD becomes full-batch heavy-ball (momentum 0.8, dampening 0.8): it still crosses 2/η, so v exists, but
 *   no longer zig-zags along it;
 * - SGD gets the same momentum: no zig-zag either;
 * - momentum 0.9 becomes 0.1 (almost plain SGD): it no longer damps the zig-zag;
 * - Adam becomes SGD at η/2: its moves along v reverse like SGD's and are as large;
 * - the sign-threshold SGD's threshold becomes 100 (no coordinate reaches it): it is `heavy` again, no
 *   coordinate takes the sign step and its loss no longer follows Adam's.
 * Uses the built CLI (`npm test` builds first).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const example = readFileSync(join(root, "examples", "opposing-signals-optimizers.dyn"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "dync-optimizer-controls-"));
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
  expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+|error RUN/);
  return (JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { expects: ExpectOutcome[] }).expects;
}

/** Which expects hold, by text. */
const verdicts = (expects: readonly ExpectOutcome[]) => Object.fromEntries(expects.map((e) => [e.text, e.passed]));

const GD = "min(zigzag[opt = gd_]) over seeds > 0.9";
const SGD = "min(reversals[opt = sgd_]) over seeds > 0.5";
const HEAVY = "max(reversals[opt = heavy]) over seeds < 0.4";
const ADAM_SIDE = "max(reversals[opt = adam_]) over seeds < 0.4";
const ADAM_VS_SGD = "max(late[opt = adam_] / late[opt = sgd_]) over seeds < 0.02";
const SIGN_SHARE = "median(above_share[opt = signs]) over seeds in [0.1, 0.25]";
const SIGN_LIKE_ADAM = "max(abs(final_loss[opt = signs] / final_loss[opt = adam_] - 1)) over seeds < 0.15";

describe("opposing-signals-optimizers.dyn: each claim fails on its control", () => {
  it("GD with momentum: no zig-zag along v", () => {
    const v = verdicts(runVariant("gd", "let gd_ = gd(lr: eta)", "let gd_ = sgd(lr: eta, momentum: 0.8, dampening: 0.8)"));
    expect(v[GD]).toBe(false);
    expect(v[HEAVY]).toBe(true);
  }, 300_000);

  it("SGD with momentum: no zig-zag along v", () => {
    const v = verdicts(runVariant("sgd", "let sgd_ = sgd(lr: eta)", "let sgd_ = sgd(lr: eta, momentum: 0.8, dampening: 0.8)"));
    expect(v[SGD]).toBe(false);
    expect(v[GD]).toBe(true);
  }, 300_000);

  it("momentum 0.1: the zig-zag is not damped", () => {
    const v = verdicts(runVariant("heavy", "let heavy = sgd(lr: eta, momentum: 0.9, dampening: 0.9)", "let heavy = sgd(lr: eta, momentum: 0.1)"));
    expect(v[HEAVY]).toBe(false);
    expect(v[GD]).toBe(true);
  }, 300_000);

  it("SGD in Adam's place: its moves along v reverse and are not small", () => {
    const v = verdicts(runVariant("adam", "let adam_ = adam(lr: 0.001)", "let adam_ = sgd(lr: eta / 2)"));
    expect([v[ADAM_SIDE], v[ADAM_VS_SGD]]).toEqual([false, false]);
  }, 300_000);

  it("a threshold no momentum reaches: no sign steps, and the loss is momentum SGD's, not Adam's", () => {
    const v = verdicts(runVariant("signs", "let sign_c = 0.3", "let sign_c = 100"));
    expect([v[SIGN_SHARE], v[SIGN_LIKE_ADAM]]).toEqual([false, false]);
    expect(v[GD]).toBe(true);
  }, 300_000);
});
