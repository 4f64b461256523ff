/**
 * `probe sharp = sharpness(net, train) every 10 steps` (and hessian, hessian_trace, hessian_density with their
 * knobs) from source to results: the compiler accepts it
 * (checked and type-checked generated code), and the generated program runs it on the cpu backend,
 * recording one positive value per seed at steps 0, 10, 20 and 30 (its numbers are tested against
 * dense Hessians in test/curvature/hessian.test.ts); the knobs pass through the compiler.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { readNpy } from "../../runtime/npy.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-sharpness-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SOURCE = `experiment sharp_tiny {
  seeds 2
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  model net = mlp(hidden: [8, 8], act: tanh)
  loss half_mse
  optimizer gd(lr: 0.1)
  train 30 steps, batch full
  probe sharp = sharpness(net, train) every 10 steps
  probe quick_sharp = sharpness(net, train, iters: 5, tol: 0, samples: 16, batch: 8) at end
  probe top = hessian(net, train, k: 3, method: lanczos, subset: random, samples: 24) every 15 steps
  probe tr = hessian_trace(net, train, vectors: 5, tol: 0) at end
  probe dens = hessian_density(net, train, steps: 6, bn: running, hvp: difference) at end
}
`;

describe("sharpness in a .dyn file", () => {
  it("compiles, type-checks and runs, one value per seed every 10 steps", async () => {
    const file = join(scratch, "sharp.dyn");
    writeFileSync(file, SOURCE);
    const checked = await compileFile(file, { typeCheck: true });
    if (!checked.ok) throw new Error(checked.diagnostics.map((d) => d.message).join("\n"));
    expect(checked.typeProblems).toEqual([]);
    expect(checked.ts).toContain('"sharpness"');
    // The same program, importing the runtime's sources (what `dync run` does with the built runtime).
    const result = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
    if (!result.ok) throw new Error("second compile failed");
    const modulePath = join(scratch, "program.mjs");
    writeFileSync(modulePath, result.js);
    const { experiments } = (await import(pathToFileURL(modulePath).href)) as { experiments: readonly ExperimentProgram[] };
    const { runMain } = await import("../../runner/index.js");
    const out = join(scratch, "run");
    const status = await runMain(experiments[0]!, ["--backend", "cpu", "--out", out, "--quiet"]);
    expect(status).toBe(0);
    const rows = readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n");
    const header = rows[0]!.split(",");
    const records = rows.slice(1).map((line) => Object.fromEntries(line.split(",").map((v, i) => [header[i]!, v])));
    const sharp = records.filter((r) => r["probe"] === "sharp");
    // steps 0, 10, 20, 30 (= end) for 2 seeds
    expect(sharp.map((r) => Number(r["step"])).sort((a, b) => a - b)).toEqual([0, 0, 10, 10, 20, 20, 30, 30]);
    for (const r of sharp) expect(Number(r["value"])).toBeGreaterThan(0);
    const quick = records.filter((r) => r["probe"] === "quick_sharp");
    expect(quick).toHaveLength(2);
    for (const r of quick) expect(Number(r["value"])).toBeGreaterThan(0);
    const trace = records.filter((r) => r["probe"] === "tr");
    expect(trace).toHaveLength(2);
    for (const r of trace) expect(Number(r["value"])).toBeGreaterThan(0);
    expect(records.filter((r) => r["probe"] === "tr.stderr")).toHaveLength(2);
    // The top-k eigenvalues and the density's nodes and weights are per-index values, written as .npy (a folder per probe field).
    const tensors = readdirSync(join(out, "tensors"));
    expect(tensors.sort()).toEqual(["dens", "dens.weight", "top"]);
    // A per-unit probe is stacked: one [measurements, k] array per seed, with its steps 0, 15, 30 beside it.
    const [run] = readdirSync(join(out, "tensors", "top"));
    const dir = join(out, "tensors", "top", run!);
    expect(readdirSync(dir).filter((f) => f.endsWith(".npy")).sort()).toEqual(["seed0.npy", "seed0_steps.npy", "seed1.npy", "seed1_steps.npy"]);
    for (const seed of [0, 1]) {
      expect(readNpy(join(dir, `seed${seed}.npy`)).shape).toEqual([3, 3]);
      expect(Array.from(readNpy(join(dir, `seed${seed}_steps.npy`)).data)).toEqual([0, 15, 30]);
    }
  }, 120_000);
});
