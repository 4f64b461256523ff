/**
 * What batch norm adds to a training step (issue #21): one forward + backward pass (no optimizer) of a
 * 2 → W×4 → 3 ReLU MLP, with and without `norm: batchnorm`, as the process's CPU time per step (the wasm
 * backend computes on one thread, so CPU time is the one-core cost on a shared machine) next to wall time,
 * and the number of kernels a step runs. Figures: docs/performance.md, "Batch norm".
 *
 *   npx tsx bench/batchnorm-bench.ts [W,BATCH,SEEDS,STEPS]     (default 256,4096,1,5; wasm backend)
 */
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../runtime/backend.js";
import { lossFunction } from "../runtime/loss.js";
import { mlp } from "../runtime/nn/index.js";

await selectBackend("wasm");
const [width, batch, seeds, steps] = (process.argv[2] ?? "256,4096,1,5").split(",").map(Number) as [number, number, number, number];
const result: Record<string, unknown> = { width, batch, seeds, steps };
for (const norm of ["none", "batchnorm"] as const) {
  const model = mlp({ inDim: 2, hidden: [width, width, width, width], outDim: 3, act: "relu", seeds, norm });
  const x = tf.randomUniform([seeds, batch, 2]);
  const y = tf.randomUniform([seeds, batch, 3]);
  const variables = model.params.map((p) => p.variable);
  const lossFn = lossFunction("mse");
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(lossFn(model.forward(x, { training: true }), y).perSeed), variables);
    tf.dispose([value, ...Object.values(grads)]);
  };
  step(); // warm-up
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  const used = process.cpuUsage(cpu);
  const wallMs = (performance.now() - start) / steps;
  const profile = await tf.profile(() => step());
  result[norm] = { cpuMsPerStep: (used.user + used.system) / 1000 / steps, wallMsPerStep: wallMs, kernels: profile.kernels.length };
  tf.dispose([x, y]);
  model.dispose();
}
console.log(JSON.stringify(result));
