/**
 * Seed-batched matrix product with a hand-written, twice-differentiable gradient.
 *
 * Why not plain `tf.matMul`: its built-in gradient multiplies with `transposeA`/`transposeB` flags, and on
 * the wasm backend a flagged matMul is about 12x slower than a plain one. Here the backward pass
 * transposes explicitly and calls this same op again, so every order of differentiation (the gradient,
 * and Hessian-vector products through the gradient) stays on the fast, flag-free path.
 *
 * Why the gradient reads tensors from `save` and not from the closure: tfjs disposes the forward pass's
 * intermediates before the backward pass, and only saved tensors survive. Saved *inputs* stay connected
 * to an enclosing tape (their clones are recorded after their producers), so nested `tf.grad` sees how
 * the gradient depends on the inputs. Saved *outputs* would not be (tfjs 4.22 records the clone before
 * the op that made it): that is the bug behind wrong second derivatives of tanh and sigmoid.
 *
 * Why not `tf.customGrad`: its gradient function returns every input's gradient at once, so the backward pass
 * computed dy·Bᵀ for the first layer too, whose input (the data, or its fixed encoding) nobody differentiates:
 * ~10 % of a step of 784→256×8→10. `lazyGradientOp` records the same tape node with one closure per input,
 * as tfjs's registered kernel gradients do, and the tape calls only those of inputs on a path from the `xs`.
 *
 * Fast paths for 1-wide matrices (scalar-input and scalar-output layers, e.g. 1→W→1 nets with many seeds),
 * measured on wasm with S = 1000 seeds, 256 samples, width 50 (docs/performance.md):
 *   - inner dimension 1: `[S, M, 1] × [S, 1, N]` is an outer product, computed as a broadcast multiply
 *     (bit-identical: one product per entry; ~290 ms as a batched matMul, ~50 ms as a multiply);
 *   - a transpose of a matrix with a dimension of 1 keeps its memory order, so it is a reshape (free);
 *   - the weight gradient aᵀ·dy of a 1-wide output (`dy` is `[S, M, 1]`) is computed as (dyᵀ·a)ᵀ, whose two
 *     transposes are reshapes, instead of transposing the `[S, M, K]` activations (~34 ms per step saved).
 */
import { tf } from "../tf.js";
import { nativeMatMulActive, nativeProduct } from "../kernels/native.js";
import { simdSeedProduct, simdTranspose, simdVectorProduct } from "../kernels/ops.js";

/**
 * The last two axes swapped; a reshape when one of them is 1 (same memory order, no copy kernel); on wasm a
 * tiled SIMD-module kernel (tfjs's Transpose computes N-d indices per element, ~2–5× slower).
 */
export function transposeLast2(t: tf.Tensor3D): tf.Tensor3D {
  const [s, m, n] = t.shape;
  if (m === 1 || n === 1) return tf.reshape(t, [s, n, m]);
  return simdTranspose(t) ?? tf.transpose(t, [0, 2, 1]);
}

/**
 * The product itself: a broadcast multiply for an inner dimension of 1; on wasm OpenBLAS when dync's native
 * addon is built (runtime/kernels/native.ts, in place in the wasm heap), else a SIMD-module kernel when
 * one side is a vector (XNNPACK would repack the other side on every call), and for several seeds one
 * XNNPACK product per seed (tfjs's wasm matMul takes its scalar fallback loop for any batch above 1,
 * 20–40× slower); else a flag-free matMul.
 */
function product(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (a.shape[2] === 1 && b.shape[1] === 1) return tf.mul(a, b);
  return nativeProduct(a, b) ?? simdVectorProduct(a, b) ?? simdSeedProduct(a, b) ?? tf.matMul(a, b);
}

/** dB = aᵀ·dy; when dy is one column, as (dyᵀ·a)ᵀ so that both transposes are reshapes. */
function weightGradient(a: tf.Tensor3D, dy: tf.Tensor3D): tf.Tensor3D {
  const [s, , k] = a.shape;
  if (dy.shape[2] === 1 && k !== 1) return tf.reshape(bmm(transposeLast2(dy), a), [s, k, 1]);
  return bmm(transposeLast2(a), dy);
}

/** The gradient of C = f(a, b) with respect to each input, from dC and the saved a, b; called only when needed. */
type ProductGradients = readonly [
  (a: tf.Tensor3D, b: tf.Tensor3D, dc: tf.Tensor3D) => tf.Tensor3D,
  (a: tf.Tensor3D, b: tf.Tensor3D, dc: tf.Tensor3D) => tf.Tensor3D,
];

/** The part of tfjs's engine that `tf.customGrad` itself calls (public in JavaScript, private in its types). */
interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: tf.GradSaveFunc) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: tf.NamedTensorMap;
  }): tf.Tensor;
}

/**
 * `tf.customGrad` with one gradient closure per input (see the header): the tape node tfjs records has the
 * inputs `a` and `b`, and backpropagation calls a closure only for an input that depends on what is
 * differentiated. Both inputs are saved (their clones stay connected to an enclosing tape, as with customGrad).
 */
function lazyGradientOp(value: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D, gradients: ProductGradients) {
  return (a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D =>
    (tf.engine() as unknown as KernelFuncEngine).runKernelFunc({
      forwardFunc: (_backend, save) => {
        save([a, b]);
        return value(a, b);
      },
      backwardsFunc: (dc, saved) => {
        const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
        return { a: () => gradients[0](sa, sb, dc as tf.Tensor3D), b: () => gradients[1](sa, sb, dc as tf.Tensor3D) };
      },
      inputs: { a, b },
    }) as tf.Tensor3D;
}

const bmmOp = lazyGradientOp(product, [(_a, b, dy) => bmm(dy, transposeLast2(b)), (a, _b, dy) => weightGradient(a, dy)]);

/**
 * `[S, M, K] × [S, K, N] → [S, M, N]`, one matrix product per seed, with a flag-free custom gradient; with
 * dync's native addon, OpenBLAS products whose gradients pass transposes as flags (`nativeBmm`).
 */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return nativeMatMulActive() ? nativeBmm(a, b, false, false) : bmmOp(a, b);
}

/**
 * op(a)·op(b) where op transposes the last two axes when its flag is set, for the native path: OpenBLAS takes
 * a transposed operand at no extra cost, so the backward pass passes flags instead of transposing activations
 * and weights (a full pass over `[S, B, K]` per layer). The gradients are the same products with other flags
 * (as tfjs's own matMul gradient), so every order of differentiation stays on OpenBLAS. Should the native path
 * be switched off between a forward and its backward pass (tests do), the product falls back to explicit
 * transposes and the wasm `product`.
 */
export function nativeBmm(a: tf.Tensor3D, b: tf.Tensor3D, transposeA: boolean, transposeB: boolean): tf.Tensor3D {
  return nativeBmmOps[Number(transposeA) * 2 + Number(transposeB)]!(a, b);
}

/** dA and dB of C = op(A)·op(B) for each (transposeA, transposeB), from dC and the saved A, B. */
const NATIVE_GRADIENTS: readonly ProductGradients[] = [
  [(_a, b, dc) => nativeBmm(dc, b, false, true), (a, _b, dc) => nativeBmm(a, dc, true, false)], // C = A·B
  [(_a, b, dc) => nativeBmm(dc, b, false, false), (a, _b, dc) => nativeBmm(dc, a, true, false)], // C = A·Bᵀ
  [(_a, b, dc) => nativeBmm(b, dc, false, true), (a, _b, dc) => nativeBmm(a, dc, false, false)], // C = Aᵀ·B
  [(_a, b, dc) => nativeBmm(b, dc, true, true), (a, _b, dc) => nativeBmm(dc, a, true, true)], // C = Aᵀ·Bᵀ
];

const nativeBmmOps = NATIVE_GRADIENTS.map((gradients, flags) => {
  const [transposeA, transposeB] = [flags >= 2, flags % 2 === 1];
  const value = (a: tf.Tensor3D, b: tf.Tensor3D) =>
    nativeProduct(a, b, transposeA, transposeB) ?? product(transposeA ? transposeLast2(a) : a, transposeB ? transposeLast2(b) : b);
  return lazyGradientOp(value, gradients);
});

/**
 * `bmm` for callers that differentiate only with respect to `a` (inputs, never the weights `b`): the gradient
 * of `b` is returned as zeros instead of computing aᵀ·dy, which is a third of a dense backward pass
 * (per-example backprop signals for gradient confusion, `ForwardOptions.skipParameterGradients`).
 */
const bmmInputGradientOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([b]);
  return {
    value: product(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sb] = saved as [tf.Tensor3D];
      const dA = nativeMatMulActive() ? nativeBmm(dy as tf.Tensor3D, sb, false, true) : bmm(dy as tf.Tensor3D, transposeLast2(sb));
      return [dA, tf.zerosLike(sb)];
    },
  };
});

/** `[S, M, K] × [S, K, N] → [S, M, N]` whose gradient with respect to the second factor is zero (see above). */
export function bmmInputGradient(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return bmmInputGradientOp(a, b) as tf.Tensor3D;
}
