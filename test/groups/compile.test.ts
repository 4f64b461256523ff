/**
 * Groups in a .dyn file, from source to results: `train[0..3]` and `random_subset(train, 4)` lower to data
 * references with their rows; the generated program runs on the cpu backend and records `per_sample_loss`
 * every step as one stacked array per seed whose row means equal the `loss` probe (a forward pass of its
 * own, so this checks the full-batch reuse in a real run); per-layer group gradient norms square-sum to the
 * total; `mean(diff(psl) > 0) over point` and a top-k group's loss evaluate.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import type { ExperimentProgram, PlanTemplate } from "../../contract/program.js";
import { readNpy } from "../../runtime/npy.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-groups-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SOURCE = `experiment groups_tiny {
  seeds 2
  data train = chebyshev(degree: 3, n: 12)
  model net = mlp(hidden: [8], act: tanh)
  loss half_mse
  optimizer gd(lr: 0.3)
  train 20 steps, batch full
  probe psl = per_sample_loss(net, train) every step
  probe whole = loss(net, train) every step
  probe g_layers = grad_norm(net, train[0..3], by: layer) every 5 steps
  probe g_total = grad_norm(net, train[0..3]) every 5 steps
  probe g_random = grad_norm(net, random_subset(train, 4, seed: 2)) every 5 steps

  let rising = mean(diff(psl) > 0) over point
  let up = top_k(last(diff(psl) before 11 steps), k: 3) over point
  let up_loss = (sum(psl * up) over point) / 3
  expect max(rising) over (seeds, steps) <= 1
  expect min(up_loss) over (seeds, steps) >= 0
}
`;

describe("groups in a .dyn file", () => {
  it("lower to rows, run, and record per-sample losses as one array per seed", async () => {
    const file = join(scratch, "groups.dyn");
    writeFileSync(file, SOURCE);
    const result = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
    if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
    const modulePath = join(scratch, "program.mjs");
    writeFileSync(modulePath, result.js);
    const { experiments } = (await import(pathToFileURL(modulePath).href)) as { experiments: readonly ExperimentProgram[] };
    const probes = (experiments[0]!.profiles["default"] as PlanTemplate).base.probes;
    expect(probes.find((p) => p.name === "g_total")!.args["data"]).toEqual({ ref: "train", rows: [0, 1, 2, 3] });
    expect(probes.find((p) => p.name === "g_random")!.args["data"]).toEqual({ ref: "train", random: { n: 4, seed: 2 } });

    const { runMain } = await import("../../runner/index.js");
    const out = join(scratch, "run");
    expect(await runMain(experiments[0]!, ["--backend", "cpu", "--out", out, "--quiet"])).toBe(0);
    const metrics = readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
    const value = (probe: string, seed: number, step: number) => Number(metrics.find((r) => r[4] === probe && r[1] === String(seed) && r[2] === String(step))![5]);
    for (const seed of [0, 1]) {
      const { data, shape } = readNpy(join(out, `tensors/psl/run/seed${seed}.npy`));
      expect(shape).toEqual([21, 12]);
      expect(Array.from(readNpy(join(out, `tensors/psl/run/seed${seed}_steps.npy`)).data)).toEqual([...Array(21).keys()]);
      for (let t = 0; t <= 20; t++) {
        const mean = Array.from(data.subarray(12 * t, 12 * t + 12)).reduce((a, b) => a + b, 0) / 12;
        expect(mean / value("whole", seed, t) - 1).toBeCloseTo(0, 5);
      }
      // per layer, stacked like every per-unit probe: one row per measurement, its step beside it
      const perLayer = readNpy(join(out, `tensors/g_layers/run/seed${seed}.npy`));
      const layerSteps = Array.from(readNpy(join(out, `tensors/g_layers/run/seed${seed}_steps.npy`)).data);
      expect(perLayer.shape).toEqual([layerSteps.length, 2]);
      for (const t of [0, 5, 10]) {
        const row = layerSteps.indexOf(t);
        const layers = [0, 1].map((k) => Number(perLayer.data[2 * row + k]));
        expect(Math.hypot(...layers) / value("g_total", seed, t) - 1).toBeCloseTo(0, 6);
      }
    }
  }, 120_000);
});
