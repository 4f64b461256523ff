/**
 * `dync report DIR --watch` end to end, spawning the built CLI (dist/: build first): while `dync run` trains a
 * sweep whose second run takes minutes, the watcher serves the report on 127.0.0.1 at a free port; headless
 * Chromium loads it (no console message: nothing the page's CSP blocks) and sees the partial report with its
 * meta refresh; the page is rebuilt as runs finish (polled over HTTP in a bounded loop), and after SIGTERM
 * stops the run it shows the interrupted report without the refresh. Files outside DIR are not served.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".watch-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
});

function findChromium(): string | null {
  for (const name of ["chromium", "chromium-browser"]) {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  return null;
}
const chromium = findChromium();

/** Run n=1000 takes a few seconds, n=3000000 minutes. */
const SOURCE = `experiment watched {
  sweep n in [1000, 3000000]
  seeds 2
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  model net = mlp(hidden: [8], act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train n steps, batch full
  probe l = loss(net, train) every 20 steps
  plot line(l, color: n)
}
`;

/** Output of a child so far, and a bounded wait for it to match. */
function collect(child: ChildProcess): { text: () => string; until: (pattern: RegExp, ms: number) => Promise<RegExpExecArray> } {
  let text = "";
  child.stdout!.on("data", (c: Buffer) => (text += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (text += c.toString()));
  return {
    text: () => text,
    until: async (pattern, ms) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const match = pattern.exec(text);
        if (match) return match;
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms in:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** GET the served page until `pattern` is in it (bounded). */
async function servedUntil(url: string, pattern: RegExp, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  let page = "";
  while (Date.now() < deadline) {
    page = await (await fetch(url)).text();
    if (pattern.test(page)) return page;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the served page never matched ${pattern}:\n${page.slice(0, 2000)}`);
}

/** The DOM Chromium builds from `url`, and the console messages it logged. */
function chromiumDom(url: string, name: string): { dom: string; console: string[] } {
  const run = spawnSync(
    chromium!,
    [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", `--user-data-dir=${join(scratch, `profile-${name}`)}`,
      "--enable-logging=stderr", "--v=0", "--dump-dom", url,
    ],
    { encoding: "utf8", timeout: 90_000 },
  );
  expect(run.error).toBeUndefined();
  return { dom: run.stdout, console: run.stderr.split("\n").filter((l) => /:CONSOLE[:(]/.test(l)) };
}

describe.skipIf(chromium === null)("dync report --watch", () => {
  it("serves the partial report of a run in training, rebuilt as results land, until the run is interrupted", async () => {
    const dyn = join(scratch, "watched.dyn");
    writeFileSync(dyn, SOURCE);
    const dir = join(scratch, "run");
    const run = spawn(process.execPath, [CLI, "run", dyn, "--jobs", "1", "--out", dir], { cwd: ROOT });
    children.push(run);
    const runOutput = collect(run);
    await runOutput.until(/^run directory: /m, 60_000);
    expect(existsSync(join(dir, "report-input.json"))).toBe(true);

    const watch = spawn(process.execPath, [CLI, "report", dir, "--watch", "--refresh", "600"], { cwd: ROOT });
    children.push(watch);
    const watchOutput = collect(watch);
    const url = (await watchOutput.until(/at (http:\/\/127\.0\.0\.1:(\d+)\/) \(rebuilt as results land/, 60_000))[1]!;

    // In Chromium: the partial report with its reload, no console message (the CSP blocked nothing). (The
    // reload is set to 10 minutes: a shorter one could fire before --dump-dom on a loaded machine.)
    const first = chromiumDom(url, "first");
    expect(first.console).toEqual([]);
    expect(first.dom).toContain("Partial report: the run is still training");
    expect(first.dom).toMatch(/<meta http-equiv="refresh" content="600">/);

    // Run n=1000 finishes: the served page is rebuilt with it, its plot drawn, run n=3000000 in training.
    await runOutput.until(/^n=1000 done: /m, 90_000);
    const rebuilt = await servedUntil(url, /1 of 2 runs finished/, 30_000);
    expect(rebuilt).toContain("<li><code>n=3000000</code>: in training</li>");
    expect(rebuilt).toMatch(/<svg/);
    const second = chromiumDom(url, "second");
    expect(second.console).toEqual([]);
    expect(second.dom).toContain("1 of 2 runs finished");

    // Plots and data files are served from the run directory; nothing outside it.
    expect((await fetch(new URL("metrics.csv", url))).status).toBe(200);
    expect((await fetch(new URL("/..%2f..%2fpackage.json", url))).status).toBe(404);
    expect((await fetch(new URL("/%2e%2e/watched.dyn", url))).status).toBe(404);
    expect((await fetch(url, { method: "POST" })).status).toBe(405);

    // SIGTERM: the run ends interrupted; the served page follows, without the reload.
    run.kill("SIGTERM");
    expect(await new Promise((done) => run.on("exit", done))).toBe(143);
    const final = await servedUntil(url, /Partial report: interrupted by SIGTERM/, 30_000);
    expect(final).not.toContain('http-equiv="refresh"');
    const last = chromiumDom(url, "last");
    expect(last.console).toEqual([]);
    expect(last.dom).toContain("Partial report: interrupted by SIGTERM");

    // Ctrl-C stops the server: exit 0.
    watch.kill("SIGINT");
    expect(await new Promise((done) => watch.on("exit", done))).toBe(0);
    expect(watchOutput.text()).not.toMatch(/warning|error/);
  }, 300_000);

  it("refuses a directory that is not a run (exit 1) and --port without --watch (exit 2)", () => {
    const none = spawnSync(process.execPath, [CLI, "report", join(scratch, "nothing"), "--watch"], { cwd: ROOT, encoding: "utf8" });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/RUN010/);
    const port = spawnSync(process.execPath, [CLI, "report", scratch, "--port", "8080"], { cwd: ROOT, encoding: "utf8" });
    expect(port.status).toBe(2);
    expect(port.stderr).toContain("--port goes with --watch");
    const refresh = spawnSync(process.execPath, [CLI, "report", scratch, "--watch", "--refresh", "0"], { cwd: ROOT, encoding: "utf8" });
    expect(refresh.status).toBe(2);
    expect(refresh.stderr).toContain('--refresh must be a whole number ≥ 1, not "0"');
  });
});
