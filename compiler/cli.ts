/**
 * The `dync` command line. Every failure is a coded diagnostic or a one-line usage error; an unexpected
 * exception is reported as an internal error with a request to file it, never as a bare stack trace.
 */
import { checkCommand } from "./commands/check.js";
import { fmtCommand } from "./commands/fmt.js";
import type { Output } from "./commands/output.js";
import { parseArgs, UsageError, type FlagSpec } from "./cli-args.js";
import { packageInfo } from "./package-info.js";

const USAGE = `dync: a language for neural-network training-dynamics experiments

usage:
  dync check FILE...          report syntax errors (exit 0 clean, 1 errors, 2 usage)
  dync fmt [-w|--check] FILE  print FILE in canonical layout (-w: rewrite it; --check: exit 1 if not formatted)

options:
  --format text|json          diagnostics for people (default) or one JSON object per line for tools
  --color auto|always|never   colour in diagnostics (default: auto, on a terminal)
  -h, --help                  this help
  --version                   the dync version
`;

const COMMON: Record<string, FlagSpec> = {
  format: { value: true, choices: ["text", "json"] },
  color: { value: true, choices: ["auto", "always", "never"] },
  help: { value: false, alias: "h" },
};

const COMMANDS: Record<string, { flags: Record<string, FlagSpec>; run: (files: string[], flags: Map<string, string | true>, out: Output) => number }> = {
  check: { flags: {}, run: (files, _flags, out) => checkCommand(files, out) },
  fmt: {
    flags: { write: { value: false, alias: "w" }, check: { value: false } },
    run: (files, flags, out) => fmtCommand(files, { write: flags.has("write"), check: flags.has("check") }, out),
  },
};

export function main(argv: readonly string[], stdout = process.stdout, stderr = process.stderr): number {
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
    const { positional, flags } = parseArgs(rest, { ...COMMON, ...spec.flags });
    if (flags.has("help")) {
      stdout.write(USAGE);
      return 0;
    }
    if (positional.length === 0) throw new UsageError(`\`dync ${command}\` needs at least one file`);
    const colorFlag = flags.get("color") ?? "auto";
    const out: Output = {
      format: (flags.get("format") as "text" | "json" | undefined) ?? "text",
      color: colorFlag === "always" || (colorFlag === "auto" && Boolean(stdout.isTTY) && !process.env["NO_COLOR"]),
      write: (text) => stdout.write(text),
    };
    return spec.run(positional, flags, out);
  } catch (error) {
    if (error instanceof UsageError) return usageError(stderr, error.message);
    stderr.write(`internal error: ${(error as Error)?.message ?? String(error)}\n`);
    stderr.write("This is a bug in dync; please report it with the input that caused it.\n");
    if (process.env["DYNC_DEBUG"]) stderr.write(`${(error as Error)?.stack ?? ""}\n`);
    return 70;
  }
}

function usageError(stderr: NodeJS.WritableStream, message: string): number {
  stderr.write(`dync: ${message}\nRun \`dync --help\` for usage.\n`);
  return 2;
}

function version(): string {
  return packageInfo().version;
}
