/**
 * Input tables for synthetic data: `n` points with named input variables, stored as float32 rows.
 *
 * Random inputs draw from an `Rng` stream the caller forks per dataset (see `dataRng`), so a seed fixes
 * every sample on every backend alike.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { drawInBlocks, Rng } from "../../runtime/rng.js";

/** `n` points in `names.length` dimensions; `x` holds `n * d` float32 values, point-major. */
export interface InputTable {
  readonly n: number;
  readonly names: readonly string[];
  readonly x: Float32Array;
}

/** The canonical sample stream of one dataset: `new Rng(seed).fork("data").fork(datasetName)`. */
export function dataRng(seed: number, datasetName: string): Rng {
  return new Rng(seed).fork("data").fork(datasetName);
}

/**
 * The task stream of a synthetic source with a random task (the class means of a Gaussian mixture):
 * `new Rng(seed).fork("data").fork("task").fork(source)`. It depends on the seed and the source only, never
 * on the data set's name, so a training set and a held-out set with the same arguments share one task.
 */
export function taskRng(seed: number, source: string): Rng {
  return new Rng(seed).fork("data").fork("task").fork(source);
}

/**
 * The two streams a synthetic source with a distribution draws from: `task` fixes the distribution (shared
 * by every data set of that source under one seed), `samples` the points drawn from it (one data set's or
 * split's own stream, `dataRng(seed, split ?? name)`).
 */
export interface DataStreams {
  readonly task: Rng;
  readonly samples: Rng;
}

/** The streams of one data set of `source`: the seed's task and the sample stream named `sampleStream`. */
export function dataStreams(seed: number, source: string, sampleStream: string): DataStreams {
  return { task: taskRng(seed, source), samples: dataRng(seed, sampleStream) };
}

/** Input names `x1..xd` (or `x` alone when d = 1), the spelling `.dyn` files use. */
export function defaultInputNames(d: number): string[] {
  return d === 1 ? ["x"] : Array.from({ length: d }, (_, j) => `x${j + 1}`);
}

export interface UniformInputsOptions {
  n: number;
  /** Lower bound, one per dimension or shared. */
  lo: number | readonly number[];
  /** Upper bound (exclusive before float32 rounding), one per dimension or shared. */
  hi: number | readonly number[];
  /** Dimension count; defaults to the length of `names`, else of `lo`/`hi` arrays, else 1. */
  d?: number;
  names?: readonly string[];
}

/** `n` points with coordinate j drawn from U[lo_j, hi_j), point by point, coordinate by coordinate. */
export function uniformInputs(rng: Rng, options: UniformInputsOptions): InputTable {
  const d = dimensionOf(options.d, options.names, options.lo, options.hi);
  const lo = perDimension(options.lo, d, "lo");
  const hi = perDimension(options.hi, d, "hi");
  for (let j = 0; j < d; j++) {
    if (!(hi[j]! > lo[j]!)) invalid(`uniform inputs need lo < hi, got [${lo[j]}, ${hi[j]})`);
  }
  const n = checkCount(options.n, "n");
  const x = new Float32Array(n * d);
  // x[i, j] = uniformIn(lo_j, hi_j), drawn in order (point by point) in bulk
  drawInBlocks(rng, "uniform", n * d, (u, start, length) => {
    for (let k = 0; k < length; k++) {
      const j = (start + k) % d;
      x[start + k] = lo[j]! + (hi[j]! - lo[j]!) * u[k]!;
    }
  });
  return { n, names: options.names ?? defaultInputNames(d), x };
}

export interface NormalInputsOptions {
  n: number;
  mean?: number | readonly number[];
  std?: number | readonly number[];
  d?: number;
  names?: readonly string[];
}

/** `n` points with coordinate j drawn from N(mean_j, std_j²), point by point. */
export function normalInputs(rng: Rng, options: NormalInputsOptions): InputTable {
  const d = dimensionOf(options.d, options.names, options.mean, options.std);
  const mean = perDimension(options.mean ?? 0, d, "mean");
  const std = perDimension(options.std ?? 1, d, "std");
  for (const s of std) if (!(s >= 0)) invalid(`normal inputs need std >= 0, got ${s}`);
  const n = checkCount(options.n, "n");
  const x = new Float32Array(n * d);
  drawInBlocks(rng, "normal", n * d, (z, start, length) => {
    for (let k = 0; k < length; k++) {
      const j = (start + k) % d;
      x[start + k] = mean[j]! + std[j]! * z[k]!;
    }
  });
  return { n, names: options.names ?? defaultInputNames(d), x };
}

/** Explicit points given column by column, e.g. `{ x: [-1, -1/3, 1/3, 1] }`; all columns equally long. */
export function pointsInputs(columns: Readonly<Record<string, readonly number[]>>): InputTable {
  const names = Object.keys(columns);
  if (names.length === 0) invalid("points() needs at least one input column");
  const n = columns[names[0]!]!.length;
  if (n === 0) invalid("points() needs at least one point");
  for (const name of names) {
    if (columns[name]!.length !== n) {
      invalid(`points() columns differ in length: ${names[0]} has ${n}, ${name} has ${columns[name]!.length}`);
    }
  }
  const d = names.length;
  const x = new Float32Array(n * d);
  names.forEach((name, j) => columns[name]!.forEach((v, i) => (x[i * d + j] = v)));
  return { n, names, x };
}

/** The table restricted to the columns `keep` (in the table's order): a data block's inputs without its latent variables. */
export function selectColumns(table: InputTable, keep: ReadonlySet<string>): InputTable {
  const indices = table.names.flatMap((name, j) => (keep.has(name) ? [j] : []));
  const d = table.names.length;
  const k = indices.length;
  const x = new Float32Array(table.n * k);
  for (let i = 0; i < table.n; i++) indices.forEach((j, c) => (x[i * k + c] = table.x[i * d + j]!));
  return { n: table.n, names: indices.map((j) => table.names[j]!), x };
}

/** Column j of a table as float64 numbers (the float32 values the network sees, widened exactly). */
export function inputColumn(table: InputTable, j: number): Float64Array {
  const d = table.names.length;
  const out = new Float64Array(table.n);
  for (let i = 0; i < table.n; i++) out[i] = table.x[i * d + j]!;
  return out;
}

/** A count argument that must be a positive integer. */
export function checkCount(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) invalid(`${what} must be a positive integer, got ${value}`);
  return value;
}

/** Throw RUN040 (an invalid configuration reached the runtime). */
export function invalid(message: string): never {
  throw new DyncRuntimeError("RUN040", message);
}

function dimensionOf(
  d: number | undefined,
  names: readonly string[] | undefined,
  ...perDim: (number | readonly number[] | undefined)[]
): number {
  if (d !== undefined) return checkCount(d, "d");
  if (names) return checkCount(names.length, "number of input names");
  const arrays = perDim.filter((p): p is readonly number[] => Array.isArray(p));
  return arrays.length > 0 ? checkCount(arrays[0]!.length, "dimension") : 1;
}

function perDimension(value: number | readonly number[], d: number, what: string): number[] {
  if (typeof value === "number") return new Array<number>(d).fill(value);
  if (value.length !== d) invalid(`${what} has ${value.length} entries for ${d} dimensions`);
  return [...value];
}
