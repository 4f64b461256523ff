/**
 * One training step (forward, loss, gradients, SGD update) of case (g)'s CNN — conv 3×3 stride 2, 32→64→96
 * filters, dense 256, 10 outputs, on a batch of 32×32×3 images — on the current matmul path, in ms, with a
 * per-kernel profile; then, per conv layer of that net (one seed), the forward pass of dync's `conv2d` (im2col
 * kernel + batched product) against tfjs's own `tf.conv2d` on the same backend, and dync's forward + gradients
 * (tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: tf.conv2d cannot be trained on wasm at all). For
 * comparing conv implementations and paths (`DYNC_NATIVE=0` for wasm); speed is never asserted in a test.
 *
 *   npx tsx bench/conv-bench.ts [BATCH] [SEEDS] [BACKEND]     (defaults 128 1 wasm)
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LayerSpec } from "../contract/program.js";
import { selectBackend } from "../runtime/backend.js";
import { nativeMatMulInfo } from "../runtime/kernels/native.js";
import { lossFunction } from "../runtime/loss.js";
import { conv2d } from "../runtime/nn/conv.js";
import { sequential } from "../runtime/nn/sequential.js";
import { Rng } from "../runtime/rng.js";

const BATCH = Number(process.argv[2] ?? 128);
const SEEDS = Number(process.argv[3] ?? 1);
const BACKEND = (process.argv[4] ?? "wasm") as "wasm" | "cpu";

const conv = (name: string, filters: number): LayerSpec => ({ name, kind: "conv", filters, kernel: 3, stride: 2, padding: "same", act: "relu", bias: true });
const LAYERS: LayerSpec[] = [
  conv("conv0", 32),
  conv("conv1", 64),
  conv("conv2", 96),
  { name: "flat", kind: "flatten" },
  { name: "fc", kind: "dense", width: 256, act: "relu", bias: true },
  { name: "out", kind: "dense", width: 10, act: null, bias: true },
];

/** Median milliseconds per call of f over `reps` calls, after one warm-up call. */
function msPerCall(f: () => void, reps: number): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
}

/**
 * Mean process CPU milliseconds (user + system) per call of f over `reps` calls: on a machine shared with other
 * work, less inflated by waiting for a core than wall time (it still counts cache and hyperthread contention).
 */
function cpuMsPerCall(f: () => void, reps: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / reps;
}

async function main(): Promise<void> {
  await selectBackend(BACKEND);
  const model = sequential({ inShape: [32, 32, 3], layers: LAYERS, seeds: Array.from({ length: SEEDS }, (_, i) => i + 1) });
  const rng = new Rng(1);
  const x = tf.tensor(Float32Array.from({ length: SEEDS * BATCH * 32 * 32 * 3 }, () => rng.uniformIn(-1, 1)), [SEEDS, BATCH, 32, 32, 3]);
  const labels = Array.from({ length: SEEDS * BATCH }, () => Math.floor(rng.uniform() * 10));
  const y = tf.cast(tf.reshape(tf.oneHot(tf.tensor1d(labels, "int32"), 10), [SEEDS, BATCH, 10]), "float32");
  const vars = model.params.map((p) => p.variable);
  const loss = lossFunction("cross_entropy");
  const step = (): void => {
    tf.tidy(() => {
      const grads = tf.grads(() => tf.mean(loss(model.forward(x, { training: true }), y).perSample) as tf.Scalar)(vars);
      grads.forEach((g, i) => vars[i]!.assign(tf.sub(vars[i]!, tf.mul(g, 0.01))));
    });
    vars[0]!.dataSync();
  };
  const ms = msPerCall(step, 5);
  const cpuMs = cpuMsPerCall(step, Number(process.env["CPU_REPS"] ?? 10));
  const path = nativeMatMulInfo().path;
  console.log(`${BACKEND}/${path} batch ${BATCH} seeds ${SEEDS}: step ${ms.toFixed(1)} ms wall (${(1000 / ms).toFixed(2)} steps/s), ${cpuMs.toFixed(1)} ms CPU`);
  const profile = await tf.profile(step);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of profile.kernels) {
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    e.calls++;
    byKernel.set(key, e);
  }
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(process.env["TOP"] ?? 15));
  for (const [key, e] of rows) console.log(`  ${e.ms.toFixed(1).padStart(7)} ms ${String(e.calls).padStart(3)}× ${key}`);
  console.log(`  kernels per step: ${profile.kernels.length}`);
  compareLayers(rng);
}

/** Each conv layer of the net alone: dync's conv2d against tf.conv2d, forward + both gradients, ms per call. */
function compareLayers(rng: Rng): void {
  for (const [size, cin, cout] of [[32, 3, 32], [16, 32, 64], [8, 64, 96]] as const) {
    const random = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
    const x = random([1, BATCH, size, size, cin]);
    const w = random([1, 3, 3, cin, cout]);
    const g = { kernel: 3, stride: 2, padding: "same" } as const;
    const mine = (xx: tf.Tensor, ww: tf.Tensor) => conv2d(xx, ww, undefined, g);
    const theirs = (xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(tf.reshape(xx, [BATCH, size, size, cin]) as tf.Tensor4D, tf.reshape(ww, [3, 3, cin, cout]) as tf.Tensor4D, 2, "same");
    const forward = (f: typeof mine) => msPerCall(() => tf.tidy(() => { f(x, w).dataSync(); }), 5);
    const withGradients = msPerCall(() => tf.tidy(() => { tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(mine(xx, ww))))([x, w]).forEach((t) => t.dataSync()); }), 5);
    console.log(`  conv ${size}²×${cin}→${cout}, batch ${BATCH}: forward dync ${forward(mine).toFixed(1)} ms, tf.conv2d ${forward(theirs).toFixed(1)} ms; dync forward + gradients ${withGradients.toFixed(1)} ms`);
    tf.dispose([x, w]);
  }
}

await main();
