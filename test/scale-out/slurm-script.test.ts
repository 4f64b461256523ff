/**
 * `dync slurm` without a cluster: the sbatch script it writes (directives from the flags, one task per shard,
 * the shard passed explicitly), its refusals, and the script itself run by bash as SLURM would run task 2
 * (the environment SLURM gives a task), training shard 2/4. The real submission is test/scale-out/slurm.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
});
