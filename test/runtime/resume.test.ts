/**
 * Checkpoints and `--resume` (issue 15): a run killed outright (SIGKILL) at a random moment after its first
 * checkpoint and then resumed ends with metrics.csv, metrics.jsonl and every .npy byte-identical to an
 * uninterrupted run on the same backend, with `--jobs 1` and `--jobs 2`, killed in the first or in a later
 * run. The experiment has what could go wrong on a resume: Adam (moments, bias-correction step count), a
 * step-decay schedule, dropout (a random stream drawn every step), minibatches reshuffled every epoch,
 * relative_change (keeps the initial weights), an event-triggered probe (fired flags), a probe every 7% of
 * training (steps resolved from the run's length, 40 epochs of 6 steps), matrix probes (.npy) and a stacked probe (per_sample_loss: one array per run and seed, appended every 3 steps). A run stopped by SIGINT checkpoints where it stopped and resumes from exactly there. Also:
 * resuming a finished directory does nothing, resuming another program's directory is RUN031.
 *
 * The program is compiled once (`dync compile`) and run with node, so each start costs no compilation.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectSameRecords, interruptOnceCheckpointed, recordedFiles } from "../run-records.js";
import type { Manifest } from "../../runtime/record/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".resume-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** 2 runs × 3 seeds × 240 steps (6 per epoch), a checkpoint every 25 steps. */
const SOURCE = `experiment ck {
  sweep lr in [0.01, 0.003]
  seeds 3
  data train { x ~ uniform(-2, 2) [96]; y = x^2 }
  data test = grid(x in [-2, 2], n: 51) -> x^2
  model net {
    hidden = dense(16, act: tanh)
    dropout(0.2)
    out = dense(1)
  }
  loss mse
  optimizer adam(lr: lr)
  schedule step_decay(every: 40 steps, factor: 0.5)
  train 40 epochs, batch 16
  probe test_loss = loss(net, test) every 10 steps
  probe rd = relative_change(net) every 20 steps
  probe cos = cosine_similarity(net) every 60 steps
  probe tl = train_loss() every 7 steps
  probe low = weight_norm(net) at first(test_loss < 1)
  probe psl = per_sample_loss(net, test) every 3 steps
  probe g = grad_norm(net, random_subset(train, 8)) every 30 steps
  probe wn = weight_norm(net) every 7%
  checkpoint every 25 steps
}
`;

const program = join(scratch, "ck.mjs");
const dyn = join(scratch, "ck.dyn");
let reference: string;

beforeAll(() => {
  writeFileSync(dyn, SOURCE);
  const compiled = spawnSync(process.execPath, [CLI, "compile", dyn, "-o", program], { encoding: "utf8" });
  expect(compiled.status, compiled.stderr).toBe(0);
  reference = join(scratch, "reference");
  const run = spawnSync(process.execPath, [program, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", reference], { encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
}, 120_000);

/**
 * Start the program; once `checkpoint` (a file under checkpoints/) exists, wait a random 0–400 ms and
 * SIGKILL it. Returns the number of metrics rows at the kill.
 */
async function killAfterCheckpoint(out: string, jobs: number, checkpoint: string, compiled = program): Promise<number> {
  const child = spawn(process.execPath, [compiled, "--backend", "cpu", "--jobs", String(jobs), "--quiet", "--out", out], { stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((done) => child.on("exit", (_code, signal) => done(signal)));
  const file = join(out, "checkpoints", checkpoint);
  await new Promise<void>((done) => {
    const poll = setInterval(() => {
      if (!existsSync(file)) return;
      clearInterval(poll);
      setTimeout(() => {
        child.kill("SIGKILL");
        done();
      }, Math.floor(Math.random() * 400));
    }, 10);
    void exited.then(() => {
      clearInterval(poll);
      done();
    });
  });
  expect(await exited, "the run ended before it could be killed: make the experiment longer").toBe("SIGKILL");
  return readFileSync(join(out, "metrics.csv"), "utf8").split("\n").length - 2;
}

function resume(dir: string, jobs: number): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [program, "--resume", dir, "--backend", "cpu", "--jobs", String(jobs), "--quiet"], { encoding: "utf8" });
}

describe("a killed run, resumed, ends byte-identical to an uninterrupted one", () => {
  it("the uninterrupted run measures `every 7%` at ⌈16.8·k⌉ of its 240 steps, in each run and seed", () => {
    const [header, ...rows] = readFileSync(join(reference, "metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(","));
    const column = (name: string) => header!.indexOf(name);
    const steps = (run: string, seed: string) => rows.filter((r) => r[column("run")] === run && r[column("seed")] === seed && r[column("probe")] === "wn").map((r) => Number(r[column("step")]));
    // 16.8·k for k = 0…14 (k·7% ≤ 100%), rounded up; 16.8·5 and 16.8·10 land on whole steps.
    const want = [0, 17, 34, 51, 68, 84, 101, 118, 135, 152, 168, 185, 202, 219, 236];
    for (const run of ["lr=0.01", "lr=0.003"]) for (const seed of ["0", "1", "2"]) expect(steps(run, seed), `${run} seed ${seed}`).toEqual(want);
  });

  const cases = [
    { name: "jobs 1, killed in the first run", jobs: 1, checkpoint: "lr%3D0.01.ckpt" },
    { name: "jobs 1, killed in the second run", jobs: 1, checkpoint: "lr%3D0.003.ckpt" },
    { name: "jobs 2, killed while both runs train", jobs: 2, checkpoint: "lr%3D0.01.ckpt" },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = join(scratch, c.name.replace(/\W+/g, "-"));
      const rowsAtKill = await killAfterCheckpoint(dir, c.jobs, c.checkpoint);
      const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
      expect(manifest.status).toBe("running");
      const resumed = resume(dir, c.jobs);
      expect(resumed.status, `${resumed.stderr}\n(killed with ${rowsAtKill} rows)`).toBe(0);
      expect(resumed.stdout).toMatch(/resuming: [01] of 2 runs kept; run lr=[0-9.]+ (continues from its checkpoint at step \d+|starts again from step 0)/);
      if (c.jobs === 1) expect(resumed.stdout).toMatch(/continues from its checkpoint at step (25|50|75|100|125|150|175|200|225)\b/);
      expectSameRecords(dir, reference);
      const after = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
      expect(after.status).toBe("ok");
      expect(after.runs.map((r) => [r.run, r.status, r.steps])).toEqual([["lr=0.01", "ok", 240], ["lr=0.003", "ok", 240]]);
      expect(after.resumes).toHaveLength(1);
    }, 120_000);
  }

  it("`checkpoint every 10%`: checkpoints at 24, 48, …, 216 of the 240 steps; killed and resumed, the same records", async () => {
    // The checkpoint cadence changes no measurement: the records must equal the `every 25 steps` reference's.
    const shareDyn = join(scratch, "ck-share.dyn");
    const shareProgram = join(scratch, "ck-share.mjs");
    writeFileSync(shareDyn, SOURCE.replace("checkpoint every 25 steps", "checkpoint every 10%"));
    const compiled = spawnSync(process.execPath, [CLI, "compile", shareDyn, "-o", shareProgram], { encoding: "utf8" });
    expect(compiled.status, compiled.stderr).toBe(0);
    const dir = join(scratch, "share");
    await killAfterCheckpoint(dir, 1, "lr%3D0.01.ckpt", shareProgram);
    const resumed = spawnSync(process.execPath, [shareProgram, "--resume", dir, "--backend", "cpu", "--jobs", "1", "--quiet"], { encoding: "utf8" });
    expect(resumed.status, resumed.stderr).toBe(0);
    const at = /run lr=0\.01 continues from its checkpoint at step (\d+)/.exec(resumed.stdout);
    if (at) expect([24, 48, 72, 96, 120, 144, 168, 192, 216]).toContain(Number(at[1]));
    else expect(resumed.stdout).toMatch(/resuming: 1 of 2 runs kept; run lr=0\.003 (continues from its checkpoint at step (24|48|72|96|120|144|168|192|216)|starts again from step 0)/);
    expectSameRecords(dir, reference);
  }, 120_000);

  it("SIGINT with --checkpoint-every: a checkpoint at the step where it stopped, resumed from exactly there", async () => {
    const dir = join(scratch, "sigint");
    // --checkpoint-every 1000 overrides the statement: no periodic checkpoint, only the one at the stop.
    const child = spawn(process.execPath, [program, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", dir, "--checkpoint-every", "1000"], { stdio: "ignore" });
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const rows = () => (existsSync(join(dir, "metrics.csv")) ? readFileSync(join(dir, "metrics.csv"), "utf8").split("\n").length - 2 : 0);
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (rows() < 40) return;
        clearInterval(poll);
        child.kill("SIGINT");
        done();
      }, 10);
    });
    expect(await exited).toBe(130);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.runs[0]!.status).toBe("interrupted");
    const stoppedAt = Number(/after (\d+) of 240 steps/.exec(manifest.runs[0]!.message!)![1]);
    const resumed = resume(dir, 1);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`run lr=0.01 continues from its checkpoint at step ${stoppedAt}`);
    expectSameRecords(dir, reference);
  }, 120_000);

  it("resuming a finished directory does nothing and says so", () => {
    const before = recordedFiles(reference);
    const manifest = readFileSync(join(reference, "manifest.json"));
    const again = resume(reference, 1);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`nothing to resume: ${reference} finished (status ok)`);
    expect(readFileSync(join(reference, "manifest.json")).equals(manifest)).toBe(true);
    expect(recordedFiles(reference)).toEqual(before);
  });

  it("resuming another program's directory is RUN031 and changes nothing", () => {
    const other = join(scratch, "other.dyn");
    writeFileSync(other, SOURCE.replace("dense(16", "dense(12"));
    const manifest = readFileSync(join(reference, "manifest.json"));
    const run = spawnSync(process.execPath, [CLI, "run", other, "--resume", reference, "--backend", "cpu", "--quiet"], { encoding: "utf8" });
    expect(run.status).toBe(2); // an input error
    expect(run.stderr).toContain("error RUN031: cannot resume");
    expect(run.stderr).toContain("written by a different program (the plan hash differs");
    expect(readFileSync(join(reference, "manifest.json")).equals(manifest)).toBe(true);
  }, 60_000);
});

/**
 * A signal with `--jobs 2` stops both busy workers at a step boundary, each with a checkpoint there, and the
 * files hold both runs' rows (run order). Resumed with `--jobs 2`, each of them continues from its own
 * checkpoint (the later one's rows are held back and written after the first run's, in order) instead of
 * training again from step 0, and the directory ends byte-identical to an uninterrupted run.
 */
describe("SIGINT with --jobs 2, resumed with --jobs 2: every interrupted run continues from its own checkpoint", () => {
  // Analyses over every run's rows, early and late: the held rows must reach the results table too.
  const three = SOURCE.replace("sweep lr in [0.01, 0.003]", "sweep lr in [0.01, 0.003, 0.001]").replace(
    "  checkpoint every 25 steps\n",
    "  checkpoint every 25 steps\n  let early = mean(test_loss before 50%) over seeds\n  let final = median(last(test_loss)) over seeds\n",
  );
  const program3 = join(scratch, "ck3.mjs");
  let reference3: string;

  beforeAll(() => {
    writeFileSync(join(scratch, "ck3.dyn"), three);
    const compiled = spawnSync(process.execPath, [CLI, "compile", join(scratch, "ck3.dyn"), "-o", program3], { encoding: "utf8" });
    expect(compiled.status, compiled.stderr).toBe(0);
    reference3 = join(scratch, "reference3");
    const run = spawnSync(process.execPath, [program3, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", reference3], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
  }, 240_000);

  it("both interrupted runs continue where they stopped; the files equal an uninterrupted run's", async () => {
    const dir = join(scratch, "sigint-jobs2");
    // Both workers have checkpointed once (25 steps): stop them mid-run.
    expect(await interruptOnceCheckpointed(program3, ["--backend", "cpu", "--jobs", "2", "--quiet"], dir, ["lr%3D0.01", "lr%3D0.003"])).toBe(130);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
    // Both workers were busy (the first run may have finished just before, a third started): two runs interrupted.
    const interrupted = manifest.runs.filter((r) => r.status === "interrupted");
    expect(interrupted.length, JSON.stringify(manifest.runs)).toBe(2);
    const resumed = spawnSync(process.execPath, [program3, "--resume", dir, "--backend", "cpu", "--jobs", "2", "--quiet"], { encoding: "utf8" });
    expect(resumed.status, resumed.stderr).toBe(0);
    for (const run of interrupted) {
      const stoppedAt = Number(/after (\d+) of 240 steps/.exec(run.message!)![1]);
      expect(resumed.stdout).toContain(`run ${run.run} continues from its checkpoint at step ${stoppedAt}`);
    }
    expectSameRecords(dir, reference3);
    const lets = (d: string) => (JSON.parse(readFileSync(join(d, "results.json"), "utf8")) as { lets: { name: string; rows: unknown[] }[] }).lets;
    expect(lets(reference3).map((l) => [l.name, l.rows.length])).toEqual([["early", 36], ["final", 3]]); // 12 steps before 50% of 3 runs; 3 runs
    expect(lets(dir)).toEqual(lets(reference3));
    const after = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
    expect(after.status).toBe("ok");
    expect(after.runs.map((r) => [r.run, r.status, r.steps])).toEqual([["lr=0.01", "ok", 240], ["lr=0.003", "ok", 240], ["lr=0.001", "ok", 240]]);
  }, 240_000);
});
