import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { createOptimizer, SignSgdOptimizer, type OptimizerSpec } from "../../runtime/optim.js";
import { makeSchedule } from "../../runtime/schedule.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { measureProbe, type ProbeEnv } from "../../stdlib/probes/index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/**
 * Test problem: two seeds, three coordinates each, loss_s(θ) = Σ_i ½·a_si·θ_i² − c_si·θ_i, so the gradient
 * is a·θ − c. Each seed has different curvature, so shared optimizer state across seeds would show.
 */
const theta0 = [
  [1.0, -2.0, 0.5],
  [0.3, 0.8, -1.5],
];
const a = [
  [1.0, 3.0, 0.5],
  [2.0, 0.1, 4.0],
];
const c = [
  [0.2, 0.0, -0.4],
  [1.0, -0.5, 0.0],
];

/** The float64 reference: one rule per optimizer, written from the PyTorch documentation pseudocode. */
type Rule = (theta: number, g: number, state: Record<string, number>, t: number, lr: number) => number;

function referenceRule(spec: OptimizerSpec): Rule {
  const wd = spec.weight_decay ?? 0;
  if (spec.kind === "adam") {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = spec;
    return (theta, g0, s, t, lr) => {
      const g = g0 + wd * theta;
      s.m = beta1 * (s.m ?? 0) + (1 - beta1) * g;
      s.v = beta2 * (s.v ?? 0) + (1 - beta2) * g * g;
      const mHat = s.m / (1 - beta1 ** t);
      const vHat = s.v / (1 - beta2 ** t);
      return theta - (lr * mHat) / (Math.sqrt(vHat) + eps);
    };
  }
  if (spec.kind === "adamw") {
    // torch.optim.AdamW: θ ← θ(1 − lr·λ), then Adam on g alone (the gradient at θ before the decay).
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay: decay = 0.01 } = spec;
    return (theta0, g, s, t, lr) => {
      const theta = theta0 * (1 - lr * decay);
      s.m = beta1 * (s.m ?? 0) + (1 - beta1) * g;
      s.v = beta2 * (s.v ?? 0) + (1 - beta2) * g * g;
      return theta - (lr * (s.m / (1 - beta1 ** t))) / (Math.sqrt(s.v / (1 - beta2 ** t)) + eps);
    };
  }
  if (spec.kind === "sign_sgd") {
    const { momentum = 0.9, dampening = 0.9 } = spec;
    return (theta, g0, s, _t, lr) => {
      const g = g0 + wd * theta;
      s.m = momentum * (s.m ?? 0) + (1 - dampening) * g;
      const step = Math.abs(s.m) > spec.threshold ? spec.sign_lr * (lr / spec.lr) * Math.sign(s.m) : lr * s.m;
      return theta - step;
    };
  }
  const mu = spec.momentum ?? 0;
  const damp = spec.dampening ?? 0;
  return (theta, g0, s, t, lr) => {
    let g = g0 + wd * theta;
    if (mu !== 0) {
      s.b = t === 1 ? g : mu * s.b! + (1 - damp) * g;
      g = spec.nesterov ? g + mu * s.b : s.b;
    }
    return theta - lr * g;
  };
}

/** Run `steps` updates in float64 with learning rates `lrs[t]`. */
function simulate(spec: OptimizerSpec, lrs: number[]): number[][] {
  const rule = referenceRule(spec);
  const theta = theta0.map((r) => [...r]);
  const states = theta.map((r) => r.map(() => ({}) as Record<string, number>));
  lrs.forEach((lr, k) => {
    theta.forEach((row, s) =>
      row.forEach((th, i) => {
        row[i] = rule(th, a[s]![i]! * th - c[s]![i]!, states[s]![i]!, k + 1, lr);
      }),
    );
  });
  return theta;
}

/** The same updates through the seed-batched optimizer, gradients from tf.grads of the summed loss. */
function runOptimizer(spec: OptimizerSpec, lrs: number[], alive?: tf.Tensor): number[][] {
  const theta = tf.variable(tf.tensor2d(theta0));
  const aT = tf.tensor2d(a);
  const cT = tf.tensor2d(c);
  const opt = createOptimizer(spec, [theta]);
  for (const lr of lrs) {
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.sub(tf.mul(0.5, tf.mul(aT, tf.square(theta))), tf.mul(cT, theta))) as tf.Scalar,
      [theta],
    );
    opt.step([grads[theta.name]!], lr, alive);
    tf.dispose(grads);
  }
  const out = theta.arraySync() as number[][];
  opt.dispose();
  theta.dispose();
  tf.dispose([aT, cT]);
  return out;
}

function expectClose(actual: number[][], expected: number[][], tol = 2e-6): void {
  actual.flat().forEach((v, i) => {
    const e = expected.flat()[i]!;
    expect(Math.abs(v - e)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  });
}

const constantLr = (lr: number, n: number) => Array<number>(n).fill(lr);

describe("SGD family (torch.optim.SGD semantics)", () => {
  const cases: [string, OptimizerSpec][] = [
    ["plain gd", { kind: "gd", lr: 0.1 }],
    ["sgd with weight decay", { kind: "sgd", lr: 0.1, weight_decay: 0.05 }],
    ["momentum", { kind: "sgd", lr: 0.05, momentum: 0.9 }],
    ["momentum with dampening", { kind: "sgd", lr: 0.05, momentum: 0.9, dampening: 0.3 }],
    ["nesterov with weight decay", { kind: "sgd", lr: 0.05, momentum: 0.8, nesterov: true, weight_decay: 0.01 }],
  ];
  for (const [name, spec] of cases) {
    it(`${name}: 6 steps match the float64 reference`, () => {
      expectClose(runOptimizer(spec, constantLr(spec.lr, 6)), simulate(spec, constantLr(spec.lr, 6)));
    });
  }

  it("one momentum step by hand: the buffer starts as the undampened gradient", () => {
    // θ = 1, g = a·θ − c = 0.8, then θ₁ = 1 − 0.05·0.8 = 0.96; step 2: g = 0.76, b = 0.9·0.8 + 0.7·0.76.
    const out = runOptimizer({ kind: "sgd", lr: 0.05, momentum: 0.9, dampening: 0.3 }, [0.05, 0.05]);
    expect(out[0]![0]).toBeCloseTo(0.96 - 0.05 * (0.9 * 0.8 + 0.7 * 0.76), 6);
  });

  it("rejects nesterov with dampening, as PyTorch does", () => {
    expect(() => createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, [tf.variable(tf.zeros([1, 2]))])).toThrow(/nesterov/);
  });
});

describe("Adam (torch.optim.Adam semantics)", () => {
  it("the first step is lr·g/(|g| + ε) per coordinate: bias correction makes m̂ = g and v̂ = g²", () => {
    const out = runOptimizer({ kind: "adam", lr: 0.01 }, [0.01]);
    theta0.forEach((row, s) =>
      row.forEach((th, i) => {
        const g = a[s]![i]! * th - c[s]![i]!;
        expect(out[s]![i]).toBeCloseTo(th - (0.01 * g) / (Math.abs(g) + 1e-8), 6);
      }),
    );
  });

  it("20 steps with defaults, with custom betas and weight decay, and under a step-decay schedule match float64", () => {
    const defaults: OptimizerSpec = { kind: "adam", lr: 0.05 };
    expectClose(runOptimizer(defaults, constantLr(0.05, 20)), simulate(defaults, constantLr(0.05, 20)));
    const custom: OptimizerSpec = { kind: "adam", lr: 0.02, beta1: 0.5, beta2: 0.9, eps: 1e-3, weight_decay: 0.1 };
    expectClose(runOptimizer(custom, constantLr(0.02, 20)), simulate(custom, constantLr(0.02, 20)));
    const schedule = makeSchedule({ kind: "step_decay", every: 5, factor: 0.5 }, 0.05);
    const lrs = Array.from({ length: 20 }, (_, t) => schedule(t));
    expectClose(runOptimizer(defaults, lrs), simulate(defaults, lrs));
  });

  it("keeps one state per seed: the batched result equals each seed optimised alone", () => {
    const both = runOptimizer({ kind: "adam", lr: 0.05 }, constantLr(0.05, 10));
    // Seed 1's reference computed alone (its own m, v) is what simulate() does per coordinate.
    expectClose([both[1]!], [simulate({ kind: "adam", lr: 0.05 }, constantLr(0.05, 10))[1]!]);
  });
});

describe("AdamW (torch.optim.AdamW: decoupled weight decay, Loshchilov & Hutter 2019)", () => {
  it("one step by hand: θ₁ = θ₀(1 − lr·λ) − lr·g/(|g| + ε), g taken at θ₀", () => {
    // Seed 0, coordinate 0: θ₀ = 1, g = 1·1 − 0.2 = 0.8; lr 0.1, λ 0.5: 1·(1 − 0.05) − 0.1·0.8/(0.8 + 1e-8).
    const out = runOptimizer({ kind: "adamw", lr: 0.1, weight_decay: 0.5 }, [0.1]);
    expect(out[0]![0]).toBeCloseTo(0.95 - 0.1 * (0.8 / (0.8 + 1e-8)), 6);
    // Seed 1, coordinate 2: θ₀ = −1.5, g = 4·(−1.5) − 0 = −6: −1.5·0.95 + 0.1.
    expect(out[1]![2]).toBeCloseTo(-1.5 * 0.95 + 0.1, 6);
  });

  it("three steps by hand (seed 0, coordinate 1) and 20 steps, constant and under a step-decay schedule, match float64", () => {
    // θ₀ = −2, a = 3, c = 0, lr 0.1, λ 0.2, β₁ 0.5, β₂ 0.9, ε 1e-3, worked step by step:
    // t=1: g = −6; θ = −2·0.98 = −1.96; m = −3, v = 3.6; m̂ = −6, v̂ = 36; θ = −1.96 + 0.1·6/6.001 = −1.8600166639
    // t=2: g = 3θ₁; θ ← θ₁·0.98; m = 0.5m + 0.5g; v = 0.9v + 0.1g²; m̂ = m/0.75, v̂ = v/0.19; …
    let th = -2;
    let m = 0;
    let v = 0;
    for (let t = 1; t <= 3; t++) {
      const g = 3 * th;
      th *= 0.98;
      m = 0.5 * m + 0.5 * g;
      v = 0.9 * v + 0.1 * g * g;
      th -= (0.1 * (m / (1 - 0.5 ** t))) / (Math.sqrt(v / (1 - 0.9 ** t)) + 1e-3);
      if (t === 1) expect(th).toBeCloseTo(-1.96 + 0.6 / 6.001, 12);
    }
    const spec: OptimizerSpec = { kind: "adamw", lr: 0.1, weight_decay: 0.2, beta1: 0.5, beta2: 0.9, eps: 1e-3 };
    expect(runOptimizer(spec, constantLr(0.1, 3))[0]![1]).toBeCloseTo(th, 6);
    expectClose(runOptimizer(spec, constantLr(0.1, 20)), simulate(spec, constantLr(0.1, 20)));
    const schedule = makeSchedule({ kind: "step_decay", every: 5, factor: 0.5 }, 0.05);
    const lrs = Array.from({ length: 20 }, (_, t) => schedule(t));
    const scheduled: OptimizerSpec = { kind: "adamw", lr: 0.05, weight_decay: 0.3 };
    expectClose(runOptimizer(scheduled, lrs), simulate(scheduled, lrs));
  });

  it("differs from Adam with the same weight_decay (L2 in the gradient), and equals Adam without decay", () => {
    const adamw = runOptimizer({ kind: "adamw", lr: 0.05, weight_decay: 0.3 }, constantLr(0.05, 10));
    const adamL2 = runOptimizer({ kind: "adam", lr: 0.05, weight_decay: 0.3 }, constantLr(0.05, 10));
    expect(Math.max(...adamw.flat().map((x, i) => Math.abs(x - adamL2.flat()[i]!)))).toBeGreaterThan(1e-3);
    expectClose(runOptimizer({ kind: "adamw", lr: 0.05, weight_decay: 0 }, constantLr(0.05, 10)), runOptimizer({ kind: "adam", lr: 0.05 }, constantLr(0.05, 10)), 1e-7);
  });

  it("defaults weight_decay to torch's 0.01", () => {
    // The reference's default is written out: 0.01.
    expectClose(runOptimizer({ kind: "adamw", lr: 0.05 }, constantLr(0.05, 5)), simulate({ kind: "adamw", lr: 0.05, weight_decay: 0.01 }, constantLr(0.05, 5)));
  });
});

describe("sign-threshold SGD (opposing signals, Appendix F)", () => {
  const spec: OptimizerSpec = { kind: "sign_sgd", lr: 0.5, sign_lr: 0.01, threshold: 0.1 };

  it("matches the float64 rule: sign step above the threshold, plain step below", () => {
    // First-step momentum is 0.1·g: |g| = 0.8, 6, 0.65 / 0.4, 0.58, 6 puts coordinates on both sides.
    expectClose(runOptimizer(spec, constantLr(0.5, 8)), simulate(spec, constantLr(0.5, 8)));
    const one = runOptimizer(spec, [0.5]);
    expect(one[0]![1]).toBeCloseTo(-2 + 0.01, 6); // g = −6, m = −0.6 → sign step
    expect(one[0]![0]).toBeCloseTo(1 - 0.5 * 0.08, 6); // g = 0.8, m = 0.08 → plain step
  });

  it("reports the per-seed fraction of coordinates above the threshold", () => {
    const theta = tf.variable(tf.tensor2d(theta0));
    const opt = createOptimizer(spec, [theta]) as SignSgdOptimizer;
    const g = tf.tensor2d(a.map((row, s) => row.map((ai, i) => ai * theta0[s]![i]! - c[s]![i]!)));
    opt.step([g], 0.5);
    // m = 0.1·g: seed 0 → |m| = 0.08, 0.6, 0.065 (1 of 3); seed 1 → 0.04, 0.058, 0.6 (1 of 3).
    const frac = opt.fractionAboveThreshold();
    expect(Array.from(frac)).toEqual([1 / 3, 1 / 3]);
    opt.dispose();
    theta.dispose();
  });

  it("hands that fraction to optimizer_stat(above_threshold): NaN before the first update, then per seed; other optimizers report nothing", async () => {
    const theta = tf.variable(tf.tensor2d(theta0));
    const opt = createOptimizer(spec, [theta]);
    const ctx = (optimizer: typeof opt) => ({ optimizer, seeds: [0, 1], seedIndices: [0, 1] }) as unknown as ProbeContext;
    const env = { model: () => undefined, data: () => undefined, loss: "mse", seeds: [0, 1] } as unknown as ProbeEnv;
    const before = (await measureProbe("optimizer_stat", { name: "above_threshold" }, ctx(opt), env)) as Float64Array;
    expect(Array.from(before).every(Number.isNaN)).toBe(true);
    // Second update: m₂ = 0.9·m₁ + 0.1·g with the same g, so |m₂| = 1.9·|m₁|: seed 0 → 0.152, 1.14, 0.1235
    // (all 3 above 0.1); seed 1 → 0.076, 0.1102, 1.14 (2 of 3).
    const g = tf.tensor2d(a.map((row, s) => row.map((ai, i) => ai * theta0[s]![i]! - c[s]![i]!)));
    opt.step([g], 0.5);
    opt.step([g], 0.5);
    expect(Array.from((await measureProbe("optimizer_stat", { name: "above_threshold" }, ctx(opt), env)) as Float64Array)).toEqual([1, 2 / 3]);
    const sgd = createOptimizer({ kind: "sgd", lr: 0.1 }, [theta]);
    expect(await measureProbe("optimizer_stat", { name: "above_threshold" }, ctx(sgd), env)).toBeUndefined();
    for (const t of [opt, sgd, theta, g]) t.dispose();
  });
});

describe("diverged-seed mask", () => {
  it("leaves a masked seed's parameters unchanged while the other seed updates normally", () => {
    const alive = tf.tensor1d([true, false], "bool");
    const spec: OptimizerSpec = { kind: "adam", lr: 0.05 };
    const out = runOptimizer(spec, constantLr(0.05, 5), alive);
    expectClose([out[0]!], [simulate(spec, constantLr(0.05, 5))[0]!]);
    expect(out[1]).toEqual(theta0[1]!.map((v) => Math.fround(v)));
  });
});

describe("memory", () => {
  it("an Adam step allocates no lasting tensors", () => {
    const theta = tf.variable(tf.tensor2d(theta0));
    const opt = createOptimizer({ kind: "adam", lr: 0.1 }, [theta]);
    const g = tf.onesLike(theta);
    opt.step([g], 0.1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.step([g], 0.1);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose([theta, g]);
  });
});
