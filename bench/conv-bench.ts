/**
 * One training step (forward, loss, gradients, SGD update) of case (g)'s CNN — conv 3×3 stride 2, 32→64→96
 * filters, dense 256, 10 outputs, on a batch of 32×32×3 images — on the current matmul path, in ms; and, per
 * conv layer, the forward and forward+backward of `conv2d` alone. For comparing conv implementations and
 * paths (`DYNC_NATIVE=0` for wasm); speed is never asserted in a test.
 *
 *   npx tsx bench/conv-bench.ts [BATCH] [SEEDS] [BACKEND]     (defaults 128 1 wasm)
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LayerSpec } from "../contract/program.js";
import { selectBackend } from "../runtime/backend.js";
import { nativeMatMulInfo } from "../runtime/kernels/native.js";
import { lossFunction } from "../runtime/loss.js";
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
  const path = nativeMatMulInfo().path;
  console.log(`${BACKEND}/${path} batch ${BATCH} seeds ${SEEDS}: step ${ms.toFixed(1)} ms (${(1000 / ms).toFixed(2)} steps/s)`);
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
}

await main();
