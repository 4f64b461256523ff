/**
 * `hamming` and `gradient_confusion` as probes: hamming on a hand-built net against a hand computation and,
 * on random nets, against float64 patterns over the pairs the sampler draws; gradient_confusion against
 * per-example gradients taken one at a time; both compare the same pairs at every measurement.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import type { Dataset } from "../../runtime/dataset.js";
import { setParam } from "../../runtime/params.js";
import { sequential } from "../../runtime/nn/sequential.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { RunProbeEnv, startProbe, type SeedFields, type SeedIndexed } from "../../stdlib/probes/index.js";
import { drawPairs } from "../../stdlib/sampling/draw.js";
import { meanStd } from "../../stdlib/sampling/probes.js";
import { denseWeights, hiddenPre, referencePatterns } from "../regions/reference.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

const dense = (name: string, width: number, act: "relu" | null): LayerSpec => ({ name, kind: "dense", width, act, bias: true });

/** A 4 × 4 grid over [0, 1]², row r·4 + c at (r/3, c/3), target x − y. */
function grid4(): Dataset {
  const x = new Float32Array(32);
  for (let k = 0; k < 16; k++) [x[2 * k], x[2 * k + 1]] = [Math.floor(k / 4) / 3, (k % 4) / 3];
  return { name: "img", n: 16, xShape: [2], x, yDim: 1, y: Float32Array.from({ length: 16 }, (_, k) => x[2 * k]! - x[2 * k + 1]!) };
}

function context(seeds: number, step = 0): ProbeContext {
  return { step, seeds: [...Array(seeds).keys()], seedIndices: [...Array(seeds).keys()] } as unknown as ProbeContext;
}

function envFor(model: Model, data: Dataset, seeds?: number[]): RunProbeEnv {
  return new RunProbeEnv({ model, modelName: "net", datasets: new Map([[data.name, [data]]]), loss: "mse", ...(seeds ? { seeds } : {}) });
}

describe("hamming", () => {
  /**
   * 2 → 3 → 2 → 1, ReLU. Layer a: z = (x − 0.5, y − 0.5, x + y − 1); layer b: (h0 − 2·h1, h2 − 0.25).
   * At (0, 0): a = (−.5, −.5, −1) all off, h = 0, b = (0, −0.25) off (0 is not > 0).
   * At (1, 1): a = (.5, .5, 1) all on, h = (.5, .5, 1), b = (−0.5, 0.75): off, on.
   * Hamming: layer a 3, layer b 1, all 4; normalised 4/5.
   */
  function handNet(): Model {
    const net = sequential({ inShape: [2], layers: [dense("a", 3, "relu"), dense("b", 2, "relu"), dense("out", 1, null)], seeds: 1 });
    setParam(net, "a.weight", [[1, 0, 1], [0, 1, 1]]);
    setParam(net, "a.bias", [-0.5, -0.5, -1]);
    setParam(net, "b.weight", [[1, 0], [-2, 0], [0, 1]]);
    setParam(net, "b.bias", [0, -0.25]);
    return net;
  }

  const corners = { kind: "between", a: [0, 1], b: [15, 16], n: 3 }; // rows 0 = (0, 0) and 15 = (1, 1)

  it("on a hand-built net equals the hand computation, all layers, per layer and normalised", () => {
    const net = handNet();
    const env = envFor(net, grid4());
    const measure = (args: Record<string, unknown>) => startProbe("hamming", { model: { ref: "net" }, data: { ref: "img" }, pairs: corners, ...args }, env).measure(context(1)) as SeedFields;
    try {
      const all = measure({});
      expect([all.fields["mean"]![0], all.fields["std"]![0]]).toEqual([4, 0]);
      expect(measure({ layers: [0] }).fields["mean"]![0]).toBe(3);
      expect(measure({ layers: [1] }).fields["mean"]![0]).toBe(1);
      expect(measure({ layers: [1, 0] }).fields["mean"]![0]).toBe(4);
      expect(measure({ normalize: true }).fields["mean"]![0]).toBeCloseTo(4 / 5, 15);
      expect(measure({ layers: [0], normalize: true }).fields["mean"]![0]).toBe(1);
      expect(() => measure({ layers: [2] })).toThrow(/hidden/);
    } finally {
      env.dispose();
      net.dispose();
    }
  });

  it("on random nets equals float64 patterns over the drawn pairs, per seed, fixed across steps", () => {
    const net = sequential({ inShape: [2], layers: [dense("a", 9, "relu"), dense("b", 40, "relu"), dense("out", 1, null)], seeds: 2 });
    const data = grid4();
    const seeds = [5, 9];
    const env = envFor(net, data, seeds);
    const spec = { kind: "random_pairs", n: 60 };
    const probe = startProbe("hamming", { model: { ref: "net" }, data: { ref: "img" }, pairs: spec, layers: [1] }, env, "global");
    const pairs = drawPairs(spec, { hostSet: () => data }, { name: "global", seeds });
    const expected = () =>
      seeds.map((_, s) => {
        const weights = denseWeights(net, s);
        const pre = Array.from({ length: data.n }, (_, r) => hiddenPre(weights, [data.x[2 * r]!, data.x[2 * r + 1]!]));
        const patterns = referencePatterns(pre, [1]);
        const distances = Float64Array.from(pairs[s]!.i, (i, k) => patterns[i]!.reduce((sum, bit, u) => sum + (bit !== patterns[pairs[s]!.j[k]!]![u] ? 1 : 0), 0));
        return meanStd(distances);
      });
    try {
      for (const step of [0, 10]) {
        if (step > 0) setParam(net, "b.bias", Array.from({ length: 40 }, (_, u) => 0.3 * Math.sin(u))); // the net moves; the pairs must not
        const value = probe.measure(context(2, step)) as SeedFields;
        const want = expected();
        expect(Array.from(value.fields["mean"]!)).toEqual(want.map((w) => w.mean));
        expect(Array.from(value.fields["std"]!)).toEqual(want.map((w) => w.std));
        for (const w of want) expect(w.mean).toBeGreaterThan(1); // patterns really differ across the pairs
      }
      expect(pairs[0]).not.toEqual(pairs[1]);
    } finally {
      probe.finish?.();
      env.dispose();
      net.dispose();
    }
  });
});

describe("gradient_confusion", () => {
  /** Seed s's gradient of row r's own loss (y − f(x))² with respect to every weight and bias, from a one-row tf.grads. */
  function exampleGradient(net: Model, data: Dataset, s: number, r: number): Float64Array {
    const x = tf.tensor3d(Array.from({ length: net.seeds }, () => [Array.from(data.x.subarray(2 * r, 2 * r + 2))]));
    const y = data.y[r]!;
    const grads = tf.grads((...params: tf.Tensor[]) => {
      void params;
      const out = net.forward(x, { training: false });
      return tf.sum(tf.square(tf.sub(out, y)));
    })(net.params.map((p) => p.variable));
    const flat: number[] = [];
    for (const g of grads) {
      const perSeed = g.shape.slice(1).reduce((a, b) => a * b, 1);
      flat.push(...Array.from(g.dataSync().subarray(s * perSeed, (s + 1) * perSeed)));
    }
    tf.dispose([x, ...grads]);
    return Float64Array.from(flat);
  }

  it("is the cosine of per-example gradients over the drawn pairs, one per pair and seed, the same pairs each step", () => {
    const net = sequential({ inShape: [2], layers: [dense("a", 8, "relu"), dense("b", 6, "relu"), dense("out", 1, null)], seeds: 2 });
    const data = grid4();
    const seeds = [0, 1];
    const env = envFor(net, data, seeds);
    const spec = { kind: "patches", size: 2, count: 3, per: 2 };
    const probe = startProbe("gradient_confusion", { model: { ref: "net" }, data: { ref: "img" }, pairs: spec }, env, "local");
    const pairs = drawPairs(spec, { hostSet: () => data }, { name: "local", seeds });
    try {
      const first = probe.measure(context(2)) as SeedIndexed;
      expect(first.dim).toBe("pair");
      seeds.forEach((_, s) => {
        const got = first.fields["value"]![s]!;
        expect(got).toHaveLength(6);
        got.forEach((cos, k) => {
          const [gi, gj] = [exampleGradient(net, data, s, pairs[s]!.i[k]!), exampleGradient(net, data, s, pairs[s]!.j[k]!)];
          let [dot, ni, nj] = [0, 0, 0];
          for (let p = 0; p < gi.length; p++) [dot, ni, nj] = [dot + gi[p]! * gj[p]!, ni + gi[p]! ** 2, nj + gj[p]! ** 2];
          expect(cos).toBeCloseTo(dot / Math.sqrt(ni * nj), 4);
        });
      });
      const again = probe.measure(context(2, 5)) as SeedIndexed;
      expect(again.fields["value"]).toEqual(first.fields["value"]);
    } finally {
      probe.finish?.();
      env.dispose();
      net.dispose();
    }
  });
});
