/**
 * Cost of one Hessian-vector product relative to one full-batch training step (the training loop's own
 * step: the fused gradient where the model has one, else tf.grads), for the ways the curvature operator
 * multiplies: the native R-operator of a plain dense MLP (`native`, the default where the native path serves
 * and the model is one; runtime/kernels/native-hvp.ts), the R-operator in tfjs ops (`rop`, the default for such a
 * model where the native one does not serve; stdlib/curvature/rop-hvp.ts), the recorded gradient reused (`kept`, the taped
 * default with one physical batch), nested tf.grads redoing the forward and first backward pass per product
 * (`nested`, what sharpness did before), and the central difference (`difference`, two gradients). Also checks
 * kept == nested exactly, and native and rop against kept.
 * Nets: `mlp` is docs/performance.md's case (e), 1→100→100→1 tanh on 2000 rows; `cnn` an 8×8 image net
 * (conv 3×3×8 ReLU, 2×2 max pool, dense 32 tanh) on 256 rows.
 *
 *   npx tsx bench/curvature-bench.ts [mlp|cnn] [BACKEND]     (defaults mlp wasm)
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LayerSpec } from "../contract/program.js";
import { selectBackend } from "../runtime/backend.js";
import { setNativeHvpEnabled, setRopHvpEnabled } from "../runtime/kernels/native-hvp.js";
import { lossFunction } from "../runtime/loss.js";
import { sequential } from "../runtime/nn/sequential.js";
import { Rng } from "../runtime/rng.js";
import { HessianOperator, subsetRows, type HvpOptions } from "../stdlib/curvature/index.js";
import { EvalData } from "../stdlib/probes/eval-data.js";

const NET = (process.argv[2] ?? "mlp") as "mlp" | "cnn";
const BACKEND = (process.argv[3] ?? "wasm") as "wasm" | "cpu";

const NETS: Record<typeof NET, { rows: number; inShape: number[]; layers: LayerSpec[] }> = {
  mlp: {
    rows: 2000,
    inShape: [1],
    layers: [
      { name: "h0", kind: "dense", width: 100, act: "tanh", bias: true },
      { name: "h1", kind: "dense", width: 100, act: "tanh", bias: true },
      { name: "out", kind: "dense", width: 1, act: null, bias: true },
    ],
  },
  cnn: {
    rows: 256,
    inShape: [8, 8, 1],
    layers: [
      { name: "conv0", kind: "conv", filters: 8, kernel: 3, stride: 1, padding: "same", act: "relu", bias: true },
      { name: "pool0", kind: "pool", op: "max", size: 2 },
      { name: "flat", kind: "flatten" },
      { name: "h", kind: "dense", width: 32, act: "tanh", bias: true },
      { name: "out", kind: "dense", width: 1, act: null, bias: true },
    ],
  },
};

/** Mean milliseconds per call of f over `reps` calls, after one warm-up call. */
function msPerCall(f: () => void, reps: number): number {
  f();
  const start = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - start) / reps;
}

async function main(): Promise<void> {
  await selectBackend(BACKEND);
  const { rows, inShape, layers } = NETS[NET];
  const model = sequential({ inShape, layers, seeds: [1] });
  const rng = new Rng(1);
  const d = inShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: rows * d }, () => rng.uniformIn(-1, 1));
  const y = Float32Array.from({ length: rows }, (_, i) => Math.sin(3 * x[i * d]!));
  const data = new EvalData([{ name: "train", n: rows, xShape: inShape, x, yDim: 1, y }], 1);
  const { x: bx, y: by } = data.rows({ start: 0, count: rows });
  const vars = model.params.map((p) => p.variable);
  const loss = lossFunction("half_mse");
  // A step that leaves the parameters where they are (lr 0), so every product sees the same Hessian.
  const step = (): void => {
    const fused = model.fusedLossAndGradients?.(bx, by, "half_mse");
    const grads = fused ? [...fused.grads] : tf.grads(() => tf.mean(loss(model.forward(bx, { training: true }), by).perSample) as tf.Scalar)(vars);
    tf.tidy(() => grads.forEach((g, i) => vars[i]!.assign(tf.sub(vars[i]!, tf.mul(g, 0)))));
    tf.dispose(fused ? [fused.perSample, fused.perSeed, ...grads] : grads);
    vars[0]!.dataSync();
  };
  const options: HvpOptions = { hvp: "exact", samples: null, subset: "spaced", batch: null, bn: "batch" };
  const all = subsetRows(rows, options, [1], "bench");
  // Each operator takes its path at its first product: the native one first, then the taped ones with it off.
  const native = new HessianOperator(model, data, "half_mse", options, all, "bench");
  const v = [Float64Array.from({ length: native.dim }, () => rng.normal())];
  const n = native.apply(v)[0]!;
  setNativeHvpEnabled(false);
  const rop = new HessianOperator(model, data, "half_mse", options, all, "bench");
  const r = rop.apply(v)[0]!;
  setRopHvpEnabled(false);
  const kept = new HessianOperator(model, data, "half_mse", options, all, "bench");
  const nested = new HessianOperator(model, data, "half_mse", options, all, "bench", false);
  const difference = new HessianOperator(model, data, "half_mse", { ...options, hvp: "difference" }, all, "bench");
  const a = kept.apply(v)[0]!;
  const b = nested.apply(v)[0]!;
  setNativeHvpEnabled(true);
  setRopHvpEnabled(true);
  const maxDiff = a.reduce((m, value, i) => Math.max(m, Math.abs(value - b[i]!)), 0);
  const largest = a.reduce((m, value) => Math.max(m, Math.abs(value)), 0);
  const nativeDiff = a.reduce((m, value, i) => Math.max(m, Math.abs(value - n[i]!)), 0) / largest;
  const ropDiff = a.reduce((m, value, i) => Math.max(m, Math.abs(value - r[i]!)), 0) / largest;
  // Interleaved rounds, so that a change of machine load hits every variant alike.
  const totals = { step: 0, native: 0, rop: 0, kept: 0, nested: 0, difference: 0 };
  for (let round = 0; round < 5; round++) {
    totals.step += msPerCall(step, 4);
    totals.native += msPerCall(() => native.apply(v), 4);
    totals.rop += msPerCall(() => rop.apply(v), 4);
    totals.kept += msPerCall(() => kept.apply(v), 4);
    totals.nested += msPerCall(() => nested.apply(v), 4);
    totals.difference += msPerCall(() => difference.apply(v), 2);
  }
  const ms = (t: number) => +(t / 5).toFixed(1);
  const perStep = (t: number) => +(t / totals.step).toFixed(2);
  console.log(`${NET} on ${BACKEND}, ${kept.dim} parameters, ${rows} rows; kept vs nested max |difference| ${maxDiff}; native vs kept ${nativeDiff.toExponential(1)} of the largest entry (${native.path}), rop vs kept ${ropDiff.toExponential(1)} (${rop.path})`);
  console.log(`step ${ms(totals.step)} ms; per HVP: native ${ms(totals.native)} ms (${perStep(totals.native)} steps), rop ${ms(totals.rop)} ms (${perStep(totals.rop)}), kept ${ms(totals.kept)} ms (${perStep(totals.kept)} steps), nested ${ms(totals.nested)} ms (${perStep(totals.nested)}), difference ${ms(totals.difference)} ms (${perStep(totals.difference)})`);
  [native, rop, kept, nested, difference, data, model].forEach((o) => o.dispose());
  tf.dispose([bx, by]);
}

await main();
