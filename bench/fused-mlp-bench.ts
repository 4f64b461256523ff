/**
 * The fused native MLP step against the taped step, both with the products on OpenBLAS (issue #21 item 2):
 * one training step (loss, gradients, optimizer update) of a dense MLP as the process's CPU time per step
 * (one core's cost on a shared machine) next to wall time, and the tfjs kernels a step dispatches. Figures
 * and the thresholds chosen from them: docs/performance.md, "Fused MLP step".
 *
 *   npx tsx bench/fused-mlp-bench.ts [NAME ...]    (default: every shape below; wasm backend, native addons built)
 */
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../runtime/backend.js";
import { mlpLayers } from "../contract/layer-list.js";
import type { ActivationSpec, EncodingSpec } from "../contract/model-specs.js";
import { lossFunction, type LossKind } from "../runtime/loss.js";
import { nativeFusedStepActive, setNativeFusedStepEnabled } from "../runtime/kernels/native-fused.js";
import { sequential } from "../runtime/nn/sequential.js";
import { createOptimizer, type OptimizerSpec } from "../runtime/optim.js";

interface Shape {
  readonly inDim: number;
  readonly hidden: number[];
  readonly outDim: number;
  readonly act: ActivationSpec;
  readonly batch: number;
  readonly seeds: number;
  readonly loss: LossKind;
  readonly optimizer: OptimizerSpec;
  readonly steps: number;
  readonly norm?: "batchnorm";
  readonly encode?: EncodingSpec;
}

const SHAPES: Record<string, Shape> = {
  a: { inDim: 784, hidden: Array(8).fill(256), outDim: 10, act: "relu", batch: 128, seeds: 1, loss: "cross_entropy", optimizer: { kind: "sgd", lr: 0.01 }, steps: 20 },
  b: { inDim: 2, hidden: Array(4).fill(256), outDim: 3, act: "relu", batch: 4096, seeds: 1, loss: "mse", optimizer: { kind: "adam", lr: 1e-3 }, steps: 5 },
  f: { inDim: 2, hidden: Array(4).fill(256), outDim: 3, act: "relu", batch: 8192, seeds: 1, loss: "mse", optimizer: { kind: "adam", lr: 1e-3 }, steps: 5, encode: { kind: "fourier", L: 8 } },
  e: { inDim: 1, hidden: [100, 100], outDim: 1, act: "tanh", batch: 2000, seeds: 1, loss: "half_mse", optimizer: { kind: "gd", lr: 0.05 }, steps: 20 },
  j: { inDim: 1, hidden: [128, 128], outDim: 1, act: "tanh", batch: 64, seeds: 4, loss: "mse", optimizer: { kind: "adam", lr: 1e-3 }, steps: 100 },
  small: { inDim: 2, hidden: [16, 16], outDim: 1, act: "relu", batch: 32, seeds: 1, loss: "mse", optimizer: { kind: "sgd", lr: 0.01 }, steps: 200 },
  silu: { inDim: 1, hidden: [50, 50], outDim: 1, act: "silu", batch: 256, seeds: 200, loss: "mse", optimizer: { kind: "adam", lr: 1e-2 }, steps: 5 },
  gelu: { inDim: 1, hidden: [100, 100], outDim: 1, act: "gelu", batch: 2000, seeds: 1, loss: "half_mse", optimizer: { kind: "gd", lr: 0.05 }, steps: 20 },
  softplus: { inDim: 1, hidden: [100, 100], outDim: 1, act: "softplus", batch: 2000, seeds: 1, loss: "half_mse", optimizer: { kind: "gd", lr: 0.05 }, steps: 20 },
  bn: { inDim: 2, hidden: Array(4).fill(256), outDim: 3, act: "relu", batch: 4096, seeds: 1, loss: "mse", optimizer: { kind: "adam", lr: 1e-3 }, steps: 5, norm: "batchnorm" },
  bn_small: { inDim: 1, hidden: [128, 128], outDim: 1, act: "tanh", batch: 64, seeds: 4, loss: "mse", optimizer: { kind: "adam", lr: 1e-3 }, steps: 100, norm: "batchnorm" },
  cliff: { inDim: 2, hidden: Array(4).fill(512), outDim: 1, act: "relu", batch: 4096, seeds: 2, loss: "mse", optimizer: { kind: "gd", lr: 1e-3 }, steps: 2 },
};

await selectBackend("wasm");
if (!nativeFusedStepActive()) throw new Error("the native addons are not active (npm run native; DYNC_NATIVE unset)");
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SHAPES);
for (const name of names) {
  const shape = SHAPES[name];
  if (!shape) throw new Error(`unknown shape ${name} (known: ${Object.keys(SHAPES).join(", ")})`);
  const row: Record<string, unknown> = { name, ...shape, optimizer: shape.optimizer.kind, hidden: shape.hidden.join("×") };
  const runs: Record<"taped" | "fused", unknown[]> = { taped: [], fused: [] };
  for (const fused of [false, true, false, true]) runs[fused ? "fused" : "taped"].push(await measure(shape, fused));
  Object.assign(row, runs);
  console.log(JSON.stringify(row));
}

/** CPU and wall ms per step (median-free: one timed block after a warm-up), and the kernels of one step. */
async function measure(shape: Shape, fused: boolean) {
  setNativeFusedStepEnabled(fused);
  const layers = mlpLayers({ hidden: shape.hidden, outDim: shape.outDim, act: shape.act, bias: true, norm: shape.norm ?? "none", dropout: 0, encode: shape.encode ?? null, outputScale: null } as Parameters<typeof mlpLayers>[0]);
  const model = sequential({ inShape: [shape.inDim], layers, seeds: shape.seeds });
  const optimizer = createOptimizer(shape.optimizer, model.params);
  const x = tf.randomUniform([shape.seeds, shape.batch, shape.inDim], -1, 1, "float32", 1);
  const y = typeof shape.loss === "string" && shape.loss === "cross_entropy"
    ? tf.cast(tf.oneHot(tf.randomUniform([shape.seeds, shape.batch], 0, shape.outDim, "int32", 2), shape.outDim), "float32")
    : tf.randomUniform([shape.seeds, shape.batch, shape.outDim], -1, 1, "float32", 2);
  const variables = model.params.map((p) => p.variable);
  const lossFn = lossFunction(shape.loss);
  const step = () => {
    const computed = model.fusedLossAndGradients(x, y, shape.loss);
    if (computed) {
      optimizer.step(computed.grads, shape.optimizer.lr);
      tf.dispose([computed.perSample, computed.perSeed, ...computed.grads]);
      return;
    }
    const { value, grads } = tf.variableGrads(() => tf.sum(lossFn(model.forward(x, { training: true }), y).perSeed), variables);
    optimizer.step(variables.map((v) => grads[v.name]!), shape.optimizer.lr);
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  step();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < shape.steps; i++) step();
  const used = process.cpuUsage(cpu);
  const wall = (performance.now() - start) / shape.steps;
  const profile = await tf.profile(() => step());
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return { cpuMs: +((used.user + used.system) / 1000 / shape.steps).toFixed(3), wallMs: +wall.toFixed(3), kernels: profile.kernels.length };
}
