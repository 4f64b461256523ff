/**
 * One seed-batched product `bmm(a, b)` on both matmul paths of the wasm backend: dync's native addon
 * (runtime/kernels/native.ts: oneDNN's sgemm where built with it, else OpenBLAS's) and the wasm path (XNNPACK per
 * seed, dync's SIMD kernels). CPU time of this process per call (user + system: the backend and the native
 * library run on this one thread, so on a shared machine CPU time says more than wall time), and GFLOP/s from it.
 *
 *   npx tsx bench/matmul-bench.ts                     (needs `npm run native` for the native column)
 *   DYNC_GEMM=openblas npx tsx bench/matmul-bench.ts  (the native column on OpenBLAS)
 */
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../runtime/backend.js";
import { nativeMatMulInfo, setNativeMatMulEnabled } from "../runtime/kernels/native.js";
import { bmm } from "../runtime/nn/bmm.js";

await selectBackend("wasm");
const info = nativeMatMulInfo();
console.log(`matmul: ${info.path}${info.library ? ` (${info.library}, ${info.threads} thread)` : ` (${info.reason})`}`);
// [S, M, K, N]: (b)'s hidden layer, (a)'s first and hidden layers, (g)'s conv1 and conv2 forward products (im2col
// rows × k·k·C), the seed cliff's 4×512 layer at 8 seeds, (d)'s widest layer
const SHAPES = [
  [1, 4096, 256, 256],
  [1, 128, 784, 256],
  [1, 128, 256, 256],
  [1, 8192, 288, 64],
  [1, 2048, 576, 96],
  [8, 4096, 512, 512],
  [1000, 256, 50, 50],
];

/** CPU ms per call and GFLOP/s of bmm(a, b) on the current path. */
function measure(a: tf.Tensor3D, b: tf.Tensor3D, flops: number): { ms: number; gflops: number } {
  tf.dispose(bmm(a, b)); // warm-up: kernel registration, XNNPACK operator creation
  const reps = Math.max(2, Math.min(50, Math.round(4e9 / flops)));
  const start = process.cpuUsage();
  for (let r = 0; r < reps; r++) tf.dispose(bmm(a, b)); // kernels run synchronously on wasm
  const used = process.cpuUsage(start);
  const seconds = (used.user + used.system) / 1e6;
  return { ms: (1000 * seconds) / reps, gflops: (flops * reps) / seconds / 1e9 };
}

console.log(`| \`[S,M,K]×[S,K,N]\` | ${info.gemm ?? "native"} ms | GFLOP/s | wasm ms | wasm GFLOP/s | wasm / ${info.gemm ?? "native"} |`);
console.log("|---|---:|---:|---:|---:|---:|");
for (const [S, M, K, N] of SHAPES as [number, number, number, number][]) {
  const a = tf.randomNormal([S, M, K]) as tf.Tensor3D;
  const b = tf.randomNormal([S, K, N]) as tf.Tensor3D;
  const flops = 2 * S * M * K * N;
  setNativeMatMulEnabled(true);
  const native = info.path === "native" ? measure(a, b, flops) : undefined;
  setNativeMatMulEnabled(false);
  const wasm = measure(a, b, flops);
  const cell = (m?: { ms: number; gflops: number }) => (m ? `${m.ms.toFixed(2)} | ${m.gflops.toFixed(1)}` : "— | —");
  console.log(`| \`[${S},${M},${K}]×[${S},${K},${N}]\` | ${cell(native)} | ${cell(wasm)} | ${native ? (wasm.ms / native.ms).toFixed(1) : "—"} |`);
  tf.dispose([a, b]);
}
