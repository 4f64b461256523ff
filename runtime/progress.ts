/**
 * Training progress for people watching a run.
 *
 * On a terminal: one line redrawn in place (`\r`) with a bar, step/total, steps/s and ETA, at most every
 * `redrawIntervalMs`. Elsewhere (CI logs, pipes, files): plain lines, one each time another `lineFraction`
 * of the work is done or `lineIntervalMs` has passed, so a log stays short however long the run.
 * The stream and the clock are injectable, which makes the output testable to the character.
 */

/** What the reporter writes to: `process.stderr` or anything with `write`. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Total number of steps. */
  total: number;
  /** Shown at the start of every line, e.g. `width=20 act=silu`. */
  label?: string;
  /** Unit in the rate, default `steps`. */
  unit?: string;
  /** Default `process.stderr`. */
  stream?: ProgressStream;
  /** Redraw in place; default `stream.isTTY`. */
  tty?: boolean;
  /** Milliseconds from any origin; default `performance.now`. */
  clock?: () => number;
  /** Terminal: shortest time between redraws (default 100 ms). */
  redrawIntervalMs?: number;
  /** Log lines: print each time this fraction of the total is done (default 0.1). */
  lineFraction?: number;
  /** Log lines: also print when this much time has passed since the last line (default 30 s). */
  lineIntervalMs?: number;
}

const BAR_WIDTH = 24;

export class ProgressReporter {
  private readonly total: number;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly clock: () => number;
  private readonly start: number;
  private done = 0;
  /** Terminal: time of the last redraw (none yet). */
  private lastDraw = -Infinity;
  /** Log lines: time of the last line (the time cadence counts from the start). */
  private lastLine: number;
  private lastBucket = 0;
  private finished = false;

  constructor(private readonly options: ProgressOptions) {
    this.total = Math.max(0, options.total);
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.clock = options.clock ?? (() => performance.now());
    this.start = this.clock();
    this.lastLine = this.start;
  }

  /** Report that `done` steps are complete (absolute count). */
  update(done: number): void {
    if (this.finished) return;
    this.done = Math.min(Math.max(done, 0), this.total);
    const now = this.clock();
    if (this.tty) {
      if (now - this.lastDraw >= (this.options.redrawIntervalMs ?? 100)) this.redraw(now);
      return;
    }
    // Which multiple of lineFraction has been reached (the epsilon absorbs 0.1·k rounding).
    const bucket = this.total > 0 ? Math.floor(this.done / this.total / (this.options.lineFraction ?? 0.1) + 1e-9) : 0;
    const timeUp = now - this.lastLine >= (this.options.lineIntervalMs ?? 30_000);
    if (bucket > this.lastBucket || timeUp) {
      this.lastBucket = Math.max(bucket, this.lastBucket);
      this.lastLine = now;
      this.stream.write(`${this.prefix()}${this.status(now)}\n`);
    }
  }

  /** Advance by `steps` (default 1). */
  tick(steps = 1): void {
    this.update(this.done + steps);
  }

  /** Print the final state (a summary line) and stop reporting; idempotent. */
  finish(message?: string): void {
    if (this.finished) return;
    const now = this.clock();
    if (this.tty) this.redraw(now);
    const elapsed = (now - this.start) / 1000;
    const summary = `${this.prefix()}done: ${this.done} ${this.unit()} in ${formatDuration(elapsed)} (${formatRate(this.done, elapsed)} ${this.unit()}/s)`;
    this.stream.write(`${this.tty ? "\n" : ""}${summary}${message ? ` ${message}` : ""}\n`);
    this.finished = true;
  }

  private redraw(now: number): void {
    this.lastDraw = now;
    const fraction = this.total > 0 ? this.done / this.total : 1;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
    let line = `${this.prefix()}${bar} ${this.status(now)}`;
    const columns = this.stream.columns;
    // A line wider than the terminal wraps, and `\r` then redraws only its last row.
    if (columns && line.length > columns - 1) line = line.slice(0, columns - 1);
    this.stream.write(`\r${line}\x1b[K`);
  }

  private status(now: number): string {
    const elapsed = (now - this.start) / 1000;
    const percent = this.total > 0 ? Math.floor((100 * this.done) / this.total) : 100;
    const rate = this.done / elapsed;
    const eta = elapsed > 0 && this.done > 0 ? formatDuration((this.total - this.done) / rate) : "--";
    return `${this.done}/${this.total} ${percent}% ${formatRate(this.done, elapsed)} ${this.unit()}/s ETA ${eta}`;
  }

  private prefix(): string {
    return this.options.label ? `${this.options.label} ` : "";
  }

  private unit(): string {
    return this.options.unit ?? "steps";
  }
}

/** `done/seconds` with 3 significant digits (`--` before any time has passed). */
export function formatRate(done: number, seconds: number): string {
  if (!(seconds > 0)) return "--";
  const rate = done / seconds;
  return rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
}

/** `42s`, `3m05s`, `2h07m`: short durations for ETAs. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
