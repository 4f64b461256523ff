/**
 * report.html of a run trained end to end by the experiment executor (cpu backend): its sections, verdicts,
 * escaping, links and plots; `rebuildReport` from the directory alone; `dync report` errors.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportCommand } from "../../cli/commands/report.js";
import { runExperiment, type ExperimentOutcome } from "../../runner/index.js";
import { writeNpy } from "../../runtime/npy.js";
import { RunRecorder } from "../../runtime/record/index.js";
import type { PlotSpec } from "../../contract/program.js";
import { plotNames } from "../../report/report.js";
import { highlightDyn, loadResults, readManifest, readReportInput, rebuildReport, writeReport } from "../../report/index.js";
import { reportProgram, XSS } from "./report-fixture.js";

const root = mkdtempSync(join(tmpdir(), "dync-report-"));
const dir = join(root, "run");
const sink = { write: () => true };
let outcome: ExperimentOutcome;
let html: string;

beforeAll(async () => {
  const program = reportProgram();
  outcome = await runExperiment(program, { backend: "cpu", outDir: dir, quiet: true, stdout: sink, stderr: sink });
  // A tensor file, as a vector probe would record it, so the report has an .npy to link.
  mkdirSync(join(dir, "tensors", "feats", "width=4"), { recursive: true });
  writeNpy(join(dir, "tensors", "feats", "width=4", "seed0_step40.npy"), Float32Array.from([1, 2, 3]));
  await writeReport(dir, { program, outcome });
  html = readFileSync(join(dir, "report.html"), "utf8");
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("report.html", () => {
  it("has every section: expects, plots, run plan, backend and timings, configuration, source, files", () => {
    for (const id of ["expects", "plots", "plan", "backend", "config", "source", "files"]) expect(html).toContain(`<section id="${id}">`);
    // Training finished (status ok) but one of the two expects fails: the header must not say a green "ok".
    expect(html).toContain("<h1>square <span class=\"status status-failed\">1 of 2 expectations fail</span></h1>");
    expect(html).toContain("3 runs × 3 seeds = <b>9</b> networks");
    expect(html).toMatch(/<th>name<\/th><td>cpu<\/td>/);
    expect(html).toContain("<th>tfjs</th><td>4.22.0</td>");
    expect(html).toMatch(/<td>40<\/td><td class="status-ok">ok<\/td>/); // steps and status per run
  });

  it("shows every expect with its measured detail and verdict, as the run printed them", () => {
    expect(outcome.expects.map((e) => e.passed)).toEqual([true, false]);
    expect(html).toContain("<b>1 of 2</b> expectations hold.");
    for (const e of outcome.expects) {
      expect(html).toContain(`<code>expect ${e.text.replace(/</g, "&lt;")}</code>`);
      expect(html).toContain(e.detail.replace(/</g, "&lt;").replace(/>/g, "&gt;"));
    }
    expect(html).toMatch(/<tr class="fail"><td class="verdict">✗ fail<\/td><td><code>expect median_loss &lt; 0/);
  });

  it("contains no script at all: the source, the plot title and axis label are escaped", () => {
    expect(html.toLowerCase()).not.toContain("<script");
    expect(html).toContain("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    for (const file of readdirSync(join(dir, "plots")).filter((f) => f.endsWith(".svg"))) {
      expect(readFileSync(join(dir, "plots", file), "utf8").toLowerCase()).not.toContain("<script");
    }
    expect(XSS).toContain("<script>");
  });

  it("highlights the source with the language's lexer", () => {
    expect(html).toContain('<span class="tok-keyword">experiment</span> square {');
    expect(html).toContain('<span class="tok-comment">// &lt;/script&gt;');
    expect(highlightDyn('sweep lr in [1e-3, 0.1] // x\nlet s = "a<b"')).toBe(
      '<span class="tok-keyword">sweep</span> lr <span class="tok-keyword">in</span> [<span class="tok-number">1e-3</span>, <span class="tok-number">0.1</span>] <span class="tok-comment">// x</span>\n' +
        '<span class="tok-keyword">let</span> s = <span class="tok-string">&quot;a&lt;b&quot;</span>',
    );
  });

  it("inlines every plot and writes each as plots/NAME.svg and .png", () => {
    expect((html.match(/<figure /g) ?? []).length).toBe(5);
    expect((html.match(/<svg /g) ?? []).length).toBe(5);
    expect(html).not.toContain("could not be drawn");
    const files = readdirSync(join(dir, "plots")).sort();
    expect(files).toEqual([
      ".drawn.json", // each figure's spec hash, so an unchanged figure is not drawn again
      "01-script-script-alert-1-script.png", "01-script-script-alert-1-script.svg",
      "02-loglog-median-final-loss.png", "02-loglog-median-final-loss.svg",
      "03-scatter-final-loss.png", "03-scatter-final-loss.svg",
      "04-histogram-train-loss.png", "04-histogram-train-loss.svg",
      "05-density-train-loss.png", "05-density-train-loss.svg",
    ]);
    for (const f of files.filter((f) => f.endsWith(".png"))) expect(readFileSync(join(dir, "plots", f)).subarray(1, 4).toString()).toBe("PNG");
    for (const f of files.filter((f) => !f.startsWith("."))) expect(html).toContain(`href="plots/${f}"`);
    // The loglog fit of the measured medians: its α equals the analysis's own power-law fit.
    expect(html).toMatch(/α = \d/);
  });

  it("links the metrics, the manifest and each .npy file", () => {
    for (const href of ["metrics.csv", "metrics.jsonl", "manifest.json", "report-input.json", "tensors/feats/width%3D4/seed0_step40.npy"]) {
      expect(html).toContain(`href="${href}"`);
    }
  });
});

describe("rebuilding from the run directory", () => {
  it("reloads exactly the in-memory results from metrics.jsonl", () => {
    const input = readReportInput(dir)!;
    expect(input.totalSteps).toEqual(outcome.results.totalSteps);
    const loaded = loadResults(dir, readManifest(dir), input.totalSteps);
    const strip = (rows: readonly { run: string; seed: number; step: number; probe: string; value: number; point: object }[]) =>
      rows.map((r) => [r.run, r.seed, r.step, r.probe, r.value, JSON.stringify(r.point)]);
    expect(strip(loaded.rows)).toEqual(strip(outcome.results.rows));
  });

  it("rebuildReport redraws byte-identical plots and the same verdicts without re-running", async () => {
    const before = readdirSync(join(dir, "plots")).filter((f) => f.endsWith(".svg")).map((f) => readFileSync(join(dir, "plots", f), "utf8"));
    rmSync(join(dir, "report.html"));
    rmSync(join(dir, "plots"), { recursive: true });
    const result = await rebuildReport(dir);
    expect(result.plots.map((p) => p.error)).toEqual([null, null, null, null, null]);
    const after = readdirSync(join(dir, "plots")).filter((f) => f.endsWith(".svg")).map((f) => readFileSync(join(dir, "plots", f), "utf8"));
    expect(after).toEqual(before);
    const rebuilt = readFileSync(join(dir, "report.html"), "utf8");
    expect(rebuilt).toContain("<b>1 of 2</b> expectations hold.");
    expect(rebuilt.replace(/written [^<]*/, "")).toBe(html.replace(/written [^<]*/, ""));
  });

  it("a run recorded without report-input.json still gets a report, without plots", async () => {
    const bare = join(root, "bare");
    const recorder = new RunRecorder({ dir: bare, experiment: "bare", config: { lr: 0.1 }, sweepAxes: [], backend: { name: "cpu" }, source: { file: "bare.dyn", text: "experiment bare {}" } });
    recorder.beginRun("run", {}, [0]);
    recorder.seedScalars({ run: "run", step: 0, epoch: 0, probe: "loss", seeds: [0], values: [1] });
    recorder.endRun("run", "ok");
    recorder.finish("ok");
    const result = await rebuildReport(bare);
    const page = readFileSync(result.path, "utf8");
    expect(page).toContain("has no report-input.json");
    expect(page).toContain('<span class="tok-keyword">experiment</span> bare {}');
    expect(page).toContain("No verdicts were recorded");
  });

  it("shows the backend's fields as text: the skipped backends one a line, flags as yes/no, no raw JSON", async () => {
    const dir2 = join(root, "backend-row");
    const skipped = ['gpu: backend "gpu" needs the package @tensorflow/tfjs-node-gpu, which is not installed', "tensorflow: not installed"];
    const recorder = new RunRecorder({ dir: dir2, experiment: "b", config: {}, sweepAxes: [], backend: { name: "wasm", simd: true, threads: false, skipped } as never, source: { file: "b.dyn", text: "experiment b {}" } });
    recorder.beginRun("run", {}, [0]);
    recorder.endRun("run", "ok");
    recorder.finish("ok");
    const page = readFileSync((await rebuildReport(dir2)).path, "utf8");
    expect(page).toContain(`<tr><th>skipped</th><td>gpu: backend &quot;gpu&quot; needs the package @tensorflow/tfjs-node-gpu, which is not installed\ntensorflow: not installed</td></tr>`);
    expect(page).toContain("<tr><th>simd</th><td>yes</td></tr><tr><th>threads</th><td>no</td></tr>");
    expect(page).not.toContain("[&quot;gpu");
  });
});

describe("dync report", () => {
  const capture = () => {
    let text = "";
    return { out: { format: "text" as const, color: false, write: (t: string) => void (text += t) }, text: () => text };
  };

  it("rebuilds and prints where the report is", async () => {
    const out = capture();
    let err = "";
    expect(await reportCommand(dir, out.out, (t) => void (err += t))).toBe(0);
    expect(out.text()).toBe(`report: ${join(dir, "report.html")} (5 of 5 plots drawn)\n`);
    expect(err).toBe("");
  });

  it("says clearly when the directory is missing or not a run, without a stack trace", async () => {
    let err = "";
    expect(await reportCommand(join(root, "nope"), capture().out, (t) => void (err += t))).toBe(1);
    expect(err).toMatch(/^error RUN010: no directory .*nope\n/);
    const empty = join(root, "empty");
    mkdirSync(empty);
    err = "";
    expect(await reportCommand(empty, capture().out, (t) => void (err += t))).toBe(1);
    expect(err).toContain("is not a run directory: it has no manifest.json");
    expect(err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(empty, "report.html"))).toBe(false);
  });
});

describe("plot file names", () => {
  it("number the plots in order and slug their titles to at most 48 characters, with no dash at either end", () => {
    const spec = (title: string | null, yLabel = "train_l") => ({ kind: "line", title, yLabel }) as unknown as PlotSpec;
    const names = plotNames([spec("orientation vs amplitude at the snapshot epochs (seed 0)"), spec(null), spec("«»")]);
    expect(names).toEqual(["01-orientation-vs-amplitude-at-the-snapshot-epochs", "02-line-train-l", "03-line"]);
  });
});
