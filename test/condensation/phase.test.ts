/** The phase-diagram helper and regimes against Luo et al.'s formulas; RD and its slope on synthetic trajectories. */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { analysisFunctions } from "../../stdlib/implementations.js";
import { ensureGradients } from "../../runtime/backend.js";
import { phaseScales } from "../../runtime/init.js";
import { convergenceStep, predictedRegime, slopeRegime } from "../../stdlib/condensation/analyses.js";
import { evaluate, fitPowerLaw, type Table } from "../../runtime/analysis/index.js";
import { mlp } from "../../runtime/nn/index.js";
import { startProbe } from "../../stdlib/probes/index.js";
import { context, envFor } from "./helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

describe("phase helper", () => {
  it("chooses α, β₁, β₂ with β₁β₂/α = m^−γ and β₁/β₂ = m^−γ'", () => {
    for (const [g, gp, m] of [[0.5, 0, 1000], [1.75, 0, 1000], [1, 0.5, 64], [2, -0.5, 10]] as const) {
      const { alpha, beta1, beta2 } = phaseScales(g, gp, m);
      expect(alpha).toBeCloseTo(m ** g, 6);
      expect(Math.log((beta1 * beta2) / alpha) / Math.log(m)).toBeCloseTo(-g, 10);
      expect(Math.log(beta1 / beta2) / Math.log(m)).toBeCloseTo(-gp, 10);
    }
    const notes = phaseScales(1.75, 0, 1000); // the notes' β₁ = β₂ = 1
    expect(notes.beta1).toBeCloseTo(1, 12);
    expect(notes.beta2).toBeCloseTo(1, 12);
  });

  it("classifies the named points and the boundaries", () => {
    expect(predictedRegime(0.5, 0)).toBe(-1); // NTK
    expect(predictedRegime(0.5, 0.5)).toBe(-1); // LeCun / He
    expect(predictedRegime(1, 0)).toBe(0); // Xavier / mean field
    expect(predictedRegime(1, -1)).toBe(0); // γ = 1, γ' ≤ 0
    expect(predictedRegime(1, 0.2)).toBe(-1); // γ' > γ − 1
    expect(predictedRegime(2, 1)).toBe(0); // γ' = γ − 1
    expect(predictedRegime(1.75, 0)).toBe(1);
    expect(predictedRegime(1.75, 0.8)).toBe(-1);
  });
});

describe("relative change RD and its slope", () => {
  // Synthetic trajectories: θ(t) = θ(0)·(1 + c·m^p) has RD = c·m^p exactly; fit_power_law must recover p.
  for (const p of [-0.5, 0, 0.75]) {
    it(`recovers the slope ${p} of log RD vs log m`, () => {
      const points = [16, 64, 256].map((m) => {
        const net = mlp({ inDim: 1, hidden: [m], outDim: 1, seeds: [3, 4] });
        const env = envFor(net);
        const args = { model: { ref: "net" }, layer: 0, bias: true };
        const probe = startProbe("relative_change", args, env);
        const start = probe.measure(context(2, 0)) as Float64Array;
        expect([...start]).toEqual([0, 0]);
        const factor = 0.2 * m ** p;
        for (const name of ["hidden0.weight", "hidden0.bias"]) {
          const v = net.params.find((q) => q.name === name)!.variable;
          v.assign(tf.mul(v, 1 + factor));
        }
        const rd = probe.measure(context(2, 100)) as Float64Array;
        expect(rd[0]).toBeCloseTo(factor, 5);
        expect(rd[1]).toBeCloseTo(factor, 5);
        net.dispose();
        return { x: m, y: rd[0]! };
      });
      const fit = fitPowerLaw(points, "rd");
      expect(fit.exponent).toBeCloseTo(p, 4);
      expect(slopeRegime(fit.exponent, 0.1)).toBe(Math.sign(p));
    });
  }

  it("keeps θ(0) from its setup, so it needs no measurement at step 0", () => {
    const net = mlp({ inDim: 2, hidden: [8], outDim: 1, seeds: [5] });
    const w = net.params.find((q) => q.name === "hidden0.weight")!.variable;
    const w0 = w.dataSync().slice();
    const probe = startProbe("relative_change", { model: { ref: "net" }, layer: 0, bias: false }, envFor(net));
    w.assign(tf.add(w, 0.1));
    const rd = probe.measure(context(1, 50)) as Float64Array;
    const expected = Math.sqrt(w0.length * 0.01) / Math.hypot(...w0);
    expect(rd[0]).toBeCloseTo(expected, 5);
    net.dispose();
  });
});

describe("convergence_step and phase_regime analyses", () => {
  const series: Table = {
    dims: ["seeds", "steps", "frequency"],
    rows: [0, 100, 200, 300].flatMap((step) => [0, 1].map((f) => ({ key: { seeds: 0, steps: step, frequency: f }, value: f === 0 ? 1 / (1 + step / 50) : 1 - step / 1000 }))),
  };

  it("is the first step at or below the threshold, NaN if never", () => {
    const t = convergenceStep(series, 0.3);
    expect(t.dims).toEqual(["seeds", "frequency"]);
    expect(t.rows.find((r) => r.key["frequency"] === 0)!.value).toBe(200); // 1/(1+4) = 0.2
    expect(Number.isNaN(t.rows.find((r) => r.key["frequency"] === 1)!.value as number)).toBe(true);
  });

  it("phase_regime reads γ and γ' from each row's sweep values", () => {
    const env = { probe: () => ({ dims: ["gamma", "width"], rows: [0.5, 1, 1.75].map((g) => ({ key: { gamma: g, width: 10 }, value: 1 })) }), functions: analysisFunctions } as never;
    const t = evaluate({ op: "fn", name: "phase_regime", args: [{ op: "probe", name: "x" }], options: { gamma: "gamma", gamma_prime: "gamma_prime" }, over: [] }, env);
    expect(t.rows.map((r) => r.value)).toEqual([-1, 0, 1]);
  });
});
