/**
 * dync's SIMD kernels on the tfjs wasm backend: the assembled module (simd-source.ts) instantiated against
 * the backend's own WebAssembly.Memory, and registered as tfjs kernels (`Dync*`) for the `wasm` backend, so
 * they run in place on tensors' heap memory like tfjs's own kernels and take part in its tape and memory
 * accounting. The differentiable ops that call them, with their gradients, are in ops.ts.
 *
 * Also replaces the wasm backend's Identity kernel (a malloc + copy per call), and its Cast to the same dtype,
 * with one that shares the input's buffer by reference count, as tfjs's cpu backend does and as its wasm
 * Reshape already does. tfjs clones every tensor a gradient saves, so this removes a copy of each saved
 * activation per step. Safe because no kernel writes into an input's buffer (outputs are always fresh;
 * variables swap buffers).
 *
 * `DYNC_SIMD_KERNELS=0` in the environment keeps tfjs's own kernels (for A/B timing and as an escape hatch).
 */
import { tf } from "../tf.js";
import { SCALAR_NET_ACTIVATIONS, type SimdKernelExports } from "./simd-source.js";
import { SIMD_KERNELS_BASE64 } from "./simd-wasm.js";

/** The WebAssembly API (Node's global; the project's TS lib has no DOM types for it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
const WebAssemblyApi = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: unknown };
    Memory: abstract new (...args: never[]) => WasmMemory;
  };
}).WebAssembly;

/** The parts of tfjs-backend-wasm's BackendWasm used here (not exported as a type by the package). */
interface WasmBackendLike {
  wasm: {
    asm?: { memory?: WasmMemory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    HEAPU8: Uint8Array;
    /** Emscripten's wrapper of an exported C function (tfjs's own kernels are called through it). */
    cwrap?(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
    /** The C++ side's table of tensor id → (element count, heap offset); it owns no memory. */
    tfjs?: { registerTensor?(id: number, size: number, offset: number): void; disposeData?(id: number): void };
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: object): void;
}

type MatrixName = "sum_rows" | "transpose";
type ProductName = "vecmat" | "matvec";

/**
 * An elementwise kernel: the module's export, its same-shape float32 array inputs (by tfjs input name),
 * how many same-shape outputs it writes (default 1), and its float32 scalar attributes, in the export's
 * order `fn(inputs…, outputs…, n, scalars…)`.
 */
interface ElementwiseSpec {
  readonly fn: "tanh" | "sigmoid" | "silu" | "tanh_grad" | "sigmoid_grad" | "silu_grad" | "relu_grad" | "sgd" | "adam";
  readonly inputs: readonly string[];
  readonly outputs?: number;
  readonly scalars?: readonly string[];
}

/** Optimizer updates as one pass (no gradients: never differentiated). */
export const SGD_KERNEL = "DyncSgd";
export const ADAM_KERNEL = "DyncAdam";
/** DyncAdam's scalars, in the export's order (each rounded to float32, as tfjs makes scalar tensors). */
export const ADAM_SCALARS = ["beta1", "oneMinusBeta1", "beta2", "oneMinusBeta2", "c2", "eps", "step"] as const;

/** tfjs kernel name → elementwise kernel. Activations take x; their derivatives (x, dy) and return dy·f′(x). */
const ELEMENTWISE_KERNELS: Record<string, ElementwiseSpec> = {
  DyncTanh: { fn: "tanh", inputs: ["x"] },
  DyncSigmoid: { fn: "sigmoid", inputs: ["x"] },
  DyncSilu: { fn: "silu", inputs: ["x"] },
  DyncTanhGrad: { fn: "tanh_grad", inputs: ["x", "dy"] },
  DyncSigmoidGrad: { fn: "sigmoid_grad", inputs: ["x", "dy"] },
  DyncSiluGrad: { fn: "silu_grad", inputs: ["x", "dy"] },
  DyncReluGrad: { fn: "relu_grad", inputs: ["x", "dy"] },
  [SGD_KERNEL]: { fn: "sgd", inputs: ["theta", "g"], scalars: ["lr"] },
  [ADAM_KERNEL]: { fn: "adam", inputs: ["theta", "g", "m", "v"], outputs: 3, scalars: ADAM_SCALARS },
};
export const SUM_ROWS_KERNEL = "DyncSumRows";
export const TRANSPOSE_KERNEL = "DyncTranspose";
/** `[S, N]` → `[S, M, N]`, every row a copy (attr `rows` = M); tfjs's Tile is ~85 ns per element here. */
export const BROADCAST_ROWS_KERNEL = "DyncBroadcastRows";
/**
 * Batched products with a vector side, `[S,1,K]×[S,K,N]` and `[S,M,K]×[S,K,1]`: XNNPACK runs them as
 * fully-connected layers whose matrix it repacks on every call. They have no registered gradient: they are
 * only called inside bmm's custom-gradient forward pass, which tfjs does not record on the tape.
 */
export const VECMAT_KERNEL = "DyncVecMat";
export const MATVEC_KERNEL = "DyncMatVec";
/**
 * `[S, M, K] × [S, K, N]`, S ≥ 2, as S calls of tfjs's own XNNPACK product on each seed's matrices in
 * place. tfjs's wasm BatchMatMul uses XNNPACK only when both batch sizes are 1 (and neither side is
 * flagged transposed); any other batch runs its scalar fallback loop (`slow_batch_matmul`, ~0.5 GFLOP/s
 * against ~10–20 for XNNPACK here), so a 2-seed 4×512 MLP step took 27× a 1-seed one (issue #21, item 0).
 * Slicing the seeds out with tf.slice is no way round it: the wasm Slice kernel copies the whole input on
 * every call (readSync), quadratic in S. No gradient: called only inside bmm's custom-gradient forward.
 */
export const SEED_MATMUL_KERNEL = "DyncSeedMatMul";
/**
 * Loss and gradients of a seed-batched 1→W→1 network in one kernel (simd-source.ts, `scalarNetKernel`).
 * No gradient of its own: the training step calls it instead of differentiating the forward pass.
 */
export const SCALAR_NET_KERNEL = "DyncScalarNet";
/**
 * The divergence tracker's per-step fold (runtime/train/divergence.ts) as one kernel: six tiny tfjs kernels
 * before, which for small networks cost more than the training step's arithmetic. Plain JS over the heap
 * (S values). Inputs loss float32 [S], alive bool [S], firstBad int32 [S]; attr step; outputs alive′, firstBad′.
 */
export const OBSERVE_LOSS_KERNEL = "DyncObserveLoss";
/**
 * K training steps of a 1→W→1 network in one kernel: per step the DyncScalarNet export, then the DyncSgd or
 * DyncAdam export on each parameter, with the same arguments as the step-by-step path (so bitwise its result),
 * in place on copies of the parameters and moments. Inputs x, y, p0…p3, s{i}_{k}; attrs ScalarNetAttrs and
 * `rules` (ScalarNetTrainRule per step); outputs per parameter θ′ and its slots′, then the losses [K, S].
 */
export const SCALAR_NET_TRAIN_KERNEL = "DyncScalarNetTrain";

/** One update of DyncScalarNetTrain: plain SGD (no weight decay) or Adam's scalars (ADAM_SCALARS, float32). */
export type ScalarNetTrainRule = { readonly kind: "sgd"; readonly lr: number } | ({ readonly kind: "adam" } & Readonly<Record<(typeof ADAM_SCALARS)[number], number>>);

/** Attributes of DyncScalarNet. */
export interface ScalarNetAttrs {
  /** One of SCALAR_NET_ACTIVATIONS. */
  readonly activation: string;
  /** leaky_relu's slope (else unused). */
  readonly alpha: number;
  /** The output multiplier (mlp's outputScale). */
  readonly scale: number;
  /** 1 for mse, 0.5 for half_mse. */
  readonly half: number;
}

/**
 * dync's own wasm kernels' arithmetic, numbered: the SIMD module (simd-wasm.ts, assembled from simd-source.ts) and
 * the float64 reorthogonalisation module (reorth-wasm.ts, from reorth-source.ts). Raise it whenever a change to
 * either makes the same program round differently where they serve (`backend.dyncKernels`), so `--resume` refuses
 * to continue a directory they served with other roundings (RUN031; the manifest's `backend.dyncKernelsRevision`,
 * absent in directories written before it was recorded: revision 1). test/runtime/backend.test.ts pins the modules'
 * bytes of each revision. The native kernels have their own (native.ts `NATIVE_KERNELS_REVISION`).
 * 1: up to 2026-12-04.
 */
export const WASM_KERNELS_REVISION = 1;

let compiled: object | undefined;
const instances = new WeakMap<object, SimdKernelExports>();
let registered = false;
let unavailable: string | undefined;

/** Whether dync's kernels serve the current backend (it is wasm, and they were not switched off). */
export function simdKernelsActive(): boolean {
  if (tf.getBackend() !== "wasm" || unavailable !== undefined) return false;
  return installSimdKernels();
}

/** Register the kernels (once per process); false, with the reason kept, where they cannot be used. */
export function installSimdKernels(): boolean {
  if (registered) return true;
  if (unavailable !== undefined) return false;
  if (!tf.getKernel(tf.Identity, "wasm")) return false; // the wasm package is not loaded (yet)
  if (process.env["DYNC_SIMD_KERNELS"] === "0") {
    unavailable = "switched off by DYNC_SIMD_KERNELS=0";
    return false;
  }
  try {
    compiled ??= new WebAssemblyApi.Module(Buffer.from(SIMD_KERNELS_BASE64, "base64"));
  } catch (error) {
    unavailable = `this Node's WebAssembly has no SIMD (${error instanceof Error ? error.message : String(error)})`;
    return false;
  }
  for (const [kernelName, spec] of Object.entries(ELEMENTWISE_KERNELS)) register(kernelName, elementwiseKernel(spec));
  register(SUM_ROWS_KERNEL, matrixKernel("sum_rows", ([s, m, n]) => [s, n]));
  register(TRANSPOSE_KERNEL, matrixKernel("transpose", ([s, m, n]) => [s, n, m]));
  register(BROADCAST_ROWS_KERNEL, broadcastRowsKernel);
  register(VECMAT_KERNEL, productKernel("vecmat"));
  register(MATVEC_KERNEL, productKernel("matvec"));
  register(SEED_MATMUL_KERNEL, seedMatMulKernel);
  register(SCALAR_NET_KERNEL, scalarNetKernel);
  register(OBSERVE_LOSS_KERNEL, observeLossKernel);
  register(SCALAR_NET_TRAIN_KERNEL, scalarNetTrainKernel);
  tf.unregisterKernel(tf.Identity, "wasm");
  tf.registerKernel({ kernelName: tf.Identity, backendName: "wasm", kernelFunc: sharedIdentity });
  replaceCast();
  registered = true;
  return true;
}

/** Why the kernels are not in use, or undefined when they are (or were never asked for). */
export function simdKernelsUnavailableReason(): string | undefined {
  return unavailable;
}

function register(kernelName: string, kernelFunc: tf.KernelFunc): void {
  tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
}

function exportsFor(backend: WasmBackendLike): SimdKernelExports {
  let kernels = instances.get(backend);
  if (kernels) return kernels;
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssemblyApi.Memory)) {
    throw new Error("dync SIMD kernels: the tfjs wasm backend exposes no WebAssembly.Memory (unknown tfjs build)");
  }
  const instance = new WebAssemblyApi.Instance(compiled!, { env: { memory } });
  kernels = instance.exports as unknown as SimdKernelExports;
  instances.set(backend, kernels);
  return kernels;
}

function offsetOf(backend: WasmBackendLike, tensor: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (!data) throw new Error("dync SIMD kernels: a tensor's data is not on the wasm backend");
  return data.memoryOffset;
}

function float32Input(kernel: string, tensor: tf.TensorInfo | undefined): tf.TensorInfo {
  if (!tensor || tensor.dtype !== "float32") {
    throw new Error(`${kernel}: expects float32 tensors, got ${tensor?.dtype ?? "none"}`);
  }
  return tensor;
}

/** Same-shape float32 arrays in, `outputs` same-shape arrays out, scalars from the attributes. */
function elementwiseKernel({ fn, inputs: names, outputs: count = 1, scalars = [] }: ElementwiseSpec): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as unknown as WasmBackendLike;
    const arrays = names.map((name) => float32Input(fn, inputs[name]));
    const shape = [...arrays[0]!.shape];
    if (arrays.some((a) => !tf.util.arraysEqual(a.shape, shape))) {
      throw new Error(`${fn}: inputs ${names.join(", ")} differ in shape (${arrays.map((a) => JSON.stringify(a.shape)).join(", ")})`);
    }
    const outputs = Array.from({ length: count }, () => wasm.makeOutput(shape, "float32"));
    const n = tf.util.sizeFromShape(shape);
    if (n > 0) {
      const values = scalars.map((name) => Number((attrs as Record<string, unknown>)[name]));
      const call = exportsFor(wasm)[fn] as (...args: number[]) => void;
      call(...arrays.map((a) => offsetOf(wasm, a)), ...outputs.map((o) => offsetOf(wasm, o)), n, ...values);
    }
    return count === 1 ? outputs[0]! : outputs;
  };
}

/** A kernel over `[batches, rows, cols]` (rank 3). */
function matrixKernel(fn: MatrixName, outShape: (shape: [number, number, number]) => number[]): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const wasm = backend as unknown as WasmBackendLike;
    const x = float32Input(fn, inputs["x"]);
    if (x.shape.length !== 3) throw new Error(`${fn}: expects a rank-3 tensor, got ${JSON.stringify(x.shape)}`);
    const shape = x.shape as [number, number, number];
    const out = wasm.makeOutput(outShape(shape), "float32");
    if (tf.util.sizeFromShape(shape) > 0) exportsFor(wasm)[fn](offsetOf(wasm, x), offsetOf(wasm, out), ...shape);
    else if (fn === "sum_rows") exportsFor(wasm).sum_rows(0, offsetOf(wasm, out), shape[0], 0, shape[2]);
    return out;
  };
}

function broadcastRowsKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const wasm = backend as unknown as WasmBackendLike;
  const g = float32Input("broadcast_rows", inputs["x"]);
  const rows = (attrs as { rows: number }).rows;
  if (g.shape.length !== 2 || !(Number.isInteger(rows) && rows >= 0)) {
    throw new Error(`broadcast_rows: expects [S, N] and rows ≥ 0, got ${JSON.stringify(g.shape)}, ${rows}`);
  }
  const [s, n] = g.shape as [number, number];
  const out = wasm.makeOutput([s, rows, n], "float32");
  if (s * rows * n > 0) exportsFor(wasm).broadcast_rows(offsetOf(wasm, g), offsetOf(wasm, out), s, rows, n);
  return out;
}

/** `a·b` per batch where a is one row (`vecmat`) or b one column (`matvec`). */
function productKernel(fn: ProductName): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const wasm = backend as unknown as WasmBackendLike;
    const a = float32Input(fn, inputs["a"]);
    const b = float32Input(fn, inputs["b"]);
    const [s, m, k] = a.shape as [number, number, number];
    const n = b.shape[2]!;
    const valid = a.shape.length === 3 && b.shape.length === 3 && b.shape[0] === s && b.shape[1] === k;
    if (!valid || (fn === "vecmat" ? m !== 1 : n !== 1)) {
      throw new Error(`${fn}: shapes ${JSON.stringify(a.shape)} × ${JSON.stringify(b.shape)} do not fit`);
    }
    const out = wasm.makeOutput([s, m, n], "float32");
    if (s * m * n === 0) return out;
    const kernels = exportsFor(wasm);
    if (fn === "vecmat") kernels.vecmat(offsetOf(wasm, a), offsetOf(wasm, b), offsetOf(wasm, out), s, k, n);
    else kernels.matvec(offsetOf(wasm, a), offsetOf(wasm, b), offsetOf(wasm, out), s, m, k);
    return out;
  };
}

/** tfjs's exported C entry `BatchMatMul(aId, aShape, aRank, bId, bShape, bRank, transposeA, transposeB, outId)`. */
type XnnBatchMatMul = (...args: unknown[]) => void;
const xnnBatchMatMuls = new WeakMap<object, XnnBatchMatMul>();

/** Whether this tfjs wasm build exposes what seedMatMulKernel needs (it is pinned, but say so if not). */
export function seedMatMulSupported(): boolean {
  const { wasm } = tf.backend() as unknown as WasmBackendLike;
  return (
    typeof wasm.cwrap === "function" &&
    typeof wasm.tfjs?.registerTensor === "function" &&
    typeof wasm.tfjs.disposeData === "function"
  );
}

function xnnBatchMatMul(backend: WasmBackendLike): XnnBatchMatMul {
  let fn = xnnBatchMatMuls.get(backend);
  if (!fn) {
    const argTypes = ["number", "array", "number", "number", "array", "number", "number", "number", "number"];
    fn = backend.wasm.cwrap!("BatchMatMul", null, argTypes);
    xnnBatchMatMuls.set(backend, fn);
  }
  return fn;
}

/** Shape bytes as tfjs passes them to its C entries (int32 little-endian). */
const shapeBytes = (shape: readonly number[]) => new Uint8Array(new Int32Array(shape).buffer);

/**
 * Per seed s: register three views (a, b, out at seed s's offsets) with the C++ tensor table under fresh ids,
 * run the batch-1 product on them, and unregister them. Unregistering frees nothing (the JS side owns heap
 * memory) and drops the XNNPACK operator tfjs caches under the b view's id, so no stale packed weights stay.
 */
function seedMatMulKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const wasm = backend as unknown as WasmBackendLike;
  const a = float32Input(SEED_MATMUL_KERNEL, inputs["a"]);
  const b = float32Input(SEED_MATMUL_KERNEL, inputs["b"]);
  const [s, m, k] = a.shape as [number, number, number];
  const n = b.shape[2]!;
  if (a.shape.length !== 3 || b.shape.length !== 3 || b.shape[0] !== s || b.shape[1] !== k) {
    throw new Error(`${SEED_MATMUL_KERNEL}: shapes ${JSON.stringify(a.shape)} × ${JSON.stringify(b.shape)} do not fit`);
  }
  const out = wasm.makeOutput([s, m, n], "float32");
  if (s * m * n === 0) return out;
  if (k === 0) {
    wasm.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const product = xnnBatchMatMul(wasm);
  const table = wasm.wasm.tfjs!;
  const [aShape, bShape] = [shapeBytes([1, m, k]), shapeBytes([1, k, n])];
  const views = [
    { base: offsetOf(wasm, a), size: m * k },
    { base: offsetOf(wasm, b), size: k * n },
    { base: offsetOf(wasm, out), size: m * n },
  ];
  for (let seed = 0; seed < s; seed++) {
    const ids = views.map(({ base, size }) => {
      const id = wasm.dataIdNextNumber++;
      table.registerTensor!(id, size, base + 4 * seed * size);
      return id;
    });
    try {
      product(ids[0], aShape, 3, ids[1], bShape, 3, false, false, ids[2]);
    } finally {
      for (const id of ids) table.disposeData!(id);
    }
  }
  return out;
}

/**
 * Inputs x, y `[S, B, 1]`, w1 `[S, 1, W]`, b1 `[S, W]`, w2 `[S, W, 1]`, b2 `[S, 1]`; outputs the per-sample
 * loss `[S, B]`, the per-seed loss `[S]` and the four gradients in the parameters' shapes.
 */
function scalarNetKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackendLike;
  const names = ["x", "y", "w1", "b1", "w2", "b2"] as const;
  const [x, y, w1, b1, w2, b2] = names.map((name) => float32Input(SCALAR_NET_KERNEL, inputs[name]));
  const { activation, alpha, scale, half } = attrs as unknown as ScalarNetAttrs;
  const [S, B] = x!.shape as [number, number];
  const W = w1!.shape[2]!;
  if (!SCALAR_NET_ACTIVATIONS.includes(activation)) throw new Error(`${SCALAR_NET_KERNEL}: no activation "${activation}"`);
  const outputs = [[S, B], [S], [S, 1, W], [S, W], [S, W, 1], [S, 1]].map((shape) => wasm.makeOutput(shape, "float32"));
  const scratch = wasm.wasm._malloc(Math.max(16, 112 * W)); // 7·W vectors of 16 bytes; not a tensor
  const at = (t: tf.TensorInfo) => offsetOf(wasm, t);
  try {
    exportsFor(wasm)[`scalar_net_${activation}`]!(
      ...[x, y, w1, b1, w2, b2].map((t) => at(t!)),
      S,
      B,
      W,
      alpha,
      scale,
      half,
      (2 * half * scale) / B, // dLoss/df per unit residual (2/B for mse, 1/B for half), through the scale
      1 / B,
      ...outputs.map(at),
      scratch,
    );
  } finally {
    wasm.wasm._free(scratch);
  }
  return outputs;
}

function scalarNetTrainKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackendLike;
  const { activation, alpha, scale, half, rules } = attrs as unknown as ScalarNetAttrs & { rules: ScalarNetTrainRule[] };
  const [x, y] = ["x", "y"].map((name) => float32Input(SCALAR_NET_TRAIN_KERNEL, inputs[name]));
  const [S, B] = x!.shape as [number, number];
  const slots = rules[0]!.kind === "adam" ? 2 : 0;
  if (!SCALAR_NET_ACTIVATIONS.includes(activation) || rules.some((r) => (r.kind === "adam" ? 2 : 0) !== slots)) {
    throw new Error(`${SCALAR_NET_TRAIN_KERNEL}: no activation "${activation}" or mixed rules`);
  }
  const params = [0, 1, 2, 3].map((i) => {
    const theta = float32Input(SCALAR_NET_TRAIN_KERNEL, inputs[`p${i}`]);
    const slotsIn = Array.from({ length: slots }, (_, k) => float32Input(SCALAR_NET_TRAIN_KERNEL, inputs[`s${i}_${k}`]));
    return { theta, slotsIn, size: tf.util.sizeFromShape(theta.shape), outputs: [theta, ...slotsIn].map((t) => wasm.makeOutput([...t.shape], "float32")) };
  });
  const losses = wasm.makeOutput([rules.length, S], "float32");
  const W = params[0]!.theta.shape[2]!;
  const gradBytes = 4 * params.reduce((n, p) => n + p.size, 0);
  const scratch = wasm.wasm._malloc(Math.max(16, 112 * W) + gradBytes + 4 * S * B); // not tensors
  try {
    // offsets after every allocation: an allocation may grow the heap, which replaces its buffer
    const at = (t: tf.TensorInfo) => offsetOf(wasm, t);
    const heap = wasm.wasm.HEAPU8;
    for (const p of params) [p.theta, ...p.slotsIn].forEach((t, k) => heap.copyWithin(at(p.outputs[k]!), at(t), at(t) + 4 * p.size));
    const grads: number[] = [];
    let next = scratch + Math.max(16, 112 * W);
    for (const p of params) {
      grads.push(next);
      next += 4 * p.size;
    }
    const perSample = next;
    const kernels = exportsFor(wasm);
    const theta = params.map((p) => at(p.outputs[0]!));
    rules.forEach((rule, k) => {
      kernels[`scalar_net_${activation}`]!(at(x!), at(y!), ...theta, S, B, W, alpha, scale, half, (2 * half * scale) / B, 1 / B, perSample, at(losses) + 4 * k * S, ...grads, scratch);
      params.forEach((p, i) => {
        if (rule.kind === "sgd") {
          kernels.sgd(theta[i]!, grads[i]!, theta[i]!, p.size, rule.lr);
        } else {
          const [m, v] = [at(p.outputs[1]!), at(p.outputs[2]!)];
          kernels.adam(theta[i]!, grads[i]!, m, v, theta[i]!, m, v, p.size, ...ADAM_SCALARS.map((name) => rule[name]));
        }
      });
    });
  } finally {
    wasm.wasm._free(scratch);
  }
  return [...params.flatMap((p) => p.outputs), losses];
}

function observeLossKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const wasm = backend as unknown as WasmBackendLike;
  const [loss, alive, firstBad] = [inputs["loss"]!, inputs["alive"]!, inputs["firstBad"]!];
  const step = (attrs as { step: number }).step;
  const outAlive = wasm.makeOutput([...alive.shape], "bool");
  const outFirstBad = wasm.makeOutput([...firstBad.shape], "int32");
  // views after every allocation: an allocation may grow (and so replace) the heap's buffer
  const [l, a, f, na, nf] = [loss, alive, firstBad, outAlive, outFirstBad].map((t) => wasm.typedArrayFromHeap(t));
  for (let s = 0; s < l!.length; s++) {
    const finite = Number.isFinite(l![s]!);
    na![s] = a![s] && finite ? 1 : 0;
    nf![s] = a![s] && !finite ? step : f![s]!;
  }
  return [outAlive, outFirstBad];
}

/** Identity that shares the input's buffer (reference count), as tfjs's cpu backend and wasm Reshape do. */
function sharedIdentity({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const x = inputs["x"]!;
  (backend as unknown as WasmBackendLike).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Cast to the dtype a tensor already has shares its buffer as Identity does; other casts run tfjs's kernel.
 * tfjs's gradients of Multiply, Square and others cast their float32 inputs to float32 (`cast(b, 'float32')`),
 * which the wasm Cast kernel did as a malloc + copy: 20 copies of `[4096, 256]` per step of a 4-layer MLP
 * with batch norm (docs/performance.md, "Batch norm").
 */
function replaceCast(): void {
  const original = tf.getKernel(tf.Cast, "wasm");
  if (!original) return;
  const castOther = original.kernelFunc;
  tf.unregisterKernel(tf.Cast, "wasm");
  tf.registerKernel({
    kernelName: tf.Cast,
    backendName: "wasm",
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      return (args.attrs as { dtype: tf.DataType }).dtype === x.dtype ? sharedIdentity(args) : castOther(args);
    },
  });
}

/** The module instance bound to the current wasm backend's memory (for tests that call the loops directly). */
export function simdKernelExports(): SimdKernelExports {
  if (!installSimdKernels()) throw new Error(`dync SIMD kernels unavailable: ${unavailable}`);
  return exportsFor(tf.backend() as unknown as WasmBackendLike);
}

/** The heap byte offset of a tensor on the wasm backend (for the same tests). */
export function heapOffset(tensor: tf.Tensor): number {
  return offsetOf(tf.backend() as unknown as WasmBackendLike, tensor);
}
