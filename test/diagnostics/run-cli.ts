/**
 * Running `dync check` in-process with captured output: the whole command line (`runCli`), and its
 * syntax stage alone (`syntaxCheck`), which prints exactly as `dync check` does but only the lexical and
 * syntax diagnostics, so front-end goldens do not change when the checker learns something new.
 */
import { main, type Writer } from "../../cli/cli.js";
import { printDiagnostics, summary, type Output } from "../../cli/commands/output.js";
import { readSource } from "../../compiler/read-source.js";
import { parse } from "../../grammar/parse.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A writer that collects text and is not a terminal (so output has no colour). */
function collector(): Writer & { text: string } {
  const sink = {
    text: "",
    isTTY: false,
    write(chunk: string): boolean {
      sink.text += chunk;
      return true;
    },
  };
  return sink;
}

/** `dync ARGV…` with stdout and stderr captured. */
export async function runCli(argv: readonly string[]): Promise<CliRun> {
  const out = collector();
  const err = collector();
  const code = await main(argv, out, err);
  return { code, stdout: out.text, stderr: err.text };
}

/** `dync check FILE` restricted to reading and parsing: the same printing, summary line and exit code. */
export function syntaxCheck(file: string): { code: number; stdout: string } {
  let stdout = "";
  const out: Output = { format: "text", color: false, write: (t) => void (stdout += t) };
  const read = readSource(file);
  const parsed = read.ok ? parse(read.text, file) : undefined;
  const diagnostics = parsed ? parsed.diagnostics : read.ok ? [] : [read.diagnostic];
  printDiagnostics(out, diagnostics, parsed?.source);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  out.write(`${summary(errors, warnings, 1)}\n`);
  return { code: errors > 0 ? 1 : 0, stdout };
}
