/**
 * ConvNet options the `cnn` model needs: a per-block activation (tanh convolutions before ReLU dense
 * layers) and flattened image rows as input, checked against a forward pass built from tf.conv2d seed by
 * seed, on cpu and on wasm (whose XNNPACK kernels differ); and the matrix-product im2col's gradient against
 * tf.conv2d's.
 */
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { conv2d, pool2d } from "../../runtime/nn/conv.js";
import { convNet, type ConvNet } from "../../runtime/nn/convnet.js";
import { Rng } from "../../runtime/rng.js";

function random(shape: number[], seed: number): tf.Tensor {
  const r = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r.normal()), shape);
}
const param = (net: ConvNet, name: string) => net.params.find((p) => p.name === name)!.variable;

/** conv (tf.conv2d per seed) → tanh → 2×2 max pool → flatten → dense → relu → dense, from the net's own parameters. */
function reference(net: ConvNet, x: tf.Tensor5D, convAct: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  const outs = [0, 1].map((s) => {
    const W = tf.squeeze(tf.slice(param(net, "conv0.weight"), [s], [1]), [0]) as tf.Tensor4D;
    const b = tf.squeeze(tf.slice(param(net, "conv0.bias"), [s], [1]), [0]);
    const conv = tf.add(tf.conv2d(tf.squeeze(tf.slice(x, [s], [1]), [0]) as tf.Tensor4D, W, 1, "valid"), b);
    const pooled = tf.maxPool(convAct(conv) as tf.Tensor4D, 2, 2, "valid");
    const flat = tf.reshape(pooled, [pooled.shape[0], -1]);
    const dense = (name: string, v: tf.Tensor) =>
      tf.add(tf.matMul(v as tf.Tensor2D, tf.squeeze(tf.slice(param(net, `${name}.weight`), [s], [1]), [0]) as tf.Tensor2D), tf.squeeze(tf.slice(param(net, `${name}.bias`), [s], [1]), [0]));
    return dense("out", tf.relu(dense("hidden0", flat)));
  });
  return tf.stack(outs);
}
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;

afterAll(async () => {
  await selectBackend("cpu");
});

/** tf.conv2d's output and weight gradient, from the cpu pass (which runs first). */
const cpuReference: { value: number[]; grad: number[] } = { value: [], grad: [] };

describe.each(["cpu", "wasm"] as const)("convnet blocks on %s", (backend) => {
  it("applies the block's own activation (tanh) to the convolution and `act` (relu) to the dense layers", async () => {
    await selectBackend(backend);
    const net = convNet({ inShape: [8, 8, 2], convs: [{ filters: 3, kernel: 3, act: "tanh", pool: { kind: "max", size: 2 } }], hidden: [5], outDim: 4, act: "relu", seeds: [0, 1] });
    const x = random([2, 6, 8, 8, 2], 11) as tf.Tensor5D;
    const mine = net.forward(x, { training: false });
    expect(mine.shape).toEqual([2, 6, 4]);
    expect(maxDiff(mine, reference(net, x, tf.tanh))).toBeLessThan(1e-4);
    // the block activation matters: relu convolutions give a different function
    expect(maxDiff(mine, reference(net, x, tf.relu))).toBeGreaterThan(1e-3);
    // flattened rows [S, B, H·W·C] (HWC order, as data sets store images) give the same output
    expect(maxDiff(net.forward(tf.reshape(x, [2, 6, 128]), { training: false }), mine)).toBe(0);
    expect(() => net.forward(tf.zeros([2, 6, 100]), { training: false })).toThrow(/\[seeds=2, batch, 128\]/);
    expect([net.inDim, net.outDim]).toEqual([128, 4]);
    net.dispose();
  });

  it("im2col convolution: same-padded, strided values and weight gradients equal tf.conv2d's (on wasm: cpu's tf.conv2d values)", async () => {
    await selectBackend(backend);
    const x = random([1, 3, 7, 7, 2], 3);
    const w = random([1, 5, 5, 2, 4], 4);
    const g = { kernel: 5, stride: 2, padding: "same" } as const;
    const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.square(f(t)));
    const mine = (t: tf.Tensor) => conv2d(x, t, undefined, g);
    if (backend === "cpu") {
      // tfjs's wasm backend has no Conv2DBackpropFilter, so the reference is computed here and reused there
      const ref = (t: tf.Tensor) => tf.expandDims(tf.conv2d(tf.squeeze(x, [0]) as tf.Tensor4D, tf.squeeze(t, [0]) as tf.Tensor4D, 2, "same"), 0);
      cpuReference.value = Array.from(ref(w).dataSync());
      cpuReference.grad = Array.from(tf.grad(loss(ref))(w).dataSync());
    }
    const close = (a: tf.Tensor, b: number[], tol: number) => expect(maxDiff(a, tf.tensor(b, a.shape))).toBeLessThan(tol);
    close(mine(w), cpuReference.value, 1e-4);
    close(tf.grad(loss(mine))(w), cpuReference.grad, 1e-2);
  });
  it("max-pool gradient: d/dx Σ maxpool(x)² is 2·max at each window's arg-max and 0 elsewhere (by hand)", async () => {
    await selectBackend(backend);
    const [S, B, H, W, C] = [2, 3, 6, 4, 2];
    // distinct values, so every 2×2 window has one arg-max
    const vals = Float32Array.from({ length: S * B * H * W * C }, (_, i) => Math.sin(i * 1.7) * 3 + i * 1e-3);
    const got = tf.grad((t: tf.Tensor) => tf.sum(tf.square(pool2d(t, "max", 2))))(tf.tensor(vals, [S, B, H, W, C])).dataSync();
    const expected = new Float32Array(vals.length);
    const at = (n: number, h: number, w: number, c: number) => ((n * H + h) * W + w) * C + c;
    for (let n = 0; n < S * B; n++) for (let h = 0; h < H; h += 2) for (let w = 0; w < W; w += 2) for (let c = 0; c < C; c++) {
      const window = [at(n, h, w, c), at(n, h, w + 1, c), at(n, h + 1, w, c), at(n, h + 1, w + 1, c)];
      const best = window.reduce((a, b) => (vals[b]! > vals[a]! ? b : a));
      expected[best] = 2 * vals[best]!;
    }
    Array.from(got).forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 4));
  });
});
