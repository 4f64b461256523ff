/**
 * Running a compiled experiment: pick the profile, initialise the backend, open the run directory, train
 * every run, then evaluate the analyses and expects over the results and record the verdicts.
 *
 * Runs are independent. With `jobs` > 1, the program's module URL known and the wasm or cpu backend, they
 * train on a pool of worker threads (pool.ts), one backend each, and are recorded in run order exactly as the
 * serial path records them; otherwise (one run, `jobs` 1, no module URL, tfjs-node) they train one after
 * another in this process. Without a `--jobs` (`AutoJobs`) the count is chosen from the runs' remembered
 * times, else after training the first run in this process from its time (jobs.ts).
 */
import { selectBackend, type BackendInfo, type BackendRequest } from "../runtime/backend.js";
import type { Manifest } from "../runtime/record/index.js";
import type { ResultRow } from "../runtime/analysis/results.js";
import { planHash, requireCheckpoint } from "./checkpoint.js";
import { checkResumeBackend, cutForResume, forgetHeldRows, inspectResume, recordedSteps, restoreHeldResults, restoreKeptResults, type ResumeState } from "./resume.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { expandPlan, formatShard, runLabel, shardRuns, type Shard } from "../contract/plan.js";
import { readManifest, writeReportInput } from "../report/run-files.js";
import type { ExperimentProgram, ProfilePlan, RunSpec } from "../contract/program.js";
import type { ProgressStream } from "../runtime/progress.js";
import { freshRunDirectory, RunRecorder, writeManifest, type RunStatus } from "../runtime/record/index.js";
import { evaluateProfile } from "./evaluate.js";
import { evaluatePlan, formatAnalysisError, formatExpect, verdictOf, type ExpectOutcome, type ProfileEvaluator } from "../runtime/analysis/profile.js";
import { writeResults } from "./results-file.js";
import { ResultCollector, type ResultTable } from "../runtime/analysis/results.js";
import { EXIT } from "./exit-codes.js";
import { INTERRUPT_EXIT, interruptSignalOf, stoppingNotice, type InterruptExitCode, type InterruptSignal } from "./interrupt.js";
import { LiveView } from "./live-view.js";
import { runPool } from "./pool.js";
import { afterFirstRun, chooseBeforeTraining, trainsOnWorkers, type AutoJobs } from "./jobs.js";
import { backendTimesKey, readRunTimes, rememberRunTimes, runTimesKey } from "./run-times.js";
import { describeFailure, executeRun, isOutputFailure, plannedCurvature, predictedTrainingStep, tryQuietly, type RunOutcome } from "./run.js";
import type { TrainingStepPath } from "../contract/model.js";
import { assertPlanArgs } from "./validate-args.js";

export interface ExperimentOptions {
  /** Profile name; default `default`. */
  readonly profile?: string;
  /** Backend to initialise; default `auto`. */
  readonly backend?: BackendRequest;
  /** Run directory; default a fresh `runs/<experiment>/<timestamp>`. */
  readonly outDir?: string;
  /** Root of real data sets (`<dataRoot>/mnist`…); default `./data`. */
  readonly dataRoot?: string;
  /** No progress lines (backend, failures and expects are still printed). */
  readonly quiet?: boolean;
  /** Backend line and expects; default `process.stdout`. */
  readonly stdout?: ProgressStream;
  /** Progress and errors; default `process.stderr`. */
  readonly stderr?: ProgressStream;
  /** Evaluates analyses and expects; default `evaluateProfile` of `runtime/analysis`. */
  readonly evaluator?: ProfileEvaluator;
  /**
   * Runs trained at once on worker threads; default 1 (in this process). Needs `moduleUrl` to be > 1.
   * `AutoJobs` (no `--jobs` given): chosen from the runs' remembered or first measured times (jobs.ts).
   */
  readonly jobs?: number | AutoJobs;
  /** URL of the module exporting the program in `experiments` (workers import it); none → serial. */
  readonly moduleUrl?: string;
  /**
   * Aborted by a signal (runMain's InterruptWatch; its reason the signal name): training stops at the next
   * step boundary, every measurement made is recorded, runs not finished are `interrupted`, runs not started
   * are not trained, and the outcome's status is `interrupted`.
   */
  readonly stop?: AbortSignal;
  /**
   * Continue this run directory (`dync run --resume DIR`) instead of starting a new one: it must have been
   * written by this program and profile (RUN031); see resume.ts. `outDir` is ignored.
   */
  readonly resume?: string;
  /** `--checkpoint-every N`: every run checkpoints every N steps, whatever its own `checkpoint every` says. */
  readonly checkpointEvery?: number;
  /**
   * `--shard i/n`: train only that shard's runs (contract/plan.ts `shardRuns`) and record which they are; the
   * analyses and expects, which are over the whole plan, are left to `dync merge`. A resumed shard keeps
   * the shard its manifest records.
   */
  readonly shard?: Shard;
  /**
   * Aborted by a second signal just before the process ends (runMain): the manifest is marked `interrupted`
   * at once, synchronously, with the runs in training; no analyses, no report (`dync report DIR` draws it).
   */
  readonly stopNow?: AbortSignal;
  /** With workers: milliseconds a busy worker gets to stop after `stop` is aborted before it is terminated (default 10 s). */
  readonly stopGraceMs?: number;
}

export interface ExperimentOutcome {
  /** The run directory. */
  readonly dir: string;
  readonly profile: string;
  readonly backend: BackendInfo;
  readonly runs: readonly RunOutcome[];
  readonly results: ResultTable;
  readonly analyses: ReadonlyMap<string, unknown>;
  readonly expects: readonly ExpectOutcome[];
  /** `interrupted` if a signal stopped training, else `failed` if a run failed, `diverged` if a seed diverged, else `ok` (expects aside). */
  readonly status: Exclude<RunStatus, "running">;
  /** Set when the analyses could not be evaluated at all. */
  readonly analysisError?: string;
  /** Analyses that could not be evaluated (`error RUN050: analysis alpha (line 12): …`); the others were. */
  readonly analysisErrors: readonly string[];
  /** runner/exit-codes.ts: 0 all well, 1 an expect failed, 2 a run's data files are missing, 3 a run failed or diverged, 128 + n after a signal. */
  readonly exitCode: ExitCode;
  /** `--resume` of a directory that had finished: nothing was done (no report is written either). */
  readonly alreadyFinished?: boolean;
}

/** The exit codes an experiment that ran can end with (runner/exit-codes.ts). */
export type ExitCode = typeof EXIT.ok | typeof EXIT.expectFailed | typeof EXIT.input | typeof EXIT.runFailed | InterruptExitCode;

/** Train every run of the chosen profile, record everything, evaluate the expects. */
export async function runExperiment(program: ExperimentProgram, options: ExperimentOptions = {}): Promise<ExperimentOutcome> {
  const profile = options.profile ?? "default";
  const wholePlan = choosePlan(program, profile);
  assertPlanArgs(wholePlan); // a hand-written program's mistakes, before the backend starts or a run directory exists
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  // Shards of one plan share its hash: `dync merge` checks that they belong together by it.
  const hash = planHash(program, wholePlan);
  const shard = options.resume === undefined ? options.shard : resumedShard(options.resume, options.shard);
  const plan = shard ? { ...wholePlan, runs: shardRuns(wholePlan.runs, shard) } : wholePlan;
  const resume = options.resume === undefined ? undefined : inspectResume(options.resume, program, profile, plan, hash);
  if (resume?.kind === "finished") return finishedOutcome(options.resume!, profile, resume.manifest, stdout);
  const backend = await selectBackend(backendRequest(options.backend, resume?.manifest));
  stdout.write(`backend: ${describeBackend(backend)}\n`);
  const dir = options.resume ?? options.outDir ?? freshRunDirectory("runs", program.name);
  if (resume) {
    checkResumeBackend(dir, resume.manifest, { ...backend }, { recorded: recordedSteps(resume), predict: stepPredictor(plan) }, plannedCurvature(plan));
    cutForResume(dir, plan, resume);
  }
  const recorder = new RunRecorder({
    dir,
    experiment: program.name,
    config: { profile, seeds: plan.seeds, runs: plan.runs },
    sweepAxes: program.sweepVars,
    backend: { ...backend },
    source: { file: program.file, line: program.line, compiler: program.compiler, profile, ...overridesOf(program, profile), text: program.source },
    planHash: hash,
    ...(shard ? { shard: { ...shard, runs: plan.runs.map((r) => r.id), planRuns: wholePlan.runs.map((r) => r.id) } } : {}),
    ...(resume ? { resume: { manifest: resume.manifest, metricRows: resume.metricRows, held: heldRows(resume), onHeldWritten: (run: string) => heldWritten(dir, plan, recorder, run, collected) } } : {}),
  });
  // The report is usable from the start: `dync report DIR` draws what was measured so far from these inputs
  // (the whole plan, as the report at the end writes it; verdicts null until then).
  const source = { file: program.file, text: program.source };
  writeReportInput(dir, { profile, sweepVars: program.sweepVars, plan: wholePlan, totalSteps: {}, expects: null, analysisErrors: [], source });
  stdout.write(`run directory: ${dir}\n`);
  const collected = new ResultCollector(program.sweepVars, plan.seeds);
  const runs: RunOutcome[] = resume ? restoreKeptResults(dir, plan, resume, collected) : [];
  for (const kept of runs) collected.setDiverged(kept.id, kept.diverged);
  if (resume) stdout.write(`${resumeLine(plan, resume)}\n`);
  // Each run's length also goes to the manifest (`runs[…].steps`), where a resumed directory finds it.
  const results = {
    rows: collected.rows,
    totalSteps: collected.totalSteps,
    add: (row: ResultRow) => collected.add(row),
    setTotalSteps: (run: string, steps: number, stepsPerEpoch: number) => {
      collected.setTotalSteps(run, steps, stepsPerEpoch);
      recorder.runSteps(run, steps, stepsPerEpoch);
    },
  };
  const first = resume?.first ?? 0;
  const toTrain = plan.runs.slice(first);
  const checkpoints = { dir, planHash: hash, ...(options.checkpointEvery === undefined ? {} : { everySteps: options.checkpointEvery }) };
  // Every line printed while runs train goes through the live view (on a terminal it keeps its block below them).
  const view = options.quiet ? undefined : new LiveView(stderr, { runs: toTrain.length });
  const line = (text: string): void => (view ? view.log(text) : void stderr.write(`${text}\n`));
  const notice = (): void => line(stoppingNotice(interruptSignalOf(options.stop!)));
  if (options.stop?.aborted) notice();
  else options.stop?.addEventListener("abort", notice, { once: true });
  const stopNow = (): void => {
    const signal = interruptSignalOf(options.stopNow!);
    const why = `stopped at once by a second ${signal}`;
    const inTraining = recorder.snapshot().runs.filter((r) => r.status === "running");
    const marked = tryQuietly(() => {
      for (const run of inTraining) recorder.endRun(run.run, "interrupted", `${why} (measurements recorded so far are kept)`);
      recorder.finish("interrupted", `${why}; no analyses, no report: \`dync report ${dir}\` draws what was measured`);
    });
    view?.close();
    stderr.write(`${why}: ${marked ? "manifest.json says interrupted" : "manifest.json could not be updated"}; run \`dync report ${dir}\` for the report of what was measured\n`);
  };
  options.stopNow?.addEventListener("abort", stopNow, { once: true });
  const reportRun = (outcome: RunOutcome): void => {
    if (outcome.status === "failed") line(`${errorLine(outcome.message!)} (${runLabel(outcome.id)})`);
    else if (outcome.status === "diverged" && options.quiet) line(`${runLabel(outcome.id)}: ${outcome.message}`);
    collected.setDiverged(outcome.id, outcome.diverged);
    recorder.runDiverged(outcome.id, outcome.diverged);
    runs.push(outcome);
  };
  const dataRoot = options.dataRoot ?? "./data";
  // Only the wasm and cpu backends use the pool (jobs.ts trainsOnWorkers). Untested here for tfjs-node(-gpu), as
  // those packages cannot be installed.
  const poolable = options.moduleUrl !== undefined && trainsOnWorkers(backend.name);
  const timesKey = backendTimesKey(backend);
  const auto = typeof options.jobs === "object" ? options.jobs : undefined;
  const planKey = runTimesKey(program.name, wholePlan);
  const remembered = auto?.runTimesDir === undefined ? {} : readRunTimes(auto.runTimesDir, planKey, timesKey);
  const onPool = (runs: readonly RunSpec[], offset: number, jobs: number) => {
    view?.log(`training ${runs.length} runs on ${jobs} worker threads`);
    return runPool({
      moduleUrl: options.moduleUrl!,
      experiment: program.name,
      profile,
      backend: backend.name,
      dataRoot,
      runs,
      firstIndex: first + offset,
      checkpoints,
      handoffDir: dir,
      resumed: resumedRuns(resume),
      seeds: plan.seeds,
      jobs,
      recorder,
      results: collected,
      ...(view ? { progress: view } : {}),
      ...(options.stop ? { stop: options.stop } : {}),
      ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
      onRunRecorded: reportRun,
    });
  };
  const inProcess = async (runs: readonly RunSpec[], offset: number) => {
    for (const [i, run] of runs.entries()) {
      if (options.stop?.aborted) break;
      const checkpoint = offset + i === 0 ? resume?.checkpoint : resume?.held.has(run.id) ? requireCheckpoint(dir, run.id, hash) : null;
      const resumeFrom = checkpoint ? { resumeFrom: checkpoint } : {};
      const context = { program, seeds: plan.seeds, dataRoot, recorder, results, checkpoints, handoff: { dir, runs: wholePlan.runs }, ...resumeFrom, ...(options.stop ? { stop: options.stop } : {}) };
      reportRun(await executeRun(run, view ? { ...context, progress: view } : context));
    }
  };
  const train = (runs: readonly RunSpec[], offset: number, jobs: number) => (poolable && Math.min(jobs, runs.length) > 1 ? onPool(runs, offset, Math.min(jobs, runs.length)) : inProcess(runs, offset));
  try {
    if (!auto || !poolable) await train(toTrain, 0, typeof options.jobs === "number" ? options.jobs : 1);
    else {
      const before = chooseBeforeTraining(auto, toTrain.map((r) => r.id), remembered);
      if (toTrain.length > 1) view?.log(`jobs ${before.jobs}: ${before.why}`);
      if (!before.probe) await train(toTrain, 0, before.jobs);
      else {
        await inProcess(toTrain.slice(0, 1), 0);
        const firstSeconds = runSeconds(recorder, toTrain[0]!.id);
        const rest = toTrain.slice(1);
        // one run left: no worker could gain on it (it would only wait for the worker's start-up)
        if (firstSeconds !== undefined && rest.length > 1 && !options.stop?.aborted) {
          const after = afterFirstRun(auto, firstSeconds, rest.map((r) => r.id), remembered);
          view?.log(`jobs ${after.jobs} for the other ${rest.length} runs: ${after.why}`);
          await train(rest, 1, after.jobs);
        } else await inProcess(rest, 1);
      }
    }
  } catch (error) {
    view?.close();
    options.stop?.removeEventListener("abort", notice);
    options.stopNow?.removeEventListener("abort", stopNow);
    // What was recorded stays, and the manifest says why it stopped (if it can still be written).
    const finished = tryQuietly(() => recorder.finish("failed", describeFailure(error)));
    if (isOutputFailure(error)) stderr.write(`${keptAfterOutputFailure(dir, recorder, finished)}\n`);
    throw error;
  }
  view?.close();
  options.stop?.removeEventListener("abort", notice);
  if (auto?.runTimesDir !== undefined) rememberRunTimes(auto.runTimesDir, planKey, timesKey, trainedSeconds(recorder, runs, toTrain, resumedRuns(resume)));
  const interrupted = options.stop?.aborted === true ? interruptSignalOf(options.stop) : undefined;
  const trained = overallStatus(runs);
  const status = interrupted ? "interrupted" : trained;
  if (interrupted) stderr.write(`${interruptedLine(interrupted, runs, plan.runs.length)}; analysing what was measured\n`);
  const evaluation = shard ? NOT_EVALUATED : await evaluateSafely(plan, collected, options.evaluator);
  if (shard) stdout.write(`${shardLine(shard, runs, wholePlan.runs.length)}\n`);
  for (const failure of evaluation.analysisErrors) stderr.write(`${failure}\n`);
  for (const expect of evaluation.expects) stdout.write(`${formatExpect(expect)}\n`);
  if (evaluation.error) stderr.write(`${errorLine(evaluation.error)}\n`);
  const analysesClean = !evaluation.error && evaluation.analysisErrors.length === 0;
  const expectsHold = evaluation.expects.every((e) => e.passed);
  const message = outcomeMessage(runs, plan.seeds.length, evaluation);
  options.stopNow?.removeEventListener("abort", stopNow);
  recorder.finish(status, interrupted ? [interruptedLine(interrupted, runs, plan.runs.length), message].filter(Boolean).join("; ") : (message ?? undefined));
  const expects = evaluation.expects.map(verdictOf);
  writeManifest(recorder.paths.manifest, { ...recorder.snapshot(), expects, analysisErrors: evaluation.analysisErrors } as ReturnType<RunRecorder["snapshot"]>);
  // after the manifest, so a results file that cannot be written (a full disk) leaves the verdicts recorded there
  if (!shard) writeResults(dir, program.name, program.sweepVars, plan, { ...evaluation, analysisErrors: [...evaluation.analysisErrors, ...(evaluation.error ? [evaluation.error] : [])] });
  return {
    dir,
    profile,
    backend,
    runs,
    results: collected,
    analyses: evaluation.analyses,
    expects,
    status,
    ...(evaluation.error ? { analysisError: evaluation.error } : {}),
    analysisErrors: evaluation.analysisErrors,
    exitCode: interrupted ? INTERRUPT_EXIT[interrupted] : exitCodeOf(trained, runs, analysesClean && expectsHold),
  };
}

/** Wall seconds of run `id` as its manifest entry records it (start to end); undefined while unknown. */
function runSeconds(recorder: RunRecorder, id: string): number | undefined {
  const entry = recorder.snapshot().runs.find((r) => r.run === id);
  if (!entry?.startedAt || !entry.endedAt) return undefined;
  const seconds = (Date.parse(entry.endedAt) - Date.parse(entry.startedAt)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * The wall seconds of the runs trained whole in this invocation (status ok or diverged: a diverged run still
 * trains every step), for the default `--jobs` of the next one. A run continued from a checkpoint trained only
 * part of its steps, a failed or interrupted one stopped early: neither says how long the run takes.
 */
function trainedSeconds(recorder: RunRecorder, outcomes: readonly RunOutcome[], trained: readonly RunSpec[], resumed: ReadonlySet<string>): Record<string, number> {
  const ids = new Set(trained.filter((r) => !resumed.has(r.id)).map((r) => r.id));
  const times: Record<string, number> = {};
  for (const outcome of outcomes) {
    if (!ids.has(outcome.id) || (outcome.status !== "ok" && outcome.status !== "diverged")) continue;
    const seconds = runSeconds(recorder, outcome.id);
    if (seconds !== undefined) times[outcome.id] = seconds;
  }
  return times;
}

/** The command-line overrides the chosen profile's plan was compiled with, as the manifest's `source.overrides`. */
function overridesOf(program: ExperimentProgram, profile: string): { overrides?: readonly string[] } {
  return program.overrides?.profile === profile ? { overrides: program.overrides.args } : {};
}

/** A shard's verdicts: none, since analyses and expects are over the whole plan (`dync merge` evaluates them). */
const NOT_EVALUATED: Evaluation = { analyses: new Map<string, unknown>(), expects: [], analysisErrors: [] };

type Evaluation = { analyses: ReadonlyMap<string, unknown>; expects: readonly ExpectOutcome[]; analysisErrors: string[]; error?: string };

/** `shard 2/4: 2 of 5 runs (width=8, width=64); …`. */
function shardLine(shard: Shard, runs: readonly RunOutcome[], planned: number): string {
  const ids = runs.map((r) => r.id).join(", ");
  return `shard ${formatShard(shard)}: ${runs.length} of ${planned} runs${ids ? ` (${ids})` : ""}; the analyses and expects are evaluated over the whole plan by \`dync merge\``;
}

/**
 * The shard a resumed directory holds: the one its manifest records; RUN031 when `--shard` names another,
 * or names one for a directory that holds the whole plan.
 */
function resumedShard(dir: string, requested: Shard | undefined): Shard | undefined {
  const recorded = readManifest(dir).shard;
  const same = requested === undefined || (recorded !== undefined && recorded.index === requested.index && recorded.count === requested.count);
  if (!same) {
    const holds = recorded ? `shard ${formatShard(recorded)}` : "the whole plan";
    throw new DyncRuntimeError("RUN031", `cannot resume ${dir} as shard ${formatShard(requested!)}: it holds ${holds}`, "resume it without --shard");
  }
  return recorded ? { index: recorded.index, count: recorded.count } : undefined;
}

/** A held run's rows are back in the files (the recorder wrote them as it began): into the result table, and their saved copy goes. */
function heldWritten(dir: string, plan: ProfilePlan, recorder: RunRecorder, run: string, collected: ResultCollector): void {
  restoreHeldResults(dir, plan, recorder.snapshot(), run, collected);
  forgetHeldRows(dir, run);
}

/** The training step this process would give each run of `plan`, built once per distinct model, loss and L2. */
function stepPredictor(plan: ProfilePlan): (id: string) => TrainingStepPath {
  const known = new Map<string, TrainingStepPath>();
  return (id) => {
    const run = plan.runs.find((r) => r.id === id)!;
    const key = JSON.stringify([run.model, run.loss, run.l2 ?? 0]);
    if (!known.has(key)) known.set(key, predictedTrainingStep(run, plan.seeds[0] ?? 0));
    return known.get(key)!;
  };
}

/** The backend a resumed directory was recorded on, unless one was named: `auto` might pick another. */
function backendRequest(requested: BackendRequest | undefined, manifest: Manifest | undefined): BackendRequest {
  const recorded = manifest?.backend.name as BackendRequest | undefined;
  if ((requested ?? "auto") !== "auto" || !recorded) return requested ?? "auto";
  return BACKEND_REQUESTS.includes(recorded) ? recorded : "auto";
}

const BACKEND_REQUESTS: readonly BackendRequest[] = ["gpu", "tensorflow", "wasm", "cpu"];

/** Each run that continues from its checkpoint, held rows by run id (they are written back as it begins). */
function heldRows(resume: Extract<ResumeState, { kind: "resume" }>): Map<string, { csv: Uint8Array; jsonl: Uint8Array; count: number }> {
  return new Map([...resume.held].map(([run, held]) => [run, held.rows]));
}

/** The runs that continue from their checkpoints: the first unfinished one (if it can) and the held ones. */
function resumedRuns(resume: ResumeState | undefined): ReadonlySet<string> {
  if (resume?.kind !== "resume") return new Set();
  const first = resume.checkpoint ? [resume.checkpoint.run] : [];
  return new Set([...first, ...resume.held.keys()]);
}

/** `resuming: 2 of 4 runs kept; run lr=0.1 continues from its checkpoint at step 40` (and so on for each later run that continues). */
function resumeLine(plan: ProfilePlan, resume: Extract<ResumeState, { kind: "resume" }>): string {
  const run = plan.runs[resume.first];
  const next = !run
    ? "every run had finished: evaluating and reporting"
    : resume.checkpoint
      ? `${runLabel(run.id)} continues from its checkpoint at step ${resume.checkpoint.training.step}`
      : `${runLabel(run.id)} starts again from step 0 (no usable checkpoint)`;
  const later = [...resume.held].map(([id, held]) => `; ${runLabel(id)} continues from its checkpoint at step ${held.step}`).join("");
  return `resuming: ${resume.first} of ${plan.runs.length} runs kept; ${next}${later}`;
}

/** `--resume` of a directory that finished: nothing to do, said so, and exit 0. */
function finishedOutcome(dir: string, profile: string, manifest: Manifest, stdout: ProgressStream): ExperimentOutcome {
  stdout.write(`nothing to resume: ${dir} finished (status ${manifest.status}); its results and report are as they were\n`);
  const status = manifest.status === "running" ? "ok" : manifest.status;
  return {
    dir,
    profile,
    backend: { ...manifest.backend, package: String(manifest.backend["package"] ?? ""), version: String(manifest.backend["version"] ?? "") } as BackendInfo,
    runs: [],
    results: new ResultCollector(manifest.sweepAxes, manifest.seeds),
    analyses: new Map(),
    expects: [],
    status,
    analysisErrors: [],
    exitCode: 0,
    alreadyFinished: true,
  };
}

/**
 * EXIT.input when a run failed for want of its input files (RUN010: missing data; the fix is the input,
 * not the experiment), EXIT.runFailed when a run failed or diverged otherwise (the expects then judged
 * incomplete or NaN results), else EXIT.expectFailed when an expect failed or an analysis could not be
 * evaluated, else EXIT.ok.
 */
function exitCodeOf(status: Exclude<RunStatus, "running" | "interrupted">, runs: readonly RunOutcome[], verdictsClean: boolean): ExitCode {
  if (runs.some((r) => r.status === "failed" && r.message?.startsWith("RUN010"))) return EXIT.input;
  if (status === "failed" || status === "diverged") return EXIT.runFailed;
  return verdictsClean ? EXIT.ok : EXIT.expectFailed;
}

/** The manifest's top-level `message`: what went wrong, in a line (null when nothing did). */
function outcomeMessage(runs: readonly RunOutcome[], seedCount: number, evaluation: { expects: readonly ExpectOutcome[]; analysisErrors: readonly string[]; error?: string }): string | null {
  const count = (n: number, what: string) => `${n} of ${runs.length} run${runs.length === 1 ? "" : "s"} ${what}`;
  const failed = runs.filter((r) => r.status === "failed");
  const diverged = runs.filter((r) => r.status === "diverged");
  const failedExpects = evaluation.expects.filter((e) => !e.passed).length;
  const parts = [
    failed.length ? `${count(failed.length, "failed")}: ${failed.map((r) => r.id).join(", ")}` : null,
    diverged.length ? `${count(diverged.length, "diverged")} (${diverged.map((r) => divergedRunText(r, seedCount)).join("; ")}); their later measurements are NaN` : null,
    evaluation.error ?? null,
    evaluation.analysisErrors.length ? `${evaluation.analysisErrors.length} analys${evaluation.analysisErrors.length === 1 ? "is" : "es"} could not be evaluated` : null,
    failedExpects ? `${failedExpects} of ${evaluation.expects.length} expectations failed` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join("; ") : null;
}

/** What a run directory that could no longer be written (a full disk) holds, for the person who must free space. */
function keptAfterOutputFailure(dir: string, recorder: RunRecorder, manifestWritten: boolean): string {
  const rows = `${recorder.metricRows} whole rows in metrics.csv and metrics.jsonl (the same rows in both)`;
  const manifest = manifestWritten ? "manifest.json says failed" : "manifest.json could not be rewritten and still shows its last state (status running)";
  return `the run directory ${dir} keeps ${rows} and the .npy files they name; ${manifest}; no report was written: run \`dync report ${dir}\` once there is space`;
}

/** `interrupted by SIGTERM: 2 of 6 runs finished, 1 interrupted, 3 not started`. */
function interruptedLine(signal: InterruptSignal, runs: readonly RunOutcome[], planned: number): string {
  const stopped = runs.filter((r) => r.status === "interrupted").length;
  const finished = runs.length - stopped;
  const notStarted = planned - runs.length;
  return `interrupted by ${signal}: ${finished} of ${planned} runs finished, ${stopped} interrupted${notStarted ? `, ${notStarted} not started` : ""}`;
}

/** `lr=1: 3 of 3 seeds from step 13`. */
function divergedRunText(run: RunOutcome, seedCount: number): string {
  const first = Math.min(...run.diverged.map((d) => d.step));
  return `${run.id}: ${run.diverged.length} of ${seedCount} seeds from step ${first}`;
}

/**
 * The plan of profile `name` with its runs written out (`expandPlan`); RUN040 naming the profiles there
 * are, or what is wrong with a hand-written template (patches that do not match its axes).
 */
export function choosePlan(program: ExperimentProgram, name: string): ProfilePlan {
  const spec = Object.hasOwn(program.profiles, name) ? program.profiles[name] : undefined;
  if (!spec) {
    throw new DyncRuntimeError(
      "RUN040",
      `experiment ${program.name} has no profile "${name}"`,
      `profiles: ${Object.keys(program.profiles).join(", ")}`,
    );
  }
  try {
    return expandPlan(spec);
  } catch (error) {
    throw new DyncRuntimeError("RUN040", `experiment ${program.name}, profile ${name}: ${(error as Error).message}`);
  }
}

function overallStatus(runs: readonly RunOutcome[]): Exclude<RunStatus, "running" | "interrupted"> {
  if (runs.some((r) => r.status === "failed")) return "failed";
  return runs.some((r) => r.status === "diverged") ? "diverged" : "ok";
}

/** Analyses that cannot be evaluated (RUN050: too few points for a fit…) leave the recorded results intact. */
async function evaluateSafely(
  plan: ProfilePlan,
  results: ResultTable,
  evaluator: ProfileEvaluator | undefined,
): Promise<Evaluation> {
  try {
    const evaluation = await evaluatePlan(plan, results, evaluator ?? evaluateProfile);
    return { ...evaluation, analysisErrors: (evaluation.errors ?? []).map(formatAnalysisError) };
  } catch (error) {
    return { analyses: new Map(), expects: [], analysisErrors: [], error: describeFailure(error) };
  }
}

/** `error RUN0xx: …` for runtime errors; internal errors keep their own wording. */
function errorLine(failure: string): string {
  return failure.startsWith("RUN") ? `error ${failure}` : failure;
}

function describeBackend(info: BackendInfo): string {
  const onOff = (flag: boolean | undefined) => (flag ? "on" : "off");
  const wasm =
    info.name === "wasm" ? ` (simd ${onOff(info.simd)}, threads ${onOff(info.threads)}, dync kernels ${onOff(info.dyncKernels)}${matmulNote(info)})` : "";
  const skipped = info.skipped?.length ? `; skipped ${info.skipped.map((s) => s.split(":")[0]).join(", ")}` : "";
  const name = info.matmul?.path === "native" ? `${info.name} + ${info.matmul.gemm}` : info.name;
  return `${name} — ${info.package} ${info.version}${wasm}${skipped}`;
}

/**
 * Which path served the matrix products: the native library, its kernels and thread count, or why the native path
 * is not in use; on the native path, also which training step plain dense MLPs take (the fused native one, or the
 * tape and why); and which kernels reorthogonalise Lanczos (`backend.reorth`).
 */
function matmulNote({ matmul, fusedStep, hvp, reorth }: BackendInfo): string {
  if (matmul === undefined) return "";
  // The Lanczos reorthogonalisation's kernels, and why not native or wasm where they fell through (a build without dync_lanczos.node).
  const lanczos = reorth === undefined ? "" : `, Lanczos reorth ${reorth.path}${reorth.reason ? ` (${reorth.reason})` : ""}`;
  if (matmul.path === "native") {
    const step = fusedStep === undefined ? "" : fusedStep.path === "native" ? ", fused MLP step native" : `, fused MLP step off: ${fusedStep.reason}`;
    const products = hvp === undefined || hvp.path === "native" ? "" : `, native HVP off: ${hvp.reason}`;
    return `, matmul ${matmul.gemm} ${matmul.core} ${matmul.threads} thread${matmul.threads === 1 ? "" : "s"}${step}${products}${lanczos}`;
  }
  return `, matmul wasm${matmul.reason ? `: ${matmul.reason}` : ""}${lanczos}`;
}
