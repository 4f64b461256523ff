#!/usr/bin/env node
/**
 * dync's SIMD kernels (runtime/kernels) against the tfjs wasm ops or compositions they replace, per element,
 * and the fused 1→W→1 training step against the taped one (docs/performance.md, changes 6 and 7).
 *
 * Usage: node bench/kernels.js [--reps N]      Needs `npm run build` first (imports dist/runner).
 */
import * as tf from "@tensorflow/tfjs-core";
import { lossFunction, mlp, selectBackend } from "../dist/runner/index.js";
import { heapOffset, simdKernelExports } from "../dist/runtime/kernels/wasm-kernels.js";

const argReps = process.argv.indexOf("--reps");
const reps = argReps > 0 ? Number(process.argv[argReps + 1]) : 10;
await selectBackend("wasm");
const k = simdKernelExports();

function time(f) {
  f();
  const start = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - start) / reps;
}

const rows = [];
for (const shape of [[1, 2000, 100], [1000, 256, 50], [1, 4096, 256]]) {
  const n = shape.reduce((a, b) => a * b);
  const [S, M, N] = shape;
  const x = tf.randomNormal(shape);
  const dy = tf.randomNormal(shape);
  const out = tf.zeros(shape);
  const column = tf.zeros([S, N]);
  const pairs = {
    tanh: [() => tf.tanh(x).dispose(), () => k.tanh(heapOffset(x), heapOffset(out), n)],
    sigmoid: [() => tf.sigmoid(x).dispose(), () => k.sigmoid(heapOffset(x), heapOffset(out), n)],
    "silu x·σ(x)": [() => tf.tidy(() => tf.mul(x, tf.sigmoid(x))), () => k.silu(heapOffset(x), heapOffset(out), n)],
    "silu derivative": [
      () => tf.tidy(() => { const s = tf.sigmoid(x); return tf.mul(dy, tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s))))); }),
      () => k.silu_grad(heapOffset(x), heapOffset(dy), heapOffset(out), n),
    ],
    "relu gradient": [() => tf.tidy(() => tf.mul(dy, tf.step(x))), () => k.relu_grad(heapOffset(x), heapOffset(dy), heapOffset(out), n)],
    transpose: [() => tf.transpose(x, [0, 2, 1]).dispose(), () => k.transpose(heapOffset(x), heapOffset(out), S, M, N)],
    "sum over axis 1": [() => tf.sum(x, 1).dispose(), () => k.sum_rows(heapOffset(x), heapOffset(column), S, M, N)],
  };
  for (const [name, [plain, simd]] of Object.entries(pairs)) {
    const [a, b] = [time(plain), time(simd)];
    rows.push(`| ${name} | ${JSON.stringify(shape)} | ${((a * 1e6) / n).toFixed(2)} | ${((b * 1e6) / n).toFixed(2)} |`);
  }
  tf.dispose([x, dy, out, column]);
}
console.log("| kernel | shape | tfjs ns/element | dync ns/element |\n|---|---|---:|---:|\n" + rows.join("\n"));

const steps = [];
for (const [S, B, W, act] of [[1, 4, 1000, "relu"], [1000, 256, 50, "silu"], [1000, 256, 10, "silu"], [1, 2000, 100, "tanh"]]) {
  const model = mlp({ inDim: 1, hidden: [W], outDim: 1, act, seeds: S });
  const x = tf.randomUniform([S, B, 1], -2, 2);
  const y = tf.randomUniform([S, B, 1]);
  const variables = model.params.map((p) => p.variable);
  const lossFn = lossFunction("mse");
  const fused = () => {
    const f = model.fusedLossAndGradients(x, y, "mse");
    tf.dispose([f.perSample, f.perSeed, ...f.grads]);
  };
  const taped = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(lossFn(model.forward(x, { training: true }), y).perSeed), variables);
    tf.dispose([value, ...Object.values(grads)]);
  };
  const inner = S === 1 ? 100 : 1; // tiny steps: time 100 per repetition
  const per = (f) => time(() => { for (let i = 0; i < inner; i++) f(); }) / inner;
  steps.push(`| 1→${W}→1 ${act}, ${S} seeds × ${B} points | ${per(taped).toFixed(3)} | ${per(fused).toFixed(3)} |`);
  model.dispose();
  tf.dispose([x, y]);
}
console.log("\n| loss + gradients | taped ms | fused ms |\n|---|---:|---:|\n" + steps.join("\n"));
