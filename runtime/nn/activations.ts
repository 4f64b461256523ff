/**
 * Activation functions whose gradients are correct to second order under nested `tf.grad`.
 *
 * tfjs 4.22 computes the gradients of tanh, sigmoid and exp from their *saved outputs*, and a saved output
 * is recorded on the tape before the op that produced it, so an enclosing `tf.grad` sees it as a constant:
 * Hessian-vector products through them come out silently wrong (13–47% measured). Each activation here is
 * either a built-in whose gradient reads only its *input* (relu, leaky_relu, softplus: correct to second
 * order), or a `tf.customGrad` that saves its input and recomputes the derivative from it with ordinary,
 * differentiable ops. The recomputation costs one extra elementwise pass in the backward pass.
 *
 * On the wasm backend tanh, sigmoid, SiLU and ReLU's gradient run on dync's SIMD kernels (runtime/kernels),
 * whose registered gradients follow the same rule (they read inputs only); elsewhere the compositions here.
 */
import { tf } from "../tf.js";
import { DyncRuntimeError } from "../errors.js";
import { simdRelu, simdSigmoid, simdSilu, simdTanh, unaryWithGradient } from "../kernels/ops.js";
import type { ActivationName, ActivationSpec } from "../../contract/model-specs.js";
export type { ActivationName, ActivationSpec } from "../../contract/model-specs.js";

/** An elementwise function of a tensor. */
export type Activation = (x: tf.Tensor) => tf.Tensor;

/** PyTorch's default negative slope for LeakyReLU. */
export const DEFAULT_LEAKY_SLOPE = 0.01;

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** A unary op whose derivative `derivative(x)` is built from differentiable ops of the saved input. */
function unaryWithDerivative(forward: (x: tf.Tensor) => tf.Tensor, derivative: (x: tf.Tensor) => tf.Tensor): Activation {
  return unaryWithGradient(forward, (x, dy) => tf.mul(dy, derivative(x)));
}

/** The SIMD kernel's op where it serves the backend (wasm), else the plain-tfjs composition. */
function preferSimd(simd: (x: tf.Tensor) => tf.Tensor | undefined, plain: Activation): Activation {
  return (x) => simd(x) ?? plain(x);
}

/** tanh with tanh'(x) = 1 − tanh²(x), the tanh recomputed from x. */
const plainTanh: Activation = unaryWithDerivative(tf.tanh, (x) => tf.sub(1, tf.square(tanh(x))));
export const tanh: Activation = preferSimd(simdTanh, plainTanh);

/** Logistic sigmoid with σ'(x) = σ(x)(1 − σ(x)), σ recomputed from x. */
const plainSigmoid: Activation = unaryWithDerivative(tf.sigmoid, (x) => {
  const s = sigmoid(x);
  return tf.mul(s, tf.sub(1, s));
});
export const sigmoid: Activation = preferSimd(simdSigmoid, plainSigmoid);

/** SiLU x·σ(x), with derivative σ(x)(1 + x(1 − σ(x))). */
const plainSilu: Activation = unaryWithDerivative(
  (x) => tf.mul(x, tf.sigmoid(x)),
  (x) => {
    const s = sigmoid(x);
    return tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s))));
  },
);
export const silu: Activation = preferSimd(simdSilu, plainSilu);

/** x·tanh(x), with derivative tanh(x) + x(1 − tanh²(x)). */
export const xtanh: Activation = unaryWithDerivative(
  (x) => tf.mul(x, tf.tanh(x)),
  (x) => {
    const t = tanh(x);
    return tf.add(t, tf.mul(x, tf.sub(1, tf.square(t))));
  },
);

/** Standard normal density φ(x), built without tf.exp's saved output (exp(u) = its own derivative via customGrad). */
const expSafe: Activation = unaryWithDerivative(tf.exp, (x) => expSafe(x));

/** Exact GELU x·Φ(x) (PyTorch's default, not the tanh approximation); derivative Φ(x) + x·φ(x). */
export const gelu: Activation = unaryWithDerivative(
  (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
  (x) => {
    const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    const pdf = tf.mul(INV_SQRT_2PI, expSafe(tf.mul(-0.5, tf.square(x))));
    return tf.add(cdf, tf.mul(x, pdf));
  },
);

/** log(1 + eˣ); tfjs's gradient σ(x) reads the input, so second derivatives are right. */
export const softplus: Activation = (x) => tf.softplus(x);

/** max(0, x); on wasm its gradient is one SIMD kernel instead of tfjs's Step, Cast and Multiply. */
export const relu: Activation = preferSimd(simdRelu, (x) => tf.relu(x));

/** The identity (a linear layer). */
export const identity: Activation = (x) => x;

/**
 * max(x, slope·x) for slope in [0, 1). tfjs's own LeakyRelu gradient goes through `greater`, which has no
 * gradient, so nested tf.grad fails on it; the derivative here is slope + (1 − slope)·step(x).
 */
export function leakyRelu(slope: number = DEFAULT_LEAKY_SLOPE): Activation {
  if (!(slope >= 0 && slope < 1)) {
    throw new DyncRuntimeError("RUN040", `leaky_relu slope must be in [0, 1), got ${slope}`);
  }
  return unaryWithDerivative(
    (x) => tf.leakyRelu(x, slope),
    (x) => tf.add(slope, tf.mul(1 - slope, tf.step(x))),
  );
}

/** exp(x) with a gradient that nested `tf.grad` differentiates correctly (tf.exp's does not). */
export const exp: Activation = expSafe;

/** The activation function a spec names. */
export function activation(spec: ActivationSpec): Activation {
  const name = typeof spec === "string" ? spec : spec.name;
  switch (name) {
    case "relu":
      return relu;
    case "leaky_relu":
      return leakyRelu(typeof spec === "object" && "slope" in spec ? spec.slope : DEFAULT_LEAKY_SLOPE);
    case "silu":
      return silu;
    case "tanh":
      return tanh;
    case "sigmoid":
      return sigmoid;
    case "xtanh":
      return xtanh;
    case "gelu":
      return gelu;
    case "softplus":
      return softplus;
    case "identity":
      return identity;
    default:
      throw new DyncRuntimeError(
        "RUN040",
        `unknown activation "${String(name)}"`,
        "use relu, leaky_relu, silu, tanh, sigmoid, xtanh, gelu, softplus or identity",
      );
  }
}

/** The canonical name of a spec (for recording and taps). */
export function activationName(spec: ActivationSpec): ActivationName {
  return typeof spec === "string" ? spec : spec.name;
}
