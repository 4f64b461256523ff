/**
 * `dync slurm FILE [--profile P] [--shards N] [--out ROOT] [--partition …] [--time …] [--cpus …] [--gpus …]
 * [--backend B] [--submit] [KEY=VALUE…]`: an sbatch script that trains the plan as a SLURM job array, one task per shard
 * (`dync run --shard i/n`), every shard's run directory under one run root, which `dync merge ROOT` then
 * combines. SLURM is the scheduler; dync only writes what it runs (docs/scale-out.md).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expandPlan } from "../../contract/plan.js";
import { checkSource } from "../../compiler/check/index.js";
import { readSource } from "../../compiler/read-source.js";
import { packageInfo } from "../../compiler/package-info.js";
import { diagnostic, hasErrors } from "../../diagnostics/diagnostic.js";
import { freshRunDirectory, pathSegment } from "../../runtime/record/run-dir.js";
import { UsageError } from "../cli-args.js";
import { printDiagnostics, type Output } from "./output.js";

export interface SlurmFlags {
  readonly profile?: string;
  /** Array tasks; default one per run of the plan. */
  readonly shards?: number;
  /** Where the shard directories, logs and the script go; default runs/<experiment>/slurm-<timestamp>. */
  readonly out?: string;
  readonly partition?: string;
  readonly time?: string;
  /** CPUs per task (and `--jobs` of each shard's `dync run`); default 1. */
  readonly cpus?: number;
  readonly gpus?: number;
  readonly backend?: string;
  readonly submit: boolean;
  /** Command-line `key=value` overrides of the profile, passed on to every task's `dync run`. */
  readonly overrides?: readonly string[];
}

/** What the script needs to know. */
export interface ArrayJob {
  readonly experiment: string;
  readonly profile: string;
  /** Absolute path of the .dyn file. */
  readonly file: string;
  readonly runs: number;
  readonly shards: number;
  /** Absolute run root. */
  readonly root: string;
  /** Working directory of every task (relative `data` paths resolve there). */
  readonly cwd: string;
  /** `node` and dync's bin.js, absolute. */
  readonly node: string;
  readonly dync: string;
  readonly partition?: string;
  readonly time?: string;
  readonly cpus: number;
  readonly gpus?: number;
  readonly backend?: string;
  /** `key=value` overrides each task's `dync run` gets, so every shard trains the plan counted here. */
  readonly overrides: readonly string[];
}

export function slurmCommand(file: string, flags: SlurmFlags, out: Output, err: (text: string) => void): number {
  const read = readSource(file);
  if (!read.ok) {
    printDiagnostics(out, [read.diagnostic], undefined);
    return 1;
  }
  const profile = flags.profile ?? "default";
  const overrides = flags.overrides ?? [];
  // Checked with the overrides the tasks will run with: the runs counted and sharded here are theirs.
  const check = checkSource(read.text, file, overrides.length > 0 ? { overrides: { profile, args: overrides } } : {});
  printDiagnostics(out, check.diagnostics, check.sources);
  if (hasErrors(check.diagnostics)) return 1;
  if (check.experiments.length !== 1) throw new UsageError(`\`dync slurm\` takes a file with one experiment; ${file} has ${check.experiments.length}`);
  const exp = check.experiments[0]!;
  const plan = Object.hasOwn(exp.profiles, profile) ? exp.profiles[profile] : undefined;
  if (!plan) {
    printDiagnostics(out, [diagnostic("DYN2042", exp.span, { experiment: exp.name, profile }, { hint: `profiles: ${Object.keys(exp.profiles).join(", ")}` })], check.sources);
    return 1;
  }
  const runs = expandPlan(plan).runs.length;
  const shards = flags.shards ?? runs;
  if (shards > runs) throw new UsageError(`--shards ${shards} is more than the ${runs} runs of profile ${profile}: a shard trains whole runs (each with all its seeds)`);
  for (const [name, value] of [["partition", flags.partition], ["time", flags.time]] as const) {
    if (value !== undefined && !/^[\w.:,+-]+$/.test(value)) throw new UsageError(`--${name} "${value}" is not a SLURM ${name}`);
  }
  const root = resolve(flags.out ?? freshRunDirectory(join("runs", pathSegment(exp.name)), "slurm"));
  // #SBATCH lines are not parsed by a shell: a log path with blanks in it would be cut there.
  if (/\s/.test(root)) throw new UsageError(`the run root "${root}" has blanks in it, which an #SBATCH --output line cannot hold: choose another with --out`);
  const job: ArrayJob = {
    experiment: exp.name,
    profile,
    file: resolve(file),
    runs,
    shards,
    root,
    cwd: process.cwd(),
    node: process.execPath,
    dync: join(packageInfo().root, "dist", "cli", "bin.js"),
    cpus: flags.cpus ?? 1,
    overrides,
    ...(flags.partition === undefined ? {} : { partition: flags.partition }),
    ...(flags.time === undefined ? {} : { time: flags.time }),
    ...(flags.gpus === undefined ? {} : { gpus: flags.gpus }),
    ...(flags.backend === undefined ? {} : { backend: flags.backend }),
  };
  // sbatch does not create the folder of --output: a task whose log cannot be opened fails without a word.
  mkdirSync(join(root, "logs"), { recursive: true });
  const script = join(root, `dync-${exp.name}.sbatch`);
  writeFileSync(script, sbatchScript(job), { mode: 0o755 });
  out.write(`wrote ${script}: a job array of ${shards} task${shards === 1 ? "" : "s"} (shards 1/${shards}…${shards}/${shards} of the ${runs} runs of profile ${profile}), ${job.cpus} CPU${job.cpus === 1 ? "" : "s"} each\n`);
  if (!flags.submit) {
    out.write(`submit it:     sbatch ${script}\nwhen it is done: dync merge ${root}\n`);
    return 0;
  }
  return submit(script, root, out, err);
}

/** `sbatch --parsable SCRIPT`; 1 with sbatch's own words when it refuses or is not installed. */
function submit(script: string, root: string, out: Output, err: (text: string) => void): number {
  const result = spawnSync("sbatch", ["--parsable", script], { encoding: "utf8" });
  if (result.error) {
    err(`error: could not run sbatch: ${result.error.message} (is SLURM installed here? submit ${script} on a login node)\n`);
    return 1;
  }
  if (result.status !== 0) {
    err(`error: sbatch refused ${script}: ${(result.stderr || result.stdout).trim()}\n`);
    return 1;
  }
  const jobId = result.stdout.trim().split(";")[0];
  out.write(`submitted job ${jobId} (squeue -j ${jobId} shows its tasks)\nwhen it is done: dync merge ${root}\n`);
  return 0;
}

/**
 * The sbatch script. Each task trains `--shard $SLURM_ARRAY_TASK_ID/n` into ROOT/shard-i-of-n; the shard is
 * passed explicitly (not left to SLURM_ARRAY_TASK_COUNT) so that re-submitting one failed task alone,
 * `sbatch --array=3 SCRIPT`, still trains shard 3/n, into a fresh directory beside the failed one.
 */
export function sbatchScript(job: ArrayJob): string {
  const n = job.shards;
  const directives = [
    `--job-name=dync-${job.experiment}`,
    `--array=1-${n}`,
    `--output=${job.root}/logs/shard-%a-of-${n}.log`,
    `--ntasks=1`,
    `--cpus-per-task=${job.cpus}`,
    ...(job.partition ? [`--partition=${job.partition}`] : []),
    ...(job.time ? [`--time=${job.time}`] : []),
    ...(job.gpus ? [`--gres=gpu:${job.gpus}`] : []),
  ];
  const run = [q(job.node), q(job.dync), "run", q(job.file), ...job.overrides.map(q), "--profile", q(job.profile), "--shard", `"$SLURM_ARRAY_TASK_ID/${n}"`, "--jobs", String(job.cpus), ...(job.backend ? ["--backend", q(job.backend)] : []), "--quiet", "--out", `"$out"`];
  return [
    "#!/bin/bash",
    `# dync: experiment ${job.experiment}, profile ${job.profile}, from ${job.file}`,
    `# as a SLURM job array: task i trains shard i/${n} of the plan's ${job.runs} runs into ${job.root}/shard-i-of-${n}.`,
    `# Submit: sbatch ${job.root}/dync-${job.experiment}.sbatch      afterwards: dync merge ${job.root}`,
    `# Re-run a failed task alone: sbatch --array=3 ${job.root}/dync-${job.experiment}.sbatch`,
    ...directives.map((d) => `#SBATCH ${d}`),
    "set -euo pipefail",
    `cd ${q(job.cwd)}`,
    `out=${q(job.root)}/shard-$SLURM_ARRAY_TASK_ID-of-${n}`,
    `# a re-run of a task goes beside the directory an earlier attempt left (dync merge takes the finished one)`,
    `if [ -e "$out/manifest.json" ]; then out="$out-rerun-$SLURM_JOB_ID"; fi`,
    `exec ${run.join(" ")}`,
    "",
  ].join("\n");
}

/** Single-quoted for bash. */
function q(text: string): string {
  return /^[\w./=:,+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
