/**
 * The feature-diversity probes: `feature_cosine` and `feature_gradient_cosine` (per-row vectors from
 * ./rows.ts, pairwise means from ./cosines.ts) and `gate_agreement` (the regions family's patterns and
 * Hamming distances over the sampling family's pairs). Every result is indexed by `layer`: entry k of the
 * `layers` argument.
 */
import type { Model } from "../../contract/model.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import { activationPatterns, hammingDistances, selectLayers } from "../regions/patterns.js";
import { drawPairs, pairRows } from "../sampling/draw.js";
import { classLabels, sampleRows } from "../sampling/rows.js";
import { DirectionSums, type PairKind } from "./cosines.js";
import * as entries from "./entries.js";
import { rowPasses, type RowVectors, vectorWidths } from "./rows.js";

/** Per seed index and selected layer, the float64 direction sums of every row's vector (one pass over the data). */
export function directionSums(model: Model, data: EvalData, layers: readonly number[] | null, pairs: PairKind, what: RowVectors): DirectionSums[][] {
  const selected = selectLayers(model, layers);
  const labels = pairs === "all" ? null : Array.from({ length: model.seeds }, (_, s) => classLabels(sampleRows(data.hostSet(s)), `pairs: ${pairs}`));
  const widths = vectorWidths(model, data, selected, what);
  const sums = Array.from({ length: model.seeds }, () => widths.map((w) => new DirectionSums(w)));
  for (const { range, values } of rowPasses(model, data, selected, what, widths)) {
    values.forEach((layerValues, l) => {
      const w = widths[l]!;
      for (let s = 0; s < model.seeds; s++) {
        for (let r = 0; r < range.count; r++) sums[s]![l]!.add(layerValues, (s * range.count + r) * w, labels ? labels[s]![range.start + r]! : 0);
      }
    });
  }
  return sums;
}

/** The indexed result over `layer`: per measured seed, one value per selected layer. */
function perLayer(seeds: number, ctx: ProbeContext, value: (s: number) => Float64Array): (Float64Array | undefined)[] {
  return Array.from({ length: seeds }, (_, s) => (ctx.seedIndices.includes(s) ? value(s) : undefined));
}

function cosineResult(model: Model, ctx: ProbeContext, sums: DirectionSums[][], pairs: PairKind) {
  return {
    kind: "indexed" as const,
    dim: "layer" as const,
    fields: {
      cosine: perLayer(model.seeds, ctx, (s) => Float64Array.from(sums[s]!, (d) => d.meanCosine(pairs))),
      zero: perLayer(model.seeds, ctx, (s) => Float64Array.from(sums[s]!, (d) => d.zero)),
    },
  };
}

export const featureCosineProbe = defineProbe(entries.featureCosine, {
  measure({ model, data, layers, pairs }, ctx) {
    return cosineResult(model, ctx, directionSums(model, data, layers, pairs, { kind: "features" }), pairs);
  },
});

export const featureGradientCosineProbe = defineProbe(entries.featureGradientCosine, {
  measure({ model, data, layers, pairs }, ctx, run) {
    return cosineResult(model, ctx, directionSums(model, data, layers, pairs, { kind: "gradients", loss: run.loss, probe: entries.featureGradientCosine.name }), pairs);
  },
});

export const gateAgreementProbe = defineProbe(entries.gateAgreement, {
  setup({ model, data, pairs, layers }, run) {
    // Patterns are measured only at the rows some seed's pairs touch, renumbered once here (as `hamming`).
    const { rows, local } = pairRows(drawPairs(pairs, data, run));
    return {
      measure(ctx) {
        const patterns = activationPatterns(model, data, layers, rows);
        const agreement = perLayer(model.seeds, ctx, (s) => {
          const p = patterns[s]!;
          return Float64Array.from(p.layers, (span, l) => 1 - mean(hammingDistances(p, local[s]!.i, local[s]!.j, l)) / span.units);
        });
        return { kind: "indexed", dim: "layer" as const, fields: { agreement } };
      },
    };
  },
});

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length > 0 ? sum / values.length : Number.NaN;
}
