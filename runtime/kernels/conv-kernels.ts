/**
 * im2col and col2im as tfjs kernels (`DyncIm2col`, `DyncCol2im`) on the wasm and cpu backends: a convolution's
 * patches gathered by one pass over the input, and their adjoint (patch gradients summed back into an image)
 * by one pass over the patches. Why: the previous route built patches from constant 0/1 shift matrices by two
 * matrix products and 6-d transposes, whose gradients are more transposes and products; for case (g)'s CNN
 * (bench/conv-bench.ts) those transposes were ~85 % of a 2.2 s step.
 *
 * The two maps are linear and adjoint to each other, so each one's gradient is the other applied to the
 * incoming gradient, and every order of differentiation (Hessian-vector products through conv layers) is
 * exact. On the wasm backend they read and write the tensors' memory in the wasm heap in place; with dync's
 * native addon built (native/dync_conv.c) the loops run there, else in JS over the same heap.
 *
 * Layout: x `[N, H, W, C]` → patches `[N, Ho, Wo, k·k·C]`, feature (a·k + b)·C + c for kernel offset (a, b):
 * patch[n, i, j, a, b, c] = x[n, s·i + a − padTop, s·j + b − padLeft, c], 0 outside the image.
 */
import { tf } from "../tf.js";
import { nativeConvAddon } from "./native-conv.js";

export const IM2COL_KERNEL = "DyncIm2col";
export const COL2IM_KERNEL = "DyncCol2im";

/** The geometry both kernels take as attributes. */
export interface PatchGeometry {
  readonly kernel: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** The image: height, width, channels. */
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** The output grid. */
  readonly ho: number;
  readonly wo: number;
}

/** Where a float32 tensor's values live: an array and the element offset of its first value. */
interface Slab {
  readonly data: Float32Array;
  readonly at: number;
}

/** Values from which a copy within one array is cheaper as `copyWithin` than as a loop. */
const LONG_RUN = 32;

/**
 * patches from x for `n` images. For each output position and kernel row a, the k·C values of kernel
 * columns b = 0..k−1 are one contiguous run of x's row (w = s·j − padLeft … + k − 1), clipped at the edges.
 */
export function im2colLoop(x: Slab, out: Slab, n: number, g: PatchGeometry): void {
  const { kernel: k, stride: s, padTop, padLeft, h: H, w: W, c: C, ho, wo } = g;
  const { data: xd } = x;
  const od = out.data;
  let o = out.at;
  for (let img = 0; img < n; img++) {
    const base = x.at + img * H * W * C;
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const w0 = s * j - padLeft;
        const bFrom = Math.max(0, -w0);
        const bTo = Math.min(k, W - w0);
        for (let a = 0; a < k; a++) {
          const row = s * i + a - padTop;
          if (row < 0 || row >= H || bTo <= bFrom) {
            od.fill(0, o, o + k * C);
            o += k * C;
            continue;
          }
          if (bFrom > 0) od.fill(0, o, o + bFrom * C);
          const from = base + (row * W + w0 + bFrom) * C;
          const count = (bTo - bFrom) * C;
          const to = o + bFrom * C;
          // a long run within one array (the wasm heap) is a memmove; short runs (few channels) a loop
          if (count >= LONG_RUN && xd === od) od.copyWithin(to, from, from + count);
          else for (let t = 0; t < count; t++) od[to + t] = xd[from + t]!;
          if (bTo < k) od.fill(0, to + count, o + k * C);
          o += k * C;
        }
      }
    }
  }
}

/** The adjoint: image gradient `[N, H, W, C]` as the sum of every patch value over the pixels it was read from. */
export function col2imLoop(cols: Slab, out: Slab, n: number, g: PatchGeometry): void {
  const { kernel: k, stride: s, padTop, padLeft, h: H, w: W, c: C, ho, wo } = g;
  const cd = cols.data;
  const od = out.data;
  od.fill(0, out.at, out.at + n * H * W * C);
  let p = cols.at;
  for (let img = 0; img < n; img++) {
    const base = out.at + img * H * W * C;
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const w0 = s * j - padLeft;
        const bFrom = Math.max(0, -w0);
        const bTo = Math.min(k, W - w0);
        for (let a = 0; a < k; a++) {
          const row = s * i + a - padTop;
          if (row >= 0 && row < H && bTo > bFrom) {
            const to = base + (row * W + w0 + bFrom) * C;
            const from = p + bFrom * C;
            const count = (bTo - bFrom) * C;
            for (let t = 0; t < count; t++) od[to + t]! += cd[from + t]!;
          }
          p += k * C;
        }
      }
    }
  }
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** The parts of tfjs-backend-cpu's MathBackendCPU used here. */
interface CpuBackendLike {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

type Loop = typeof im2colLoop;

/** A kernel function for `backendName` running `loop` (or the addon's version of it) from input shape to output shape. */
function kernelFunc(backendName: "wasm" | "cpu", loop: Loop, native: "im2col" | "col2im", outShape: (g: PatchGeometry, n: number) => number[]): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = (inputs as { x: tf.TensorInfo }).x;
    const g = attrs as unknown as PatchGeometry;
    const n = x.shape[0]!;
    const shape = outShape(g, n);
    if (x.dtype !== "float32") throw new Error(`${native}: expects float32, got ${x.dtype}`);
    if (backendName === "cpu") {
      const cpu = backend as unknown as CpuBackendLike;
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      loop({ data: cpu.data.get(x.dataId).values as Float32Array, at: 0 }, { data: values, at: 0 }, n, g);
      return cpu.makeTensorInfo(shape, "float32", values);
    }
    const wasm = backend as unknown as WasmBackendLike;
    const out = wasm.makeOutput(shape, "float32");
    // The heap's buffer read after makeOutput: an allocation may grow the heap, which replaces the buffer.
    const heap = wasm.wasm.HEAPU8.buffer as ArrayBuffer;
    const xAt = wasm.dataIdMap.get(x.dataId)!.memoryOffset;
    const outAt = wasm.dataIdMap.get(out.dataId)!.memoryOffset;
    const addon = nativeConvAddon();
    if (addon) {
      addon[native](heap, xAt, heap, outAt, n, g.kernel, g.stride, g.padTop, g.padLeft, g.h, g.w, g.c, g.ho, g.wo);
    } else {
      const data = new Float32Array(heap);
      loop({ data, at: xAt / 4 }, { data, at: outAt / 4 }, n, g);
    }
    return out;
  };
}

const im2colShape = (g: PatchGeometry, n: number) => [n, g.ho, g.wo, g.kernel * g.kernel * g.c];
const col2imShape = (g: PatchGeometry, n: number) => [n, g.h, g.w, g.c];

let registered = false;

function register(): void {
  registered = true;
  for (const backendName of ["wasm", "cpu"] as const) {
    tf.registerKernel({ kernelName: IM2COL_KERNEL, backendName, kernelFunc: kernelFunc(backendName, im2colLoop, "im2col", im2colShape) });
    tf.registerKernel({ kernelName: COL2IM_KERNEL, backendName, kernelFunc: kernelFunc(backendName, col2imLoop, "col2im", col2imShape) });
  }
  // Each map's gradient is its adjoint applied to the incoming gradient (both are linear).
  tf.registerGradient({ kernelName: IM2COL_KERNEL, gradFunc: (dy, _saved, attrs) => ({ x: () => run(COL2IM_KERNEL, dy as tf.Tensor, attrs) }) });
  tf.registerGradient({ kernelName: COL2IM_KERNEL, gradFunc: (dy, _saved, attrs) => ({ x: () => run(IM2COL_KERNEL, dy as tf.Tensor, attrs) }) });
}

function run(kernelName: string, x: tf.Tensor, attrs: object): tf.Tensor {
  return tf.engine().runKernel(kernelName, { x }, attrs as tf.NamedAttrMap) as tf.Tensor;
}

/** Whether the kernels serve the current backend (wasm and cpu; others build patches by products instead). */
export function patchKernelsActive(): boolean {
  const backend = tf.getBackend();
  return backend === "wasm" || backend === "cpu";
}

/** Patches `[N, Ho, Wo, k·k·C]` of x `[N, H, W, C]`, differentiable to every order. */
export function im2colKernel(x: tf.Tensor4D, g: PatchGeometry): tf.Tensor4D {
  if (!registered) register();
  return run(IM2COL_KERNEL, x, g) as tf.Tensor4D;
}

/** The adjoint of `im2colKernel`: patches `[N, Ho, Wo, k·k·C]` summed into an image `[N, H, W, C]`. */
export function col2imKernel(cols: tf.Tensor4D, g: PatchGeometry): tf.Tensor4D {
  if (!registered) register();
  return run(COL2IM_KERNEL, cols, g) as tf.Tensor4D;
}

/**
 * Whole convolutions on the native path (native/dync_conv.c): `DyncConv2d` (x `[S, N, H, W, C]`, w `[S, k·k·C, Cout]`,
 * optional bias `[S, Cout]` → y `[S, N, Ho, Wo, Cout]`), `DyncConv2dBackpropInput` (dy, w → dx `[S, N, H, W, C]`) and
 * `DyncConv2dBackpropFilter` (x, dy → dw `[S, k·k·C, Cout]`). Why whole kernels, not im2col + bmm: the patches are
 * gathered and multiplied in cache-sized tiles and never stored (the `[B·Ho·Wo, k·k·C]` patches of case (g)'s layers
 * are 3.5–9 MB); and tfjs calls a registered kernel's gradient only for inputs on the path to the variables, so the
 * first layer's input gradient, which nothing reads, is never computed (a custom gradient computes every input's).
 * The gradients (runtime/nn/conv.ts) are these three ops again, so every order of differentiation is exact.
 */
export const CONV_KERNEL = "DyncConv2d";
export const CONV_INPUT_GRAD_KERNEL = "DyncConv2dBackpropInput";
export const CONV_FILTER_GRAD_KERNEL = "DyncConv2dBackpropFilter";

const CONV_OPS = { [CONV_KERNEL]: 0, [CONV_INPUT_GRAD_KERNEL]: 1, [CONV_FILTER_GRAD_KERNEL]: 2 } as const;
type ConvKernelName = keyof typeof CONV_OPS;
/** The addon's op for `DyncConv2d` with the `relu` attribute: the forward with max(0, ·) applied in C. */
const CONV_FORWARD_RELU_OP = 3;

/** `DyncConv2d`'s attributes: the geometry and whether max(0, ·) follows the product and bias (a layer's `act: relu`). */
export interface ConvAttrs extends PatchGeometry {
  readonly relu?: boolean;
}

/** Whether the whole-convolution kernels serve now: wasm backend with the native path on and an addon that has them. */
export function nativeConvActive(): boolean {
  return tf.getBackend() === "wasm" && typeof nativeConvAddon()?.conv === "function";
}

let convRegistered = false;

/** The shape of each op's output from its two inputs (a, b as in `runNativeConv`) and the geometry. */
function convOutShape(name: ConvKernelName, a: tf.TensorInfo, b: tf.TensorInfo, g: PatchGeometry): number[] {
  const [S, N] = a.shape as [number, number];
  if (name === CONV_KERNEL) return [S, N, g.ho, g.wo, b.shape[2]!];
  if (name === CONV_INPUT_GRAD_KERNEL) return [S, N, g.h, g.w, g.c];
  return [S, g.kernel * g.kernel * g.c, b.shape[4]!];
}

function nativeConvKernelFunc(name: ConvKernelName): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b, bias } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
    const g = attrs as unknown as ConvAttrs;
    const addon = nativeConvAddon();
    if (!addon) throw new Error(`${name}: the native conv addon does not serve (DYNC_NATIVE=0 or not built)`);
    if ([a, b, bias].some((t) => t !== undefined && t.dtype !== "float32")) throw new Error(`${name}: expects float32`);
    const [S, N] = a.shape as [number, number];
    const cout = name === CONV_INPUT_GRAD_KERNEL ? a.shape[4]! : name === CONV_KERNEL ? b.shape[2]! : b.shape[4]!;
    const wasm = backend as unknown as WasmBackendLike;
    const out = wasm.makeOutput(convOutShape(name, a, b, g), "float32");
    // The heap's buffer read after makeOutput: an allocation may grow the heap, which replaces the buffer.
    const heap = wasm.wasm.HEAPU8.buffer as ArrayBuffer;
    const at = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset;
    const op = name === CONV_KERNEL && g.relu === true ? CONV_FORWARD_RELU_OP : CONV_OPS[name];
    addon.conv(op, heap, at(a), at(b), bias ? at(bias) : -1, at(out), S, N, g.kernel, g.stride, g.padTop, g.padLeft, g.h, g.w, g.c, g.ho, g.wo, cout);
    return out;
  };
}

/**
 * One of the whole-convolution ops on the native path (check `nativeConvActive` first): forward (a = x, b = w, bias
 * optional, `relu` in the attributes for max(0, ·) after it), input gradient (a = dy, b = w) or filter gradient
 * (a = x, b = dy). Gradients: runtime/nn/conv.ts.
 */
export function runNativeConv(name: ConvKernelName, a: tf.Tensor, b: tf.Tensor, g: ConvAttrs, bias?: tf.Tensor): tf.Tensor {
  if (!convRegistered) {
    convRegistered = true;
    for (const kernelName of Object.keys(CONV_OPS) as ConvKernelName[]) {
      tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: nativeConvKernelFunc(kernelName) });
    }
  }
  return tf.engine().runKernel(name, bias ? { a, b, bias } : { a, b }, g as unknown as tf.NamedAttrMap) as tf.Tensor;
}
