/**
 * Cost of one `feature_cosine` / `feature_gradient_cosine` measurement at a CPU-feasible scale of the
 * feature-diversity paper: an 8×100 bias-free ReLU MLP (10 outputs, cross-entropy) over N rows of 100 inputs
 * in 10 classes, every hidden layer, different-class pairs. Prints wall and CPU time per call (after a small
 * warm-up) and, for the features, the time of the forward passes alone.
 *
 *   npx tsx bench/diversity-bench.ts [ROWS] [BACKEND] [SEEDS]     (defaults 10000 wasm 2)
 */
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../runtime/backend.js";
import type { LayerSpec } from "../contract/program.js";
import { Sequential } from "../runtime/nn/sequential.js";
import { Rng } from "../runtime/rng.js";
import { EvalData } from "../stdlib/probes/eval-data.js";
import { directionSums } from "../stdlib/diversity/probes.js";

const ROWS = Number(process.argv[2] ?? 10000);
const BACKEND = (process.argv[3] ?? "wasm") as "wasm" | "cpu";
const SEEDS = Number(process.argv[4] ?? 2);
const [D, CLASSES] = [100, 10];

function mixture(): EvalData {
  const rng = new Rng(1);
  const x = Float32Array.from({ length: ROWS * D }, () => rng.normal());
  const y = new Float32Array(ROWS * CLASSES);
  for (let r = 0; r < ROWS; r++) y[r * CLASSES + (r % CLASSES)] = 1;
  return new EvalData([{ name: "mixture", n: ROWS, xShape: [D], x, yDim: CLASSES, y }], SEEDS);
}

function timed(label: string, f: () => void): void {
  const [start, cpuStart] = [performance.now(), process.cpuUsage()];
  f();
  const cpu = process.cpuUsage(cpuStart);
  console.log(`${label}: ${((performance.now() - start) / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU`);
}

async function main(): Promise<void> {
  const info = await selectBackend(BACKEND);
  const data = mixture();
  const layers: LayerSpec[] = [
    ...Array.from({ length: 8 }, (_, k) => ({ name: `h${k}`, kind: "dense" as const, width: 100, act: "relu" as const, bias: false })),
    { name: "out", kind: "dense", width: CLASSES, act: null, bias: false },
  ];
  const model = new Sequential({ inShape: [D], layers, seeds: Array.from({ length: SEEDS }, (_, s) => s + 1) });
  directionSums(model, data, null, "all", { kind: "features" });
  console.log(`${info.name}, ${SEEDS} seeds, ${ROWS} rows, 8×100:`);
  timed("forward passes alone", () => {
    for (const range of data.chunks()) tf.tidy(() => model.forward(data.rows(range).x, { training: false }).dataSync());
  });
  timed("feature_cosine", () => directionSums(model, data, null, "different_class", { kind: "features" }));
  timed("feature_gradient_cosine", () => directionSums(model, data, null, "different_class", { kind: "gradients", loss: "cross_entropy", probe: "feature_gradient_cosine" }));
  model.dispose();
  data.dispose();
}

await main();
