#!/usr/bin/env node
/**
 * Where a training step's time goes: per-kernel times (tf.profile) of one seed-batched step of a benchmark
 * shape, aggregated by kernel name and output shape, next to the step's wall time (JS glue = wall − Σ kernels).
 *
 * Usage: node bench/profile.js a|b|c|d|e|f [--backend wasm|cpu] [--width W] [--steps N]
 * Needs `npm run build` first (imports dist/runner).
 */
import * as tf from "@tensorflow/tfjs-core";
import { createOptimizer, lossFunction, mlp, selectBackend } from "../dist/runner/index.js";

const SHAPES = {
  a: { inDim: 784, hidden: Array(8).fill(256), outDim: 10, seeds: 1, batch: 128, act: "relu", loss: "cross_entropy", opt: { kind: "sgd", lr: 0.01 } },
  b: { inDim: 2, hidden: Array(4).fill(256), outDim: 3, seeds: 1, batch: 4096, act: "relu", loss: "mse", opt: { kind: "adam", lr: 1e-3 } },
  c: { inDim: 1, hidden: [1000], outDim: 1, seeds: 1, batch: 4, act: "relu", loss: "mse", opt: { kind: "gd", lr: 0.05 } },
  d: { inDim: 1, hidden: [50], outDim: 1, seeds: 1000, batch: 256, act: "silu", loss: "mse", opt: { kind: "adam", lr: 1e-2 } },
  e: { inDim: 1, hidden: [100, 100], outDim: 1, seeds: 1, batch: 2000, act: "tanh", loss: "half_mse", opt: { kind: "gd", lr: 0.05 } },
  f: { inDim: 2, hidden: Array(4).fill(256), outDim: 3, seeds: 1, batch: 8192, act: "relu", loss: "mse", opt: { kind: "adam", lr: 1e-3 }, encode: { kind: "fourier", L: 8, include_input: false } },
};

const [which = "a", ...rest] = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = rest.indexOf(name);
  return i < 0 ? fallback : rest[i + 1];
};
const shape = { ...SHAPES[which] };
if (!SHAPES[which]) throw new Error(`unknown shape ${which} (a, b, c, d, e, f)`);
if (flag("--width")) shape.hidden = shape.hidden.map(() => Number(flag("--width")));
const steps = Number(flag("--steps", 5));

await selectBackend(flag("--backend", "wasm"));
const model = mlp({ inDim: shape.inDim, hidden: shape.hidden, outDim: shape.outDim, act: shape.act, seeds: shape.seeds, ...(shape.encode ? { encode: shape.encode } : {}) });
const optimizer = createOptimizer(shape.opt, model.params);
const lossFn = lossFunction(shape.loss);
const x = tf.randomUniform([shape.seeds, shape.batch, shape.inDim], -1, 1);
const y = shape.loss === "cross_entropy"
  ? tf.cast(tf.reshape(tf.oneHot(tf.randomUniform([shape.seeds * shape.batch], 0, shape.outDim, "int32"), shape.outDim), [shape.seeds, shape.batch, shape.outDim]), "float32")
  : tf.randomUniform([shape.seeds, shape.batch, shape.outDim]);
const variables = model.params.map((p) => p.variable);

function step() {
  const { value, grads } = tf.variableGrads(() => tf.sum(lossFn(model.forward(x, { training: true }), y).perSeed), variables);
  optimizer.step(variables.map((v) => grads[v.name]), 0.01);
  tf.dispose([value, ...Object.values(grads)]);
}

step(); // warm-up: kernel compilation, first allocations
let t = performance.now();
for (let i = 0; i < steps; i++) step();
await tf.ready();
variables[0].dataSync();
const wallMs = (performance.now() - t) / steps;

const profile = await tf.profile(() => step());
const byKernel = new Map();
for (const k of profile.kernels) {
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}→${JSON.stringify(k.outputShapes)}`;
  const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : (k.kernelTimeMs?.error ? 0 : Number(k.kernelTimeMs) || 0);
  const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls += 1;
  byKernel.set(key, entry);
}
const totalKernel = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
console.log(`shape ${which}: ${JSON.stringify({ ...shape, opt: shape.opt.kind })}`);
console.log(`step wall ${wallMs.toFixed(2)} ms (mean of ${steps}); profiled step: ${profile.kernels.length} kernels, Σ kernel ${totalKernel.toFixed(2)} ms, newTensors ${profile.newTensors}, peakBytes ${profile.peakBytes}`);
for (const [key, e] of [...byKernel.entries()].sort((p, q) => q[1].ms - p[1].ms).slice(0, 25)) {
  console.log(`${e.ms.toFixed(2).padStart(9)} ms ${String(e.calls).padStart(4)}× ${key}`);
}
