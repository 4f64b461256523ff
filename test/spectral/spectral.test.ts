/**
 * The spectral family against independent float64 computations: σ_max by power iteration against the
 * eigenvalues of AᵀA (Jacobi) and a diagonal matrix; boundary distances against a float64 forward pass of
 * the same weights (and the gradient variant against central finite differences through the encoding);
 * the encoding distance matrix against the NeRF formula written out.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dataset } from "../../runtime/dataset.js";
import { ensureGradients, selectBackend } from "../../runtime/backend.js";
import { convNet, gaussianFeatureMatrix, mlp } from "../../runtime/nn/index.js";
import { setParam } from "../../runtime/params.js";
import type { Model } from "../../contract/model.js";
import type { EncodingSpec } from "../../contract/model-specs.js";
import { largestSingularValue } from "../../numerics/eigen.js";
import { symmetricEigen } from "../../numerics/linalg.js";
import { Rng } from "../../runtime/rng.js";
import { measureProbe, RunProbeEnv, type SeedIndexed, type SeedTensors } from "../../stdlib/probes/index.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { checkSource } from "../../compiler/check/index.js";
import { evaluate, ResultEnv } from "../../runtime/analysis/index.js";
import type { ResultRow } from "../../runtime/analysis/results.js";
import type { ProfilePlan, RunSpec } from "../../contract/program.js";

beforeAll(async () => {
  await selectBackend("cpu");
  await ensureGradients();
});

function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

/** σ_max from the top eigenvalue of AᵀA by cyclic Jacobi (numerics/linalg), a different algorithm. */
function sigmaByEigen(a: ArrayLike<number>, rows: number, cols: number): number {
  const gram = Array.from({ length: cols }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += a[r * cols + i]! * a[r * cols + j]!;
      return s;
    }),
  );
  return Math.sqrt(symmetricEigen(gram).values[0]!);
}

const ctxFor = (seeds: number): ProbeContext => ({ seeds: [...Array(seeds).keys()], seedIndices: [...Array(seeds).keys()], step: 0 }) as unknown as ProbeContext;

async function measure(net: Model, args: Record<string, unknown>, datasets: Dataset[] = []): Promise<unknown> {
  const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map(datasets.map((d) => [d.name, [d]])), loss: "mse" });
  try {
    return await measureProbe(String(args["probe"]), { model: { ref: "net" }, ...args, probe: undefined }, ctxFor(net.seeds), env);
  } finally {
    env.dispose();
  }
}

describe("largestSingularValue (Lanczos)", () => {
  it("gives the largest |entry| of a diagonal matrix, by hand", () => {
    const diag = Float64Array.from([3, 0, 0, 0, -5, 0, 0, 0, 2]);
    expect(largestSingularValue(diag, 3, 3, 500, 1e-14).sigma).toBeCloseTo(5, 12);
    // Rectangular: diag(1, 4) with a zero row appended.
    expect(largestSingularValue(Float64Array.from([1, 0, 0, 4, 0, 0]), 3, 2, 500, 1e-14).sigma).toBeCloseTo(4, 12);
  });

  it("agrees with the eigenvalues of AᵀA on random matrices (tall, wide, square)", () => {
    for (const [rows, cols, seed] of [
      [40, 25, 1],
      [25, 40, 2],
      [64, 64, 3],
    ] as const) {
      const a = randomMatrix(rows, cols, seed);
      const power = largestSingularValue(a, rows, cols, 5000, 1e-15);
      expect(Math.abs(power.sigma - sigmaByEigen(a, rows, cols)) / power.sigma).toBeLessThan(1e-8);
    }
  });

  it("converges on a 120 × 120 random matrix (crowded top singular values) in far fewer steps than its size", () => {
    const a = randomMatrix(120, 120, 4);
    const top = largestSingularValue(a, 120, 120, 60, 1e-14);
    expect(top.iterations).toBeLessThanOrEqual(60);
    expect(Math.abs(top.sigma - sigmaByEigen(a, 120, 120)) / top.sigma).toBeLessThan(1e-10);
  });

  it("never exceeds σ_max, and a warm start from the converged vector stops at once", () => {
    const a = randomMatrix(30, 30, 7);
    const exact = sigmaByEigen(a, 30, 30);
    const few = largestSingularValue(a, 30, 30, 3, 0);
    expect(few.sigma).toBeLessThanOrEqual(exact * (1 + 1e-12));
    const full = largestSingularValue(a, 30, 30, 5000, 1e-15);
    const again = largestSingularValue(a, 30, 30, 5000, 1e-12, full.vector);
    expect(full.iterations).toBeGreaterThan(4);
    expect(again.iterations).toBeLessThanOrEqual(4);
    expect(again.sigma).toBeCloseTo(exact, 10);
  });
});

describe("spectral_norm", () => {
  it("gives σ_max of every weight matrix, output layer last, per seed, as an independent eigen-solve does", async () => {
    const net = mlp({ inDim: 3, hidden: [12, 9], outDim: 2, act: "relu", seeds: [0, 1] });
    try {
      const value = (await measure(net, { probe: "spectral_norm", iters: 5000, tol: 1e-15 })) as SeedIndexed;
      expect(value.dim).toBe("layer");
      const weights = net.layers.filter((l) => l.weight);
      expect(weights.map((l) => l.name)).toEqual(["hidden0", "hidden1", "out"]);
      for (let s = 0; s < 2; s++) {
        const sigma = value.fields["sigma"]![s]!;
        expect(sigma).toHaveLength(3);
        weights.forEach((l, k) => {
          const [, fanIn, fanOut] = l.weight!.variable.shape as [number, number, number];
          const all = l.weight!.variable.dataSync();
          const block = all.subarray(s * fanIn * fanOut, (s + 1) * fanIn * fanOut);
          expect(sigma[k]).toBeCloseTo(sigmaByEigen(block, fanIn, fanOut), 6);
        });
      }
    } finally {
      net.dispose();
    }
  });
});

/** A float64 forward pass through γ and the hidden layers of `net` (seed s): every hidden pre-activation. */
function referencePre(net: Model, s: number, x: readonly number[], gamma: (x: readonly number[]) => number[], act: (z: number) => number): number[][] {
  let h = gamma(x);
  const out: number[][] = [];
  for (const l of net.layers.filter((v) => v.role === "hidden")) {
    const [, fanIn, fanOut] = l.weight!.variable.shape as [number, number, number];
    const w = l.weight!.variable.dataSync().subarray(s * fanIn * fanOut, (s + 1) * fanIn * fanOut);
    const b = l.bias!.variable.dataSync().subarray(s * fanOut, (s + 1) * fanOut);
    const z = Array.from({ length: fanOut }, (_, i) => h.reduce((sum, hj, j) => sum + hj * w[j * fanOut + i]!, b[i]!));
    out.push(z);
    h = z.map(act);
  }
  return out;
}

/** ‖column i‖ of every hidden layer's weight (seed s). */
function columnNorms(net: Model, s: number): number[][] {
  return net.layers
    .filter((v) => v.role === "hidden")
    .map((l) => {
      const [, fanIn, fanOut] = l.weight!.variable.shape as [number, number, number];
      const w = l.weight!.variable.dataSync().subarray(s * fanIn * fanOut, (s + 1) * fanIn * fanOut);
      return Array.from({ length: fanOut }, (_, i) => Math.hypot(...Array.from({ length: fanIn }, (_, j) => w[j * fanOut + i]!)));
    });
}

/** NeRF γ written out: per level k and coordinate c, sin(2ᵏπx_c), cos(2ᵏπx_c) (the layer's order). */
const nerf =
  (L: number) =>
  (x: readonly number[]): number[] => {
    const out: number[] = [];
    for (let k = 0; k < L; k++) for (const xc of x) out.push(Math.sin(2 ** k * Math.PI * xc), Math.cos(2 ** k * Math.PI * xc));
    return out;
  };

function points(n: number, d: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.uniform() * 2 - 1));
}

function dataset(name: string, xs: readonly (readonly number[])[]): Dataset {
  return { name, n: xs.length, xShape: [xs[0]!.length], x: Float32Array.from(xs.flat()), yDim: 1, y: new Float32Array(xs.length) };
}

const relu = (z: number) => Math.max(0, z);

describe("boundary_distance", () => {
  it("method weights: mean over points of min over all hidden neurons of |z|/‖w‖, as a float64 forward pass (ReLU, 2 → 7 → 5 → 1)", async () => {
    const net = mlp({ inDim: 2, hidden: [7, 5], outDim: 1, act: "relu", seeds: [0, 1] });
    const xs = points(40, 2, 11);
    try {
      const value = (await measure(net, { probe: "boundary_distance", data: { ref: "pts" } }, [dataset("pts", xs)])) as Float64Array;
      const firstOnly = (await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, layers: [0] }, [dataset("pts", xs)])) as Float64Array;
      for (let s = 0; s < 2; s++) {
        const norms = columnNorms(net, s);
        const dist = (layers: number[]) =>
          xs.map((x) => Math.min(...referencePre(net, s, x, (v) => [...v], relu).flatMap((z, l) => (layers.includes(l) ? z.map((zi, i) => Math.abs(zi) / norms[l]![i]!) : []))));
        const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
        expect(value[s]).toBeCloseTo(mean(dist([0, 1])), 5);
        expect(firstOnly[s]).toBeCloseTo(mean(dist([0])), 5);
        expect(firstOnly[s]!).toBeGreaterThanOrEqual(value[s]! - 1e-7);
      }
    } finally {
      net.dispose();
    }
  });

  it("leaves no tensor behind with either method (a zero-norm neuron included)", async () => {
    const net = mlp({ inDim: 2, hidden: [3, 3], outDim: 1, act: "relu", encode: { kind: "fourier", L: 1, include_input: false }, seeds: [0, 1] });
    setParam(net, "hidden0.weight", [[0, 1, 2], [0, 3, 4], [0, 5, 6], [0, 7, 8]]);
    const data = [dataset("pts", points(5, 2, 1))];
    try {
      for (const method of ["weights", "gradient"]) {
        await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, method }, data);
        const before = tf.memory().numTensors;
        await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, method }, data);
        expect(tf.memory().numTensors).toBe(before);
      }
    } finally {
      net.dispose();
    }
  });

  it("leaves out a neuron without a boundary (zero input weights), by hand on a 2 → 3 → 1 net", async () => {
    const net = mlp({ inDim: 2, hidden: [3], outDim: 1, act: "relu", seeds: [0] });
    // Neuron 0: w = 0, b = 0.01 (no boundary, |z| tiny); neuron 1: z = 3x + 4y − 1 (‖w‖ = 5); neuron 2: z = y + 2.
    setParam(net, "hidden0.weight", [[0, 3, 0], [0, 4, 1]]);
    setParam(net, "hidden0.bias", [0.01, -1, 2]);
    const xs = [[0, 0], [1, 1], [0.2, 0.1]];
    try {
      for (const method of ["weights", "gradient"]) {
        const value = (await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, method }, [dataset("pts", xs)])) as Float64Array;
        const expected = xs.map(([x, y]) => Math.min(Math.abs(3 * x! + 4 * y! - 1) / 5, Math.abs(y! + 2)));
        expect(value[0]).toBeCloseTo((expected[0]! + expected[1]! + expected[2]!) / 3, 6); // (0.2 + 1.2 + 0.08) / 3
      }
    } finally {
      net.dispose();
    }
  });

  it("method gradient on an unencoded net's first layer is the exact distance |z|/‖w‖", async () => {
    const net = mlp({ inDim: 2, hidden: [7, 5], outDim: 1, act: "relu", seeds: [0] });
    const data = [dataset("pts", points(30, 2, 5))];
    try {
      const byWeights = (await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, layers: [0] }, data)) as Float64Array;
      const byGradient = (await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, layers: [0], method: "gradient" }, data)) as Float64Array;
      expect(byGradient[0]).toBeCloseTo(byWeights[0]!, 5);
    } finally {
      net.dispose();
    }
  });

  for (const [act, f] of [
    ["tanh", Math.tanh],
    ["relu", relu],
  ] as const) {
    it(`method gradient: |z|/‖∇ₓz‖ in the raw input space through a Fourier encoding, against central differences (${act}, 2 → fourier(L: 2) → 6 → 4 → 1)`, async () => {
      const encode: EncodingSpec = { kind: "fourier", L: 2, include_input: false };
      const net = mlp({ inDim: 2, hidden: [6, 4], outDim: 1, act, encode, seeds: [0, 1] });
      const xs = points(12, 2, 3).map((x) => x.map((v) => v / 2));
      try {
        const value = (await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, method: "gradient" }, [dataset("pts", xs)])) as Float64Array;
        const h = 1e-6;
        for (let s = 0; s < 2; s++) {
          const pre = (x: readonly number[]) => referencePre(net, s, x, nerf(2), f).flat();
          const dist = xs.map((x) => {
            const z = pre(x);
            const grads = [0, 1].map((c) => {
              const [up, down] = [pre(x.map((v, i) => (i === c ? v + h : v))), pre(x.map((v, i) => (i === c ? v - h : v)))];
              return z.map((_, i) => (up[i]! - down[i]!) / (2 * h));
            });
            return Math.min(...z.map((zi, i) => Math.abs(zi) / Math.hypot(grads[0]![i]!, grads[1]![i]!)));
          });
          const mean = dist.reduce((a, b) => a + b, 0) / dist.length;
          expect(Math.abs(value[s]! - mean) / mean).toBeLessThan(1e-3);
        }
      } finally {
        net.dispose();
      }
    });
  }

  it("refuses method weights on a normalised net (z is not w·h + b there); gradient measures it", async () => {
    const net = mlp({ inDim: 2, hidden: [4], outDim: 1, norm: "batchnorm", seeds: [0] });
    const data = [dataset("pts", points(6, 2, 2))];
    try {
      await expect(async () => measure(net, { probe: "boundary_distance", data: { ref: "pts" } }, data)).rejects.toThrow(/normalises its pre-activations/);
      expect(((await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, method: "gradient" }, data)) as Float64Array)[0]).toBeGreaterThan(0);
    } finally {
      net.dispose();
    }
  });

  it("refuses a conv layer with a clear error, and measures the dense layers after it when asked", async () => {
    const net = convNet({ inShape: [5, 5, 1], convs: [{ filters: 2, kernel: 3 }], hidden: [4], outDim: 1, seeds: [0] });
    const images = [dataset("img", points(3, 25, 9))];
    try {
      await expect(async () => measure(net, { probe: "boundary_distance", data: { ref: "img" } }, images)).rejects.toThrow(/dense hidden layers, but conv0 is a conv layer/);
      const dense = (await measure(net, { probe: "boundary_distance", data: { ref: "img" }, layers: [1] }, images)) as Float64Array;
      expect(dense[0]).toBeGreaterThan(0);
    } finally {
      net.dispose();
    }
  });
});

describe("encoding_distance", () => {
  it("is ‖γ(xᵢ) − γ(xⱼ)‖ over the rows, γ the NeRF encoding written out (float64), symmetric with a zero diagonal", async () => {
    const net = mlp({ inDim: 2, hidden: [3], outDim: 1, seeds: [0] });
    const xs: number[][] = [];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 5; j++) xs.push([i / 5, j / 4]);
    try {
      const value = (await measure(net, { probe: "encoding_distance", encoding: { kind: "fourier", L: 3, include_input: false }, data: { ref: "grid" } }, [dataset("grid", xs)])) as SeedTensors;
      expect(value.shape).toEqual([30, 30]);
      const m = value.perSeed[0]!;
      const gamma = xs.map(nerf(3));
      for (let i = 0; i < 30; i++) {
        expect(m[i * 30 + i]).toBe(0);
        for (let j = 0; j < 30; j++) {
          const exact = Math.hypot(...gamma[i]!.map((g, k) => g - gamma[j]![k]!));
          expect(Math.abs(m[i * 30 + j]! - exact)).toBeLessThan(2e-6);
        }
      }
    } finally {
      net.dispose();
    }
  });

  it("uses each seed's own Gaussian Fourier features B (seed values from the run, as the encoding layer draws them)", async () => {
    const net = mlp({ inDim: 2, hidden: [3], outDim: 1, seeds: [0, 1] });
    const xs = points(7, 2, 8);
    const spec = { kind: "gaussian_features", sigma: 2, features: 5, include_input: false };
    try {
      const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["p", [dataset("p", xs)]]]), loss: "mse" });
      const ctx = { seeds: [11, 42], seedIndices: [0, 1], step: 0 } as unknown as ProbeContext;
      const value = (await measureProbe("encoding_distance", { encoding: spec, data: { ref: "p" } }, ctx, env)) as SeedTensors;
      env.dispose();
      [11, 42].forEach((seed, s) => {
        const B = gaussianFeatureMatrix(seed, 2, 5, 2); // [d, m] row-major
        const gamma = xs.map((x) => {
          const angles = Array.from({ length: 5 }, (_, k) => 2 * Math.PI * (x[0]! * B[k]! + x[1]! * B[5 + k]!));
          return [...angles.map(Math.sin), ...angles.map(Math.cos)];
        });
        for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) {
          const exact = Math.hypot(...gamma[i]!.map((g, k) => g - gamma[j]![k]!));
          expect(Math.abs(value.perSeed[s]![i * 7 + j]! - exact)).toBeLessThan(1e-4);
        }
      });
      expect(value.perSeed[0]![1]).not.toBeCloseTo(value.perSeed[1]![1]!, 3);
    } finally {
      net.dispose();
    }
  });

  it("rescales with coords(range) exactly, and refuses a data set above max_points", async () => {
    const net = mlp({ inDim: 1, hidden: [3], outDim: 1, seeds: [0] });
    const xs = [[0], [0.25], [1]];
    try {
      const value = (await measure(net, { probe: "encoding_distance", encoding: { kind: "coords", range: [-1, 1], domain: [0, 1] }, data: { ref: "l" } }, [dataset("l", xs)])) as SeedTensors;
      expect([...value.perSeed[0]!]).toEqual([0, 0.5, 2, 0.5, 0, 1.5, 2, 1.5, 0]);
      await expect(async () =>
        measure(net, { probe: "encoding_distance", encoding: { kind: "coords", range: [-1, 1], domain: [0, 1] }, data: { ref: "l" }, max_points: 2 }, [dataset("l", xs)]),
      ).rejects.toThrow(/3 rows > max_points 2/);
    } finally {
      net.dispose();
    }
  });
});

describe("boundary_distance on the wasm backend", () => {
  afterAll(async () => {
    await selectBackend("cpu");
  });

  it("gives the cpu backend's gradient distances (its SIMD kernels, and tf.oneHot's wrong float output there, are avoided or differentiable)", async () => {
    const encode: EncodingSpec = { kind: "fourier", L: 2, include_input: false };
    const data = [dataset("pts", points(10, 2, 4))];
    const onBackend = async (backend: "cpu" | "wasm") => {
      await selectBackend(backend);
      const net = mlp({ inDim: 2, hidden: [6, 4], outDim: 1, act: "relu", encode, seeds: [0, 1] });
      try {
        return (await measure(net, { probe: "boundary_distance", data: { ref: "pts" }, method: "gradient" }, data)) as Float64Array;
      } finally {
        net.dispose();
      }
    };
    const cpu = await onBackend("cpu");
    const wasm = await onBackend("wasm");
    expect(Number.isFinite(cpu[0]!)).toBe(true);
    for (let s = 0; s < 2; s++) expect(wasm[s]).toBeCloseTo(cpu[s]!, 5);
  });
});

describe("the spectral probes in a .dyn file", () => {
  const src = `experiment e {
  seeds 2
  data train = grid(x in [0, 1], y in [0, 1], n: 8) -> x * y
  model net = mlp(hidden: [16, 16], encode: fourier(L: 3))
  loss mse
  optimizer adam(lr: 1e-3)
  train 10 steps, batch full
  probe sn = spectral_norm(net) at [start, end]
  probe bd = boundary_distance(net, train, method: gradient, layers: [0]) at end
  probe ed = encoding_distance(fourier(L: 3), train) at start
  let lip = prod(sn.sigma) over layer
  expect min(lip) over seeds > 0
  plot heatmap(ed)
}`;

  it("check: the product over layers is a `prod` reduction over the probe's `layer` dimension, the encoding lowered to its spec", () => {
    const r = checkSource(src, "e.dyn");
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const profile = r.experiments[0]!.profiles["default"]!;
    expect(profile.analyses[0]!.expr).toEqual({ op: "reduce", fn: "prod", arg: { op: "probe", name: "sn.sigma" }, over: ["layer"] });
    const ed = profile.runs[0]!.probes.find((p) => p.name === "ed")!;
    expect(ed.args["encoding"]).toEqual({ kind: "fourier", L: 3, include_input: false });
  });

  it("evaluate: prod over layer multiplies each seed's per-layer values", () => {
    const rows: ResultRow[] = [];
    for (const seed of [0, 1]) [2, 3, 0.5].forEach((v, k) => rows.push({ run: "run", point: {}, seed, step: 0, epoch: 0, probe: "sn.sigma", value: v * (seed + 1), index: { layer: k } }));
    const plan = { seeds: [0, 1], runs: [{ id: "run", point: {}, probes: [{ name: "sn", probe: "spectral_norm", fields: ["sigma"], index: "layer", args: {}, cadences: [], line: 1 }], events: [] } as unknown as RunSpec], analyses: [], expects: [], plots: [] } as ProfilePlan;
    const env = new ResultEnv(plan, { sweepVars: [], seeds: [0, 1], rows, totalSteps: { run: 0 } }, new Map());
    const t = evaluate({ op: "reduce", fn: "prod", arg: { op: "probe", name: "sn.sigma" }, over: ["layer"] }, env);
    expect(t.rows.map((r) => r.value)).toEqual([3, 24]); // 2·3·0.5 and 4·6·1
  });
});
