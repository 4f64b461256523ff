/**
 * `param(model, name, stat)`: one number per seed from one parameter tensor (a layer's weight, or any
 * parameter); `weights(model, name)`: the whole tensor per seed, recorded as .npy.
 */
import type { Model, Param } from "../../contract/model.js";
import type { SeedTensors } from "../probes/types.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { defineProbe } from "../probes/define.js";
import * as entries from "./entries.js";

export type ParamStat = "mean" | "sum" | "norm" | "max_abs" | "first";

export const paramProbe = defineProbe(entries.param, {
  setup({ model, name, stat }) {
    // Resolved once per run, so a wrong name fails before training rather than at the first measurement.
    const param = namedParam(model, name, "param");
    return { measure: () => paramStatistic(param, model.seeds, stat) };
  },
});

export const weightsProbe = defineProbe(entries.weights, {
  setup({ model, name }) {
    const param = namedParam(model, name, "weights");
    return { measure: (ctx) => paramTensors(param, model.seeds, ctx.seedIndices) };
  },
});

/** Each measured seed's entries of `param` (leading seed axis) as one float32 tensor of the remaining shape. */
export function paramTensors(param: Param, seeds: number, measured: readonly number[]): SeedTensors {
  const values = param.variable.dataSync() as Float32Array;
  const size = values.length / seeds;
  const perSeed = Array.from({ length: seeds }, (_, s) => (measured.includes(s) ? values.slice(s * size, (s + 1) * size) : undefined));
  return { kind: "tensors", shape: param.variable.shape.slice(1), perSeed };
}

/** The parameter `name` names: a full name (`hidden0.bias`), else the weight of the layer called `name`. */
export function namedParam(model: Model, name: string, probe = "param"): Param {
  const exact = model.params.find((p) => p.name === name);
  if (exact) return exact;
  const weight = model.layers.find((l) => l.name === name)?.weight;
  if (weight) return weight;
  throw new DyncRuntimeError(
    "RUN040",
    `${probe}(…, "${name}"): the model has no parameter or weighted layer of that name`,
    `parameters: ${model.params.map((p) => p.name).join(", ")}; layers with a weight: ${model.layers.filter((l) => l.weight).map((l) => l.name).join(", ")}`,
  );
}

/** Per seed, `stat` of that seed's entries of `param` (leading seed axis), summed in float64. */
export function paramStatistic(param: Param, seeds: number, stat: ParamStat): Float64Array {
  const values = param.variable.dataSync();
  const size = values.length / seeds;
  const out = new Float64Array(seeds);
  for (let s = 0; s < seeds; s++) {
    const entries = values.subarray(s * size, (s + 1) * size);
    out[s] = statistic(entries, stat);
  }
  return out;
}

function statistic(entries: ArrayLike<number>, stat: ParamStat): number {
  let sum = 0;
  let squares = 0;
  let maxAbs = 0;
  for (let i = 0; i < entries.length; i++) {
    const v = entries[i]!;
    sum += v;
    squares += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  switch (stat) {
    case "mean":
      return sum / entries.length;
    case "sum":
      return sum;
    case "norm":
      return Math.sqrt(squares);
    case "max_abs":
      return maxAbs;
    case "first":
      return entries[0]!;
  }
}
