/**
 * A resumed run's `runs[].hvp` counts every Hessian-vector product it computed, not only those after the resume:
 * the checkpoint carries the counts (runner/checkpoint.ts `RunCheckpoint.hvp`) and the run continues from them.
 * Sharpness with fixed `iters` and `tol: 0` computes exactly `iters` products per call (Lanczos never stops
 * early), so a run of T steps measuring every 5 computes (T/5 + 1)·iters products, whatever the seeds do.
 *
 * Each case stops a run with SIGINT once it has checkpointed and resumes it; its manifest entry must equal the
 * uninterrupted run's: the first unfinished run continued in-process (`--jobs 1`) and on a pool worker (`--jobs 2`),
 * and a held run (a later run continuing from its checkpoint) both ways. `--resume` judges a continuing run by
 * its checkpoint's counts (runner/resume-kernels.ts rule 1), an older checkpoint's run by the route (rule 2). A
 * checkpoint written before checkpoints carried the counts still resumes; the manifest then says from which step
 * its counts run (`hvpFrom`).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interruptOnceCheckpointed } from "../run-records.js";
import { readCheckpointFile, writeCheckpointFile, type Manifest } from "../../runtime/record/index.js";
import { checkpointPath, type RunCheckpoint } from "../../runner/checkpoint.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".hvp-count-resume-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Long enough (≈ 1 s a run) that a SIGINT sent once two runs checkpointed finds both still training. */
const STEPS = 900;
const EVERY = 5;
const ITERS = 4;
/** Every run's products: one call at each multiple of EVERY from 0 to STEPS, ITERS products each. */
const PRODUCTS = (STEPS / EVERY + 1) * ITERS;

const SOURCE = `experiment hc {
  sweep lr in [0.05, 0.02, 0.01]
  seeds 2
  data train { x ~ uniform(-1, 1) [48]; y = x^2 }
  model net = mlp(hidden: [8], act: tanh)
  loss half_mse
  optimizer sgd(lr: lr)
  train ${STEPS} steps, batch 16
  probe tl = train_loss() every 10 steps
  probe s = sharpness(net, train, iters: ${ITERS}, tol: 0) every ${EVERY} steps
  checkpoint every 20 steps
}
`;
const RUNS = ["lr=0.05", "lr=0.02", "lr=0.01"];
const segment = (run: string) => encodeURIComponent(run);

const program = join(scratch, "hc.mjs");
let reference: Manifest;
/** Stopped by SIGINT with `--jobs 1` once the first run checkpointed: that run interrupted. */
let stoppedOne: string;
/** Stopped by SIGINT with `--jobs 2` once the first two runs checkpointed: the second is held on resume. */
let stoppedTwo: string;

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
const hvpOf = (m: Manifest) => Object.fromEntries(m.runs.map((r) => [r.run, { hvp: r.hvp, hvpFrom: (r as { hvpFrom?: number }).hvpFrom }]));

/** The step of `run`'s checkpoint in `dir`. */
const checkpointStep = (dir: string, run: string) => (readCheckpointFile(checkpointPath(dir, run)) as RunCheckpoint).training.step;

/**
 * Resume `dir` with `--jobs N`; each run of `continuing` must continue from its checkpoint (a run trained again
 * from step 0 would count its products right without the checkpoint's help).
 */
function resume(dir: string, jobs: number, continuing: readonly string[]): Manifest {
  const steps = continuing.map((run) => [run, checkpointStep(dir, run)] as const);
  const done = spawnSync(process.execPath, [program, "--resume", dir, "--jobs", String(jobs), "--quiet"], { encoding: "utf8" });
  expect(done.status, done.stderr).toBe(0);
  for (const [run, step] of steps) {
    expect(step).toBeGreaterThan(0);
    expect(done.stdout).toContain(`${run} continues from its checkpoint at step ${step}`);
  }
  return manifestOf(dir);
}

/** A copy of `dir` to resume, so each case starts from the same stopped directory. */
function copyOf(dir: string, name: string): string {
  const to = join(scratch, name);
  cpSync(dir, to, { recursive: true });
  return to;
}

beforeAll(async () => {
  writeFileSync(join(scratch, "hc.dyn"), SOURCE);
  const compiled = spawnSync(process.execPath, [CLI, "compile", join(scratch, "hc.dyn"), "-o", program], { encoding: "utf8" });
  expect(compiled.status, compiled.stderr).toBe(0);
  const out = join(scratch, "reference");
  const run = spawnSync(process.execPath, [program, "--jobs", "1", "--quiet", "--out", out], { encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  reference = manifestOf(out);
  stoppedOne = join(scratch, "stopped-1");
  expect(await interruptOnceCheckpointed(program, ["--jobs", "1", "--quiet"], stoppedOne, [segment(RUNS[0]!)])).toBe(130);
  stoppedTwo = join(scratch, "stopped-2");
  expect(await interruptOnceCheckpointed(program, ["--jobs", "2", "--quiet"], stoppedTwo, RUNS.slice(0, 2).map(segment))).toBe(130);
  expect(manifestOf(stoppedTwo).runs.filter((r) => r.status === "interrupted").map((r) => r.run)).toEqual(RUNS.slice(0, 2));
}, 300_000);

describe("runs[].hvp of a resumed run", () => {
  it("the uninterrupted run counts (T/5 + 1)·iters products per run, on one path", () => {
    expect(reference.runs.map((r) => r.run)).toEqual(RUNS);
    for (const entry of reference.runs) {
      const counts = Object.values(entry.hvp ?? {});
      expect(counts, entry.run).toEqual([PRODUCTS]);
    }
  });

  it("continued in-process (--jobs 1) from its checkpoint: the same counts as the uninterrupted run", () => {
    const stopped = manifestOf(stoppedOne).runs.find((r) => r.run === RUNS[0]);
    expect(stopped?.status).toBe("interrupted");
    expect(hvpOf(resume(copyOf(stoppedOne, "one-in-process"), 1, RUNS.slice(0, 1)))).toEqual(hvpOf(reference));
  }, 120_000);

  it("continued on a pool worker (--jobs 2), with a held run continuing from its checkpoint: the same counts", () => {
    expect(hvpOf(resume(copyOf(stoppedTwo, "two-pool"), 2, RUNS.slice(0, 2)))).toEqual(hvpOf(reference));
  }, 120_000);

  it("the held run continued in-process (--jobs 1): the same counts", () => {
    expect(hvpOf(resume(copyOf(stoppedTwo, "two-in-process"), 1, RUNS.slice(0, 2)))).toEqual(hvpOf(reference));
  }, 120_000);

  it("--resume judges the continuing run by its checkpoint's counts: with its path switched off it is refused by name; an older checkpoint by the route", () => {
    const [path] = Object.keys(reference.runs[0]!.hvp!);
    // Switch off the R-operator the run recorded: the process then takes the next route (native → rop → taped).
    const off = path === "native" ? { DYNC_NATIVE_HVP: "0", then: "rop" } : { DYNC_ROP_HVP: "0", then: "taped" };
    const { then, ...env } = off;
    const attempt = (dir: string) => spawnSync(process.execPath, [program, "--resume", dir, "--jobs", "1", "--quiet"], { encoding: "utf8", env: { ...process.env, ...env } });
    const carried = attempt(copyOf(stoppedOne, "refused-by-record"));
    expect(carried.status).toBe(2);
    expect(carried.stderr).toContain(`run ${RUNS[0]} computed its Hessian-vector products on the ${path} path, this process would compute them on the ${then} path; their float32 sums differ`);
    const older = copyOf(stoppedOne, "refused-by-route");
    const file = checkpointPath(older, RUNS[0]!);
    const { hvp: _hvp, ...withoutCounts } = readCheckpointFile(file) as RunCheckpoint;
    writeCheckpointFile(file, withoutCounts);
    const routed = attempt(older);
    expect(routed.status).toBe(2);
    expect(routed.stderr).toContain(`its Hessian-vector products of dense MLPs ran on the ${path} path, this process uses the ${then} one (run ${RUNS[0]} measures them)`);
  }, 120_000);

  it("a checkpoint written before checkpoints carried the counts resumes; the run's counts start at its step, which hvpFrom says", () => {
    const dir = copyOf(stoppedOne, "older-checkpoint");
    const path = checkpointPath(dir, RUNS[0]!);
    const { hvp: _hvp, ...older } = readCheckpointFile(path) as RunCheckpoint;
    writeCheckpointFile(path, older);
    const step = older.training.step;
    const resumed = hvpOf(resume(dir, 1, RUNS.slice(0, 1)));
    // products of the calls at steps ≥ step only (those before the checkpoint were delivered before it was taken)
    const before = Math.ceil(step / EVERY) * ITERS;
    const [path0] = Object.keys(reference.runs[0]!.hvp!);
    expect(resumed[RUNS[0]!]).toEqual({ hvp: { [path0!]: PRODUCTS - before }, hvpFrom: step });
    expect(resumed[RUNS[1]!]).toEqual(hvpOf(reference)[RUNS[1]!]);
  }, 120_000);
});
