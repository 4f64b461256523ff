/**
 * Appends long-format metric rows to `metrics.csv` and `metrics.jsonl` as they come.
 *
 * Each batch of rows is written with synchronous writes to files opened for appending, so rows are in
 * the operating system's hands (and visible to readers) as soon as the call returns, and a killed process
 * loses nothing it recorded; `fsync` runs at most every `syncIntervalMs` (and at close) to bound its cost.
 *
 * A batch goes to both files or to neither: when a write fails or comes up short (ENOSPC, a full quota),
 * both files are truncated back to where the batch began, so they always end with a whole row and hold
 * the same rows; the writer is then closed and the error (RUN030) says how many rows were kept.
 *
 * Encoding choices so numpy/pandas load the files as they are:
 * - CSV: header `run,seed,<sweep axes…>,step,epoch,probe,value,npy_file`; missing values are empty fields;
 *   non-finite values are `nan`, `inf`, `-inf` (what Python's float() and pandas parse); strings are quoted
 *   only when they hold a comma, quote or newline.
 * - JSONL: one object per row with the same keys; a missing value or NaN is `null`; ±Infinity is written
 *   as `1e999`/`-1e999`, valid JSON numbers that overflow to ±inf in Python and JavaScript parsers.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { metricColumns } from "../../contract/results.js";
import { DyncRuntimeError } from "../errors.js";
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

export { metricColumns };

export class MetricsWriter {
  private readonly csvFd: number;
  private readonly jsonlFd: number;
  private lastSync: number;
  private closed = false;
  /** Bytes of each file that hold whole rows (where the next batch begins). */
  private csvBytes: number;
  private jsonlBytes: number;
  /** Rows written to each file (the same rows in both). */
  private rowCount = 0;

  constructor(
    private readonly paths: { csv: string; jsonl: string },
    private readonly sweepAxes: readonly string[],
    private readonly clock: () => number,
    private readonly syncIntervalMs: number,
    /** Rows the files already hold (a resumed run directory: appended to, header and all kept). */
    existingRows = 0,
  ) {
    this.csvFd = openForAppend(paths.csv);
    this.jsonlFd = openForAppend(paths.jsonl);
    this.csvBytes = fstatSync(this.csvFd).size;
    this.jsonlBytes = fstatSync(this.jsonlFd).size;
    this.rowCount = existingRows;
    if (this.csvBytes === 0) this.writeBatch(`${metricColumns(sweepAxes).map(csvField).join(",")}\n`, "", 0);
    this.lastSync = clock();
  }

  /** Rows written so far (both files hold the same rows). */
  get rows(): number {
    return this.rowCount;
  }

  /** Append rows to both files, whole or not at all (see the file comment); fsync if the interval has passed. */
  write(lines: readonly MetricLine[]): void {
    if (lines.length === 0 || this.closed) return;
    this.writeBatch(lines.map((l) => this.csvLine(l)).join(""), lines.map((l) => this.jsonLine(l)).join(""), lines.length);
    if (this.clock() - this.lastSync >= this.syncIntervalMs) this.sync();
  }

  /** Append `count` whole rows already encoded (as this writer writes them) to both files, whole or not at all. */
  writeRows(csv: Uint8Array, jsonl: Uint8Array, count: number): void {
    if (count === 0 || this.closed) return;
    this.writeBatch(csv, jsonl, count);
  }

  /** Force both files to stable storage. */
  sync(): void {
    if (this.closed) return;
    for (const [fd, path] of [[this.csvFd, this.paths.csv], [this.jsonlFd, this.paths.jsonl]] as const) {
      try {
        fsyncSync(fd);
      } catch (error) {
        throw unwritable(path, error);
      }
    }
    this.lastSync = this.clock();
  }

  /** Sync and close; later calls (and calls after a failed write, which closed the files) do nothing. */
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

  /** Both texts or neither: on a failed or short write, truncate both files back and close (RUN030). */
  private writeBatch(csv: string | Uint8Array, jsonl: string | Uint8Array, rows: number): void {
    const csvBytes = typeof csv === "string" ? Buffer.from(csv) : csv;
    const jsonlBytes = typeof jsonl === "string" ? Buffer.from(jsonl) : jsonl;
    let failed: { path: string; error: unknown } | undefined;
    for (const [fd, path, bytes] of [[this.csvFd, this.paths.csv, csvBytes], [this.jsonlFd, this.paths.jsonl, jsonlBytes]] as const) {
      try {
        writeFully(fd, bytes);
      } catch (error) {
        failed = { path, error };
        break;
      }
    }
    if (!failed) {
      this.csvBytes += csvBytes.length;
      this.jsonlBytes += jsonlBytes.length;
      this.rowCount += rows;
      return;
    }
    const restored = this.rollBack();
    this.closed = true;
    const reason = failed.error instanceof Error ? failed.error.message : String(failed.error);
    const kept = restored
      ? `metrics.csv and metrics.jsonl keep the ${this.rowCount} whole rows written before (the same rows in both)`
      : "the metrics files could not be cut back to their last whole row";
    throw new DyncRuntimeError("RUN030", `cannot write ${failed.path}: ${reason}; ${kept}`, "free space on the disk or choose another output directory with --out");
  }

  /** Cut both files back to their last whole row; false if that failed too. */
  private rollBack(): boolean {
    try {
      ftruncateSync(this.csvFd, this.csvBytes);
      ftruncateSync(this.jsonlFd, this.jsonlBytes);
      closeSync(this.csvFd);
      closeSync(this.jsonlFd);
      return true;
    } catch {
      return false;
    }
  }
}

/** Write all of `bytes` (a write to a nearly full disk may take only part of them); throws when it cannot. */
function writeFully(fd: number, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length; ) {
    const written = writeSync(fd, bytes, offset, bytes.length - offset);
    if (written <= 0) throw new Error("no space left on device (a write took no bytes)");
    offset += written;
  }
}

function openForAppend(path: string): number {
  try {
    return openSync(path, "a");
  } catch (error) {
    throw unwritable(path, error);
  }
}

export function csvNumber(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return String(v);
}

export function csvField(v: SweepValue | undefined): string {
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
