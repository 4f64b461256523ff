/**
 * `cnn(…)` and `gratings(…)` through the compiler: the lowered `ModelSpec` takes the images' [H, W, C], each
 * conv block its geometry and activation, `net.convs[i]` init targets name conv layers, and the data spec
 * is drawn per seed.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import type { ConvNetModelSpec, RunSpec } from "../../contract/program.js";

function firstRun(source: string): RunSpec {
  const result = checkSource(source, "cnn.dyn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.experiments[0]!.profiles["default"]!.runs[0]!;
}

const body = (data: string, model: string, extra = "") => `experiment e {
  data train = ${data}
  model net = ${model}
  ${extra}
  optimizer adam(lr: 1e-3)
  train 10 steps, batch full
}`;

describe("cnn lowering", () => {
  it("takes [H, W, C] from gratings, per-block geometry, pooling and conv activation", () => {
    const run = firstRun(body("gratings(n: 8, size: 10, channels: 3, classes: 5)", "cnn(filters: [4, 6], kernel: 3, pool: 2, pooling: avg, conv_act: tanh, hidden: [7])"));
    const model = run.model as ConvNetModelSpec;
    expect(model.kind).toBe("convnet");
    expect([model.inShape, model.inDim, model.outDim]).toEqual([[10, 10, 3], 300, 5]);
    expect(model.convs).toEqual([4, 6].map((filters) => ({ filters, kernel: 3, stride: 1, padding: "valid", pool: { kind: "avg", size: 2 }, act: "tanh" })));
    expect([model.hidden, model.act, model.bias]).toEqual([[7], "relu", true]);
    expect(run.data["train"]).toMatchObject({ source: "gratings", n: 8, size: 10, channels: 3, classes: 5, cycles: 2, noise: 0.25, normalize: "unit", phase_spread: 1, perSeed: true });
    expect(run.loss).toBe("cross_entropy");
  });

  it("reads CIFAR-10 as 32×32×3 and MNIST as 28×28×1; without conv_act a block has no own activation", () => {
    const cifar = firstRun(body("cifar10(limit: 10)", "cnn(filters: [8], padding: same)")).model as ConvNetModelSpec;
    expect([cifar.inShape, cifar.outDim, cifar.convs[0]]).toEqual([[32, 32, 3], 10, { filters: 8, kernel: 5, stride: 1, padding: "same" }]);
    expect((firstRun(body("mnist(limit: 10)", "cnn(filters: [8])")).model as ConvNetModelSpec).inShape).toEqual([28, 28, 1]);
  });

  it("addresses conv layers in init targets: net.convs[0] and net.layers[*] (convs, hidden, out)", () => {
    const one = firstRun(body("gratings(n: 8)", "cnn(filters: [4, 4], hidden: [6])", "init net.convs[1].weight ~ normal(std: 0.01)")).model;
    expect(one.init).toEqual({ default: "torch_default", layers: { conv1: { weight: { kind: "normal", mean: 0, std: 0.01 } } } });
    const all = firstRun(body("gratings(n: 8)", "cnn(filters: [4], hidden: [6])", "init net.layers[*].bias ~ zeros()")).model;
    expect(Object.keys((all.init as { layers: object }).layers)).toEqual(["conv0", "hidden0", "out"]);
  });
});
