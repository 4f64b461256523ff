/**
 * The probes that take a pair sampler: `hamming` (activation-pattern distance, P3) and
 * `gradient_confusion` (cosine of per-example gradients, P5). Both draw their pairs once in `setup` (./draw.ts)
 * and compare the same pairs at every measurement; the math is the regions family's patterns
 * (stdlib/regions/patterns.ts) and the confusion family's pair gradients (stdlib/confusion/pair-gradients.ts).
 */
import { pairGradientCosines } from "../confusion/pair-gradients.js";
import { defineProbe } from "../probes/define.js";
import { activationPatterns, hammingDistances } from "../regions/patterns.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { drawPairs, pairRows } from "./draw.js";
import * as entries from "./entries.js";

/** Mean and sample standard deviation (n − 1; 0 for one value) in float64. */
export function meanStd(values: Float64Array): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0 };
}

/** Seed indices not measured at this call keep NaN (event-triggered probes measure some seeds only). */
function perSeed(seeds: number, ctx: ProbeContext, value: (s: number) => number): Float64Array {
  const out = new Float64Array(seeds).fill(NaN);
  for (const s of ctx.seedIndices) out[s] = value(s);
  return out;
}

export const hammingProbe = defineProbe(entries.hamming, {
  setup({ model, data, pairs, layers, normalize }, run) {
    // Patterns are measured only at the rows some seed's pairs touch, renumbered once here.
    const { rows, local } = pairRows(drawPairs(pairs, data, run));
    return {
      measure(ctx) {
        const patterns = activationPatterns(model, data, layers, rows);
        const stats = patterns.map((p, s) => {
          const distances = hammingDistances(p, local[s]!.i, local[s]!.j);
          if (normalize) for (let k = 0; k < distances.length; k++) distances[k]! /= p.units;
          return meanStd(distances);
        });
        return {
          kind: "fields",
          fields: { mean: perSeed(model.seeds, ctx, (s) => stats[s]!.mean), std: perSeed(model.seeds, ctx, (s) => stats[s]!.std) },
        };
      },
      // The pairs come from the run's own seeded stream at setup: a resumed run draws the same, nothing to save.
      save: () => null,
      restore: () => {},
    };
  },
});

export const gradientConfusionProbe = defineProbe(entries.gradientConfusion, {
  setup({ model, data, pairs }, run) {
    const drawn = drawPairs(pairs, data, run);
    return {
      measure(ctx) {
        const cosines = pairGradientCosines(model, data, run.loss, drawn);
        const value = cosines.map((c, s) => (ctx.seedIndices.includes(s) ? c : undefined));
        return { kind: "indexed", dim: "pair" as const, fields: { value } };
      },
      // As for hamming: the pairs are drawn again, identically, when the resumed run sets up.
      save: () => null,
      restore: () => {},
    };
  },
});
