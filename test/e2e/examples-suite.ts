/**
 * Every example's `quick` profile runs end to end through both paths — `dync run` and
 * `dync compile && node out.js` — on the default backend; both must exit 0 (every expect holds) and
 * record the same metrics. Uses the built CLI (`npm test` builds first).
 *
 * The examples are split over three test files (examples.test.ts, examples.2.test.ts, examples.3.test.ts:
 * every third example each) so that vitest's workers share them; as one file they were the suite's tail.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const allExamples = readdirSync(join(root, "examples"))
  .filter((f) => f.endsWith(".dyn"))
  .sort();

/** metrics.csv without the columns that may legitimately differ between processes (none today). */
function metrics(dir: string): string {
  return readFileSync(join(dir, "metrics.csv"), "utf8");
}

// A quick profile trains for real (up to ~40 s of CPU each, two runs per example); the limit is there to catch a
// hang, not to time anything: speed is measured in bench/, never asserted here.
const EXAMPLE_LIMIT_MS = 600_000;

/** Part `part` (1-based) of `parts`: every `parts`-th example in name order, starting at the `part`-th. */
export function describeExamples(part: number, parts: number): void {
  const examples = allExamples.filter((_, i) => i % parts === part - 1);
  const scratch = mkdtempSync(join(tmpdir(), "dync-e2e-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  describe.each(examples)("examples/%s", (example) => {
    const name = example.replace(/\.dyn$/, "");
    const runDir = join(scratch, `${name}-run`);
    const compiledDir = join(scratch, `${name}-compiled`);
    const outJs = join(root, `.e2e-${name}.js`);

    it("passes `dync check` with no errors", () => {
      const r = spawnSync(process.execPath, [cli, "check", join("examples", example)], { cwd: root, encoding: "utf8" });
      expect(r.stdout).toMatch(/^0 errors/m);
      expect(r.status).toBe(0);
    });

    it(
      "runs its quick profile with `dync run`, every expect holding",
      () => {
        const r = spawnSync(process.execPath, [cli, "run", join("examples", example), "--profile", "quick", "--out", runDir, "--quiet"], {
          cwd: root,
          encoding: "utf8",
        });
        expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
        expect(r.stdout).not.toContain("✗");
        expect(r.status).toBe(0);
      },
      EXAMPLE_LIMIT_MS,
    );

    it(
      "gives the same metrics through `dync compile` and `node out.js`",
      () => {
        execFileSync(process.execPath, [cli, "compile", join("examples", example), "-o", outJs], { cwd: root, stdio: "pipe" });
        try {
          const r = spawnSync(process.execPath, [outJs, "--profile", "quick", "--out", compiledDir, "--quiet"], { cwd: root, encoding: "utf8" });
          expect(r.status).toBe(0);
        } finally {
          rmSync(outJs, { force: true });
        }
        expect(metrics(compiledDir)).toBe(metrics(runDir));
      },
      EXAMPLE_LIMIT_MS,
    );
  });
}
