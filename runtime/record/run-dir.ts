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
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { DyncRuntimeError } from "../errors.js";

export interface RunPaths {
  readonly dir: string;
  readonly manifest: string;
  readonly metricsCsv: string;
  readonly metricsJsonl: string;
  readonly tensors: string;
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
    plots: join(dir, "plots"),
    report: join(dir, "report.html"),
  };
}

/** Create the directory with `tensors/` and `plots/`; RUN030 if it cannot be made or already holds a run. */
export function prepareRunDirectory(dir: string): RunPaths {
  const paths = runPaths(dir);
  if (existsSync(paths.manifest)) {
    throw new DyncRuntimeError("RUN030", `the run directory ${dir} already holds a run (manifest.json exists)`, "choose a new output directory, e.g. with --out");
  }
  for (const sub of [paths.dir, paths.tensors, paths.plots]) {
    try {
      mkdirSync(sub, { recursive: true });
    } catch (error) {
      throw unwritable(sub, error);
    }
  }
  return paths;
}

/** A fresh directory name `<root>/<experiment>/<YYYY-MM-DD_HH-MM-SS>` (suffixed `-2`, `-3`… if taken). */
export function freshRunDirectory(root: string, experiment: string, now: Date = new Date()): string {
  const pad = (v: number) => String(v).padStart(2, "0");
  const stamp =
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}_` +
    `${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`;
  const base = join(root, experiment, stamp);
  let candidate = base;
  for (let k = 2; existsSync(candidate); k++) candidate = `${base}-${k}`;
  return candidate;
}

/** RUN030 naming the path and the operating system's reason. */
export function unwritable(path: string, error: unknown): DyncRuntimeError {
  const reason = error instanceof Error ? error.message : String(error);
  return new DyncRuntimeError("RUN030", `cannot write the run directory at ${path}: ${reason}`, "check that the output directory is writable and the disk is not full");
}
