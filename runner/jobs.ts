/**
 * How many runs train at once when neither `--jobs` nor `DYNC_JOBS` says (docs/performance.md, "The default
 * `--jobs`"). Workers pay off only when the runs outlast a worker's start-up: each worker thread first imports
 * the runtime and the program and sets up its backend (~0.7 s of wall time on an idle 2-core machine), and the
 * main thread does not train meanwhile. So the quick quickstart (3 runs of ~0.4 s) was 1.5× slower on two
 * workers than in-process, while case (d) (5 runs of ~2 s) was 1.41× faster.
 *
 * Before training, nothing predicts a run's time well: `dync plan`'s FLOPs do not, for small nets whose
 * steps are dominated by per-kernel dispatch. What does is having trained it. So the rule is:
 *
 *  1. The idle cores bound the workers (`defaultJobs`: cores − 1-minute load average): on a busy machine the
 *     kernel gives a session one core's worth however many threads it has, and workers only add start-up.
 *  2. Each run's wall time is remembered, per plan and backend, in the cache directory (run-times.ts). When
 *     every run to train has a remembered time, the schedule is simulated (`pooledSeconds`) with and without
 *     workers and workers are used only when they are estimated to save `MIN_GAIN` of the serial time.
 *  3. Otherwise the first run trains in this process, which costs nothing against `--jobs 1`, and its
 *     measured time stands for every run not remembered; the same comparison then decides whether the rest
 *     go to workers. Sweeps usually grow along their axis (width 8, 16, 32), so the first run tends to be
 *     the cheapest and the estimate errs towards staying in-process: slower than possible, never slower
 *     than `--jobs 1` by more than the misjudged start-up.
 *
 * The comparison is pure (`chooseJobs`, tested without timing); the measuring is experiment.ts's.
 */
import { availableParallelism, loadavg } from "node:os";
import { parseWholeNumber } from "./usage-error.js";
import { runTimesDir } from "./run-times.js";

/**
 * Seconds a worker thread takes before its first step, as assumed by the estimate. Measured ~0.7 s here on
 * an idle machine (first step 0.53 s with `--jobs 1`, 1.25 s with `--jobs 2`; docs/performance.md); taken
 * larger because a start-up misjudged as short makes the default slower than `--jobs 1`, and one misjudged
 * as long only forgoes a gain.
 */
export const WORKER_START_SECONDS = 1.0;

/** Workers must be estimated to save at least this fraction of the serial time (estimates are noisy). */
export const MIN_GAIN = 0.15;

/**
 * Whether runs on this backend may train on worker threads: wasm and cpu. tfjs-node(-gpu) is a native addon not known
 * to load in worker threads (and one GPU is shared anyway), so on gpu and tensorflow every run trains in the process,
 * whatever `--jobs` says.
 */
export function trainsOnWorkers(backend: string): boolean {
  return backend === "wasm" || backend === "cpu";
}

/** The idle cores of the machine: `round(cores − load)`, at least 1, at most `cores`. */
export function defaultJobs(cores: number, load: number): number {
  return Math.max(1, Math.min(cores, Math.round(cores - load)));
}

/** `--jobs` was not given: what the choice may use. */
export interface AutoJobs {
  readonly auto: true;
  /** Workers at most: the idle cores (`defaultJobs`). */
  readonly capacity: number;
  /** Where run times are remembered (run-times.ts `runTimesDir`); none: nothing is remembered or read. */
  readonly runTimesDir?: string;
  /** The cores and 1-minute load average `capacity` came from, for the message. */
  readonly machine?: { readonly cores: number; readonly load: number };
}

/**
 * Runs trained at once: `--jobs`, else `DYNC_JOBS`, else chosen per experiment (`AutoJobs`): at most the idle
 * cores of this machine now (`defaultJobs`), workers only for runs long enough to gain from them. For `dync
 * run`, a generated program and `dync plan`'s `jobs:` line alike.
 */
export function resolveJobs(
  args: { readonly jobs?: number },
  env: NodeJS.ProcessEnv = process.env,
  machine: { cores: number; load: number } = { cores: availableParallelism(), load: loadavg()[0]! },
): number | AutoJobs {
  if (args.jobs !== undefined) return args.jobs;
  const fromEnv = env["DYNC_JOBS"];
  if (fromEnv !== undefined && fromEnv !== "") return parseWholeNumber(fromEnv, "DYNC_JOBS");
  return { auto: true, capacity: defaultJobs(machine.cores, machine.load), runTimesDir: runTimesDir(env), machine };
}

/** What the choice came to: workers (1 = in this process) and why, as a short phrase for the first lines. */
export interface JobsChoice {
  readonly jobs: number;
  readonly why: string;
}

/**
 * Wall seconds to train `runs` (seconds each, in run order) on `jobs` workers that each start after
 * `startSeconds`: runs are handed out in order to whichever worker is free first, as runner/pool.ts does.
 * One job is the serial path: no start-up.
 */
export function pooledSeconds(runs: readonly number[], jobs: number, startSeconds = WORKER_START_SECONDS): number {
  if (jobs <= 1) return runs.reduce((sum, t) => sum + t, 0);
  const free = new Array<number>(Math.min(jobs, runs.length)).fill(startSeconds);
  for (const t of runs) {
    const next = free.indexOf(Math.min(...free));
    free[next]! += t;
  }
  return Math.max(0, ...free);
}

/**
 * The jobs for runs whose times are known (estimated; `timed` says how, for the message): the count up to
 * `capacity` with the shortest simulated schedule, if that saves at least MIN_GAIN of the serial time; else 1.
 */
export function chooseJobs(runs: readonly number[], capacity: number, timed: string): JobsChoice {
  const most = Math.min(capacity, runs.length);
  if (most <= 1) return { jobs: 1, why: runs.length <= 1 ? "one run" : "no idle core" };
  const serial = pooledSeconds(runs, 1);
  let best = 1;
  for (let jobs = 2; jobs <= most; jobs++) if (pooledSeconds(runs, jobs) < pooledSeconds(runs, best)) best = jobs;
  if (best > 1 && pooledSeconds(runs, best) <= serial * (1 - MIN_GAIN)) {
    return { jobs: best, why: `${timed}: ~${formatSeconds(serial)} in this process, ~${formatSeconds(pooledSeconds(runs, best))} on ${best} workers` };
  }
  return { jobs: 1, why: `${timed}: too short to gain from workers that take ~${formatSeconds(WORKER_START_SECONDS)} to start` };
}

/**
 * The choice before training: fixed when every run has a remembered time (`remembered` true) or workers are
 * out of the question (`probe` false); else `probe`: train the first run in this process and decide the rest
 * with `afterFirstRun`.
 */
export function chooseBeforeTraining(auto: AutoJobs, runIds: readonly string[], remembered: Readonly<Record<string, number>>): JobsChoice & { probe: boolean; remembered: boolean } {
  if (runIds.length <= 1) return { jobs: 1, why: "one run", probe: false, remembered: false };
  if (auto.capacity <= 1) return { jobs: 1, why: `no idle core${auto.machine ? ` (load ${auto.machine.load.toFixed(1)} on ${auto.machine.cores} cores)` : ""}`, probe: false, remembered: false };
  const times = runIds.map((id) => remembered[id]);
  if (times.every((t) => t !== undefined)) return { ...chooseJobs(times as number[], auto.capacity, `runs last took ${formatSeconds(median(times as number[]))}`), probe: false, remembered: true };
  return { jobs: 1, why: "first run in this process; its time decides the rest", probe: true, remembered: false };
}

/** The choice for the runs after the first: the first's `seconds` stands for each one not remembered. */
export function afterFirstRun(auto: AutoJobs, firstSeconds: number, rest: readonly string[], remembered: Readonly<Record<string, number>>): JobsChoice {
  const times = rest.map((id) => remembered[id] ?? firstSeconds);
  const others = rest.some((id) => remembered[id] !== undefined) ? "; others as last timed" : "";
  return chooseJobs(times, auto.capacity, `the first run took ${formatSeconds(firstSeconds)}${others}`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function formatSeconds(seconds: number): string {
  return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
}
