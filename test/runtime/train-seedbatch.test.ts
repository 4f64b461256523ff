/**
 * The key acceptance test of seed batching: training S = 8 seeds as one batched program equals training
 * the eight seeds one by one (S = 1 each, same seed values), within float32 tolerance, for Adam and SGD
 * with shuffled minibatches, on the cpu and the wasm backend.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import type { Dataset } from "../../runtime/dataset.js";
import type { Model, Param } from "../../contract/model.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { createOptimizer, type OptimizerSpec } from "../../runtime/optim.js";
import { Rng } from "../../runtime/rng.js";
import { makeSchedule } from "../../runtime/schedule.js";
import { train } from "../../runtime/train/index.js";

/** y = tanh(x·W1 + b1)·W2 + b2 with `[S, …]` parameters, each seed initialised from `Rng(seed).fork("init")`. */
function tinyMlp(seeds: readonly number[], inDim: number, hidden: number, outDim: number): Model {
  const S = seeds.length;
  const param = (layer: string, role: "weight" | "bias", shape: number[], scale: number): Param => {
    const count = shape.slice(1).reduce((a, b) => a * b, 1);
    const values = new Float32Array(S * count);
    seeds.forEach((seed, s) => {
      const rng = new Rng(seed).fork("init").fork(`${layer}.${role}`);
      for (let i = 0; i < count; i++) values[s * count + i] = scale * rng.normal();
    });
    return { name: `${layer}.${role}`, layer, role, variable: tf.variable(tf.tensor(values, shape)) };
  };
  const params = [
    param("hidden0", "weight", [S, inDim, hidden], 1 / Math.sqrt(inDim)),
    param("hidden0", "bias", [S, hidden], 0.1),
    param("out", "weight", [S, hidden, outDim], 1 / Math.sqrt(hidden)),
    param("out", "bias", [S, outDim], 0.1),
  ];
  const [w1, b1, w2, b2] = params.map((p) => p.variable) as unknown as [tf.Tensor3D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D];
  return {
    seeds: S,
    layerNames: ["hidden0", "out"],
    layers: [],
    params,
    state: [],
    forward: (x) =>
      tf.tidy(() => {
        const h = tf.tanh(tf.add(tf.matMul(x as tf.Tensor3D, w1), tf.expandDims(b1, 1)));
        return tf.add(tf.matMul(h, w2), tf.expandDims(b2, 1));
      }),
    dispose: () => params.forEach((p) => p.variable.dispose()),
  };
}

/** `count` draws of U[−1, 1). */
function uniformInputs(rng: Rng, count: number): Float32Array {
  const x = new Float32Array(count);
  rng.uniforms(x, 0, count, -1, 1);
  return x;
}

const n = 24;
const data: Dataset = {
  name: "train",
  n,
  xShape: [2],
  x: uniformInputs(new Rng(99).fork("data"), n * 2),
  yDim: 1,
  y: new Float32Array(n),
};
for (let i = 0; i < n; i++) data.y[i]! = Math.sin(2 * data.x[2 * i]!) * data.x[2 * i + 1]!;

const seeds = [0, 1, 2, 3, 17, 42, 1000, 123456];

type Builder = (seeds: readonly number[]) => Model;
const builders: Record<string, Builder> = {
  "tanh net on tf.matMul": (s) => tinyMlp(s, 2, 6, 1),
  "runtime/nn mlp (silu, bmm)": (s) => mlp({ inDim: 2, hidden: [6], outDim: 1, act: "silu", seeds: s }),
};

/** Train `seedList` as one batch and return every parameter, per seed index, as plain arrays. */
async function trainedParams(build: Builder, seedList: readonly number[], spec: OptimizerSpec): Promise<number[][][]> {
  const model = build(seedList);
  const optimizer = createOptimizer(spec, model.params);
  await train({
    model,
    optimizer,
    loss: "mse",
    data,
    seeds: seedList,
    batch: { size: 5 },
    duration: { epochs: 3 },
    schedule: makeSchedule({ kind: "step_decay", every: 6, factor: 0.5 }, spec.lr),
  });
  const out = model.params.map((p) => {
    const per = p.variable.size / seedList.length;
    const v = p.variable.dataSync();
    return seedList.map((_, s) => Array.from(v.subarray(s * per, (s + 1) * per)));
  });
  optimizer.dispose();
  model.dispose();
  return out;
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`seed batching on ${backend}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
    });

    const specs: OptimizerSpec[] = [
      { kind: "adam", lr: 0.05 },
      { kind: "sgd", lr: 0.2, momentum: 0.9, dampening: 0.1 },
    ];
    for (const [name, build] of Object.entries(builders)) {
      for (const spec of specs) {
        it(`${name}, ${spec.kind}: S = 8 batched equals eight S = 1 runs`, async () => {
          expect(tf.getBackend()).toBe(backend);
          const batched = await trainedParams(build, seeds, spec);
          let maxDiff = 0;
          let moved = 0;
          for (let s = 0; s < seeds.length; s++) {
            const single = await trainedParams(build, [seeds[s]!], spec);
            single.forEach((param, p) =>
              param[0]!.forEach((v, i) => {
                maxDiff = Math.max(maxDiff, Math.abs(v - batched[p]![s]![i]!) / Math.max(1, Math.abs(v)));
              }),
            );
          }
          // Training moved the parameters (the comparison is not between two untouched inits) …
          const init = build(seeds);
          init.params.forEach((p, i) => p.variable.dataSync().forEach((v, j) => (moved = Math.max(moved, Math.abs(v - batched[i]!.flat()[j]!)))));
          init.dispose();
          expect(moved).toBeGreaterThan(1e-2);
          // … and seeds trained together match seeds trained alone to float32 rounding.
          expect(maxDiff).toBeLessThan(1e-5);
        });
      }
    }
  });
}
