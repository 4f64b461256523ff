/**
 * `dync report` over a run directory with bad .npy files: a truncated stacked array and one holding a
 * vector where a per-unit probe stacked rows of vectors are each named once in a warning and in report.html
 * (however many rows they hold), their values are left out (both are seed 0's, so the scatter of
 * 4 neurons × 2 seeds × 2 snapshots draws 16 − 8 points), and every plot is still drawn; before, the first
 * bad file failed the whole report with RUN011.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { reportCommand } from "../../cli/commands/report.js";
import { compileFile } from "../../compiler/compile.js";
import type { ExperimentProgram } from "../../contract/program.js";
import { writeNpy } from "../../runtime/npy.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-corrupt-npy-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SOURCE = `experiment c {
  seeds 2
  data train { x ~ uniform(-1, 1) [16]; y = x^2 }
  model net = mlp(hidden: [4], act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train 10 steps, batch full
  probe feats = neuron_features(net) at [start, end]
  probe l = loss(net, train) every 5 steps
  plot scatter(feats.angle, feats.amplitude, color: steps)
  plot line(l)
}
`;

describe("dync report with corrupt .npy files", () => {
  it("names each bad file, leaves its values out and draws every plot", async () => {
    const file = join(scratch, "c.dyn");
    writeFileSync(file, SOURCE);
    const compiled = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
    if (!compiled.ok) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
    writeFileSync(join(scratch, "c.mjs"), compiled.js);
    const { experiments } = (await import(pathToFileURL(join(scratch, "c.mjs")).href)) as { experiments: readonly ExperimentProgram[] };
    const { runMain } = await import("../../runner/index.js");
    const out = join(scratch, "out");
    expect(await runMain(experiments[0]!, ["--backend", "cpu", "--out", out, "--quiet", "--jobs", "1"])).toBe(0);
    const points = (svg: string) => svg.match(/aria-roledescription="point"/g)?.length ?? 0;
    expect(points(readFileSync(join(out, "plots", "01-scatter-feats-amplitude.svg"), "utf8"))).toBe(16);

    const truncated = "tensors/feats.amplitude/run/seed0.npy";
    const vector = "tensors/feats.angle/run/seed0.npy";
    writeFileSync(join(out, truncated), readFileSync(join(out, truncated)).subarray(0, 20));
    writeNpy(join(out, vector), Float32Array.from([1, 2, 3, 4]), [4]);

    const printed: string[] = [];
    const warnings: string[] = [];
    const output = { format: "text", color: false, write: (t: string) => printed.push(t) };
    expect(await reportCommand(out, output as never, (t) => warnings.push(t))).toBe(0);
    expect(printed.join("")).toContain("(2 of 2 plots drawn)");
    expect(warnings).toHaveLength(2);
    warnings.sort((a, b) => Number(a.includes("feats.angle")) - Number(b.includes("feats.angle"))); // amplitude's first
    expect(warnings[0]).toMatch(new RegExp(`^warning: RUN011: .*${truncated.replaceAll(".", "\\.")}: truncated header — the values of feats\\.amplitude in ${truncated.replaceAll(".", "\\.")} are left out`));
    expect(warnings[1]).toMatch(/^warning: RUN011: tensors\/feats\.angle\/run\/seed0\.npy holds shape \(4\); per-unit probe "feats\.angle" has a row 0 there/);
    expect(readdirSync(join(out, "plots")).sort()).toEqual([".drawn.json", "01-scatter-feats-amplitude.png", "01-scatter-feats-amplitude.svg", "02-line-l.png", "02-line-l.svg"]);
    // Seed 0 lost its amplitudes and its angles at both snapshots: 2 × 4 points fewer.
    expect(points(readFileSync(join(out, "plots", "01-scatter-feats-amplitude.svg"), "utf8"))).toBe(8);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("2 recorded files could not be read; the plots and analyses below leave their values out:");
    expect(html).toContain(`the values of feats.amplitude in ${truncated} are left out`);
  }, 120_000);
});
