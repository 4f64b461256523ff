/**
 * The native Hessian-vector product of plain dense MLPs (native/dync_hvp.c via runtime/kernels/native-hvp.ts,
 * served by stdlib/curvature/operator.ts). Checked here, for every activation, bias on and off, every loss
 * (cross-entropy with label smoothing), several seeds, an output scale and input encodings:
 *  - against float64 central differences of a float64 gradient written out in JS (independent of tfjs and of
 *    the C code: the activations' derivatives below are the textbook ones, the Hessian comes from differencing);
 *  - against the taped product (nested tf.grad / the recorded gradient) at float32 tolerance;
 *  - several physical batches, with the state kept and recomputed per product, equal one batch;
 *  - the models outside the family (batch norm, dropout, convolutions) and the native path off take the tape
 *    and say so (`HessianOperator.path`); eigenvalues agree on both paths.
 *
 * Needs the native addons (`npm run native`); skipped without them, except under CI=true.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mlpLayers } from "../../contract/layer-list.js";
import type { ActivationName, ActivationSpec, EncodingSpec } from "../../contract/model-specs.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { selectBackend } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { nativeHvpActive, nativeHvpUnavailableReason, setNativeHvpEnabled, setNativeHvpStateBudget } from "../../runtime/kernels/native-hvp.js";
import { labelSmoothing, lossName, type LossKind } from "../../runtime/loss.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { Rng } from "../../runtime/rng.js";
import { HessianOperator, hessianEigenpairs, subsetRows, type HvpOptions } from "../../stdlib/curvature/index.js";
import { EvalData } from "../../stdlib/probes/index.js";
import { runExperiment } from "../../runner/index.js";
import { checkResumeBackend } from "../../runner/resume.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Manifest } from "../../runtime/record/index.js";
import type { ProbeSpec } from "../../contract/program.js";
import { captureStream, regressionProgram, regressionRun } from "../runtime/experiment-fixture.js";

await selectBackend("wasm");
const available = nativeHvpActive();
const inCi = process.env["CI"] === "true";

const EXACT: HvpOptions = { hvp: "exact", samples: null, subset: "spaced", batch: null, bn: "batch" };
const ACTIVATIONS: ActivationSpec[] = ["relu", { name: "leaky_relu", slope: 0.2 }, "tanh", "sigmoid", "silu", "xtanh", "gelu", "softplus", "identity"];
const SMOOTHED = { name: "cross_entropy", smoothing: 0.1 } as unknown as LossKind;
const LOSSES: LossKind[] = ["mse", "half_mse", "half_sse", "cross_entropy", SMOOTHED];

/** n rows of d inputs in [−1.5, 1.5]; targets: C soft rows (cross-entropy) or smooth values. */
function dataset(n: number, d: number, C: number, classification: boolean, seed: number): Dataset {
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

function operator(model: Model, data: EvalData, loss: LossKind, options: HvpOptions = EXACT): HessianOperator {
  return new HessianOperator(model, data, loss, options, subsetRows(data.n, options, Array(model.seeds).fill(0), "t"), "test");
}

/** Products on `count` random directions per seed (the same directions for every call with the same seed). */
function products(op: HessianOperator, count: number, seed = 5): Float64Array[][] {
  const rng = new Rng(seed).fork("directions");
  return Array.from({ length: count }, () => op.apply(Array.from({ length: op.seeds }, () => Float64Array.from({ length: op.dim }, () => rng.uniformIn(-1, 1)))));
}

/** max |a − b| / max |b| over every seed's vector. */
function relative(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let diff = 0;
  let size = 0;
  b.forEach((v, s) => v.forEach((x, k) => {
    diff = Math.max(diff, Math.abs(a[s]![k]! - x));
    size = Math.max(size, Math.abs(x));
  }));
  return diff / Math.max(size, 1e-300);
}

// ---------------------------------------------------------------- the float64 reference

interface RefLayer {
  readonly fanIn: number;
  readonly fanOut: number;
  readonly act: ActivationName;
  readonly alpha: number;
  readonly bias: boolean;
}

/** erf by its Taylor series (|x| ≤ 6 here; float64 terms: ~1e-12 absolute). */
function erf(x: number): number {
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
function activate64(act: ActivationName, alpha: number, z: number): [number, number] {
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
function gradient64(layers: readonly RefLayer[], scale: number, loss: LossKind, theta: Float64Array, x: Float64Array, y: Float64Array, m: number): Float64Array {
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
function differenceProducts(model: Model, data: EvalData, loss: LossKind, vectors: readonly Float64Array[]): Float64Array[] {
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
function directions(op: HessianOperator, count: number, seed = 5): Float64Array[][] {
  const rng = new Rng(seed).fork("directions");
  return Array.from({ length: count }, () => Array.from({ length: op.seeds }, () => Float64Array.from({ length: op.dim }, () => rng.uniformIn(-1, 1))));
}

// ---------------------------------------------------------------- the tests

function listNet(act: ActivationSpec, bias: boolean, seeds: number, options: { encode?: EncodingSpec; scale?: number; outDim?: number; inDim?: number } = {}): Model {
  const layers = mlpLayers({ hidden: [7, 5], outDim: options.outDim ?? 2, act, bias, norm: "none", dropout: 0, encode: options.encode ?? null, outputScale: options.scale ?? null } as Parameters<typeof mlpLayers>[0]);
  return sequential({ inShape: [options.inDim ?? 3], layers, seeds: Array.from({ length: seeds }, (_, s) => 11 + s) });
}

/** Native products, taped products and the float64 reference on the same directions. */
function compare(model: Model, data: EvalData, loss: LossKind, options: HvpOptions = EXACT): { native: Float64Array[][]; taped: Float64Array[][]; reference: Float64Array[][] } {
  const op = operator(model, data, loss, options);
  expect(op.path).toBe("native");
  const native = products(op, 3);
  const reference = directions(op, 3).map((v) => differenceProducts(model, data, loss, v));
  op.dispose();
  setNativeHvpEnabled(false);
  const tapedOp = operator(model, data, loss, options);
  expect(tapedOp.path).toBe("taped");
  const taped = products(tapedOp, 3);
  tapedOp.dispose();
  setNativeHvpEnabled(true);
  return { native, taped, reference };
}

describe.skipIf(!available && !inCi)(`native Hessian-vector product${available ? "" : ` (skipped: ${nativeHvpUnavailableReason() ?? "native path off"})`}`, () => {
  beforeAll(() => {
    expect(nativeHvpActive()).toBe(true);
  });
  afterEach(() => {
    setNativeHvpEnabled(true);
    setNativeMatMulEnabled(true);
    setNativeHvpStateBudget(0);
  });

  ACTIVATIONS.forEach((act, a) => {
    const name = typeof act === "string" ? act : act.name;
    it(`${name}: equals float64 differences of the gradient and the taped product (every loss, bias on and off, 1–3 seeds)`, () => {
      const before = tf.memory().numTensors;
      LOSSES.forEach((loss, k) => {
        const bias = (a + k) % 2 === 0;
        const seeds = 1 + ((a + k) % 3);
        const classification = lossName(loss) === "cross_entropy";
        const model = listNet(act, bias, seeds, { scale: k === 2 ? 0.5 : undefined });
        const data = new EvalData([dataset(13 + k, 3, 2, classification, 10 * a + k)], seeds);
        const { native, taped, reference } = compare(model, data, loss);
        native.forEach((hv, i) => {
          expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
          expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
        });
        [data, model].forEach((x) => x.dispose());
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it("several physical batches, the state kept or recomputed per product, equal one batch and the reference", () => {
    const model = listNet("tanh", true, 2);
    const data = new EvalData([dataset(23, 3, 2, true, 3)], 2);
    const one = products(operator(model, data, SMOOTHED), 2);
    const batched = { ...EXACT, batch: 10 };
    const kept = compare(model, data, SMOOTHED, batched);
    setNativeHvpStateBudget(1);
    const op = operator(model, data, SMOOTHED, batched);
    const recomputed = products(op, 2);
    const again = products(op, 2);
    op.dispose();
    recomputed.forEach((hv, i) => {
      expect(relative(hv, one[i]!)).toBeLessThan(1e-5);
      expect(relative(hv, kept.native[i]!)).toBe(0);
      expect(relative(again[i]!, hv)).toBe(0);
      expect(relative(hv, kept.reference[i]!)).toBeLessThan(2e-5);
      expect(relative(hv, kept.taped[i]!)).toBeLessThan(2e-5);
    });
    [data, model].forEach((x) => x.dispose());
  });

  it("input encodings in front, an `mlp(…)` model with an output scale, several outputs", () => {
    const encodings: EncodingSpec[] = [{ kind: "fourier", L: 3, include_input: true }, { kind: "coords", domain: [-2, 2], range: [-1, 1] }];
    for (const encode of encodings) {
      const model = listNet("silu", true, 2, { encode, inDim: 2, outDim: 3 });
      const data = new EvalData([dataset(17, 2, 3, false, 8)], 2);
      const { native, taped, reference } = compare(model, data, "half_sse");
      native.forEach((hv, i) => {
        expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
        expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
      });
      [data, model].forEach((x) => x.dispose());
    }
    const net = mlp({ inDim: 2, hidden: [9, 6], outDim: 2, act: "gelu", encode: { kind: "fourier", L: 2 }, outputScale: 2, seeds: [4, 9] });
    const data = new EvalData([dataset(15, 2, 2, false, 9)], 2);
    const { native, taped, reference } = compare(net, data, "mse");
    native.forEach((hv, i) => {
      expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
      expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
    });
    [data, net].forEach((x) => x.dispose());
  });

  it("a layer list with separate activation layers and a final `scale`", () => {
    const layers: LayerSpec[] = [
      { name: "h0", kind: "dense", width: 6, act: null, bias: false },
      { name: "a0", kind: "activation", act: "softplus" },
      { name: "h1", kind: "dense", width: 4, act: "sigmoid", bias: true },
      { name: "out", kind: "dense", width: 3, act: null, bias: true },
      { name: "s", kind: "scale", factor: 3 },
    ];
    const model = sequential({ inShape: [2], layers, seeds: [3, 5] });
    expect(model.denseMlpPlan()!.scale).toBe(3);
    const data = new EvalData([dataset(14, 2, 3, true, 12)], 2);
    const { native, taped, reference } = compare(model, data, "cross_entropy");
    native.forEach((hv, i) => {
      expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
      expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
    });
    [data, model].forEach((x) => x.dispose());
  });

  it("one dense layer: softmax regression with large logits, and linear least squares", () => {
    for (const [loss, classification] of [["cross_entropy", true], ["half_sse", false]] as const) {
      const model = sequential({ inShape: [4], layers: [{ name: "out", kind: "dense", width: 3, act: null, bias: true }], seeds: [2] });
      const weight = model.params[0]!.variable;
      tf.tidy(() => weight.assign(tf.mul(weight, 8)));
      const data = new EvalData([dataset(11, 4, 3, classification, 13)], 1);
      const { native, taped, reference } = compare(model, data, loss);
      native.forEach((hv, i) => {
        expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
        expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
      });
      [data, model].forEach((x) => x.dispose());
    }
  });

  it("models outside the family and the native path switched off take the tape, and say so", () => {
    const data = new EvalData([dataset(12, 4, 1, false, 2)], 1);
    const layers = (extra: LayerSpec[]): LayerSpec[] => [{ name: "h0", kind: "dense", width: 5, act: null, bias: true }, ...extra, { name: "out", kind: "dense", width: 1, act: null, bias: true }];
    const outside: Model[] = [
      sequential({ inShape: [4], layers: layers([{ name: "bn", kind: "batchnorm" }, { name: "a", kind: "activation", act: "tanh" }]), seeds: [1] }),
      sequential({ inShape: [4], layers: layers([{ name: "a", kind: "activation", act: "tanh" }, { name: "drop", kind: "dropout", p: 0.2 }]), seeds: [1] }),
      sequential({ inShape: [4], layers: layers([{ name: "ln", kind: "layernorm" }]), seeds: [1] }),
      sequential({ inShape: [2, 2, 1], layers: [{ name: "c", kind: "conv", filters: 2, kernel: 2, stride: 1, padding: "valid", act: "tanh", bias: true }, { name: "f", kind: "flatten" }, { name: "out", kind: "dense", width: 1, act: null, bias: true }], seeds: [1] }),
      mlp({ inDim: 4, hidden: [5], outDim: 1, act: "tanh", norm: "batchnorm", seeds: [1] }),
      mlp({ inDim: 4, hidden: [5], outDim: 1, act: "tanh", dropout: 0.1, seeds: [1] }),
    ];
    for (const model of outside) {
      expect(model.denseMlpPlan?.()).toBeUndefined();
      const op = operator(model, data, "half_mse");
      expect(op.path).toBe("taped");
      expect(products(op, 1)[0]![0]!.some((v) => v !== 0)).toBe(true);
      op.dispose();
      model.dispose();
    }
    const plain = listNet("tanh", true, 1, { inDim: 4, outDim: 1 });
    setNativeMatMulEnabled(false);
    expect(operator(plain, data, "half_mse").path).toBe("taped");
    setNativeMatMulEnabled(true);
    expect(operator(plain, data, "half_mse", { ...EXACT, hvp: "difference" }).path).toBe("difference");
    expect(operator(plain, data, "half_mse").path).toBe("native");
    [data, plain].forEach((x) => x.dispose());
  });

  describe("the record", () => {
    const root = mkdtempSync(join(tmpdir(), "dync-native-hvp-"));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const sharp: ProbeSpec = { name: "sharp", probe: "sharpness", args: { model: { ref: "net" }, data: { ref: "train" }, iters: 6, tol: 0 }, cadences: [{ kind: "at", points: ["start", "end"] }], line: 13 };
    const run = async (dir: string, norm: "none" | "batchnorm" = "none") => {
      const base = regressionRun(6, { kind: "sgd", lr: 0.05 }, { probes: [sharp], duration: { steps: 3 } });
      const program = regressionProgram([{ ...base, model: { ...base.model, act: "tanh", norm } as typeof base.model }]);
      const result = await runExperiment(program, { backend: "wasm", outDir: join(root, dir), quiet: true, stdout: captureStream(), stderr: captureStream() });
      expect(result.exitCode).toBe(0);
      const manifest = JSON.parse(readFileSync(join(result.dir, "manifest.json"), "utf8")) as { backend: { hvp?: unknown }; runs: { hvp?: unknown }[] };
      return { manifest, values: result.results.rows.filter((r) => r.probe === "sharp").map((r) => r.value as number) };
    };

    it("each run records how many products each path served (runs[].hvp), the backend which one serves plain MLPs", async () => {
      const native = await run("native");
      expect(native.manifest.backend.hvp).toEqual({ path: "native" });
      expect(native.manifest.runs[0]!.hvp).toEqual({ native: 2 * 6 });
      setNativeHvpEnabled(false);
      const taped = await run("taped");
      expect(taped.manifest.runs[0]!.hvp).toEqual({ taped: 2 * 6 });
      native.values.forEach((v, i) => expect(Math.abs(v / taped.values[i]! - 1)).toBeLessThan(1e-4));
      setNativeHvpEnabled(true);
      const norm = await run("batchnorm", "batchnorm");
      expect(norm.manifest.runs[0]!.hvp).toEqual({ taped: 2 * 6 });
    });
  });

  it("the top eigenvalues agree on both paths (Lanczos, 2 seeds)", () => {
    const model = listNet("tanh", true, 2, { outDim: 1 });
    const data = new EvalData([dataset(40, 3, 1, false, 6)], 2);
    const native = hessianEigenpairs(model, data, "half_mse", { k: 3, seeds: [1, 2] });
    setNativeHvpEnabled(false);
    const taped = hessianEigenpairs(model, data, "half_mse", { k: 3, seeds: [1, 2] });
    native.values.forEach((values, s) => values.forEach((v, i) => expect(Math.abs(v / taped.values[s]![i]! - 1)).toBeLessThan(1e-4)));
    [data, model].forEach((x) => x.dispose());
  });
});

describe("resuming a run directory across HVP paths", () => {
  const backend = (hvp: object | undefined) => ({ name: "wasm", simd: true, dyncKernels: true, matmul: { path: "native", gemm: "onednn", threads: 1 }, fusedStep: { path: "native" }, ...(hvp ? { hvp } : {}) });
  const manifest = (hvp: object | undefined) => ({ backend: backend(hvp) }) as unknown as Manifest;

  it("is refused with RUN031 between the native and the taped product (their float32 sums differ), naming both and how to resume", () => {
    expect(() => checkResumeBackend("d", manifest({ path: "native" }), backend({ path: "taped", reason: "switched off by DYNC_NATIVE_HVP=0" }))).toThrow(DyncRuntimeError);
    expect(() => checkResumeBackend("d", manifest({ path: "native" }), backend({ path: "taped" }))).toThrow(/Hessian-vector products of dense MLPs ran on the native path, this process uses the taped one/);
    const refusal = (() => {
      try {
        checkResumeBackend("d", manifest({ path: "taped" }), backend({ path: "native" }));
      } catch (error) {
        return error as DyncRuntimeError;
      }
      return undefined;
    })();
    expect(refusal?.code).toBe("RUN031");
    expect(refusal?.hint).toBe("resume with DYNC_NATIVE_HVP=0");
    expect(() => checkResumeBackend("d", manifest({ path: "native" }), backend({ path: "native" }))).not.toThrow();
    // written before it was recorded (the kernels' revision refuses those on the native path)
    expect(() => checkResumeBackend("d", manifest(undefined), backend({ path: "native" }))).not.toThrow();
  });
});
