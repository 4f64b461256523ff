/**
 * Signals stop `dync run` cleanly (runner/interrupt.ts): SIGTERM, SIGINT and SIGHUP with --jobs 1 and 2 end
 * training at the next step boundary, keep every measured row (runs finished by workers whole), mark the
 * unfinished runs `interrupted`, write a report and exit with 128 + the signal number. Spawns the built CLI
 * (dist/: build first) on a small sweep whose long runs would take minutes.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/record/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".interrupt-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Run n=300 finishes in well under a second; the other two would train for minutes. */
const SOURCE = `experiment sig {
  sweep n in [100000, 300, 90000]
  seeds 2
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  data test = grid(x in [-1, 1], n: 5) -> x^2
  model net = mlp(hidden: [8], act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train n steps, batch full
  probe l = loss(net, train) every 20 steps
  probe o = outputs(net, test) every 500 steps
  let fin = median(last(l)) over seeds
  plot line(l, color: n)
}
`;
const dyn = join(scratch, "sig.dyn");
writeFileSync(dyn, SOURCE);

interface Interrupted {
  code: number | null;
  stderr: string;
  out: string;
  /** Milliseconds from sending the signal to the program saying it is stopping. */
  noticedMs: number;
}

/** Start `dync run`, send `signal` once `ready(stderr, metricsRows)` holds, wait for the exit. */
async function interruptRun(name: string, jobs: number, signal: NodeJS.Signals, ready: (stderr: string, rows: number) => boolean): Promise<Interrupted> {
  const out = join(scratch, name);
  const child = spawn(process.execPath, [CLI, "run", dyn, "--jobs", String(jobs), "--out", out], { cwd: ROOT });
  let stderr = "";
  let sentAt = 0;
  let noticedMs = Number.NaN;
  child.stdout.resume();
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const rows = () => (existsSync(join(out, "metrics.csv")) ? readFileSync(join(out, "metrics.csv"), "utf8").split("\n").length - 2 : 0);
  const poll = setInterval(() => {
    if (sentAt === 0 && ready(stderr, rows())) {
      sentAt = Date.now();
      child.kill(signal);
    }
  }, 25);
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (sentAt > 0 && Number.isNaN(noticedMs) && stderr.includes(`${signal}: stopping`)) noticedMs = Date.now() - sentAt;
  });
  const code = await exited;
  clearInterval(poll);
  return { code, stderr, out, noticedMs };
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

/** metrics.csv and metrics.jsonl hold the same rows, in the same order, each complete; returns the rows. */
function consistentRows(dir: string): { run: string; seed: number; step: number; probe: string; file: string }[] {
  const csv = readFileSync(join(dir, "metrics.csv"), "utf8");
  const jsonl = readFileSync(join(dir, "metrics.jsonl"), "utf8");
  expect(csv.endsWith("\n")).toBe(true);
  expect(jsonl.endsWith("\n")).toBe(true);
  const [header, ...lines] = csv.trimEnd().split("\n");
  const columns = header!.split(",");
  expect(columns).toEqual(["run", "seed", "n", "step", "epoch", "probe", "value", "npy_file"]);
  const objects = jsonl.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(objects.length).toBe(lines.length);
  return lines.map((line, i) => {
    const fields = line.split(",");
    expect(fields.length).toBe(columns.length);
    const o = objects[i]!;
    columns.forEach((c, k) => expect(fields[k], `row ${i + 1} column ${c}`).toBe(o[c] === null ? "" : String(o[c])));
    return { run: fields[0]!, seed: Number(fields[1]), step: Number(fields[3]), probe: fields[5]!, file: fields[7]! };
  });
}

/** Every file under `dir`, dot files included, that is a temporary file. */
function temporaryFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.tmp$/.test(f));
}

/** The checks every interrupted run directory passes. */
function expectKept(result: Interrupted, exitCode: number, signal: string): Manifest {
  expect(result.stderr).not.toMatch(/internal error|\bat .*:\d+:\d+/);
  expect(result.code).toBe(exitCode);
  const m = manifest(result.out);
  expect(m.status).toBe("interrupted");
  expect(m.message).toMatch(new RegExp(`^interrupted by ${signal}: `));
  expect(m.endedAt).toBeDefined();
  expect(existsSync(join(result.out, "report.html"))).toBe(true);
  expect(readFileSync(join(result.out, "report.html"), "utf8")).toContain(`interrupted by ${signal}`);
  expect(temporaryFiles(result.out)).toEqual([]);
  // the analyses' values over what was measured, as after a finished run
  expect((JSON.parse(readFileSync(join(result.out, "results.json"), "utf8")) as { format: string }).format).toBe("dync-results/1");
  return m;
}

describe("signals with --jobs 1", () => {
  it("SIGTERM after the first rows: exit 143, the run in training is `interrupted` with its rows whole, the rest not started", async () => {
    const result = await interruptRun("term-serial", 1, "SIGTERM", (_, rows) => rows >= 4);
    const m = expectKept(result, 143, "SIGTERM");
    expect(m.runs.map((r) => [r.run, r.status])).toEqual([["n=100000", "interrupted"]]);
    expect(m.runs[0]!.message).toMatch(/^interrupted by SIGTERM after \d+ of 100000 steps/);
    expect(m.message).toBe("interrupted by SIGTERM: 0 of 3 runs finished, 1 interrupted, 2 not started");
    const rows = consistentRows(result.out);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    // Both seeds' loss rows at each measured step: a step's measurements are never cut in half.
    const steps = rows.filter((r) => r.probe === "l").map((r) => r.step);
    for (const step of new Set(steps)) expect(steps.filter((s) => s === step).length).toBe(2);
    // The loop yields to the event loop every 50 ms: the signal is seen well within a second.
    expect(result.noticedMs).toBeLessThan(1000);
  }, 300_000);

  it("SIGHUP exits with 129 and SIGINT with 130, each keeping what was measured", async () => {
    const hup = await interruptRun("hup-serial", 1, "SIGHUP", (_, rows) => rows >= 2);
    expect(expectKept(hup, 129, "SIGHUP").runs.map((r) => r.status)).toEqual(["interrupted"]);
    consistentRows(hup.out);
    const int = await interruptRun("int-serial", 1, "SIGINT", (_, rows) => rows >= 2);
    expect(expectKept(int, 130, "SIGINT").runs.map((r) => r.status)).toEqual(["interrupted"]);
    consistentRows(int.out);
  }, 300_000);
});

describe("signals with --jobs 2", () => {
  it("SIGTERM once run n=300 is done: exit 143, that run kept whole, the runs in training `interrupted`, rows in run order", async () => {
    // The worker prints `n=300 done` just before the main thread hears the run is done and hands it run
    // n=90000: wait a moment so that run is usually in training (if not, it is rightly "not started").
    let doneAt = 0;
    const result = await interruptRun("term-pool", 2, "SIGTERM", (stderr) => {
      if (doneAt === 0 && /^n=300 done: 300 steps/m.test(stderr)) doneAt = Date.now();
      return doneAt > 0 && Date.now() - doneAt > 1000;
    });
    const m = expectKept(result, 143, "SIGTERM");
    const statuses = m.runs.map((r) => [r.run, r.status]);
    expect(statuses.slice(0, 2)).toEqual([
      ["n=100000", "interrupted"],
      ["n=300", "ok"],
    ]);
    if (statuses.length === 3) {
      expect(statuses[2]).toEqual(["n=90000", "interrupted"]);
      expect(m.message).toBe("interrupted by SIGTERM: 1 of 3 runs finished, 2 interrupted");
    } else expect(m.message).toBe("interrupted by SIGTERM: 1 of 3 runs finished, 1 interrupted, 1 not started");
    const rows = consistentRows(result.out);
    // Grouped by run, in run order, as a serial run writes them.
    const order = rows.map((r) => r.run).filter((run, i, all) => i === 0 || all[i - 1] !== run);
    expect(order).toEqual(m.runs.map((r) => r.run).filter((run) => rows.some((row) => row.run === run)));
    expect(order.slice(0, 2)).toEqual(["n=100000", "n=300"]);
    // The finished run is whole: loss at steps 0, 20, …, 300 for both seeds; its outputs (.npy) at step 0.
    const done = rows.filter((r) => r.run === "n=300");
    expect(done.filter((r) => r.probe === "l").map((r) => r.step)).toEqual(Array.from({ length: 16 }, (_, k) => [20 * k, 20 * k]).flat());
    const outputs = done.filter((r) => r.probe === "o.output");
    expect(outputs.map((r) => [r.seed, r.step])).toEqual([[0, 0], [1, 0]]);
    for (const r of outputs) expect(existsSync(join(result.out, r.file))).toBe(true);
  }, 300_000);
});
