/** Shared fixtures of the condensation tests: hand-set two-layer nets and a probe environment. */
import type { Dataset } from "../../runtime/dataset.js";
import { mlp, type Mlp } from "../../runtime/nn/index.js";
import type { ActivationSpec } from "../../runtime/nn/activations.js";
import { setParam } from "../../runtime/params.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { RunProbeEnv } from "../../stdlib/probes/index.js";

/** A 1 → m → 1 net, one seed, with input weights w, biases b, output weights a, output bias c. */
export function twoLayer(w: readonly number[], b: readonly number[], a: readonly number[], c = 0, act: ActivationSpec = "relu"): Mlp {
  const net = mlp({ inDim: 1, hidden: [w.length], outDim: 1, act, seeds: [0] });
  setParam(net, "hidden0.weight", [w]);
  setParam(net, "hidden0.bias", b);
  setParam(net, "out.weight", a.map((v) => [v]));
  setParam(net, "out.bias", [c]);
  return net;
}

/** A 1-D data set of inputs xs and targets f(x). */
export function line(name: string, xs: readonly number[], f: (x: number) => number): Dataset {
  return { name, n: xs.length, xShape: [1], x: Float32Array.from(xs), yDim: 1, y: Float32Array.from(xs, f) };
}

/** A probe environment for `net` and the given data sets. */
export function envFor(net: Mlp, datasets: Dataset[] = [], loss: "mse" | "half_mse" = "mse"): RunProbeEnv {
  return new RunProbeEnv({ model: net, modelName: "net", datasets: new Map(datasets.map((d) => [d.name, [d]])), loss });
}

/** The training context a probe sees, for seed indices 0..S−1 at `step`. */
export function context(seeds: number, step = 0): ProbeContext {
  const indices = [...Array(seeds).keys()];
  return { seeds: indices, seedIndices: indices, step } as unknown as ProbeContext;
}

/** Float32 rounding of a list, as the network stores its parameters. */
export const f32 = (xs: readonly number[]): number[] => xs.map(Math.fround);
