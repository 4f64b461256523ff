/**
 * The run directory's layout, its creation, and the RUN030 error for a directory that cannot be used.
 *
 *   <dir>/manifest.json     what ran: experiment, resolved config, sweep runs, seeds, backend, versions, timings, status
 *   <dir>/metrics.csv       long-format measurements, one row per (run, seed, step, probe)
 *   <dir>/metrics.jsonl     the same rows as JSON lines
 *   <dir>/tensors/…/*.npy   vectors and matrices, referenced from the `file` column of the metrics
 *   <dir>/plots/            figures (written by the plotting stage)
 *   <dir>/report.html       the report (written by the report stage)
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, statfsSync } from "node:fs";
import { dirname, join } from "node:path";
import { DyncRuntimeError } from "../errors.js";

export interface RunPaths {
  readonly dir: string;
  readonly manifest: string;
  readonly metricsCsv: string;
  readonly metricsJsonl: string;
  readonly tensors: string;
  /** What a run's data sets were made of that the program text alone does not show in numbers (label permutations). */
  readonly data: string;
  readonly plots: string;
  readonly report: string;
}

/** Where each part of a run directory lives. */
export function runPaths(dir: string): RunPaths {
  return {
    dir,
    manifest: join(dir, "manifest.json"),
    metricsCsv: join(dir, "metrics.csv"),
    metricsJsonl: join(dir, "metrics.jsonl"),
    tensors: join(dir, "tensors"),
    data: join(dir, "data"),
    plots: join(dir, "plots"),
    report: join(dir, "report.html"),
  };
}

/**
 * Free space a run directory needs when it is created: the manifest, the first metrics rows and the report
 * of a small experiment fit in it. Less than this is a full disk; a run that fills the disk later is
 * stopped cleanly (metrics-writer.ts).
 */
export const MIN_FREE_BYTES = 1024 * 1024;

/**
 * Create the directory with `tensors/` and `plots/`; RUN030 if it cannot be made, already holds a run, or
 * its disk has less than MIN_FREE_BYTES free. (Writability is proven by the manifest the recorder writes next.)
 */
export function prepareRunDirectory(dir: string): RunPaths {
  const paths = runPaths(dir);
  if (existsSync(paths.manifest)) {
    throw new DyncRuntimeError("RUN030", `the run directory ${dir} already holds a run (manifest.json exists)`, "choose a new output directory, e.g. with --out");
  }
  for (const sub of [paths.dir, paths.tensors, paths.plots]) {
    try {
      mkdirSync(sub, { recursive: true });
    } catch (error) {
      throw unwritable(sub, whyMkdirFailed(sub, error));
    }
  }
  const free = freeBytes(dir);
  if (free !== undefined && free < MIN_FREE_BYTES) {
    throw new DyncRuntimeError("RUN030", `the disk holding the run directory ${dir} is full: ${Math.floor(free / 1024)} KiB free, a run needs at least ${MIN_FREE_BYTES / 1024 / 1024} MiB`, "free space on the disk or choose another output directory with --out");
  }
  return paths;
}

/**
 * Node's recursive mkdir reports ENOENT for any failure below an existing directory (a read-only file
 * system included); creating the missing levels one at a time gives the operating system's real reason.
 */
function whyMkdirFailed(dir: string, error: unknown): unknown {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (real) {
      return real;
    }
  }
  return error;
}

/** Bytes an unprivileged user may still write on the file system holding `dir` (undefined when unknown). */
function freeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** Longest name kept as it is in a path segment (file systems allow 255 bytes; the hash suffix needs 9). */
const MAX_SEGMENT = 100;
/** Names Windows reserves for devices in every directory, with or without an extension. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * A name from the program (experiment, probe, run id with its sweep values) as one path segment that
 * stays inside its directory on every system: letters, digits and `. _ = - , +` are kept; anything else
 * (`/`, `\`, `:`, NUL, spaces, non-ASCII) becomes `_`; a leading `.` (so `.` and `..`), a Windows device
 * name (`CON`, `nul.txt`) and an empty name get a leading `_`. A name that needed any of this, ends in `.`
 * or is longer than MAX_SEGMENT is cut to MAX_SEGMENT and gets `~` and 8 hex digits of its SHA-256: names
 * that are already safe keep their text, and two different names never share a segment (`~` is never
 * kept, so a changed name cannot meet an unchanged one).
 */
export function pathSegment(name: string): string {
  let cleaned = name.replace(/[^A-Za-z0-9._=,+-]/g, "_");
  if (cleaned === "" || cleaned.startsWith(".") || WINDOWS_DEVICE.test(cleaned)) cleaned = `_${cleaned}`;
  if (cleaned === name && name.length <= MAX_SEGMENT && !name.endsWith(".")) return name;
  const hash = createHash("sha256").update(name, "utf8").digest("hex").slice(0, 8);
  return `${cleaned.slice(0, MAX_SEGMENT)}~${hash}`;
}

/**
 * A fresh directory name `<root>/<experiment>/<YYYY-MM-DD_HH-MM-SS>` (suffixed `-2`, `-3`… if taken);
 * the experiment name passes through pathSegment.
 */
export function freshRunDirectory(root: string, experiment: string, now: Date = new Date()): string {
  const pad = (v: number) => String(v).padStart(2, "0");
  const stamp =
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}_` +
    `${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`;
  const base = join(root, pathSegment(experiment), stamp);
  let candidate = base;
  for (let k = 2; existsSync(candidate); k++) candidate = `${base}-${k}`;
  return candidate;
}

/** RUN030 naming the path and the operating system's reason. */
export function unwritable(path: string, error: unknown): DyncRuntimeError {
  const reason = error instanceof Error ? error.message : String(error);
  return new DyncRuntimeError("RUN030", `cannot write the run directory at ${path}: ${reason}`, "check that the output directory is writable and the disk is not full");
}
