/** Run-directory recording: manifest, long-format metrics (CSV + JSONL), tensors as .npy. */
export { asNpy, RunRecorder } from "./recorder.js";
export type { RecorderOptions, ScalarRecord, TensorLike, TensorRecord } from "./recorder.js";
export { collectVersions, writeManifest } from "./manifest.js";
export type { BackendInfo, Manifest, RunEntry, RunStatus, ShardRecord, SweepValue, Versions } from "./manifest.js";
export { csvField, metricColumns, MetricsWriter } from "./metrics-writer.js";
export type { MetricLine } from "./metrics-writer.js";
export { freshRunDirectory, pathSegment, prepareRunDirectory, runPaths, unwritable } from "./run-dir.js";
export type { RunPaths } from "./run-dir.js";
export { readCheckpointFile, writeCheckpointFile } from "./checkpoint-file.js";
export { StackedArrays, stepsPath } from "./stacked.js";
