/**
 * `plot line(…, x: epochs)`: training time in epochs. Results are measured at steps; a row's epoch is its
 * step divided by the steps per epoch of the run it comes from (the manifest's `runs[…].stepsPerEpoch`,
 * ⌈samples / batch⌉), so a measurement between epoch ends sits at a fractional epoch (step 6 of a run of 4
 * steps per epoch is epoch 1.5), unlike the metrics' `epoch` column, which counts completed epochs.
 */
import type { AnalysisEnv } from "../runtime/analysis/source.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { EPOCHS, SEEDS, STEPS, keyId, type Row, type Table } from "../runtime/analysis/table.js";
import type { PlotSpec } from "../contract/program.js";

/** The table with its `steps` dimension replaced by `epochs` (same position, same rows). */
export function stepsToEpochs(table: Table, env: AnalysisEnv, spec: PlotSpec): Table {
  if (!table.dims.includes(STEPS)) {
    throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): \`x: epochs\` needs a result over steps, but this one has ${table.dims.join(", ") || "no dimensions"}`);
  }
  const perEpoch = stepsPerEpochOf(env, spec);
  const dims = table.dims.map((d) => (d === STEPS ? EPOCHS : d));
  const rows = table.rows.map((row): Row => {
    const { [STEPS]: step, ...rest } = row.key;
    return { ...row, key: { ...rest, [EPOCHS]: Number(step) / perEpoch(row, table.dims) } };
  });
  return { dims, rows };
}

/** A mark's steps (its rows' values) in epochs of each row's run. */
export function markStepsToEpochs(table: Table, env: AnalysisEnv, spec: PlotSpec): Table {
  const perEpoch = stepsPerEpochOf(env, spec);
  return { dims: table.dims, rows: table.rows.map((row) => (typeof row.value === "number" ? { ...row, value: row.value / perEpoch(row, table.dims) } : row)) };
}

function stepsPerEpochOf(env: AnalysisEnv, spec: PlotSpec): (row: Row, dims: Table["dims"]) => number {
  const lookup = env.stepsPerEpoch;
  if (!lookup) throw new DyncRuntimeError("RUN051", `plot \`${spec.text}\` (line ${spec.line}): \`x: epochs\` needs each run's steps per epoch, which these results do not hold`);
  // One lookup per sweep point, not per row: rows differ mostly in seed and step.
  const cache = new Map<string, number>();
  return (row, dims) => {
    const pointDims = dims.filter((d) => d !== STEPS && d !== SEEDS);
    const id = keyId(row.key, pointDims);
    let n = cache.get(id);
    if (n === undefined) cache.set(id, (n = lookup.call(env, row.key, dims)));
    return n;
  };
}
