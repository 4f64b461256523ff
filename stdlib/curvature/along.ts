/**
 * Probes along another probe's Hessian eigenvector v (read from the run's board, ./eigen-board.ts):
 * `curvature` vᵀHv / vᵀv on a data set, `eigen_share` ‖v_ℓ‖² / ‖v‖² per layer, `project` ⟨θ_t, v⟩ and
 * `step_along` |⟨θ_t − θ_prev, v⟩|. Every value is NaN for a seed without a vector (before the `hessian`
 * probe's first call, or an `index` beyond what it measured). Sums are float64 JS.
 */
import type { Model } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { defineProbe, type ProbeRun } from "../probes/define.js";
import { latestEigenpairs, paramLayout, type ParamSlice } from "./eigen-board.js";
import * as entries from "./entries.js";
import { HessianOperator, subsetRows } from "./operator.js";

/** Seed s's vector `index` of probe `along`, or undefined when it has none (yet). */
function eigenvectors(run: ProbeRun, model: Model, along: { ref: string }, index: number): (Float64Array | undefined)[] {
  const pairs = latestEigenpairs(run, along.ref);
  const dim = paramLayout(model).reduce((a, p) => a + p.size, 0);
  return run.seeds.map((_, s) => {
    const v = pairs?.vectors[s]?.[index];
    if (v && v.length !== dim) throw new DyncRuntimeError("RUN040", `${run.name}: probe "${along.ref}" measured eigenvectors of ${v.length} parameters, but this probe's model has ${dim}`, "measure both on the same model");
    return v;
  });
}

/** The parameters per seed index, flat over `model.params` in order (the board's layout), float64. */
export function flatParameters(model: Model): Float64Array[] {
  const layout = paramLayout(model);
  const dim = layout.reduce((a, p) => a + p.size, 0);
  const out = Array.from({ length: model.seeds }, () => new Float64Array(dim));
  model.params.forEach((p, i) => {
    const { offset, size } = layout[i]!;
    const values = p.variable.dataSync();
    out.forEach((theta, s) => {
      for (let k = 0; k < size; k++) theta[offset + k] = values[s * size + k]!;
    });
  });
  return out;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/** ‖v_ℓ‖² / ‖v‖² for each layer with parameters, in the order its first parameter appears. */
export function layerShares(v: Float64Array, layout: readonly ParamSlice[], layerOf: readonly string[]): Float64Array {
  const layers = [...new Set(layerOf)];
  const mass = new Float64Array(layers.length);
  layout.forEach((slice, i) => {
    const l = layers.indexOf(layerOf[i]!);
    for (let k = slice.offset; k < slice.offset + slice.size; k++) mass[l]! += v[k]! * v[k]!;
  });
  const total = mass.reduce((a, b) => a + b, 0);
  return mass.map((m) => m / total);
}

/** `curvature(model, data, along: h)`: vᵀHv / vᵀv per seed, one Hessian-vector product. */
export const curvatureProbe = defineProbe(entries.curvature, {
  setup(args, run) {
    const rows = subsetRows(args.data.n, args, run.seeds, `${run.name}/subset`);
    return {
      measure: () => {
        const vs = eigenvectors(run, args.model, args.along, args.index);
        if (vs.every((v) => v === undefined)) return Float64Array.from(vs, () => NaN);
        const op = new HessianOperator(args.model, args.data, run.loss, { samples: args.samples, subset: args.subset, batch: args.batch, bn: args.bn, hvp: args.hvp }, rows, run);
        try {
          const hv = op.apply(vs.map((v) => v ?? new Float64Array(op.dim)));
          return Float64Array.from(vs, (v, s) => (v ? dot(v, hv[s]!) / dot(v, v) : NaN));
        } finally {
          op.dispose();
        }
      },
      // The random subset is redrawn from the seed: nothing to save.
      save: () => null,
      restore: () => {},
    };
  },
});

/** `eigen_share(model, along: h)`: each layer's share of the eigenvector's squared norm. */
export const eigenShareProbe = defineProbe(entries.eigenShare, {
  measure(args, _ctx, run) {
    const layout = paramLayout(args.model);
    const layerOf = args.model.params.map((p) => p.layer);
    const layers = new Set(layerOf).size;
    const value = eigenvectors(run, args.model, args.along, args.index).map((v) => (v ? layerShares(v, layout, layerOf) : new Float64Array(layers).fill(NaN)));
    return { kind: "indexed" as const, dim: "layer" as const, fields: { value } };
  },
});

/** `project(model, along: h)`: ⟨θ_t, v⟩ per seed. */
export const projectProbe = defineProbe(entries.project, {
  measure(args, _ctx, run) {
    const vs = eigenvectors(run, args.model, args.along, args.index);
    const theta = flatParameters(args.model);
    return Float64Array.from(vs, (v, s) => (v ? dot(theta[s]!, v) / Math.sqrt(dot(v, v)) : NaN));
  },
});

/** `step_along(model, along: h)`: |⟨θ_t − θ_prev, v⟩| per seed; the previous call's θ is the probe's state. */
export const stepAlongProbe = defineProbe(entries.stepAlong, {
  setup(args, run) {
    let previous: Float64Array[] | null = null;
    return {
      measure: () => {
        const theta = flatParameters(args.model);
        const vs = eigenvectors(run, args.model, args.along, args.index);
        const result = Float64Array.from(vs, (v, s) => {
          if (!v || !previous) return NaN;
          let d = 0;
          for (let k = 0; k < v.length; k++) d += (theta[s]![k]! - previous[s]![k]!) * v[k]!;
          return Math.abs(d) / Math.sqrt(dot(v, v));
        });
        previous = theta;
        return result;
      },
      save: () => ({ previous }),
      restore: (state) => {
        const saved = (state as { previous?: Float64Array[] | null } | null)?.previous;
        if (saved === undefined) throw new DyncRuntimeError("RUN032", `${run.name}: the checkpoint holds no step_along state`);
        const dim = paramLayout(args.model).reduce((a, p) => a + p.size, 0);
        if (saved !== null && (saved.length !== args.model.seeds || saved.some((t) => t.length !== dim))) {
          throw new DyncRuntimeError("RUN032", `${run.name}: the checkpoint's parameters do not fit this model's ${dim} parameters`);
        }
        previous = saved;
      },
    };
  },
});
