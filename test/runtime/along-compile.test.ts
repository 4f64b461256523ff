/**
 * The probes along an eigenvector in a .dyn file, from source to results: `sharpness` measured once (at step
 * 0) fixes v on the run's board; `curvature` along it at step 0 (declared after it) is its eigenvalue;
 * the same curvature on the group train[0..7] equals it on the abridged subset of the first 8 rows;
 * `project` and `step_along` every step agree with each other (|project_t − project_{t−1}| = step_along_t for
 * a fixed v); `eigen_share` is per layer (.npy) and its shares sum to 1. The generated code type-checks.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import type { ExperimentProgram } from "../../contract/program.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-along-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SOURCE = `experiment along_tiny {
  seeds 2
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  model net = mlp(hidden: [8], act: tanh)
  loss half_mse
  optimizer gd(lr: 0.2)
  train 6 steps, batch full
  probe sharp = sharpness(net, train, tol: 1e-6, iters: 200) at 0
  probe c = curvature(net, train, along: sharp) at 0
  probe c_group = curvature(net, train[0..7], along: sharp) at 0
  probe c_first = curvature(net, train, along: sharp, samples: 8, subset: first) at 0
  probe share = eigen_share(net, along: sharp) at [0, end]
  probe p = project(net, along: sharp) every 1 steps
  probe st = step_along(net, along: sharp) every 1 steps
}
`;

describe("probes along an eigenvector in a .dyn file", () => {
  it("compile, type-check and run; the values agree with each other", async () => {
    const file = join(scratch, "along.dyn");
    writeFileSync(file, SOURCE);
    const checked = await compileFile(file, { typeCheck: true });
    if (!checked.ok) throw new Error(checked.diagnostics.map((d) => d.message).join("\n"));
    expect(checked.typeProblems).toEqual([]);
    const result = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
    if (!result.ok) throw new Error("second compile failed");
    const modulePath = join(scratch, "program.mjs");
    writeFileSync(modulePath, result.js);
    const { experiments } = (await import(pathToFileURL(modulePath).href)) as { experiments: readonly ExperimentProgram[] };
    const { runMain } = await import("../../runner/index.js");
    const out = join(scratch, "run");
    expect(await runMain(experiments[0]!, ["--backend", "cpu", "--out", out, "--quiet"])).toBe(0);
    const rows = readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n");
    const header = rows[0]!.split(",");
    const records = rows.slice(1).map((line) => Object.fromEntries(line.split(",").map((v, i) => [header[i]!, v])));
    const value = (probe: string, seed: string, step: number) => {
      const r = records.find((x) => x["probe"] === probe && x["seed"] === seed && Number(x["step"]) === step);
      return r ? Number(r["value"]) : undefined;
    };
    const seeds = [...new Set(records.filter((r) => r["probe"] === "sharp").map((r) => r["seed"]!))];
    expect(seeds).toHaveLength(2);
    for (const seed of seeds) {
      const lambda = value("sharp", seed, 0)!;
      expect(Math.abs(value("c", seed, 0)! - lambda) / lambda).toBeLessThan(1e-4);
      // The group train[0..7] and the abridged subset of the first 8 rows are the same rows.
      expect(Math.abs(value("c_group", seed, 0)! - value("c_first", seed, 0)!)).toBeLessThan(1e-5 * Math.abs(value("c_first", seed, 0)!));
      expect(Math.abs(value("c_group", seed, 0)! - lambda)).toBeGreaterThan(1e-3 * lambda);
      expect(value("st", seed, 0) ?? NaN).toBeNaN();
      for (let t = 1; t <= 6; t++) {
        const moved = Math.abs(value("p", seed, t)! - value("p", seed, t - 1)!);
        expect(value("st", seed, t)!).toBeGreaterThan(0);
        expect(Math.abs(value("st", seed, t)! - moved)).toBeLessThan(1e-5 * (1 + moved));
      }
    }
    expect(readdirSync(join(out, "tensors"))).toEqual(["share"]);
  }, 120_000);
});
