/** `manifest.json`: everything needed to know what a run directory holds and to reproduce it. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tf } from "../tf.js";
import { writeFileAtomic } from "./atomic-file.js";

import type { HvpPathCounts, StepPathCounts, TrainingStepPath } from "../../contract/model.js";

export type SweepValue = number | string | boolean;
export type RunStatus = "running" | "ok" | "diverged" | "failed" | "interrupted";

/** One run of the plan: a point of the sweep and the seeds trained at it. */
export interface RunEntry {
  /** Stable id used in the metrics' `run` column, e.g. `r003`. */
  run: string;
  /** Sweep variable → value at this point (`{ width: 20, act: "silu" }`). */
  sweep: Record<string, SweepValue>;
  seeds: number[];
  status: RunStatus;
  message?: string;
  /** For a `diverged` run: each diverged seed and the step its loss first became NaN or infinite. */
  diverged?: { seed: number; step: number }[];
  /** Steps the run was scheduled to train (known once its data is built). */
  steps?: number;
  /** Optimizer steps per pass over the training data, ⌈samples / batch⌉ (the metrics' `epoch` is ⌊step / this⌋). */
  stepsPerEpoch?: number;
  startedAt?: string;
  endedAt?: string;
  /**
   * Which training step served its updates (contract/model.ts `TrainingStepPath`), or `mixed` when more than
   * one did (then `stepCounts` says how many each); absent while unknown (no update trained yet, or written by
   * an older dync).
   */
  step?: TrainingStepPath | "mixed";
  stepCounts?: StepPathCounts;
  /**
   * The Hessian-vector products its probes computed, per path (contract/model.ts `HvpPath`: the native
   * R-operator, the one in tfjs ops, the tape, or differences), before and after a resume (checkpoints carry the
   * counts); absent when none did.
   */
  hvp?: HvpPathCounts;
  /**
   * The step from which `hvp` counts, where that is not step 0: the run continued from a checkpoint written before
   * checkpoints carried the counts, so the products before that step are not counted (possibly none are recorded).
   */
  hvpFrom?: number;
  /**
   * Data sets whose labels `shuffle_labels: s` permuted, by name: the seed s, the sample count n and the
   * `.npy` file (relative to the run directory) holding the permutation applied, sample i taking the label of
   * sample `permutation[i]`.
   */
  shuffledLabels?: Record<string, { seed: number; n: number; permutation: string }>;
}

/** Which part of the plan a shard run directory holds. */
export interface ShardRecord {
  /** 1-based, as in `--shard 2/4`. */
  index: number;
  count: number;
  /** Ids of the runs of this shard, in plan order. */
  runs: string[];
  /** Ids of every run of the whole plan, in plan order (what a merge of all shards must hold). */
  planRuns: string[];
}

export interface BackendInfo {
  /** `wasm`, `cpu`, `tensorflow`, `webgl`… */
  name: string;
  [detail: string]: unknown;
}

export interface Versions {
  dync: string;
  tfjs: string;
  node: string;
  [other: string]: string;
}

export interface Manifest {
  format: "dync-run/1";
  experiment: string;
  /** The resolved configuration (JSON-serialisable), as the compiler produced it. */
  config: unknown;
  /** Sweep variable names in column order (also the metrics' sweep columns). */
  sweepAxes: string[];
  /** Every seed used anywhere in the experiment. */
  seeds: number[];
  runs: RunEntry[];
  backend: BackendInfo;
  versions: Versions;
  /** Source file, profile and any other context the caller wants on record. */
  source?: unknown;
  /** Hash of what decides the measurements (runner/checkpoint.ts `planHash`); `--resume` requires the same. */
  planHash?: string;
  /** Set when this directory holds one shard of the plan (`dync run --shard i/n`); `dync merge` combines them. */
  shard?: ShardRecord;
  /** Set on a directory `dync merge` made from shards: the shard directory used for each shard, and what was missing. */
  merged?: { shards: { shard: string; dir: string; status: RunStatus; backend: string; runs: string[] }[]; missing: string[] };
  /** Each `dync run --resume`: when, and where it continued (the first run trained and its checkpoint step, 0 for none). */
  resumes?: { at: string; run: string | null; step: number }[];
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  status: RunStatus;
  message?: string;
  files: { metricsCsv: string; metricsJsonl: string; tensors: string; plots: string; report: string };
}

/**
 * Write the manifest atomically (temporary file + rename), so a reader never sees half a file. When that
 * fails (a full disk) the temporary file is removed and the previous manifest stays as it was.
 */
export function writeManifest(path: string, manifest: Manifest): void {
  writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Versions of dync (its package.json), TensorFlow.js core and Node. */
export function collectVersions(): Versions {
  return { dync: dyncVersion(), tfjs: tf.version_core, node: process.version };
}

/** The `version` of the nearest package.json named `dync` above this module (source or dist layout). */
function dyncVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "dync" && pkg.version) return pkg.version;
    } catch {
      // no package.json at this level: keep walking up
    }
  }
  return "unknown";
}
