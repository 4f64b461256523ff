/**
 * End to end in a real browser: a report written for an executor-trained run opens in headless Chromium
 * (Debian's `chromium`, installed by .ci/run) from disk, logs no console message (the page has no scripts,
 * and its Content-Security-Policy would log any blocked load), and its screenshot shows the plots: enough
 * clearly more ink and saturated (series-coloured) pixels than the same page without its figures; a report
 * of heatmaps shows its embedded raster images.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runExperiment } from "../../runner/index.js";
import { rebuildReport, writeReport } from "../../report/index.js";
import { decodePng } from "../../stdlib/data/png.js";
import { heatmapProgram } from "./heatmap-fixture.js";
import { imageProgram } from "./image-fixture.js";
import { reportProgram } from "./report-fixture.js";

/** The Chromium binary, or null when it is not installed. */
function findChromium(): string | null {
  for (const name of ["chromium", "chromium-browser"]) {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}

const chromium = findChromium();
const root = mkdtempSync(join(tmpdir(), "dync-browser-"));
afterAll(() => (process.env["KEEP_SCREENSHOTS"] ? undefined : rmSync(root, { recursive: true, force: true })));

// Skipped only when the browser is absent (e.g. a developer machine without `apt-get install chromium`).
describe.skipIf(chromium === null)("report.html in headless Chromium", () => {
  it("renders the plots (not blank) with no console errors", async () => {
    const dir = join(root, "run");
    const program = reportProgram();
    const sink = { write: () => true };
    const outcome = await runExperiment(program, { backend: "cpu", outDir: dir, quiet: true, stdout: sink, stderr: sink });
    const { path } = await writeReport(dir, { program, outcome });
    const withPlots = screenshot(path, "with");
    expect(withPlots.console).toEqual([]);
    expect([withPlots.width, withPlots.height]).toEqual([1200, 2000]);
    // The same page without its figures: a copy of the run without report-input.json has no plot definitions.
    const bare = join(root, "bare");
    cpSync(dir, bare, { recursive: true });
    rmSync(join(bare, "report-input.json"));
    const without = screenshot((await rebuildReport(bare)).path, "without");
    expect(without.console).toEqual([]);
    // Measured here: 5.7% ink and 11,500 saturated pixels with the plots, 3.0% and 8,100 (links, badges,
    // highlighted source) without them: the figures in view must add clearly visible, coloured marks.
    expect(withPlots.ink - without.ink).toBeGreaterThan(0.015);
    expect(withPlots.colour - without.colour).toBeGreaterThan(2000);
  });

  it("shows heatmaps (rectangles and embedded PNG images) and marked lines, with no console errors", async () => {
    const dir = join(root, "heatmaps");
    const program = heatmapProgram();
    const sink = { write: () => true };
    const outcome = await runExperiment(program, { backend: "cpu", outDir: dir, quiet: true, stdout: sink, stderr: sink });
    const { path, plots } = await writeReport(dir, { program, outcome });
    expect(plots.map((p) => p.error)).toEqual([null, null, null, null, null]);
    // The raster heatmap is the first figure: its images are data: URLs the page's policy must allow.
    expect(readFileSync(path, "utf8")).toMatch(/<image xlink:href="data:image\/png;base64,/);
    const shot = screenshot(path, "heatmaps");
    expect(shot.console).toEqual([]);
    // Four 220 px panels of diverging colour in view: far more saturated pixels than the plain report's
    // 8,100 without figures (the cosine panels alone are ~190,000 px², mostly strongly coloured).
    expect(shot.colour).toBeGreaterThan(40_000);
  });

  it("shows images of a learned function and of activation regions (embedded PNGs), with no console errors", async () => {
    const dir = join(root, "images");
    const program = imageProgram();
    const sink = { write: () => true };
    const outcome = await runExperiment(program, { backend: "cpu", outDir: dir, quiet: true, stdout: sink, stderr: sink });
    const { path, plots } = await writeReport(dir, { program, outcome });
    expect(plots.map((p) => p.error)).toEqual([null, null]);
    expect(readFileSync(path, "utf8").match(/<image xlink:href="data:image\/png;base64,/g)?.length).toBe(6);
    const shot = screenshot(path, "images");
    expect(shot.console).toEqual([]);
    // Four 220 px output panels and two region panels in view: the region panels alone are ~97,000 px² of
    // saturated palette colours, far above the plain report's 8,100 saturated pixels.
    expect(shot.colour).toBeGreaterThan(40_000);
  });
});

/** Screenshots `htmlPath` at 1200×2000; returns the page's console lines and its pixel statistics. */
function screenshot(htmlPath: string, name: string): { console: string[]; width: number; height: number; ink: number; colour: number } {
  const shot = join(root, `${name}.png`);
  const run = spawnSync(
    chromium!,
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", `--user-data-dir=${join(root, `profile-${name}`)}`,
      "--enable-logging=stderr", "--v=0", `--screenshot=${shot}`, "--window-size=1200,2000", pathToFileURL(htmlPath).href,
    ],
    { encoding: "utf8", timeout: 90_000 },
  );
  expect(run.error).toBeUndefined();
  expect(existsSync(shot)).toBe(true);
  // Chromium logs every console message of the page as `…:INFO:CONSOLE(line)] "message", source: …`.
  const consoleLines = run.stderr.split("\n").filter((l) => /:CONSOLE[:(]/.test(l));
  const image = decodePng(readFileSync(shot), shot);
  let ink = 0;
  let colour = 0;
  const pixels = image.width * image.height;
  for (let p = 0; p < pixels; p++) {
    const r = image.rgb[3 * p]!;
    const g = image.rgb[3 * p + 1]!;
    const b = image.rgb[3 * p + 2]!;
    if (Math.min(r, g, b) < 0.9) ink++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 0.25) colour++;
  }
  return { console: consoleLines, width: image.width, height: image.height, ink: ink / pixels, colour };
}
