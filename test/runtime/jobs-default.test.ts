/**
 * The default `--jobs` (runner/jobs.ts): the schedule it simulates, checked against hand-worked schedules,
 * and the decisions it takes for the cases measured in docs/performance.md (quickstart quick: 3 runs of
 * ~0.4 s; case (d): 5 runs of ~1–3 s), plus the remembered run times (runner/run-times.ts). No timing here:
 * the times are given.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { afterFirstRun, chooseBeforeTraining, chooseJobs, MIN_GAIN, pooledSeconds, WORKER_START_SECONDS, type AutoJobs } from "../../runner/jobs.js";
import { readRunTimes, rememberedBackends, rememberRunTimes, runTimesDir, runTimesKey } from "../../runner/run-times.js";
import { dyncCacheDir } from "../../runtime/cache-dir.js";
import { regressionRun } from "./experiment-fixture.js";
import type { RunSpec } from "../../contract/program.js";
import { parseMainArgs, resolveJobs } from "../../runner/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "dync-jobs-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const auto = (capacity: number): AutoJobs => ({ auto: true, capacity });

describe("pooledSeconds: runs handed out in order to the first free worker, each worker starting after S", () => {
  it("serial is the sum, with no start-up", () => {
    expect(pooledSeconds([0.4, 0.4, 0.4], 1)).toBeCloseTo(1.2, 12);
  });
  it("two workers, equal runs: S + ⌈R/2⌉·t", () => {
    // workers free at 1, 1 → run a: w0 1→3, b: w1 1→3, c: w0 3→5
    expect(pooledSeconds([2, 2, 2], 2, 1)).toBe(5);
    expect(pooledSeconds([2, 2, 2, 2], 2, 1)).toBe(5);
  });
  it("unequal runs: a long run at the end trains alone", () => {
    // w0: 0.5 + 1 = 1.5, w1: 0.5 + 2 = 2.5, then 3 goes to w0: 4.5
    expect(pooledSeconds([1, 2, 3], 2, 0.5)).toBe(4.5);
    // more workers than runs: one run each
    expect(pooledSeconds([1, 2], 8, 0.5)).toBe(2.5);
  });
});

describe("chooseJobs / chooseBeforeTraining / afterFirstRun", () => {
  it("the quick quickstart (3 runs of ~0.4 s) stays in this process: workers would take longer to start", () => {
    const choice = chooseJobs([0.4, 0.4, 0.4], 2, "runs last took 0.4 s");
    expect(choice.jobs).toBe(1);
    expect(choice.why).toMatch(/too short/);
    // after timing the first run, the two left: 0.8 s serial against S + 0.4 s
    expect(afterFirstRun(auto(2), 0.4, ["b", "c"], {})).toEqual({ jobs: 1, why: "the first run took 0.4 s: too short to gain from workers that take ~1.0 s to start" });
  });
  it("case (d) (5 runs of 1–3 s) goes to two workers, from remembered times and after its first run", () => {
    const times = [1.0, 1.5, 2.0, 2.5, 3.0];
    expect(chooseJobs(times, 2, "runs last took 2.0 s").jobs).toBe(2);
    const remembered = Object.fromEntries(times.map((t, i) => [`w${i}`, t]));
    const before = chooseBeforeTraining(auto(2), Object.keys(remembered), remembered);
    expect(before).toMatchObject({ jobs: 2, probe: false });
    // schedule: w0 1+1 = 2, w1 1+1.5 = 2.5, then 2 → w0 (4), 2.5 → w1 (5), 3 → w0 (7)
    expect(before.why).toBe("runs last took 2.0 s: ~10 s in this process, ~7.0 s on 2 workers");
    // nothing remembered: the first run (1 s) times the four others at 1 s each: 4 s against 1 + 2 s
    expect(chooseBeforeTraining(auto(2), ["w0", "w1", "w2", "w3", "w4"], {})).toMatchObject({ jobs: 1, probe: true });
    expect(afterFirstRun(auto(2), 1.0, ["w1", "w2", "w3", "w4"], {}).jobs).toBe(2);
  });
  it("workers only when they save at least MIN_GAIN of the serial time", () => {
    // two runs of t on two workers: S + t against 2t; gain 1 − (S + t)/2t ≥ MIN_GAIN ⇔ t ≥ S / (1 − 2·MIN_GAIN)
    const threshold = WORKER_START_SECONDS / (1 - 2 * MIN_GAIN);
    expect(chooseJobs([threshold * 1.01, threshold * 1.01], 2, "").jobs).toBe(2);
    expect(chooseJobs([threshold * 0.99, threshold * 0.99], 2, "").jobs).toBe(1);
  });
  it("never more workers than idle cores or runs, and the fewest that reach the shortest schedule", () => {
    expect(chooseJobs([5, 5, 5, 5], 1, "").jobs).toBe(1);
    expect(chooseJobs([5, 5], 8, "").jobs).toBe(2);
    // 4 runs of 5 s: 2 workers 1 + 10 = 11, 3 workers 1 + 10 = 11 (two rounds either way), 4 workers 1 + 5 = 6
    expect(chooseJobs([5, 5, 5, 5], 3, "").jobs).toBe(2);
    expect(chooseJobs([5, 5, 5, 5], 4, "").jobs).toBe(4);
  });
  it("one run, or no idle core: in this process without timing anything", () => {
    expect(chooseBeforeTraining(auto(2), ["only"], {})).toMatchObject({ jobs: 1, probe: false, why: "one run" });
    expect(chooseBeforeTraining(auto(1), ["a", "b"], { a: 60, b: 60 })).toMatchObject({ jobs: 1, probe: false });
    expect(chooseBeforeTraining({ ...auto(1), machine: { cores: 2, load: 1.7 } }, ["a", "b"], {}).why).toBe("no idle core (load 1.7 on 2 cores)");
  });
  it("remembered times of some runs are used after the first; the first's time stands for the others", () => {
    // first 0.3 s, but c is remembered at 20 s: 0.3 + 20 serial against 1 + 20 on two workers: no gain
    expect(afterFirstRun(auto(2), 0.3, ["b", "c"], { c: 20 }).jobs).toBe(1);
    // b and c remembered long: 20 + 20 against 1 + 20
    expect(afterFirstRun(auto(2), 0.3, ["b", "c"], { b: 20, c: 20 }).jobs).toBe(2);
  });
});

describe("the command line and the remembered times", () => {
  it("an explicit --jobs or DYNC_JOBS wins; otherwise the choice is automatic, bounded by the idle cores", () => {
    expect(resolveJobs(parseMainArgs(["--jobs", "2"]), {}, { cores: 2, load: 0 })).toBe(2);
    expect(resolveJobs(parseMainArgs([]), { DYNC_JOBS: "3" }, { cores: 2, load: 0 })).toBe(3);
    const env = { DYNC_CACHE_DIR: join(scratch, "cache") };
    expect(resolveJobs(parseMainArgs([]), env, { cores: 2, load: 0.3 })).toEqual({ auto: true, capacity: 2, runTimesDir: join(scratch, "cache", "run-times"), machine: { cores: 2, load: 0.3 } });
    expect(resolveJobs(parseMainArgs([]), env, { cores: 2, load: 1.7 })).toMatchObject({ capacity: 1 });
  });
  it("the cache directory: DYNC_CACHE_DIR, else XDG_CACHE_HOME/dync", () => {
    expect(dyncCacheDir({ DYNC_CACHE_DIR: "/a", XDG_CACHE_HOME: "/b" })).toBe("/a");
    expect(runTimesDir({ XDG_CACHE_HOME: "/b" })).toBe(join("/b", "dync", "run-times"));
  });
  it("times are remembered per plan and backend, merged run by run; unreadable files count as nothing", () => {
    const dir = join(scratch, "times");
    expect(readRunTimes(dir, "sha256:p", "wasm//")).toEqual({});
    expect(rememberRunTimes(dir, "sha256:p", "wasm//", { a: 0.4, b: 0.5 })).toBe(true);
    expect(rememberRunTimes(dir, "sha256:p", "wasm//", { b: 0.7 })).toBe(true);
    expect(readRunTimes(dir, "sha256:p", "wasm//")).toEqual({ a: 0.4, b: 0.7 });
    expect(readRunTimes(dir, "sha256:p", "wasm/native:onednn/")).toEqual({});
    expect(readRunTimes(dir, "sha256:other", "wasm//")).toEqual({});
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file!), "{ not json");
    expect(readRunTimes(dir, "sha256:p", "wasm//")).toEqual({});
    writeFileSync(join(dir, file!), JSON.stringify({ backends: { "wasm//": { a: -1, b: "2", c: 3 }, cpu: "x" } }));
    expect(readRunTimes(dir, "sha256:p", "wasm//")).toEqual({ c: 3 });
    expect(rememberedBackends(dir, "sha256:p")).toEqual(["wasm//"]);
    expect(rememberRunTimes(dir, "sha256:p", "cpu//", { a: 2 })).toBe(true);
    expect(rememberedBackends(dir, "sha256:p").sort()).toEqual(["cpu//", "wasm//"]);
    expect(readRunTimes(dir, "sha256:p", "wasm//")).toEqual({ c: 3 }); // one backend's times leave the other's
  });

  it("the plan key is the runs' content, not how they were built: key order and source lines do not change it", () => {
    const run = regressionRun(8);
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    const shuffled = reversed(run) as RunSpec;
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(run));
    const moved = { ...run, probes: run.probes.map((p) => ({ ...p, line: p.line + 5 })) };
    const key = runTimesKey("e", { seeds: [0, 1], runs: [run] });
    expect(runTimesKey("e", { seeds: [0, 1], runs: [shuffled] })).toBe(key);
    expect(runTimesKey("e", { seeds: [0, 1], runs: [moved] })).toBe(key);
    expect(runTimesKey("e", { seeds: [0, 1], runs: [{ ...run, checkpoint: { every: 5, unit: "steps" } }] })).toBe(key);
    expect(runTimesKey("e", { seeds: [0, 2], runs: [run] })).not.toBe(key);
    expect(runTimesKey("e", { seeds: [0, 1], runs: [regressionRun(16)] })).not.toBe(key);
    expect(runTimesKey("f", { seeds: [0, 1], runs: [run] })).not.toBe(key);
  });
});
