import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { runExperiment } from "../../runner/index.js";
import { captureStream, metricsRows, regressionProgram, regressionRun, SEEDS, STEPS } from "./experiment-fixture.js";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "dync-experiment-wasm-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("runExperiment on the wasm backend", () => {
  it("trains, records and frees its tensors as on cpu", async () => {
    const program = regressionProgram([4, 8].map((w) => regressionRun(w)));
    const stdout = captureStream();
    const first = await runExperiment(program, { backend: "wasm", outDir: join(root, "a"), quiet: true, stdout, stderr: captureStream() });
    expect(tf.getBackend()).toBe("wasm");
    expect(first.exitCode).toBe(0);
    const manifest = JSON.parse(readFileSync(join(first.dir, "manifest.json"), "utf8")) as {
      backend: { name: string; matmul: { path: string; gemm?: string; core?: string; threads?: number; reason?: string }; fusedStep?: { path: string; reason?: string }; reorth: { path: string; reason?: string } };
      runs: { status: string }[];
    };
    expect(manifest.backend.name).toBe("wasm");
    // The line and the manifest say which path served the matrix products: OpenBLAS (dync's native addon, when
    // built: test/runtime/native-matmul.test.ts) or the wasm path, with the reason; and which kernels reorthogonalise
    // Lanczos (native where the products are, with dync_lanczos.node; else dync's wasm kernels; why not native if it is missing).
    const { matmul, reorth } = manifest.backend;
    const lanczos = `, Lanczos reorth ${reorth.path}${reorth.reason ? ` (${reorth.reason})` : ""}`;
    expect(reorth.path).toBe(matmul.path === "native" && reorth.reason === undefined ? "native" : "wasm");
    const line = stdout.text().split("\n")[0]!;
    expect(line).toMatch(/^backend: wasm( \+ (onednn|openblas))? — @tensorflow\/tfjs-backend-wasm 4\.22\.0 \(simd (on|off), threads off, dync kernels on, matmul /);
    if (matmul.path === "native") {
      expect(line.startsWith(`backend: wasm + ${matmul.gemm} — `)).toBe(true);
      expect(line.endsWith(`, matmul ${matmul.gemm} ${matmul.core} ${matmul.threads} thread${matmul.threads === 1 ? "" : "s"}, fused MLP step native${lanczos})`)).toBe(true);
      expect(manifest.backend.fusedStep).toEqual({ path: "native" });
    } else {
      expect(matmul.path).toBe("wasm");
      expect(line.startsWith("backend: wasm — ")).toBe(true);
      expect(line.endsWith(`, matmul wasm: ${matmul.reason}${lanczos})`)).toBe(true);
    }
    expect(manifest.runs.map((r) => r.status)).toEqual(["ok", "ok"]);
    expect(metricsRows(first.dir).map((r) => r["value"])).toEqual(first.results.rows.map((r) => r.value));
    const loss = (step: number) => first.results.rows.filter((r) => r.probe === "final_loss" && r.step === step).map((r) => r.value);
    expect(loss(STEPS).every((end, k) => end < loss(0)[k]!)).toBe(true);
    expect(loss(0)).toHaveLength(2 * SEEDS.length);

    const before = tf.memory().numTensors;
    const second = await runExperiment(program, { backend: "wasm", outDir: join(root, "b"), quiet: true, stdout: captureStream(), stderr: captureStream() });
    expect(tf.memory().numTensors).toBe(before);
    // Same seeds, same backend: the same numbers.
    expect(second.results.rows.map((r) => r.value)).toEqual(first.results.rows.map((r) => r.value));
  });
});
