/**
 * What a person watching `dync run` sees while runs train: every run in training with its step, steps/s,
 * ETA and latest batch loss, whether it trains in this process or on a worker thread.
 *
 * On a terminal: a block at the bottom, one line per run in training and a line counting runs, redrawn in
 * place; lines that stay (a run's `done:` line, a failure, the stop notice) are printed above it. Elsewhere
 * (CI logs, pipes, files): plain lines, each run in training one every `lineIntervalMs` with its step and
 * loss, and its `done:` line, so a log is never silent for long and stays short however long the runs.
 *
 * Runs report through `RunProgress` (a worker forwards the calls, pool-protocol.ts); the rates and ETAs are
 * measured here, on the clock of the thread that draws them. Stream and clock are injectable for tests.
 */
import { formatDuration, formatRate, type ProgressStream } from "../runtime/progress.js";

/** Where one run reports its progress (the view, or a worker's forwarder to it). */
export interface RunProgress {
  /** Run `run` starts training `total` steps, from step `from` (a resumed run) or 0. */
  start(run: string, total: number, from: number): void;
  /** `step` steps are done; `loss` is the batch loss of each seed there (null: not read back). */
  step(run: string, step: number, loss: readonly number[] | null): void;
  /** The run ended after `done` steps: its `done:` line, with `note` (loss summary, why it stopped). */
  end(run: string, done: number, note?: string): void;
  /** The run ended without a `done:` line (it failed: its error is printed instead). */
  drop(run: string): void;
}

export interface LiveViewOptions {
  /** Runs to train (for the count line). */
  readonly runs: number;
  /** Redraw in place; default `stream.isTTY`. */
  readonly tty?: boolean;
  /** Milliseconds from any origin; default `performance.now`. */
  readonly clock?: () => number;
  /** Plain lines: a line per run in training this often (default 10 s). */
  readonly lineIntervalMs?: number;
  /** Terminal: shortest time between redraws (default 100 ms). */
  readonly redrawIntervalMs?: number;
  /** Terminal: redraw this often even when no run reports (a long step), so the clock moves; 0: never (default 1 s). */
  readonly tickMs?: number;
}

interface Training {
  readonly run: string;
  readonly total: number;
  readonly from: number;
  readonly startedAt: number;
  done: number;
  loss: number | null;
  lastLine: number;
}

const BAR_WIDTH = 16;

export class LiveView implements RunProgress {
  private readonly tty: boolean;
  private readonly clock: () => number;
  private readonly started: number;
  private readonly training = new Map<string, Training>();
  private finished = 0;
  /** Terminal: lines of the block now on screen (below them the cursor, at column 0). */
  private blockLines = 0;
  private lastDraw = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: LiveViewOptions,
  ) {
    this.tty = options.tty ?? stream.isTTY === true;
    this.clock = options.clock ?? (() => performance.now());
    this.started = this.clock();
    const tick = options.tickMs ?? 1000;
    if (this.tty && tick > 0) {
      this.timer = setInterval(() => this.draw(true), tick);
      this.timer.unref();
    }
  }

  start(run: string, total: number, from: number): void {
    const now = this.clock();
    this.training.set(run, { run, total, from, startedAt: now, done: from, loss: null, lastLine: now });
    this.draw(true);
  }

  step(run: string, step: number, loss: readonly number[] | null): void {
    const t = this.training.get(run);
    if (!t) return;
    t.done = Math.min(Math.max(step, 0), t.total);
    if (loss) t.loss = medianLoss(loss);
    const now = this.clock();
    if (this.tty) {
      this.draw(false);
    } else if (now - t.lastLine >= (this.options.lineIntervalMs ?? 10_000)) {
      t.lastLine = now;
      this.write(`${t.run} ${this.status(t, now)}\n`);
    }
  }

  end(run: string, done: number, note?: string): void {
    const t = this.training.get(run);
    if (!t) return;
    this.training.delete(run);
    this.finished++;
    const elapsed = (this.clock() - t.startedAt) / 1000;
    this.log(`${run} done: ${done} steps in ${formatDuration(elapsed)} (${formatRate(done - t.from, elapsed)} steps/s)${note ? ` ${note}` : ""}`);
  }

  drop(run: string): void {
    if (this.training.delete(run)) this.finished++;
    this.draw(true);
  }

  /** A line that stays, printed above the block. */
  log(line: string): void {
    this.write(`${line}\n`);
  }

  /** Training is over: the block is erased, later output goes below the lines that stay. */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    if (this.tty) this.stream.write(this.erase());
    this.blockLines = 0;
    this.closed = true;
  }

  /** Text for the stream: on a terminal the block is erased first and redrawn after it. */
  private write(text: string): void {
    if (!this.tty || this.closed) {
      this.stream.write(text);
      return;
    }
    const now = this.clock();
    this.lastDraw = now;
    this.stream.write(`${this.erase()}${text}${this.block(now)}`);
  }

  private draw(force: boolean): void {
    if (!this.tty || this.closed) return;
    const now = this.clock();
    if (!force && now - this.lastDraw < (this.options.redrawIntervalMs ?? 100)) return;
    this.lastDraw = now;
    this.stream.write(`${this.erase()}${this.block(now)}`);
  }

  /** Cursor up to the block's first line, column 0, and clear to the end of the screen. */
  private erase(): string {
    const up = this.blockLines > 0 ? `\x1b[${this.blockLines}A` : "";
    return `${up}\r\x1b[J`;
  }

  /** The block: a line per run in training, then the count; each cut to the terminal's width (a wrapped line would break the redraw). */
  private block(now: number): string {
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    const lines = [...this.training.values()].map((t) => `${t.run} ${bar(t)} ${this.status(t, now)}`);
    const waiting = this.options.runs - this.finished - this.training.size;
    lines.push(`runs: ${this.finished} of ${this.options.runs} done, ${this.training.size} training${waiting > 0 ? `, ${waiting} waiting` : ""} · ${formatDuration((now - this.started) / 1000)}`);
    this.blockLines = lines.length;
    return lines.map((l) => `${l.length > width ? l.slice(0, width) : l}\n`).join("");
  }

  /** `2700/3000 90% 285 steps/s ETA 1s loss 6.28e-5`. */
  private status(t: Training, now: number): string {
    const elapsed = (now - t.startedAt) / 1000;
    const trained = t.done - t.from;
    const percent = t.total > 0 ? Math.floor((100 * t.done) / t.total) : 100;
    const eta = elapsed > 0 && trained > 0 ? formatDuration(((t.total - t.done) * elapsed) / trained) : "--";
    const loss = t.loss === null ? "" : ` loss ${formatLoss(t.loss)}`;
    return `${t.done}/${t.total} ${percent}% ${formatRate(trained, elapsed)} steps/s ETA ${eta}${loss}`;
  }
}

function bar(t: Training): string {
  const filled = Math.round((t.total > 0 ? t.done / t.total : 1) * BAR_WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
}

/** The median over seeds of the finite batch losses (NaN when every seed diverged). */
export function medianLoss(loss: readonly number[]): number {
  const finite = loss.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = (finite.length - 1) / 2;
  return (finite[Math.floor(mid)]! + finite[Math.ceil(mid)]!) / 2;
}

/** 3 significant digits: `0.0417`, `6.28e-5`, `1.23e+4`. */
export function formatLoss(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e4)) return value.toExponential(2).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(3)));
}
