/**
 * The gradient the lottery nets train on, against independent truth: for seed-batched SiLU and LeakyReLU
 * two-layer nets (the runtime's `mlp` with its hand-written activation derivatives and custom linear
 * gradient), the TF.js gradient of the summed per-seed MSE equals central finite differences of the same
 * loss computed in float64 JS numbers from the float64 evaluator of stdlib/lottery. A wrong LeakyReLU
 * or SiLU derivative (the suspicion behind the non-reproduced LeakyReLU exponent) would show here. Runs on
 * the cpu backend and on wasm, the backend the examples train on.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm"; // in Node the .wasm binaries load from the package directory
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { beforeAll, describe, expect, it } from "vitest";
import { mseLoss } from "../../runtime/loss.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { evaluateNet, grid, meanSquaredError, twoLayerNets, type TwoLayerNet } from "../../stdlib/lottery/two-layer.js";

// 17 points with spacing 0.25: exact in float32, so both paths see the same inputs.
const xs = grid(-2, 2, 17);
const ys = xs.map((x) => x * x);

function lossOf(net: TwoLayerNet): number {
  return meanSquaredError(evaluateNet(net, xs), ys);
}

/** Central differences of the float64 loss in every parameter, in the order w, b, v, c. */
function finiteDifferences(net: TwoLayerNet, h: number): number[] {
  const out: number[] = [];
  for (const key of ["w", "b", "v"] as const) {
    for (let i = 0; i < net[key].length; i++) {
      const shifted = (d: number): TwoLayerNet => {
        const copy = Float64Array.from(net[key]);
        copy[i]! += d;
        return { ...net, [key]: copy };
      };
      out.push((lossOf(shifted(h)) - lossOf(shifted(-h))) / (2 * h));
    }
  }
  out.push((lossOf({ ...net, c: net.c + h }) - lossOf({ ...net, c: net.c - h })) / (2 * h));
  return out;
}

for (const backend of ["cpu", "wasm"] as const) describe(`training gradient of the lottery nets on ${backend}`, () => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  }, 60_000);

  for (const act of ["silu", "leaky_relu"] as const) {
    it(`${act}: TF.js gradient of the seed-summed MSE matches float64 central differences per seed`, () => {
      const N = 6;
      const before = tf.memory().numTensors;
      const net = mlp({ inDim: 1, hidden: [N], outDim: 1, act, seeds: [3, 11], init: "torch_default" });
      const x = tf.tensor3d(Float32Array.from([...xs, ...xs]), [2, xs.length, 1]);
      const y = tf.tensor3d(Float32Array.from([...ys, ...ys]), [2, ys.length, 1]);
      const byName = Object.fromEntries(net.params.map((p) => [p.name, p.variable]));
      const { grads, value } = tf.variableGrads(() => {
        const { perSample, perSeed } = mseLoss(net.forward(x, { training: true }), y);
        perSample.dispose();
        return tf.sum(perSeed) as tf.Scalar;
      }, net.params.map((p) => p.variable));
      const g = (name: string) => grads[byName[name]!.name]!.dataSync();
      const [gw, gb, gv, gc] = [g("hidden0.weight"), g("hidden0.bias"), g("out.weight"), g("out.bias")];
      const nets = twoLayerNets(net);
      nets.forEach((n, s) => {
        const fd = finiteDifferences(n, 1e-6);
        const tfGrad = [...gw.subarray(s * N, (s + 1) * N), ...gb.subarray(s * N, (s + 1) * N), ...gv.subarray(s * N, (s + 1) * N), gc[s]!];
        const scale = Math.max(...fd.map(Math.abs));
        expect(scale).toBeGreaterThan(1e-2); // an untrained net: the gradient is far from zero
        for (let k = 0; k < fd.length; k++) expect(Math.abs(tfGrad[k]! - fd[k]!)).toBeLessThan(1e-4 * scale);
      });
      // the summed loss is the sum of the two float64 per-seed losses (float32 forward pass)
      const total = nets.reduce((s, n) => s + lossOf(n), 0);
      expect(Math.abs(value.dataSync()[0]! - total)).toBeLessThan(1e-5 * total);
      tf.dispose([value, x, y, ...Object.values(grads)]);
      net.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
