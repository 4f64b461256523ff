/**
 * `values(…)`: setting a parameter by hand from the language. The compiler lowers nested lists to a shape
 * and row-major values; the runtime copies them into every seed and rejects a wrong shape with RUN040.
 * The eq. 2 ticket loaded this way evaluates (float32, TF.js) to the paper's MSE ≈ 7.1e-6.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import "@tensorflow/tfjs-backend-cpu";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { sampleParam, type InitDist } from "../../runtime/init.js";
import { mlp } from "../../runtime/nn/mlp.js";
import type { LayeredInit } from "../../runtime/nn/layer-init.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
}, 60_000);

const source = `experiment e {
  seeds 3
  data test = grid(x in [-2, 2], n: 4001) -> x^2
  model net = mlp(in: 1, hidden: [2], out: 1, act: silu)
  init net.hidden[0].weight ~ values([[-0.83010483, 0.83010304]])
  init net.hidden[0].bias ~ values([-1.16842330, -1.16842365])
  init net.out.weight ~ values([[5.68583536], [5.68586636]])
  init net.out.bias ~ values([3.1539197])
  optimizer gd(lr: 1e-12)
  train 1 steps
}`;

function loweredInit(): LayeredInit {
  const r = checkSource(source, "e.dyn");
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.experiments[0]!.profiles["default"]!.runs[0]!.model.init as LayeredInit;
}

describe("values(…)", () => {
  it("lowers nested lists to a shape and row-major values", () => {
    const init = loweredInit();
    expect(init.layers?.["hidden0"]?.weight).toEqual({ kind: "values", shape: [1, 2], values: [-0.83010483, 0.83010304] });
    expect(init.layers?.["out"]?.weight).toEqual({ kind: "values", shape: [2, 1], values: [5.68583536, 5.68586636] });
    expect(init.layers?.["out"]?.bias).toEqual({ kind: "values", shape: [1], values: [3.1539197] });
  });

  it("loads the paper's eq. 2 ticket into every seed: MSE on U[−2, 2] ≈ 7.1e-6 in float32", () => {
    const net = mlp({ inDim: 1, hidden: [2], outDim: 1, act: "silu", seeds: 3, init: loweredInit() });
    const n = 4001;
    const xs = Float32Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
    const out = tf.tidy(() => net.forward(tf.tensor3d(Float32Array.from([...xs, ...xs, ...xs]), [3, n, 1]), { training: false }).dataSync());
    for (let s = 0; s < 3; s++) {
      let mse = 0;
      for (let i = 0; i < n; i++) mse += (out[s * n + i]! - xs[i]! * xs[i]!) ** 2 / n;
      expect(Math.abs(mse / 7.1e-6 - 1)).toBeLessThan(0.02);
    }
    net.dispose();
  });

  it("rejects a tensor of the wrong shape with RUN040 naming the parameter and the shape it needs", () => {
    const dist: InitDist = { kind: "values", shape: [1, 3], values: [1, 2, 3] };
    expect(() => sampleParam(dist, { fanIn: 1, fanOut: 2 }, [0], "hidden0.weight", 2)).toThrow(DyncRuntimeError);
    expect(() => sampleParam(dist, { fanIn: 1, fanOut: 2 }, [0], "hidden0.weight", 2)).toThrow(/hidden0\.weight: got shape \[1, 3\], the parameter needs \[1, 2\]/);
    // [2, 1] has the right count but the wrong orientation for a [1, 2] weight.
    expect(() => sampleParam({ kind: "values", shape: [2, 1], values: [1, 2] }, { fanIn: 1, fanOut: 2 }, [0], "hidden0.weight", 2)).toThrow(/needs \[1, 2\]/);
    expect(() => sampleParam({ kind: "values", shape: [2, 2], values: [1, 2, 3] }, { fanIn: 2, fanOut: 2 }, [0], "hidden0.weight", 4)).toThrow(/same length/);
  });

  it("copies the values into every seed's block", () => {
    const out = sampleParam({ kind: "values", shape: [2], values: [0.5, -1.5] }, { fanIn: 3, fanOut: 2 }, [4, 9, 11], "hidden0.bias", 2);
    expect(Array.from(out)).toEqual([0.5, -1.5, 0.5, -1.5, 0.5, -1.5]);
  });
});
