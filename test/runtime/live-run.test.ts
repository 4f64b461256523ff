/**
 * Watching a run while it trains, by spawning the built CLI (dist/: build first) on a sweep whose first run
 * trains for minutes: off a terminal, `dync run` prints a line per run in training every 10 s with its step
 * and batch loss; `dync report DIR` on the running directory draws the plots from what was measured and
 * says the report is partial and which runs are missing; a signal then ends the run with a partial report,
 * status `interrupted` and 128 + the signal's number, with --jobs 1 and with worker threads. A second signal
 * stops at once, the manifest still saying `interrupted`, and `dync report` draws the partial report.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/record/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".live-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Run n=200 finishes in a moment; n=3000000 trains for minutes; n=300 waits for a worker. */
const SOURCE = `experiment live {
  sweep n in [200, 3000000, 300]
  seeds 2
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  model net = mlp(hidden: [8], act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train n steps, batch full
  probe l = loss(net, train) every 20 steps
  let fin = median(last(l)) over seeds
  expect fin < 10
  plot line(l, color: n)
}
`;
const dyn = join(scratch, "live.dyn");
writeFileSync(dyn, SOURCE);

interface Watched {
  code: number | null;
  stderr: string;
  out: string;
  /** `dync report DIR` while training: its stdout and the page it wrote. */
  report: { stdout: string; code: number | null; html: string };
}

/** Start `dync run`, once run n=3000000 has trained 11 s rebuild the report, then send `signal`. */
async function watchRun(name: string, jobs: number, signal: NodeJS.Signals): Promise<Watched> {
  const out = join(scratch, name);
  const child = spawn(process.execPath, [CLI, "run", dyn, "--jobs", String(jobs), "--out", out], { cwd: ROOT });
  let stderr = "";
  child.stdout.resume();
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  // The first plain progress line of the long run comes 10 s after it starts.
  const deadline = Date.now() + 90_000;
  while (!/^n=3000000 \d+\/3000000 /m.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const built = spawnSync(process.execPath, [CLI, "report", out], { cwd: ROOT, encoding: "utf8" });
  const report = { stdout: built.stdout, code: built.status, html: readFileSync(join(out, "report.html"), "utf8") };
  child.kill(signal);
  return { code: await exited, stderr, out, report };
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

/** The checks of both: progress lines with the loss, a partial report while training, a partial report after the signal. */
function expectWatched(w: Watched, exitCode: number, signal: string): void {
  expect(w.stderr).not.toMatch(/internal error|\bat .*:\d+:\d+/);
  // Off a terminal: plain lines, no escape codes; the long run's line has its step, rate, ETA and loss.
  expect(w.stderr).not.toContain("\x1b");
  expect(w.stderr).toMatch(/^n=200 done: 200 steps in \d+s \(.+ steps\/s\) batch loss median \d/m);
  const line = /^n=3000000 (\d+)\/3000000 (\d+)% (\S+) steps\/s ETA (\S+) loss (\S+)$/m.exec(w.stderr);
  expect(line, w.stderr).not.toBeNull();
  expect(Number(line![1])).toBeGreaterThan(0);
  expect(Number(line![5])).toBeGreaterThan(0);
  // The report of the running directory: the plot drawn from what was measured, marked partial, runs named.
  expect(w.report.code).toBe(0);
  expect(w.report.stdout).toMatch(/\(1 of 1 plots drawn\)/);
  expect(w.report.html).toContain("Partial report: the run is still training");
  expect(w.report.html).toContain("1 of 3 runs finished");
  expect(w.report.html).toContain("<li><code>n=3000000</code>: in training</li>");
  expect(w.report.html).toMatch(/<li><code>n=300<\/code>: (not recorded yet|in training)<\/li>/);
  expect(w.report.html).toContain("Not evaluated yet: the expectations are evaluated when the run finishes.");
  expect(w.report.html).toMatch(/<svg/);
  expect(w.report.html).not.toContain("rerun with a current dync");
  // After the signal: exit 128 + n, status interrupted, a partial report naming the interrupted run.
  expect(w.code).toBe(exitCode);
  const m = manifest(w.out);
  expect(m.status).toBe("interrupted");
  const html = readFileSync(join(w.out, "report.html"), "utf8");
  expect(html).toContain(`Partial report: interrupted by ${signal}`);
  expect(html).toMatch(new RegExp(`<li><code>n=3000000</code>: interrupted by ${signal} after \\d+ of 3000000 steps`));
  expect(html).toContain("<b>1 of 1</b> expectations hold");
  const input = JSON.parse(readFileSync(join(w.out, "report-input.json"), "utf8")) as { expects: unknown[] | null };
  expect(input.expects).not.toBeNull();
  expect(existsSync(join(w.out, "plots"))).toBe(true);
}

describe("a run watched while it trains", () => {
  it("--jobs 1: progress lines with the loss, a partial report while training, SIGTERM ends it with a partial report (143)", async () => {
    const w = await watchRun("serial", 1, "SIGTERM");
    expectWatched(w, 143, "SIGTERM");
    expect(manifest(w.out).runs.map((r) => [r.run, r.status])).toEqual([
      ["n=200", "ok"],
      ["n=3000000", "interrupted"],
    ]);
  }, 150_000);

  it("--jobs 2: the same through worker threads, and SIGINT ends it (130)", async () => {
    const w = await watchRun("pool", 2, "SIGINT");
    expectWatched(w, 130, "SIGINT");
    expect(w.stderr).toContain("training 3 runs on 2 worker threads");
    const runs = manifest(w.out).runs.map((r) => [r.run, r.status]);
    expect(runs.slice(0, 2)).toEqual([
      ["n=200", "ok"],
      ["n=3000000", "interrupted"],
    ]);
  }, 150_000);
});

/** Steps of half a second or more (8192 samples through two 256-unit layers, 2 seeds): a signal lands mid-step. */
const SLOW = `experiment slow {
  sweep n in [100000]
  seeds 2
  data train { x ~ uniform(-1, 1) [8192]; y = x^2 }
  model net = mlp(hidden: [256, 256], act: relu)
  loss mse
  optimizer adam(lr: 1e-3)
  train n steps, batch full
  probe l = loss(net, train) every 1 steps
  plot line(l, color: n)
}
`;
const slowDyn = join(scratch, "slow.dyn");
writeFileSync(slowDyn, SLOW);

describe("a second signal", () => {
  // With --jobs 1 both signals arrive during one step and are handled at its end, one after the other; with
  // workers the first is handled at once and the second lands while the worker is still in its step.
  it.each([1, 2])("--jobs %i: exit 143, the manifest `interrupted` (never `running`), and dync report draws what was measured", async (jobs) => {
    const out = join(scratch, `twice-${jobs}`);
    const child = spawn(process.execPath, [CLI, "run", slowDyn, "--jobs", String(jobs), "--out", out], { cwd: ROOT });
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const rows = () => (existsSync(join(out, "metrics.csv")) ? readFileSync(join(out, "metrics.csv"), "utf8").split("\n").length - 2 : 0);
    const deadline = Date.now() + 120_000;
    while (rows() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 150)); // two signals sent at once would merge into one
    child.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(stderr).not.toMatch(/internal error|\bat .*:\d+:\d+/);
    // Which path ran depends on timing: the second signal lands before the clean stop has recorded its end
    // (stopped at once: no report) or after it (the clean stop's manifest stands). Either way the manifest
    // says interrupted, never running, and `dync report` draws the partial report.
    const m = manifest(out);
    expect(m.status).toBe("interrupted");
    const atOnce = stderr.includes("stopped at once by a second SIGTERM");
    if (atOnce) {
      expect(stderr).toContain(`stopped at once by a second SIGTERM: manifest.json says interrupted; run \`dync report ${out}\``);
      expect(m.message).toMatch(/^stopped at once by a second SIGTERM; no analyses, no report/);
      expect(existsSync(join(out, "report.html"))).toBe(false);
    } else expect(m.message).toMatch(/^interrupted by SIGTERM: /);
    if (jobs === 1) expect(m.runs.map((r) => [r.run, r.status])).toEqual([["n=100000", "interrupted"]]);
    else expect(m.runs.map((r) => r.status)).toEqual(m.runs.length ? ["interrupted"] : []);
    const built = spawnSync(process.execPath, [CLI, "report", out], { cwd: ROOT, encoding: "utf8" });
    expect(built.status).toBe(0);
    expect(built.stdout).toMatch(/\(1 of 1 plots drawn\)/);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain(atOnce ? "Partial report: stopped at once by a second SIGTERM" : "Partial report: interrupted by SIGTERM");
  }, 200_000);
});
