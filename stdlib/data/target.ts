/**
 * Targets as functions of the input columns, and the step that turns inputs + target into a `Dataset`.
 *
 * Signature (what the compiler generates for `-> sin(x) + sin(3*x)` or `y = x1 * x2`):
 *   `(cols: readonly Float64Array[]) => ArrayLike<number> | readonly ArrayLike<number>[]`
 * `cols[j]` holds input variable j (in `InputTable.names` order) for all n points, widened exactly from the
 * float32 values the network sees, so the target is computed in float64 at the very inputs used in training.
 * Return one column of n values for a scalar target, or several columns (e.g. RGB) for a vector target.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { inputColumn, invalid, type InputTable } from "./inputs.js";

export type TargetColumns = ArrayLike<number> | readonly ArrayLike<number>[];
export type TargetFn = (cols: readonly Float64Array[]) => TargetColumns;

/** A target written per point, e.g. `pointwise((x1, x2) => x1 * x2)`, as a column function. */
export function pointwise(f: (...inputs: number[]) => number): TargetFn {
  return (cols) => {
    const n = cols[0]?.length ?? 0;
    const out = new Float64Array(n);
    const args = new Array<number>(cols.length);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < cols.length; j++) args[j] = cols[j]![i]!;
      out[i] = f(...args);
    }
    return out;
  };
}

/** Evaluate `target` on the table's columns and package inputs and targets as a regression `Dataset`. */
export function withTarget(name: string, inputs: InputTable, target: TargetFn): Dataset {
  const cols = inputs.names.map((_, j) => inputColumn(inputs, j));
  const outCols = asColumns(target(cols));
  const yDim = outCols.length;
  if (yDim === 0) invalid(`the target of ${name} returned no columns`);
  const y = new Float32Array(inputs.n * yDim);
  outCols.forEach((col, k) => {
    if (col.length !== inputs.n) {
      invalid(`the target of ${name} returned ${col.length} values for ${inputs.n} points`);
    }
    for (let i = 0; i < inputs.n; i++) {
      const v = col[i]!;
      if (!Number.isFinite(v)) invalid(`the target of ${name} is ${v} at ${describePoint(inputs, i)}`);
      y[i * yDim + k] = v;
    }
  });
  return { name, n: inputs.n, xShape: [inputs.names.length], x: inputs.x, yDim, y, inputNames: inputs.names };
}

function asColumns(result: TargetColumns): readonly ArrayLike<number>[] {
  // One column is an array of numbers; several columns are an array of arrays.
  const first = (result as ArrayLike<unknown>)[0];
  return typeof first === "object" && first !== null ? (result as readonly ArrayLike<number>[]) : [result as ArrayLike<number>];
}

function describePoint(inputs: InputTable, i: number): string {
  const d = inputs.names.length;
  return inputs.names.map((nm, j) => `${nm} = ${inputs.x[i * d + j]}`).join(", ");
}
