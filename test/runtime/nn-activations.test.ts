/**
 * Activations: values, first and second derivatives by (nested) tf.grad against closed forms in float64,
 * the closed forms against float64 central finite differences, and the tfjs second derivative against a
 * central difference of the tfjs first derivative — on the cpu and wasm backends.
 */
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../runtime/backend.js";
import { activation, type ActivationSpec } from "../../runtime/nn/activations.js";
import { DyncRuntimeError } from "../../runtime/errors.js";

/** erf in float64 by its Maclaurin series (|x| <= 3 here: terms peak near 170, so ~1e-14 absolute). */
function erf(x: number): number {
  let sum = 0;
  let term = x; // x^(2n+1) (-1)^n / n!
  for (let n = 0; n < 80; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const Phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** f, f', f'' in closed form. */
const closedForms: Record<string, [(x: number) => number, (x: number) => number, (x: number) => number]> = {
  relu: [(x) => Math.max(0, x), (x) => (x > 0 ? 1 : 0), () => 0],
  leaky_relu: [(x) => (x > 0 ? x : 0.2 * x), (x) => (x > 0 ? 1 : 0.2), () => 0],
  tanh: [Math.tanh, (x) => 1 - Math.tanh(x) ** 2, (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2)],
  sigmoid: [sig, (x) => sig(x) * (1 - sig(x)), (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x))],
  silu: [
    (x) => x * sig(x),
    (x) => sig(x) + x * sig(x) * (1 - sig(x)),
    (x) => sig(x) * (1 - sig(x)) * (2 + x * (1 - 2 * sig(x))),
  ],
  xtanh: [
    (x) => x * Math.tanh(x),
    (x) => Math.tanh(x) + x * (1 - Math.tanh(x) ** 2),
    (x) => 2 * (1 - Math.tanh(x) ** 2) * (1 - x * Math.tanh(x)),
  ],
  gelu: [(x) => x * Phi(x), (x) => Phi(x) + x * phi(x), (x) => phi(x) * (2 - x * x)],
  softplus: [(x) => Math.log1p(Math.exp(x)), sig, (x) => sig(x) * (1 - sig(x))],
  identity: [(x) => x, () => 1, () => 0],
};

const specs: Record<string, ActivationSpec> = {
  relu: "relu",
  leaky_relu: { name: "leaky_relu", slope: 0.2 },
  tanh: "tanh",
  sigmoid: "sigmoid",
  silu: "silu",
  xtanh: "xtanh",
  gelu: "gelu",
  softplus: "softplus",
  identity: "identity",
};

const points = [-3, -1.7, -0.4, 0.3, 1.1, 2.5];

function derivativesByTf(spec: ActivationSpec, xs: number[]): [number[], number[], number[]] {
  return tf.tidy(() => {
    const f = activation(spec);
    const x = tf.tensor1d(xs);
    const d1 = (t: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(f(u)))(t);
    // + 0·u keeps u on the tape when f' is constant (identity), where tf.grad would refuse.
    const d2 = tf.grad((u: tf.Tensor) => tf.sum(tf.add(d1(u), tf.mul(u, 0))))(x);
    return [Array.from(f(x).dataSync()), Array.from(d1(x).dataSync()), Array.from(d2.dataSync())];
  });
}

function expectClose(actual: number[], expected: number[], tol: number, what: string): void {
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      throw new Error(`${what} at x=${points[i]}: got ${a}, expected ${e} (tol ${tol})`);
    }
  });
}

describe("closed forms agree with float64 central differences (checks the reference itself)", () => {
  for (const [name, [f, d1, d2]] of Object.entries(closedForms)) {
    it(name, () => {
      const h = 1e-5;
      for (const x of points) {
        expect(Math.abs((f(x + h) - f(x - h)) / (2 * h) - d1(x))).toBeLessThan(1e-8);
        expect(Math.abs((d1(x + h) - d1(x - h)) / (2 * h) - d2(x))).toBeLessThan(1e-8);
        const h2 = 1e-4;
        expect(Math.abs((f(x + h2) - 2 * f(x) + f(x - h2)) / (h2 * h2) - d2(x))).toBeLessThan(1e-5);
      }
    });
  }
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`activations on ${backend}: f, f', f'' by nested tf.grad`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const [name, [f, d1, d2]] of Object.entries(closedForms)) {
      it(`${name} matches its closed forms`, () => {
        const [v, g, gg] = derivativesByTf(specs[name]!, points);
        expectClose(v, points.map(f), 2e-6, `${name}(x)`);
        expectClose(g, points.map(d1), 2e-6, `${name}'(x)`);
        expectClose(gg, points.map(d2), 5e-6, `${name}''(x)`);
      });

      it(`${name}'' matches a central difference of tfjs's own ${name}'`, () => {
        const h = 1e-2;
        const [, gPlus] = derivativesByTf(specs[name]!, points.map((x) => x + h));
        const [, gMinus] = derivativesByTf(specs[name]!, points.map((x) => x - h));
        const [, , gg] = derivativesByTf(specs[name]!, points);
        // Truncation error h²/6·f'''' ≈ 2e-5 at most here, float32 rounding 1e-7/h = 1e-5.
        expectClose(gg, gPlus.map((gp, i) => (gp - gMinus[i]!) / (2 * h)), 2e-4, `${name}'' vs FD`);
      });
    }

    it("does not leak tensors", () => {
      derivativesByTf("silu", points); // warm-up: kernels may cache constants on first use
      const before = tf.memory().numTensors;
      for (const spec of Object.values(specs)) derivativesByTf(spec, points);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe("activation specs", () => {
  it("rejects unknown names and bad slopes with RUN040", () => {
    expect(() => activation("swish" as ActivationSpec)).toThrow(DyncRuntimeError);
    expect(() => activation({ name: "leaky_relu", slope: 1.5 })).toThrow(/slope/);
  });
});
