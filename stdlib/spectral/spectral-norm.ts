/**
 * `spectral_norm(net)`: σ_max of every weight matrix, output layer included, biases excluded (Lazzari & Liu
 * P10; the authors take torch.linalg.svd of each nn.Linear weight). A conv kernel counts as its
 * (k·k·C_in) × C_out matrix. Lanczos (numerics/eigen.ts) in float64 on each seed's weights, warm-started
 * from the singular vector of the previous call (weights move little between calls).
 */
import type { LayerView, Model } from "../../contract/model.js";
import { largestSingularValue } from "../../numerics/eigen.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { defineProbe } from "../probes/define.js";
import * as entries from "./entries.js";

/** The layers with a weight matrix, in forward order: dense and conv layers, the output layer last. */
export function weightedLayers(model: Model): LayerView[] {
  return model.layers.filter((l) => l.weight !== undefined && (l.kind === "dense" || l.kind === "conv"));
}

/** A weight `[S, …, fanOut]` as per-seed fanIn × fanOut row-major float32 blocks (a conv kernel reshaped). */
function seedMatrices(view: LayerView, seeds: number): { rows: number; cols: number; perSeed: Float32Array[] } {
  const shape = view.weight!.variable.shape;
  const cols = shape[shape.length - 1]!;
  const all = view.weight!.variable.dataSync() as Float32Array;
  const size = all.length / seeds;
  return { rows: size / cols, cols, perSeed: Array.from({ length: seeds }, (_, s) => all.subarray(s * size, (s + 1) * size)) };
}

/** σ_max of layer `view`'s weight per seed index (NaN for seeds not asked), updating the warm starts `starts[s]`. */
export function layerSpectralNorms(view: LayerView, seeds: number, seedIndices: readonly number[], iters: number, tol: number, starts: (Float64Array | undefined)[]): Float64Array {
  const { rows, cols, perSeed } = seedMatrices(view, seeds);
  const sigma = new Float64Array(seeds).fill(NaN);
  for (const s of seedIndices) {
    const top = largestSingularValue(perSeed[s]!, rows, cols, iters, tol, starts[s]);
    sigma[s] = top.sigma;
    starts[s] = top.vector;
  }
  return sigma;
}

export const spectralNormProbe = defineProbe(entries.spectralNorm, {
  setup: ({ model, iters, tol }) => {
    const layers = weightedLayers(model);
    // Per layer, per seed index: the right singular vector of the previous call.
    const starts = layers.map(() => new Array<Float64Array | undefined>(model.seeds));
    return {
      measure: (ctx) => {
        const perLayer = layers.map((view, k) => layerSpectralNorms(view, model.seeds, ctx.seedIndices, iters, tol, starts[k]!));
        const sigma = Array.from({ length: model.seeds }, (_, s) => (ctx.seedIndices.includes(s) ? Float64Array.from(perLayer, (values) => values[s]!) : undefined));
        return { kind: "indexed" as const, dim: "layer" as const, fields: { sigma } };
      },
      // The warm starts change the iterates' rounding: a resumed run must start from the same vectors.
      save: () => starts.map((perSeed) => perSeed.map((v) => v ?? null)),
      restore(state) {
        const saved = state as readonly (readonly (Float64Array | null)[])[];
        if (!Array.isArray(saved) || saved.length !== starts.length || saved.some((perSeed) => !Array.isArray(perSeed) || perSeed.length !== model.seeds)) {
          throw new DyncRuntimeError("RUN032", "spectral_norm: the checkpoint's warm starts do not fit this model");
        }
        saved.forEach((perSeed, k) => perSeed.forEach((v: Float64Array | null, s: number) => (starts[k]![s] = v instanceof Float64Array ? Float64Array.from(v) : undefined)));
      },
    };
  },
});
