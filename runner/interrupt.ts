/**
 * Stopping cleanly on a signal. SIGINT (Ctrl-C), SIGTERM (what batch schedulers send before they kill a job)
 * and SIGHUP (a closed terminal) abort `signal`: training stops at the next step boundary, everything
 * measured is recorded, unfinished runs are marked `interrupted`, the report is written, and the program
 * exits with 128 + the signal's number, as the signal itself would have. A second signal while that
 * happens stops at once: with an `onSecond` handler (runMain's), `stopNow` is aborted first, so the run
 * directory's manifest says `interrupted` (every row already written stays whole), then the handler ends the
 * process; without one, the signal's default action ends it.
 */

/** The signals that stop a run cleanly, with the exit code each ends it with (128 + signal number). */
export const INTERRUPT_EXIT = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
export type InterruptSignal = keyof typeof INTERRUPT_EXIT;
export type InterruptExitCode = (typeof INTERRUPT_EXIT)[InterruptSignal];

/** The signal name an interrupted run's `AbortSignal` carries as its reason (`SIGINT` when aborted otherwise). */
export function interruptSignalOf(stop: AbortSignal): InterruptSignal {
  const reason: unknown = stop.reason;
  return typeof reason === "string" && Object.hasOwn(INTERRUPT_EXIT, reason) ? (reason as InterruptSignal) : "SIGINT";
}

/** What `dync run` prints when a signal arrives while runs train. */
export function stoppingNotice(signal: InterruptSignal): string {
  return `${signal}: stopping at the next step boundary and keeping everything measured (send it again to stop at once)`;
}

/** Listens for the interrupt signals while installed; `stop` is aborted with the first one's name. */
export class InterruptWatch {
  private readonly controller = new AbortController();
  private readonly now = new AbortController();
  private readonly handlers = new Map<InterruptSignal, () => void>();

  get stop(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborted by a second signal, just before `onSecond` ends the process: record what can be, synchronously. */
  get stopNow(): AbortSignal {
    return this.now.signal;
  }

  /** The signal received, if any. */
  get received(): InterruptSignal | undefined {
    return this.stop.aborted ? interruptSignalOf(this.stop) : undefined;
  }

  install(onSignal?: (signal: InterruptSignal) => void, onSecond?: (signal: InterruptSignal) => void): this {
    for (const signal of Object.keys(INTERRUPT_EXIT) as InterruptSignal[]) {
      const handler = (): void => {
        if (!this.controller.signal.aborted) {
          // Without onSecond the next signal takes its default action: a second Ctrl-C ends the process at once.
          if (!onSecond) this.dispose();
          this.controller.abort(signal);
          onSignal?.(signal);
          return;
        }
        this.dispose();
        this.now.abort(signal);
        onSecond!(signal);
      };
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
    return this;
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.removeListener(signal, handler);
    this.handlers.clear();
  }
}
