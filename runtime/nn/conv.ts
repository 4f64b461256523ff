/**
 * A small seed-batched convolutional stack for image classification: conv2d (+ activation) with optional
 * pooling, flatten, dense layers. Images are `[S, B, H, W, C]` (HWC, as `Dataset` stores them).
 *
 * On the native path a conv is one kernel each way (`DyncConv2d` and its gradient kernels, below). Elsewhere,
 * seed batching by im2col: the k×k shifted views of the input (the im2col kernels, or matrix products, see `im2col`)
 * form patches `[S, B·Ho·Wo, k·k·C]`, and one batched matrix product with the weights `[S, k·k·C, Cout]` convolves every
 * seed at once. Why not tf.conv2d with seeds folded into the batch: tfjs has no grouped convolution, so that
 * would take one conv2d call per seed; and the patch route reuses the flag-free, twice-differentiable `bmm`
 * (matMul, transpose and reshape have exact gradients), so Hessian-vector products work through conv layers
 * too. Pooling is over non-overlapping windows (size = stride) by reshape and max/mean, also twice
 * differentiable (tf.maxPool's gradient kernel has no gradient of its own).
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import { type LayerInit, sampleParam } from "../init.js";
import type { Param } from "../../contract/model.js";
import { createParam } from "../params.js";
import {
  CONV_FILTER_GRAD_KERNEL,
  CONV_INPUT_GRAD_KERNEL,
  CONV_KERNEL,
  col2imKernel,
  im2colKernel,
  nativeConvActive,
  type ConvAttrs,
  type PatchGeometry,
  patchKernelsActive,
  runNativeConv,
} from "../kernels/conv-kernels.js";
import { simdReluGrad, simdSumRows } from "../kernels/ops.js";
import { bmm, transposeLast2 } from "./bmm.js";
import { addBias } from "./dense.js";

/** One convolution's geometry. */
export interface ConvGeometry {
  readonly kernel: number;
  readonly stride: number;
  readonly padding: "valid" | "same";
}

/** Output size and leading padding along one axis (TensorFlow's "same"/"valid" rules). */
export function convOutputSize(size: number, g: ConvGeometry): { out: number; padBefore: number; padAfter: number } {
  if (g.padding === "valid") {
    const out = Math.floor((size - g.kernel) / g.stride) + 1;
    return { out, padBefore: 0, padAfter: 0 };
  }
  const out = Math.ceil(size / g.stride);
  const total = Math.max((out - 1) * g.stride + g.kernel - size, 0);
  return { out, padBefore: Math.floor(total / 2), padAfter: total - Math.floor(total / 2) };
}

/**
 * Patches `[S, B, Ho, Wo, k·k·C]` of x `[S, B, H, W, C]`, feature index (a·k + b)·C + c for kernel offset
 * (a, b): patch[i, j, a, b] = x[s·i + a − padTop, s·j + b − padLeft] (0 outside the image). Built by two
 * plain matrix products with constant 0/1 shift matrices, rows then columns: R[(a, i), h] = [h = s·i + a −
 * padTop] and C[(b, j), w] likewise. Why not k² strided slices: tfjs's generic slice costs ~1.5 µs per
 * value on cpu and wasm alike (measured here: 0.7–1 s for the patches of a 64-image batch of 16×16 images,
 * against a few ms for this route), and gather's gradient is far slower still (and missing on wasm).
 * matMul, transpose and reshape have exact gradients of every order.
 */
export function im2col(x: tf.Tensor, g: ConvGeometry): tf.Tensor {
  const [S, B, H, W, C] = x.shape as [number, number, number, number, number];
  const rows = convOutputSize(H, g);
  const cols = convOutputSize(W, g);
  if (rows.out < 1 || cols.out < 1) {
    throw new DyncRuntimeError("RUN040", `a ${g.kernel}×${g.kernel} convolution does not fit a ${H}×${W} input`);
  }
  if (!patchKernelsActive() || forceProductPatches) return im2colByProducts(x, g);
  const geometry = { kernel: g.kernel, stride: g.stride, padTop: rows.padBefore, padLeft: cols.padBefore, h: H, w: W, c: C, ho: rows.out, wo: cols.out };
  const patches = im2colKernel(tf.reshape(x, [S * B, H, W, C]) as tf.Tensor4D, geometry);
  return tf.reshape(patches, [S, B, rows.out, cols.out, g.kernel * g.kernel * C]);
}

/** Tests compare the kernels with the product route on the same backend. */
let forceProductPatches = false;
export function setProductPatches(on: boolean): void {
  forceProductPatches = on;
}

/**
 * im2col by matrix products, for backends the patch kernels do not serve (tfjs-node): two plain matrix
 * products with constant 0/1 shift matrices, rows then columns: R[(a, i), h] = [h = s·i + a − padTop] and
 * C[(b, j), w] likewise. matMul, transpose and reshape have exact gradients of every order.
 */
export function im2colByProducts(x: tf.Tensor, g: ConvGeometry): tf.Tensor {
  const [S, B, H, W, C] = x.shape as [number, number, number, number, number];
  const rows = convOutputSize(H, g);
  const cols = convOutputSize(W, g);
  const k = g.kernel;
  const N = S * B;
  const R = shiftMatrix(H, rows.out, rows.padBefore, g);
  const Cm = shiftMatrix(W, cols.out, cols.padBefore, g);
  // rows: [H, N·W·C] → [k·Ho, N·W·C] = [a, i, n, w, c]
  const byRow = tf.reshape(tf.transpose(tf.reshape(x, [N, H, W, C]), [1, 0, 2, 3]), [H, N * W * C]);
  const shiftedRows = tf.matMul(R, byRow);
  // columns: [W, k·Ho·N·C] → [k·Wo, k·Ho·N·C] = [b, j, a, i, n, c]
  const byCol = tf.reshape(tf.transpose(tf.reshape(shiftedRows, [k * rows.out, N, W, C]), [2, 0, 1, 3]), [W, k * rows.out * N * C]);
  const shifted = tf.reshape(tf.matMul(Cm, byCol), [k, cols.out, k, rows.out, N, C]);
  // → [n, i, j, a, b, c]
  const patches = tf.transpose(shifted, [4, 3, 1, 2, 0, 5]);
  return tf.reshape(patches, [S, B, rows.out, cols.out, k * k * C]);
}

/** The 0/1 matrix [k·out, size] picking input position stride·i + a − padBefore for row (a, i). */
function shiftMatrix(size: number, out: number, padBefore: number, g: ConvGeometry): tf.Tensor2D {
  const m = new Float32Array(g.kernel * out * size);
  for (let a = 0; a < g.kernel; a++) {
    for (let i = 0; i < out; i++) {
      const at = g.stride * i + a - padBefore;
      if (at >= 0 && at < size) m[(a * out + i) * size + at] = 1;
    }
  }
  return tf.tensor2d(m, [g.kernel * out, size]);
}

/** Seed-batched conv2d: x `[S, B, H, W, Cin]`, weight `[S, k, k, Cin, Cout]`, bias `[S, Cout]`. */
export function conv2d(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | undefined, g: ConvGeometry): tf.Tensor {
  const [S, B] = x.shape as [number, number];
  const cout = weight.shape[4]!;
  const w = weightRows(x, weight, g);
  if (nativeConvActive() && !forceProductPatches) return nativeConv2d(x, w, bias, patchGeometry(x, g));
  const patches = im2col(x, g);
  const [, , Ho, Wo, K] = patches.shape as [number, number, number, number, number];
  const flat = bmm(tf.reshape(patches, [S, B * Ho * Wo, K]) as tf.Tensor3D, w);
  // The bias on the [S, B·Ho·Wo, Cout] rows, as a dense layer's: its gradient is one row sum (a 5-d tf.add's was a
  // tfjs Sum over three axes, ~30 ms of a 128-image step of case (g) on wasm)
  return tf.reshape(bias ? addBias(flat, bias as tf.Tensor2D) : flat, [S, B, Ho, Wo, cout]);
}

/**
 * max(0, conv2d(x, weight, bias)) as one kernel on the native path (the ReLU applied in C to each tile of outputs while
 * it is in cache), or undefined where the native path does not serve (the caller then applies conv2d and ReLU). Why:
 * a separate Relu is one more tfjs kernel, tensor and pass over the layer's outputs per step (~0.3 ms of case (g)'s
 * step for its three layers). Values equal conv2d followed by the `relu` activation bit for bit.
 */
export function conv2dRelu(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | undefined, g: ConvGeometry): tf.Tensor | undefined {
  if (!nativeConvActive() || forceProductPatches) return undefined;
  return nativeConv2d(x, weightRows(x, weight, g), bias, { ...patchGeometry(x, g), relu: true });
}

/** The weight `[S, k, k, Cin, Cout]` as `[S, k·k·Cin, Cout]` (RUN040 when it does not fit x `[S, B, H, W, Cin]`). */
function weightRows(x: tf.Tensor, weight: tf.Tensor, g: ConvGeometry): tf.Tensor3D {
  const [S, k, , cin, cout] = weight.shape as [number, number, number, number, number];
  if (x.rank !== 5 || x.shape[0] !== S || x.shape[4] !== cin || k !== g.kernel) {
    throw new DyncRuntimeError("RUN040", `conv2d: input [${x.shape.join(", ")}] does not fit weight [${weight.shape.join(", ")}]`);
  }
  return tf.reshape(weight, [S, k * k * cin, cout]) as tf.Tensor3D;
}

/** The kernels' geometry of a conv over x `[S, B, H, W, C]` (RUN040 when the kernel does not fit the image). */
function patchGeometry(x: tf.Tensor, g: ConvGeometry): PatchGeometry {
  const [, , H, W, C] = x.shape as [number, number, number, number, number];
  const rows = convOutputSize(H, g);
  const cols = convOutputSize(W, g);
  if (rows.out < 1 || cols.out < 1) {
    throw new DyncRuntimeError("RUN040", `a ${g.kernel}×${g.kernel} convolution does not fit a ${H}×${W} input`);
  }
  return { kernel: g.kernel, stride: g.stride, padTop: rows.padBefore, padLeft: cols.padBefore, h: H, w: W, c: C, ho: rows.out, wo: cols.out };
}

/**
 * conv2d on the native path: one `DyncConv2d` kernel (im2col, product and bias in C, runtime/kernels/conv-kernels.ts)
 * whose gradients are the kernels below, registered once. tfjs calls a registered gradient only for the inputs on
 * the path to what is differentiated, so a first layer's input gradient is never computed.
 */
function nativeConv2d(x: tf.Tensor, w: tf.Tensor3D, bias: tf.Tensor | undefined, g: ConvAttrs): tf.Tensor {
  if (!convGradientsRegistered) registerConvGradients();
  return runNativeConv(CONV_KERNEL, x, w, g, bias);
}

/**
 * The three convolution ops and their gradients, each made of the three ops again (all are linear in each input):
 *   y = conv(x, w) + b:     x̄ = inputGrad(ȳ, w),  w̄ = filterGrad(x, ȳ),  b̄ = Σ_rows ȳ
 *   (with `relu`, y = max(0, conv(x, w) + b): the same with ȳ·[y > 0] for ȳ; ReLU″ = 0, so the mask read from the
 *   saved output is exact to every order, though tfjs's tape sees a saved output as a constant)
 *   dx = inputGrad(dy, w):  dȳ = conv(d̄x, w),     w̄ = filterGrad(d̄x, dy)
 *   dw = filterGrad(x, dy): x̄ = inputGrad(dy, d̄w), dȳ = conv(x, d̄w)
 * (from ⟨ȳ, P(x)·w⟩ = ⟨P(x)ᵀȳ, w⟩ = ⟨x, col2im(ȳ·wᵀ)⟩, P = im2col). Each op runs natively when the native path
 * serves and as im2col/col2im kernels with `bmm` otherwise (tests switch the path between passes).
 */
let convGradientsRegistered = false;

function registerConvGradients(): void {
  convGradientsRegistered = true;
  // The geometry alone: the gradient ops must not inherit the forward's `relu` (their own gradients run the forward op
  // again, which must then be the plain product).
  const geometry = (attrs: tf.NamedAttrMap): PatchGeometry => {
    const { kernel, stride, padTop, padLeft, h, w, c, ho, wo } = attrs as unknown as PatchGeometry;
    return { kernel, stride, padTop, padLeft, h, w, c, ho, wo };
  };
  tf.registerGradient({
    kernelName: CONV_KERNEL,
    inputsToSave: ["a", "b"],
    outputsToSave: [true],
    gradFunc: (dy, [x, w, y], attrs) => {
      // masked once, here, for the three input gradients (each closure runs in its own tidy)
      const dz = (attrs as unknown as ConvAttrs).relu === true ? reluMask(y!, dy as tf.Tensor) : (dy as tf.Tensor);
      return {
        a: () => convInputGrad(dz, w!, geometry(attrs)),
        b: () => convFilterGrad(x!, dz, geometry(attrs)),
        bias: () => sumRows(dz),
      };
    },
  });
  tf.registerGradient({
    kernelName: CONV_INPUT_GRAD_KERNEL,
    inputsToSave: ["a", "b"],
    gradFunc: (ddx, [dy, w], attrs) => ({
      a: () => convForward(ddx as tf.Tensor, w!, geometry(attrs)),
      b: () => convFilterGrad(ddx as tf.Tensor, dy!, geometry(attrs)),
    }),
  });
  tf.registerGradient({
    kernelName: CONV_FILTER_GRAD_KERNEL,
    inputsToSave: ["a", "b"],
    gradFunc: (ddw, [x, dy], attrs) => ({
      a: () => convInputGrad(dy!, ddw as tf.Tensor, geometry(attrs)),
      b: () => convForward(x!, ddw as tf.Tensor, geometry(attrs)),
    }),
  });
}

/** dy·[y > 0], differentiable (its y-gradient is 0): ReLU's gradient read from its output. */
function reluMask(y: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return simdReluGrad(y, dy) ?? tf.mul(dy, tf.step(y));
}

/** Σ over the rows of y `[S, B, Ho, Wo, Cout]` → `[S, Cout]` (the bias gradient), differentiable. */
function sumRows(y: tf.Tensor): tf.Tensor {
  const [S, B, Ho, Wo, C] = y.shape as [number, number, number, number, number];
  const rows = tf.reshape(y, [S, B * Ho * Wo, C]) as tf.Tensor3D;
  return simdSumRows(rows) ?? tf.sum(rows, 1);
}

/** y = P(x)·w: x `[S, N, H, W, C]`, w `[S, K, Cout]` → `[S, N, Ho, Wo, Cout]`. */
function convForward(x: tf.Tensor, w: tf.Tensor, g: PatchGeometry): tf.Tensor {
  if (nativeConvActive()) return runNativeConv(CONV_KERNEL, x, w, g);
  const [S, N] = x.shape as [number, number];
  const patches = im2colKernel(tf.reshape(x, [S * N, g.h, g.w, g.c]) as tf.Tensor4D, g);
  const y = bmm(tf.reshape(patches, [S, N * g.ho * g.wo, g.kernel * g.kernel * g.c]) as tf.Tensor3D, w as tf.Tensor3D);
  return tf.reshape(y, [S, N, g.ho, g.wo, w.shape[2]!]);
}

/** dx = col2im(dy·wᵀ): dy `[S, N, Ho, Wo, Cout]`, w `[S, K, Cout]` → `[S, N, H, W, C]`. */
function convInputGrad(dy: tf.Tensor, w: tf.Tensor, g: PatchGeometry): tf.Tensor {
  if (nativeConvActive()) return runNativeConv(CONV_INPUT_GRAD_KERNEL, dy, w, g);
  const [S, N, , , cout] = dy.shape as [number, number, number, number, number];
  const cols = bmm(tf.reshape(dy, [S, N * g.ho * g.wo, cout]) as tf.Tensor3D, transposeLast2(w as tf.Tensor3D));
  const image = col2imKernel(tf.reshape(cols, [S * N, g.ho, g.wo, g.kernel * g.kernel * g.c]) as tf.Tensor4D, g);
  return tf.reshape(image, [S, N, g.h, g.w, g.c]);
}

/** dw = P(x)ᵀ·dy: x `[S, N, H, W, C]`, dy `[S, N, Ho, Wo, Cout]` → `[S, K, Cout]`. */
function convFilterGrad(x: tf.Tensor, dy: tf.Tensor, g: PatchGeometry): tf.Tensor {
  if (nativeConvActive()) return runNativeConv(CONV_FILTER_GRAD_KERNEL, x, dy, g);
  const [S, N, , , cout] = dy.shape as [number, number, number, number, number];
  const rows = N * g.ho * g.wo;
  const patches = im2colKernel(tf.reshape(x, [S * N, g.h, g.w, g.c]) as tf.Tensor4D, g);
  const flat = tf.reshape(patches, [S, rows, g.kernel * g.kernel * g.c]) as tf.Tensor3D;
  return bmm(transposeLast2(flat), tf.reshape(dy, [S, rows, cout]) as tf.Tensor3D);
}

/**
 * Max or average over non-overlapping size×size windows (trailing rows/columns that do not fill a window are
 * dropped): rows first, then columns, each a reduction over axis 1 of a rank-4 tensor. Why not one reduction
 * over axes [3, 5] of `[S, B, Ho, size, Wo, size, C]`: on wasm the gradient of that rank-7 max fails inside
 * XNNPACK ("xnn_setup … status 4") and comes back wrong (measured: 2 non-zero entries instead of 108).
 */
export function pool2d(x: tf.Tensor, kind: "max" | "avg", size: number): tf.Tensor {
  const [S, B, H, W, C] = x.shape as [number, number, number, number, number];
  const Ho = Math.floor(H / size);
  const Wo = Math.floor(W / size);
  if (Ho < 1 || Wo < 1) throw new DyncRuntimeError("RUN040", `a ${size}×${size} pool does not fit a ${H}×${W} input`);
  const cropped = Ho * size === H && Wo * size === W ? x : tf.slice(x, [0, 0, 0, 0, 0], [S, B, Ho * size, Wo * size, C]);
  const reduce = (t: tf.Tensor) => (kind === "max" ? tf.max(t, 1) : tf.mean(t, 1));
  const rows = reduce(tf.reshape(cropped, [S * B * Ho, size, Wo * size, C])); // [S·B·Ho, Wo·size, C]
  const cols = reduce(tf.reshape(rows, [S * B * Ho * Wo, size, C, 1])); // [S·B·Ho·Wo, C, 1]
  return tf.reshape(cols, [S, B, Ho, Wo, C]);
}

/** `[S, B, H, W, C]` → `[S, B, H·W·C]` (HWC order). */
export function flatten(x: tf.Tensor): tf.Tensor3D {
  const [S, B, ...rest] = x.shape;
  return tf.reshape(x, [S!, B!, rest.reduce((a, b) => a * b, 1)]) as tf.Tensor3D;
}

/** Parameters of one conv layer. */
export interface ConvParams {
  readonly weight: Param;
  readonly bias?: Param;
  readonly geometry: ConvGeometry;
}

/** Create and initialise a conv layer; fans follow PyTorch: k·k·Cin in, k·k·Cout out. */
export function createConvParams(
  layer: string,
  cin: number,
  cout: number,
  geometry: ConvGeometry,
  options: { seeds: readonly number[]; init: LayerInit; bias: boolean },
): ConvParams {
  const k = geometry.kernel;
  const fans = { fanIn: k * k * cin, fanOut: k * k * cout };
  const S = options.seeds.length;
  const weight = createParam(
    layer,
    "weight",
    sampleParam(options.init.weight, fans, options.seeds, `${layer}.weight`, k * k * cin * cout),
    [S, k, k, cin, cout],
  );
  if (!options.bias) return { weight, geometry };
  const bias = createParam(layer, "bias", sampleParam(options.init.bias, fans, options.seeds, `${layer}.bias`, cout), [S, cout]);
  return { weight, bias, geometry };
}
