/**
 * `dync merge DIR…`: the shard run directories of one plan (`dync run --shard i/n`, e.g. the tasks of a SLURM
 * job array) combined into one run directory, as one machine training the whole plan would have written it:
 * metrics rows in plan order (byte for byte the rows each shard wrote), the .npy files they name, one
 * manifest, then the analyses and expects over the whole plan and one report.
 *
 * Shards must come from the same program (plan hash), source text and dync version (RUN070). A shard that is
 * missing or did not finish is named with the command that re-runs it alone (RUN071); with `partial` the
 * runs that did finish are merged and the analyses run over what is present.
 */
import { EXIT } from "./exit-codes.js";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ProfilePlan } from "../contract/program.js";
import { formatShard } from "../contract/plan.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { evaluatePlan, formatAnalysisError, verdictOf, type ExpectOutcome } from "../runtime/analysis/profile.js";
import { writeResults } from "./results-file.js";
import type { ResultTable } from "../runtime/analysis/results.js";
import { prepareRunDirectory, runPaths, stepsPath, unwritable, writeManifest, type Manifest, type RunEntry, type ShardRecord } from "../runtime/record/index.js";
import { loadResults, readManifest, readReportInput, type ReportInput } from "../report/run-files.js";
import { evaluateProfile } from "./evaluate.js";
import { writeReport, type ReportOutcome } from "../report/index.js";
import { analysisFunctions } from "../stdlib/implementations.js";

export interface MergeOptions {
  /** The merged run directory; default `<root>/merged` (`merged-2`, … when taken). */
  readonly out?: string;
  /** Merge what finished even when a shard is missing or failed. */
  readonly partial?: boolean;
}

/** One shard run directory as read. */
interface ShardDir {
  readonly dir: string;
  readonly manifest: Manifest & { shard: ShardRecord };
  readonly input: ReportInput | null;
}

export interface MergeOutcome {
  readonly dir: string;
  readonly plan: ProfilePlan;
  readonly profile: string;
  /** Ids of the runs merged, in plan order. */
  readonly runs: readonly string[];
  readonly results: ResultTable;
  readonly analyses: ReadonlyMap<string, unknown>;
  readonly expects: readonly ExpectOutcome[];
  readonly analysisErrors: readonly string[];
  /** Each missing or unfinished shard, in words (empty when all are there). */
  readonly problems: readonly string[];
  /** Shard directories passed over for a later, finished run of the same shard. */
  readonly superseded: readonly string[];
  /** Shards recorded on a backend other than the first's (their float32 results may differ in the last bits). */
  readonly otherBackends: readonly string[];
  /** report.html, or why it could not be written (the merged results are safe either way). */
  readonly report: { readonly path: string } | { readonly error: string };
  /** runner/exit-codes.ts: 3 when runs are missing (--partial), failed or diverged; else 1 when an analysis or expect failed; else 0. */
  readonly exitCode: typeof EXIT.ok | typeof EXIT.expectFailed | typeof EXIT.runFailed;
}

const FINISHED: ReadonlySet<string> = new Set(["ok", "diverged"]);

/** Merge the shard directories found at `paths` (each a shard directory or a folder of them). */
export async function mergeShards(paths: readonly string[], options: MergeOptions = {}): Promise<MergeOutcome> {
  const found = paths.flatMap(shardDirectories);
  const shards = found.map(readShard);
  const first = shards[0]!;
  for (const other of shards.slice(1)) assertSamePlan(first, other);
  const { chosen, superseded } = chooseShards(shards);
  const problems = shardProblems(first.manifest.shard, chosen);
  if (problems.length && !options.partial) {
    throw new DyncRuntimeError("RUN071", `cannot merge ${first.manifest.experiment}: ${problems.join("; ")}`, "re-run each named shard alone with the command shown, then merge again (or merge what finished with --partial)");
  }
  const plan = wholePlan(chosen);
  const entries = mergedEntries(plan, chosen);
  const dir = options.out ?? freeMergeDirectory(paths);
  const manifest = writeMergedDirectory(dir, plan, entries, chosen, problems);
  const totalSteps = Object.fromEntries(entries.flatMap(({ entry }) => (entry.steps === undefined ? [] : [[entry.run, entry.steps]])));
  const results = loadResults(dir, manifest, totalSteps, plan);
  const evaluation = await evaluateMerged(plan, results);
  const { analysisErrors } = evaluation;
  const expects = evaluation.expects.map(verdictOf);
  writeManifest(runPaths(dir).manifest, { ...manifest, expects, analysisErrors } as Manifest);
  writeResults(dir, manifest.experiment, manifest.sweepAxes, plan, evaluation);
  const verdictsClean = analysisErrors.length === 0 && expects.every((e) => e.passed);
  const report = await writeMergedReport(dir, plan, { profile: profileOf(first.manifest), results, expects, analysisErrors });
  return {
    report,
    dir,
    plan,
    profile: profileOf(first.manifest),
    runs: entries.map((e) => e.entry.run),
    results,
    analyses: evaluation.analyses,
    expects,
    analysisErrors,
    problems,
    superseded: superseded.map((s) => s.dir),
    otherBackends: chosen.filter((s) => s.manifest.backend.name !== first.manifest.backend.name).map((s) => `${s.dir} (${s.manifest.backend.name})`),
    exitCode: problems.length || manifest.status === "failed" || manifest.status === "diverged" ? EXIT.runFailed : verdictsClean ? EXIT.ok : EXIT.expectFailed,
  };
}

/** The run directory's files: metrics rows and tensors of every merged run, then the manifest (returned). */
function writeMergedDirectory(dir: string, plan: ProfilePlan, entries: readonly { entry: RunEntry; shard: ShardDir }[], chosen: readonly ShardDir[], problems: readonly string[]): Manifest {
  prepareRunDirectory(dir);
  writeMergedMetrics(dir, chosen[0]!.manifest.sweepAxes, entries, chosen);
  const manifest = mergedManifest(plan, entries, chosen, problems);
  writeManifest(runPaths(dir).manifest, manifest);
  return manifest;
}

/** The analyses and expects over the merged results; one that cannot be evaluated at all is an analysis error, as in `dync run`. */
async function evaluateMerged(plan: ProfilePlan, results: ResultTable): Promise<{ analyses: ReadonlyMap<string, unknown>; expects: readonly ExpectOutcome[]; analysisErrors: string[] }> {
  try {
    const evaluation = await evaluatePlan(plan, results, evaluateProfile);
    return { analyses: evaluation.analyses, expects: evaluation.expects, analysisErrors: (evaluation.errors ?? []).map(formatAnalysisError) };
  } catch (error) {
    return { analyses: new Map(), expects: [], analysisErrors: [error instanceof DyncRuntimeError ? error.render() : `internal error: ${(error as Error).message}`] };
  }
}

async function writeMergedReport(dir: string, plan: ProfilePlan, outcome: ReportOutcome): Promise<MergeOutcome["report"]> {
  try {
    return { path: (await writeReport(dir, { plan, outcome, analysisFunctions })).path };
  } catch (error) {
    return { error: error instanceof DyncRuntimeError ? error.render() : (error as Error).message };
  }
}

/** `path` itself when it is a run directory, else its subdirectories that hold a shard (a run root). */
function shardDirectories(path: string): string[] {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new DyncRuntimeError("RUN010", `no directory ${path}`, "give shard run directories, or the folder `dync slurm` put them in");
  if (existsSync(runPaths(path).manifest)) return [path];
  const inside = readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(runPaths(join(path, e.name)).manifest))
    .map((e) => join(path, e.name))
    .filter((dir) => readManifest(dir).shard !== undefined)
    .sort();
  if (inside.length === 0) throw new DyncRuntimeError("RUN010", `${path} holds no shard run directories`, "shards are what `dync run --shard i/n` writes");
  return inside;
}

function readShard(dir: string): ShardDir {
  const manifest = readManifest(dir);
  if (!manifest.shard) throw new DyncRuntimeError("RUN070", `${dir} holds the whole plan, not a shard (it was run without --shard)`, "merge only the directories of `dync run --shard i/n`");
  return { dir, manifest: manifest as ShardDir["manifest"], input: readReportInput(dir) };
}

/** RUN070 unless `b` is a shard of the same plan, from the same source and dync version, as `a`. */
function assertSamePlan(a: ShardDir, b: ShardDir): void {
  const facts = (s: ShardDir): [string, unknown][] => {
    const source = (s.manifest.source ?? {}) as { text?: unknown; compiler?: unknown };
    return [
      ["experiment", s.manifest.experiment],
      ["profile", profileOf(s.manifest)],
      ["source text", source.text],
      ["compiler version", source.compiler],
      ["dync version", s.manifest.versions.dync],
      ["plan (its hash)", s.manifest.planHash],
      ["shard count", s.manifest.shard.count],
      ["runs of the plan", s.manifest.shard.planRuns.join(", ")],
    ];
  };
  const theirs = new Map(facts(b));
  for (const [what, value] of facts(a)) {
    if (JSON.stringify(value) === JSON.stringify(theirs.get(what))) continue;
    const shown = (v: unknown) => (typeof v === "string" && v.length <= 60 ? `"${v}"` : typeof v === "number" ? String(v) : "");
    const detail = shown(value) && shown(theirs.get(what)) ? ` (${shown(value)} and ${shown(theirs.get(what))})` : "";
    throw new DyncRuntimeError("RUN070", `${a.dir} and ${b.dir} are not shards of one plan: they differ in their ${what}${detail}`, "merge the shards of one `dync slurm` submission (or of `dync run --shard i/n` with one file, profile and dync version)");
  }
}

/**
 * One directory per shard index: a finished one over an unfinished one, the later finished one over an
 * earlier one (a shard re-run alone after a failure may sit beside the failed one).
 */
function chooseShards(shards: readonly ShardDir[]): { chosen: ShardDir[]; superseded: ShardDir[] } {
  const rank = (s: ShardDir) => [FINISHED.has(s.manifest.status) ? 1 : 0, Date.parse(s.manifest.endedAt ?? s.manifest.startedAt) || 0] as const;
  const byIndex = new Map<number, ShardDir>();
  const superseded: ShardDir[] = [];
  for (const s of shards) {
    const held = byIndex.get(s.manifest.shard.index);
    if (!held) {
      byIndex.set(s.manifest.shard.index, s);
      continue;
    }
    const [a, b] = [rank(held), rank(s)];
    const better = b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]);
    superseded.push(better ? held : s);
    if (better) byIndex.set(s.manifest.shard.index, s);
  }
  return { chosen: [...byIndex.values()].sort((a, b) => a.manifest.shard.index - b.manifest.shard.index), superseded };
}

/** `shard 3/4 is missing (runs width=16, width=128): dync run …`, `shard 2/4 (DIR) failed: …`. */
function shardProblems(reference: ShardRecord, chosen: readonly ShardDir[]): string[] {
  const byIndex = new Map(chosen.map((s) => [s.manifest.shard.index, s]));
  const problems: string[] = [];
  for (let index = 1; index <= reference.count; index++) {
    const shard = { index, count: reference.count };
    const s = byIndex.get(index);
    const runs = reference.planRuns.filter((_, i) => i % reference.count === index - 1);
    const rerun = rerunCommand(chosen[0]!, shard);
    if (!s) problems.push(`shard ${formatShard(shard)} is missing (runs ${runs.join(", ") || "none"}); re-run it: ${rerun}`);
    else if (!FINISHED.has(s.manifest.status)) {
      const how = s.manifest.status === "running" ? "did not finish (status running: killed, or still running)" : s.manifest.status === "interrupted" ? "was interrupted" : "failed";
      problems.push(`shard ${formatShard(shard)} in ${s.dir} ${how}${s.manifest.message ? `: ${s.manifest.message}` : ""}; re-run it: ${rerun}`);
    }
  }
  return problems;
}

/** `dync run FILE --profile P --shard i/n --out DIR`: the same shard again, into a fresh directory beside it. */
function rerunCommand(any: ShardDir, shard: { index: number; count: number }): string {
  const file = ((any.manifest.source ?? {}) as { file?: unknown }).file;
  const out = join(dirname(any.dir), `shard-${shard.index}-of-${shard.count}-rerun`);
  return `dync run ${typeof file === "string" ? file : "FILE"} --profile ${profileOf(any.manifest)} --shard ${formatShard(shard)} --out ${out}`;
}

/** The whole profile plan, from the report input any finished shard wrote. */
function wholePlan(chosen: readonly ShardDir[]): ProfilePlan {
  const input = chosen.find((s) => s.input)?.input;
  if (!input) throw new DyncRuntimeError("RUN010", "no shard has a report-input.json (the plan's analyses and plots): none of them finished", "re-run the shards");
  return input.plan;
}

/** The finished runs in plan order, each with the shard directory that holds it. */
function mergedEntries(plan: ProfilePlan, chosen: readonly ShardDir[]): { entry: RunEntry; shard: ShardDir }[] {
  const where = new Map(chosen.flatMap((shard) => shard.manifest.runs.map((entry) => [entry.run, { entry, shard }] as const)));
  return plan.runs.flatMap((run) => {
    const found = where.get(run.id);
    return found && found.entry.status !== "running" && found.entry.status !== "interrupted" ? [found] : [];
  });
}

/**
 * metrics.csv and metrics.jsonl: the header, then each run's rows from its shard in plan order. The two files
 * hold the same rows in the same order (metrics-writer.ts), so a CSV line is picked by its JSON twin's `run`.
 */
function writeMergedMetrics(dir: string, sweepAxes: readonly string[], entries: readonly { entry: RunEntry; shard: ShardDir }[], chosen: readonly ShardDir[]): void {
  const rowsOf = new Map(chosen.map((s) => [s.dir, shardRows(s.dir)]));
  const header = [...rowsOf.values()].find((r) => r.header !== null)?.header ?? null;
  if (header === null) throw new DyncRuntimeError("RUN010", `no shard has a metrics.csv header (axes ${sweepAxes.join(", ")})`);
  const csv: string[] = [header];
  const jsonl: string[] = [];
  const copied = new Set<string>();
  for (const { entry, shard } of entries) {
    copyHandoffs(shard.dir, dir, entry.run);
    for (const { permutation } of Object.values(entry.shuffledLabels ?? {})) copyTensor(shard.dir, dir, permutation, "manifest.json");
    for (const row of rowsOf.get(shard.dir)!.rows.filter((r) => r.run === entry.run)) {
      csv.push(row.csv);
      jsonl.push(row.jsonl);
      if (!row.npyFile || copied.has(row.npyFile)) continue; // a stacked array is named by every row it holds
      copied.add(row.npyFile);
      copyTensor(shard.dir, dir, row.npyFile);
      // A stacked array's steps file is named by no row (runtime/record/stacked.ts).
      if (existsSync(join(shard.dir, stepsPath(row.npyFile)))) copyTensor(shard.dir, dir, stepsPath(row.npyFile));
    }
  }
  const paths = runPaths(dir);
  write(paths.metricsCsv, csv.join(""));
  write(paths.metricsJsonl, jsonl.join(""));
}

interface ShardRow {
  readonly run: string;
  readonly csv: string;
  readonly jsonl: string;
  readonly npyFile: string | null;
}

/** A shard's metrics rows, each line with its newline; RUN011 when the two files disagree. */
function shardRows(dir: string): { header: string | null; rows: ShardRow[] } {
  const paths = runPaths(dir);
  if (!existsSync(paths.metricsCsv) || !existsSync(paths.metricsJsonl)) return { header: null, rows: [] };
  const csvLines = wholeLines(readFileSync(paths.metricsCsv, "utf8"));
  const jsonLines = wholeLines(readFileSync(paths.metricsJsonl, "utf8"));
  if (csvLines.length !== jsonLines.length + 1) throw new DyncRuntimeError("RUN011", `${dir}: metrics.csv holds ${csvLines.length - 1} rows but metrics.jsonl ${jsonLines.length}`);
  const rows = jsonLines.map((line, i) => {
    const parsed = JSON.parse(line) as { run?: unknown; npy_file?: unknown };
    return { run: String(parsed.run), csv: csvLines[i + 1]!, jsonl: line, npyFile: typeof parsed.npy_file === "string" ? parsed.npy_file : null };
  });
  return { header: csvLines[0] ?? null, rows };
}

/** Lines that end in a newline (a torn last line of a killed shard is left out). */
function wholeLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.filter((l) => l.endsWith("\n"));
}

/** The values run `run` handed to other runs (runner/handoff.ts), so the merged directory holds them as one machine's would. */
function copyHandoffs(from: string, to: string, run: string): void {
  const folder = join("handoff", encodeURIComponent(run));
  if (!existsSync(join(from, folder))) return;
  for (const name of readdirSync(join(from, folder))) copyTensor(from, to, join(folder, name));
}

function copyTensor(from: string, to: string, file: string, namedBy = "metrics.jsonl"): void {
  const target = join(to, file);
  try {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(from, file), target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(join(from, file))) throw new DyncRuntimeError("RUN010", `${join(from, file)} is missing (${namedBy} names it)`);
    throw unwritable(target, error);
  }
}

/** The merged manifest: the plan's configuration, the runs in plan order, and which shards made it. */
function mergedManifest(plan: ProfilePlan, entries: readonly { entry: RunEntry; shard: ShardDir }[], chosen: readonly ShardDir[], problems: readonly string[]): Manifest {
  const first = chosen[0]!.manifest;
  const runs = entries.map((e) => e.entry);
  const started = Math.min(...chosen.map((s) => Date.parse(s.manifest.startedAt)));
  const ended = Math.max(...chosen.map((s) => Date.parse(s.manifest.endedAt ?? s.manifest.startedAt)));
  const failed = runs.filter((r) => r.status === "failed");
  const status = problems.length || failed.length ? "failed" : runs.some((r) => r.status === "diverged") ? "diverged" : "ok";
  const message = [...problems, ...(failed.length ? [`${failed.length} of ${runs.length} runs failed: ${failed.map((r) => r.run).join(", ")}`] : [])].join("; ");
  const { shard: _shard, resumes: _resumes, message: _message, ...rest } = first;
  return {
    ...rest,
    config: { profile: profileOf(first), seeds: plan.seeds, runs: plan.runs },
    seeds: [...new Set(runs.flatMap((r) => r.seeds))].sort((a, b) => a - b),
    runs,
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(ended).toISOString(),
    durationMs: ended - started,
    status,
    ...(message ? { message } : {}),
    files: { ...first.files },
    merged: {
      shards: chosen.map((s) => ({ shard: formatShard(s.manifest.shard), dir: resolve(s.dir), status: s.manifest.status, backend: s.manifest.backend.name, runs: s.manifest.shard.runs })),
      missing: [...problems],
    },
  };
}

/** `<root>/merged`, or `merged-2`, `merged-3`, … when taken; the root is the folder the shards share. */
function freeMergeDirectory(paths: readonly string[]): string {
  const roots = paths.map((p) => (existsSync(runPaths(p).manifest) ? dirname(resolve(p)) : resolve(p)));
  const root = roots.every((r) => r === roots[0]) ? roots[0]! : commonParent(roots);
  for (let n = 1; ; n++) {
    const dir = join(root, n === 1 ? "merged" : `merged-${n}`);
    if (!existsSync(dir)) return dir;
  }
}

function commonParent(dirs: readonly string[]): string {
  let parent = dirs[0]!;
  while (!dirs.every((d) => d === parent || d.startsWith(`${parent}/`))) parent = dirname(parent);
  return parent;
}

function profileOf(manifest: Manifest): string {
  return String((manifest.config as { profile?: unknown } | null)?.profile ?? "default");
}

function write(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw unwritable(path, error);
  }
}
