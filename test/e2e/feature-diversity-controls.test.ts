/**
 * Controls for examples/feature-diversity.dyn: its quick-profile expects must fail where the phenomenon is
 * absent, or they would prove nothing. test/e2e/examples.test.ts runs the example as written (every
 * expect holds); here the same source runs with one change each:
 * - labels swapped: the run called "plain" has batch norm and "batchnorm" is the plain net. Batch norm
 *   leaves no plateau and its feature cosine falls from the start, so the plateau, the rises of the feature
 *   cosine and the same-class feature-gradient cosine through it (nothing is measured before p1 but step 0)
 *   and "BN's cosine falls while the plain net is stuck" (the window before the "plain" run's p1 holds step 0
 *   only) must all fail, and so must the gate agreement's rise and its correlation with the feature cosine
 *   through the plateau (that window holds one measurement: no rise, no correlation). The correlation over
 *   the whole run has no control here: it holds for batch norm too (r ≥ 0.99), as it should (the doc explains
 *   why gate agreement and feature cosine move together in a ReLU layer), so with batch norm called "plain"
 *   it must still hold;
 * - training cut to 60 steps, inside the plain net's plateau (it ends at step 70–110 in the quick profile):
 *   no drop, so the expects of Fig 1 must fail.
 * Uses the built CLI (`npm test` builds first).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const source = readFileSync(join(root, "examples", "feature-diversity.dyn"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "dync-fd-controls-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `source` with `from` (which must occur exactly once) replaced by `to`. */
function edit(from: string, to: string): string {
  expect(source.split(from).length - 1, `the example no longer contains ${JSON.stringify(from)}`).toBe(1);
  return source.replace(from, to);
}

/** Runs the quick profile of `text`; returns each expect's text mapped to whether it held. */
function runQuick(name: string, text: string): Map<string, boolean> {
  const file = join(scratch, `${name}.dyn`);
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [cli, "run", file, "--profile", "quick", "--out", join(scratch, name), "--quiet"], { cwd: root, encoding: "utf8" });
  expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  const outcomes = new Map<string, boolean>();
  for (const m of r.stdout.matchAll(/^([✓✗]) expect (.+?)(?: {2}\(.*)?$/gmu)) outcomes.set(m[2]!, m[1] === "✓");
  return outcomes;
}

// The quick profile's zipped sweep as `dync fmt` lays it out (the 0.7 column makes it unique to that profile).
const QUICK_SWEEP = `[none, batchnorm],\n      [0, 0],\n      [0.7, 0.7],`;

describe("examples/feature-diversity.dyn quick-profile expects fail on controls", () => {
  it("with the labels swapped (\"plain\" has batch norm): plateau, rises and BN's fall fail", { timeout: 600_000 }, () => {
    const outcomes = runQuick("swapped", edit(QUICK_SWEEP, QUICK_SWEEP.replace("[none, batchnorm]", "[batchnorm, none]")));
    expect(outcomes.get("min(follows_plain[layer = 1]) over seeds > 0.8")).toBe(true);
    for (const text of [
      "min(plain_p1) over seeds >= 50",
      "min(plain_rise[layer = 0]) over seeds > 0.01",
      "min(plain_rise[layer = 1]) over seeds > 0.01",
      "min(plain_grise[layer = 0]) over seeds > 0.1",
      "min(plain_grise[layer = 1]) over seeds > 0.1",
      "bn_change[layer = 0] < -0.1",
      "bn_change[layer = 2] < -0.1",
      "min(gate_follows_p1[layer = 0]) over seeds > 0.8",
      "min(gate_follows_p1[layer = 1]) over seeds > 0.8",
      "min(gate_rise) over (seeds, layer) > 0.003",
    ]) {
      expect(outcomes.get(text), text).toBe(false);
    }
  });

  it("with training cut inside the plateau: the drop fails", { timeout: 600_000 }, () => {
    const outcomes = runQuick("no-drop", edit("    train 240 steps", "    train 60 steps"));
    expect(outcomes.get("min(plain_p1) over seeds >= 50")).toBe(false);
    expect(outcomes.get("max(min(l[variant = \"plain\"])) over seeds < 1")).toBe(false);
  });
});
