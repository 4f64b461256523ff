/**
 * `dync slurm` and `dync merge` against a real SLURM cluster: a 4-shard job array of test/scale-out/sweep.dyn
 * is submitted with `dync slurm --submit`, waited for, merged, and compared with a single-machine run of
 * the same plan: metrics, .npy tensors, the plan and the verdicts byte for byte, the analyses equal (the
 * wasm backend is deterministic). Then one task is re-submitted alone, as after a failure, and merged.
 *
 * The cluster is the one-node cluster of tools/slurm-local.sh (.ci/run starts it); SLURM_CONF, if set, names
 * another. Without one the test is skipped with a note on how to start it, except in CI (CI=true), where
 * the missing cluster is a failure. Uses the built CLI (`npm test` builds first).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectSameResults, runDirectoriesEqual } from "./compare-runs.js";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const sweep = join(root, "test", "scale-out", "sweep.dyn");
const LOCAL_CONF = join(process.env["DYNC_SLURM_DIR"] ?? "/tmp/dync-slurm", "slurm.conf");
const conf = process.env["SLURM_CONF"] ?? (existsSync(LOCAL_CONF) ? LOCAL_CONF : undefined);
const env = { ...process.env, ...(conf ? { SLURM_CONF: conf } : {}) };
const HOW_TO_START = "start the local one-node cluster with `sudo tools/slurm-local.sh start` (it installs Debian's slurm-wlm and munge if needed; docs/scale-out.md)";

/** The node states sinfo reports, or why there is no cluster to use. */
function cluster(): { ok: true } | { ok: false; why: string } {
  const file = conf ?? "/etc/slurm/slurm.conf";
  if (!existsSync(file)) return { ok: false, why: `no ${file}${conf ? "" : ` (nor ${LOCAL_CONF})`}` };
  const r = spawnSync("sinfo", ["-h", "-o", "%T"], { env, encoding: "utf8", timeout: 15_000 });
  if (r.error) return { ok: false, why: `sinfo cannot run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, why: `sinfo failed: ${r.stderr.trim()}` };
  const states = r.stdout.trim();
  return /^(idle|mixed|allocated)/m.test(states) ? { ok: true } : { ok: false, why: `no node is up (sinfo: ${states || "no nodes"})` };
}

const found = cluster();
if (!found.ok && process.env["CI"] !== "true") console.warn(`test/scale-out/slurm.test.ts skipped: no SLURM cluster: ${found.why}; ${HOW_TO_START}`);

describe.runIf(!found.ok && process.env["CI"] === "true")("SLURM in CI", () => {
  it("has a cluster running (.ci/run starts one with tools/slurm-local.sh)", () => {
    throw new Error(`no SLURM cluster: ${found.ok ? "" : found.why}; ${HOW_TO_START}`);
  });
});

describe.runIf(found.ok)("a sweep as a SLURM job array", () => {
  // Under the repository, not /tmp: every node of a real cluster must see the run root (here one does).
  // Made in beforeAll: a skipped describe's body still runs, its hooks do not.
  let scratch = "";
  let runRoot = "";
  let single = "";
  let script = "";
  afterAll(() => scratch && rmSync(scratch, { recursive: true, force: true }));

  beforeAll(async () => {
    scratch = mkdtempSync(join(root, ".slurm-test-"));
    [runRoot, single] = [join(scratch, "array"), join(scratch, "single")];
    script = join(runRoot, "dync-scaleout.sbatch");
    const singleRun = runAsync(["run", sweep, "--out", single, "--jobs", "1", "--quiet"]);
    const submitted = spawnSync(process.execPath, [cli, "slurm", sweep, "--shards", "4", "--out", runRoot, "--submit"], { cwd: root, env, encoding: "utf8" });
    expect(submitted.stderr).toBe("");
    expect(submitted.status).toBe(0);
    const job = /submitted job (\d+)/.exec(submitted.stdout)?.[1];
    expect(job, submitted.stdout).toBeDefined();
    await waitForJob(job!, 90_000);
    expect(await singleRun).toBe(0);
  }, 120_000); // a bound, not the expected time: about 25-50 s, on 2 cores shared with other tests

  it("trains one shard per array task, each into its own directory under the run root", () => {
    for (const i of [1, 2, 3, 4]) {
      const manifest = JSON.parse(readFileSync(join(runRoot, `shard-${i}-of-4`, "manifest.json"), "utf8"));
      expect(manifest.status, readFileSync(join(runRoot, "logs", `shard-${i}-of-4.log`), "utf8")).toBe("ok");
      expect([manifest.shard.index, manifest.shard.count]).toEqual([i, 4]);
    }
  });

  it("merges into the results of a single-machine run of the same plan, byte for byte", () => {
    const r = spawnSync(process.execPath, [cli, "merge", runRoot], { cwd: root, env, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("merged 5 of 5 runs");
    expect(r.status).toBe(0);
    expectSameResults(runDirectoriesEqual(single, join(runRoot, "merged")));
  }, 30_000);

  it("re-runs one task alone (sbatch --array=3) beside the first attempt, and merges the later one", async () => {
    const r = spawnSync("sbatch", ["--parsable", "--array=3", script], { env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    await waitForJob(r.stdout.trim().split(";")[0]!, 60_000);
    const rerun = readdirSync(runRoot).find((d) => d.startsWith("shard-3-of-4-rerun-"));
    expect(rerun).toBeDefined();
    const merged = spawnSync(process.execPath, [cli, "merge", runRoot], { cwd: root, env, encoding: "utf8" });
    expect(merged.stderr).toContain(`note: ${join(runRoot, "shard-3-of-4")} is passed over for a later finished run of the same shard`);
    expect(merged.stdout).toContain(`into ${join(runRoot, "merged-2")}`);
    expect(merged.status).toBe(0);
    expectSameResults(runDirectoriesEqual(single, join(runRoot, "merged-2")));
  }, 90_000);
});

/** Resolves with the exit code of `dync ARGS`, run beside the array (it competes for the same cores). */
function runAsync(args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: "ignore" });
  return new Promise((done) => child.on("exit", (code) => done(code)));
}

/** Polls squeue until job `id` (all its array tasks) has left the queue; fails after `ms`. */
async function waitForJob(id: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const q = spawnSync("squeue", ["-h", "-j", id, "-o", "%i %T"], { env, encoding: "utf8" });
    if (q.status === 0 && q.stdout.trim() === "") return;
    await new Promise((r) => setTimeout(r, 500));
  }
  const left = spawnSync("squeue", ["-h", "-j", id, "-o", "%i %T %R"], { env, encoding: "utf8" }).stdout;
  throw new Error(`SLURM job ${id} did not finish within ${ms / 1000} s; still queued: ${left}`);
}
