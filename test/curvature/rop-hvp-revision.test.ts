/**
 * `ROP_HVP_REVISION` (runtime/kernels/native-hvp.ts) numbers the tfjs R-operator's arithmetic
 * (stdlib/curvature/rop-hvp.ts): `--resume` refuses to mix products of two revisions. This pins each revision to the
 * exact bits of its products on the cpu backend (deterministic: plain JS loops, no threads) for fixed small MLPs,
 * parameters, rows and directions, chosen to pass through every kind of formula: activations with and without σ'',
 * bias on and off, batch norm with batch and with running statistics, mse and cross-entropy, an output scale, two
 * seeds and two physical batches. A change to the formulas or to the order of a float32 sum changes the bits: then
 * raise the revision and pin the new digests here. The cpu backend computes tanh, exp and erf with the engine's
 * Math.*, so a Node/V8 upgrade can change these bits with rop-hvp.ts untouched: then re-pin without raising. The products also agree with float64 central differences of a
 * float64 gradient (./hvp-reference.ts), so what is pinned is the Hessian-vector product.
 */
import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { ActivationName } from "../../contract/model-specs.js";
import { selectBackend } from "../../runtime/backend.js";
import { ROP_HVP_REVISION } from "../../runtime/kernels/native-hvp.js";
import type { FusedLoss } from "../../runtime/kernels/native-fused.js";
import { ropHvp, type RopLayer } from "../../stdlib/curvature/rop-hvp.js";
import { gradient64, type RefLayer } from "./hvp-reference.js";

const SEEDS = 2;
const ROWS = 6;
const BATCH = 3;

/** Values on a 1/64 grid in [−1, 1) from a fixed sequence: exact in float32, the same on every machine. */
function grid(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return ((state >>> 16) % 128) / 64 - 1;
  });
}

interface Case {
  readonly name: string;
  readonly loss: FusedLoss;
  readonly scale: number;
  readonly layers: readonly RefLayer[];
}

const CASES: readonly Case[] = [
  {
    name: "tanh + batch norm (batch statistics), softplus, identity; cross-entropy",
    loss: "cross_entropy",
    scale: 0.5,
    layers: [
      { fanIn: 3, fanOut: 4, act: "tanh", alpha: 0, bias: true, norm: { eps: 1e-3 } },
      { fanIn: 4, fanOut: 3, act: "softplus", alpha: 0, bias: false },
      { fanIn: 3, fanOut: 2, act: "identity", alpha: 0, bias: true },
    ],
  },
  {
    name: "gelu + batch norm (running statistics), leaky_relu, sigmoid; mse",
    loss: "mse",
    scale: 1,
    layers: [
      { fanIn: 3, fanOut: 4, act: "gelu", alpha: 0, bias: false, norm: { eps: 1e-5, running: { mean: [0.25, -0.5, 0, 0.125], variance: [0.5, 1.5, 1, 0.75] } } },
      { fanIn: 4, fanOut: 3, act: "leaky_relu", alpha: 0.25, bias: true },
      { fanIn: 3, fanOut: 2, act: "sigmoid", alpha: 0, bias: true },
    ],
  },
];

/** Parameters per seed, in the products' layout (per layer W row-major `[fanIn, fanOut]`, b, γ, β). */
function paramCount(layers: readonly RefLayer[]): number {
  return layers.reduce((n, l) => n + l.fanIn * l.fanOut + (l.bias ? l.fanOut : 0) + (l.norm ? 2 * l.fanOut : 0), 0);
}

/** The problem's fixed numbers: θ and the direction per seed, the rows and their targets (one-hot for cross-entropy). */
function numbers(c: Case) {
  const P = paramCount(c.layers);
  const d = c.layers[0]!.fanIn;
  const C = c.layers.at(-1)!.fanOut;
  const theta = grid(SEEDS * P, 7);
  // γ near 1: a batch norm with γ ~ 0 would hide its curvature.
  let at = 0;
  for (const l of c.layers) {
    at += l.fanIn * l.fanOut + (l.bias ? l.fanOut : 0);
    if (l.norm) for (let s = 0; s < SEEDS; s++) for (let j = 0; j < l.fanOut; j++) theta[s * P + at + j] = 1 + theta[s * P + at + j]! / 4;
    at += l.norm ? 2 * l.fanOut : 0;
  }
  const x = grid(SEEDS * ROWS * d, 11);
  const y = c.loss === "cross_entropy" ? Float32Array.from({ length: SEEDS * ROWS * C }, (_, i) => (Math.floor(i / C) % C === i % C ? 1 : 0)) : grid(SEEDS * ROWS * C, 13);
  const v = grid(SEEDS * P, 17);
  return { P, d, C, theta, x, y, v };
}

/** H·v of every seed by the tfjs R-operator, θ, rows and v as `numbers` gives them, in two physical batches. */
function ropProducts(c: Case): Float64Array {
  const { P, d, C, theta, x, y, v } = numbers(c);
  const perSeed = (at: (s: number) => number, length: number) => Float32Array.from({ length: SEEDS * length }, (_, i) => theta[Math.floor(i / length) * P + at(Math.floor(i / length)) + (i % length)]!);
  const tensors: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (tensors.push(t), t);
  let at = 0;
  const layers: RopLayer[] = c.layers.map((l) => {
    const w = at;
    const b = w + l.fanIn * l.fanOut;
    const g = b + (l.bias ? l.fanOut : 0);
    at = g + (l.norm ? 2 * l.fanOut : 0);
    const weight = keep(tf.tensor3d(perSeed(() => w, l.fanIn * l.fanOut), [SEEDS, l.fanIn, l.fanOut]));
    const bias = l.bias ? keep(tf.tensor2d(perSeed(() => b, l.fanOut), [SEEDS, l.fanOut])) : undefined;
    const running = l.norm?.running;
    const norm = l.norm && {
      gamma: keep(tf.tensor2d(perSeed(() => g, l.fanOut), [SEEDS, l.fanOut])),
      beta: keep(tf.tensor2d(perSeed(() => g + l.fanOut, l.fanOut), [SEEDS, l.fanOut])),
      eps: l.norm.eps,
      ...(running ? { running: { mean: keep(tf.tensor2d([...running.mean, ...running.mean], [SEEDS, l.fanOut])), variance: keep(tf.tensor2d([...running.variance, ...running.variance], [SEEDS, l.fanOut])) } } : {}),
    };
    return { weight, ...(bias ? { bias } : {}), ...(norm ? { norm } : {}), activation: l.act as ActivationName, alpha: l.alpha };
  });
  const rows = (data: Float32Array, width: number, start: number) => keep(tf.tensor3d(Float32Array.from({ length: SEEDS * BATCH * width }, (_, i) => data[Math.floor(i / (BATCH * width)) * ROWS * width + start * width + (i % (BATCH * width))]!), [SEEDS, BATCH, width]));
  const batches = [0, BATCH].map((start) => ({ x: rows(x, d, start), y: rows(y, C, start) }));
  const hvp = ropHvp({ layers, loss: c.loss, scale: c.scale, rows: ROWS, batches });
  const out = new Float64Array(SEEDS * P);
  hvp.product(v, out);
  hvp.dispose();
  tf.dispose(tensors);
  return out;
}

/** H·v of one seed by float64 central differences of the float64 gradient, the rows in the same physical batches. */
function referenceProduct(c: Case, seed: number): Float64Array {
  const { P, d, C, theta, x, y, v } = numbers(c);
  const at = (a: Float32Array, width: number) => Float64Array.from(a.subarray(seed * width, (seed + 1) * width));
  const [t, dv] = [at(theta, P), at(v, P)];
  const step = 1e-5;
  const shifted = (sign: number) => gradient64(c.layers, c.scale, c.loss, t.map((value, i) => value + sign * step * dv[i]!), at(x, ROWS * d), at(y, ROWS * C), ROWS, BATCH);
  const [plus, minus] = [shifted(1), shifted(-1)];
  return plus.map((value, i) => (value - minus[i]!) / (2 * step));
}

const digest = (values: Float64Array) => createHash("sha256").update(Buffer.from(values.buffer, values.byteOffset, values.byteLength)).digest("hex");

describe("ROP_HVP_REVISION pins the tfjs R-operator's arithmetic", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
  });

  it("the products equal float64 differences of the gradient at float32 tolerance", () => {
    for (const c of CASES) {
      const products = ropProducts(c);
      const P = paramCount(c.layers);
      for (let s = 0; s < SEEDS; s++) {
        const reference = referenceProduct(c, s);
        const got = products.subarray(s * P, (s + 1) * P);
        const error = Math.max(...got.map((value, i) => Math.abs(value - reference[i]!)));
        const size = Math.max(...reference.map(Math.abs));
        expect(size, c.name).toBeGreaterThan(1e-2);
        expect(error / size, `${c.name}, seed ${s}`).toBeLessThan(1e-5);
      }
    }
  });

  it("the products' bits on the cpu backend are the same in every call", () => {
    for (const c of CASES) expect(digest(ropProducts(c)), c.name).toBe(digest(ropProducts(c)));
  });

  it("each revision's products have the bits pinned here: a change to rop-hvp.ts that changes them needs a new ROP_HVP_REVISION (raise it and pin the new digests)", () => {
    const pinned: Record<number, Record<string, string>> = {
      1: {
        "tanh + batch norm (batch statistics), softplus, identity; cross-entropy": "510abe7abd41c0886558c9899e3c74baabf465b3af4be8be4d910953a8adfc5a",
        "gelu + batch norm (running statistics), leaky_relu, sigmoid; mse": "ba645cdcfcd64a2c2f89c6f752b79e3e4372165e730a780bb698f36fdf8ee558",
      },
    };
    const now = Object.fromEntries(CASES.map((c) => [c.name, digest(ropProducts(c))]));
    expect(now, `the tfjs R-operator's products round differently from revision ${ROP_HVP_REVISION}'s: if stdlib/curvature/rop-hvp.ts changed, raise ROP_HVP_REVISION (runtime/kernels/native-hvp.ts) and pin the new digests; if only Node changed (${process.version}), its Math.* did: re-pin revision ${ROP_HVP_REVISION}`).toEqual(pinned[ROP_HVP_REVISION]);
  });
});
