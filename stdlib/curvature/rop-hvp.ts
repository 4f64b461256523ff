/**
 * The Hessian-vector product of a plain dense MLP (`Model.denseMlpPlan`) by Pearlmutter's R-operator in tfjs ops:
 * the same arithmetic as native/dync_hvp.c (its header has the formulas), for where the native HVP does not serve
 * (the wasm path, `DYNC_NATIVE=0`, or no addon), on any backend. HessianOperator (./operator.ts) takes it after the
 * native product and before the recorded tape (./recorded-gradient.ts).
 *
 * Why: the taped product walks the recorded second backward pass kernel by kernel (tanh derivatives and their own
 * derivatives, transposes, bookkeeping); here the forward state (h_l, σ'(z_l), σ''(z_l)·e_l, δ_l and the transposes
 * the products need) is computed once per measurement and a product is only the R-forward and R-backward passes:
 * per layer at most six seed-batched products (runtime/nn/bmm.ts's `bmm`: flag-free on wasm, where a transposed
 * matMul is ~12× slower) and three elementwise ops. No product needs a transpose of a per-product tensor: the
 * constant factors are kept transposed (h_{l−1}ᵀ, δ_lᵀ, W_lᵀ), V_lᵀ is built in JS with the upload, and the weight
 * term R{h_{l−1}}ᵀ·δ_l is computed as its transpose δ_lᵀ·R{h_{l−1}}, added transposed in the float64 sum in JS.
 *
 * Physical batches: each batch's state is kept when all of them fit in `setRopHvpStateBudget` floats (default
 * 2²⁶, 256 MiB), else recomputed per batch in each product (as the native product does). Each batch's part is
 * added into the float64 result (HessianOperator's convention).
 */
import { tf } from "../../runtime/tf.js";
import type { ActivationName } from "../../contract/model-specs.js";
import { bmm, transposeLast2 } from "../../runtime/nn/bmm.js";
import { simdSumRows } from "../../runtime/kernels/ops.js";
import type { FusedLoss } from "../../runtime/kernels/native-fused.js";

/** One dense layer: x·W (+ b), then the activation. */
export interface RopLayer {
  /** `[S, fanIn, fanOut]`. */
  readonly weight: tf.Tensor3D;
  /** `[S, fanOut]`, or undefined for none. */
  readonly bias?: tf.Tensor2D;
  readonly activation: ActivationName;
  /** leaky_relu's slope. */
  readonly alpha: number;
}

/** One physical batch: encoded inputs `[S, B, fanIn₀]` and target rows `[S, B, out]` (cross-entropy: smoothed). */
export interface RopBatch {
  readonly x: tf.Tensor3D;
  readonly y: tf.Tensor3D;
}

/** The measurement. The caller owns the tensors and keeps them alive until `dispose()`. */
export interface RopProblem {
  readonly layers: readonly RopLayer[];
  readonly loss: FusedLoss;
  /** The factor on the last layer's output. */
  readonly scale: number;
  /** Rows the loss averages over (all batches). */
  readonly rows: number;
  readonly batches: readonly RopBatch[];
}

/** A prepared product: H·v for `[S, P]` float32 directions into `[S, P]` float64 (overwritten), until `dispose()`. */
export interface RopHvp {
  product(v: Float32Array, out: Float64Array): void;
  dispose(): void;
}

/** Floats of kept state at most by default (256 MiB): beyond it each product recomputes the state per batch. */
const DEFAULT_STATE_BUDGET = 1 << 26;
let stateBudget = DEFAULT_STATE_BUDGET;

/** Tests: a small budget makes products recompute the state per physical batch (0: the default). */
export function setRopHvpStateBudget(floats: number): void {
  stateBudget = floats > 0 ? floats : DEFAULT_STATE_BUDGET;
}

/** What a product needs of one layer on one batch, fixed for the measurement. */
interface LayerState {
  /** The layer's input h_{l−1} (x for the first) `[S, B, fanIn]`, and its transpose. */
  readonly input: tf.Tensor3D;
  readonly inputT: tf.Tensor3D;
  /** σ'(z) `[S, B, fanOut]`; undefined for the identity. */
  readonly d1?: tf.Tensor;
  /** σ''(z)⊙e: R{δ}'s curvature term; undefined where σ'' vanishes (identity, relu, leaky_relu). */
  readonly curvature?: tf.Tensor;
  /** δ = ∂L/∂z `[S, B, fanOut]`, and its transpose. */
  readonly delta: tf.Tensor3D;
  readonly deltaT: tf.Tensor3D;
}

interface BatchState {
  readonly layers: readonly LayerState[];
  /** Cross-entropy: softmax p `[S, B, C]` and scale²·mass/m per row `[S, B, 1]`. */
  readonly probs?: tf.Tensor3D;
  readonly massScale?: tf.Tensor3D;
}

/** σ(z), σ'(z), σ''(z) from the formulas of dync_hvp.c's activate_twice (σ'' undefined where it vanishes). */
function activateTwice(act: ActivationName, alpha: number, z: tf.Tensor): { h: tf.Tensor; d1?: tf.Tensor; d2?: tf.Tensor } {
  const sigmoidParts = () => {
    const s = tf.sigmoid(z);
    return [s, tf.sub(1, s)] as const;
  };
  switch (act) {
    case "identity":
      return { h: z };
    case "relu":
      return { h: tf.relu(z), d1: tf.step(z, 0) };
    case "leaky_relu":
      return { h: tf.leakyRelu(z, alpha), d1: tf.step(z, alpha) };
    case "tanh": {
      const t = tf.tanh(z);
      const sech2 = tf.sub(1, tf.square(t));
      return { h: t, d1: sech2, d2: tf.mul(tf.mul(-2, t), sech2) };
    }
    case "sigmoid": {
      const [s, comp] = sigmoidParts();
      const d1 = tf.mul(s, comp);
      return { h: s, d1, d2: tf.mul(d1, tf.sub(comp, s)) };
    }
    case "silu": {
      const [s, comp] = sigmoidParts();
      return { h: tf.mul(z, s), d1: tf.mul(s, tf.add(1, tf.mul(z, comp))), d2: tf.mul(tf.mul(s, comp), tf.add(2, tf.mul(z, tf.sub(comp, s)))) };
    }
    case "xtanh": {
      const t = tf.tanh(z);
      const sech2 = tf.sub(1, tf.square(t));
      return { h: tf.mul(z, t), d1: tf.add(t, tf.mul(z, sech2)), d2: tf.mul(tf.mul(2, sech2), tf.sub(1, tf.mul(z, t))) };
    }
    case "gelu": {
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2))));
      const pdf = tf.mul(1 / Math.sqrt(2 * Math.PI), tf.exp(tf.mul(-0.5, tf.square(z))));
      return { h: tf.mul(z, cdf), d1: tf.add(cdf, tf.mul(z, pdf)), d2: tf.mul(pdf, tf.sub(2, tf.square(z))) };
    }
    case "softplus": {
      const [s, comp] = sigmoidParts();
      return { h: tf.softplus(z), d1: s, d2: tf.mul(s, comp) };
    }
  }
}

/** The factor of the squared losses' output Hessian: ∇²_o ℓ = factor·I (mse 2/C, half_mse 1/C, half_sse 1). */
function squaredLossFactor(loss: FusedLoss, outputs: number): number {
  return loss === "mse" ? 2 / outputs : loss === "half_mse" ? 1 / outputs : 1;
}

/** tf.tidy keeping every tensor reachable from the result (it walks nested objects and arrays). */
function tidyKeep<T>(f: () => T): T {
  return tf.tidy(() => f() as unknown as tf.Tensor) as unknown as T;
}

/** Forward and backward pass of one batch: the state every product reads. */
function batchState(problem: RopProblem, weightsT: readonly tf.Tensor3D[], biases: readonly (tf.Tensor3D | undefined)[], batch: RopBatch): BatchState {
  return tidyKeep(() => {
    const { layers, scale, rows, loss } = problem;
    const inputs: tf.Tensor3D[] = [];
    const derivatives: { d1?: tf.Tensor; d2?: tf.Tensor }[] = [];
    let h = batch.x;
    layers.forEach((layer, l) => {
      inputs.push(h);
      const linear = bmm(h, layer.weight);
      const z = biases[l] ? tf.add(linear, biases[l]!) : linear;
      const { h: out, d1, d2 } = activateTwice(layer.activation, layer.alpha, z);
      derivatives.push({ d1, d2 });
      h = out as tf.Tensor3D;
    });
    const out = tf.mul(h, scale) as tf.Tensor3D;
    let probs: tf.Tensor3D | undefined;
    let massScale: tf.Tensor3D | undefined;
    let e: tf.Tensor3D;
    if (loss === "cross_entropy") {
      probs = tf.softmax(out) as tf.Tensor3D;
      const mass = tf.sum(batch.y, -1, true);
      massScale = tf.mul(mass, (scale * scale) / rows) as tf.Tensor3D;
      e = tf.mul(tf.sub(tf.mul(mass, probs), batch.y), scale / rows) as tf.Tensor3D;
    } else {
      e = tf.mul(tf.sub(out, batch.y), (scale * squaredLossFactor(loss, out.shape[2]!)) / rows) as tf.Tensor3D;
    }
    const states: LayerState[] = [];
    for (let l = layers.length - 1; l >= 0; l--) {
      const { d1, d2 } = derivatives[l]!;
      const delta = d1 ? (tf.mul(d1, e) as tf.Tensor3D) : e;
      const curvature = d2 ? (tf.mul(d2, e) as tf.Tensor3D) : undefined;
      states[l] = { input: inputs[l]!, inputT: transposeLast2(inputs[l]!), d1, curvature, delta, deltaT: transposeLast2(delta) };
      if (l > 0) e = bmm(delta, weightsT[l]!);
    }
    return { layers: states, probs, massScale };
  });
}

/** The state's tensors, each once. */
function stateTensors(state: BatchState): tf.Tensor[] {
  const layers = state.layers.flatMap((s) => [s.input, s.inputT, s.d1, s.curvature, s.delta, s.deltaT]);
  return [...new Set([...layers, state.probs, state.massScale].filter((t): t is tf.Tensor => t !== undefined))];
}

/** Floats of one batch's state (for the budget). */
function stateFloats(state: BatchState): number {
  return stateTensors(state).reduce((n, t) => n + t.size, 0);
}

/** One product's direction per layer: V `[S, fanIn, fanOut]`, Vᵀ, and c `[S, 1, fanOut]`. */
interface Direction {
  readonly v: tf.Tensor3D;
  readonly vT: tf.Tensor3D;
  readonly c?: tf.Tensor3D;
}

/** The layers' parts of a product: weight term, transposed weight term (undefined for the first layer), bias. */
interface LayerProduct {
  readonly weight: tf.Tensor;
  readonly weightT?: tf.Tensor;
  readonly bias?: tf.Tensor;
}

/** Σ over rows `[S, B, N]` → `[S, N]`. */
function sumRows(x: tf.Tensor3D): tf.Tensor {
  return simdSumRows(x) ?? tf.sum(x, 1);
}

/** The R-forward and R-backward passes of one batch (see dync_hvp.c's header for the formulas). */
function batchProduct(problem: RopProblem, weightsT: readonly tf.Tensor3D[], state: BatchState, direction: readonly Direction[]): LayerProduct[] {
  const { layers, loss, scale, rows } = problem;
  const rz: tf.Tensor3D[] = [];
  const rh: tf.Tensor3D[] = [];
  layers.forEach((layer, l) => {
    const s = state.layers[l]!;
    const d = direction[l]!;
    let z = bmm(s.input, d.v);
    if (l > 0) z = tf.add(z, bmm(rh[l - 1]!, layer.weight));
    if (d.c) z = tf.add(z, d.c);
    rz.push(z);
    rh.push(s.d1 ? tf.mul(s.d1, z) : z);
  });
  const top = rh.at(-1)!;
  let re: tf.Tensor3D;
  if (loss === "cross_entropy") {
    const p = state.probs!;
    const mean = tf.sum(tf.mul(p, top), -1, true);
    re = tf.mul(state.massScale!, tf.mul(p, tf.sub(top, mean)));
  } else {
    re = tf.mul(top, (scale * scale * squaredLossFactor(loss, top.shape[2]!)) / rows);
  }
  const parts: LayerProduct[] = [];
  for (let l = layers.length - 1; l >= 0; l--) {
    const s = state.layers[l]!;
    let rdelta = s.d1 ? tf.mul(s.d1, re) : re;
    if (s.curvature) rdelta = tf.add(rdelta, tf.mul(s.curvature, rz[l]!));
    parts[l] = {
      weight: bmm(s.inputT, rdelta as tf.Tensor3D),
      weightT: l > 0 ? bmm(s.deltaT, rh[l - 1]!) : undefined,
      bias: layers[l]!.bias ? sumRows(rdelta as tf.Tensor3D) : undefined,
    };
    if (l > 0) re = tf.add(bmm(rdelta as tf.Tensor3D, weightsT[l]!), bmm(s.delta, direction[l]!.vT));
  }
  return parts;
}

/** `[S, P]` float32 directions → per layer V, Vᵀ (transposed here in JS, so no product needs a transposed operand) and c. */
function upload(v: Float32Array, seeds: number, params: number, offsets: readonly LayerOffsets[]): Direction[] {
  return offsets.map(({ w, b, fanIn, fanOut, bias }) => {
    const size = fanIn * fanOut;
    const flat = new Float32Array(seeds * size);
    const flatT = new Float32Array(seeds * size);
    const c = bias ? new Float32Array(seeds * fanOut) : undefined;
    for (let s = 0; s < seeds; s++) {
      const from = s * params + w;
      flat.set(v.subarray(from, from + size), s * size);
      for (let i = 0; i < fanIn; i++) for (let j = 0; j < fanOut; j++) flatT[s * size + j * fanIn + i] = v[from + i * fanOut + j]!;
      c?.set(v.subarray(s * params + b, s * params + b + fanOut), s * fanOut);
    }
    return {
      v: tf.tensor3d(flat, [seeds, fanIn, fanOut]),
      vT: tf.tensor3d(flatT, [seeds, fanOut, fanIn]),
      ...(c ? { c: tf.tensor3d(c, [seeds, 1, fanOut]) } : {}),
    };
  });
}

/** out += one batch's parts (float64 sums; the transposed weight term added transposed); disposes the parts. */
function addParts(parts: readonly LayerProduct[], out: Float64Array, seeds: number, params: number, offsets: readonly LayerOffsets[]): void {
  parts.forEach((part, l) => {
    const { w, b, fanIn, fanOut } = offsets[l]!;
    const size = fanIn * fanOut;
    const weight = part.weight.dataSync();
    const weightT = part.weightT?.dataSync();
    const bias = part.bias?.dataSync();
    for (let s = 0; s < seeds; s++) {
      const at = s * params + w;
      for (let k = 0; k < size; k++) out[at + k]! += weight[s * size + k]!;
      if (weightT) for (let j = 0; j < fanOut; j++) for (let i = 0; i < fanIn; i++) out[at + i * fanOut + j]! += weightT[s * size + j * fanIn + i]!;
      if (bias) for (let j = 0; j < fanOut; j++) out[s * params + b + j]! += bias[s * fanOut + j]!;
    }
  });
  tf.dispose(parts.flatMap((p) => [p.weight, p.weightT, p.bias].filter((t): t is tf.Tensor => t !== undefined)));
}

/** Where a layer's weight and bias sit in a seed's flat vector. */
interface LayerOffsets {
  readonly w: number;
  readonly b: number;
  readonly fanIn: number;
  readonly fanOut: number;
  readonly bias: boolean;
}

/** The prepared R-operator product of a measurement: each batch's state computed at its first product, kept within the budget. */
export function ropHvp(problem: RopProblem): RopHvp {
  const { layers } = problem;
  const seeds = layers[0]!.weight.shape[0]!;
  const offsets: LayerOffsets[] = [];
  let params = 0;
  for (const l of layers) {
    const [, fanIn, fanOut] = l.weight.shape;
    offsets.push({ w: params, b: params + fanIn! * fanOut!, fanIn: fanIn!, fanOut: fanOut!, bias: l.bias !== undefined });
    params += fanIn! * fanOut! + (l.bias ? fanOut! : 0);
  }
  const weightsT = layers.map((l) => transposeLast2(l.weight));
  const biases = layers.map((l) => (l.bias ? (tf.reshape(l.bias, [seeds, 1, -1]) as tf.Tensor3D) : undefined));
  const kept = new Map<number, BatchState>();
  let keep: boolean | undefined;
  let disposed = false;

  /** Batch k's state; the caller frees one that is not kept (`kept.has(k)` false) after use. */
  const state = (k: number): BatchState => {
    const held = kept.get(k);
    if (held) return held;
    const computed = batchState(problem, weightsT, biases, problem.batches[k]!);
    keep ??= stateFloats(computed) * problem.batches.length <= stateBudget;
    if (keep) kept.set(k, computed);
    return computed;
  };

  return {
    product(v: Float32Array, out: Float64Array): void {
      if (disposed) throw new Error("ropHvp: the product was disposed");
      out.fill(0);
      const direction = upload(v, seeds, params, offsets);
      try {
        problem.batches.forEach((batch, k) => {
          const s = state(k);
          try {
            addParts(tidyKeep(() => batchProduct(problem, weightsT, s, direction)), out, seeds, params, offsets);
          } finally {
            if (!kept.has(k)) disposeState(s, batch);
          }
        });
      } finally {
        tf.dispose(direction.flatMap((d) => [d.v, d.vT, d.c].filter((t): t is tf.Tensor3D => t !== undefined)));
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      kept.forEach((s, k) => disposeState(s, problem.batches[k]!));
      kept.clear();
      tf.dispose([...weightsT, ...biases.filter((t): t is tf.Tensor3D => t !== undefined)]);
    },
  };
}

/** A batch's state freed, except the batch's own rows (the first layer's input, the caller's). */
function disposeState(state: BatchState, batch: RopBatch): void {
  tf.dispose(stateTensors(state).filter((t) => t !== batch.x));
}
