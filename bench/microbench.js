#!/usr/bin/env node
/**
 * Kernel-level timings behind the bias-gradient fast path (docs/performance.md): both alternatives compute
 * the same tensor; the outer-product and transpose fast paths are measured inside a step by bench/profile.js; the median of N runs is printed per shape. Usage: node bench/microbench.js [--backend wasm|cpu]
 * Needs `npm run build` first.
 */
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../dist/runner/index.js";

const backend = process.argv.includes("--backend") ? process.argv[process.argv.indexOf("--backend") + 1] : "wasm";
await selectBackend(backend);

function time(label, make, reps = 7) {
  tf.tidy(() => make().dataSync()); // warm-up
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    tf.tidy(() => make().dataSync());
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${ms[(reps - 1) >> 1].toFixed(2).padStart(9)} ms  ${label}`);
}

for (const [S, M, N] of [[1000, 256, 50], [1, 4096, 256], [1, 128, 256]]) {
  const dy = tf.randomUniform([S, M, N]);
  const ones = tf.ones([S, 1, M]);
  console.log(`bias gradient Σ_b dy, dy [${S}, ${M}, ${N}]`);
  time("tf.sum over axis 1", () => tf.sum(dy, 1));
  time("ones[S,1,B] · dy (matMul)", () => tf.matMul(ones, dy));
  tf.dispose([dy, ones]);
}
