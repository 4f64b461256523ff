/**
 * Appends long-format metric rows to `metrics.csv` and `metrics.jsonl` as they come.
 *
 * Each batch of rows is written with one synchronous `write` to files opened for appending, so rows are in
 * the operating system's hands (and visible to readers) as soon as the call returns, and a killed process
 * loses nothing it recorded; `fsync` runs at most every `syncIntervalMs` (and at close) to bound its cost.
 *
 * Encoding choices so numpy/pandas load the files as they are:
 * - CSV: header `run,seed,<sweep axes…>,step,epoch,probe,value,npy_file`; missing values are empty fields;
 *   non-finite values are `nan`, `inf`, `-inf` (what Python's float() and pandas parse); strings are quoted
 *   only when they hold a comma, quote or newline.
 * - JSONL: one object per row with the same keys; a missing value or NaN is `null`; ±Infinity is written
 *   as `1e999`/`-1e999`, valid JSON numbers that overflow to ±inf in Python and JavaScript parsers.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { unwritable } from "./run-dir.js";
import type { SweepValue } from "./manifest.js";

/** A row as written: `value` for scalars, `file` (relative path of a .npy, column `npy_file`) for tensors. */
export interface MetricLine {
  run: string;
  seed: number | undefined;
  sweep: Readonly<Record<string, SweepValue>>;
  step: number;
  epoch: number | undefined;
  probe: string;
  value: number | undefined;
  file: string | undefined;
}

/** Column names of metrics.csv for the given sweep axes. */
export function metricColumns(sweepAxes: readonly string[]): string[] {
  return ["run", "seed", ...sweepAxes, "step", "epoch", "probe", "value", "npy_file"];
}

export class MetricsWriter {
  private readonly csvFd: number;
  private readonly jsonlFd: number;
  private lastSync: number;
  private closed = false;

  constructor(
    private readonly paths: { csv: string; jsonl: string },
    private readonly sweepAxes: readonly string[],
    private readonly clock: () => number,
    private readonly syncIntervalMs: number,
  ) {
    this.csvFd = openForAppend(paths.csv);
    this.jsonlFd = openForAppend(paths.jsonl);
    this.append(this.csvFd, paths.csv, `${metricColumns(sweepAxes).map(csvField).join(",")}\n`);
    this.lastSync = clock();
  }

  /** Append rows to both files (one write per file) and fsync if the interval has passed. */
  write(lines: readonly MetricLine[]): void {
    if (lines.length === 0) return;
    this.append(this.csvFd, this.paths.csv, lines.map((l) => this.csvLine(l)).join(""));
    this.append(this.jsonlFd, this.paths.jsonl, lines.map((l) => this.jsonLine(l)).join(""));
    if (this.clock() - this.lastSync >= this.syncIntervalMs) this.sync();
  }

  /** Force both files to stable storage. */
  sync(): void {
    for (const [fd, path] of [[this.csvFd, this.paths.csv], [this.jsonlFd, this.paths.jsonl]] as const) {
      try {
        fsyncSync(fd);
      } catch (error) {
        throw unwritable(path, error);
      }
    }
    this.lastSync = this.clock();
  }

  /** Sync and close; later calls do nothing. */
  close(): void {
    if (this.closed) return;
    this.sync();
    closeSync(this.csvFd);
    closeSync(this.jsonlFd);
    this.closed = true;
  }

  private csvLine(line: MetricLine): string {
    const fields = [
      csvField(line.run),
      line.seed === undefined ? "" : csvNumber(line.seed),
      ...this.sweepAxes.map((axis) => csvField(line.sweep[axis])),
      csvNumber(line.step),
      line.epoch === undefined ? "" : csvNumber(line.epoch),
      csvField(line.probe),
      line.value === undefined ? "" : csvNumber(line.value),
      line.file === undefined ? "" : csvField(line.file),
    ];
    return `${fields.join(",")}\n`;
  }

  private jsonLine(line: MetricLine): string {
    const entries: [string, string][] = [
      ["run", JSON.stringify(line.run)],
      ["seed", jsonNumber(line.seed)],
      ...this.sweepAxes.map((axis): [string, string] => [axis, jsonValue(line.sweep[axis])]),
      ["step", jsonNumber(line.step)],
      ["epoch", jsonNumber(line.epoch)],
      ["probe", JSON.stringify(line.probe)],
      ["value", jsonNumber(line.value)],
      ["npy_file", line.file === undefined ? "null" : JSON.stringify(line.file)],
    ];
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}\n`;
  }

  private append(fd: number, path: string, text: string): void {
    if (this.closed) return;
    try {
      writeSync(fd, text);
    } catch (error) {
      throw unwritable(path, error);
    }
  }
}

function openForAppend(path: string): number {
  try {
    return openSync(path, "a");
  } catch (error) {
    throw unwritable(path, error);
  }
}

function csvNumber(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return String(v);
}

function csvField(v: SweepValue | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "number") return csvNumber(v);
  const text = String(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function jsonNumber(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "null";
  if (!Number.isFinite(v)) return v > 0 ? "1e999" : "-1e999";
  return String(v);
}

function jsonValue(v: SweepValue | undefined): string {
  return typeof v === "number" ? jsonNumber(v) : v === undefined ? "null" : JSON.stringify(v);
}
