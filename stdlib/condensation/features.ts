/**
 * `neuron_features(net, layer: 0)`: per neuron, orientation, amplitude and kink position (condensation
 * notes P1/P2). Orientation in 1-D is the angle φₖ = atan2(bₖ, wₖ) ∈ [−π, π) (atan2, not arctan(b/w), so
 * ±w stay apart); with more inputs it is the projection Iₖ = ŵₖ·p on p = 1/√n (or a given vector).
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import { hypotOf } from "../../numerics/hypot.js";
import { portableMath } from "../../numerics/portable-math.js";
import { defineProbe } from "../probes/define.js";
import * as entries from "./entries.js";
import { type LayerNeurons, layerNeurons, rowNorm } from "./layer.js";

/** Per-neuron features of one seed's layer. */
export interface NeuronFeatures {
  readonly angle: Float64Array;
  readonly amplitude: Float64Array;
  readonly kink: Float64Array;
}

/** φ = atan2(b, w) folded into [−π, π) (atan2 gives (−π, π]). */
export function orientationAngle(w: number, b: number): number {
  const phi = portableMath.atan2(b, w);
  return phi === Math.PI ? -Math.PI : phi;
}

/** The unit projection vector: `p` normalised, or 1/√n in every component. */
function projectionVector(dim: number, p: readonly number[] | null): Float64Array {
  if (p && p.length !== dim) {
    throw new DyncRuntimeError("RUN040", `project has ${p.length} components but the neuron vectors have ${dim}`, "neuron vectors include the bias unless bias: false");
  }
  const v = p ? Float64Array.from(p) : new Float64Array(dim).fill(1);
  const norm = hypotOf(v);
  if (!(norm > 0)) throw new DyncRuntimeError("RUN040", "project must be a non-zero vector");
  return v.map((x) => x / norm);
}

/**
 * Features of every neuron: amplitude Aₖ = ‖aₖ‖·‖wₖ‖ (aₖ the output weights), orientation (angle in 1-D
 * with the bias, else projection ŵₖ·p), kink −bₖ/wₖ in 1-D (NaN otherwise). Zero vectors get NaN orientation.
 */
export function neuronFeatures(layer: LayerNeurons, project: readonly number[] | null = null): NeuronFeatures {
  const { m, dim, vectors, outWeights, outDim, inDim } = layer;
  const angle = new Float64Array(m);
  const amplitude = new Float64Array(m);
  const kink = new Float64Array(m).fill(NaN);
  const planar = inDim === 1 && dim === 2 && project === null;
  const p = planar ? undefined : projectionVector(dim, project);
  for (let k = 0; k < m; k++) {
    const norm = rowNorm(vectors, k, dim);
    amplitude[k] = rowNorm(outWeights, k, outDim) * norm;
    if (planar) {
      const w = vectors[k * 2]!;
      const b = vectors[k * 2 + 1]!;
      angle[k] = norm > 0 ? orientationAngle(w, b) : NaN;
      kink[k] = w !== 0 ? -b / w : NaN;
    } else {
      let dot = 0;
      for (let i = 0; i < dim; i++) dot += vectors[k * dim + i]! * p![i]!;
      angle[k] = norm > 0 ? dot / norm : NaN;
      if (inDim === 1 && vectors[k * dim]! !== 0 && dim === 2) kink[k] = -vectors[k * dim + 1]! / vectors[k * dim]!;
    }
  }
  return { angle, amplitude, kink };
}

/** The probe: per seed and neuron, fields angle, amplitude, kink. */
export const neuronFeaturesProbe = defineProbe(entries.neuronFeatures, { measure: ({ model, layer, bias, project }, ctx) => {
  const layers = layerNeurons(model, layer, bias);
  const fields: Record<keyof NeuronFeatures, (Float64Array | undefined)[]> = { angle: [], amplitude: [], kink: [] };
  layers.forEach((layer, s) => {
    const measured = ctx.seedIndices.includes(s);
    const f = measured ? neuronFeatures(layer, project) : undefined;
    fields.angle.push(f?.angle);
    fields.amplitude.push(f?.amplitude);
    fields.kink.push(f?.kink);
  });
  return { kind: "indexed", dim: "neuron" as const, fields };
} });
