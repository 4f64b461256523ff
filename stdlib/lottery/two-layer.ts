/**
 * Two-layer scalar networks f(x) = Σᵢ vᵢ σ(wᵢx + bᵢ) + c in float64 JS numbers (Liu & Tegmark's setting):
 * reading one out of a seed-batched `Mlp`, evaluating it, and the unary targets of the paper's appendix.
 * TF.js trains in float32; ticket surgery and refits need float64, so they happen here.
 */
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Model, Param } from "../../contract/model.js";
import { DEFAULT_LEAKY_SLOPE, type ActivationSpec } from "../../runtime/nn/activations.js";
import { twoLayerView } from "../probes/layers.js";
import { fdlibmExp, fdlibmPow, fdlibmTanh } from "../../numerics/fdlibm-exp.js";
import { fdlibmLog1p } from "../../numerics/fdlibm-log.js";
import { fdlibmCos, fdlibmSin } from "../../numerics/fdlibm.js";

/** A scalar activation in float64. */
export type Scalar = (x: number) => number;

/** One seed's network: hidden weights w, biases b, output weights v, output bias c. */
export interface TwoLayerNet {
  readonly w: Float64Array;
  readonly b: Float64Array;
  readonly v: Float64Array;
  readonly c: number;
  readonly act: Scalar;
}

/** fdlibm's exp, tanh and log1p (numerics/), not Math.*: the same float64 numbers on every Node version. */
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + fdlibmExp(-x)) : fdlibmExp(x) / (1 + fdlibmExp(x)));

/** The float64 version of a model activation; RUN040 for ones the lottery probes do not cover. */
export function scalarActivation(spec: ActivationSpec): Scalar {
  const name = typeof spec === "string" ? spec : spec.name;
  switch (name) {
    case "silu":
      return (x) => x * sigmoid(x);
    case "leaky_relu": {
      const slope = typeof spec === "object" && "slope" in spec ? spec.slope : DEFAULT_LEAKY_SLOPE;
      return (x) => (x > 0 ? x : slope * x);
    }
    case "relu":
      return (x) => (x > 0 ? x : 0);
    case "tanh":
      return fdlibmTanh;
    case "sigmoid":
      return sigmoid;
    case "softplus":
      return (x) => (x > 0 ? x + fdlibmLog1p(fdlibmExp(-x)) : fdlibmLog1p(fdlibmExp(x)));
    case "xtanh":
      return (x) => x * fdlibmTanh(x);
    case "identity":
      return (x) => x;
    default:
      throw new DyncRuntimeError("RUN040", `the lottery-ticket probes have no float64 version of activation "${name}"`, "use silu, leaky_relu, relu, tanh, sigmoid, softplus, xtanh or identity");
  }
}

/** Every seed's network of a one-hidden-layer, scalar-in, scalar-out mlp; RUN040 for other models. */
export function twoLayerNets(model: Model): TwoLayerNet[] {
  const weighted = model.layers.filter((l) => l.weight !== undefined);
  const [first, last] = weighted;
  const scalar = weighted.length === 2 && first!.role === "hidden" && first!.fanIn === 1 && last!.role === "out" && last!.fanOut === 1;
  if (!scalar || model.layers.some((l) => l.kind === "encoding" || l.kind === "conv")) {
    throw new DyncRuntimeError("RUN040", "the lottery-ticket probes need `mlp(in: 1, hidden: [N], out: 1)`: one hidden layer, scalar input and output, no encoding");
  }
  const view = twoLayerView(model);
  if (!view) throw new DyncRuntimeError("RUN040", "the lottery-ticket probes need an mlp without batch norm");
  const act = scalarActivation(view.hidden.activation ?? "identity");
  const N = view.hidden.fanOut;
  const read = (p: Param | undefined, perSeed: number): Float32Array | undefined => {
    if (!p) return undefined;
    const data = p.variable.dataSync() as Float32Array;
    if (data.length !== perSeed * model.seeds) throw new DyncRuntimeError("RUN040", `${p.name} has ${data.length} values, expected ${perSeed} per seed`);
    return data;
  };
  const w = read(view.hidden.weight, N)!;
  const b = read(view.hidden.bias, N);
  const v = read(view.out.weight, N)!;
  const c = read(view.out.bias, 1);
  const scale = model.outputScale ?? 1;
  return Array.from({ length: model.seeds }, (_, s) => ({
    w: Float64Array.from(w.subarray(s * N, (s + 1) * N)),
    b: b ? Float64Array.from(b.subarray(s * N, (s + 1) * N)) : new Float64Array(N),
    v: Float64Array.from(v.subarray(s * N, (s + 1) * N), (x) => x * scale),
    c: c ? c[s]! * scale : 0,
    act,
  }));
}

/** f(x) at every point of xs. */
export function evaluateNet(net: TwoLayerNet, xs: ArrayLike<number>): Float64Array {
  const out = new Float64Array(xs.length).fill(net.c);
  for (let i = 0; i < net.w.length; i++) {
    const w = net.w[i]!;
    const b = net.b[i]!;
    const v = net.v[i]!;
    for (let k = 0; k < xs.length; k++) out[k]! += v * net.act(w * xs[k]! + b);
  }
  return out;
}

/** σ(w·x + b) at every point of xs: one neuron's activation curve. */
export function neuronCurve(act: Scalar, w: number, b: number, xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs as ArrayLike<number>, (x) => act(w * x + b));
}

/** Mean of (a − b)² in float64. */
export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/** `n` evenly spaced points covering [lo, hi] (both ends included). */
export function grid(lo: number, hi: number, n: number): Float64Array {
  if (!(Number.isInteger(n) && n >= 2 && hi > lo)) throw new DyncRuntimeError("RUN040", `a grid needs n >= 2 points on an interval with hi > lo, got n = ${n} on [${lo}, ${hi}]`);
  return Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** The unary targets of the paper (Figs 5, 7), by the names the probes accept. */
export const UNARY_TARGETS: Readonly<Record<string, Scalar>> = {
  square: (x) => x * x,
  cube: (x) => x * x * x,
  quartic: (x) => fdlibmPow(x, 4),
  sin: fdlibmSin,
  cos: fdlibmCos,
  exp: fdlibmExp,
  sin_squared: (x) => fdlibmSin(x) ** 2, // x ** 2 is x·x on every engine
  exp_square: (x) => fdlibmExp(x * x),
  tanh: fdlibmTanh,
  relu: (x) => (x > 0 ? x : 0),
};

/** The target function by name; RUN040 lists the known ones. */
export function unaryTarget(name: string): Scalar {
  const f = Object.hasOwn(UNARY_TARGETS, name) ? UNARY_TARGETS[name] : undefined;
  if (!f) throw new DyncRuntimeError("RUN040", `unknown target "${name}"`, `targets: ${Object.keys(UNARY_TARGETS).join(", ")}`);
  return f;
}
