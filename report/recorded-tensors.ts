/**
 * The tensors a run recorded (rows of metrics.jsonl with an `npy_file`), indexed by probe, run, seed and
 * step, and the choice of a matrix heatmap's snapshots among them. Matrices are not in the in-memory
 * result table, so heatmaps always read them from the run directory (which also makes rebuilds work).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DyncRuntimeError } from "../runtime/errors.js";
import { readNpy } from "../runtime/npy.js";
import type { HeatmapSnapshot, PlotSpec, SweepValue } from "../contract/program.js";
import type { Manifest } from "../runtime/record/manifest.js";
import { runPaths } from "../runtime/record/run-dir.js";

/** One recorded tensor: where it is and what it measured. */
export interface TensorRecord {
  readonly probe: string;
  readonly run: string;
  readonly point: Readonly<Record<string, SweepValue>>;
  /** The seed's value; null for a tensor over all seeds (`seedall`). */
  readonly seed: number | null;
  readonly step: number;
  readonly epoch: number;
  /** Path relative to the run directory. */
  readonly file: string;
}

/** The recorded tensors of a run directory. */
export interface RecordedTensors {
  readonly dir: string;
  /** Runs in manifest order (sweep points), for choosing the first value of a dimension. */
  readonly runs: readonly { readonly run: string; readonly point: Readonly<Record<string, SweepValue>>; readonly seeds: readonly number[] }[];
  readonly records: readonly TensorRecord[];
}

/** Reads the tensor rows of `dir`'s metrics.jsonl (none when the file is missing). */
export function recordedTensors(dir: string, manifest: Manifest): RecordedTensors {
  const runs = manifest.runs.map((r) => ({ run: r.run, point: r.sweep, seeds: r.seeds ?? manifest.seeds }));
  const points = new Map(runs.map((r) => [r.run, r.point]));
  const records: TensorRecord[] = [];
  for (const m of metricsLines(dir)) {
    if (typeof m["npy_file"] !== "string") continue;
    const run = String(m["run"]);
    records.push({
      probe: String(m["probe"]),
      run,
      point: points.get(run) ?? {},
      seed: typeof m["seed"] === "number" ? m["seed"] : null,
      step: Number(m["step"]),
      epoch: typeof m["epoch"] === "number" ? m["epoch"] : 0,
      file: m["npy_file"],
    });
  }
  return { dir, runs, records };
}

/** The parsed lines of metrics.jsonl; a last line cut off mid-write (an interrupted run) is skipped. */
export function metricsLines(dir: string): Record<string, unknown>[] {
  const path = runPaths(dir).metricsJsonl;
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  const out: Record<string, unknown>[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      if (i >= lines.length - 2) return;
      throw new DyncRuntimeError("RUN011", `${path} line ${i + 1} is not valid JSON`);
    }
  });
  return out;
}

/** A matrix snapshot chosen for a heatmap panel, with its values as float64. */
export interface MatrixSnapshot {
  readonly run: string;
  readonly point: Readonly<Record<string, SweepValue>>;
  readonly seed: number;
  readonly step: number;
  /** Which snapshot this is, as asked for: `start`, `end`, `step 500`. */
  readonly at: string;
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
  readonly file: string;
}

/** A heatmap of a matrix probe's snapshots. */
export type MatrixHeatmapSpec = Extract<PlotSpec, { kind: "heatmap" }> & { readonly data: { readonly source: "matrix" } };

/**
 * The snapshots a matrix heatmap draws: per run (every value of the facet dimension; other sweep variables
 * at their first value) and seed (the chosen or first seed, or every seed when faceted by seeds), the
 * recorded step each `at` entry names. Notes say what was fixed or moved.
 */
export function selectSnapshots(spec: MatrixHeatmapSpec, recorded: RecordedTensors, notes: string[]): MatrixSnapshot[] {
  const { probe } = spec.data;
  const mine = recorded.records.filter((r) => r.probe === probe && r.seed !== null);
  if (mine.length === 0) {
    const tensorProbes = [...new Set(recorded.records.map((r) => r.probe))].sort();
    throw new DyncRuntimeError(
      "RUN051",
      `plot \`${spec.text}\` (line ${spec.line}): probe "${probe}" recorded no matrices (a heatmap of a probe draws the .npy matrices it wrote, e.g. cosine_similarity)`,
      tensorProbes.length ? `probes with recorded tensors: ${tensorProbes.join(", ")}; for a table over two dimensions give x: and y:` : "for a table over two dimensions give x: and y:",
    );
  }
  const runs = chooseRuns(spec, recorded, new Set(mine.map((r) => r.run)), notes);
  const out: MatrixSnapshot[] = [];
  for (const run of runs) {
    for (const seed of chooseSeeds(spec, run.seeds, mine.filter((r) => r.run === run.run), notes)) {
      const series = mine.filter((r) => r.run === run.run && r.seed === seed).sort((a, b) => a.step - b.step);
      for (const at of spec.data.at) {
        const record = snapshotAt(series, at, notes);
        if (!record) continue;
        out.push(loadMatrix(recorded.dir, record, typeof at === "string" ? at : `step ${at.step}`, spec));
      }
    }
  }
  if (out.length === 0) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): none of the requested snapshots of "${probe}" was recorded`);
  return out;
}

/** Runs to draw: all values of the facet variable; other sweep variables fixed at their first value. */
function chooseRuns(spec: MatrixHeatmapSpec, recorded: RecordedTensors, withData: Set<string>, notes: string[]): RecordedTensors["runs"] {
  let runs = recorded.runs.filter((r) => withData.has(r.run));
  const vars = runs.length ? Object.keys(runs[0]!.point) : [];
  for (const v of vars) {
    if (v === spec.facet) continue;
    const values = [...new Set(runs.map((r) => String(r.point[v])))];
    if (values.length < 2) continue;
    runs = runs.filter((r) => String(r.point[v]) === values[0]);
    notes.push(`${v} = ${values[0]} (first of ${values.length}; facet: ${v} shows all)`);
  }
  return runs;
}

function chooseSeeds(spec: MatrixHeatmapSpec, seeds: readonly number[], records: readonly TensorRecord[], notes: string[]): number[] {
  const recordedSeeds = seeds.filter((s) => records.some((r) => r.seed === s));
  if (spec.facet === "seeds") return recordedSeeds;
  const wanted = spec.data.seed;
  if (wanted !== null && !recordedSeeds.includes(wanted)) {
    throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): seed ${wanted} has no recorded matrices; seeds: ${recordedSeeds.join(", ")}`);
  }
  const seed = wanted ?? recordedSeeds[0]!;
  const note = wanted === null && recordedSeeds.length > 1 ? `seed ${seed} (first of ${recordedSeeds.length}; seed: or facet: seeds for others)` : `seed ${seed}`;
  if (!notes.includes(note)) notes.push(note);
  return [seed];
}

/** The recorded snapshot for `at`: step 0, the last step, or the recorded step nearest the one asked for. */
function snapshotAt(series: readonly TensorRecord[], at: HeatmapSnapshot, notes: string[]): TensorRecord | undefined {
  if (series.length === 0) return undefined;
  if (at === "end") return series[series.length - 1];
  if (at === "start") {
    if (series[0]!.step === 0) return series[0];
    const note = `no snapshot at start (step 0) was recorded; add \`start\` to the probe's \`at\``;
    if (!notes.includes(note)) notes.push(note);
    return undefined;
  }
  const nearest = series.reduce((best, r) => (Math.abs(r.step - at.step) < Math.abs(best.step - at.step) ? r : best));
  if (nearest.step !== at.step) {
    const note = `step ${at.step} was not recorded: drawn at the nearest recorded step ${nearest.step}`;
    if (!notes.includes(note)) notes.push(note);
  }
  return nearest;
}

function loadMatrix(dir: string, record: TensorRecord, at: string, spec: MatrixHeatmapSpec): MatrixSnapshot {
  const { data, shape } = readNpy(join(dir, record.file));
  if (shape.length !== 2) {
    throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): ${record.file} holds shape (${shape.join(", ")}), not a matrix`);
  }
  return { run: record.run, point: record.point, seed: record.seed!, step: record.step, at, rows: shape[0]!, cols: shape[1]!, values: Float64Array.from(data), file: record.file };
}
