/**
 * `hessian_trace` (Hutchinson's estimator) and `hessian_density` (stochastic Lanczos quadrature), after
 * PyHessian: both on the seed-batched Hessian-vector product of ./operator.ts, random vectors drawn per seed
 * from `new Rng(seed).fork(probe name).fork("call c")`, so a run's draws do not depend on other probes and
 * a resumed run (the call count is its state) draws the same ones.
 */
import { Lanczos } from "../../numerics/lanczos.js";
import { lanczosKernels } from "../../runtime/kernels/lanczos-kernels.js";
import { Rng } from "../../runtime/rng.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { defineProbe, type ProbeState } from "../probes/define.js";
import * as entries from "./entries.js";
import { randomUnitVector } from "./hessian.js";
import { HessianOperator, subsetRows } from "./operator.js";

/** Fewest vectors before `tol` may stop the trace estimate (the standard error of fewer is itself unreliable). */
const MIN_TRACE_VECTORS = 10;

/** Per seed: the Hutchinson mean of zᵀHz and its standard error. */
export function hutchinsonTrace(op: HessianOperator, vectors: number, tol: number, rngs: readonly Rng[]): { trace: Float64Array; stderr: Float64Array } {
  const sums = new Float64Array(op.seeds);
  const squares = new Float64Array(op.seeds);
  let n = 0;
  const stderr = (s: number): number => (n > 1 ? Math.sqrt(Math.max(0, squares[s]! / n - (sums[s]! / n) ** 2) * (n / (n - 1)) / n) : NaN);
  while (n < vectors) {
    const z = rngs.map((rng) => rademacher(rng, op.dim));
    const hz = op.apply(z);
    n++;
    z.forEach((zs, s) => {
      let q = 0;
      for (let i = 0; i < op.dim; i++) q += zs[i]! * hz[s]![i]!;
      sums[s]! += q;
      squares[s]! += q * q;
    });
    if (tol > 0 && n >= MIN_TRACE_VECTORS && Array.from(sums, (sum, s) => stderr(s) <= tol * Math.abs(sum / n)).every(Boolean)) break;
  }
  return { trace: sums.map((s) => s / n), stderr: Float64Array.from(sums, (_, s) => stderr(s)) };
}

/** Per seed: SLQ nodes and weights (weights summing to 1), `vectors`·`steps` of each, NaN/0 where Lanczos ran out of dimensions. */
export function spectralDensity(op: HessianOperator, vectors: number, steps: number, rngs: readonly Rng[]): { nodes: Float64Array[]; weights: Float64Array[] } {
  const nodes = rngs.map(() => new Float64Array(vectors * steps).fill(NaN));
  const weights = rngs.map(() => new Float64Array(vectors * steps));
  const kernels = lanczosKernels();
  for (let v = 0; v < vectors; v++) {
    const runs = rngs.map((rng) => new Lanczos(op.dim, randomUnitVector(op.dim, rng), kernels));
    for (let j = 0; j < steps && runs.some((r) => r.canStep); j++) {
      const hv = op.apply(runs.map((r) => (r.canStep ? r.vector() : new Float64Array(op.dim))));
      runs.forEach((r, s) => r.canStep && r.accept(hv[s]!));
    }
    runs.forEach((r, s) => {
      const q = r.quadrature();
      nodes[s]!.set(q.nodes, v * steps);
      weights[s]!.set(q.weights.map((w) => w / vectors), v * steps);
    });
  }
  return { nodes, weights };
}

/** Per-run call counter, the only state of the random-vector probes. */
function callCounter(name: string) {
  let calls = 0;
  return {
    next: () => calls++,
    save: (): ProbeState => ({ calls }),
    restore(state: ProbeState) {
      const saved = state as { calls?: unknown };
      if (typeof saved?.calls !== "number") throw new DyncRuntimeError("RUN032", `${name}: the checkpoint holds no call count`);
      calls = saved.calls;
    },
  };
}

export const hessianTraceProbe = defineProbe(entries.hessianTrace, {
  setup(args, run) {
    const rows = subsetRows(args.data.n, args, run.seeds, `${run.name}/subset`);
    const counter = callCounter(run.name);
    return {
      measure() {
        const call = counter.next();
        const op = new HessianOperator(args.model, args.data, run.loss, args, rows, run);
        try {
          const rngs = run.seeds.map((seed) => new Rng(seed).fork(run.name).fork(`call ${call}`));
          const { trace, stderr } = hutchinsonTrace(op, args.vectors, args.tol, rngs);
          return { kind: "fields" as const, fields: { value: trace, stderr } };
        } finally {
          op.dispose();
        }
      },
      save: counter.save,
      restore: counter.restore,
    };
  },
});

export const hessianDensityProbe = defineProbe(entries.hessianDensity, {
  setup(args, run) {
    const rows = subsetRows(args.data.n, args, run.seeds, `${run.name}/subset`);
    const counter = callCounter(run.name);
    return {
      measure() {
        const call = counter.next();
        const op = new HessianOperator(args.model, args.data, run.loss, args, rows, run);
        try {
          const rngs = run.seeds.map((seed) => new Rng(seed).fork(run.name).fork(`call ${call}`));
          const { nodes, weights } = spectralDensity(op, args.vectors, args.steps, rngs);
          return { kind: "indexed" as const, dim: "node" as const, fields: { value: nodes, weight: weights } };
        } finally {
          op.dispose();
        }
      },
      save: counter.save,
      restore: counter.restore,
    };
  },
});

/** `dim` random signs ±1, one uniform draw each (−1 below 1/2), drawn in bulk. */
function rademacher(rng: Rng, dim: number): Float64Array {
  const z = new Float64Array(dim);
  rng.uniforms(z);
  for (let i = 0; i < dim; i++) z[i] = z[i]! < 0.5 ? -1 : 1;
  return z;
}
