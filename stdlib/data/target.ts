/**
 * Targets as functions of the input columns, and the step that turns inputs + target into a `Dataset`.
 *
 * Signature (what the compiler generates for `-> sin(x) + sin(3*x)` or `y = x1 * x2`):
 *   `(cols: readonly Float64Array[]) => ArrayLike<number> | readonly ArrayLike<number>[]`
 * `cols[j]` holds input variable j (in `InputTable.names` order) for all n points, widened exactly from the
 * float32 values the network sees, so the target is computed in float64 at the very inputs used in training.
 * Return one column of n values for a scalar target, or several columns (e.g. RGB) for a vector target.
 * A target with label noise (`y = sin(2*x) + normal(0, 0.1)`) also takes `draws`, the data set's
 * `targetDraws` stream, and draws from it point by point in point order.
 */
import type { TargetDraws } from "../../contract/program.js";
import type { Dataset } from "../../runtime/dataset.js";
import type { Rng } from "../../runtime/rng.js";
import { inputColumn, invalid, type InputTable } from "./inputs.js";

export type { TargetDraws };
export type TargetColumns = ArrayLike<number> | readonly ArrayLike<number>[];
export type TargetFn = (cols: readonly Float64Array[], draws?: TargetDraws) => TargetColumns;

/** Draws for a target from `rng` (a data set's `target` fork); invalid parameters are RUN040. */
export function targetDraws(rng: Rng): TargetDraws {
  return {
    normal(mean, std) {
      if (!(Number.isFinite(mean) && std >= 0 && Number.isFinite(std))) invalid(`normal(mean, std) in a target needs a finite mean and std >= 0, got normal(${mean}, ${std})`);
      return mean + std * rng.normal();
    },
    uniform(low, high) {
      if (!(Number.isFinite(low) && Number.isFinite(high) && high > low)) invalid(`uniform(low, high) in a target needs finite low < high, got uniform(${low}, ${high})`);
      return rng.uniformIn(low, high);
    },
  };
}

/** A target with label noise written per point, `(draw, x) => Math.sin(2 * x) + draw.normal(0, 0.1)`, as a column function. */
export function pointwiseWithDraws(f: (draw: TargetDraws, ...inputs: number[]) => number): TargetFn {
  return (cols, draws) => {
    if (!draws) invalid("this target draws random numbers (label noise) and needs the data set's draws");
    return pointwise((...inputs) => f(draws, ...inputs))(cols);
  };
}

/** A target written per point, e.g. `pointwise((x1, x2) => x1 * x2)`, as a column function. */
export function pointwise(f: (...inputs: number[]) => number): TargetFn {
  return (cols) => {
    const n = cols[0]?.length ?? 0;
    const out = new Float64Array(n);
    if (cols.length === 1) {
      // one input (the scalar-input experiments): a plain call; the spread below costs ~0.1 µs per point,
      // ~0.14 s of a 1000-seed × 256-point run's data (benchmark case (d))
      const [x] = cols as [Float64Array];
      for (let i = 0; i < n; i++) out[i] = f(x[i]!);
      return out;
    }
    const args = new Array<number>(cols.length);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < cols.length; j++) args[j] = cols[j]![i]!;
      out[i] = f(...args);
    }
    return out;
  };
}

/** Evaluate `target` on the table's columns (drawing label noise from `draws`) and package inputs and targets as a regression `Dataset`. */
export function withTarget(name: string, inputs: InputTable, target: TargetFn, draws?: TargetDraws): Dataset {
  const cols = inputs.names.map((_, j) => inputColumn(inputs, j));
  const outCols = asColumns(target(cols, draws));
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
