/**
 * `regularize l2(λ, on: weights | all)`: which parameters the L2 term covers. With `on: weights` the term is
 * λ‖W‖² over the weight matrices only, so its gradient is 2λW on weights and 0 on biases and batch-norm γ/β;
 * with `on: all` (the default) it is 2λθ on every parameter. Checked on a tiny hand-set net against JS
 * float64 sums, and through one GD step of the training loop.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { l2Penalty, l2Targets } from "../../runtime/loss.js";
import { mlp, type Mlp } from "../../runtime/nn/index.js";
import { createOptimizer } from "../../runtime/optim.js";
import { train } from "../../runtime/train/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

let nets: Mlp[] = [];
afterEach(() => {
  nets.forEach((n) => n.dispose());
  nets = [];
});

/** 2 → 3 (batch norm) → 2 with biases, two seeds; γ and β moved off 1 and 0 so a wrong gradient cannot hide. */
function tinyNet(): Mlp {
  const net = mlp({ inDim: 2, hidden: [3], outDim: 2, act: "relu", norm: "batchnorm", seeds: [0, 1] });
  for (const p of net.params) {
    if (p.role !== "weight") p.variable.assign(tf.tidy(() => tf.add(p.variable, tf.scalar(p.role === "beta" ? -0.3 : 0.4))));
  }
  nets.push(net);
  return net;
}

const host = (t: tf.Tensor) => Array.from(t.dataSync());

describe("l2 on: weights | all", () => {
  it("covers weights only with on: weights (gradient 2λW, 0 on biases and γ/β; value λ‖W‖²), every parameter with on: all", () => {
    const net = tinyNet();
    expect(new Set(net.params.map((p) => p.role))).toEqual(new Set(["weight", "bias", "gamma", "beta"]));
    const lambda = 0.3;
    for (const on of ["weights", "all"] as const) {
      const covered = (role: string) => on === "all" || role === "weight";
      const { value, grads } = tf.variableGrads(() => tf.sum(l2Penalty(l2Targets(net.params, on), lambda)) as tf.Scalar, net.params.map((p) => p.variable));
      for (const p of net.params) {
        const theta = host(p.variable);
        const g = grads[p.variable.name] ? host(grads[p.variable.name]!) : theta.map(() => 0);
        const expected = theta.map((t) => (covered(p.role) ? 2 * lambda * t : 0));
        g.forEach((gi, i) => expect(gi).toBeCloseTo(expected[i]!, 6));
      }
      // the value per seed, summed over both seeds: λ Σ θ² over the covered parameters, in float64
      const perSeed = [0, 1].map((s) =>
        net.params.filter((p) => covered(p.role)).reduce((acc, p) => {
          const theta = host(p.variable);
          const size = theta.length / 2;
          return acc + theta.slice(s * size, (s + 1) * size).reduce((a, t) => a + t * t, 0);
        }, 0) * lambda,
      );
      expect(value.dataSync()[0]).toBeCloseTo(perSeed[0]! + perSeed[1]!, 5);
      expect(host(l2Penalty(l2Targets(net.params, on), lambda)).map((v, s) => v - perSeed[s]!).every((d) => Math.abs(d) < 1e-5)).toBe(true);
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
    }
    expect(l2Targets(net.params, "weights").map((p) => p.name)).toEqual(["hidden0.weight", "out.weight"]);
  });

  it("moves only the weights, by −2ηλW, in one GD step of the training loop (the data gradient cancels against a run without L2)", async () => {
    const xs = [[0.5, -1], [1.5, 0.25], [-0.75, 0.8], [0.2, 0.1]];
    const data: Dataset = { name: "t", n: 4, xShape: [2], x: Float32Array.from(xs.flat()), yDim: 2, y: Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]) };
    const lr = 0.1;
    const lambda = 0.05;
    const step = async (l2: number) => {
      const net = tinyNet();
      const config = { model: net, optimizer: createOptimizer({ kind: "gd", lr }, net.params), loss: "mse" as const, data, seeds: [0, 1], duration: { steps: 1 }, batch: "full" as const };
      const before = net.params.map((p) => host(p.variable));
      await train({ ...config, l2, l2Params: l2Targets(net.params, "weights") });
      config.optimizer.dispose();
      return { before, after: net.params.map((p) => host(p.variable)), roles: net.params.map((p) => p.role) };
    };
    const plain = await step(0);
    const decayed = await step(lambda);
    plain.roles.forEach((role, k) => {
      expect(decayed.before[k]).toEqual(plain.before[k]); // same initialisation
      decayed.after[k]!.forEach((v, i) => {
        const expected = plain.after[k]![i]! - (role === "weight" ? 2 * lr * lambda * decayed.before[k]![i]! : 0);
        expect(v).toBeCloseTo(expected, 6);
      });
    });
  });
});
