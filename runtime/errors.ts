/**
 * Failures a researcher can act on. A runtime error names its cause in words, carries a stable code
 * (listed in docs/runtime-errors.md), and never reaches the user as a stack trace: the CLI and the
 * generated program print `error RUN0xx: message` and keep every result already recorded.
 */
export type RuntimeErrorCode =
  | "RUN001" // a requested backend is not installed
  | "RUN002" // a backend failed to initialise
  | "RUN010" // a data file or directory is missing
  | "RUN011" // a data file is in the wrong format
  | "RUN020" // training diverged (NaN or Inf loss)
  | "RUN030" // the run directory cannot be written
  | "RUN040" // an invalid configuration reached the runtime (a compiler bug or a hand-written call)
  | "RUN050" // a numerical analysis could not be carried out (singular system, too few points)
  | "RUN051" // an analysis names something the results lack (a probe, a dimension, a sweep value)
  | "RUN060"; // a worker thread training runs in parallel could not start or stopped unexpectedly

export class DyncRuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "DyncRuntimeError";
  }

  /** `error RUN020: training diverged …` plus the hint on its own line. */
  render(): string {
    return `error ${this.code}: ${this.message}${this.hint ? `\n  hint: ${this.hint}` : ""}`;
  }
}
