/**
 * The Hessian-vector product of a plain dense MLP (`Model.denseMlpPlan`) by Pearlmutter's R-operator in tfjs ops:
 * the same arithmetic as native/dync_hvp.c (its header has the formulas), for where the native HVP does not serve
 * (the wasm path, `DYNC_NATIVE=0`, or no addon), on any backend; batch norm between a layer's product and its
 * activation included (`RopNorm`, `normForward`, `normBackward`: batch statistics differentiated through the batch
 * mean and variance, or running ones as an affine map; dync_hvp.c's header has these formulas too). HessianOperator (./operator.ts) takes it after the
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
 *
 * Its arithmetic is numbered (runtime/kernels/native-hvp.ts `ROP_HVP_REVISION`, recorded as `backend.hvp.ropRevision`;
 * `--resume` refuses to mix revisions): a change here that makes a product round differently (a formula, the order
 * of a float32 sum) needs a new revision; test/curvature/rop-hvp-revision.test.ts pins each revision's bits.
 */
import { tf } from "../../runtime/tf.js";
import type { ActivationName } from "../../contract/model-specs.js";
import { bmm, transposeLast2 } from "../../runtime/nn/bmm.js";
import { simdSumRows } from "../../runtime/kernels/ops.js";
import type { FusedLoss } from "../../runtime/kernels/native-fused.js";

/**
 * Batch norm between a layer's product z and its activation: u = γ⊙x̂ + β, x̂ = (z − μ)/σ, σ = √(v + eps), per seed
 * and feature; μ and v the running statistics when given (a fixed affine map), else the physical batch's own mean
 * and biased variance (training mode without moving the running statistics), which the R-operator differentiates through.
 */
export interface RopNorm {
  /** `[S, fanOut]`. */
  readonly gamma: tf.Tensor2D;
  readonly beta: tf.Tensor2D;
  readonly eps: number;
  /** `[S, fanOut]` each; undefined: batch statistics. */
  readonly running?: { readonly mean: tf.Tensor2D; readonly variance: tf.Tensor2D };
}

/** One dense layer: x·W (+ b), then its batch norm if any, then the activation. */
export interface RopLayer {
  /** `[S, fanIn, fanOut]`. */
  readonly weight: tf.Tensor3D;
  /** `[S, fanOut]`, or undefined for none. */
  readonly bias?: tf.Tensor2D;
  readonly norm?: RopNorm;
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

/** The tensors of the layers (weights, biases, the norms' γ, β and running statistics), for their owner to free. */
export function ropLayerTensors(layers: readonly RopLayer[]): tf.Tensor[] {
  return layers.flatMap((l) => [l.weight, l.bias, l.norm?.gamma, l.norm?.beta, l.norm?.running?.mean, l.norm?.running?.variance]).filter((t): t is tf.Tensor2D | tf.Tensor3D => t !== undefined);
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

/** What a product needs of a layer's batch norm on one batch (u = γ⊙x̂ + β its output). */
interface NormState {
  /** x̂ `[S, B, N]` and 1/σ `[S, 1, N]`. */
  readonly xhat: tf.Tensor3D;
  readonly invSigma: tf.Tensor3D;
  /** ∂L/∂u `[S, B, N]`. */
  readonly gu: tf.Tensor3D;
  /** Batch statistics: mean over rows of (γ⊙∂L/∂u)⊙x̂ `[S, 1, N]`. */
  readonly gxMean?: tf.Tensor3D;
}

/** What a product needs of one layer on one batch, fixed for the measurement. */
interface LayerState {
  /** The layer's input h_{l−1} (x for the first) `[S, B, fanIn]`, and its transpose. */
  readonly input: tf.Tensor3D;
  readonly inputT: tf.Tensor3D;
  /** σ'(u) `[S, B, fanOut]` at the activation's input u (z, or the norm's output); undefined for the identity. */
  readonly d1?: tf.Tensor;
  /** σ''(u)⊙e: R{∂L/∂u}'s curvature term; undefined where σ'' vanishes (identity, relu, leaky_relu). */
  readonly curvature?: tf.Tensor;
  /** δ = ∂L/∂z `[S, B, fanOut]`, and its transpose. */
  readonly delta: tf.Tensor3D;
  readonly deltaT: tf.Tensor3D;
  readonly norm?: NormState;
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

/** Per-feature constants `[S, 1, N]` of a layer: bias, and the norm's γ and β. */
interface LayerConstants {
  readonly bias?: tf.Tensor3D;
  readonly gamma?: tf.Tensor3D;
  readonly beta?: tf.Tensor3D;
}

/** Mean over rows `[S, B, N]` → `[S, 1, N]`. */
function meanRows(x: tf.Tensor3D): tf.Tensor3D {
  return tf.div(tf.expandDims(sumRows(x), 1), x.shape[1]!) as tf.Tensor3D;
}

/** a − mean(a) − x̂⊙mean(x̂⊙a) over rows: batch norm's projection (its Jacobian is P/σ), given mean(x̂⊙a). */
function project(a: tf.Tensor3D, xhat: tf.Tensor3D, xhatMean: tf.Tensor3D): tf.Tensor3D {
  return tf.sub(tf.sub(a, meanRows(a)), tf.mul(xhat, xhatMean));
}

/** A norm's forward pass on z: x̂, 1/σ and u = γ⊙x̂ + β (batch statistics unless the running ones are given). */
function normalise(norm: RopNorm, c: LayerConstants, z: tf.Tensor3D): { xhat: tf.Tensor3D; invSigma: tf.Tensor3D; u: tf.Tensor3D } {
  let centered: tf.Tensor3D;
  let variance: tf.Tensor3D;
  if (norm.running) {
    centered = tf.sub(z, tf.expandDims(norm.running.mean, 1));
    variance = tf.expandDims(norm.running.variance, 1) as tf.Tensor3D;
  } else {
    centered = tf.sub(z, meanRows(z));
    variance = meanRows(tf.square(centered) as tf.Tensor3D);
  }
  const invSigma = tf.rsqrt(tf.add(variance, norm.eps)) as tf.Tensor3D;
  const xhat = tf.mul(centered, invSigma) as tf.Tensor3D;
  return { xhat, invSigma, u: tf.add(tf.mul(xhat, c.gamma!), c.beta!) };
}

/** Forward and backward pass of one batch: the state every product reads. */
function batchState(problem: RopProblem, weightsT: readonly tf.Tensor3D[], constants: readonly LayerConstants[], batch: RopBatch): BatchState {
  return tidyKeep(() => {
    const { layers, scale, rows, loss } = problem;
    const inputs: tf.Tensor3D[] = [];
    const derivatives: { d1?: tf.Tensor; d2?: tf.Tensor }[] = [];
    const normed: ({ xhat: tf.Tensor3D; invSigma: tf.Tensor3D } | undefined)[] = [];
    let h = batch.x;
    layers.forEach((layer, l) => {
      inputs.push(h);
      const linear = bmm(h, layer.weight);
      let z = (constants[l]!.bias ? tf.add(linear, constants[l]!.bias!) : linear) as tf.Tensor3D;
      if (layer.norm) {
        const { xhat, invSigma, u } = normalise(layer.norm, constants[l]!, z);
        normed[l] = { xhat, invSigma };
        z = u;
      }
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
      const gu = d1 ? (tf.mul(d1, e) as tf.Tensor3D) : e;
      const curvature = d2 ? (tf.mul(d2, e) as tf.Tensor3D) : undefined;
      const n = normed[l];
      let delta = gu;
      let norm: NormState | undefined;
      if (n) {
        // ∂L/∂z = P(γ⊙∂L/∂u)/σ under batch statistics, (γ⊙∂L/∂u)/σ under running ones.
        const gx = tf.mul(gu, constants[l]!.gamma!) as tf.Tensor3D;
        const gxMean = layers[l]!.norm!.running ? undefined : meanRows(tf.mul(gx, n.xhat) as tf.Tensor3D);
        delta = tf.mul(gxMean ? project(gx, n.xhat, gxMean) : gx, n.invSigma) as tf.Tensor3D;
        norm = { ...n, gu, ...(gxMean ? { gxMean } : {}) };
      }
      states[l] = { input: inputs[l]!, inputT: transposeLast2(inputs[l]!), d1, curvature, delta, deltaT: transposeLast2(delta), ...(norm ? { norm } : {}) };
      if (l > 0) e = bmm(delta, weightsT[l]!);
    }
    return { layers: states, probs, massScale };
  });
}

/** The state's tensors, each once. */
function stateTensors(state: BatchState): tf.Tensor[] {
  const layers = state.layers.flatMap((s) => [s.input, s.inputT, s.d1, s.curvature, s.delta, s.deltaT, s.norm?.xhat, s.norm?.invSigma, s.norm?.gu, s.norm?.gxMean]);
  return [...new Set([...layers, state.probs, state.massScale].filter((t): t is tf.Tensor => t !== undefined))];
}

/** Floats of one batch's state (for the budget). */
function stateFloats(state: BatchState): number {
  return stateTensors(state).reduce((n, t) => n + t.size, 0);
}

/** One product's direction per layer: V `[S, fanIn, fanOut]`, Vᵀ, and c, the norm's γ and β parts `[S, 1, fanOut]`. */
interface Direction {
  readonly v: tf.Tensor3D;
  readonly vT: tf.Tensor3D;
  readonly c?: tf.Tensor3D;
  readonly gamma?: tf.Tensor3D;
  readonly beta?: tf.Tensor3D;
}

/** The layers' parts of a product: weight term, transposed weight term (undefined for the first layer), bias, the norm's γ and β. */
interface LayerProduct {
  readonly weight: tf.Tensor;
  readonly weightT?: tf.Tensor;
  readonly bias?: tf.Tensor;
  readonly gamma?: tf.Tensor;
  readonly beta?: tf.Tensor;
}

/** A norm's R-forward: R{x̂} (and mean(x̂⊙R{z}) under batch statistics) and R{u} = v_γ⊙x̂ + γ⊙R{x̂} + v_β. */
function normForward(s: NormState, c: LayerConstants, d: Direction, rz: tf.Tensor3D): { rxhat: tf.Tensor3D; xrz?: tf.Tensor3D; ru: tf.Tensor3D } {
  const xrz = s.gxMean ? meanRows(tf.mul(s.xhat, rz) as tf.Tensor3D) : undefined;
  const rxhat = tf.mul(xrz ? project(rz, s.xhat, xrz) : rz, s.invSigma) as tf.Tensor3D;
  const ru = tf.add(tf.add(tf.mul(d.gamma!, s.xhat), tf.mul(c.gamma!, rxhat)), d.beta!) as tf.Tensor3D;
  return { rxhat, ...(xrz ? { xrz } : {}), ru };
}

/**
 * A norm's R-backward from R{∂L/∂u}: its γ and β parts and R{∂L/∂z}. With g = γ⊙∂L/∂u, ∂L/∂z = P(g)/σ and
 * R{1/σ} = −mean(x̂⊙R{z})/σ², so R{∂L/∂z} = (P(R{g}) − R{x̂}⊙mean(g⊙x̂) − x̂⊙mean(g⊙R{x̂}) − mean(x̂⊙R{z})⊙∂L/∂z)/σ
 * (running statistics: R{g}/σ).
 */
function normBackward(s: NormState, c: LayerConstants, d: Direction, forward: { rxhat: tf.Tensor3D; xrz?: tf.Tensor3D }, delta: tf.Tensor3D, rgu: tf.Tensor3D): { gamma: tf.Tensor; beta: tf.Tensor; rdelta: tf.Tensor3D } {
  const gamma = sumRows(tf.add(tf.mul(rgu, s.xhat), tf.mul(s.gu, forward.rxhat)) as tf.Tensor3D);
  const beta = sumRows(rgu);
  const rgx = tf.add(tf.mul(d.gamma!, s.gu), tf.mul(c.gamma!, rgu)) as tf.Tensor3D;
  if (!s.gxMean) return { gamma, beta, rdelta: tf.mul(rgx, s.invSigma) as tf.Tensor3D };
  const grxMean = tf.mul(c.gamma!, meanRows(tf.mul(s.gu, forward.rxhat) as tf.Tensor3D));
  const inner = tf.sub(tf.sub(project(rgx, s.xhat, meanRows(tf.mul(s.xhat, rgx) as tf.Tensor3D)), tf.mul(forward.rxhat, s.gxMean)), tf.mul(s.xhat, grxMean));
  const rdelta = tf.mul(tf.sub(inner, tf.mul(forward.xrz!, delta)), s.invSigma) as tf.Tensor3D;
  return { gamma, beta, rdelta };
}

/** Σ over rows `[S, B, N]` → `[S, N]`. */
function sumRows(x: tf.Tensor3D): tf.Tensor {
  return simdSumRows(x) ?? tf.sum(x, 1);
}

/** The R-forward and R-backward passes of one batch (see dync_hvp.c's header for the formulas). */
function batchProduct(problem: RopProblem, weightsT: readonly tf.Tensor3D[], constants: readonly LayerConstants[], state: BatchState, direction: readonly Direction[]): LayerProduct[] {
  const { layers, loss, scale, rows } = problem;
  const ru: tf.Tensor3D[] = [];
  const rh: tf.Tensor3D[] = [];
  const normed: ReturnType<typeof normForward>[] = [];
  layers.forEach((layer, l) => {
    const s = state.layers[l]!;
    const d = direction[l]!;
    let z = bmm(s.input, d.v);
    if (l > 0) z = tf.add(z, bmm(rh[l - 1]!, layer.weight));
    if (d.c) z = tf.add(z, d.c);
    if (s.norm) {
      normed[l] = normForward(s.norm, constants[l]!, d, z);
      z = normed[l]!.ru;
    }
    ru.push(z);
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
    let rgu = (s.d1 ? tf.mul(s.d1, re) : re) as tf.Tensor3D;
    if (s.curvature) rgu = tf.add(rgu, tf.mul(s.curvature, ru[l]!));
    const norm = s.norm ? normBackward(s.norm, constants[l]!, direction[l]!, normed[l]!, s.delta, rgu) : undefined;
    const rdelta = norm ? norm.rdelta : rgu;
    parts[l] = {
      weight: bmm(s.inputT, rdelta),
      weightT: l > 0 ? bmm(s.deltaT, rh[l - 1]!) : undefined,
      // Under batch statistics L does not depend on the bias (the batch mean takes it out): its part is exactly 0,
      // where Σ_rows of R{∂L/∂z} would leave float32 residue (~3e-5 of Hv's largest entry on 2,000 rows).
      bias: layers[l]!.bias && !s.norm?.gxMean ? sumRows(rdelta) : undefined,
      ...(norm ? { gamma: norm.gamma, beta: norm.beta } : {}),
    };
    if (l > 0) re = tf.add(bmm(rdelta, weightsT[l]!), bmm(s.delta, direction[l]!.vT));
  }
  return parts;
}

/** A `[S, 1, n]` slice at `at` of every seed's direction. */
function perFeature(v: Float32Array, seeds: number, params: number, at: number, n: number): tf.Tensor3D {
  const flat = new Float32Array(seeds * n);
  for (let s = 0; s < seeds; s++) flat.set(v.subarray(s * params + at, s * params + at + n), s * n);
  return tf.tensor3d(flat, [seeds, 1, n]);
}

/** `[S, P]` float32 directions → per layer V, Vᵀ (transposed here in JS, so no product needs a transposed operand), c and the norm's parts. */
function upload(v: Float32Array, seeds: number, params: number, offsets: readonly LayerOffsets[]): Direction[] {
  return offsets.map(({ w, b, g, fanIn, fanOut, bias, norm }) => {
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
      ...(norm ? { gamma: perFeature(v, seeds, params, g, fanOut), beta: perFeature(v, seeds, params, g + fanOut, fanOut) } : {}),
    };
  });
}

/** out += one batch's parts (float64 sums; the transposed weight term added transposed); disposes the parts. */
function addParts(parts: readonly LayerProduct[], out: Float64Array, seeds: number, params: number, offsets: readonly LayerOffsets[]): void {
  parts.forEach((part, l) => {
    const { w, b, g, fanIn, fanOut } = offsets[l]!;
    const size = fanIn * fanOut;
    const weight = part.weight.dataSync();
    const weightT = part.weightT?.dataSync();
    const perFeatureParts = [[b, part.bias?.dataSync()], [g, part.gamma?.dataSync()], [g + fanOut, part.beta?.dataSync()]] as const;
    for (let s = 0; s < seeds; s++) {
      const at = s * params + w;
      for (let k = 0; k < size; k++) out[at + k]! += weight[s * size + k]!;
      if (weightT) for (let j = 0; j < fanOut; j++) for (let i = 0; i < fanIn; i++) out[at + i * fanOut + j]! += weightT[s * size + j * fanIn + i]!;
      for (const [offset, values] of perFeatureParts) if (values) for (let j = 0; j < fanOut; j++) out[s * params + offset + j]! += values[s * fanOut + j]!;
    }
  });
  tf.dispose(parts.flatMap((p) => [p.weight, p.weightT, p.bias, p.gamma, p.beta].filter((t): t is tf.Tensor => t !== undefined)));
}

/** Where a layer's weight, bias and norm's γ (β right after it) sit in a seed's flat vector. */
interface LayerOffsets {
  readonly w: number;
  readonly b: number;
  readonly g: number;
  readonly fanIn: number;
  readonly fanOut: number;
  readonly bias: boolean;
  readonly norm: boolean;
}

/** The prepared R-operator product of a measurement: each batch's state computed at its first product, kept within the budget. */
export function ropHvp(problem: RopProblem): RopHvp {
  const { layers } = problem;
  const seeds = layers[0]!.weight.shape[0]!;
  const offsets: LayerOffsets[] = [];
  let params = 0;
  for (const l of layers) {
    const [, fanIn, fanOut] = l.weight.shape;
    const b = params + fanIn! * fanOut!;
    const g = b + (l.bias ? fanOut! : 0);
    offsets.push({ w: params, b, g, fanIn: fanIn!, fanOut: fanOut!, bias: l.bias !== undefined, norm: l.norm !== undefined });
    params = g + (l.norm ? 2 * fanOut! : 0);
  }
  const weightsT = layers.map((l) => transposeLast2(l.weight));
  const perRow = (t: tf.Tensor2D | undefined) => (t ? (tf.reshape(t, [seeds, 1, -1]) as tf.Tensor3D) : undefined);
  const constants: LayerConstants[] = layers.map((l) => ({ bias: perRow(l.bias), gamma: perRow(l.norm?.gamma), beta: perRow(l.norm?.beta) }));
  const kept = new Map<number, BatchState>();
  let keep: boolean | undefined;
  let disposed = false;

  /** Batch k's state; the caller frees one that is not kept (`kept.has(k)` false) after use. */
  const state = (k: number): BatchState => {
    const held = kept.get(k);
    if (held) return held;
    const computed = batchState(problem, weightsT, constants, problem.batches[k]!);
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
            addParts(tidyKeep(() => batchProduct(problem, weightsT, constants, s, direction)), out, seeds, params, offsets);
          } finally {
            if (!kept.has(k)) disposeState(s, batch);
          }
        });
      } finally {
        tf.dispose(direction.flatMap((d) => [d.v, d.vT, d.c, d.gamma, d.beta].filter((t): t is tf.Tensor3D => t !== undefined)));
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      kept.forEach((s, k) => disposeState(s, problem.batches[k]!));
      kept.clear();
      tf.dispose([...weightsT, ...constants.flatMap((c) => [c.bias, c.gamma, c.beta]).filter((t): t is tf.Tensor3D => t !== undefined)]);
    },
  };
}

/** A batch's state freed, except the batch's own rows (the first layer's input, the caller's). */
function disposeState(state: BatchState, batch: RopBatch): void {
  tf.dispose(stateTensors(state).filter((t) => t !== batch.x));
}
