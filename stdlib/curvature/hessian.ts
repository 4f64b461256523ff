/**
 * `sharpness(model, data)`: the top eigenvalue of the Hessian of the training loss with respect to all of a
 * model's parameters, per seed, by power iteration on Hessian-vector products (as PyHessian does; Cohen et
 * al.'s edge-of-stability "sharpness").
 *
 * Seed batching: the parameters of seed s only reach seed s's loss, so the Hessian of the loss summed over
 * seeds is block diagonal with seed s's Hessian as block s. One HVP of the summed loss with a seed-batched
 * vector v = (v₀, …, v_{S−1}) is therefore (H₀v₀, …, H_{S−1}v_{S−1}): every seed's power iteration advances
 * in the same pass. HVPs are nested tf.grad through the model, whose activations have gradients written with
 * differentiable ops (tfjs's own second derivatives of tanh/sigmoid/exp are wrong). Cross-entropy is computed
 * here the same way (see `softmaxCrossEntropy`), since the runtime's loss goes through tf.logSumExp.
 */
import * as tf from "@tensorflow/tfjs-core";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { labelSmoothing, lossFunction, lossName, smoothTargets, type LossKind } from "../../runtime/loss.js";
import type { Model } from "../../contract/model.js";
import { Rng } from "../../runtime/rng.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import * as entries from "./entries.js";

/** Seed-rows per HVP pass when no physical batch is given (as EvalData's chunks): bounds activation memory. */
const DEFAULT_SEED_ROWS = 1 << 16;

export interface SharpnessOptions {
  /** Largest number of power iterations (HVPs). */
  readonly iters: number;
  /** Stop a seed once its eigenvalue estimate changes by less than tol·|λ| between iterations (0: never stop early). */
  readonly tol: number;
  /** Evaluate on this many evenly spaced rows of the data set (all rows when undefined or ≥ n). */
  readonly samples?: number;
  /** Rows per HVP pass (physical batch); the HVPs of the passes are summed, so the result does not depend on it. */
  readonly batch?: number;
  /** Seed value per seed index: seed s's start vector comes from `new Rng(seeds[s]).fork("sharpness")`. */
  readonly seeds: readonly number[];
}

export interface SharpnessResult {
  /** The top eigenvalue estimate per seed index. */
  readonly values: Float64Array;
  /** Power iterations each seed took (`iters` when it did not converge). */
  readonly iterations: Int32Array;
}

/** The probe: `sharpness(model, data, iters: 20, tol: 1e-3, samples: …, batch: …)`. */
export const sharpnessProbe = defineProbe(entries.sharpness, {
  measure: ({ model, data, iters, tol, samples, batch }, ctx, run) =>
    topHessianEigenvalue(model, data, run.loss, { iters, tol, samples: samples ?? undefined, batch: batch ?? undefined, seeds: ctx.seeds }).values,
});

/** Top Hessian eigenvalue of the mean loss of `model` on (a subset of) `data`, per seed, by power iteration. */
export function topHessianEigenvalue(model: Model, data: EvalData, loss: LossKind, options: SharpnessOptions): SharpnessResult {
  if (data.yDim === 0) {
    throw new DyncRuntimeError("RUN040", `sharpness needs targets, but data set "${data.name}" has none`, "give it a target: `-> f(x)`");
  }
  if (options.seeds.length !== model.seeds) {
    throw new DyncRuntimeError("RUN040", `sharpness got ${options.seeds.length} seed values for a model of ${model.seeds} seeds`);
  }
  const subset = subsetRows(data, options.samples);
  const batches = physicalBatches(subset, model, loss, options.batch);
  let v = startVector(model, options.seeds);
  const values = new Float64Array(model.seeds).fill(NaN);
  const iterations = new Int32Array(model.seeds);
  const done = new Array<boolean>(model.seeds).fill(false);
  try {
    for (let it = 1; it <= options.iters && done.includes(false); it++) {
      const hv = hessianVectorProduct(model, batches, subset.m, v);
      const [rayleigh, hvNorm] = seedDotsAndNorms(v, hv);
      for (let s = 0; s < model.seeds; s++) {
        if (done[s]) continue;
        const previous = values[s]!;
        values[s] = rayleigh[s]!;
        iterations[s] = it;
        // A zero Hessian block (e.g. every unit dead) has eigenvalue 0 and no direction to follow. The test is
        // strict so that tol: 0 always runs `iters` products (the benchmark relies on it).
        if (hvNorm[s] === 0 || Math.abs(rayleigh[s]! - previous) < options.tol * Math.abs(rayleigh[s]!)) done[s] = true;
      }
      const next = normalisePerSeed(hv, hvNorm);
      tf.dispose([...v, ...hv]);
      v = next;
    }
  } finally {
    tf.dispose([...v, ...batches.flatMap((b) => b.owned), subset.x, subset.y]);
  }
  return { values, iterations };
}

/** One physical batch: its inputs and the per-sample loss `[S, B]` of the model's output on it. */
export interface HvpBatch {
  readonly x: tf.Tensor;
  readonly perSample: (prediction: tf.Tensor) => tf.Tensor;
  /** Tensors to dispose with the batch. */
  readonly owned: readonly tf.Tensor[];
}

/** H·v of Σ_s L_s, L_s = (1/m)·Σ_i ℓ_s(i) over the subset, summed over physical batches; v and the result are per parameter `[S, …]`. */
export function hessianVectorProduct(model: Model, batches: readonly HvpBatch[], m: number, v: readonly tf.Tensor[]): tf.Tensor[] {
  const vars = model.params.map((p) => p.variable);
  let total: tf.Tensor[] | undefined;
  for (const { x, perSample } of batches) {
    const part = tf.tidy(() =>
      guardTf(() =>
        tf.grads(() => {
          const g = tf.grads(() => tf.div(tf.sum(perSample(model.forward(x, { training: false }))), m) as tf.Scalar)(vars);
          return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, v[i]!)))) as tf.Scalar;
        })(vars),
      ),
    );
    if (total === undefined) total = part;
    else {
      const sum = total.map((t, i) => tf.add(t, part[i]!));
      tf.dispose([...total, ...part]);
      total = sum;
    }
  }
  if (total === undefined) throw new DyncRuntimeError("RUN040", "sharpness has no rows to evaluate on");
  return total;
}

/** Per seed: ⟨v_s, (Hv)_s⟩ and ‖(Hv)_s‖, summed over every parameter (float32 sums, read back once). */
function seedDotsAndNorms(v: readonly tf.Tensor[], hv: readonly tf.Tensor[]): [Float32Array, Float64Array] {
  const [dot, sq] = tf.tidy(() => [
    tf.addN(v.map((vi, i) => perSeedSum(tf.mul(vi, hv[i]!)))),
    tf.addN(hv.map((h) => perSeedSum(tf.square(h)))),
  ]);
  const dots = dot!.dataSync() as Float32Array;
  const norms = Float64Array.from(sq!.dataSync(), Math.sqrt);
  tf.dispose([dot!, sq!]);
  return [dots, norms];
}

/** Σ over every axis but the leading seed axis: `[S, …]` → `[S]`. */
function perSeedSum(t: tf.Tensor): tf.Tensor {
  return tf.sum(tf.reshape(t, [t.shape[0]!, -1]), 1);
}

/** v_s / ‖v_s‖ per seed (a zero block stays zero). */
function normalisePerSeed(v: readonly tf.Tensor[], norms: Float64Array): tf.Tensor[] {
  return tf.tidy(() => {
    const inverse = tf.tensor1d(Array.from(norms, (n) => (n > 0 ? 1 / n : 0)));
    return v.map((t) => tf.mul(t, tf.reshape(inverse, [t.shape[0]!, ...Array<number>(t.rank - 1).fill(1)])));
  });
}

/** A unit Gaussian start vector per seed, from that seed's own stream (so one seed alone gets the same one). */
function startVector(model: Model, seeds: readonly number[]): tf.Tensor[] {
  const sizes = model.params.map((p) => p.variable.size / model.seeds);
  const total = sizes.reduce((a, b) => a + b, 0);
  const flat = model.params.map((p) => new Float32Array(p.variable.size));
  const norms = new Float64Array(model.seeds);
  for (let s = 0; s < model.seeds; s++) {
    const rng = new Rng(seeds[s]!).fork("sharpness");
    const draws = Float64Array.from({ length: total }, () => rng.normal());
    norms[s] = Math.sqrt(draws.reduce((a, d) => a + d * d, 0));
    let at = 0;
    sizes.forEach((size, i) => {
      for (let k = 0; k < size; k++) flat[i]![s * size + k] = draws[at + k]! / norms[s]!;
      at += size;
    });
  }
  return model.params.map((p, i) => tf.tensor(flat[i]!, p.variable.shape));
}

interface Subset {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  readonly m: number;
}

/** `samples` evenly spaced rows (row ⌊k·n/samples⌋), or every row: the same rows at every call and for every seed. */
function subsetRows(data: EvalData, samples: number | undefined): Subset {
  const m = samples === undefined ? data.n : Math.min(samples, data.n);
  const picked = Array.from({ length: m }, (_, k) => Math.floor((k * data.n) / m));
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  for (const range of data.chunks()) {
    const inRange = picked.filter((r) => r >= range.start && r < range.start + range.count).map((r) => r - range.start);
    if (inRange.length === 0) continue;
    const { x, y } = data.rows(range);
    const at = tf.tensor1d(inRange, "int32");
    xs.push(tf.gather(x, at, 1));
    ys.push(tf.gather(y, at, 1));
    tf.dispose([x, y, at]);
  }
  const x = xs.length === 1 ? xs[0]! : tf.concat(xs, 1);
  const y = ys.length === 1 ? ys[0]! : tf.concat(ys, 1);
  if (xs.length > 1) tf.dispose([...xs, ...ys]);
  return { x, y, m };
}

/** The subset cut into passes of `batch` rows (default: as many rows as keep S·rows ≤ 2¹⁶), each with its loss. */
function physicalBatches(subset: Subset, model: Model, kind: LossKind, batch: number | undefined): HvpBatch[] {
  const rows = batch ?? Math.max(1, Math.floor(DEFAULT_SEED_ROWS / model.seeds));
  const out: HvpBatch[] = [];
  for (let start = 0; start < subset.m; start += rows) {
    const count = Math.min(rows, subset.m - start);
    const x = sliceRows(subset.x, start, count);
    const y = sliceRows(subset.y, start, count);
    if (lossName(kind) !== "cross_entropy") {
      const lossFn = lossFunction(kind);
      out.push({ x, perSample: (prediction) => lossFn(prediction, y).perSample, owned: [x, y] });
      continue;
    }
    // The parameters do not change during a probe call, so the max logit is a constant shift per batch.
    const shift = tf.tidy(() => tf.max(model.forward(x, { training: false }), -1, true));
    const smoothing = labelSmoothing(kind);
    const target = smoothing > 0 ? smoothTargets(y, smoothing) : y;
    out.push({ x, perSample: (logits) => softmaxCrossEntropy(logits, target, shift), owned: [x, y, target, shift] });
  }
  return out;
}

/**
 * Σ_c y_c · (logsumexp(z) − z_c) with logsumexp(z) = k + log Σ exp(z − k) for a constant k (any k gives the
 * same value; the max logit keeps exp from overflowing). tf.logSumExp cannot be used: its gradient goes
 * through max, whose own gradient needs one for Equal, which tfjs lacks; and exp is the differentiable one below.
 */
function softmaxCrossEntropy(logits: tf.Tensor, target: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  if (target.rank !== 3 || target.shape[2] !== logits.shape[2]) {
    throw new DyncRuntimeError("RUN040", `cross_entropy targets have shape [${target.shape}] but logits have shape [${logits.shape}]`);
  }
  const logNormalizer = tf.add(tf.squeeze(shift, [-1]), tf.log(tf.sum(differentiableExp(tf.sub(logits, shift)), -1)));
  return tf.sub(tf.mul(tf.sum(target, -1), logNormalizer), tf.sum(tf.mul(target, logits), -1));
}

/** exp whose gradient is dy·exp(x) recomputed from the saved input, so nested tf.grad sees it (tfjs's reads its saved output). */
const differentiableExp: (x: tf.Tensor) => tf.Tensor = (() => {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return { value: tf.exp(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, differentiableExp(saved[0]!)) };
  });
  return (x: tf.Tensor) => op(x) as tf.Tensor;
})();

function sliceRows(t: tf.Tensor, start: number, count: number): tf.Tensor {
  return tf.slice(t, [0, start, ...Array<number>(t.rank - 2).fill(0)], [-1, count, ...Array<number>(t.rank - 2).fill(-1)]);
}

/** Runs a tfjs computation; a tfjs error (a parameter the loss does not reach) becomes a DyncRuntimeError. */
function guardTf<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof DyncRuntimeError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new DyncRuntimeError("RUN040", `sharpness could not differentiate the loss twice: ${message}`);
  }
}
