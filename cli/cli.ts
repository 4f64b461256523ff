/**
 * The `dync` command line. Every failure is a coded diagnostic or a one-line usage error; an unexpected
 * exception is reported as an internal error with a request to file it, never as a bare stack trace.
 */
import type { Output } from "./commands/output.js";
import { parseArgs, splitOverrides, UsageError, type FlagSpec } from "./cli-args.js";
import { packageInfo } from "../compiler/package-info.js";
import { EXIT } from "../runner/exit-codes.js";
import { parseShard, type Shard } from "../contract/plan.js";
import type { BackendRequest } from "../runtime/backend.js";

const USAGE = `dync: a language for neural-network training-dynamics experiments

usage:
  dync check FILE...            report every diagnostic (exit 0 clean, 1 errors, 2 usage)
  dync fmt [-w|--check] FILE... print in canonical layout (-w/--write: rewrite; --check: exit 1 if not formatted)
  dync plan FILE [--profile P] [--shard i/n] [--jobs N] [--backend B] [KEY=VALUE...]
                                the expanded runs, their count and cost, before anything trains, and
                                the runs \`dync run\` would train at once (--jobs / $DYNC_JOBS / --backend
                                as \`dync run\` takes them)
                                (--shard: only the runs of shard i of n)
  dync compile FILE [-o out.js] [--emit-ts] [--profile P] [KEY=VALUE...]
                                write the generated program (type-checked); run it with \`node out.js\`
                                (it imports dync/runtime by name when that resolves from its folder to this
                                dync, else by absolute path; README.md); KEY=VALUE as for run, applied to
                                profile P (default: default)
  dync run FILE [--profile P] [--backend B] [--out DIR] [--data DIR] [--jobs N] [--checkpoint-every N]
              [KEY=VALUE...]    compile and run (exit codes below);
                                KEY=VALUE: override a setting after the profile: a sweep variable
                                (width=16, width=[8,16]), a let, seeds=3, train=500, batch=32,
                                optimizer.lr=0.01, test.n=51 (docs/language.md "Command-line overrides");
                                --jobs: runs trained at once on worker threads (default $DYNC_JOBS, else
                                up to the idle CPU cores (cores − 1-minute load average), workers only
                                when the runs' last measured times, else the first run's, say they gain;
                                1 = one after another in this process; docs/performance.md);
                                --checkpoint-every N: save each run's training state every N steps;
                                the generated program is cached in $DYNC_CACHE_DIR, else
                                $XDG_CACHE_HOME/dync, else ~/.cache/dync (docs/performance.md)
  dync run FILE --shard i/n ... train only shard i of n of the plan's runs (seeds stay together); inside
                                a SLURM job array the default is $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT
  dync run [FILE] --resume DIR [--profile P] [--jobs N]
                                continue a killed or interrupted run directory from its checkpoints (FILE
                                defaults to the one DIR records); a different program is an error
  dync slurm FILE [--profile P] [--shards N] [--out ROOT] [--partition P] [--time T] [--cpus C]
             [--gpus G] [--backend B] [--submit] [KEY=VALUE...]
                                write an sbatch script training the plan as a SLURM job array, one shard per
                                task under ROOT (--submit: and submit it with sbatch); KEY=VALUE as for run,
                                passed to every task; docs/scale-out.md
  dync merge DIR... [--out DIR] [--partial]
                                combine shard run directories (or ROOT) into one run directory: analyses,
                                expects and report over the whole plan (exit codes as run; a missing or
                                failed shard is named; --partial: merge what finished)
  dync report RUN_DIR           rebuild RUN_DIR/report.html from the recorded results, without re-running
                                (of a run still training or interrupted: a partial report, saying which
                                runs are missing)
  dync compare DIR_A DIR_B [--html FILE]
                                what differs between two run directories: settings (profile, overrides,
                                backend, matrix-product path, versions), let values, expect verdicts and
                                each run's final probe values (--format json: all of it as JSON; --html:
                                also a page with both directories' training curves); docs/run-directory.md
  dync report RUN_DIR --watch [--port N] [--refresh S]
                                serve the report on http://127.0.0.1 (a free port unless --port) and rebuild
                                it as results land; the page reloads itself every S seconds (default 3)
                                while the run trains
  dync lsp [--stdio]            the language server for editors, over stdin/stdout (editor/README.md)

exit codes of dync run (docs/run-directory.md):
  0 every run trained and every expect holds      1 an expect failed or an analysis could not be evaluated
  2 a usage or input error (command line, .dyn file, data files, output directory, backend)
  3 a run failed or diverged                      70 an internal error (a bug in dync)
  129/130/143 stopped by SIGHUP/SIGINT/SIGTERM (what was measured is kept and reported)

options:
  --format text|json          diagnostics for people (default) or one JSON object per line for tools;
                              \`dync run --format json\` ends with a JSON summary of the runs and expects
  --color auto|always|never   colour in diagnostics (default: auto, on a terminal)
  -h, --help                  this help
  --version                   the dync version
`;

const COMMON: Record<string, FlagSpec> = {
  format: { value: true, choices: ["text", "json"] },
  color: { value: true, choices: ["auto", "always", "never"] },
  help: { value: false, alias: "h" },
};

type Command = {
  flags: Record<string, FlagSpec>;
  /** At most this many files (run, plan and compile take one). */
  maxFiles?: number;
  /** At least this many files (default 1; the language server takes none). */
  minFiles?: number;
  /** Takes `key=value` overrides after the file (they are not counted as files). */
  overrides?: true;
  run: (files: string[], flags: Map<string, string | true>, out: Output, err: (text: string) => void, overrides: string[]) => number | Promise<number>;
};

const RUN_FLAGS: Record<string, FlagSpec> = {
  profile: { value: true },
  backend: { value: true, choices: ["auto", "gpu", "tensorflow", "wasm", "cpu"] },
  out: { value: true },
  data: { value: true },
  jobs: { value: true },
  quiet: { value: false },
  resume: { value: true },
  "checkpoint-every": { value: true },
  shard: { value: true },
};

const COMMANDS: Record<string, Command> = {
  // Commands load their modules on demand: `dync check` need not load ts-morph, prettier or tfjs.
  check: { flags: {}, run: async (files, _flags, out) => (await import("./commands/check.js")).checkCommand(files, out) },
  fmt: {
    flags: { write: { value: false, alias: "w" }, check: { value: false } },
    run: async (files, flags, out) => (await import("./commands/fmt.js")).fmtCommand(files, { write: flags.has("write"), check: flags.has("check") }, out),
  },
  plan: {
    flags: { profile: { value: true }, shard: { value: true }, jobs: { value: true }, backend: RUN_FLAGS["backend"]! },
    maxFiles: 1,
    overrides: true,
    run: async (files, flags, out, _err, overrides) => {
      const backend = flags.get("backend") as BackendRequest | undefined;
      return (await import("./commands/plan.js")).planCommand(files[0]!, flags.get("profile") as string | undefined, out, shardFlag(flags), overrides, { ...jobsFlag(flags), ...(backend ? { backend } : {}) });
    },
  },
  slurm: {
    flags: {
      profile: { value: true },
      shards: { value: true },
      out: { value: true },
      partition: { value: true },
      time: { value: true },
      cpus: { value: true },
      gpus: { value: true },
      backend: RUN_FLAGS["backend"]!,
      submit: { value: false },
    },
    maxFiles: 1,
    overrides: true,
    run: async (files, flags, out, err, overrides) => {
      const text = (name: string) => (flags.has(name) ? { [name]: flags.get(name) as string } : {});
      const whole = (name: string) => (flags.has(name) ? { [name]: wholeNumber(flags.get(name) as string, `--${name}`) } : {});
      const options = { ...text("profile"), ...text("out"), ...text("partition"), ...text("time"), ...text("backend"), ...whole("shards"), ...whole("cpus"), ...whole("gpus"), submit: flags.has("submit"), overrides };
      return (await import("./commands/slurm.js")).slurmCommand(files[0]!, options, out, err);
    },
  },
  merge: {
    flags: { out: { value: true }, partial: { value: false } },
    run: async (dirs, flags, out, err) =>
      (await import("./commands/merge.js")).mergeCommand(dirs, { partial: flags.has("partial"), ...(flags.has("out") ? { out: flags.get("out") as string } : {}) }, out, err),
  },
  compile: {
    flags: { output: { value: true, alias: "o" }, "emit-ts": { value: false }, profile: { value: true } },
    maxFiles: 1,
    overrides: true,
    run: async (files, flags, out, err, overrides) => {
      const profile = (flags.get("profile") as string | undefined) ?? "default";
      if (flags.has("profile") && overrides.length === 0) throw new UsageError("`dync compile --profile P` names the profile KEY=VALUE overrides apply to; give some (the program holds every profile: `node out.js --profile P`)");
      const options = { out: (flags.get("output") as string | undefined) ?? "out.js", emitTs: flags.has("emit-ts"), overrides: { profile, args: overrides } };
      return (await import("./commands/compile.js")).compileCommand(files[0]!, options, out, err);
    },
  },
  report: {
    flags: { watch: { value: false }, port: { value: true }, refresh: { value: true } },
    maxFiles: 1,
    run: async (files, flags, out, err) => {
      const { reportCommand, watchCommand } = await import("./commands/report.js");
      if (!flags.has("watch")) {
        const stray = ["port", "refresh"].find((f) => flags.has(f));
        if (stray) throw new UsageError(`--${stray} goes with --watch`);
        return reportCommand(files[0]!, out, err);
      }
      const port = flags.has("port") ? portNumber(flags.get("port") as string) : 0;
      const refreshSeconds = flags.has("refresh") ? wholeNumber(flags.get("refresh") as string, "--refresh") : 3;
      return watchCommand(files[0]!, { port, refreshSeconds }, out, err);
    },
  },
  compare: {
    flags: { html: { value: true } },
    minFiles: 2,
    maxFiles: 2,
    run: async (dirs, flags, out, err) => (await import("./commands/compare.js")).compareCommand([dirs[0]!, dirs[1]!], flags.has("html") ? { html: flags.get("html") as string } : {}, out, err),
  },
  lsp: {
    // --stdio and --clientProcessId are what editor clients pass; stdio is the only transport.
    flags: { stdio: { value: false }, clientProcessId: { value: true } },
    minFiles: 0,
    maxFiles: 0,
    run: async () => (await import("./commands/lsp.js")).lspCommand(),
  },
  run: {
    flags: RUN_FLAGS,
    maxFiles: 1,
    minFiles: 0,
    overrides: true,
    run: async (files, flags, out, err, overrides) => {
      const { runCommand, resumedFile, resumedOverrides } = await import("./commands/run.js");
      const resume = flags.get("resume");
      const file = files[0] ?? (typeof resume === "string" ? resumedFile(resume) : undefined);
      if (file === undefined) throw new UsageError("`dync run` needs a file (or --resume DIR)");
      const profile = (flags.get("profile") as string | undefined) ?? "default";
      // A resumed directory continues with the overrides it was made with, unless others are given.
      const settings = overrides.length === 0 && typeof resume === "string" ? resumedOverrides(resume) : overrides;
      return runCommand(file, forwarded(flags), out, err, { profile, args: settings });
    },
  },
};

/** `--shard i/n` of `dync plan`, checked as `dync run` checks it. */
function shardFlag(flags: Map<string, string | true>): Shard | undefined {
  const text = flags.get("shard");
  if (typeof text !== "string") return undefined;
  const shard = parseShard(text);
  if (typeof shard === "string") throw new UsageError(shard);
  return shard;
}

/** `--jobs N` of `dync plan`, checked as `dync run` checks it. */
function jobsFlag(flags: Map<string, string | true>): { flag?: number } {
  const text = flags.get("jobs");
  return typeof text === "string" ? { flag: wholeNumber(text, "--jobs") } : {};
}

/** `--port N`: 0 (any free port) to 65535. */
function portNumber(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--port must be a port number 0…65535, not "${text}"`);
  return Number(text);
}

/** A whole number ≥ 1 given as `--name N`. */
function wholeNumber(text: string, name: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${name} must be a whole number ≥ 1, not "${text}"`);
  return Number(text);
}

/** Run flags go to the program unchanged. */
function forwarded(flags: Map<string, string | true>): string[] {
  return [...flags].filter(([name]) => name in RUN_FLAGS).flatMap(([name, value]) => (value === true ? [`--${name}`] : [`--${name}`, value]));
}

export async function main(argv: readonly string[], stdout: Writer = process.stdout, stderr: Writer = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "--version") {
    stdout.write(`${version()}\n`);
    return 0;
  }
  const spec = COMMANDS[command];
  if (!spec) return usageError(stderr, `unknown command \`${command}\``);
  try {
    const parsed = parseArgs(rest, { ...COMMON, ...spec.flags });
    const { flags } = parsed;
    const { files: positional, overrides } = spec.overrides ? splitOverrides(parsed.positional) : { files: parsed.positional, overrides: [] };
    if (flags.has("help")) {
      stdout.write(USAGE);
      return 0;
    }
    if (positional.length < (spec.minFiles ?? 1)) throw new UsageError(`\`dync ${command}\` needs ${spec.maxFiles === 1 ? "a file" : spec.minFiles === 2 ? "two run directories" : "at least one file"}`);
    if (spec.maxFiles !== undefined && positional.length > spec.maxFiles) throw new UsageError(`\`dync ${command}\` takes ${spec.maxFiles === 0 ? "no files" : spec.maxFiles === 2 ? "two run directories" : "one file"}; got ${positional.length}`);
    const colorFlag = flags.get("color") ?? "auto";
    const out: Output = {
      format: (flags.get("format") as "text" | "json" | undefined) ?? "text",
      color: colorFlag === "always" || (colorFlag === "auto" && Boolean(stdout.isTTY) && !process.env["NO_COLOR"]),
      write: (text) => stdout.write(text),
    };
    return await spec.run(positional, flags, out, (text) => stderr.write(text), overrides);
  } catch (error) {
    if (error instanceof UsageError) return usageError(stderr, error.message);
    stderr.write(`internal error: ${(error as Error)?.message ?? String(error)}\n`);
    stderr.write("This is a bug in dync; please report it with the input that caused it.\n");
    if (process.env["DYNC_DEBUG"]) stderr.write(`${(error as Error)?.stack ?? ""}\n`);
    return EXIT.internal;
  }
}

/** Where output goes: process streams, or a test's collector. */
export interface Writer {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

function usageError(stderr: Writer, message: string): number {
  stderr.write(`dync: ${message}\nRun \`dync --help\` for usage.\n`);
  return EXIT.input;
}

function version(): string {
  return packageInfo().version;
}
