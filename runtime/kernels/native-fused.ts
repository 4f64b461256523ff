/**
 * The fused training step on the native path: native/dync_fused.c (a second addon built next to dync_blas.c)
 * computes a plain dense MLP's loss and every gradient of all seeds in one call (products on OpenBLAS,
 * activations, loss and bias sums in C), and the optimizer update of all parameters in another. Why: with the
 * products on OpenBLAS, a small deep net's step was bound by tfjs's per-kernel dispatch (~224 kernels per step
 * of benchmark case (a)); docs/performance.md, "Fused MLP step".
 *
 * Active exactly where the native matrix products are (wasm backend, addon built, not `DYNC_NATIVE=0`; see
 * native.ts) and the fused addon loads; otherwise every function here returns undefined and the caller runs
 * the taped path. Each call is a tfjs kernel on the wasm backend whose outputs are fresh tensors: the addon
 * reads and writes the tensors' memory in the wasm heap, never updating an input in place (tfjs tensors may
 * share buffers). Training only: the kernels have no gradients (probes differentiate `forward`).
 */
import { tf } from "../tf.js";
import type { ActivationName } from "../../contract/model-specs.js";
import type { ScalarNetSpec } from "../../contract/model.js";
import { nativeMatMulActive } from "./native.js";
import { loadNativeAddon } from "./native-addon.js";

interface DyncFusedAddon {
  mlpStep(heap: ArrayBuffer, descriptor: Float64Array): void;
  optimizerStep(heap: ArrayBuffer, descriptor: Float64Array): void;
  /** Absent from an addon built before it existed. */
  gatherRows?(heap: ArrayBuffer, descriptor: Float64Array, indices: Int32Array): void;
  /** Absent from an addon built before they existed (then the 1→W→1 step stays on the wasm SIMD kernel). */
  scalarNetStep?(heap: ArrayBuffer, descriptor: Float64Array): void;
  scalarNetTrain?(heap: ArrayBuffer, descriptor: Float64Array): void;
  /** Absent from an addon built before it existed. */
  sinCos?(heap: ArrayBuffer, descriptor: Float64Array): void;
}

/** native/dync_activations.h's activation codes (dync_fused.c, dync_hvp.c). */
export const ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = {
  identity: 0,
  relu: 1,
  leaky_relu: 2,
  tanh: 3,
  sigmoid: 4,
  silu: 5,
  xtanh: 6,
  gelu: 7,
  softplus: 8,
};

/** native/dync_fused.c's loss codes. */
export const FUSED_LOSS_CODES = { mse: 0, half_mse: 1, half_sse: 2, cross_entropy: 3 } as const;
export type FusedLoss = keyof typeof FUSED_LOSS_CODES;

/** Batch norm (training mode) after a dense layer's product: γ, β and the running statistics, `[S, N]`. */
export interface FusedBatchNorm {
  readonly gamma: tf.Tensor;
  readonly beta: tf.Tensor;
  readonly runningMean: tf.Tensor;
  readonly runningVar: tf.Tensor;
  readonly momentum: number;
  readonly eps: number;
}

/** One dense layer of a fused MLP: x·W (+ b) [→ batch norm], then its activation (identity for none). */
export interface FusedDenseLayer {
  readonly weight: tf.Tensor;
  readonly bias?: tf.Tensor;
  readonly norm?: FusedBatchNorm;
  readonly activation: ActivationName;
  /** leaky_relu's slope. */
  readonly alpha: number;
}

export interface FusedMlpStep {
  readonly perSample: tf.Tensor2D;
  readonly perSeed: tf.Tensor1D;
  /** Per layer its weight's gradient, then its bias's (when it has one), then γ's and β's (batch norm). */
  readonly grads: readonly tf.Tensor[];
  /** Per batch-norm layer, in order, the moved running mean and variance (the caller assigns them). */
  readonly runningStats: readonly (readonly [tf.Tensor, tf.Tensor])[];
}

const MLP_STEP_KERNEL = "DyncNativeMlpStep";
const OPTIMIZER_STEP_KERNEL = "DyncNativeOptimizerStep";
const GATHER_ROWS_KERNEL = "DyncNativeGatherRows";
const SCALAR_NET_STEP_KERNEL = "DyncNativeScalarNetStep";
const SCALAR_NET_TRAIN_KERNEL = "DyncNativeScalarNetTrain";
const SIN_COS_KERNEL = "DyncNativeSinCos";

let addon: DyncFusedAddon | undefined;
let unavailable: string | undefined;
let loaded = false;
/** Tests and the benchmark compare the fused and the taped step in one process; `DYNC_FUSED_STEP=0` turns it off. */
let enabled = process.env["DYNC_FUSED_STEP"] !== "0";

/** Route training steps to the fused native kernels (true, the default) or to the taped path (false). */
export function setNativeFusedStepEnabled(on: boolean): void {
  enabled = on;
}

function loadAddon(): void {
  if (loaded) return;
  loaded = true;
  const load = loadNativeAddon<DyncFusedAddon>("dync_fused");
  if (!("addon" in load)) {
    unavailable = "missing" in load ? "the fused-step addon is not built (`npm run native`)" : `the fused-step addon did not load (${load.error})`;
    return;
  }
  addon = load.addon;
  tf.registerKernel({ kernelName: MLP_STEP_KERNEL, backendName: "wasm", kernelFunc: mlpStepKernel });
  tf.registerKernel({ kernelName: OPTIMIZER_STEP_KERNEL, backendName: "wasm", kernelFunc: optimizerStepKernel });
  if (addon.gatherRows) tf.registerKernel({ kernelName: GATHER_ROWS_KERNEL, backendName: "wasm", kernelFunc: gatherRowsKernel });
  if (addon.scalarNetStep && addon.scalarNetTrain) {
    tf.registerKernel({ kernelName: SCALAR_NET_STEP_KERNEL, backendName: "wasm", kernelFunc: scalarNetStepKernel });
    tf.registerKernel({ kernelName: SCALAR_NET_TRAIN_KERNEL, backendName: "wasm", kernelFunc: scalarNetTrainKernel });
  }
  if (addon.sinCos) tf.registerKernel({ kernelName: SIN_COS_KERNEL, backendName: "wasm", kernelFunc: sinCosKernel });
}

/** The addon when the native path serves this process now, else undefined. */
function activeAddon(): DyncFusedAddon | undefined {
  if (!enabled || !nativeMatMulActive()) return undefined;
  loadAddon();
  return addon;
}

/** Whether the fused native step can serve (the backend line and manifest say so). */
export function nativeFusedStepActive(): boolean {
  return activeAddon() !== undefined;
}

/** What a run records about its training step (manifest.json `backend.fusedStep`). */
export interface NativeFusedStepInfo {
  /**
   * "native": plain dense MLPs train with the fused native step and every optimizer update with sgd, momentum,
   * adam or adamw is one native call; "taped": every step differentiates `forward` on tfjs's tape.
   */
  readonly path: "native" | "taped";
  /** taped: why. */
  readonly reason?: string;
}

/** For the backend line and the manifest: which training step serves plain dense MLPs, and why not the fused one. */
export function nativeFusedStepInfo(): NativeFusedStepInfo {
  if (activeAddon()) return { path: "native" };
  const reason = nativeFusedStepUnavailableReason() ?? "the native matrix products are off";
  return { path: "taped", reason };
}

/** Why the fused native step cannot serve, when the native products can (undefined otherwise). */
export function nativeFusedStepUnavailableReason(): string | undefined {
  if (!nativeMatMulActive()) return undefined;
  if (!enabled) return process.env["DYNC_FUSED_STEP"] === "0" ? "switched off by DYNC_FUSED_STEP=0" : "switched off in this process";
  loadAddon();
  return unavailable;
}

/**
 * Loss and gradients of a seed-batched dense MLP in one native call: x `[S, B, in]`, y `[S, B, out]` target
 * rows (for cross-entropy one-hot or soft rows; `smoothing` as `crossEntropyLoss`), the output multiplied by
 * `scale`. Undefined where the native path does not serve.
 */
export function nativeMlpStep(
  x: tf.Tensor,
  y: tf.Tensor,
  layers: readonly FusedDenseLayer[],
  loss: FusedLoss,
  options: { readonly smoothing: number; readonly scale: number },
): FusedMlpStep | undefined {
  if (!activeAddon() || x.dtype !== "float32" || y.dtype !== "float32") return undefined;
  const inputs: tf.NamedTensorMap = { x, y };
  layers.forEach((layer, i) => {
    inputs[`w${i}`] = layer.weight;
    if (layer.bias) inputs[`b${i}`] = layer.bias;
    if (layer.norm) Object.assign(inputs, { [`g${i}`]: layer.norm.gamma, [`be${i}`]: layer.norm.beta, [`rm${i}`]: layer.norm.runningMean, [`rv${i}`]: layer.norm.runningVar });
  });
  const attrs = {
    loss: FUSED_LOSS_CODES[loss],
    smoothing: options.smoothing,
    scale: options.scale,
    layers: layers.map((l) => [ACTIVATION_CODES[l.activation], l.alpha, l.bias ? 1 : 0, l.norm ? 1 : 0, l.norm?.momentum ?? 0, l.norm?.eps ?? 0]),
  };
  const outputs = tf.engine().runKernel(MLP_STEP_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  const norms = layers.filter((l) => l.norm).length;
  const [perSample, perSeed, ...rest] = outputs;
  const stats = rest.slice(rest.length - 2 * norms);
  const runningStats = Array.from({ length: norms }, (_, k) => [stats[2 * k]!, stats[2 * k + 1]!] as const);
  return { perSample: perSample as tf.Tensor2D, perSeed: perSeed as tf.Tensor1D, grads: rest.slice(0, rest.length - 2 * norms), runningStats };
}

/** One optimizer update of every parameter, as runtime/optim.ts's rules compute it (bitwise). */
export type FusedOptimizerRule =
  | { readonly kind: "sgd"; readonly lr: number; readonly weightDecay: number }
  | {
      readonly kind: "momentum";
      readonly lr: number;
      readonly weightDecay: number;
      readonly momentum: number;
      readonly dampening: number;
      readonly nesterov: boolean;
      /** The first update: the buffer starts as the gradient itself (torch). */
      readonly first: boolean;
    }
  | {
      readonly kind: "adam";
      readonly weightDecay: number;
      readonly beta1: number;
      readonly beta2: number;
      readonly eps: number;
      /** lr / (1 − β₁ᵗ). */
      readonly stepSize: number;
      /** √(1 − β₂ᵗ). */
      readonly c2: number;
      /** AdamW's θ·(1 − lr·wd) before the step; 1 for Adam. */
      readonly thetaFactor: number;
    };

const OPTIMIZER_CODES = { sgd: 0, momentum: 1, adam: 2 } as const;

/**
 * The update of every parameter in one native call: per parameter `[θ′, slot′…]` (the rule's slots: none for
 * sgd, the buffer for momentum, m and v for adam), or undefined where the native path does not serve.
 */
export function nativeOptimizerStep(
  params: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  slots: readonly (readonly tf.Tensor[])[],
  rule: FusedOptimizerRule,
): tf.Tensor[][] | undefined {
  if (!activeAddon() || params.some((p, i) => p.dtype !== "float32" || grads[i]!.dtype !== "float32")) return undefined;
  const inputs: tf.NamedTensorMap = {};
  params.forEach((p, i) => {
    inputs[`p${i}`] = p;
    inputs[`g${i}`] = grads[i]!;
    slots[i]!.forEach((slot, k) => (inputs[`s${i}_${k}`] = slot));
  });
  const perParam = 1 + slotCount(rule);
  const flat = tf.engine().runKernel(OPTIMIZER_STEP_KERNEL, inputs, { rule, count: params.length } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  return params.map((_, i) => flat.slice(i * perParam, (i + 1) * perParam));
}

/**
 * Rows `rows` of a float32 table (rows along axis 0), as tf.gather(table, rows) gives them (bitwise: a copy),
 * in one native call; undefined where the native path does not serve. tfjs's wasm Gather computes coordinates
 * per element: a 128×784 minibatch took longer than the fused step that trains on it.
 */
export function nativeGatherRows(table: tf.Tensor, rows: Int32Array): tf.Tensor | undefined {
  if (!activeAddon()?.gatherRows || table.dtype !== "float32" || table.rank < 1) return undefined;
  return tf.engine().runKernel(GATHER_ROWS_KERNEL, { table }, { rows } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** A 1→W→1 network as the scalar-net kernels take it (contract/model.ts `ScalarNetSpec`). */
type ScalarNet = ScalarNetSpec;

/** The network part of the scalar-net kernels' attributes. */
function scalarNetAttrs(net: ScalarNet): { act: number; alpha: number; scale: number; half: number } {
  return { act: ACTIVATION_CODES[net.activation], alpha: net.alpha, scale: net.scale, half: net.half };
}

function scalarNetServes(x: tf.Tensor, y: tf.Tensor, net: ScalarNet): DyncFusedAddon | undefined {
  if (!nativeScalarNetServes(net)) return undefined;
  if (x.dtype !== "float32" || y.dtype !== "float32" || x.rank !== 3 || x.shape[1] === 0) return undefined;
  return addon;
}

/** Whether the native scalar-net kernels serve `net` in this process (given a well-formed batch). */
export function nativeScalarNetServes(net: ScalarNet): boolean {
  const native = activeAddon();
  return native?.scalarNetStep !== undefined && native.scalarNetTrain !== undefined && net.activation in ACTIVATION_CODES;
}

/**
 * Loss and gradients of a seed-batched 1→W→1 network in one native call (x, y `[S, B, 1]`; the gradients of
 * Σ_seeds perSeed for w1 `[S, 1, W]`, b1 `[S, W]`, w2 `[S, W, 1]`, b2 `[S, 1]`); undefined where the native
 * path does not serve (then the wasm SIMD kernel does). Training only: no gradient of its own.
 */
export function nativeScalarNetStep(x: tf.Tensor, y: tf.Tensor, net: ScalarNet): FusedMlpStep | undefined {
  if (!scalarNetServes(x, y, net)) return undefined;
  const [w1, b1, w2, b2] = net.params;
  const outputs = tf.engine().runKernel(SCALAR_NET_STEP_KERNEL, { x, y, w1, b1, w2, b2 }, scalarNetAttrs(net)) as unknown as tf.Tensor[];
  const [perSample, perSeed, ...grads] = outputs;
  return { perSample: perSample as tf.Tensor2D, perSeed: perSeed as tf.Tensor1D, grads, runningStats: [] };
}

/** What `nativeScalarNetTrain` returns: the parameters and optimizer slots after the steps, and each step's loss. */
export interface ScalarNetTrained {
  readonly params: readonly tf.Tensor[];
  /** Per parameter its slots (none for sgd, the buffer for momentum, m and v for adam). */
  readonly slots: readonly (readonly tf.Tensor[])[];
  /** Per step (rows) the per-seed loss at the parameters that step started from, `[K, S]`. */
  readonly losses: tf.Tensor2D;
}

/**
 * K = rules.length training steps of a 1→W→1 network on one batch in one native call: each step the gradient
 * as `nativeScalarNetStep` and then the update of rule k as `nativeOptimizerStep` — the same C functions in
 * the same order, so bitwise K pairs of those calls. For stretches of training where nothing reads the state
 * between updates (runtime/train/loop.ts); undefined where the native path does not serve.
 */
export function nativeScalarNetTrain(
  x: tf.Tensor,
  y: tf.Tensor,
  net: ScalarNet,
  slots: readonly (readonly tf.Tensor[])[],
  rules: readonly FusedOptimizerRule[],
): ScalarNetTrained | undefined {
  if (!scalarNetServes(x, y, net) || rules.length === 0 || slots.length !== 4) return undefined;
  const perParam = slotCount(rules[0]!);
  if (rules.some((r) => slotCount(r) !== perParam) || slots.some((list) => list.length !== perParam)) return undefined;
  const inputs: tf.NamedTensorMap = { x, y };
  net.params.forEach((p, i) => {
    inputs[`p${i}`] = p;
    slots[i]!.forEach((slot, k) => (inputs[`s${i}_${k}`] = slot));
  });
  const header = rules.flatMap((r) => ruleHeader(r, 4));
  const outputs = tf.engine().runKernel(SCALAR_NET_TRAIN_KERNEL, inputs, { ...scalarNetAttrs(net), slots: perParam, rules: header } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  const losses = outputs.pop() as tf.Tensor2D;
  const stride = 1 + perParam;
  return { params: [0, 1, 2, 3].map((i) => outputs[i * stride]!), slots: [0, 1, 2, 3].map((i) => outputs.slice(i * stride + 1, (i + 1) * stride)), losses };
}

function scalarNetHeader(wasm: WasmBackendLike, x: tf.TensorInfo, y: tf.TensorInfo, w1: tf.TensorInfo, attrs: { act: number; alpha: number; scale: number; half: number }): number[] {
  const [S, B] = x.shape as [number, number];
  const at = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset;
  return [S, B, w1.shape[2]!, attrs.act, attrs.alpha, attrs.scale, attrs.half, at(x), at(y)];
}

function scalarNetStepKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackendLike;
  const [x, y, w1, b1, w2, b2] = ["x", "y", "w1", "b1", "w2", "b2"].map((name) => inputs[name]!);
  const [S, B] = x!.shape as [number, number];
  const outputs = [[S, B], [S], [...w1!.shape], [...b1!.shape], [...w2!.shape], [...b2!.shape]].map((shape) => wasm.makeOutput(shape, "float32"));
  // Offsets read after every makeOutput: an allocation may grow the heap, which replaces its buffer.
  const at = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset;
  const header = scalarNetHeader(wasm, x!, y!, w1!, attrs as unknown as { act: number; alpha: number; scale: number; half: number });
  addon!.scalarNetStep!(wasm.wasm.HEAPU8.buffer as ArrayBuffer, new Float64Array([...header, ...[w1, b1, w2, b2].map((t) => at(t!)), ...outputs.map(at)]));
  return outputs;
}

function scalarNetTrainKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackendLike;
  const a = attrs as unknown as { act: number; alpha: number; scale: number; half: number; slots: number; rules: number[] };
  const steps = a.rules.length / OPTIMIZER_HEADER_LENGTH;
  const x = inputs["x"]!;
  const params = [0, 1, 2, 3].map((i) => {
    const theta = inputs[`p${i}`]!;
    const slotsIn = Array.from({ length: a.slots }, (_, k) => inputs[`s${i}_${k}`]!);
    const outputs = Array.from({ length: 1 + a.slots }, () => wasm.makeOutput([...theta.shape], "float32"));
    return { theta, slotsIn, outputs };
  });
  const losses = wasm.makeOutput([steps, x.shape[0]!], "float32");
  const at = (t: tf.TensorInfo | undefined) => (t ? wasm.dataIdMap.get(t.dataId)!.memoryOffset : 0);
  const header = scalarNetHeader(wasm, x, inputs["y"]!, inputs["p0"]!, a);
  const operands = params.flatMap(({ theta, slotsIn, outputs: [out, ...slotsOut] }) => [at(theta), at(out), at(slotsIn[0]), at(slotsOut[0]), at(slotsIn[1]), at(slotsOut[1])]);
  addon!.scalarNetTrain!(wasm.wasm.HEAPU8.buffer as ArrayBuffer, new Float64Array([...header, steps, a.slots, ...operands, at(losses), ...a.rules]));
  return [...params.flatMap((p) => p.outputs), losses];
}

/** Entries of one optimizer rule in a descriptor (ruleHeader). */
const OPTIMIZER_HEADER_LENGTH = 14;

/**
 * [sin x, cos x] of a float32 tensor in one native call (glibc's sincosf), for input encodings in the fused
 * step; undefined where the native path does not serve. No gradient (training's fixed encodings only): tfjs's
 * wasm Sin and Cos took ~50 ns per element on a NeRF encoding's arguments, ~7× the native call.
 */
export function nativeSinCos(x: tf.Tensor): [tf.Tensor, tf.Tensor] | undefined {
  if (!activeAddon()?.sinCos || x.dtype !== "float32") return undefined;
  return tf.engine().runKernel(SIN_COS_KERNEL, { x }) as unknown as [tf.Tensor, tf.Tensor];
}

function slotCount(rule: FusedOptimizerRule): number {
  return rule.kind === "adam" ? 2 : rule.kind === "momentum" ? 1 : 0;
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

function mlpStepKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackendLike;
  const { loss, smoothing, scale, layers } = attrs as unknown as { loss: number; smoothing: number; scale: number; layers: [number, number, number, number, number, number][] };
  const x = inputs["x"]!;
  const y = inputs["y"]!;
  const [S, B] = x.shape as [number, number, number];
  const perSample = wasm.makeOutput([S, B], "float32");
  const perSeed = wasm.makeOutput([S], "float32");
  const grads: tf.TensorInfo[] = [];
  const stats: tf.TensorInfo[] = [];
  const layerTensors = layers.map(([, , hasBias, hasNorm], i) => {
    const w = inputs[`w${i}`]!;
    const b = hasBias ? inputs[`b${i}`]! : undefined;
    const gw = wasm.makeOutput([...w.shape], "float32");
    const gb = b ? wasm.makeOutput([...b.shape], "float32") : undefined;
    grads.push(gw, ...(gb ? [gb] : []));
    if (!hasNorm) return { w, b, gw, gb };
    const perFeature = () => wasm.makeOutput([S, w.shape[2]!], "float32");
    const norm = { gamma: inputs[`g${i}`]!, beta: inputs[`be${i}`]!, mean: inputs[`rm${i}`]!, variance: inputs[`rv${i}`]!, newMean: perFeature(), newVar: perFeature(), gGamma: perFeature(), gBeta: perFeature() };
    grads.push(norm.gGamma, norm.gBeta);
    stats.push(norm.newMean, norm.newVar);
    return { w, b, gw, gb, norm };
  });
  // Offsets read after every makeOutput: an allocation may grow the heap, which replaces its buffer.
  const at = (t: tf.TensorInfo | undefined) => (t ? wasm.dataIdMap.get(t.dataId)!.memoryOffset : 0);
  const descriptor = new Float64Array(10 + 20 * layers.length);
  descriptor.set([S, B, layers.length, loss, smoothing, scale, at(x), at(y), at(perSample), at(perSeed)]);
  layers.forEach(([act, alpha, hasBias, hasNorm, momentum, eps], i) => {
    const { w, b, gw, gb, norm } = layerTensors[i]!;
    const normPart = norm
      ? [hasNorm, at(norm.gamma), at(norm.beta), at(norm.mean), at(norm.variance), at(norm.newMean), at(norm.newVar), at(norm.gGamma), at(norm.gBeta), momentum, eps]
      : Array<number>(11).fill(0);
    descriptor.set([w.shape[1]!, w.shape[2]!, act, alpha, hasBias, at(w), at(b), at(gw), at(gb), ...normPart], 10 + 20 * i);
  });
  addon!.mlpStep(wasm.wasm.HEAPU8.buffer as ArrayBuffer, descriptor);
  return [perSample, perSeed, ...grads, ...stats];
}

function optimizerStepKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackendLike;
  const { rule, count } = attrs as unknown as { rule: FusedOptimizerRule; count: number };
  const slots = slotCount(rule);
  const perParam = Array.from({ length: count }, (_, i) => {
    const theta = inputs[`p${i}`]!;
    const outputs = Array.from({ length: 1 + slots }, () => wasm.makeOutput([...theta.shape], "float32"));
    return { theta, grad: inputs[`g${i}`]!, slotsIn: Array.from({ length: slots }, (_, k) => inputs[`s${i}_${k}`]!), outputs };
  });
  const at = (t: tf.TensorInfo | undefined) => (t ? wasm.dataIdMap.get(t.dataId)!.memoryOffset : 0);
  const descriptor = new Float64Array(14 + 8 * count);
  descriptor.set(ruleHeader(rule, count));
  perParam.forEach(({ theta, grad, slotsIn, outputs }, i) => {
    const [out, ...slotsOut] = outputs;
    descriptor.set(
      [theta.shape.reduce((a, b) => a * b, 1), at(theta), at(grad), at(out), at(slotsIn[0]), at(slotsOut[0]), at(slotsIn[1]), at(slotsOut[1])],
      14 + 8 * i,
    );
  });
  addon!.optimizerStep(wasm.wasm.HEAPU8.buffer as ArrayBuffer, descriptor);
  return perParam.flatMap((p) => p.outputs);
}

/** A rule as native/dync_fused.c's 14-entry optimizer header (optimizerStep; each step of scalarNetTrain). */
function ruleHeader(r: FusedOptimizerRule, count: number): number[] {
  return [
    OPTIMIZER_CODES[r.kind],
    count,
    r.kind === "adam" ? 0 : r.lr,
    r.kind === "momentum" ? r.momentum : 0,
    r.kind === "momentum" ? r.dampening : 0,
    r.kind === "momentum" && r.nesterov ? 1 : 0,
    r.kind === "momentum" && r.first ? 1 : 0,
    r.kind === "adam" ? r.beta1 : 0,
    r.kind === "adam" ? r.beta2 : 0,
    r.kind === "adam" ? r.eps : 0,
    r.kind === "adam" ? r.stepSize : 0,
    r.kind === "adam" ? r.c2 : 1,
    r.kind === "adam" ? r.thetaFactor : 1,
    r.weightDecay,
  ];
}

function gatherRowsKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const wasm = backend as unknown as WasmBackendLike;
  const table = inputs["table"]!;
  const { rows } = attrs as unknown as { rows: Int32Array };
  const rowFloats = table.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = wasm.makeOutput([rows.length, ...table.shape.slice(1)], "float32");
  const at = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset;
  addon!.gatherRows!(wasm.wasm.HEAPU8.buffer as ArrayBuffer, new Float64Array([at(table), table.shape[0]!, rowFloats, at(out)]), rows);
  return out;
}

function sinCosKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackendLike;
  const x = inputs["x"]!;
  const [sin, cos] = [wasm.makeOutput([...x.shape], "float32"), wasm.makeOutput([...x.shape], "float32")];
  const at = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset;
  const n = x.shape.reduce((a, b) => a * b, 1);
  addon!.sinCos!(wasm.wasm.HEAPU8.buffer as ArrayBuffer, new Float64Array([at(x), n, at(sin), at(cos)]));
  return [sin, cos];
}
