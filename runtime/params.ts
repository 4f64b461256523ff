/**
 * Addressing, copying and setting the parameters of a seed-batched `Model`.
 *
 * A parameter `hidden0.weight` is one variable `[S, ...shape]`; "seed i" means index i along the leading
 * axis (not the seed value). Values cross to JS as row-major Float32Arrays.
 */
import { tf } from "./tf.js";
import { DyncRuntimeError } from "./errors.js";
import type { Model, Param, ParamRole } from "../contract/model.js";

/** A copy of one tensor in JS memory. */
export interface TensorCopy {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** A copy of a model's parameters (by name) and state (by position), in JS memory. */
export interface ParamSnapshot {
  readonly params: ReadonlyMap<string, TensorCopy>;
  readonly state: readonly TensorCopy[];
}

/** A trainable parameter `${layer}.${role}` holding `values` shaped `shape` (leading axis = seeds). */
export function createParam(layer: string, role: ParamRole, values: Float32Array, shape: readonly number[]): Param {
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) {
    throw new DyncRuntimeError("RUN040", `${layer}.${role}: ${values.length} values for shape [${shape.join(", ")}]`);
  }
  const variable = tf.tidy(() => tf.variable(tf.tensor(values, [...shape]), true));
  return { name: `${layer}.${role}`, layer, role, variable };
}

/** The parameter called `name` (e.g. `hidden0.weight`); a clear error lists the names that exist. */
export function findParam(model: Model, name: string): Param {
  const found = model.params.find((p) => p.name === name);
  if (!found) {
    throw new DyncRuntimeError(
      "RUN040",
      `the model has no parameter "${name}"`,
      `parameters: ${model.params.map((p) => p.name).join(", ")}`,
    );
  }
  return found;
}

/** Parameters filtered by layer and/or role, in model order. */
export function selectParams(model: Model, filter: { layer?: string; role?: ParamRole } = {}): Param[] {
  if (filter.layer !== undefined && !model.layerNames.includes(filter.layer)) {
    throw new DyncRuntimeError("RUN040", `the model has no layer "${filter.layer}"`, `layers: ${model.layerNames.join(", ")}`);
  }
  return model.params.filter(
    (p) => (filter.layer === undefined || p.layer === filter.layer) && (filter.role === undefined || p.role === filter.role),
  );
}

function copyOut(t: tf.Tensor): TensorCopy {
  return { shape: [...t.shape], values: Float32Array.from(t.dataSync() as Float32Array) };
}

/** Copy every parameter and state tensor out to JS memory. */
export function snapshot(model: Model): ParamSnapshot {
  return {
    params: new Map(model.params.map((p) => [p.name, copyOut(p.variable)])),
    state: model.state.map(copyOut),
  };
}

/** Clone every parameter (by name) into tensors the caller owns and must dispose. */
export function snapshotTensors(model: Model): Map<string, tf.Tensor> {
  return new Map(model.params.map((p) => [p.name, tf.clone(p.variable)]));
}

/** Write a snapshot (JS copies or cloned tensors) back into the model's variables. */
export function restore(model: Model, saved: ParamSnapshot | ReadonlyMap<string, tf.Tensor>): void {
  const params: ReadonlyMap<string, TensorCopy | tf.Tensor> = saved instanceof Map ? saved : (saved as ParamSnapshot).params;
  for (const p of model.params) {
    const value = params.get(p.name);
    if (value === undefined) throw new DyncRuntimeError("RUN040", `the snapshot has no parameter "${p.name}"`);
    assignChecked(p.name, p.variable, value);
  }
  if (saved instanceof Map) return; // cloned tensors carry parameters only
  const state = (saved as ParamSnapshot).state;
  if (state.length !== model.state.length) {
    throw new DyncRuntimeError("RUN040", `the snapshot has ${state.length} state tensors, the model ${model.state.length}`);
  }
  model.state.forEach((v, i) => assignChecked(`state[${i}]`, v, state[i]!));
}

function assignChecked(name: string, variable: tf.Variable, value: TensorCopy | tf.Tensor): void {
  const shape = value instanceof tf.Tensor ? value.shape : value.shape;
  if (!tf.util.arraysEqual([...shape], variable.shape)) {
    throw new DyncRuntimeError("RUN040", `${name}: shape [${shape.join(", ")}] does not match [${variable.shape.join(", ")}]`);
  }
  tf.tidy(() => variable.assign(value instanceof tf.Tensor ? value : tf.tensor(value.values, variable.shape)));
}

/** Layout of hand-written weight matrices: ours is `[in, out]` (x·W); PyTorch's nn.Linear is `[out, in]`. */
export type WeightLayout = "in_out" | "out_in";

/**
 * Set a parameter from JS numbers: for one seed (`seed` = index along the seed axis) or, by default, the
 * same values for every seed. Nested arrays are flattened row-major; `layout: "out_in"` accepts a
 * PyTorch-style `[out, in]` weight matrix and transposes it.
 */
export function setParam(
  model: Model,
  name: string,
  values: ArrayLike<number> | readonly (readonly number[])[],
  options: { seed?: number; layout?: WeightLayout } = {},
): void {
  const p = findParam(model, name);
  const perSeedShape = p.variable.shape.slice(1);
  let flat = flatten(values);
  if (options.layout === "out_in") flat = transposeOutIn(name, flat, perSeedShape);
  const perSeed = perSeedShape.reduce((a, b) => a * b, 1);
  if (flat.length !== perSeed) {
    throw new DyncRuntimeError(
      "RUN040",
      `${name}: got ${flat.length} values, one seed needs ${perSeed} (shape [${perSeedShape.join(", ")}])`,
    );
  }
  const all = Float32Array.from(p.variable.dataSync() as Float32Array);
  const seeds = options.seed === undefined ? [...Array(model.seeds).keys()] : [checkSeed(model, options.seed)];
  for (const s of seeds) all.set(flat, s * perSeed);
  tf.tidy(() => p.variable.assign(tf.tensor(all, p.variable.shape)));
}

function flatten(values: ArrayLike<number> | readonly (readonly number[])[]): Float32Array {
  const first = (values as ArrayLike<unknown>)[0];
  if (Array.isArray(first)) return Float32Array.from((values as readonly (readonly number[])[]).flat());
  return Float32Array.from(values as ArrayLike<number>);
}

function transposeOutIn(name: string, flat: Float32Array, perSeedShape: number[]): Float32Array {
  if (perSeedShape.length !== 2) throw new DyncRuntimeError("RUN040", `${name}: layout "out_in" applies to matrices only`);
  const [rows, cols] = perSeedShape as [number, number]; // ours: [in, out]
  if (flat.length !== rows * cols) return flat; // the length check that follows reports it
  const out = new Float32Array(flat.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = flat[j * rows + i]!;
  return out;
}

function checkSeed(model: Model, seed: number): number {
  if (!(Number.isInteger(seed) && seed >= 0 && seed < model.seeds)) {
    throw new DyncRuntimeError("RUN040", `seed index ${seed} is out of range for a model of ${model.seeds} seeds`);
  }
  return seed;
}

/** One seed's slice of a parameter, `shape` without the seed axis. */
export function seedSlice(model: Model, name: string, seed: number): TensorCopy {
  const p = findParam(model, name);
  checkSeed(model, seed);
  const perSeedShape = p.variable.shape.slice(1);
  const perSeed = perSeedShape.reduce((a, b) => a * b, 1);
  const all = p.variable.dataSync() as Float32Array;
  return { shape: perSeedShape, values: all.slice(seed * perSeed, (seed + 1) * perSeed) };
}

/** Every parameter of one seed, by name. */
export function extractSeed(model: Model, seed: number): Map<string, TensorCopy> {
  return new Map(model.params.map((p) => [p.name, seedSlice(model, p.name, seed)]));
}

/** Total number of scalar parameters of one seed's network. */
export function parameterCount(model: Model): number {
  return model.params.reduce((n, p) => n + p.variable.size / model.seeds, 0);
}
