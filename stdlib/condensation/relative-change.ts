/**
 * `relative_change(net, layer: 0)`: RD = ‖θ_w(t) − θ_w(0)‖/‖θ_w(0)‖ of a hidden layer's input weights (bias
 * included by default), the order parameter of the phase diagram (Luo et al. 2021; notes P4).
 *
 * θ_w(0) is copied when the probe is set up, before the run's first step, so the probe needs no
 * `at start` cadence.
 */
import type { Model, Param } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { defineProbe } from "../probes/define.js";
import { hiddenLayer } from "../probes/layers.js";
import * as entries from "./entries.js";

/** A parameter's values now, copied off the backend. */
function copyValues(p: Param): Float32Array {
  return Float32Array.from(p.variable.dataSync() as Float32Array);
}

/** RD per seed of the given parameters against their initial values: √Σ(θ − θ₀)² / √Σθ₀², sums in float64. */
export function relativeChange(model: Model, params: readonly { readonly param: Param; readonly initial: Float32Array }[]): Float64Array {
  const S = model.seeds;
  const diff = new Float64Array(S);
  const base = new Float64Array(S);
  for (const { param, initial: then } of params) {
    const now = param.variable.dataSync() as Float32Array;
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
export const relativeChangeProbe = defineProbe(entries.relativeChange, {
  setup({ model, layer, bias }) {
    const view = hiddenLayer(model, layer);
    const params = [view.weight!, ...(bias && view.bias ? [view.bias] : [])].map((param) => ({ param, initial: copyValues(param) }));
    return {
      measure: () => relativeChange(model, params),
      // θ_w(0) is this probe's only state: a resumed run must compare against the initial weights, not the checkpoint's.
      save: () => params.map((p) => p.initial),
      restore(state) {
        const saved = state as readonly Float32Array[];
        if (!Array.isArray(saved) || saved.length !== params.length || saved.some((a, i) => !(a instanceof Float32Array) || a.length !== params[i]!.initial.length)) {
          throw new DyncRuntimeError("RUN032", "relative_change: the checkpoint's initial weights do not fit this layer");
        }
        params.forEach((p, i) => p.initial.set(saved[i]!));
      },
    };
  },
});
