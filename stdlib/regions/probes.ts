/**
 * The probes over a data set's points: `activation_regions` (region count and dead units), `dead_units`
 * and `region_ids` (the region of every point, with its coordinates for `plot image`). All three read one
 * pattern set per seed from `activationPatterns`.
 */
import { tf } from "../../runtime/tf.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import * as entries from "./entries.js";
import { activationPatterns, deadUnits, type PatternSet, regionIds } from "./patterns.js";

/** Input columns recorded by `region_ids` (`x0`…`x3`), as `outputs` records them. */
const MAX_COORDS = 4;

/** A value per seed index: `f(patterns)` for measured seeds, NaN for the others. */
function perSeed(sets: readonly PatternSet[], ctx: ProbeContext, f: (p: PatternSet) => number): Float64Array {
  return Float64Array.from(sets, (p, s) => (ctx.seedIndices.includes(s) ? f(p) : NaN));
}

export const activationRegionsProbe = defineProbe(entries.activationRegions, {
  measure({ model, data, layers }, ctx) {
    const sets = activationPatterns(model, data, layers, null);
    return { kind: "fields", fields: { count: perSeed(sets, ctx, (p) => regionIds(p).count), dead: perSeed(sets, ctx, (p) => deadUnits(p)) } };
  },
});

export const deadUnitsProbe = defineProbe(entries.deadUnits, {
  measure({ model, data, layers }, ctx) {
    return perSeed(activationPatterns(model, data, layers, null), ctx, (p) => deadUnits(p));
  },
});

export const regionIdsProbe = defineProbe(entries.regionIds, {
  measure({ model, data, layers }, ctx) {
    const sets = activationPatterns(model, data, layers, null);
    const coords = inputColumns(data, Math.min(MAX_COORDS, data.xShape.reduce((a, b) => a * b, 1)));
    const measured = (f: (s: number) => Float64Array) => sets.map((_, s) => (ctx.seedIndices.includes(s) ? f(s) : undefined));
    const fields: { [K in (typeof entries.regionIds.result.fields)[number]]?: (Float64Array | undefined)[] } = {
      region: measured((s) => Float64Array.from(regionIds(sets[s]!).ids)),
    };
    coords.forEach((column, c) => (fields[`x${c}` as "x0"] = measured((s) => column[s]!)));
    return { kind: "indexed", dim: "point" as const, fields };
  },
});

/** The first `cols` input columns of every row, per seed index: `columns[c][s]`, float64. */
function inputColumns(data: EvalData, cols: number): Float64Array[][] {
  const d = data.xShape.reduce((a, b) => a * b, 1);
  const S = data.seeds;
  const out = Array.from({ length: cols }, () => Array.from({ length: S }, () => new Float64Array(data.n)));
  for (const range of data.chunks()) {
    const x = tf.tidy(() => tf.reshape(data.rows(range).x, [S, range.count, d]));
    const values = x.dataSync();
    x.dispose();
    for (let s = 0; s < S; s++) {
      for (let r = 0; r < range.count; r++) for (let c = 0; c < cols; c++) out[c]![s]![range.start + r] = values[(s * range.count + r) * d + c]!;
    }
  }
  return out;
}
