/**
 * `dync compare A B` on hand-made run directories (the built CLI: `npx tsc -p tsconfig.build.json && node
 * tools/gradient-bundle.mjs` first): settings, let values, expect verdicts and final probe values that
 * differ, with differences computed by hand; JSON and HTML output; RUN010/RUN011 for what is not a run.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".cli-compare-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function dync(...args: string[]) {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: scratch, env: { ...process.env, NO_COLOR: "1" } });
  return { code: p.status, stdout: p.stdout, stderr: p.stderr };
}

interface Side {
  lr: number;
  matmul: string;
  overrides?: string[];
  /** loss of seeds 0 and 1 at steps 0 and 10, per run. */
  loss: Record<string, [number, number, number, number]>;
  alpha: number;
  holds: boolean;
  /** Manifest fields of a run beyond the common ones (its `hvp` counts, `hvpFrom`). */
  runFields?: Record<string, Record<string, unknown>>;
}

/** A run directory as `dync run` writes it, with the numbers given. */
function runDir(name: string, side: Side): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const runs = ["width=4", "width=8"];
  const manifest = {
    format: "dync-run/1",
    experiment: "toy",
    config: { profile: "default", seeds: [0, 1], runs: runs.map((id) => ({ id, point: { width: Number(id.slice(6)) }, optimizer: { kind: "sgd", lr: side.lr } })) },
    sweepAxes: ["width"],
    seeds: [0, 1],
    runs: runs.map((run) => ({ run, sweep: { width: Number(run.slice(6)) }, seeds: [0, 1], status: "ok", steps: 10, stepsPerEpoch: 1, step: side.matmul === "wasm" ? "simd-scalar" : "native-scalar", ...side.runFields?.[run] })),
    backend: { name: "wasm", matmul: { path: side.matmul } },
    versions: { dync: "0.1.0", tfjs: "4", node: "v22" },
    source: { file: "toy.dyn", profile: "default", ...(side.overrides ? { overrides: side.overrides } : {}) },
    startedAt: "2026-12-03T20:00:00Z",
    status: "ok",
    files: {},
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  const lines = runs.flatMap((run) => {
    const [s0a, s1a, s0b, s1b] = side.loss[run]!;
    return [[0, 0, s0a], [1, 0, s1a], [0, 10, s0b], [1, 10, s1b]].map(([seed, step, value]) => JSON.stringify({ run, width: Number(run.slice(6)), seed, step, epoch: step, probe: "loss", value, npy_file: null }));
  });
  writeFileSync(join(dir, "metrics.jsonl"), `${lines.join("\n")}\n`);
  const fit = { kind: "power_law", alpha: side.alpha, exponent: -side.alpha, coefficient: 1, r2: 0.99, stderr: 0.1, ci_low: -side.alpha - 0.2, ci_high: -side.alpha + 0.2, n: 2 };
  const results = {
    format: "dync-results/1",
    experiment: "toy",
    lets: [
      { name: "final", line: 9, dims: ["width"], rows: runs.map((run) => ({ key: { width: Number(run.slice(6)) }, value: (side.loss[run]![2] + side.loss[run]![3]) / 2 })) },
      { name: "fit", line: 10, dims: [], rows: [{ key: {}, value: fit }] },
    ],
    expects: [{ text: "fit.alpha > 1", line: 11, passed: side.holds, detail: "" }],
    analysisErrors: [],
  };
  writeFileSync(join(dir, "results.json"), JSON.stringify(results));
  return dir;
}

const A = runDir("a", { lr: 0.1, matmul: "openblas", loss: { "width=4": [1, 1, 0.5, 0.3], "width=8": [1, 1, 0.2, 0.2] }, alpha: 0.8, holds: false });
const B = runDir("b", { lr: 0.2, matmul: "wasm", overrides: ["optimizer.lr=0.2"], loss: { "width=4": [1, 1, 0.25, 0.15], "width=8": [1, 1, 0.2, 0.2] }, alpha: 1.2, holds: true });

describe("dync compare A B", () => {
  it("prints the settings, lets, verdicts and final values that differ, with B − A", () => {
    const p = dync("compare", A, B);
    expect(p.stderr).toBe("");
    expect(p.code).toBe(0);
    const lines = p.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
    expect(lines).toContain("backend.matmul.path openblas wasm");
    expect(lines).toContain("runs.width=4.step native-scalar simd-scalar"); // the training step each run took
    expect(lines).toContain("source.overrides — optimizer.lr=0.2");
    expect(lines).toContain("config.width=4.optimizer.lr 0.1 0.2");
    expect(lines).toContain("* line 11: expect fit.alpha > 1 fails holds");
    // final[width=4]: A (0.5 + 0.3)/2 = 0.4, B (0.25 + 0.15)/2 = 0.2: −0.2, −50%
    expect(lines).toContain("final[width=4] 0.4 0.2 -0.2 (-50%)");
    expect(lines).toContain("fit.alpha 0.8 1.2 +0.4 (+50%)");
    // width=8 is the same on both sides: counted, not listed
    expect(p.stdout).toContain("final values (mean over seeds at the last measured step): 1 differ, 1 the same");
    expect(lines).toContain("width=4 loss 10 0.4 0.2 -0.2 (-50%)");
    expect(p.stdout).not.toMatch(/width=8 +loss/);
  });

  it("each run's Hessian-vector products per path (runs[].hvp) and where a resumed run's counts start (hvpFrom), as for the step paths", () => {
    const loss: Side["loss"] = { "width=4": [1, 1, 0.5, 0.3], "width=8": [1, 1, 0.2, 0.2] };
    const common = { lr: 0.1, matmul: "openblas", loss, alpha: 0.8, holds: false };
    // width=4: the same 120 products, native in A, the tfjs R-operator in B; width=8: B resumed at step 40 from a
    // checkpoint without counts, so it counted 40 of what A counted 60 of.
    const hvpA = runDir("hvp-a", { ...common, runFields: { "width=4": { hvp: { native: 120 } }, "width=8": { hvp: { native: 60 } } } });
    const hvpB = runDir("hvp-b", { ...common, runFields: { "width=4": { hvp: { rop: 120 } }, "width=8": { hvp: { native: 40 }, hvpFrom: 40 } } });
    const p = dync("compare", hvpA, hvpB);
    expect(p.stderr).toBe("");
    expect(p.code).toBe(0);
    const lines = p.stdout.split("\n").map((l) => l.replace(/\s+/g, " ").trim());
    expect(lines).toContain("settings: 4 differ, 18 the same"); // 18: experiment, status, source ×2, seeds, sweepAxes, runs, backend ×2, versions ×3, step ×2, config ×4
    expect(lines).toContain("runs.width=4.hvp.native 120 —");
    expect(lines).toContain("runs.width=4.hvp.rop — 120");
    expect(lines).toContain("runs.width=8.hvp.native 60 40");
    expect(lines).toContain("runs.width=8.hvpFrom — 40");
    const notes = lines.filter((l) => l.startsWith("note:"));
    expect(notes).toEqual(["note: run width=8: Hessian-vector products counted from step 40 in B (hvpFrom: resumed from a checkpoint without counts): runs.width=8.hvp there is partial and does not say which path served the products before"]);
    // A directory against itself: the counts are the same, listed as such in the JSON; a partial count is still said.
    const self = JSON.parse(dync("compare", hvpB, hvpB, "--format", "json").stdout) as { settings: { field: string; a: unknown; b: unknown; same: boolean }[]; notes: string[] };
    expect(self.settings.filter((s) => s.field.includes(".hvp"))).toEqual([
      { field: "runs.width=4.hvp.rop", a: 120, b: 120, same: true },
      { field: "runs.width=8.hvp.native", a: 40, b: 40, same: true },
      { field: "runs.width=8.hvpFrom", a: 40, b: 40, same: true },
    ]);
    expect(self.notes).toEqual(["run width=8: Hessian-vector products counted from step 40 in A, step 40 in B (hvpFrom: resumed from a checkpoint without counts): runs.width=8.hvp there is partial and does not say which path served the products before"]);
  });

  it("--format json: every compared value, the same ones too", () => {
    const p = dync("compare", A, B, "--format", "json");
    expect(p.code).toBe(0);
    const c = JSON.parse(p.stdout) as { format: string; settings: { field: string; a: unknown; b: unknown; same: boolean }[]; lets: { name: string; a: number; b: number; difference: number; same: boolean }[]; expects: { text: string; a: boolean; b: boolean; changed: boolean }[]; finals: { run: string; probe: string; a: number; b: number; difference: number; same: boolean }[] };
    expect(c.format).toBe("dync-compare/1");
    expect(c.settings.find((s) => s.field === "backend.name")).toEqual({ field: "backend.name", a: "wasm", b: "wasm", same: true });
    const alpha = c.lets.find((l) => l.name === "fit.alpha")!;
    expect(alpha.difference).toBeCloseTo(0.4, 12);
    // α's interval is [−ci_high, −ci_low] = [α − 0.2, α + 0.2]
    expect(c.lets.find((l) => l.name === "fit.alpha_ci_low")!.a).toBeCloseTo(0.6, 12);
    expect(c.expects).toEqual([{ text: "fit.alpha > 1", line: 11, a: false, b: true, detailA: "", detailB: "", changed: true }]);
    expect(c.finals.map((f) => [f.run, f.a, f.b, f.same])).toEqual([["width=4", 0.4, 0.2, false], ["width=8", 0.2, 0.2, true]]);
  });

  it("--html writes a page with the tables and one plot per probe, solid A and dashed B", () => {
    const file = join(scratch, "cmp.html");
    const p = dync("compare", A, B, "--html", file);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(`comparison: ${file}`);
    const html = readFileSync(file, "utf8");
    expect(html).toContain("<td>backend.matmul.path</td><td>openblas</td><td>wasm</td>");
    expect(html.match(/<svg/g)).toHaveLength(1);
    expect(html).toContain("loss vs step");
    expect(html).toContain("stroke-dasharray");
  });

  it("a missing directory, one that is not a run and a broken results.json are input errors (exit 2)", () => {
    const missing = dync("compare", A, join(scratch, "nothere"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error RUN010: no directory .*nothere/);
    const empty = join(scratch, "empty");
    mkdirSync(empty);
    const notRun = dync("compare", empty, B);
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toContain("is not a run directory: it has no manifest.json");
    const broken = runDir("broken", { lr: 0.1, matmul: "wasm", loss: { "width=4": [1, 1, 1, 1], "width=8": [1, 1, 1, 1] }, alpha: 1, holds: true });
    writeFileSync(join(broken, "results.json"), "{}");
    const bad = dync("compare", A, broken);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("RUN011");
    const one = dync("compare", A);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain("`dync compare` needs two run directories");
  });

  it("a side without results.json compares its settings and final values and says why not the rest", () => {
    const partial = runDir("partial", { lr: 0.1, matmul: "openblas", loss: { "width=4": [1, 1, 0.5, 0.3], "width=8": [1, 1, 0.2, 0.2] }, alpha: 0.8, holds: false });
    rmSync(join(partial, "results.json"));
    const p = dync("compare", A, partial);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain("has no results.json");
    expect(p.stdout).toContain("final values (mean over seeds at the last measured step): 0 differ, 2 the same");
    expect(p.stdout).not.toContain("lets:");
  });
});
