/**
 * `dync report DIR` starts light (issue 20: "report ≤ 0.5 s"): it loads no TensorFlow.js, no code generator
 * (ts-morph, prettier, TypeScript) and none of vega's per-module packages (vega and vega-lite come from
 * their single-file bundles, report/vega.ts), yet evaluates analyses that call standard-library functions;
 * and a rebuild with nothing new to draw leaves the PNGs as they were instead of rasterising them again
 * (without loading resvg, which report/plots.ts loads at the first PNG it draws).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeModuleLogHook } from "../module-log.js";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "dist", "cli", "bin.js");
// plateau_end is a standard-library analysis function (stdlib/core/analyses.ts), not part of the IR.
const TINY = `experiment tiny {
  data train { x ~ uniform(-1, 1) [8]; y = x }
  model net = mlp(hidden: [2], act: tanh)
  loss mse
  optimizer sgd(lr: 0.1)
  train 20 steps, batch full
  probe train_loss = loss(net, train) every 2 steps
  let p = plateau_end(train_loss, drop: 0.01)
  expect median(p) over seeds >= 0
  plot line(train_loss after p)
}
`;
const HEAVY = /\/node_modules\/(@tensorflow\/|ts-morph\/|@ts-morph\/|prettier\/|typescript\/|vega\/|vega-[a-z-]+\/|d3-[a-z-]+\/)/;

let scratch: string;
let runDir: string;

function dync(args: readonly string[], log?: string): { status: number | null; stdout: string; stderr: string } {
  const preload = log ? ["--import", join(scratch, "preload.mjs")] : [];
  const r = spawnSync(process.execPath, [...preload, cli, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, DYNC_CACHE_DIR: join(scratch, "cache"), ...(log ? { MODULE_LOG: log } : {}) } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "dync-report-start-"));
  writeModuleLogHook(scratch);
  writeFileSync(join(scratch, "tiny.dyn"), TINY);
  runDir = join(scratch, "run");
  const made = dync(["run", join(scratch, "tiny.dyn"), "--jobs", "1", "--out", runDir, "--quiet"]);
  expect(made.status, made.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("dync report", () => {
  it("loads neither tfjs, nor the code generator, nor vega's module packages, and draws the plot", () => {
    const log = join(scratch, "modules.log");
    writeFileSync(log, "");
    const r = dync(["report", runDir], log);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("(1 of 1 plots drawn)");
    const modules = readFileSync(log, "utf8").split("\n").filter(Boolean);
    expect(modules.some((m) => m.includes("/dist/report/report.js"))).toBe(true); // the hook saw the report's modules
    expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
    // The plot reads p = plateau_end(…): without the analysis functions it could not be drawn.
    expect(r.stderr).toBe("");
  }, 60_000);

  it("leaves a PNG whose SVG did not change as it was (resvg is not even loaded), and redraws a missing one", () => {
    const png = join(runDir, "plots", "01-line-train-loss-after-p.png");
    const before = statSync(png).mtimeMs;
    const loadsResvg = (): boolean => {
      const log = join(scratch, "modules-png.log");
      writeFileSync(log, "");
      expect(dync(["report", runDir], log).status).toBe(0);
      return readFileSync(log, "utf8").includes("/node_modules/@resvg/");
    };
    expect(loadsResvg()).toBe(false);
    expect(statSync(png).mtimeMs).toBe(before);
    unlinkSync(png);
    expect(loadsResvg()).toBe(true); // loaded at the first PNG to draw
    expect(readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
  }, 60_000);

  it("reuses an SVG whose Vega-Lite spec is unchanged (Vega is not run), and draws it again when the data change", () => {
    const svgPath = join(runDir, "plots", "01-line-train-loss-after-p.svg");
    expect(dync(["report", runDir]).status).toBe(0);
    const drawn = readFileSync(svgPath, "utf8");
    expect(Object.keys(JSON.parse(readFileSync(join(runDir, "plots", ".drawn.json"), "utf8")))).toEqual(["01-line-train-loss-after-p"]);
    // A marker in the SVG survives a rebuild with the same spec: the file was read back, not drawn again.
    writeFileSync(svgPath, drawn.replace("</svg>", "<!-- reused --></svg>"));
    expect(dync(["report", runDir]).status).toBe(0);
    expect(readFileSync(join(runDir, "report.html"), "utf8")).toContain("<!-- reused -->");
    // Other data: the last measurement of train_loss changed, so the spec differs and Vega draws it anew.
    const metrics = join(runDir, "metrics.jsonl");
    const lines = readFileSync(metrics, "utf8").trimEnd().split("\n");
    const last = JSON.parse(lines.at(-1)!) as { value: number };
    lines[lines.length - 1] = JSON.stringify({ ...last, value: last.value * 2 });
    writeFileSync(metrics, `${lines.join("\n")}\n`);
    expect(dync(["report", runDir]).status).toBe(0);
    expect(readFileSync(svgPath, "utf8")).not.toContain("<!-- reused -->");
    expect(readFileSync(join(runDir, "report.html"), "utf8")).not.toContain("<!-- reused -->");
  }, 60_000);
});
