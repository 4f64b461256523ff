/**
 * Shards and merging on one machine (no SLURM needed; test/scale-out/slurm.test.ts does the same through a real
 * cluster): the split of a plan into shards, the shard a SLURM array task gets from its environment, and
 * `dync merge` of shard run directories against a single-machine run of the same plan: equal byte for byte
 * (metrics, .npy tensors, the report's plan and verdicts), a missing or killed shard named, `--partial`,
 * shards of another source or dync version refused, a killed shard re-run alone and merged.
 * Uses the built CLI (`npm test` builds first).
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseShard, shardRuns } from "../../contract/plan.js";
import { resolveShard, UsageError } from "../../runner/cli.js";
import { expectSameResults, runDirectoriesEqual } from "./compare-runs.js";

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "dist", "cli", "bin.js");
const sweep = join(root, "test", "scale-out", "sweep.dyn");
const scratch = mkdtempSync(join(tmpdir(), "dync-shards-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function dync(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8" });
}

describe("shards of a plan", () => {
  it("deal the runs out in turn: every run in exactly one shard, whole, in plan order", () => {
    const runs = ["a", "b", "c", "d", "e"];
    expect([1, 2, 3, 4].map((index) => shardRuns(runs, { index, count: 4 }))).toEqual([["a", "e"], ["b"], ["c"], ["d"]]);
    for (let count = 1; count <= 7; count++) {
      const shards = Array.from({ length: count }, (_, i) => shardRuns(runs, { index: i + 1, count }));
      expect(shards.flat().sort()).toEqual(runs);
    }
  });

  it("parse i/n with 1 ≤ i ≤ n, and nothing else", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    for (const bad of ["0/4", "5/4", "1.5/2", "two", "1/0", "-1/3"]) expect(parseShard(bad)).toMatch(/--shard takes i\/n/);
  });

  it("come from a SLURM array task's environment, counted from its first task in its step", () => {
    const env = (id: number, count: number, min: number, step?: number) => ({
      SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_COUNT: String(count),
      SLURM_ARRAY_TASK_MIN: String(min),
      ...(step === undefined ? {} : { SLURM_ARRAY_TASK_STEP: String(step) }),
    });
    expect(resolveShard({}, env(3, 4, 1))).toEqual({ index: 3, count: 4 }); // --array=1-4
    expect(resolveShard({}, env(0, 4, 0))).toEqual({ index: 1, count: 4 }); // --array=0-3
    expect(resolveShard({}, env(10, 4, 0, 5))).toEqual({ index: 3, count: 4 }); // --array=0-15:5
    expect(resolveShard({ shard: { index: 2, count: 2 } }, env(3, 4, 1))).toEqual({ index: 2, count: 2 }); // --shard wins
    expect(resolveShard({}, {})).toBeUndefined();
    expect(() => resolveShard({}, env(7, 3, 1))).toThrow(UsageError); // --array=1,2,7: not 1…n
  });

  it("`dync plan --shard` lists the shard's runs", () => {
    const r = dync("plan", sweep, "--shard", "1/4");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("shard 1/4: runs 1, 5 of 5");
    expect(r.stdout).toMatch(/^ {2}width=2 /m);
    expect(r.stdout).toMatch(/^ {2}width=32 /m);
    expect(r.stdout).not.toMatch(/^ {2}width=4 /m);
    expect(dync("plan", sweep, "--shard", "5/4").stderr).toContain("--shard takes i/n with 1 ≤ i ≤ n");
  });
});

describe("dync merge", () => {
  const single = join(scratch, "single");
  const shardDir = (i: number) => join(scratch, "shards", `shard-${i}-of-4`);

  beforeAll(() => {
    const runs = [dync("run", sweep, "--out", single, "--jobs", "1", "--quiet")];
    for (const i of [1, 2, 3, 4]) runs.push(dync("run", sweep, "--shard", `${i}/4`, "--out", shardDir(i), "--jobs", "1", "--quiet"));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
  }, 300_000);

  it("combines the shards into what one machine writes: metrics, tensors, plan and verdicts byte for byte", () => {
    const r = dync("merge", join(scratch, "shards"));
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`merged 5 of 5 runs into ${join(scratch, "shards", "merged")}`);
    expect(r.stdout).toContain("✓ expect final_loss[width = 32] < final_loss[width = 2]");
    expect(r.status).toBe(0);
    expectSameResults(runDirectoriesEqual(single, join(scratch, "shards", "merged")));
    // a shard evaluates nothing, so it writes no results (merge does, over the whole plan)
    expect(existsSync(join(shardDir(1), "results.json"))).toBe(false);
  });

  it("names a missing shard, its runs and how to re-run it, and writes nothing", () => {
    const out = join(scratch, "missing");
    const r = dync("merge", shardDir(1), shardDir(2), shardDir(4), "--out", out);
    expect(r.status).toBe(2); // an input error
    expect(r.stderr).toContain("error RUN071: cannot merge scaleout: shard 3/4 is missing (runs width=8); re-run it: dync run");
    expect(r.stderr).toContain("--shard 3/4 --out");
    expect(existsSync(out)).toBe(false);
  });

  it("--partial merges what is there and evaluates the analyses over it", () => {
    const out = join(scratch, "partial");
    const r = dync("merge", shardDir(1), shardDir(2), shardDir(4), "--out", out, "--partial");
    expect(r.stdout).toContain("merged 4 of 5 runs");
    expect(r.stdout).toContain("✓ expect final_loss[width = 32] < final_loss[width = 2]");
    expect(r.stderr).toContain("warning: shard 3/4 is missing");
    expect(r.status).toBe(3); // not the whole plan: runs missing
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.runs.map((e: { run: string }) => e.run)).toEqual(["width=2", "width=4", "width=16", "width=32"]);
    expect(manifest.merged.missing[0]).toMatch(/^shard 3\/4 is missing/);
    expect(manifest.status).toBe("failed");
    const single = readFileSync(join(scratch, "single", "metrics.jsonl"), "utf8").split("\n").filter((l) => l && !l.includes('"run":"width=8"'));
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8")).toBe(`${single.join("\n")}\n`);
  });

  it("refuses shards of another source or another dync version, naming both directories", () => {
    const edited = join(scratch, "edited.dyn");
    writeFileSync(edited, readFileSync(sweep, "utf8").replace("train 120 steps", "train 80 steps"));
    const other = join(scratch, "other-shard-3");
    expect(dync("run", edited, "--shard", "3/4", "--out", other, "--jobs", "1", "--quiet").status).toBe(0);
    const r = dync("merge", shardDir(1), shardDir(2), other, shardDir(4), "--out", join(scratch, "never"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`error RUN070: ${shardDir(1)} and ${other} are not shards of one plan: they differ in their source text`);

    // Another dync version cannot be produced here: its shard is a copy whose manifest records one.
    const older = join(scratch, "older-shard-3");
    cpSync(shardDir(3), older, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(older, "manifest.json"), "utf8"));
    writeFileSync(join(older, "manifest.json"), JSON.stringify({ ...manifest, versions: { ...manifest.versions, dync: "0.0.9" } }));
    const v = dync("merge", shardDir(1), shardDir(2), older, shardDir(4), "--out", join(scratch, "never"));
    expect(v.stderr).toMatch(/they differ in their dync version \("\d+\.\d+\.\d+" and "0\.0\.9"\)/);
    expect(existsSync(join(scratch, "never"))).toBe(false);
  }, 180_000);

  it("names a killed shard; re-run alone beside it, the merge takes the finished one", async () => {
    const killed = join(scratch, "rerun", "shard-3-of-4");
    await runUntilTrainingThenKill(["run", sweep, "--shard", "3/4", "--out", killed, "--jobs", "1", "--quiet"], killed);
    for (const i of [1, 2, 4]) cpSync(shardDir(i), join(scratch, "rerun", `shard-${i}-of-4`), { recursive: true });
    const r = dync("merge", join(scratch, "rerun"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`shard 3/4 in ${killed} did not finish (status running: killed, or still running)`);

    const again = dync("run", sweep, "--shard", "3/4", "--out", `${killed}-rerun`, "--jobs", "1", "--quiet");
    expect(again.status).toBe(0);
    const merged = dync("merge", join(scratch, "rerun"));
    expect(merged.stderr).toContain(`note: ${killed} is passed over for a later finished run of the same shard`);
    expect(merged.status).toBe(0);
    expectSameResults(runDirectoriesEqual(single, join(scratch, "rerun", "merged")));

    // The killed directory itself can be continued too: --resume keeps the shard it records.
    expect(dync("run", "--resume", killed, "--shard", "2/4").stderr).toContain(`error RUN031: cannot resume ${killed} as shard 2/4: it holds shard 3/4`);
    const resumed = dync("run", "--resume", killed, "--jobs", "1", "--quiet");
    expect(resumed.stdout).toContain("shard 3/4: 1 of 5 runs (width=8)");
    expect(resumed.status).toBe(0);
    const latest = dync("merge", join(scratch, "rerun"));
    expect(latest.stderr).toContain(`note: ${killed}-rerun is passed over for a later finished run of the same shard`);
    expectSameResults(runDirectoriesEqual(single, join(scratch, "rerun", "merged-2")));
  }, 240_000);

  it("`dync run --shard` takes i/n with 1 ≤ i ≤ n (usage error, exit 2)", () => {
    const r = dync("run", sweep, "--shard", "0/4", "--out", join(scratch, "never-run"));
    expect(r.stderr).toContain('--shard takes i/n with 1 ≤ i ≤ n (e.g. 2/4), not "0/4"');
    expect(r.status).toBe(2);
  });
});

/** Start `dync run`, SIGKILL it once its manifest shows a run training (a node lost mid-run); its manifest then says `running`. */
async function runUntilTrainingThenKill(args: string[], dir: string): Promise<void> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: "ignore" });
  const exited = new Promise<void>((done) => child.on("exit", () => done()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const manifest = join(dir, "manifest.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { runs: { status: string }[] }).runs.some((r) => r.status === "running")) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  await exited;
  expect(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).status).toBe("running");
}
