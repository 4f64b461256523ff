/**
 * `hessian(model, data, k)` and `sharpness(model, data)`: the top-k eigenpairs of the Hessian of the run's
 * loss, per seed, by Lanczos (default) or power iteration on the seed-batched Hessian-vector product
 * (./operator.ts); the iterations themselves are float64 JS (numerics/lanczos.ts), their reorthogonalisation native
 * or wasm SIMD where those serve (runtime/kernels/lanczos-kernels.ts). Both keep per-run state —
 * the last call's eigenvectors, from which the next call starts (`warm`) — checkpointed with `save`/`restore`,
 * and publish the eigenpairs on the run's board for later probes (./eigen-board.ts).
 */
import type { Model } from "../../contract/model.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { LossKind } from "../../runtime/loss.js";
import { lanczosKernels } from "../../runtime/kernels/lanczos-kernels.js";
import { Rng } from "../../runtime/rng.js";
import { axpy, Lanczos, norm, PowerIteration } from "../../numerics/lanczos.js";
import { defineProbe, type ProbeArgs, type ProbeRun, type ProbeState } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import { paramLayout, publishEigenpairs, type HessianEigenpairs } from "./eigen-board.js";
import * as entries from "./entries.js";
import { HessianOperator, subsetRows, type HvpOptions } from "./operator.js";

/** How the eigenpairs are found. */
export interface EigenOptions {
  readonly k: number;
  readonly method: "lanczos" | "power";
  /** Largest number of products (power iteration: per eigenpair). */
  readonly iters: number;
  /** Relative error bound at which an eigenvalue counts as converged. */
  readonly tol: number;
}

/** The top-k eigenpairs per seed index; values NaN (and no vector) beyond the Hessian's dimension. */
export interface Eigenpairs {
  readonly values: Float64Array[];
  readonly vectors: Float64Array[][];
  /** Products each seed took. */
  readonly steps: Int32Array;
}

/** The weight of the random part of a warm start (the previous eigenvectors' sum has norm 1). */
const WARM_NOISE = 0.3;

/**
 * Top-k eigenpairs of every seed's Hessian block. `start(s, i)` gives seed s's start vector (Lanczos: i = 0
 * only; power iteration: one per eigenpair). Every product advances every unfinished seed.
 */
export function topEigenpairs(op: HessianOperator, options: EigenOptions, start: (s: number, i: number) => Float64Array): Eigenpairs {
  const seeds = op.seeds;
  const k = Math.min(options.k, op.dim);
  const steps = new Int32Array(seeds);
  let pairs: { value: number; vector: Float64Array }[][];
  const kernels = lanczosKernels();
  if (options.method === "lanczos") {
    const runs = Array.from({ length: seeds }, (_, s) => new Lanczos(op.dim, start(s, 0), kernels));
    const active = runs.map(() => true);
    const converged = (run: Lanczos): boolean => {
      if (!run.canStep) return true;
      if (run.steps < k) return false;
      const ritz = run.ritz(k, false);
      // Float32 products carry noise of ~1e-6 of the largest eigenvalue: residuals below that mean converged.
      const floor = 1e-6 * Math.max(...ritz.map((p) => Math.abs(p.value)));
      return ritz.every((p) => p.residual <= options.tol * Math.abs(p.value) + floor);
    };
    for (let product = 0; product < options.iters && active.includes(true); product++) {
      const hv = op.apply(runs.map((r, s) => (active[s] ? r.vector() : new Float64Array(op.dim))));
      runs.forEach((r, s) => {
        if (!active[s]) return;
        r.accept(hv[s]!);
        steps[s] = r.steps;
        active[s] = !converged(r);
      });
    }
    pairs = runs.map((r) => r.ritz(k, true));
  } else {
    const runs = Array.from({ length: seeds }, (_, s) => new PowerIteration(op.dim, k, options.iters, options.tol, (i) => start(s, i), true, kernels));
    while (runs.some((r) => !r.done)) {
      const hv = op.apply(runs.map((r) => (r.done ? new Float64Array(op.dim) : r.vector())));
      runs.forEach((r, s) => {
        if (r.done) return;
        r.accept(hv[s]!);
        steps[s] = r.steps;
      });
    }
    pairs = runs.map((r) => [...r.found].sort((a, b) => b.value - a.value));
  }
  return {
    values: pairs.map((p) => Float64Array.from({ length: options.k }, (_, i) => p[i]?.value ?? NaN)),
    vectors: pairs.map((p) => p.map((x) => x.vector)),
    steps,
  };
}

/** A unit Gaussian vector from `rng`. */
export function randomUnitVector(dim: number, rng: Rng): Float64Array {
  const v = new Float64Array(dim);
  rng.normals(v);
  const size = norm(v);
  return v.map((x) => x / size);
}

/** The knobs of one eigen-probe (`hessian` or `sharpness`): the product's and the iteration's. */
type EigenArgs = ProbeArgs<typeof entries.sharpness>;

/** Per-run state of an eigen-probe: calls so far and the last call's eigenpairs (warm start, board). */
class EigenProbe {
  private calls = 0;
  private last: HessianEigenpairs | undefined;
  private readonly rows: Int32Array[];

  constructor(
    private readonly args: EigenArgs,
    private readonly k: number,
    private readonly run: ProbeRun,
  ) {
    this.rows = subsetRows(args.data.n, args, run.seeds, `${run.name}/subset`);
  }

  measure(step: number): Eigenpairs {
    const { model, data, method, iters, tol, warm } = this.args;
    const op = new HessianOperator(model, data, this.run.loss, hvpOptions(this.args), this.rows, this.run);
    let result: Eigenpairs;
    try {
      const call = this.calls;
      const fresh = this.run.seeds.map((seed) => new Rng(seed).fork(this.run.name).fork(`start ${call}`));
      result = topEigenpairs(op, { k: this.k, method, iters, tol }, (s, i) => {
        const noise = randomUnitVector(op.dim, fresh[s]!);
        const previous = warm ? this.last?.vectors[s] : undefined;
        if (!previous || previous.length === 0) return noise;
        // Lanczos: one start for every pair (their sum); power iteration: pair i's own previous vector.
        const start = new Float64Array(op.dim);
        const from = method === "lanczos" ? previous : previous.slice(i, i + 1);
        for (const v of from) axpy(start, v, 1 / Math.sqrt(from.length));
        axpy(start, noise, WARM_NOISE);
        return start;
      });
    } finally {
      op.dispose();
    }
    this.calls++;
    this.last = { kind: "hessian-eigenpairs", probe: this.run.name, step, values: result.values, vectors: result.vectors, layout: paramLayout(model) };
    publishEigenpairs(this.run, this.last);
    return result;
  }

  save(): ProbeState {
    return { calls: this.calls, last: this.last ? { step: this.last.step, values: this.last.values, vectors: this.last.vectors } : null };
  }

  restore(state: ProbeState): void {
    const saved = state as { calls: number; last: { step: number; values: Float64Array[]; vectors: Float64Array[][] } | null };
    if (typeof saved?.calls !== "number") throw new DyncRuntimeError("RUN032", `${this.run.name}: the checkpoint holds no eigen-probe state`);
    this.calls = saved.calls;
    if (saved.last) {
      const dims = paramLayout(this.args.model).reduce((a, p) => a + p.size, 0);
      if (saved.last.vectors.some((vs) => vs.some((v) => v.length !== dims))) {
        throw new DyncRuntimeError("RUN032", `${this.run.name}: the checkpoint's eigenvectors do not fit this model's ${dims} parameters`);
      }
      this.last = { kind: "hessian-eigenpairs", probe: this.run.name, ...saved.last, layout: paramLayout(this.args.model) };
      publishEigenpairs(this.run, this.last);
    }
  }
}

function hvpOptions(args: { samples: number | null; subset: HvpOptions["subset"]; batch: number | null; bn: HvpOptions["bn"]; hvp: HvpOptions["hvp"] }): HvpOptions {
  return { samples: args.samples, subset: args.subset, batch: args.batch, bn: args.bn, hvp: args.hvp };
}

/** The probe: `hessian(model, data, k: 1, method: lanczos, iters: 100, tol: 1e-3, …)`, eigenvalues along `eigenvalue`. */
export const hessianProbe = defineProbe(entries.hessian, {
  setup(args, run) {
    const probe = new EigenProbe(args, args.k, run);
    return {
      measure: (ctx) => ({ kind: "indexed" as const, dim: "eigenvalue" as const, fields: { value: probe.measure(ctx.step).values } }),
      save: () => probe.save(),
      restore: (state) => probe.restore(state),
    };
  },
});

/** The probe: `sharpness(model, data, …)`, the top eigenvalue per seed (`hessian` with k = 1). */
export const sharpnessProbe = defineProbe(entries.sharpness, {
  setup(args, run) {
    const probe = new EigenProbe(args, 1, run);
    return {
      measure: (ctx) => Float64Array.from(probe.measure(ctx.step).values, (v) => v[0]!),
      save: () => probe.save(),
      restore: (state) => probe.restore(state),
    };
  },
});

/** Options of a direct call (API and tests): the probe's knobs with their defaults filled in. */
export interface HessianCallOptions extends Partial<EigenOptions>, Partial<HvpOptions> {
  /** Seed value per seed index (start vectors and a random subset come from them). */
  readonly seeds: readonly number[];
}

/** The top-k eigenpairs of the Hessian of `loss` on `data`, per seed, from a random start (no probe state). */
export function hessianEigenpairs(model: Model, data: EvalData, loss: LossKind, options: HessianCallOptions): Eigenpairs {
  if (options.seeds.length !== model.seeds) throw new DyncRuntimeError("RUN040", `got ${options.seeds.length} seed values for a model of ${model.seeds} seeds`);
  const hvp: HvpOptions = { samples: options.samples ?? null, subset: options.subset ?? "spaced", batch: options.batch ?? null, bn: options.bn ?? "batch", hvp: options.hvp ?? "exact" };
  const op = new HessianOperator(model, data, loss, hvp, subsetRows(data.n, hvp, options.seeds, "hessian/subset"), "hessian");
  try {
    const eigen: EigenOptions = { k: options.k ?? 1, method: options.method ?? "lanczos", iters: options.iters ?? 100, tol: options.tol ?? 1e-3 };
    return topEigenpairs(op, eigen, (s) => randomUnitVector(op.dim, new Rng(options.seeds[s]!).fork("hessian").fork("start")));
  } finally {
    op.dispose();
  }
}
