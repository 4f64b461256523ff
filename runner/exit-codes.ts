/**
 * The exit codes of `dync run` and of a generated program (`node out.js`), one per kind of outcome, so a
 * script or a CI job can tell them apart (docs/run-directory.md, "Exit codes"). Signals add their own,
 * 128 + the signal's number (runner/interrupt.ts).
 */
export const EXIT = {
  /** Every run trained, every analysis was evaluated and every expect holds. */
  ok: 0,
  /** Every run trained, but an expect failed or an analysis could not be evaluated. */
  expectFailed: 1,
  /** A usage or input error: the command line, the `.dyn` file (compile errors), or what they name (data files, the output directory, the backend); the experiment stopped, mostly before anything trained. */
  input: 2,
  /** A run failed or diverged (whatever the expects say: they judged incomplete results). */
  runFailed: 3,
  /** An internal error: a bug in dync (EX_SOFTWARE of sysexits.h). */
  internal: 70,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/**
 * The exit code of several experiments: the most serious of theirs. Seriousness does not follow the
 * numbers: ok < expect failed < run failed < input error < internal error < a signal (128 + n).
 */
export function worseExit(a: number, b: number): number {
  const rank = (code: number): number => (code > 128 ? 1000 + code : (SERIOUSNESS.get(code) ?? 50));
  return rank(b) > rank(a) ? b : a;
}

const SERIOUSNESS: ReadonlyMap<number, number> = new Map([
  [EXIT.ok, 0],
  [EXIT.expectFailed, 1],
  [EXIT.runFailed, 2],
  [EXIT.input, 3],
  [EXIT.internal, 4],
]);
