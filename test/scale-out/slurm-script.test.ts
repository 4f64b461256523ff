/**
 * `dync slurm` without a cluster: the sbatch script it writes (directives from the flags, one task per shard,
 * the shard passed explicitly), its refusals, and the script itself run by bash as SLURM would run task 2
 * (the environment SLURM gives a task), training shard 2/4. The real submission is test/scale-out/slurm.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/cli.js";

const root = resolve(import.meta.dirname, "../..");
const sweep = join(root, "test", "scale-out", "sweep.dyn");
const scratch = mkdtempSync(join(tmpdir(), "dync-sbatch-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function dync(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await main(argv, { write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  return { status, stdout, stderr };
}

describe("dync slurm", () => {
  it("writes a job array with one task per shard and the flags as #SBATCH directives", async () => {
    const out = join(scratch, "root");
    const r = await dync("slurm", sweep, "--shards", "4", "--out", out, "--partition", "gpu", "--time", "1:30:00", "--cpus", "2", "--gpus", "1");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const script = join(out, "dync-scaleout.sbatch");
    expect(r.stdout).toContain(`wrote ${script}: a job array of 4 tasks (shards 1/4…4/4 of the 5 runs of profile default), 2 CPUs each`);
    expect(r.stdout).toContain(`submit it:     sbatch ${script}`);
    expect(r.stdout).toContain(`dync merge ${out}`);
    const text = readFileSync(script, "utf8");
    const directives = text.split("\n").filter((l) => l.startsWith("#SBATCH"));
    expect(directives).toEqual([
      "#SBATCH --job-name=dync-scaleout",
      "#SBATCH --array=1-4",
      `#SBATCH --output=${out}/logs/shard-%a-of-4.log`,
      "#SBATCH --ntasks=1",
      "#SBATCH --cpus-per-task=2",
      "#SBATCH --partition=gpu",
      "#SBATCH --time=1:30:00",
      "#SBATCH --gres=gpu:1",
    ]);
    expect(text).toContain(`--profile default --shard "$SLURM_ARRAY_TASK_ID/4" --jobs 2 --quiet --out "$out"`);
    expect(spawnSync("bash", ["-n", script]).status).toBe(0);
  });

  it("defaults to one task per run; refuses more shards than runs, a bad time and a file that does not check", async () => {
    const r = await dync("slurm", sweep, "--out", join(scratch, "default"));
    expect(r.stdout).toContain("a job array of 5 tasks (shards 1/5…5/5 of the 5 runs");
    expect((await dync("slurm", sweep, "--shards", "6")).stderr).toContain("--shards 6 is more than the 5 runs of profile default: a shard trains whole runs");
    expect((await dync("slurm", sweep, "--time", "1 hour")).stderr).toContain('--time "1 hour" is not a SLURM time');
    expect((await dync("slurm", sweep, "--profile", "nope")).stdout).toContain("DYN2042");
    expect((await dync("slurm", sweep, "--cpus", "0")).status).toBe(2);
  });

  it("its script, run as SLURM runs array task 2, trains shard 2/4 into the run root", () => {
    const out = join(scratch, "by-hand");
    expect(spawnSync(process.execPath, [join(root, "dist", "cli", "bin.js"), "slurm", sweep, "--shards", "4", "--out", out], { cwd: root }).status).toBe(0);
    const env = { ...process.env, SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "4", SLURM_ARRAY_TASK_MIN: "1", SLURM_JOB_ID: "41" };
    const r = spawnSync("bash", [join(out, "dync-scaleout.sbatch")], { cwd: scratch, env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, "shard-2-of-4", "manifest.json"), "utf8"));
    expect(manifest.shard).toMatchObject({ index: 2, count: 4, runs: ["width=4"] });
    expect(manifest.status).toBe("ok");
  }, 30_000);

  it("passes KEY=VALUE overrides to every task: the plan counted, the shards trained and a plain `dync run` agree (plan hash)", async () => {
    const out = join(scratch, "overridden");
    const bin = join(root, "dist", "cli", "bin.js");
    const w = spawnSync(process.execPath, [bin, "slurm", sweep, "width=[2,32]", "seeds=1", "--shards", "2", "--out", out], { cwd: root, encoding: "utf8" });
    expect(w.status, w.stderr).toBe(0);
    expect(w.stdout).toContain("a job array of 2 tasks (shards 1/2…2/2 of the 2 runs of profile default)");
    const text = readFileSync(join(out, "dync-scaleout.sbatch"), "utf8");
    expect(text).toContain(`${sweep} 'width=[2,32]' seeds=1 --profile default --shard "$SLURM_ARRAY_TASK_ID/2"`);
    for (const task of ["1", "2"]) {
      const env = { ...process.env, SLURM_ARRAY_TASK_ID: task, SLURM_ARRAY_TASK_COUNT: "2", SLURM_ARRAY_TASK_MIN: "1", SLURM_JOB_ID: "42" };
      const r = spawnSync("bash", [join(out, "dync-scaleout.sbatch")], { cwd: scratch, env, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    }
    const shard = (i: number) => JSON.parse(readFileSync(join(out, `shard-${i}-of-2`, "manifest.json"), "utf8"));
    expect(shard(1).source.overrides).toEqual(["width=[2,32]", "seeds=1"]);
    expect(shard(1).shard.runs).toEqual(["width=2"]);
    expect(shard(2).shard.runs).toEqual(["width=32"]);
    const direct = join(scratch, "direct");
    const d = spawnSync(process.execPath, [bin, "run", sweep, "width=[2,32]", "seeds=1", "--jobs", "1", "--quiet", "--out", direct], { cwd: scratch, encoding: "utf8" });
    expect(d.status, d.stderr).toBe(0);
    const plain = JSON.parse(readFileSync(join(direct, "manifest.json"), "utf8"));
    expect(shard(1).planHash).toBe(plain.planHash);
    expect(shard(2).planHash).toBe(plain.planHash);
    const merged = join(scratch, "merged");
    const m = spawnSync(process.execPath, [bin, "merge", out, "--out", merged], { cwd: scratch, encoding: "utf8" });
    expect(m.status, m.stderr + m.stdout).toBe(0);
    expect(existsSync(join(merged, "metrics.csv"))).toBe(true);
    // Trained by shards or in one process, the same rows (one backend: wasm on both).
    expect(readFileSync(join(merged, "metrics.csv"), "utf8")).toBe(readFileSync(join(direct, "metrics.csv"), "utf8"));
  }, 120_000);

  it("refuses a bad override with its diagnostic, as run does", async () => {
    const r = await dync("slurm", sweep, "widht=3", "--out", join(scratch, "bad"));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("DYN4021");
    expect(r.stdout).toContain("did you mean `width`?");
  });
});
