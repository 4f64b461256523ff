/**
 * Shared by the Hessian-vector product tests of plain dense MLPs (native-hvp.test.ts: the native R-operator;
 * rop-hvp.test.ts: the R-operator in tfjs ops): models, data, products on fixed random directions, and the
 * float64 reference: central differences of a float64 gradient written out here (independent of tfjs and of
 * the products under test: the activations' derivatives are the textbook ones, the Hessian comes from
 * differencing).
 */
import * as tf from "@tensorflow/tfjs-core";
import { expect } from "vitest";
import { mlpLayers } from "../../contract/layer-list.js";
import type { ActivationName, ActivationSpec, EncodingSpec } from "../../contract/model-specs.js";
import type { Model } from "../../contract/model.js";
import type { Dataset } from "../../runtime/dataset.js";
import { setNativeHvpEnabled, setRopHvpEnabled } from "../../runtime/kernels/native-hvp.js";
import { labelSmoothing, lossName, type LossKind } from "../../runtime/loss.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { Rng } from "../../runtime/rng.js";
import { HessianOperator, subsetRows, type HvpOptions } from "../../stdlib/curvature/index.js";
import type { EvalData } from "../../stdlib/probes/index.js";

export const EXACT: HvpOptions = { hvp: "exact", samples: null, subset: "spaced", batch: null, bn: "batch" };
export const ACTIVATIONS: ActivationSpec[] = ["relu", { name: "leaky_relu", slope: 0.2 }, "tanh", "sigmoid", "silu", "xtanh", "gelu", "softplus", "identity"];
export const SMOOTHED = { name: "cross_entropy", smoothing: 0.1 } as unknown as LossKind;
export const LOSSES: LossKind[] = ["mse", "half_mse", "half_sse", "cross_entropy", SMOOTHED];

/** n rows of d inputs in [−1.5, 1.5]; targets: C soft rows (cross-entropy) or smooth values. */
export function dataset(n: number, d: number, C: number, classification: boolean, seed: number): Dataset {
  const rng = new Rng(seed).fork("data");
  const x = Float32Array.from({ length: n * d }, () => rng.uniformIn(-1.5, 1.5));
  const y = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    if (classification) {
      const raw = Array.from({ length: C }, () => Math.exp(2 * rng.uniformIn(-1, 1)));
      const total = raw.reduce((a, b) => a + b, 0);
      raw.forEach((r, c) => (y[i * C + c] = r / total));
    } else {
      for (let c = 0; c < C; c++) y[i * C + c] = Math.sin(2 * x[i * d]! + c) + 0.3 * x[i * d + d - 1]!;
    }
  }
  return { name: "train", n, xShape: [d], x, yDim: C, y };
}

export function operator(model: Model, data: EvalData, loss: LossKind, options: HvpOptions = EXACT): HessianOperator {
  return new HessianOperator(model, data, loss, options, subsetRows(data.n, options, Array(model.seeds).fill(0), "t"), "test");
}

/** Products on `count` random directions per seed (the same directions for every call with the same seed). */
export function products(op: HessianOperator, count: number, seed = 5): Float64Array[][] {
  const rng = new Rng(seed).fork("directions");
  return Array.from({ length: count }, () => op.apply(Array.from({ length: op.seeds }, () => Float64Array.from({ length: op.dim }, () => rng.uniformIn(-1, 1)))));
}

/** max |a − b| / max |b| over every seed's vector. */
export function relative(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let diff = 0;
  let size = 0;
  b.forEach((v, s) => v.forEach((x, k) => {
    diff = Math.max(diff, Math.abs(a[s]![k]! - x));
    size = Math.max(size, Math.abs(x));
  }));
  return diff / Math.max(size, 1e-300);
}

// ---------------------------------------------------------------- the float64 reference

export interface RefLayer {
  readonly fanIn: number;
  readonly fanOut: number;
  readonly act: ActivationName;
  readonly alpha: number;
  readonly bias: boolean;
}

/** erf by its Taylor series (|x| ≤ 6 here; float64 terms: ~1e-12 absolute). */
export function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** σ(z) and σ'(z) in float64, from the activations' definitions (runtime/nn/activations.ts). */
export function activate64(act: ActivationName, alpha: number, z: number): [number, number] {
  const sig = 1 / (1 + Math.exp(-z));
  const t = Math.tanh(z);
  switch (act) {
    case "relu":
      return z > 0 ? [z, 1] : [0, 0];
    case "leaky_relu":
      return z < 0 ? [alpha * z, alpha] : [z, z > 0 ? 1 : alpha];
    case "tanh":
      return [t, 1 - t * t];
    case "sigmoid":
      return [sig, sig * (1 - sig)];
    case "silu":
      return [z * sig, sig * (1 + z * (1 - sig))];
    case "xtanh":
      return [z * t, t + z * (1 - t * t)];
    case "gelu": {
      const cdf = 0.5 * (1 + erf(z / Math.SQRT2));
      return [z * cdf, cdf + z * Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)];
    }
    case "softplus":
      return [z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)), sig];
    case "identity":
      return [z, 1];
  }
}

/** ∇L for one seed in float64: L = (1/m)·Σ_rows ℓ(scale·net(x), y), θ flat per layer W (row-major) then b. */
export function gradient64(layers: readonly RefLayer[], scale: number, loss: LossKind, theta: Float64Array, x: Float64Array, y: Float64Array, m: number): Float64Array {
  const grad = new Float64Array(theta.length);
  const offsets: number[] = [];
  let at = 0;
  for (const l of layers) {
    offsets.push(at);
    at += l.fanIn * l.fanOut + (l.bias ? l.fanOut : 0);
  }
  const d = layers[0]!.fanIn;
  const C = layers.at(-1)!.fanOut;
  const name = lossName(loss);
  const smoothing = labelSmoothing(loss);
  for (let r = 0; r < m; r++) {
    const hs: number[][] = [Array.from(x.subarray(r * d, (r + 1) * d))];
    const ds: number[][] = [];
    layers.forEach((l, i) => {
      const h = hs.at(-1)!;
      const out: number[] = [];
      const der: number[] = [];
      for (let j = 0; j < l.fanOut; j++) {
        let z = l.bias ? theta[offsets[i]! + l.fanIn * l.fanOut + j]! : 0;
        for (let k = 0; k < l.fanIn; k++) z += h[k]! * theta[offsets[i]! + k * l.fanOut + j]!;
        const [a, da] = activate64(l.act, l.alpha, z);
        out.push(a);
        der.push(da);
      }
      hs.push(out);
      ds.push(der);
    });
    const o = hs.at(-1)!.map((v) => scale * v);
    const t = Array.from(y.subarray(r * C, (r + 1) * C), (v) => (smoothing > 0 ? (1 - smoothing) * v + smoothing / C : v));
    let g: number[];
    if (name === "cross_entropy") {
      const max = Math.max(...o);
      const e = o.map((v) => Math.exp(v - max));
      const total = e.reduce((a, b) => a + b, 0);
      const mass = t.reduce((a, b) => a + b, 0);
      g = e.map((v, j) => mass * (v / total) - t[j]!);
    } else {
      const factor = name === "mse" ? 2 / C : name === "half_mse" ? 1 / C : 1;
      g = o.map((v, j) => factor * (v - t[j]!));
    }
    let e = g.map((v) => (scale * v) / m);
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i]!;
      const delta = e.map((v, j) => v * ds[i]![j]!);
      const h = hs[i]!;
      for (let k = 0; k < l.fanIn; k++) for (let j = 0; j < l.fanOut; j++) grad[offsets[i]! + k * l.fanOut + j]! += h[k]! * delta[j]!;
      if (l.bias) for (let j = 0; j < l.fanOut; j++) grad[offsets[i]! + l.fanIn * l.fanOut + j]! += delta[j]!;
      e = Array.from({ length: l.fanIn }, (_, k) => delta.reduce((acc, dv, j) => acc + dv * theta[offsets[i]! + k * l.fanOut + j]!, 0));
    }
  }
  return grad;
}

/** H·v of every seed by float64 central differences of `gradient64` (step 1e-5 along v). */
export function differenceProducts(model: Model, data: EvalData, loss: LossKind, vectors: readonly Float64Array[]): Float64Array[] {
  const plan = model.denseMlpPlan!()!;
  const layers = plan.layers.map((l) => ({ fanIn: l.weight.variable.shape[1]!, fanOut: l.weight.variable.shape[2]!, act: l.activation, alpha: l.alpha, bias: l.bias !== undefined }));
  const rows = subsetRows(data.n, EXACT, Array(model.seeds).fill(0), "t");
  const { x, y } = data.gather(rows);
  const encoded = plan.encode(x as tf.Tensor3D);
  const xs = Float64Array.from(encoded.dataSync());
  const ys = Float64Array.from(y.dataSync());
  tf.dispose([x, y, encoded]);
  const m = data.n;
  const dIn = layers[0]!.fanIn;
  const C = layers.at(-1)!.fanOut;
  return vectors.map((v, s) => {
    let at = 0;
    const theta = new Float64Array(v.length);
    for (const p of model.params) {
      const size = p.variable.size / model.seeds;
      theta.set(Array.from(p.variable.dataSync().subarray(s * size, (s + 1) * size)), at);
      at += size;
    }
    const h = 1e-5;
    const g = (sign: number) => gradient64(layers, plan.scale, loss, theta.map((t, k) => t + sign * h * v[k]!), xs.subarray(s * m * dIn, (s + 1) * m * dIn), ys.subarray(s * m * C, (s + 1) * m * C), m);
    const plus = g(1);
    const minus = g(-1);
    return plus.map((p, k) => (p - minus[k]!) / (2 * h));
  });
}

/** Directions as `products` draws them, for the reference. */
export function directions(op: HessianOperator, count: number, seed = 5): Float64Array[][] {
  const rng = new Rng(seed).fork("directions");
  return Array.from({ length: count }, () => Array.from({ length: op.seeds }, () => Float64Array.from({ length: op.dim }, () => rng.uniformIn(-1, 1))));
}


export function listNet(act: ActivationSpec, bias: boolean, seeds: number, options: { encode?: EncodingSpec; scale?: number; outDim?: number; inDim?: number } = {}): Model {
  const layers = mlpLayers({ hidden: [7, 5], outDim: options.outDim ?? 2, act, bias, norm: "none", dropout: 0, encode: options.encode ?? null, outputScale: options.scale ?? null } as Parameters<typeof mlpLayers>[0]);
  return sequential({ inShape: [options.inDim ?? 3], layers, seeds: Array.from({ length: seeds }, (_, s) => 11 + s) });
}


/**
 * Products on the path under test (`native`: the native R-operator; `rop`: the tfjs one, the native one switched
 * off by the caller), taped products (both R-operators off, restored after) and the float64 reference, on the
 * same directions.
 */
export function compare(path: "native" | "rop", model: Model, data: EvalData, loss: LossKind, options: HvpOptions = EXACT): { products: Float64Array[][]; taped: Float64Array[][]; reference: Float64Array[][] } {
  const op = operator(model, data, loss, options);
  expect(op.path).toBe(path);
  const under = products(op, 3);
  const reference = directions(op, 3).map((v) => differenceProducts(model, data, loss, v));
  op.dispose();
  setNativeHvpEnabled(false);
  setRopHvpEnabled(false);
  try {
    const tapedOp = operator(model, data, loss, options);
    expect(tapedOp.path).toBe("taped");
    const taped = products(tapedOp, 3);
    tapedOp.dispose();
    return { products: under, taped, reference };
  } finally {
    setRopHvpEnabled(true);
    setNativeHvpEnabled(path === "native");
  }
}
