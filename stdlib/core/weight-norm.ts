/** `weight_norm(model)`: the Euclidean norm of all parameters. */
import type { Model } from "../../contract/model.js";
import { defineProbe } from "../probes/define.js";
import * as entries from "./entries.js";

/** ‖θ‖₂ over every parameter of the model (weights, biases, batch-norm scales and shifts), per seed. */
export const weightNormProbe = defineProbe(entries.weightNorm, { measure: ({ model }) => parameterNorm(model) });

/** Per seed: √(Σ θ²) over all of `model.params`, summed in float64. */
export function parameterNorm(model: Model): Float64Array {
  const S = model.seeds;
  const squares = new Float64Array(S);
  for (const p of model.params) {
    const values = p.variable.dataSync();
    const perSeed = values.length / S;
    for (let s = 0; s < S; s++) {
      for (let i = s * perSeed; i < (s + 1) * perSeed; i++) squares[s]! += values[i]! * values[i]!;
    }
  }
  return squares.map(Math.sqrt);
}
