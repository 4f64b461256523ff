/**
 * The native Hessian-vector product of plain dense MLPs (native/dync_hvp.c via runtime/kernels/native-hvp.ts,
 * served by stdlib/curvature/operator.ts). Checked here, for every activation, bias on and off, every loss
 * (cross-entropy with label smoothing), several seeds, an output scale and input encodings:
 *  - against float64 central differences of a float64 gradient written out in JS (independent of tfjs and of
 *    the C code: the activations' derivatives below are the textbook ones, the Hessian comes from differencing);
 *  - against the taped product (nested tf.grad / the recorded gradient) at float32 tolerance;
 *  - several physical batches, with the state kept and recomputed per product, equal one batch;
 *  - the models outside the family (dropout, layer norm, convolutions) and the native path off take the tape
 *    and say so (`HessianOperator.path`); eigenvalues agree on both paths. Batch norm: ./rop-hvp-bn.test.ts.
 *
 * Needs the native addons (`npm run native`); skipped without them, except under CI=true.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EncodingSpec } from "../../contract/model-specs.js";
import type { Model } from "../../contract/model.js";
import type { LayerSpec } from "../../contract/program.js";
import { selectBackend } from "../../runtime/backend.js";
import { setNativeMatMulEnabled } from "../../runtime/kernels/native.js";
import { ACTIVATIONS, compare as compareOn, dataset, EXACT, listNet, LOSSES, operator, products, relative, SMOOTHED } from "./hvp-reference.js";
import { nativeHvpActive, nativeHvpUnavailableReason, setNativeHvpEnabled, setNativeHvpStateBudget, setRopHvpEnabled } from "../../runtime/kernels/native-hvp.js";
import { lossName, type LossKind } from "../../runtime/loss.js";
import { mlp } from "../../runtime/nn/mlp.js";
import { sequential } from "../../runtime/nn/sequential.js";
import { hessianEigenpairs, predictedHvpPath, type HvpOptions } from "../../stdlib/curvature/index.js";
import { EvalData } from "../../stdlib/probes/index.js";
import { runExperiment } from "../../runner/index.js";
import { checkResumeBackend } from "../../runner/resume.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import type { Manifest } from "../../runtime/record/index.js";
import type { ProbeSpec } from "../../contract/program.js";
import { captureStream, regressionProgram, regressionRun } from "../runtime/experiment-fixture.js";

await selectBackend("wasm");
const available = nativeHvpActive();
const inCi = process.env["CI"] === "true";

/** Native products, taped products and the float64 reference on the same directions. */
function compare(model: Model, data: EvalData, loss: LossKind, options: HvpOptions = EXACT): { native: Float64Array[][]; taped: Float64Array[][]; reference: Float64Array[][] } {
  const { products: native, taped, reference } = compareOn("native", model, data, loss, options);
  return { native, taped, reference };
}

describe.skipIf(!available && !inCi)(`native Hessian-vector product${available ? "" : ` (skipped: ${nativeHvpUnavailableReason() ?? "native path off"})`}`, () => {
  beforeAll(() => {
    expect(nativeHvpActive()).toBe(true);
  });
  afterEach(() => {
    setNativeHvpEnabled(true);
    setRopHvpEnabled(true);
    setNativeMatMulEnabled(true);
    setNativeHvpStateBudget(0);
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
        const { native, taped, reference } = compare(model, data, loss);
        native.forEach((hv, i) => {
          expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
          expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
        });
        [data, model].forEach((x) => x.dispose());
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it("several physical batches, the state kept or recomputed per product, equal one batch and the reference", () => {
    const model = listNet("tanh", true, 2);
    const data = new EvalData([dataset(23, 3, 2, true, 3)], 2);
    const one = products(operator(model, data, SMOOTHED), 2);
    const batched = { ...EXACT, batch: 10 };
    const kept = compare(model, data, SMOOTHED, batched);
    setNativeHvpStateBudget(1);
    const op = operator(model, data, SMOOTHED, batched);
    const recomputed = products(op, 2);
    const again = products(op, 2);
    op.dispose();
    recomputed.forEach((hv, i) => {
      expect(relative(hv, one[i]!)).toBeLessThan(1e-5);
      expect(relative(hv, kept.native[i]!)).toBe(0);
      expect(relative(again[i]!, hv)).toBe(0);
      expect(relative(hv, kept.reference[i]!)).toBeLessThan(2e-5);
      expect(relative(hv, kept.taped[i]!)).toBeLessThan(2e-5);
    });
    [data, model].forEach((x) => x.dispose());
  });

  it("input encodings in front, an `mlp(…)` model with an output scale, several outputs", () => {
    const encodings: EncodingSpec[] = [{ kind: "fourier", L: 3, include_input: true }, { kind: "coords", domain: [-2, 2], range: [-1, 1] }];
    for (const encode of encodings) {
      const model = listNet("silu", true, 2, { encode, inDim: 2, outDim: 3 });
      const data = new EvalData([dataset(17, 2, 3, false, 8)], 2);
      const { native, taped, reference } = compare(model, data, "half_sse");
      native.forEach((hv, i) => {
        expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
        expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
      });
      [data, model].forEach((x) => x.dispose());
    }
    const net = mlp({ inDim: 2, hidden: [9, 6], outDim: 2, act: "gelu", encode: { kind: "fourier", L: 2 }, outputScale: 2, seeds: [4, 9] });
    const data = new EvalData([dataset(15, 2, 2, false, 9)], 2);
    const { native, taped, reference } = compare(net, data, "mse");
    native.forEach((hv, i) => {
      expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
      expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
    });
    [data, net].forEach((x) => x.dispose());
  });

  it("a layer list with separate activation layers and a final `scale`", () => {
    const layers: LayerSpec[] = [
      { name: "h0", kind: "dense", width: 6, act: null, bias: false },
      { name: "a0", kind: "activation", act: "softplus" },
      { name: "h1", kind: "dense", width: 4, act: "sigmoid", bias: true },
      { name: "out", kind: "dense", width: 3, act: null, bias: true },
      { name: "s", kind: "scale", factor: 3 },
    ];
    const model = sequential({ inShape: [2], layers, seeds: [3, 5] });
    expect(model.denseMlpPlan()!.scale).toBe(3);
    const data = new EvalData([dataset(14, 2, 3, true, 12)], 2);
    const { native, taped, reference } = compare(model, data, "cross_entropy");
    native.forEach((hv, i) => {
      expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
      expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
    });
    [data, model].forEach((x) => x.dispose());
  });

  it("one dense layer: softmax regression with large logits, and linear least squares", () => {
    for (const [loss, classification] of [["cross_entropy", true], ["half_sse", false]] as const) {
      const model = sequential({ inShape: [4], layers: [{ name: "out", kind: "dense", width: 3, act: null, bias: true }], seeds: [2] });
      const weight = model.params[0]!.variable;
      tf.tidy(() => weight.assign(tf.mul(weight, 8)));
      const data = new EvalData([dataset(11, 4, 3, classification, 13)], 1);
      const { native, taped, reference } = compare(model, data, loss);
      native.forEach((hv, i) => {
        expect(relative(hv, reference[i]!)).toBeLessThan(2e-5);
        expect(relative(hv, taped[i]!)).toBeLessThan(2e-5);
      });
      [data, model].forEach((x) => x.dispose());
    }
  });

  it("models outside the family and the native path switched off take the tape, and say so", () => {
    const data = new EvalData([dataset(12, 4, 1, false, 2)], 1);
    const layers = (extra: LayerSpec[]): LayerSpec[] => [{ name: "h0", kind: "dense", width: 5, act: null, bias: true }, ...extra, { name: "out", kind: "dense", width: 1, act: null, bias: true }];
    // Batch norm after a dense layer is in the family (./rop-hvp-bn.test.ts checks its numbers on both R-operators).
    const withNorm: Model[] = [
      sequential({ inShape: [4], layers: layers([{ name: "bn", kind: "batchnorm" }, { name: "a", kind: "activation", act: "tanh" }]), seeds: [1] }),
      mlp({ inDim: 4, hidden: [5], outDim: 1, act: "tanh", norm: "batchnorm", seeds: [1] }),
    ];
    for (const model of withNorm) {
      expect(model.denseMlpPlan?.()?.layers[0]!.norm).toBeDefined();
      const op = operator(model, data, "half_mse");
      expect(op.path).toBe("native");
      // --resume's prediction (before any rows) agrees with the path the operator took
      expect(predictedHvpPath(model, "half_mse", "exact")).toEqual({ path: "native", rOperator: true });
      op.dispose();
      model.dispose();
    }
    const outside: Model[] = [
      sequential({ inShape: [4], layers: layers([{ name: "a", kind: "activation", act: "tanh" }, { name: "drop", kind: "dropout", p: 0.2 }]), seeds: [1] }),
      sequential({ inShape: [4], layers: layers([{ name: "ln", kind: "layernorm" }]), seeds: [1] }),
      sequential({ inShape: [2, 2, 1], layers: [{ name: "c", kind: "conv", filters: 2, kernel: 2, stride: 1, padding: "valid", act: "tanh", bias: true }, { name: "f", kind: "flatten" }, { name: "out", kind: "dense", width: 1, act: null, bias: true }], seeds: [1] }),
      mlp({ inDim: 4, hidden: [5], outDim: 1, act: "tanh", norm: "batchnorm", dropout: 0.1, seeds: [1] }),
      mlp({ inDim: 4, hidden: [5], outDim: 1, act: "tanh", dropout: 0.1, seeds: [1] }),
    ];
    for (const model of outside) {
      expect(model.denseMlpPlan?.()).toBeUndefined();
      const op = operator(model, data, "half_mse");
      expect(op.path).toBe("taped");
      expect(predictedHvpPath(model, "half_mse", "exact")).toEqual({ path: "taped", rOperator: false });
      expect(products(op, 1)[0]![0]!.some((v) => v !== 0)).toBe(true);
      op.dispose();
      model.dispose();
    }
    const plain = listNet("tanh", true, 1, { inDim: 4, outDim: 1 });
    setNativeMatMulEnabled(false);
    expect(operator(plain, data, "half_mse").path).toBe("rop");
    expect(predictedHvpPath(plain, "half_mse", "exact")).toEqual({ path: "rop", rOperator: true });
    setRopHvpEnabled(false);
    expect(operator(plain, data, "half_mse").path).toBe("taped");
    expect(predictedHvpPath(plain, "half_mse", "exact")).toEqual({ path: "taped", rOperator: true });
    setRopHvpEnabled(true);
    setNativeMatMulEnabled(true);
    expect(operator(plain, data, "half_mse", { ...EXACT, hvp: "difference" }).path).toBe("difference");
    expect(predictedHvpPath(plain, "half_mse", "difference")).toEqual({ path: "difference", rOperator: false });
    expect(operator(plain, data, "half_mse").path).toBe("native");
    expect(predictedHvpPath(plain, "half_mse", "exact")).toEqual({ path: "native", rOperator: true });
    [data, plain].forEach((x) => x.dispose());
  });

  describe("the record", () => {
    const root = mkdtempSync(join(tmpdir(), "dync-native-hvp-"));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const sharp: ProbeSpec = { name: "sharp", probe: "sharpness", args: { model: { ref: "net" }, data: { ref: "train" }, iters: 6, tol: 0 }, cadences: [{ kind: "at", points: ["start", "end"] }], line: 13 };
    const run = async (dir: string, norm: "none" | "batchnorm" = "none") => {
      const base = regressionRun(6, { kind: "sgd", lr: 0.05 }, { probes: [sharp], duration: { steps: 3 } });
      const program = regressionProgram([{ ...base, model: { ...base.model, act: "tanh", norm } as typeof base.model }]);
      const result = await runExperiment(program, { backend: "wasm", outDir: join(root, dir), quiet: true, stdout: captureStream(), stderr: captureStream() });
      expect(result.exitCode).toBe(0);
      const manifest = JSON.parse(readFileSync(join(result.dir, "manifest.json"), "utf8")) as { backend: { hvp?: unknown }; runs: { hvp?: unknown }[] };
      return { manifest, values: result.results.rows.filter((r) => r.probe === "sharp").map((r) => r.value as number) };
    };

    it("each run records how many products each path served (runs[].hvp), the backend which one serves plain MLPs", async () => {
      const native = await run("native");
      expect(native.manifest.backend.hvp).toEqual({ path: "native" });
      expect(native.manifest.runs[0]!.hvp).toEqual({ native: 2 * 6 });
      setNativeHvpEnabled(false);
      const rop = await run("rop");
      expect(rop.manifest.backend.hvp).toMatchObject({ path: "rop" });
      expect(rop.manifest.runs[0]!.hvp).toEqual({ rop: 2 * 6 });
      setRopHvpEnabled(false);
      const taped = await run("taped");
      expect(taped.manifest.runs[0]!.hvp).toEqual({ taped: 2 * 6 });
      native.values.forEach((v, i) => expect(Math.abs(v / taped.values[i]! - 1)).toBeLessThan(1e-4));
      native.values.forEach((v, i) => expect(Math.abs(v / rop.values[i]! - 1)).toBeLessThan(1e-4));
      setNativeHvpEnabled(true);
      setRopHvpEnabled(true);
      const norm = await run("batchnorm", "batchnorm");
      expect(norm.manifest.runs[0]!.hvp).toEqual({ native: 2 * 6 });
    });
  });

  it("the top eigenvalues agree on both paths (Lanczos, 2 seeds)", () => {
    const model = listNet("tanh", true, 2, { outDim: 1 });
    const data = new EvalData([dataset(40, 3, 1, false, 6)], 2);
    const native = hessianEigenpairs(model, data, "half_mse", { k: 3, seeds: [1, 2] });
    setNativeHvpEnabled(false);
    setRopHvpEnabled(false);
    const taped = hessianEigenpairs(model, data, "half_mse", { k: 3, seeds: [1, 2] });
    native.values.forEach((values, s) => values.forEach((v, i) => expect(Math.abs(v / taped.values[s]![i]! - 1)).toBeLessThan(1e-4)));
    [data, model].forEach((x) => x.dispose());
  });
});

describe("resuming a run directory across HVP paths", () => {
  const backend = (hvp: object | undefined, matmul: object = { path: "native", gemm: "onednn", threads: 1 }) => ({ name: "wasm", simd: true, dyncKernels: true, matmul, fusedStep: { path: "native" }, ...(hvp ? { hvp } : {}) });
  const manifest = (hvp: object | undefined, matmul?: object) => ({ backend: backend(hvp, matmul) }) as unknown as Manifest;
  const refusal = (f: () => void): DyncRuntimeError | undefined => {
    try {
      f();
    } catch (error) {
      return error as DyncRuntimeError;
    }
    return undefined;
  };

  it("is refused with RUN031 between the native and the taped product (their float32 sums differ), naming both and how to resume", () => {
    expect(() => checkResumeBackend("d", manifest({ path: "native" }), backend({ path: "taped", reason: "switched off by DYNC_NATIVE_HVP=0" }))).toThrow(DyncRuntimeError);
    expect(() => checkResumeBackend("d", manifest({ path: "native" }), backend({ path: "taped" }))).toThrow(/Hessian-vector products of dense MLPs ran on the native path, this process uses the taped one/);
    const taped = refusal(() => checkResumeBackend("d", manifest({ path: "taped" }), backend({ path: "native" })));
    expect(taped?.code).toBe("RUN031");
    expect(taped?.hint).toBe("resume with DYNC_NATIVE_HVP=0 and DYNC_ROP_HVP=0");
    expect(refusal(() => checkResumeBackend("d", manifest({ path: "rop" }), backend({ path: "native" })))?.hint).toBe("resume with DYNC_NATIVE_HVP=0 and DYNC_ROP_HVP unset");
    expect(() => checkResumeBackend("d", manifest({ path: "native" }), backend({ path: "native" }))).not.toThrow();
    // written before it was recorded: they took the tape (on the native path the kernels' revision refuses them too)
    expect(() => checkResumeBackend("d", manifest(undefined), backend({ path: "native" }))).toThrow(/ran on the taped path, this process uses the native one/);
  });

  it("on the wasm path, between the tfjs R-operator and the tape", () => {
    const wasm = { path: "wasm", reason: "DYNC_NATIVE=0" };
    const rop = { path: "rop", reason: "the native matrix products are off" };
    const taped = refusal(() => checkResumeBackend("d", manifest({ path: "taped" }, wasm), backend(rop, wasm)));
    expect(taped?.code).toBe("RUN031");
    expect(taped?.message).toMatch(/ran on the taped path, this process uses the rop one/);
    expect(taped?.hint).toBe("resume with DYNC_ROP_HVP=0");
    expect(refusal(() => checkResumeBackend("d", manifest({ path: "rop" }, wasm), backend({ path: "taped" }, wasm)))?.hint).toBe("resume with DYNC_ROP_HVP unset");
    expect(() => checkResumeBackend("d", manifest({ path: "rop" }, wasm), backend(rop, wasm))).not.toThrow();
    // written before it was recorded: the tape (the R-operators came later); test/curvature/hvp-resume.test.ts has the rules by the plan
    expect(() => checkResumeBackend("d", manifest(undefined, wasm), backend(rop, wasm))).toThrow(/ran on the taped path, this process uses the rop one/);
    expect(() => checkResumeBackend("d", manifest(undefined, wasm), backend({ path: "taped" }, wasm))).not.toThrow();
  });
});
