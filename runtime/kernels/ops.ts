/**
 * Differentiable ops on dync's SIMD kernels (wasm-kernels.ts), each with a registered gradient that reads
 * only the op's *inputs*, so nested `tf.grad` (Hessian-vector products) sees through it (see
 * activations.ts for why saved outputs would not do). The gradients are themselves built from these ops and
 * plain tfjs ops, so every order of differentiation stays correct.
 *
 * Each op returns undefined where the kernels do not serve the current backend (cpu, tfjs-node, or
 * `DYNC_SIMD_KERNELS=0`); callers then use their plain-tfjs composition. Both paths are tested against
 * each other and against finite differences (test/runtime/simd-kernels.test.ts).
 */
import { tf } from "../tf.js";
import { SCALAR_NET_ACTIVATIONS } from "./simd-source.js";
import type { ScalarNetSpec } from "../../contract/model.js";
import type { FusedOptimizerRule, ScalarNetTrained } from "./native-fused.js";
import {
  ADAM_KERNEL,
  ADAM_SCALARS,
  BROADCAST_ROWS_KERNEL,
  OBSERVE_LOSS_KERNEL,
  SGD_KERNEL,
  MATVEC_KERNEL,
  SCALAR_NET_KERNEL,
  SCALAR_NET_TRAIN_KERNEL,
  type ScalarNetTrainRule,
  SEED_MATMUL_KERNEL,
  seedMatMulSupported,
  type ScalarNetAttrs,
  SUM_ROWS_KERNEL,
  TRANSPOSE_KERNEL,
  VECMAT_KERNEL,
  simdKernelsActive,
} from "./wasm-kernels.js";

/** Run a registered kernel; several outputs come back as an array (the caller casts). */
function run(kernelName: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

const unary = (kernelName: string) => (x: tf.Tensor) => run(kernelName, { x });
const binary = (kernelName: string) => (x: tf.Tensor, dy: tf.Tensor) => run(kernelName, { x, dy });

const tanhKernel = unary("DyncTanh");
const sigmoidKernel = unary("DyncSigmoid");
const siluKernel = unary("DyncSilu");
/** dy·(1 − tanh²x) */
const tanhGrad = binary("DyncTanhGrad");
/** dy·σ(x)(1 − σ(x)) */
const sigmoidGrad = binary("DyncSigmoidGrad");
/** dy·σ(x)(1 + x(1 − σ(x))) */
const siluGrad = binary("DyncSiluGrad");
/** dy where x > 0, else 0 */
const reluGrad = binary("DyncReluGrad");

/** `[S, N]` → `[S, rows, N]` (rows copies). */
const broadcastRows = (g: tf.Tensor, rows: number) => run(BROADCAST_ROWS_KERNEL, { x: g }, { rows });

/** A gradient config for `f(x)` whose derivative kernel is `grad(x, dy)`. */
function unaryGradient(kernelName: string, grad: (x: tf.Tensor, dy: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => ({ x: () => grad(saved[0]!, dy as tf.Tensor) }),
  };
}

/**
 * A gradient config for a derivative kernel `g(x, dy) = dy·f′(x)`: linear in dy, so its dy-gradient is
 * g(x, ḡ); its x-gradient is ḡ·dy·f″(x), with f″ given as `secondTimes(x, v) = v·f″(x)`.
 */
function derivativeGradient(
  kernelName: string,
  derivative: (x: tf.Tensor, dy: tf.Tensor) => tf.Tensor,
  secondTimes: (x: tf.Tensor, v: tf.Tensor) => tf.Tensor,
): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ["x", "dy"],
    gradFunc: (g, saved) => {
      const [x, dy] = saved as [tf.Tensor, tf.Tensor];
      return {
        x: () => secondTimes(x, tf.mul(g as tf.Tensor, dy)),
        dy: () => derivative(x, g as tf.Tensor),
      };
    },
  };
}

let gradientsRegistered = false;

function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient(unaryGradient("DyncTanh", tanhGrad));
  tf.registerGradient(unaryGradient("DyncSigmoid", sigmoidGrad));
  tf.registerGradient(unaryGradient("DyncSilu", siluGrad));
  // tanh″ = −2·tanh·(1 − tanh²)
  tf.registerGradient(derivativeGradient("DyncTanhGrad", tanhGrad, (x, v) => tf.mul(-2, tanhGrad(x, tf.mul(v, tanhKernel(x))))));
  // σ″ = σ′·(1 − 2σ)
  tf.registerGradient(
    derivativeGradient("DyncSigmoidGrad", sigmoidGrad, (x, v) => tf.mul(sigmoidGrad(x, v), tf.sub(1, tf.mul(2, sigmoidKernel(x))))),
  );
  // silu″ = σ′·(2 + x(1 − 2σ))
  tf.registerGradient(
    derivativeGradient("DyncSiluGrad", siluGrad, (x, v) =>
      tf.mul(sigmoidGrad(x, v), tf.add(2, tf.mul(x, tf.sub(1, tf.mul(2, sigmoidKernel(x)))))),
    ),
  );
  // relu″ = 0 (almost everywhere)
  tf.registerGradient(derivativeGradient("DyncReluGrad", reluGrad, (x) => tf.zerosLike(x)));
  // Σ over rows and copying into rows are each other's adjoints
  tf.registerGradient({
    kernelName: SUM_ROWS_KERNEL,
    inputsToSave: ["x"],
    gradFunc: (g, saved) => ({ x: () => broadcastRows(g as tf.Tensor, saved[0]!.shape[1]!) }),
  });
  tf.registerGradient({ kernelName: BROADCAST_ROWS_KERNEL, gradFunc: (g) => ({ x: () => run(SUM_ROWS_KERNEL, { x: g as tf.Tensor }) }) });
  tf.registerGradient({
    kernelName: TRANSPOSE_KERNEL,
    gradFunc: (g) => ({ x: () => run(TRANSPOSE_KERNEL, { x: g as tf.Tensor }) }),
  });
}

function active(): boolean {
  if (!simdKernelsActive()) return false;
  registerGradients();
  return true;
}

/** tanh(x) on the SIMD kernel, or undefined where it does not serve the backend. */
export function simdTanh(x: tf.Tensor): tf.Tensor | undefined {
  return active() ? tanhKernel(x) : undefined;
}

/**
 * A unary op `forward(x)` whose gradient `gradient(x, dy)` is computed from the saved *input*, so an
 * enclosing tf.grad differentiates through it (the pattern of runtime/nn/activations.ts).
 */
export function unaryWithGradient(
  forward: (x: tf.Tensor) => tf.Tensor,
  gradient: (x: tf.Tensor, dy: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return { value: forward(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gradient(saved[0]!, dy) };
  });
  return (x) => op(x) as tf.Tensor;
}

/** σ(x) by tfjs's own Sigmoid (XNNPACK's, ~1.7–2.2 ns per element against the module's 2.5–2.7); σ′ by the kernel. */
const sigmoidOp = unaryWithGradient((x) => tf.sigmoid(x), sigmoidGrad);
/** max(0, x) by tfjs's Relu; dy·[x > 0] by one kernel (tfjs's is Step, Cast and Multiply). */
const reluOp = unaryWithGradient((x) => tf.relu(x), reluGrad);

/** σ(x) with its derivative dy·σ(1 − σ) as one SIMD kernel, or undefined. */
export function simdSigmoid(x: tf.Tensor): tf.Tensor | undefined {
  return active() ? sigmoidOp(x) : undefined;
}

/** x·σ(x) on the SIMD kernel, or undefined. */
export function simdSilu(x: tf.Tensor): tf.Tensor | undefined {
  return active() ? siluKernel(x) : undefined;
}

/** max(0, x) with its gradient dy·[x > 0] as one SIMD kernel, or undefined. */
export function simdRelu(x: tf.Tensor): tf.Tensor | undefined {
  return active() ? reluOp(x) : undefined;
}

/** dy·[x > 0] as one SIMD kernel (differentiable: its x-gradient is 0, its dy-gradient itself), or undefined. */
export function simdReluGrad(x: tf.Tensor, dy: tf.Tensor): tf.Tensor | undefined {
  return active() ? reluGrad(x, dy) : undefined;
}

/** Σ over the middle axis, `[S, M, N] → [S, N]` (a bias gradient), or undefined. */
export function simdSumRows(x: tf.Tensor3D): tf.Tensor2D | undefined {
  return active() ? (run(SUM_ROWS_KERNEL, { x }) as tf.Tensor2D) : undefined;
}

/** `[S, N]` → `[S, rows, N]`, every row a copy (differentiable: its gradient is the sum over rows), or undefined. */
export function simdBroadcastRows(x: tf.Tensor2D, rows: number): tf.Tensor3D | undefined {
  return active() ? (broadcastRows(x, rows) as tf.Tensor3D) : undefined;
}

/** The last two axes swapped, `[S, M, N] → [S, N, M]`, or undefined. */
export function simdTranspose(x: tf.Tensor3D): tf.Tensor3D | undefined {
  return active() ? (run(TRANSPOSE_KERNEL, { x }) as tf.Tensor3D) : undefined;
}

/**
 * `[S,1,K]×[S,K,N]` or `[S,M,K]×[S,K,1]` on the SIMD kernels, or undefined (other shapes, other backends).
 * No gradient: for bmm's custom-gradient forward pass only (runtime/nn/bmm.ts), which tfjs does not tape.
 */
export function simdVectorProduct(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D | undefined {
  const [, m, k] = a.shape;
  const n = b.shape[2];
  if (k < 2 || (m !== 1 && n !== 1) || !active()) return undefined;
  return run(n === 1 ? MATVEC_KERNEL : VECMAT_KERNEL, { a, b }) as tf.Tensor3D;
}

/**
 * Below this many multiply-adds per seed, tfjs's batched fallback loop is faster than S separate XNNPACK
 * calls (each creates and packs an operator); measured in docs/performance.md ("Several seeds on wasm: the seed cliff").
 */
export const SEED_PRODUCT_MIN_MACS = 1 << 13;

/**
 * `[S,M,K]×[S,K,N]` with S ≥ 2 as one XNNPACK product per seed in place (wasm-kernels.ts, SEED_MATMUL_KERNEL),
 * or undefined (one seed, small matrices, other backends). Bit-identical to tf.matMul on each seed alone.
 * No gradient: for bmm's custom-gradient forward pass only.
 */
export function simdSeedProduct(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D | undefined {
  const [s, m, k] = a.shape;
  const n = b.shape[2];
  if (s < 2 || m * k * n < SEED_PRODUCT_MIN_MACS || !active() || !seedMatMulSupported()) return undefined;
  return run(SEED_MATMUL_KERNEL, { a, b }) as tf.Tensor3D;
}

/** The loss and gradients of one training step, as the fused network kernel returns them. */
export interface FusedLossAndGradients {
  readonly perSample: tf.Tensor2D;
  readonly perSeed: tf.Tensor1D;
  /** Gradients of Σ_seeds perSeed for [w1, b1, w2, b2], in their shapes. */
  readonly grads: readonly [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
}

/** Whether dync's SIMD scalar-net kernel serves a 1→W→1 network with this hidden activation in this process. */
export function simdScalarNetServes(activation: string): boolean {
  return simdKernelsActive() && SCALAR_NET_ACTIVATIONS.includes(activation);
}

/**
 * Loss and gradients of a seed-batched 1→W→1 network (x, y `[S, B, 1]`; w1 `[S, 1, W]`, b1 `[S, W]`,
 * w2 `[S, W, 1]`, b2 `[S, 1]`) under mse (`half` 1) or half_mse (`half` 0.5), in one SIMD kernel; or
 * undefined where the kernels do not serve the backend.
 */
export function simdScalarNetStep(
  x: tf.Tensor,
  y: tf.Tensor,
  params: readonly [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor],
  attrs: ScalarNetAttrs,
): FusedLossAndGradients | undefined {
  if (!simdScalarNetServes(attrs.activation) || x.shape[1] === 0) return undefined;
  const [w1, b1, w2, b2] = params;
  const outputs = run(SCALAR_NET_KERNEL, { x, y, w1, b1, w2, b2 }, attrs) as unknown as tf.Tensor[];
  const [perSample, perSeed, dw1, db1, dw2, db2] = outputs as [tf.Tensor2D, tf.Tensor1D, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  return { perSample, perSeed, grads: [dw1, db1, dw2, db2] };
}

/**
 * K = rules.length training steps of a 1→W→1 network on one batch in one kernel (DyncScalarNetTrain): each
 * step `simdScalarNetStep`'s kernel, then `simdSgdUpdate` / `simdAdamUpdate`'s on every parameter, with the
 * same arguments, so bitwise the steps one by one. Undefined where the kernels do not serve, for an activation
 * the SIMD kernel lacks, and for rules whose step-by-step form is not those two kernels alone (momentum,
 * weight decay, AdamW).
 */
export function simdScalarNetTrain(
  x: tf.Tensor,
  y: tf.Tensor,
  net: ScalarNetSpec,
  slots: readonly (readonly tf.Tensor[])[],
  rules: readonly FusedOptimizerRule[],
): ScalarNetTrained | undefined {
  if (!simdScalarNetServes(net.activation) || x.shape[1] === 0 || rules.length === 0) return undefined;
  const kernelRules = rules.map(simdRule);
  const kind = kernelRules[0]?.kind;
  if (kernelRules.some((r) => r === undefined || r.kind !== kind)) return undefined;
  const slotCount = kind === "adam" ? 2 : 0;
  if (slots.length !== 4 || slots.some((list) => list.length !== slotCount)) return undefined;
  const inputs: tf.NamedTensorMap = { x, y };
  net.params.forEach((p, i) => {
    inputs[`p${i}`] = p;
    slots[i]!.forEach((slot, k) => (inputs[`s${i}_${k}`] = slot));
  });
  const { activation, alpha, scale, half } = net;
  const outputs = run(SCALAR_NET_TRAIN_KERNEL, inputs, { activation, alpha, scale, half, rules: kernelRules }) as unknown as tf.Tensor[];
  const losses = outputs.pop() as tf.Tensor2D;
  const stride = 1 + slotCount;
  return { params: [0, 1, 2, 3].map((i) => outputs[i * stride]!), slots: [0, 1, 2, 3].map((i) => outputs.slice(i * stride + 1, (i + 1) * stride)), losses };
}

/** A rule as the step-by-step SIMD path computes it (runtime/optim.ts), or undefined where that path runs tfjs ops. */
function simdRule(rule: FusedOptimizerRule): ScalarNetTrainRule | undefined {
  if (rule.weightDecay !== 0) return undefined;
  if (rule.kind === "sgd") return { kind: "sgd", lr: Math.fround(rule.lr) };
  if (rule.kind !== "adam" || rule.thetaFactor !== 1) return undefined;
  const scalars = { beta1: rule.beta1, oneMinusBeta1: 1 - rule.beta1, beta2: rule.beta2, oneMinusBeta2: 1 - rule.beta2, c2: rule.c2, eps: rule.eps, step: rule.stepSize };
  return { kind: "adam", ...(Object.fromEntries(ADAM_SCALARS.map((name) => [name, Math.fround(scalars[name])])) as Record<(typeof ADAM_SCALARS)[number], number>) };
}

/** θ − lr·g in one kernel (bit-identical to tfjs's Multiply then Sub), or undefined. */
export function simdSgdUpdate(theta: tf.Tensor, g: tf.Tensor, lr: number): tf.Tensor | undefined {
  if (!active()) return undefined;
  return run(SGD_KERNEL, { theta, g }, { lr: Math.fround(lr) });
}

/** Adam's scalars for one step (float64 in, float32 out, as tfjs's scalar tensors would hold them). */
export type AdamScalars = Record<(typeof ADAM_SCALARS)[number], number>;

/**
 * One Adam update of θ with moments m, v in one kernel, the same float32 operations in the same order as
 * runtime/optim.ts's composition (so bit-identical), or undefined: `[θ′, m′, v′]`.
 */
export function simdAdamUpdate(
  theta: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  scalars: AdamScalars,
): [tf.Tensor, tf.Tensor, tf.Tensor] | undefined {
  if (!active()) return undefined;
  const attrs = Object.fromEntries(ADAM_SCALARS.map((name) => [name, Math.fround(scalars[name])]));
  return run(ADAM_KERNEL, { theta, g, m, v }, attrs) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * The divergence fold of one step: alive′ = alive ∧ finite(loss), firstBad′ = step where a live seed's loss
 * just became non-finite, else firstBad; one kernel, or undefined.
 */
export function simdObserveLoss(
  loss: tf.Tensor,
  alive: tf.Tensor,
  firstBad: tf.Tensor,
  step: number,
): [tf.Tensor1D, tf.Tensor1D] | undefined {
  if (!active() || loss.dtype !== "float32") return undefined;
  return run(OBSERVE_LOSS_KERNEL, { loss, alive, firstBad }, { step }) as unknown as [tf.Tensor1D, tf.Tensor1D];
}
