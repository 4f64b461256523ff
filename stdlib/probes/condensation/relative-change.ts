/**
 * `relative_change(net, layer: 0)`: RD = ‖θ_w(t) − θ_w(0)‖/‖θ_w(0)‖ of a hidden layer's input weights (bias
 * included by default), the order parameter of the phase diagram (Luo et al. 2021; notes P4).
 *
 * θ_w(0) is kept per model: taken at the probe's first call when that is step 0, otherwise rebuilt by
 * constructing the same MLP again (initialisation is a pure function of the seeds, runtime/init.ts), so the
 * probe needs no `at start` cadence.
 */
import { DyncRuntimeError } from "../../../runtime/errors.js";
import type { Model } from "../../../contract/model.js";
import { Mlp } from "../../../runtime/nn/mlp.js";
import type { ProbeFn } from "../types.js";
import { boolOption, hiddenLayerName } from "./layer.js";

/** Initial values of every parameter, by model (a run's model lives as long as its run). */
const initialByModel = new WeakMap<Model, Map<string, Float32Array>>();

function copyParams(model: Model): Map<string, Float32Array> {
  return new Map(model.params.map((p) => [p.name, Float32Array.from(p.variable.dataSync() as Float32Array)]));
}

/** The model's parameters at initialisation. */
export function initialParams(model: Model, step: number): Map<string, Float32Array> {
  const known = initialByModel.get(model);
  if (known) return known;
  let initial: Map<string, Float32Array>;
  if (step === 0) initial = copyParams(model);
  else if (model instanceof Mlp) {
    const fresh = new Mlp(model.options);
    try {
      initial = copyParams(fresh);
    } finally {
      fresh.dispose();
    }
  } else {
    throw new DyncRuntimeError("RUN040", "relative_change needs the initial weights: measure it `at start` too");
  }
  initialByModel.set(model, initial);
  return initial;
}

/** RD per seed of the named parameters: √Σ(θ − θ₀)² / √Σθ₀², sums in float64. */
export function relativeChange(model: Model, initial: ReadonlyMap<string, Float32Array>, names: readonly string[]): Float64Array {
  const S = model.seeds;
  const diff = new Float64Array(S);
  const base = new Float64Array(S);
  for (const name of names) {
    const now = model.params.find((p) => p.name === name)!.variable.dataSync() as Float32Array;
    const then = initial.get(name)!;
    const size = now.length / S;
    for (let s = 0; s < S; s++) {
      for (let i = s * size; i < (s + 1) * size; i++) {
        diff[s]! += (now[i]! - then[i]!) ** 2;
        base[s]! += then[i]! ** 2;
      }
    }
  }
  return diff.map((d, s) => Math.sqrt(d) / Math.sqrt(base[s]!));
}

/** The probe: RD of hidden layer `layer`'s weight (and bias, unless `bias: false`), per seed. */
export const relativeChangeProbe: ProbeFn = (args, ctx, env) => {
  const model = env.model(args);
  const layer = hiddenLayerName(model, args["layer"] ?? 0);
  const names = [`${layer}.weight`, ...(boolOption(args, "bias", true) && model.params.some((p) => p.name === `${layer}.bias`) ? [`${layer}.bias`] : [])];
  return relativeChange(model, initialParams(model, ctx.step), names);
};
