/**
 * A command-line mistake (an unknown flag, a bad `--jobs` or `DYNC_JOBS`): printed with the usage, exit code 2.
 * One class for `dync` (cli/cli-args.ts re-exports it) and for a generated program (runner/cli.ts), so a
 * setting both read, such as `DYNC_JOBS` for `dync plan` and `dync run`, is a usage error in either.
 */
export class UsageError extends Error {}

/** A whole number ≥ 1 given on the command line or in the environment (`--jobs`, `--checkpoint-every`, `DYNC_JOBS`); UsageError naming `source` otherwise. */
export function parseWholeNumber(text: string, source: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`${source} must be a whole number ≥ 1, not "${text}"`);
  return value;
}
