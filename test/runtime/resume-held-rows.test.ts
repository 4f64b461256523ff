/**
 * Held rows survive a resume that is itself killed. After SIGINT with `--jobs 2` two runs stopped with a
 * checkpoint each; `--resume` continues the first unfinished one and *holds* the other's rows (cut from the
 * files, written back when that run begins again). Those rows used to live only in the resuming process: a
 * kill before they were written back made that run restart from step 0. Now they are saved beside its
 * checkpoint before the cut, so the next resume continues it from its checkpoint, whether it is still a later
 * run (held again) or has become the first unfinished one (its rows appended to the files), and the directory
 * ends byte-identical to an uninterrupted run.
 *
 * The kill of the resuming process is placed exactly: the cut of `--resume` is made here in-process
 * (inspectResume + cutForResume, what `dync run --resume` does before it trains), which is the directory a
 * kill right after it leaves. For the second case, the first run's completion is then written as the
 * uninterrupted run wrote it (training is deterministic: those are the bytes it would write).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectSameRecords, interruptOnceCheckpointed } from "../run-records.js";
import type { Manifest } from "../../runtime/record/index.js";
import { pathSegment, readCheckpointFile, writeCheckpointFile } from "../../runtime/record/index.js";
import { heldRowsPath } from "../../runner/checkpoint.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".resume-held-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** 3 runs × 3 seeds × 240 steps, a checkpoint every 25 steps, scalar, matrix and stacked probes. */
const SOURCE = `experiment ck {
  sweep lr in [0.01, 0.003, 0.001]
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
  train 40 epochs, batch 16
  probe test_loss = loss(net, test) every 10 steps
  probe cos = cosine_similarity(net) every 60 steps
  probe psl = per_sample_loss(net, test) every 3 steps
  checkpoint every 25 steps
}
`;

const program = join(scratch, "ck.mjs");
let reference: string;
let stopped: string;

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;

/**
 * What `dync run --resume DIR` does before training (inspectResume, then cutForResume), done in a plain node
 * process on the compiled program (vitest's module loader would rewrite the target functions, whose code the
 * plan hash covers): the directory a kill right after it leaves. Returns the first run to train and the held ones.
 */
function cutAsResumeWould(dir: string): { first: string; held: string[] } {
  const url = (path: string) => JSON.stringify(pathToFileURL(join(ROOT, "dist", "runner", path)).href);
  const script = [
    `const { choosePlan } = await import(${url("experiment.js")});`,
    `const { planHash } = await import(${url("checkpoint.js")});`,
    `const { cutForResume, inspectResume } = await import(${url("resume.js")});`,
    `const { experiments } = await import(${JSON.stringify(pathToFileURL(program).href)});`,
    "const exp = experiments[0];",
    'const plan = choosePlan(exp, "default");',
    `const state = inspectResume(${JSON.stringify(dir)}, exp, "default", plan, planHash(exp, plan));`,
    `cutForResume(${JSON.stringify(dir)}, plan, state);`,
    "console.log(JSON.stringify({ first: plan.runs[state.first].id, held: [...state.held.keys()] }));",
  ].join("\n");
  const cut = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  expect(cut.status, cut.stderr).toBe(0);
  return JSON.parse(cut.stdout) as { first: string; held: string[] };
}

function resume(dir: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [program, "--resume", dir, "--backend", "cpu", "--jobs", "2", "--quiet"], { encoding: "utf8" });
}

beforeAll(async () => {
  writeFileSync(join(scratch, "ck.dyn"), SOURCE);
  const compiled = spawnSync(process.execPath, [CLI, "compile", join(scratch, "ck.dyn"), "-o", program], { encoding: "utf8" });
  expect(compiled.status, compiled.stderr).toBe(0);
  reference = join(scratch, "reference");
  const run = spawnSync(process.execPath, [program, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", reference], { encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  // SIGINT once both workers have checkpointed: two runs interrupted, each with a checkpoint where it stopped.
  stopped = join(scratch, "stopped");
  expect(await interruptOnceCheckpointed(program, ["--backend", "cpu", "--jobs", "2", "--quiet"], stopped, ["lr%3D0.01", "lr%3D0.003"])).toBe(130);
  expect(manifestOf(stopped).runs.filter((r) => r.status === "interrupted")).toHaveLength(2);
}, 240_000);

/** `interrupted by SIGINT after 120 of 240 steps …` → 120. */
const stepOf = (dir: string, run: string) => Number(/after (\d+) of 240 steps/.exec(manifestOf(dir).runs.find((r) => r.run === run)!.message!)![1]);

describe("a resume killed before it wrote a held run's rows back", () => {
  it("the next resume continues that run from its checkpoint (held again), and the files end as an uninterrupted run's", async () => {
    const dir = join(scratch, "killed-resume");
    cpSync(stopped, dir, { recursive: true });
    const { held } = cutAsResumeWould(dir);
    expect(held).toHaveLength(1);
    const [later] = held;
    const at = stepOf(stopped, later!);
    expect(existsSync(heldRowsPath(dir, later!))).toBe(true);
    // the held rows are cut from the files: only the saved copy has them
    expect(readFileSync(join(dir, "metrics.jsonl"), "utf8")).not.toContain(`"run":"${later}"`);
    const resumed = resume(dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`run ${later} continues from its checkpoint at step ${at}`);
    expectSameRecords(dir, reference);
    expect(manifestOf(dir).status).toBe("ok");
    expect(existsSync(heldRowsPath(dir, later!))).toBe(false); // written back, the copy is gone
  }, 120_000);

  it("…also when the run before it finished meanwhile: it is then the first unfinished run, its saved rows go back into the files", async () => {
    const dir = join(scratch, "killed-after-first");
    cpSync(stopped, dir, { recursive: true });
    const { first, held } = cutAsResumeWould(dir);
    const [later] = held;
    const at = stepOf(stopped, later!);
    // The resuming process trains `first` to its end, as the uninterrupted run did, and is killed before
    // `later` begins: the files hold every run up to `first` as the reference does, nothing of `later`.
    const ref = manifestOf(reference);
    const upTo = ref.runs.findIndex((r) => r.run === first) + 1;
    const done = new Set(ref.runs.slice(0, upTo).map((r) => r.run));
    const refJsonl = readFileSync(join(reference, "metrics.jsonl"), "utf8").split(/(?<=\n)/);
    const rows = refJsonl.findIndex((line) => !done.has((JSON.parse(line) as { run: string }).run));
    writeFileSync(join(dir, "metrics.jsonl"), refJsonl.slice(0, rows).join(""));
    writeFileSync(join(dir, "metrics.csv"), readFileSync(join(reference, "metrics.csv"), "utf8").split(/(?<=\n)/).slice(0, rows + 1).join(""));
    for (const probe of readdirSync(join(reference, "tensors"))) {
      const from = join(reference, "tensors", probe, pathSegment(first));
      if (existsSync(from)) cpSync(from, join(dir, "tensors", probe, pathSegment(first)), { recursive: true });
    }
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifestOf(dir), runs: ref.runs.slice(0, upTo) }));
    const resumed = resume(dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resuming: ${upTo} of 3 runs kept; run ${later} continues from its checkpoint at step ${at}`);
    expectSameRecords(dir, reference);
    expect(existsSync(heldRowsPath(dir, later!))).toBe(false);
  }, 120_000);

  it("a saved copy for another checkpoint than the run's is not used: the run trains again from step 0", async () => {
    const dir = join(scratch, "stale-copy");
    cpSync(stopped, dir, { recursive: true });
    const { held } = cutAsResumeWould(dir);
    const [later] = held;
    // a copy saved for an earlier checkpoint of the run (its rows stop 25 steps short of the checkpoint's)
    const path = heldRowsPath(dir, later!);
    const saved = readCheckpointFile(path) as { step: number };
    writeCheckpointFile(path, { ...saved, step: saved.step - 25 });
    const resumed = resume(dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).not.toContain(`run ${later} continues`);
    expectSameRecords(dir, reference);
    expect(existsSync(path)).toBe(false); // deleted by the cut: it names .npy files the restart deletes, no later resume may use it
  }, 120_000);
});
