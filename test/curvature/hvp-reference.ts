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
  /** Batch norm after the product: the physical batch's statistics, or the running ones (this seed's) when given. */
  readonly norm?: { readonly eps: number; readonly running?: { readonly mean: readonly number[]; readonly variance: readonly number[] } };
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

/** Where a layer's parameters sit in θ: W (row-major fanIn × fanOut), then b, γ, β (each present or not). */
function refOffsets(layers: readonly RefLayer[]): { w: number; b: number; g: number }[] {
  let at = 0;
  return layers.map((l) => {
    const w = at;
    const b = w + l.fanIn * l.fanOut;
    const g = b + (l.bias ? l.fanOut : 0);
    at = g + (l.norm ? 2 * l.fanOut : 0);
    return { w, b, g };
  });
}

/** Over rows: the mean of f(r) per feature. */
function rowMean(n: number, width: number, f: (r: number, j: number) => number): number[] {
  return Array.from({ length: width }, (_, j) => {
    let s = 0;
    for (let r = 0; r < n; r++) s += f(r, j);
    return s / n;
  });
}

/**
 * ∇L for one seed in float64: L = (1/m)·Σ_rows ℓ(scale·net(x), y), the rows evaluated in physical batches of
 * `batch` (batch norm's batch statistics are each batch's), θ flat per layer as `refOffsets`. Batch norm's
 * backward is the textbook one: ∂L/∂z = (g − mean(g) − x̂·mean(g⊙x̂))/σ with g = γ⊙∂L/∂u (running statistics: g/σ).
 */
export function gradient64(layers: readonly RefLayer[], scale: number, loss: LossKind, theta: Float64Array, x: Float64Array, y: Float64Array, m: number, batch = m): Float64Array {
  const grad = new Float64Array(theta.length);
  for (let start = 0; start < m; start += batch) {
    const n = Math.min(batch, m - start);
    batchGradient64(layers, scale, loss, theta, x, y, m, start, n, grad);
  }
  return grad;
}

/** grad += the gradient of one physical batch's part of L (rows start … start + n − 1). */
function batchGradient64(layers: readonly RefLayer[], scale: number, loss: LossKind, theta: Float64Array, x: Float64Array, y: Float64Array, m: number, start: number, n: number, grad: Float64Array): void {
  const offsets = refOffsets(layers);
  const d = layers[0]!.fanIn;
  const C = layers.at(-1)!.fanOut;
  const name = lossName(loss);
  const smoothing = labelSmoothing(loss);
  const hs: number[][][] = [Array.from({ length: n }, (_, r) => Array.from(x.subarray((start + r) * d, (start + r + 1) * d)))];
  const ds: number[][][] = [];
  const norms: ({ xhat: number[][]; sigma: number[] } | undefined)[] = [];
  layers.forEach((l, i) => {
    const h = hs.at(-1)!;
    const { w, b, g } = offsets[i]!;
    const z = h.map((row) => Array.from({ length: l.fanOut }, (_, j) => {
      let v = l.bias ? theta[b + j]! : 0;
      for (let k = 0; k < l.fanIn; k++) v += row[k]! * theta[w + k * l.fanOut + j]!;
      return v;
    }));
    let u = z;
    if (l.norm) {
      const mean = l.norm.running?.mean ?? rowMean(n, l.fanOut, (r, j) => z[r]![j]!);
      const variance = l.norm.running?.variance ?? rowMean(n, l.fanOut, (r, j) => (z[r]![j]! - mean[j]!) ** 2);
      const sigma = variance.map((v) => Math.sqrt(v + l.norm!.eps));
      const xhat = z.map((row) => row.map((v, j) => (v - mean[j]!) / sigma[j]!));
      norms[i] = { xhat, sigma };
      u = xhat.map((row) => row.map((v, j) => theta[g + j]! * v + theta[g + l.fanOut + j]!));
    }
    const act = u.map((row) => row.map((v) => activate64(l.act, l.alpha, v)));
    hs.push(act.map((row) => row.map(([a]) => a)));
    ds.push(act.map((row) => row.map(([, da]) => da)));
  });
  let e = hs.at(-1)!.map((row, r) => {
    const o = row.map((v) => scale * v);
    const t = Array.from(y.subarray((start + r) * C, (start + r + 1) * C), (v) => (smoothing > 0 ? (1 - smoothing) * v + smoothing / C : v));
    let gl: number[];
    if (name === "cross_entropy") {
      const max = Math.max(...o);
      const ex = o.map((v) => Math.exp(v - max));
      const total = ex.reduce((a, b) => a + b, 0);
      const mass = t.reduce((a, b) => a + b, 0);
      gl = ex.map((v, j) => mass * (v / total) - t[j]!);
    } else {
      const factor = name === "mse" ? 2 / C : name === "half_mse" ? 1 / C : 1;
      gl = o.map((v, j) => factor * (v - t[j]!));
    }
    return gl.map((v) => (scale * v) / m);
  });
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    const { w, b, g } = offsets[i]!;
    const gu = e.map((row, r) => row.map((v, j) => v * ds[i]![r]![j]!));
    let delta = gu;
    const norm = norms[i];
    if (norm) {
      for (let r = 0; r < n; r++) for (let j = 0; j < l.fanOut; j++) {
        grad[g + j]! += gu[r]![j]! * norm.xhat[r]![j]!;
        grad[g + l.fanOut + j]! += gu[r]![j]!;
      }
      const gx = gu.map((row) => row.map((v, j) => theta[g + j]! * v));
      if (l.norm!.running) {
        delta = gx.map((row) => row.map((v, j) => v / norm.sigma[j]!));
      } else {
        const meanG = rowMean(n, l.fanOut, (r, j) => gx[r]![j]!);
        const meanGX = rowMean(n, l.fanOut, (r, j) => gx[r]![j]! * norm.xhat[r]![j]!);
        delta = gx.map((row, r) => row.map((v, j) => (v - meanG[j]! - norm.xhat[r]![j]! * meanGX[j]!) / norm.sigma[j]!));
      }
    }
    const h = hs[i]!;
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < l.fanIn; k++) for (let j = 0; j < l.fanOut; j++) grad[w + k * l.fanOut + j]! += h[r]![k]! * delta[r]![j]!;
      if (l.bias) for (let j = 0; j < l.fanOut; j++) grad[b + j]! += delta[r]![j]!;
    }
    e = delta.map((row) => Array.from({ length: l.fanIn }, (_, k) => row.reduce((acc, dv, j) => acc + dv * theta[w + k * l.fanOut + j]!, 0)));
  }
}

/**
 * H·v of every seed by float64 central differences of `gradient64` (`step` along v: 1e-5 suits the small nets;
 * larger ones need less, their truncation error growing as step²·‖v‖²), the rows in the options' physical batches,
 * batch norm with the options' statistics (`bn`).
 */
export function differenceProducts(model: Model, data: EvalData, loss: LossKind, vectors: readonly Float64Array[], options: HvpOptions = EXACT, step = 1e-5): Float64Array[] {
  const plan = model.denseMlpPlan!()!;
  const seedSlice = (t: tf.Tensor, s: number): number[] => Array.from(t.dataSync().subarray((s * t.size) / model.seeds, ((s + 1) * t.size) / model.seeds));
  const layersOf = (s: number): RefLayer[] => plan.layers.map((l) => {
    const norm = l.norm && { eps: l.norm.eps, ...(options.bn === "running" ? { running: { mean: seedSlice(l.norm.runningMean, s), variance: seedSlice(l.norm.runningVar, s) } } : {}) };
    return { fanIn: l.weight.variable.shape[1]!, fanOut: l.weight.variable.shape[2]!, act: l.activation, alpha: l.alpha, bias: l.bias !== undefined, ...(norm ? { norm } : {}) };
  });
  const rows = subsetRows(data.n, options, Array(model.seeds).fill(0), "t");
  const { x, y } = data.gather(rows);
  const encoded = plan.encode(x as tf.Tensor3D);
  const xs = Float64Array.from(encoded.dataSync());
  const ys = Float64Array.from(y.dataSync());
  tf.dispose([x, y, encoded]);
  const m = x.shape[1]!;
  const layers0 = layersOf(0);
  const dIn = layers0[0]!.fanIn;
  const C = layers0.at(-1)!.fanOut;
  return vectors.map((v, s) => {
    const theta = Float64Array.from(model.params.flatMap((p) => seedSlice(p.variable, s)));
    const h = step;
    const layers = layersOf(s);
    const g = (sign: number) => gradient64(layers, plan.scale, loss, theta.map((t, k) => t + sign * h * v[k]!), xs.subarray(s * m * dIn, (s + 1) * m * dIn), ys.subarray(s * m * C, (s + 1) * m * C), m, options.batch ?? m);
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
  const reference = directions(op, 3).map((v) => differenceProducts(model, data, loss, v, options));
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
