/**
 * A held run that checkpoints again before its held rows are written back. After SIGINT with `--jobs 2` the
 * second interrupted run (B) is *held* by `--resume`: its rows up to its checkpoint are cut from the files,
 * saved in `checkpoints/<B>.held` and written back when B begins again in run order, i.e. once the first
 * unfinished run (A) is done. Meanwhile B trains on the other worker and reaches its next checkpoint. The
 * resuming process is then killed while A still trains: SIGKILL (B's rows since its old checkpoint were only in
 * memory; twice in a row) or SIGINT (every measurement is recorded in run order). The next resume must continue B from a
 * checkpoint whose rows it still has (never from step 0), and the directory must end byte-identical to an
 * uninterrupted run (metrics.csv, metrics.jsonl, every .npy file, the analyses in results.json).
 *
 * This used to lose B's work: the worker replaced B's checkpoint with the new one, the saved rows belonged to
 * the old one, and the next resume trained B again from step 0.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectSameRecords, interruptOnceCheckpointed, signalWhen } from "../run-records.js";
import type { Manifest } from "../../runtime/record/index.js";
import { heldRowsPath } from "../../runner/checkpoint.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".resume-recheckpoint-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * 3 runs × 2 seeds, a checkpoint every 20 steps; scalar, matrix and stacked probes; an analysis over every run.
 * The first run is 4× longer than the others (batch 4: 960 steps; 240 and 320), so after the SIGINT, whichever
 * two runs it stopped, the resumed first unfinished one has hundreds of steps left when the held one checkpoints
 * again, even if the held one's worker starts seconds later on a loaded machine.
 */
const SOURCE = `experiment ck {
  sweep b in [4, 16, 12]
  seeds 2
  data train { x ~ uniform(-2, 2) [96]; y = x^2 }
  data test = grid(x in [-2, 2], n: 31) -> x^2
  model net {
    hidden = dense(8, act: tanh)
    dropout(0.2)
    out = dense(1)
  }
  loss mse
  optimizer adam(lr: 0.01)
  train 40 epochs, batch b
  probe test_loss = loss(net, test) every 10 steps
  probe cos = cosine_similarity(net) every 60 steps
  probe psl = per_sample_loss(net, test) every 3 steps
  checkpoint every 20 steps
  let final = median(last(test_loss)) over seeds
}
`;

const program = join(scratch, "ck.mjs");
let reference: string;
let stopped: string;
/** The two runs the SIGINT stopped, in run order: A continues first on resume, B is held. */
let a: string;
let b: string;

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
/** `interrupted by SIGINT after 120 of 240 steps …` → 120. */
const stoppedAt = (dir: string, run: string) => Number(/after (\d+) of \d+ steps/.exec(manifestOf(dir).runs.find((r) => r.run === run)!.message!)![1]);
const args = ["--backend", "cpu", "--jobs", "2", "--quiet"];

function resume(dir: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [program, "--resume", dir, ...args], { encoding: "utf8" });
}

/** A checkpoint file of `run` written after `since` (ms): the run checkpointed again in this process. */
function checkpointedSince(dir: string, run: string, since: number): boolean {
  const folder = join(dir, "checkpoints");
  const prefix = `${encodeURIComponent(run)}.ckpt`;
  return readdirSync(folder).some((name) => {
    if (!name.startsWith(prefix) || name.endsWith(".tmp")) return false;
    try {
      return statSync(join(folder, name)).mtimeMs > since;
    } catch {
      return false; // renamed meanwhile
    }
  });
}

const lets = (dir: string) => (JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as { lets: unknown }).lets;

beforeAll(async () => {
  writeFileSync(join(scratch, "ck.dyn"), SOURCE);
  const compiled = spawnSync(process.execPath, [CLI, "compile", join(scratch, "ck.dyn"), "-o", program], { encoding: "utf8" });
  expect(compiled.status, compiled.stderr).toBe(0);
  reference = join(scratch, "reference");
  const run = spawnSync(process.execPath, [program, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", reference], { encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  stopped = join(scratch, "stopped");
  expect(await interruptOnceCheckpointed(program, args, stopped, ["b%3D4", "b%3D16"])).toBe(130);
  const interrupted = manifestOf(stopped).runs.filter((r) => r.status === "interrupted").map((r) => r.run);
  expect(interrupted).toHaveLength(2);
  [a, b] = interrupted as [string, string];
}, 240_000);

/**
 * Resume `dir`; once B has checkpointed again (on its worker, while A still trains), send the resuming process
 * `signal`. Checks that A was still training, so B had not begun again in the files.
 */
async function resumeAndKillOnceHeldRunCheckpoints(dir: string, signal: "SIGKILL" | "SIGINT"): Promise<void> {
  const since = Date.now();
  const exit = await signalWhen(program, ["--resume", dir, ...args], signal, () => checkpointedSince(dir, b, since));
  expect(exit).toBe(signal === "SIGKILL" ? "SIGKILL" : 130);
  expect(manifestOf(dir).runs.find((r) => r.run === a)?.status).not.toBe("ok");
}

describe("a held run that checkpoints again before its held rows are written back, then the resume is killed", () => {
  // SIGKILL twice: the second resume holds B again for the same checkpoint, and is killed the same way.
  for (const [signal, kills] of [["SIGKILL", 2], ["SIGINT", 1]] as const) {
    it(`${signal}${kills > 1 ? ` (${kills} resumes killed)` : ""}: the next resume continues it from a checkpoint whose rows it has, and the files end as an uninterrupted run's`, async () => {
      const dir = join(scratch, signal);
      cpSync(stopped, dir, { recursive: true });
      const heldAt = stoppedAt(stopped, b);
      // Where B must continue: SIGKILL: its rows past its old checkpoint were only in memory, so that checkpoint
      // is the one whose rows it still has; SIGINT: every measurement was recorded in run order (B's held rows,
      // then its rows up to where it stopped), so from where it stopped.
      let from = heldAt;
      for (let kill = 0; kill < kills; kill++) {
        await resumeAndKillOnceHeldRunCheckpoints(dir, signal);
        if (signal === "SIGKILL") {
          expect(existsSync(heldRowsPath(dir, b))).toBe(true);
          expect(readFileSync(join(dir, "metrics.jsonl"), "utf8")).not.toContain(`"run":"${b}"`);
        } else {
          from = stoppedAt(dir, b);
          expect(from).toBeGreaterThan(heldAt);
        }
      }
      const resumed = resume(dir);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain(`run ${b} continues from its checkpoint at step ${from}`);
      expect(resumed.stdout).toMatch(new RegExp(`run ${a.replace(/[.]/g, "\\.")} continues from its checkpoint at step [1-9]`));
      expectSameRecords(dir, reference);
      expect(lets(dir)).toEqual(lets(reference));
      expect(manifestOf(dir).status).toBe("ok");
      expect(readdirSync(join(dir, "checkpoints")).filter((name) => !name.endsWith(".ckpt"))).toEqual([]); // no held copy, no pending checkpoint left
    }, 180_000);
  }
});
