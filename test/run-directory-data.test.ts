/**
 * The run directory as data: results.json/results.csv (every `let` value and `expect` verdict with its
 * dimensions), and the loading snippets of docs/run-directory.md ("Loading a run"), run as written with
 * /usr/bin/python3 on the run directory of the two-variable sweep that section shows (its run ids,
 * `width=4,lr=0.01`, hold a quoted comma, which `np.genfromtxt` used to split). The pandas snippet runs only
 * where pandas is installed (it is not on the CI image; the numpy snippet is always run when numpy is there).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFile } from "../compiler/compile.js";
import type { ExperimentProgram } from "../contract/program.js";
import { runExperiments } from "../runner/cli.js";
import type { ResultsFile } from "../runner/results-file.js";
import { captureStream } from "./runtime/experiment-fixture.js";

const root = resolve(import.meta.dirname, "..");
const page = readFileSync(join(root, "docs/run-directory.md"), "utf8");
const section = page.slice(page.indexOf("## Loading a run"), page.indexOf("### JavaScript / TypeScript"));
const dynBlock = /```dyn\n([^]*?)```/.exec(section)![1]!;
const pythonBlocks = [...section.matchAll(/```python\n([^]*?)```/g)].map((m) => m[1]!);

const scratch = mkdtempSync(join(tmpdir(), "dync-rundata-"));
const dir = join(scratch, "run");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(async () => {
  const file = join(scratch, "sweep2.dyn");
  writeFileSync(file, dynBlock);
  const compiled = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
  if (!compiled.ok) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
  writeFileSync(join(scratch, "sweep2.mjs"), compiled.js);
  const { experiments } = (await import(pathToFileURL(join(scratch, "sweep2.mjs")).href)) as { experiments: readonly ExperimentProgram[] };
  const stderr = captureStream();
  const code = await runExperiments(experiments, ["--backend", "cpu", "--out", dir, "--quiet", "--jobs", "1"], { stdout: captureStream(), stderr });
  if (code !== 0) throw new Error(`the docs' sweep exited ${code}: ${stderr.text()}`);
}, 120_000);

interface MetricRow { run: string; seed: number; width: number; lr: number; step: number; epoch: number | null; probe: string; value: number | null }
const metrics = (): MetricRow[] => readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as MetricRow);
const results = (): ResultsFile => JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as ResultsFile;

/** median(last(final_loss)) over seeds, recomputed from metrics.jsonl: per run, each seed's value at its largest step. */
function finalByRun(): Map<string, { width: number; lr: number; value: number }> {
  const lastBySeed = new Map<string, MetricRow>();
  for (const r of metrics().filter((m) => m.probe === "final_loss")) {
    const id = `${r.run}|${r.seed}`;
    if ((lastBySeed.get(id)?.step ?? -1) < r.step) lastBySeed.set(id, r);
  }
  const byRun = new Map<string, MetricRow[]>();
  for (const r of lastBySeed.values()) byRun.set(r.run, [...(byRun.get(r.run) ?? []), r]);
  return new Map([...byRun].map(([run, rows]) => {
    const v = rows.map((r) => r.value!).sort((a, b) => a - b);
    expect(v).toHaveLength(2); // two seeds: the median is their mean
    return [run, { width: rows[0]!.width, lr: rows[0]!.lr, value: (v[0]! + v[1]!) / 2 }];
  }));
}

describe("results.json and results.csv", () => {
  it("hold every let with its dimensions, its values equal to those recomputed from metrics.jsonl", () => {
    const { lets, expects, analysisErrors, format, experiment } = results();
    expect([format, experiment, analysisErrors]).toEqual(["dync-results/1", "sweep2", []]);
    const final = lets.find((l) => l.name === "final")!;
    expect(final.dims).toEqual(["width", "lr"]);
    const truth = finalByRun();
    expect(final.rows).toHaveLength(6);
    for (const row of final.rows) {
      const want = [...truth.values()].find((t) => t.width === row.key.width && t.lr === row.key.lr)!;
      expect(row.value).toBe(want.value);
    }
    // alpha: least squares of ln final on ln width per lr, by hand (3 points: slope, r², and a CI)
    const alpha = lets.find((l) => l.name === "alpha")!;
    expect(alpha.dims).toEqual(["lr"]);
    for (const row of alpha.rows) {
      const points = [...truth.values()].filter((t) => t.lr === row.key.lr).map((t) => [Math.log(t.width), Math.log(t.value)] as const);
      const mx = points.reduce((s, p) => s + p[0], 0) / 3;
      const my = points.reduce((s, p) => s + p[1], 0) / 3;
      const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
      const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
      const syy = points.reduce((s, p) => s + (p[1] - my) ** 2, 0);
      const fit = row.value as Exclude<typeof row.value, number | boolean>;
      expect(fit.alpha).toBeCloseTo(-sxy / sxx, 12);
      expect(fit.r2).toBeCloseTo((sxy * sxy) / (sxx * syy), 12);
      expect(fit.n).toBe(3);
      expect(fit.ci_low! < fit.exponent && fit.exponent < fit.ci_high!).toBe(true);
    }
    // the expect: one row per run, each with the measured value and the bound
    expect(expects).toHaveLength(1);
    expect(expects[0]!.passed).toBe(true);
    const rows = expects[0]!.table!.rows;
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      const want = [...truth.values()].find((t) => t.width === r.key.width && t.lr === r.key.lr)!;
      expect([r.holds, r.measured]).toEqual([true, { value: want.value, bound: 10 }]);
    }
  });

  it("the manifest keeps the verdict without the row table", () => {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { expects: object[] };
    expect(Object.keys(manifest.expects[0]!)).toEqual(["text", "line", "passed", "detail"]);
  });

  it.skipIf(!hasPython("numpy"))("results.csv loads with numpy: one row per number, one column per dimension", () => {
    const script = `
import csv, json, sys, numpy as np
t = np.loadtxt(sys.argv[1] + "/results.csv", delimiter=",", quotechar='"', dtype=str)
cols = dict(zip(t[0], t[1:].T))
pick = (cols["name"] == "final") & (cols["field"] == "value")
print(json.dumps({"header": t[0].tolist(), "width": cols["width"][pick].astype(int).tolist(), "lr": cols["lr"][pick].astype(float).tolist(),
  "final": cols["value"][pick].astype(float).tolist(), "holds": cols["value"][cols["field"] == "holds"].astype(float).tolist()}))
`;
    const run = spawnSync("/usr/bin/python3", ["-c", script, dir], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const out = JSON.parse(run.stdout) as { header: string[]; width: number[]; lr: number[]; final: number[]; holds: number[] };
    expect(out.header).toEqual(["kind", "name", "line", "field", "width", "lr", "seeds", "steps", "value"].filter((c) => c !== "seeds" && c !== "steps"));
    const truth = finalByRun();
    out.final.forEach((v, i) => {
      const want = [...truth.values()].find((t) => t.width === out.width[i] && t.lr === out.lr[i])!;
      expect(v).toBe(want.value); // String(number) in JS round-trips exactly through Python's float
    });
    expect(out.holds).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

function hasPython(module: string): boolean {
  return spawnSync("/usr/bin/python3", ["-c", `import ${module}`]).status === 0;
}

describe.skipIf(!hasPython("numpy"))("the Python snippets of docs/run-directory.md load a two-variable sweep", () => {
  it("finds the pandas and the numpy snippet", () => {
    expect(pythonBlocks.map((b) => b.includes("import pandas"))).toEqual([true, false]);
  });

  /** The snippet as written, with its example run directory replaced by the real one, then `checks`. */
  function runSnippet(block: string, checks: string): { status: number | null; stderr: string; stdout: string } {
    const placeholder = /run = pathlib\.Path\("[^"]*"\)/;
    expect(block).toMatch(placeholder);
    const script = `${block.replace(placeholder, `run = pathlib.Path(${JSON.stringify(dir)})`)}\n${checks}\n`;
    return spawnSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" });
  }

  it("numpy only", () => {
    const run = runSnippet(pythonBlocks[1]!, [
      "assert sorted(set(width.tolist())) == [4, 8, 16] and len(loss) == 12 and np.all(np.isfinite(loss)), (width, loss)",
      "assert len(curve) == 6 * 2 * 9 and len(top) == 12 and top[0].shape == (2,), (len(curve), len(top))",
      "assert len(records) == len(rows) and sorted(alpha) == [0.01, 0.03], alpha",
      "print('ok')",
    ].join("\n"));
    expect([run.stderr, run.stdout]).toEqual(["", "ok\n"]);
  });

  // pandas is not installed on the CI image (python3-pandas pulls in ~90 Debian packages); this runs where it is.
  it.skipIf(!hasPython("pandas"))("pandas", () => {
    const run = runSnippet(pythonBlocks[0]!, [
      "assert first == 'width=4,lr=0.01' and curve.shape == (9, 2), (first, curve.shape)",
      "assert len(top) == 12 and sorted(alpha.index) == [0.01, 0.03]",
      "print('ok')",
    ].join("\n"));
    expect(run.status).toBe(0);
    expect(run.stdout.trim().endsWith("ok")).toBe(true);
  });
});
