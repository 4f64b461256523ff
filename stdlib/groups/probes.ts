/**
 * `per_sample_loss(net, data)` and `grad_norm(net, group)` (schemas: ./entries.ts).
 *
 * Seed batching: the loss summed over seeds gives each seed exactly its own gradient (contract/model.ts), so
 * one backward pass of Σ_s L_G,s yields every seed's group gradient; norms are read back per seed.
 */
import { tf } from "../../runtime/tf.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { lossFunction, type LossKind } from "../../runtime/loss.js";
import type { Model } from "../../contract/model.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { defineProbe } from "../probes/define.js";
import type { EvalData } from "../probes/eval-data.js";
import * as entries from "./entries.js";

/** The probe: per point, from the training step when that is the same number, else one forward pass. */
export const perSampleLossProbe = defineProbe(entries.perSampleLoss, {
  measure: ({ model, data }, ctx, run) => {
    const values = trainingStepLosses(model, data, ctx) ?? perSampleLosses(model, data, run.loss);
    const seeds = [...Array(model.seeds).keys()];
    return { kind: "indexed", dim: "point" as const, fields: { value: seeds.map((s) => (ctx.seedIndices.includes(s) ? values[s] : undefined)) } };
  },
});

/** The probe: the group gradient's norm per seed, or per layer with parameters. */
export const gradNormProbe = defineProbe(entries.gradNorm, {
  measure: ({ model, data, by }, ctx, run) => {
    const squares = layerSquaredGradientNorms(model, data, run.loss);
    if (by === "all") return Float64Array.from(squares, (perLayer) => Math.sqrt(perLayer.reduce((a, b) => a + b, 0)));
    const seeds = [...Array(model.seeds).keys()];
    return { kind: "indexed", dim: "layer" as const, fields: { value: seeds.map((s) => (ctx.seedIndices.includes(s) ? squares[s]!.map(Math.sqrt) : undefined)) } };
  },
});

/** ℓᵢ per seed (float64 copies of the float32 losses) over every row of `data`, evaluation mode, in chunks. */
export function perSampleLosses(model: Model, data: EvalData, kind: LossKind): Float64Array[] {
  requireTargets(data, "per_sample_loss");
  const lossFn = lossFunction(kind);
  const out = Array.from({ length: model.seeds }, () => new Float64Array(data.n));
  for (const range of data.chunks()) {
    const perSample = tf.tidy(() => {
      const { x, y } = data.rows(range);
      return lossFn(model.forward(x, { training: false }), y).perSample;
    });
    const values = perSample.dataSync();
    perSample.dispose();
    for (let s = 0; s < model.seeds; s++) out[s]!.set(values.subarray(s * range.count, (s + 1) * range.count), range.start);
  }
  return out;
}

/**
 * The training step's per-sample loss at θ_t, by data row, when it is exactly what an evaluation-mode pass
 * over `data` gives: `data` is the training set itself, the batch is every row (full batch, in any order),
 * and no layer behaves differently in training (dropout, batch norm). Otherwise undefined.
 */
export function trainingStepLosses(model: Model, data: EvalData, ctx: ProbeContext): Float64Array[] | undefined {
  const { loss, batch } = ctx;
  if (!loss || !batch || model.layers.some((l) => l.kind === "dropout" || l.kind === "batchnorm")) return undefined;
  const sameSets = data.sets.length === ctx.data.datasets.length && data.sets.every((d, i) => d === ctx.data.datasets[i]);
  if (!sameSets || batch.indices.some((rows) => !coversAllRows(rows, data.n))) return undefined;
  const values = loss.perSample.dataSync();
  return batch.indices.map((rows, s) => {
    const out = new Float64Array(data.n);
    rows.forEach((row, j) => (out[row] = values[s * rows.length + j]!));
    return out;
  });
}

/** Whether `rows` lists each of 0 … n−1 exactly once. */
function coversAllRows(rows: Int32Array, n: number): boolean {
  if (rows.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const row of rows) {
    if (!(row >= 0 && row < n) || seen[row]) return false;
    seen[row] = 1;
  }
  return true;
}

/**
 * Per seed, per layer with parameters (forward order): ‖∂L_G/∂θ_layer‖² with L_G the mean loss over the rows
 * of `data`, evaluation mode. Chunks' gradients of the summed loss are added, then divided by n once.
 */
export function layerSquaredGradientNorms(model: Model, data: EvalData, kind: LossKind): Float64Array[] {
  requireTargets(data, "grad_norm");
  const lossFn = lossFunction(kind);
  const vars = model.params.map((p) => p.variable);
  let total: tf.Tensor[] | undefined;
  for (const range of data.chunks()) {
    const part = tf.tidy(() => {
      const { x, y } = data.rows(range);
      return tf.grads(() => tf.sum(lossFn(model.forward(x, { training: false }), y).perSample) as tf.Scalar)(vars);
    });
    if (total === undefined) total = part;
    else {
      const sum = total.map((t, i) => tf.add(t, part[i]!));
      tf.dispose([...total, ...part]);
      total = sum;
    }
  }
  if (total === undefined) throw new DyncRuntimeError("RUN040", `grad_norm has no rows of data set "${data.name}" to evaluate on`);
  const layers = model.layers.filter((l) => model.params.some((p) => p.layer === l.name)).map((l) => l.name);
  const out = Array.from({ length: model.seeds }, () => new Float64Array(layers.length));
  model.params.forEach((p, i) => {
    const g = total![i]!;
    const values = g.dataSync();
    const per = values.length / model.seeds;
    const k = layers.indexOf(p.layer);
    for (let s = 0; s < model.seeds; s++) {
      let sq = 0;
      for (let j = s * per; j < (s + 1) * per; j++) sq += values[j]! * values[j]!;
      out[s]![k]! += sq / (data.n * data.n);
    }
  });
  tf.dispose(total);
  return out;
}

function requireTargets(data: EvalData, probe: string): void {
  if (data.yDim === 0) throw new DyncRuntimeError("RUN040", `${probe} needs targets, but data set "${data.name}" has none`, "give it a target: `-> f(x)`");
}
