/**
 * The Hessian-vector product of plain dense MLPs by the R-operator in tfjs ops (stdlib/curvature/rop-hvp.ts, served
 * by HessianOperator where the native product does not), on the wasm backend with the wasm matrix products (the
 * `DYNC_NATIVE=0` path) and on the cpu backend. Checked, for every activation, bias on and off, every loss
 * (cross-entropy with label smoothing), 1–3 seeds, an output scale and input encodings:
 *  - against float64 central differences of a float64 gradient written out in JS (./hvp-reference.ts);
 *  - against the taped product (the recorded gradient) at float32 tolerance;
 *  - several physical batches, with the state kept and recomputed per product, equal one batch;
 *  - the path is reported (`rop`), `DYNC_ROP_HVP=0`'s switch takes the tape, models outside the family take the tape
 *    (batch norm: ./rop-hvp-bn.test.ts);
 *  - a run records it (`backend.hvp`, `runs[].hvp`) and its sharpness agrees with the tape's;
 *  - no tensor is leaked.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EncodingSpec } from "../../contract/model-specs.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec, ProbeSpec } from "../../contract/program.js";
import { selectBackend } from "../../runtime/backend.js";
import { setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { setNativeHvpEnabled, setRopHvpEnabled } from "../../runtime/kernels/native-hvp.js";
import { lossName, type LossKind } from "../../runtime/loss.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { hessianEigenpairs, type HvpOptions } from "../../stdlib/curvature/index.js";
import { setRopHvpStateBudget } from "../../stdlib/curvature/rop-hvp.js";
import { EvalData } from "../../stdlib/probes/index.js";
import { runExperiment } from "../../runner/index.js";
import { captureStream, regressionProgram, regressionRun } from "../runtime/experiment-fixture.js";
import { ACTIVATIONS, compare, dataset, EXACT, listNet, LOSSES, operator, products, relative, SMOOTHED } from "./hvp-reference.js";

/** Each R-operator product within float32 tolerance of the reference and of the tape. */
function expectClose(model: Model, data: EvalData, loss: LossKind, options: HvpOptions = EXACT): Float64Array[][] {
  const { products: rop, taped, reference } = compare("rop", model, data, loss, options);
  rop.forEach((hv, i) => {
    expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
    expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
  });
  return rop;
}

for (const backend of ["wasm", "cpu"] as const) {
  describe(`R-operator Hessian-vector product in tfjs ops (${backend})`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
      // The wasm matrix products (as DYNC_NATIVE=0), so the native HVP does not serve either.
      setNativeMatMulEnabled(false);
    });
    afterEach(() => {
      setRopHvpEnabled(true);
      setRopHvpStateBudget(0);
    });
    afterAll(() => {
      setNativeMatMulEnabled(true);
      setNativeHvpEnabled(true);
    });

    ACTIVATIONS.forEach((act, a) => {
      const name = typeof act === "string" ? act : act.name;
      it(`${name}: equals float64 differences of the gradient and the taped product (every loss, bias on and off, 1–3 seeds)`, () => {
        const before = tf.memory().numTensors;
        LOSSES.forEach((loss, k) => {
          const bias = (a + k) % 2 === 0;
          const seeds = 1 + ((a + k) % 3);
          const classification = lossName(loss) === "cross_entropy";
          const model = listNet(act, bias, seeds, { scale: k === 2 ? 0.5 : undefined });
          const data = new EvalData([dataset(13 + k, 3, 2, classification, 10 * a + k)], seeds);
          expectClose(model, data, loss);
          [data, model].forEach((x) => x.dispose());
        });
        expect(tf.memory().numTensors).toBe(before);
      });
    });

    it("several physical batches, the state kept or recomputed per product, equal one batch and the reference", () => {
      const before = tf.memory().numTensors;
      const model = listNet("tanh", true, 2);
      const data = new EvalData([dataset(23, 3, 2, true, 3)], 2);
      const single = operator(model, data, SMOOTHED);
      const one = products(single, 2);
      single.dispose();
      const batched = { ...EXACT, batch: 10 };
      const kept = expectClose(model, data, SMOOTHED, batched);
      setRopHvpStateBudget(1);
      const op = operator(model, data, SMOOTHED, batched);
      expect(op.path).toBe("rop");
      const recomputed = products(op, 2);
      const again = products(op, 2);
      op.dispose();
      recomputed.forEach((hv, i) => {
        expect(relative(hv, one[i]!)).toBeLessThan(1e-5);
        expect(relative(hv, kept[i]!)).toBe(0);
        expect(relative(again[i]!, hv)).toBe(0);
      });
      [data, model].forEach((x) => x.dispose());
      expect(tf.memory().numTensors).toBe(before);
    });

    it("input encodings in front, an `mlp(…)` model with an output scale, several outputs", () => {
      const encodings: EncodingSpec[] = [{ kind: "fourier", L: 3, include_input: true }, { kind: "coords", domain: [-2, 2], range: [-1, 1] }];
      for (const encode of encodings) {
        const model = listNet("silu", true, 2, { encode, inDim: 2, outDim: 3 });
        const data = new EvalData([dataset(17, 2, 3, false, 8)], 2);
        expectClose(model, data, "half_sse");
        [data, model].forEach((x) => x.dispose());
      }
      const net = mlp({ inDim: 2, hidden: [9, 6], outDim: 2, act: "gelu", encode: { kind: "fourier", L: 2 }, outputScale: 2, seeds: [4, 9] });
      const data = new EvalData([dataset(15, 2, 2, false, 9)], 2);
      expectClose(net, data, "mse");
      [data, net].forEach((x) => x.dispose());
    });

    it("a layer list with separate activation layers and a final `scale`; one dense layer with large logits", () => {
      const layers: LayerSpec[] = [
        { name: "h0", kind: "dense", width: 6, act: null, bias: false },
        { name: "a0", kind: "activation", act: "softplus" },
        { name: "h1", kind: "dense", width: 4, act: "sigmoid", bias: true },
        { name: "out", kind: "dense", width: 3, act: null, bias: true },
        { name: "s", kind: "scale", factor: 3 },
      ];
      const model = sequential({ inShape: [2], layers, seeds: [3, 5] });
      const data = new EvalData([dataset(14, 2, 3, true, 12)], 2);
      expectClose(model, data, "cross_entropy");
      [data, model].forEach((x) => x.dispose());
      const linear = sequential({ inShape: [4], layers: [{ name: "out", kind: "dense", width: 3, act: null, bias: true }], seeds: [2] });
      const weight = linear.params[0]!.variable;
      tf.tidy(() => weight.assign(tf.mul(weight, 8)));
      const rows = new EvalData([dataset(11, 4, 3, true, 13)], 1);
      expectClose(linear, rows, "cross_entropy");
      [rows, linear].forEach((x) => x.dispose());
    });

    it("models outside the family, `hvp: \"difference\"` and the switch off take other paths, and say so", () => {
      const data = new EvalData([dataset(12, 4, 1, false, 2)], 1);
      const norm = mlp({ inDim: 4, hidden: [5], outDim: 1, act: "tanh", norm: "batchnorm", dropout: 0.1, seeds: [1] });
      expect(operator(norm, data, "half_mse").path).toBe("taped");
      const plain = listNet("tanh", true, 1, { inDim: 4, outDim: 1 });
      expect(operator(plain, data, "half_mse").path).toBe("rop");
      expect(operator(plain, data, "half_mse", { ...EXACT, hvp: "difference" }).path).toBe("difference");
      setRopHvpEnabled(false);
      expect(operator(plain, data, "half_mse").path).toBe("taped");
      [data, plain, norm].forEach((x) => x.dispose());
    });

    it("a run records the path (backend.hvp, runs[].hvp), its sharpness as the tape's", async () => {
      const root = mkdtempSync(join(tmpdir(), "dync-rop-hvp-"));
      const sharp: ProbeSpec = { name: "sharp", probe: "sharpness", args: { model: { ref: "net" }, data: { ref: "train" }, iters: 6, tol: 0 }, cadences: [{ kind: "at", points: ["start", "end"] }], line: 13 };
      const run = async (dir: string) => {
        const base = regressionRun(6, { kind: "sgd", lr: 0.05 }, { probes: [sharp], duration: { steps: 3 } });
        const program = regressionProgram([{ ...base, model: { ...base.model, act: "tanh" } as typeof base.model }]);
        const result = await runExperiment(program, { backend, outDir: join(root, dir), quiet: true, stdout: captureStream(), stderr: captureStream() });
        expect(result.exitCode).toBe(0);
        const manifest = JSON.parse(readFileSync(join(result.dir, "manifest.json"), "utf8")) as { backend: { hvp?: { path: string } }; runs: { hvp?: unknown }[] };
        return { manifest, values: result.results.rows.filter((r) => r.probe === "sharp").map((r) => r.value as number) };
      };
      try {
        const rop = await run("rop");
        expect(rop.manifest.backend.hvp?.path).toBe("rop");
        expect(rop.manifest.runs[0]!.hvp).toEqual({ rop: 2 * 6 });
        setRopHvpEnabled(false);
        const taped = await run("taped");
        expect(taped.manifest.backend.hvp?.path).toBe("taped");
        expect(taped.manifest.runs[0]!.hvp).toEqual({ taped: 2 * 6 });
        rop.values.forEach((v, i) => expect(Math.abs(v / taped.values[i]! - 1)).toBeLessThan(1e-4));
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    it("the top eigenvalues agree with the tape's (Lanczos, 2 seeds)", () => {
      const model = listNet("tanh", true, 2, { outDim: 1 });
      const data = new EvalData([dataset(40, 3, 1, false, 6)], 2);
      const rop = hessianEigenpairs(model, data, "half_mse", { k: 3, seeds: [1, 2] });
      setRopHvpEnabled(false);
      const taped = hessianEigenpairs(model, data, "half_mse", { k: 3, seeds: [1, 2] });
      rop.values.forEach((values, s) => values.forEach((v, i) => expect(Math.abs(v / taped.values[s]![i]! - 1)).toBeLessThan(1e-4)));
      [data, model].forEach((x) => x.dispose());
    });
  });
}
