import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { mlp, type Mlp } from "../../runtime/nn/index.js";
import { setParam } from "../../runtime/params.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { classAccuracy } from "../../stdlib/core/accuracy.js";
import type { SeedIndexed } from "../../stdlib/probes/types.js";
import {
  datasetAccuracy,
  datasetLoss,
  EvalData,
  parameterNorm,
  measureProbe,
  RunProbeEnv,
} from "../../stdlib/probes/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

// A 2 → 3 → out tanh net whose two seeds carry different hand-set parameters.
const W1 = [
  [[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]],
  [[-0.3, 0.8, 1.1], [0.2, -0.6, 0.4]],
];
const B1 = [[0.1, -0.2, 0.3], [0.0, 0.05, -0.1]];
const W2 = [[[1.0], [-2.0], [0.5]], [[0.7], [0.3], [-1.2]]];
const B2 = [[0.25], [-0.4]];

function handSetNet(): Mlp {
  const net = mlp({ inDim: 2, hidden: [3], outDim: 1, act: "tanh", seeds: [0, 1] });
  for (const s of [0, 1]) {
    setParam(net, "hidden0.weight", W1[s]!, { seed: s });
    setParam(net, "hidden0.bias", B1[s]!, { seed: s });
    setParam(net, "out.weight", W2[s]!, { seed: s });
    setParam(net, "out.bias", B2[s]!, { seed: s });
  }
  return net;
}

/** Float64 forward pass of seed s with the float32-rounded parameters the network holds. */
function handForward(s: number, x: readonly number[]): number[] {
  const f = Math.fround;
  const h = [0, 1, 2].map((j) => Math.tanh(f(x[0]!) * f(W1[s]![0]![j]!) + f(x[1]!) * f(W1[s]![1]![j]!) + f(B1[s]![j]!)));
  return [h.reduce((acc, hj, j) => acc + hj * f(W2[s]![j]![0]!), f(B2[s]![0]!))];
}

const POINTS = [[0.3, -0.7], [1.2, 0.4], [-0.9, 0.1], [0.0, 0.0], [2.0, -1.5], [-0.4, 0.8], [0.6, 0.6]];

function regression(name: string, target: (x: readonly number[]) => number): Dataset {
  return {
    name,
    n: POINTS.length,
    xShape: [2],
    x: Float32Array.from(POINTS.flat()),
    yDim: 1,
    y: Float32Array.from(POINTS.map(target)),
  };
}

const fakeContext = (over: Partial<ProbeContext> = {}): ProbeContext => ({ seeds: [0, 1], seedIndices: [0, 1], ...over }) as ProbeContext;

describe("loss(model, data)", () => {
  it("is the mean squared error over the whole data set, per seed, as a float64 hand computation", () => {
    const net = handSetNet();
    const data = regression("test", (x) => x[0]! * x[1]!);
    const expected = [0, 1].map((s) => {
      const errors = POINTS.map((x, i) => (handForward(s, x)[0]! - data.y[i]!) ** 2);
      return errors.reduce((a, b) => a + b, 0) / POINTS.length;
    });
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["test", [data]]]), loss: "mse" });
    const measured = measureProbe("loss", { model: { ref: "net" }, data: { ref: "test" } }, fakeContext(), env) as Float64Array;
    expect(measured).toBeInstanceOf(Float64Array);
    expect(measured[0]).toBeCloseTo(expected[0]!, 5);
    expect(measured[1]).toBeCloseTo(expected[1]!, 5);
    expect(Math.abs(expected[0]! - expected[1]!)).toBeGreaterThan(0.1); // the seeds really differ
    env.dispose();
    net.dispose();
  });

  it("gives the same value however the rows are chunked, and uses each seed's own data when data is per seed", () => {
    const net = handSetNet();
    const perSeed = [regression("train", (x) => x[0]!), regression("train", (x) => -x[1]!)];
    const expected = [0, 1].map((s) => {
      const errors = POINTS.map((x, i) => 0.5 * (handForward(s, x)[0]! - perSeed[s]!.y[i]!) ** 2);
      return errors.reduce((a, b) => a + b, 0) / POINTS.length;
    });
    const whole = new EvalData(perSeed, 2);
    const chunked = new EvalData(perSeed, 2, 6); // 3 rows per chunk: 3 + 3 + 1
    expect(chunked.chunks().map((c) => c.count)).toEqual([3, 3, 1]);
    for (const data of [whole, chunked]) {
      const measured = datasetLoss(net, data, "half_mse");
      expect(measured[0]).toBeCloseTo(expected[0]!, 5);
      expect(measured[1]).toBeCloseTo(expected[1]!, 5);
      data.dispose();
    }
    net.dispose();
  });

  it("refuses data without targets with a clear error", () => {
    const net = handSetNet();
    const inputsOnly = new EvalData([{ ...regression("grid", () => 0), yDim: 0, y: new Float32Array(0) }], 2);
    expect(() => datasetLoss(net, inputsOnly, "mse")).toThrow(/loss needs targets, but data set "grid" has none/);
    inputsOnly.dispose();
    net.dispose();
  });

  it("uses eval mode: dropout is off, so repeated measurements agree", () => {
    const net = mlp({ inDim: 2, hidden: [16], outDim: 1, dropout: 0.5, seeds: [3] });
    const data = new EvalData([regression("d", (x) => x[0]!)], 1);
    expect(Array.from(datasetLoss(net, data, "mse"))).toEqual(Array.from(datasetLoss(net, data, "mse")));
    data.dispose();
    net.dispose();
  });
});

describe("weight_norm(model)", () => {
  it("is ‖θ‖₂ over every parameter of each seed", () => {
    const net = handSetNet();
    const expected = [0, 1].map((s) =>
      Math.sqrt([W1[s]!.flat(), B1[s]!, W2[s]!.flat(), B2[s]!].flat().reduce((acc, v) => acc + Math.fround(v) ** 2, 0)),
    );
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map(), loss: "mse" });
    const measured = measureProbe("weight_norm", { model: { ref: "net" } }, fakeContext(), env) as Float64Array;
    expect(measured[0]).toBeCloseTo(expected[0]!, 12);
    expect(measured[1]).toBeCloseTo(expected[1]!, 12);
    expect(Array.from(parameterNorm(net))).toEqual(Array.from(measured));
    net.dispose();
  });
});

describe("accuracy(model, data)", () => {
  it("is the fraction of samples whose argmax output is the one-hot class", () => {
    const net = mlp({ inDim: 2, hidden: [3], outDim: 2, act: "tanh", seeds: [0, 1] });
    const W2c = [[[1.0, -0.5], [-2.0, 0.4], [0.5, 1.0]], [[0.7, -0.7], [0.3, 0.9], [-1.2, 0.2]]];
    for (const s of [0, 1]) {
      setParam(net, "hidden0.weight", W1[s]!, { seed: s });
      setParam(net, "hidden0.bias", B1[s]!, { seed: s });
      setParam(net, "out.weight", W2c[s]!, { seed: s });
      setParam(net, "out.bias", [0.1, -0.1], { seed: s });
    }
    const labels = POINTS.map((x) => (x[0]! + x[1]! > 0 ? 1 : 0));
    const data: Dataset = {
      name: "test",
      n: POINTS.length,
      xShape: [2],
      x: Float32Array.from(POINTS.flat()),
      yDim: 2,
      y: Float32Array.from(labels.flatMap((c) => (c === 1 ? [0, 1] : [1, 0]))),
    };
    const expected = [0, 1].map((s) => {
      const correct = POINTS.filter((x, i) => {
        const h = [0, 1, 2].map((j) => Math.tanh(x[0]! * W1[s]![0]![j]! + x[1]! * W1[s]![1]![j]! + B1[s]![j]!));
        const z = [0, 1].map((k) => h.reduce((acc, hj, j) => acc + hj * W2c[s]![j]![k]!, k === 0 ? 0.1 : -0.1));
        return (z[1]! > z[0]! ? 1 : 0) === labels[i];
      }).length;
      return correct / POINTS.length;
    });
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["test", [data]]]), loss: "cross_entropy" });
    const measured = measureProbe("accuracy", { model: { ref: "net" }, data: { ref: "test" } }, fakeContext(), env) as Float64Array;
    expect(Array.from(measured)).toEqual(expected);
    expect(expected[0]).not.toBe(expected[1]); // the two seeds are told apart
    const chunked = new EvalData([data], 2, 4);
    expect(Array.from(datasetAccuracy(net, chunked))).toEqual(expected);
    chunked.dispose();
    env.dispose();
    net.dispose();
  });

  it("by: class is each class's fraction of correct samples (NaN for a class without samples), counted directly", () => {
    // 2 → 3 → 4 tanh net, two seeds; class 3 has no sample, so its accuracy is NaN
    const W2k = [
      [[1.0, -0.5, 0.2, -0.1], [-2.0, 0.4, 0.9, 0.3], [0.5, 1.0, -0.7, 0.0]],
      [[0.7, -0.7, 0.1, 0.2], [0.3, 0.9, -1.1, -0.4], [-1.2, 0.2, 0.6, 0.1]],
    ];
    const B2k = [0.1, -0.1, 0.4, -2];
    const net = mlp({ inDim: 2, hidden: [3], outDim: 4, act: "tanh", seeds: [0, 1] });
    for (const s of [0, 1]) {
      setParam(net, "hidden0.weight", W1[s]!, { seed: s });
      setParam(net, "hidden0.bias", B1[s]!, { seed: s });
      setParam(net, "out.weight", W2k[s]!, { seed: s });
      setParam(net, "out.bias", B2k, { seed: s });
    }
    const labels = POINTS.map((x) => (x[0]! > 0.3 ? 0 : x[1]! > 0 ? 1 : 2));
    const data: Dataset = {
      name: "test",
      n: POINTS.length,
      xShape: [2],
      x: Float32Array.from(POINTS.flat()),
      yDim: 4,
      y: Float32Array.from(labels.flatMap((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0)))),
    };
    const predicted = (s: number, x: readonly number[]) => {
      const h = [0, 1, 2].map((j) => Math.tanh(x[0]! * W1[s]![0]![j]! + x[1]! * W1[s]![1]![j]! + B1[s]![j]!));
      const z = [0, 1, 2, 3].map((k) => h.reduce((acc, hj, j) => acc + hj * W2k[s]![j]![k]!, B2k[k]!));
      return z.indexOf(Math.max(...z));
    };
    const expected = [0, 1].map((s) =>
      [0, 1, 2, 3].map((c) => {
        const members = POINTS.filter((_, i) => labels[i] === c);
        return members.length === 0 ? NaN : members.filter((x) => predicted(s, x) === c).length / members.length;
      }),
    );
    expect(new Set(labels).size).toBe(3); // three classes present, the fourth absent
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["test", [data]]]), loss: "cross_entropy" });
    const measured = measureProbe("accuracy", { model: { ref: "net" }, data: { ref: "test" }, by: "class" }, fakeContext(), env) as SeedIndexed;
    expect(measured.kind).toBe("indexed");
    expect(measured.dim).toBe("class");
    expect(measured.fields["value"]!.map((v) => Array.from(v!))).toEqual(expected);
    expect(expected[0]).not.toEqual(expected[1]); // the seeds are told apart
    expect(expected.flat().filter((v) => v > 0 && v < 1).length).toBeGreaterThan(0); // not all-or-nothing
    const chunked = new EvalData([data], 2, 4);
    expect(classAccuracy(net, chunked).fields["value"]!.map((v) => Array.from(v!))).toEqual(expected);
    // the overall accuracy is unchanged by the option: the class-size-weighted mean
    const overall = measureProbe("accuracy", { model: { ref: "net" }, data: { ref: "test" } }, fakeContext(), env) as Float64Array;
    expect(Array.from(overall)).toEqual([0, 1].map((s) => POINTS.filter((x, i) => predicted(s, x) === labels[i]).length / POINTS.length));
    chunked.dispose();
    env.dispose();
    net.dispose();
  });

  it("refuses regression data with a clear error", () => {
    const net = handSetNet();
    const data = new EvalData([regression("r", (x) => x[0]!)], 2);
    expect(() => datasetAccuracy(net, data)).toThrow(/accuracy needs class targets/);
    data.dispose();
    net.dispose();
  });
});

describe("train_loss and lr", () => {
  it("read the step's batch loss and learning rate from the context, and measure nothing at end", () => {
    const perSeed = tf.tensor1d([0.25, 1.5]);
    const ctx = fakeContext({ loss: { perSeed } as ProbeContext["loss"], lr: 0.05 });
    const env = new RunProbeEnv({ model: handSetNet(), modelName: "net", datasets: new Map(), loss: "mse" });
    expect(Array.from(measureProbe("train_loss", {}, ctx, env) as Float64Array)).toEqual([0.25, 1.5]);
    expect(Array.from(measureProbe("lr", {}, ctx, env) as Float64Array)).toEqual([0.05, 0.05]);
    const atEnd = fakeContext({ loss: null, lr: null });
    expect(measureProbe("train_loss", {}, atEnd, env)).toBeUndefined();
    expect(measureProbe("lr", {}, atEnd, env)).toBeUndefined();
    perSeed.dispose();
  });
});

describe("the probe environment", () => {
  it("names the problem when a reference is wrong, and frees uploaded data on dispose", () => {
    const net = handSetNet();
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["train", [regression("train", (x) => x[0]!)]]]), loss: "mse" });
    expect(() => env.model({ model: { ref: "other" } })).toThrow(DyncRuntimeError);
    expect(() => env.data({ data: { ref: "test" } })).toThrow(/data set "test", which the run does not have \(it has train\)/);
    expect(() => env.data({ data: 3 })).toThrow(/must name a data set/);
    const before = tf.memory().numTensors;
    env.data({ data: { ref: "train" } });
    env.data({ data: { ref: "train" } }); // uploaded once
    expect(tf.memory().numTensors).toBe(before + 2);
    env.dispose();
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});

afterAll(() => {
  tf.disposeVariables();
});
