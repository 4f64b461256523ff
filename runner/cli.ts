/**
 * `runMain`: what a generated program calls. Parses the command line, runs the experiment and turns the
 * outcome into an exit code (runner/exit-codes.ts): 0 when every run trained and every expect holds, 1 when
 * an expect failed or an analysis could not be evaluated, 3 when a run failed or diverged, 2 on usage and
 * input errors (an unknown flag or profile, a runtime error that stops the experiment: missing data, an
 * existing output directory, a backend that does not load), 70 on an internal error, 128 + the signal's
 * number when SIGINT (130), SIGTERM (143) or SIGHUP (129) stopped it (what was measured is kept and
 * reported; see interrupt.ts). Runtime errors print as `error RUN0xx: …` on stderr, never as a stack
 * trace; results recorded up to that point stay in the run directory.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathSegment, runPaths } from "../runtime/record/run-dir.js";
import type { BackendRequest } from "../runtime/backend.js";
import type { RunStatus } from "../runtime/record/index.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import type { ExperimentProgram } from "../contract/program.js";
import type { ProgressStream } from "../runtime/progress.js";
import { INTERRUPT_EXIT, InterruptWatch, stoppingNotice } from "./interrupt.js";
import { EXIT, worseExit } from "./exit-codes.js";
import { parseShard, type Shard } from "../contract/plan.js";
import { defaultJobs, resolveJobs, type AutoJobs } from "./jobs.js";
import { parseWholeNumber, UsageError } from "./usage-error.js";
import { choosePlan, runExperiment, type ExperimentOptions, type ExperimentOutcome } from "./experiment.js";

/** The parsed command line of a generated program. */
export interface MainArgs {
  readonly profile: string;
  readonly backend: BackendRequest;
  readonly outDir?: string;
  readonly dataRoot: string;
  readonly quiet: boolean;
  readonly help: boolean;
  /** `--jobs N`; undefined when not given (then DYNC_JOBS, then chosen per experiment: `resolveJobs`). */
  readonly jobs?: number;
  /** `--resume DIR`: continue that run directory. */
  readonly resume?: string;
  /** `--checkpoint-every N`: checkpoint every run every N steps. */
  readonly checkpointEvery?: number;
  /** `--shard i/n`: train only that shard's runs (contract/plan.ts `shardRuns`). */
  readonly shard?: Shard;
}

const BACKENDS: readonly BackendRequest[] = ["auto", "gpu", "tensorflow", "wasm", "cpu"];

export { parseWholeNumber, resolveJobs, UsageError };

/** Usage text of a generated program. */
export function usage(program: ExperimentProgram): string {
  return [
    `usage: node <program> [--profile NAME] [--backend auto|gpu|tensorflow|wasm|cpu] [--out DIR] [--data DIR] [--jobs N]`,
    `                      [--checkpoint-every N] [--resume DIR] [--shard i/n] [--quiet]`,
    ``,
    `Runs experiment ${program.name} (${program.file}).`,
    `  --profile NAME   one of ${Object.keys(program.profiles).join(", ")} (default: default)`,
    `  --backend NAME   tfjs backend (default: auto — the fastest installed)`,
    `  --out DIR        run directory (default: runs/${program.name}/<timestamp>)`,
    `  --data DIR       root of real data sets: DIR/mnist, DIR/cifar10… (default: ./data)`,
    `  --jobs N         runs trained at once, each on a worker thread with its own backend`,
    `                   (default: $DYNC_JOBS, else up to the idle CPU cores, workers only for runs long enough to gain:`,
    `                   the runs' remembered times, else the first run's; 1 = one after another in this process)`,
    `  --checkpoint-every N`,
    `                   save every run's whole training state every N steps (as \`checkpoint every N steps\`)`,
    `  --resume DIR     continue the run directory DIR after a kill or a signal, from each unfinished run's last`,
    `                   checkpoint; the metrics end byte-identical to an uninterrupted run (same backend)`,
    `  --shard i/n      train only shard i of n of the plan's runs (every n-th run, from run i; seeds stay`,
    `                   together); \`dync merge\` combines the shards. Default inside a SLURM job array:`,
    `                   $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT`,
    `  --quiet          no progress lines`,
    ``,
    `exit codes: 0 every expect holds, 1 an expect failed, 2 a usage or input error, 3 a run failed or diverged,`,
    `            70 an internal error, 128 + n after signal n (docs/run-directory.md, "Exit codes")`,
  ].join("\n");
}

/** Parse `argv` (flags as `--flag value` or `--flag=value`); throws UsageError. */
export function parseMainArgs(argv: readonly string[]): MainArgs {
  const args: { -readonly [K in keyof MainArgs]: MainArgs[K] } = {
    profile: "default",
    backend: "auto",
    dataRoot: "./data",
    quiet: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = splitFlag(argv[i]!);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith("--"))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--profile":
        args.profile = value();
        break;
      case "--backend": {
        const backend = value();
        if (!BACKENDS.includes(backend as BackendRequest)) throw new UsageError(`unknown backend "${backend}" (use ${BACKENDS.join(", ")})`);
        args.backend = backend as BackendRequest;
        break;
      }
      case "--out":
        args.outDir = value();
        break;
      case "--data":
        args.dataRoot = value();
        break;
      case "--jobs":
        args.jobs = parseWholeNumber(value(), "--jobs");
        break;
      case "--resume":
        args.resume = value();
        break;
      case "--checkpoint-every":
        args.checkpointEvery = parseWholeNumber(value(), "--checkpoint-every");
        break;
      case "--shard": {
        const shard = parseShard(value());
        if (typeof shard === "string") throw new UsageError(shard);
        args.shard = shard;
        break;
      }
      case "--quiet":
      case "--help":
      case "-h":
        if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
        if (flag === "--quiet") args.quiet = true;
        else args.help = true;
        break;
      default:
        throw new UsageError(`unknown option "${argv[i]}"`);
    }
  }
  return args;
}

export { defaultJobs };

/**
 * The shard to train: `--shard i/n`, else, inside a SLURM job array, the task's place in the array
 * (`SLURM_ARRAY_TASK_ID` counted from `SLURM_ARRAY_TASK_MIN` in steps of `SLURM_ARRAY_TASK_STEP`) of
 * `SLURM_ARRAY_TASK_COUNT`, so `--array=1-4` and `--array=0-3` both give shards 1/4…4/4; else none.
 * An array whose task ids do not map onto 1…n (a list with gaps) is a usage error asking for `--shard`.
 */
export function resolveShard(args: Pick<MainArgs, "shard">, env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  if (args.shard !== undefined) return args.shard;
  const id = env["SLURM_ARRAY_TASK_ID"];
  const count = env["SLURM_ARRAY_TASK_COUNT"];
  if (id === undefined || id === "" || count === undefined || count === "") return undefined;
  const [taskId, min, step, n] = [id, env["SLURM_ARRAY_TASK_MIN"] ?? "1", env["SLURM_ARRAY_TASK_STEP"] ?? "1", count].map(Number) as [number, number, number, number];
  const index = (taskId - min) / step + 1;
  const shard = parseShard(`${index}/${n}`);
  if (typeof shard === "string") {
    throw new UsageError(`SLURM_ARRAY_TASK_ID=${id} is not task 1…${count} of an array from ${min} in steps of ${step}: give --shard i/n`);
  }
  return shard;
}

/** Streams `runMain` writes to; injectable for tests. */
export interface MainStreams {
  readonly stdout?: ProgressStream;
  readonly stderr?: ProgressStream;
}

/** What else `runMain` may be given besides the command line. */
export interface MainOptions extends MainStreams, Pick<ExperimentOptions, "evaluator"> {
  /**
   * URL of the module that exports the program in `experiments` (generated programs pass
   * `import.meta.url`): worker threads import it to train runs in parallel. Without it runs train serially.
   */
  readonly moduleUrl?: string;
  /** Environment read for DYNC_JOBS; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The cores and 1-minute load average the default `--jobs` is bounded by (`resolveJobs`); default this
   * machine now. For benchmarks of the default's rule as on an idle machine (bench/jobs-bench.js) and tests.
   */
  readonly machine?: { readonly cores: number; readonly load: number };
  /** Called once per experiment with what it came to (`dync run --format json` prints them). */
  readonly onSummary?: (summary: ExperimentSummary) => void;
}

/**
 * One experiment's outcome as data: `dync run --format json` prints these (docs/run-directory.md, "A
 * summary for tools"). `error` is set when it stopped before an outcome (a usage or input error).
 */
export interface ExperimentSummary {
  readonly experiment: string;
  readonly profile: string;
  readonly exitCode: number;
  readonly dir?: string;
  readonly status?: Exclude<RunStatus, "running">;
  readonly runs?: readonly { readonly id: string; readonly status: Exclude<RunStatus, "running">; readonly message?: string }[];
  readonly expects?: readonly { readonly text: string; readonly line: number; readonly passed: boolean; readonly detail: string }[];
  readonly analysisErrors?: readonly string[];
  readonly error?: string;
}

function outcomeSummary(program: ExperimentProgram, outcome: ExperimentOutcome): ExperimentSummary {
  return {
    experiment: program.name,
    profile: outcome.profile,
    exitCode: outcome.exitCode,
    dir: outcome.dir,
    status: outcome.status,
    runs: outcome.runs.map((r) => ({ id: r.id, status: r.status, ...(r.message ? { message: r.message } : {}) })),
    expects: outcome.expects.map((e) => ({ text: e.text, line: e.line, passed: e.passed, detail: e.detail })),
    analysisErrors: outcome.analysisErrors,
  };
}

/** Run `program` as its command line says; returns the exit code (runner/exit-codes.ts). */
export async function runMain(
  program: ExperimentProgram,
  argv: readonly string[] = process.argv.slice(2),
  streams: MainOptions = {},
): Promise<number> {
  const stdout = streams.stdout ?? process.stdout;
  const stderr = streams.stderr ?? process.stderr;
  let args: MainArgs;
  let jobs: number | AutoJobs;
  let shard: Shard | undefined;
  try {
    args = parseMainArgs(argv);
    jobs = resolveJobs(args, streams.env, streams.machine);
    shard = resolveShard(args, streams.env);
    if (args.help) {
      stdout.write(`${usage(program)}\n`);
      return 0;
    }
    choosePlan(program, args.profile); // an unknown profile is a usage error, reported before any work
    if (args.resume !== undefined && args.outDir !== undefined) throw new UsageError("--resume DIR continues DIR: give no --out");
  } catch (error) {
    const message = error instanceof DyncRuntimeError ? error.render() : `error: ${(error as Error).message}`;
    stderr.write(`${message}\n\n${usage(program)}\n`);
    streams.onSummary?.({ experiment: program.name, profile: "", exitCode: EXIT.input, error: message });
    return EXIT.input;
  }
  // Installed while training and reporting (and, once a signal came, until the exit): a signal then stops cleanly (interrupt.ts).
  // While runs train, runExperiment prints the notice (through its live view); before and after, this does.
  let training = false;
  const interrupt = new InterruptWatch().install(
    (signal) => {
      if (!training) stderr.write(`\n${stoppingNotice(signal)}\n`);
    },
    // A second signal: runExperiment has marked the manifest `interrupted` (stopNow); end at once.
    (signal) => process.exit(INTERRUPT_EXIT[signal]),
  );
  try {
    training = true;
    const outcome = await runExperiment(program, {
      profile: args.profile,
      backend: args.backend,
      dataRoot: args.dataRoot,
      quiet: args.quiet,
      jobs,
      stdout,
      stderr,
      stop: interrupt.stop,
      stopNow: interrupt.stopNow,
      ...(streams.moduleUrl === undefined ? {} : { moduleUrl: streams.moduleUrl }),
      ...(args.outDir === undefined ? {} : { outDir: args.outDir }),
      ...(args.resume === undefined ? {} : { resume: args.resume }),
      ...(args.checkpointEvery === undefined ? {} : { checkpointEvery: args.checkpointEvery }),
      ...(shard === undefined ? {} : { shard }),
      ...(streams.evaluator ? { evaluator: streams.evaluator } : {}),
    }).finally(() => (training = false));
    if (!outcome.alreadyFinished) await writeRunReport(program, outcome, stdout, stderr, args.quiet);
    streams.onSummary?.(outcomeSummary(program, outcome));
    return outcome.alreadyFinished ? EXIT.ok : outcome.exitCode;
  } catch (error) {
    const message = error instanceof DyncRuntimeError ? error.render() : internalError(error);
    stderr.write(`${message}\n`);
    // A coded runtime error that stops the experiment names what to fix in the input or the environment.
    const code = interrupt.received ? INTERRUPT_EXIT[interrupt.received] : error instanceof DyncRuntimeError ? EXIT.input : EXIT.internal;
    streams.onSummary?.({ experiment: program.name, profile: args.profile, exitCode: code, error: message });
    return code;
  } finally {
    // After a signal the process ends with 128 + its number: the watch stays until then, so a second signal in the
    // moments between this return and the exit still ends it with that code (a removed listener would let the
    // signal's default action kill it instead, which is what a fast clean stop ran into).
    if (!interrupt.received) interrupt.dispose();
  }
}

/**
 * Every experiment of a file in order: what `dync run FILE` and a compiled program's `node out.js` do. With
 * several experiments, `--out DIR` holds one run directory per experiment, `DIR/<experiment>` (the name
 * made a safe path segment), so each gets a fresh directory; with one, `DIR` is its run directory. The exit
 * code is the most serious of theirs (worseExit); after a signal (exit > 128) the rest are not started.
 */
export async function runExperiments(programs: readonly ExperimentProgram[], argv: readonly string[] = process.argv.slice(2), streams: MainOptions = {}): Promise<number> {
  let status: number = EXIT.ok;
  for (const program of programs) {
    const args = programs.length > 1 ? startIfNeverStarted(argv, program.name, streams.stdout ?? process.stdout) : argv;
    status = worseExit(status, await runMain(program, args, streams));
    if (status > 128) break;
  }
  return status;
}

/** `argv` with its `--out DIR` (or `--out=DIR`, and likewise `--resume DIR`) naming `DIR/<experiment>`. */
export function outPerExperiment(argv: readonly string[], experiment: string): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length; i++) {
    const [flag, inline] = splitFlag(out[i]!);
    if (flag !== "--out" && flag !== "--resume") continue; // a resumed directory has the same layout
    if (inline !== undefined) out[i] = `${flag}=${join(inline, pathSegment(experiment))}`;
    else if (i + 1 < out.length) out[i + 1] = join(out[++i]!, pathSegment(experiment));
  }
  return out;
}

/**
 * `outPerExperiment`, except that `--resume DIR` for an experiment that never started (DIR exists, DIR/<experiment>
 * holds no manifest.json: a kill during an earlier experiment) becomes `--out DIR/<experiment>`: there is
 * nothing of it to continue, so it starts fresh there, with a line saying so. A DIR that does not exist
 * stays a `--resume` (RUN010), so a mistyped DIR is not taken for a run that never started.
 */
export function startIfNeverStarted(argv: readonly string[], experiment: string, stdout: ProgressStream): string[] {
  const out = outPerExperiment(argv, experiment);
  for (let i = 0; i < out.length; i++) {
    const [flag, inline] = splitFlag(out[i]!);
    if (flag !== "--resume") continue;
    const dir = inline ?? out[i + 1];
    if (dir === undefined || !existsSync(dirname(dir)) || existsSync(runPaths(dir).manifest)) return out;
    stdout.write(`experiment ${experiment} never started in ${dirname(dir)}: starting it fresh in ${dir}\n`);
    return inline === undefined ? [...out.slice(0, i), "--out", ...out.slice(i + 1)] : [...out.slice(0, i), `--out=${dir}`, ...out.slice(i + 1)];
  }
  return out;
}

export { worseExit };

/**
 * Every run ends with a report a person can open. A plot that cannot be drawn is a warning in the
 * report; a report that cannot be written at all is a warning here: the measurements are already safe.
 */
async function writeRunReport(program: ExperimentProgram, outcome: ExperimentOutcome, stdout: ProgressStream, stderr: ProgressStream, quiet: boolean): Promise<void> {
  try {
    const { writeReport } = await import("../report/index.js");
    const { analysisFunctions } = await import("../stdlib/implementations.js");
    const report = await writeReport(outcome.dir, { program, outcome, analysisFunctions });
    if (!quiet) stdout.write(`report: ${report.path}\n`);
  } catch (error) {
    stderr.write(`warning: the report could not be written: ${error instanceof DyncRuntimeError ? error.render() : (error as Error).message}\n`);
  }
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf("=");
  return arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

/** An unexpected error: its message only, with the stack when DYNC_DEBUG is set. */
function internalError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const stack = process.env["DYNC_DEBUG"] && error instanceof Error && error.stack ? `\n${error.stack}` : "";
  return `internal error: ${message}${stack}\n  (this is a bug in dync; set DYNC_DEBUG=1 for details)`;
}
