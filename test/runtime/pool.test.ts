/**
 * The run pool (`--jobs`): runs trained on worker threads are recorded exactly as the serial path records
 * them — the serial run in this process is the reference — and a failing run or a dying worker costs only
 * that run; the same program run twice serially writes the same bytes. Tiny runs on the cpu backend (and
 * once on wasm); workers load the TypeScript sources through tsx.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import { parseMainArgs, runMain, UsageError } from "../../runner/index.js";
import { defaultJobs, resolveJobs } from "../../runner/cli.js";
import { afterFirstRun } from "../../runner/jobs.js";
import type { ExperimentProgram } from "../../contract/program.js";
import type { Manifest } from "../../runtime/record/index.js";
import { captureStream } from "./experiment-fixture.js";

const ROOT = resolve(import.meta.dirname, "../..");
const RUNTIME_URL = pathToFileURL(join(ROOT, "runner", "index.ts")).href;

/** Three widths × 3 seeds; scalars, per-unit (.npy per field) and matrix (.npy) probes; one expect that holds, one that fails. */
const SOURCE = `experiment pooled {
  sweep width in [3, 5, 8]
  seeds 3
  data train { x ~ uniform(-1, 1) [32]; y = x^2 + 0.5 }
  data test = grid(x in [-1, 1], n: 21) -> x^2 + 0.5
  model net = mlp(hidden: [width], act: relu)
  loss mse
  optimizer adam(lr: 1e-2)
  train 30 steps, batch full
  probe test_loss = loss(net, test) every 10 steps
  probe feats = neuron_features(net) at [start, end]
  probe cos = cosine_similarity(net) at end
  let final_loss = median(last(test_loss)) over seeds
  expect final_loss[width = 8] < 100
  expect final_loss[width = 3] < 1e-12
}
`;

let scratch: string;
let moduleUrl: string;
let program: ExperimentProgram;

/** Compile `source` into scratch/name.mjs (runtime imported from the sources) and import it. */
async function compileTo(name: string, source: string): Promise<{ url: string; program: ExperimentProgram }> {
  const dyn = join(scratch, `${name}.dyn`);
  writeFileSync(dyn, source);
  const result = await compileFile(dyn, { runtimeImport: RUNTIME_URL });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  const path = join(scratch, `${name}.mjs`);
  writeFileSync(path, result.js);
  const url = pathToFileURL(path).href;
  const module = (await import(url)) as { experiments: ExperimentProgram[] };
  return { url, program: module.experiments[0]! };
}

/** Every file under `dir` (relative path → bytes), for comparing the tensors/ trees. */
function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

/** metrics.csv, metrics.jsonl and every file under tensors/ of `dir` are byte for byte those of `reference`. */
function expectSameRecords(dir: string, reference: string): void {
  for (const file of ["metrics.csv", "metrics.jsonl"]) expect(readFileSync(join(dir, file)).equals(readFileSync(join(reference, file))), file).toBe(true);
  const want = files(join(reference, "tensors"));
  const got = files(join(dir, "tensors"));
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [file, bytes] of want) expect(got.get(file)!.equals(bytes), file).toBe(true);
}

function manifest(dir: string): Manifest & { expects?: unknown[] } {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest & { expects?: unknown[] };
}

async function run(prog: ExperimentProgram, url: string | undefined, jobs: number, out: string, quiet = true, backend = "cpu"): Promise<{ code: number; stderr: string; stdout: string }> {
  const stdout = captureStream();
  const stderr = captureStream();
  const argv = ["--backend", backend, "--out", out, "--jobs", String(jobs), ...(quiet ? ["--quiet"] : [])];
  const code = await runMain(prog, argv, { stdout, stderr, ...(url ? { moduleUrl: url } : {}) });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

beforeAll(async () => {
  mkdirSync(join(ROOT, ".scratch"), { recursive: true });
  // Inside the repository, so the compiled module resolves the runtime's packages from node_modules.
  scratch = mkdtempSync(join(ROOT, ".scratch", "pool-test-"));
  ({ url: moduleUrl, program } = await compileTo("pooled", SOURCE));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("a profile's runs on two worker threads", () => {
  let serial: string;
  let pooled: string;
  let serialRun: Awaited<ReturnType<typeof run>>;
  let pooledRun: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    serial = join(scratch, "serial");
    pooled = join(scratch, "pooled");
    serialRun = await run(program, moduleUrl, 1, serial, false);
    pooledRun = await run(program, moduleUrl, 2, pooled, false);
  }, 300_000);

  it("writes metrics.csv and metrics.jsonl byte for byte as the serial path does", () => {
    const csv = readFileSync(join(serial, "metrics.csv"), "utf8");
    expect(csv.split("\n").length).toBeGreaterThan(3 * 3 * 4); // 3 runs × 3 seeds × 4 loss points at least
    expect(readFileSync(join(pooled, "metrics.csv"), "utf8")).toBe(csv);
    expect(readFileSync(join(pooled, "metrics.jsonl"), "utf8")).toBe(readFileSync(join(serial, "metrics.jsonl"), "utf8"));
  });

  it("writes the same .npy files with the same bytes", () => {
    const reference = files(join(serial, "tensors"));
    expect([...reference.keys()].some((f) => f.startsWith("cos/"))).toBe(true);
    expect([...reference.keys()].some((f) => f.startsWith("feats"))).toBe(true);
    const got = files(join(pooled, "tensors"));
    expect([...got.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [file, bytes] of reference) expect(got.get(file)!.equals(bytes), file).toBe(true);
  });

  it("records the same runs, in run order, with their own time spans, and the same expect verdicts", () => {
    const strip = (m: Manifest) => m.runs.map(({ startedAt: _s, endedAt: _e, ...rest }) => rest);
    const a = manifest(serial);
    const b = manifest(pooled);
    expect(strip(b)).toEqual(strip(a));
    expect(b.runs.map((r) => r.run)).toEqual(["width=3", "width=5", "width=8"]);
    for (const r of b.runs) expect(Date.parse(r.endedAt!)).toBeGreaterThanOrEqual(Date.parse(r.startedAt!));
    expect(b.expects).toEqual(a.expects);
    expect((a.expects as { passed: boolean }[]).map((e) => e.passed)).toEqual([true, false]);
    expect([b.status, pooledRun.code]).toEqual([a.status, serialRun.code]);
    expect(pooledRun.stdout.replaceAll(pooled, "DIR")).toBe(serialRun.stdout.replaceAll(serial, "DIR"));
  });

  it("says it trains on two worker threads, and prints each run's progress, labelled, as the serial path does", () => {
    expect(serialRun.stderr).not.toContain("worker threads");
    expect(pooledRun.stderr).toMatch(/^training 3 runs on 2 worker threads$/m);
    const doneLines = (text: string) => text.split("\n").filter((l) => / done: 30 steps in /.test(l)).map((l) => l.split(" ")[0]).sort();
    expect(doneLines(pooledRun.stderr)).toEqual(["width=3", "width=5", "width=8"]);
    expect(doneLines(serialRun.stderr)).toEqual(doneLines(pooledRun.stderr));
  });

  it("a second serial run of the same program writes the same bytes (metrics and tensors)", async () => {
    const again = join(scratch, "serial-again");
    await run(program, moduleUrl, 1, again);
    expectSameRecords(again, serial);
  });

  it("without the module URL (a hand-built program) the runs train serially in this process", async () => {
    const out = join(scratch, "no-url");
    const r = await run(program, undefined, 2, out, false);
    expect(r.stderr).not.toContain("worker threads");
    expect(readFileSync(join(out, "metrics.csv"), "utf8")).toBe(readFileSync(join(serial, "metrics.csv"), "utf8"));
  });
});

describe("the default --jobs (no --jobs, no DYNC_JOBS) on an idle 2-core machine", () => {
  /** runMain without --jobs, the machine given as idle, the run times remembered under `cache`. */
  async function runDefault(out: string, cache: string): Promise<{ stderr: string }> {
    const stderr = captureStream();
    const code = await runMain(program, ["--backend", "cpu", "--out", out], { stdout: captureStream(), stderr, moduleUrl, env: { DYNC_CACHE_DIR: cache }, machine: { cores: 2, load: 0 } });
    expect(code).toBe(1); // the second expect fails by design
    return { stderr: stderr.text() };
  }

  it("times the first run in this process, decides the rest by its time, and remembers every run's time", async () => {
    const cache = join(scratch, "auto-cache");
    const out = join(scratch, "auto-first");
    const r = await runDefault(out, cache);
    expect(r.stderr).toMatch(/^jobs 1: first run in this process; its time decides the rest$/m);
    const spans = manifest(out).runs.map((e) => (Date.parse(e.endedAt!) - Date.parse(e.startedAt!)) / 1000);
    // The decision is the rule's for the first run's recorded span (these runs take ~0.1 s: in this process
    // unless the machine is very slow; either way the line and the path taken follow from the span).
    const after = afterFirstRun({ auto: true, capacity: 2 }, spans[0]!, ["width=5", "width=8"], {});
    expect(r.stderr).toContain(`jobs ${after.jobs} for the other 2 runs: ${after.why}`);
    if (after.jobs === 1) expect(r.stderr).not.toContain("worker threads");
    else expect(r.stderr).toMatch(/^training 2 runs on 2 worker threads$/m);
    const [file, ...others] = readdirSync(join(cache, "run-times"));
    expect(others).toEqual([]);
    const { backends } = JSON.parse(readFileSync(join(cache, "run-times", file!), "utf8")) as { backends: Record<string, Record<string, number>> };
    expect(Object.keys(backends)).toEqual(["cpu//"]); // the backend's name, matmul path and MLP step (none on cpu)
    const runs = backends["cpu//"]!;
    expect(Object.keys(runs)).toEqual(["width=3", "width=5", "width=8"]);
    expect(Object.values(runs)).toEqual(spans);
  }, 120_000);

  it("with long remembered times trains on two worker threads from the start, recording what the serial path records", async () => {
    const cache = join(scratch, "auto-cache");
    const [file] = readdirSync(join(cache, "run-times"));
    writeFileSync(join(cache, "run-times", file!), JSON.stringify({ backends: { "cpu//": { "width=3": 20, "width=5": 20, "width=8": 20 } } }));
    const out = join(scratch, "auto-long");
    const r = await runDefault(out, cache);
    expect(r.stderr).toMatch(/^jobs 2: runs last took 20 s: ~60 s in this process, ~41 s on 2 workers$/m);
    expect(r.stderr).toMatch(/^training 3 runs on 2 worker threads$/m);
    expectSameRecords(out, join(scratch, "auto-first"));
  }, 120_000);
});

describe("on the wasm backend (SIMD kernels, fused step)", () => {
  it("--jobs 1 twice and --jobs 2 write the same bytes", async () => {
    const [serial, again, pooled] = ["wasm-serial", "wasm-again", "wasm-pooled"].map((d) => join(scratch, d));
    await run(program, moduleUrl, 1, serial, true, "wasm");
    await run(program, moduleUrl, 1, again, true, "wasm");
    await run(program, moduleUrl, 2, pooled, true, "wasm");
    expect(manifest(serial).backend.name).toBe("wasm");
    expect(manifest(pooled).backend.name).toBe("wasm");
    expectSameRecords(again, serial);
    expectSameRecords(pooled, serial);
  }, 300_000);
});

describe("failures in workers", () => {
  it("a run that fails is reported with its run id; the other runs' results are kept and match the serial path", async () => {
    // Width 5's model is made to take 3 inputs while its data have 1: that run fails (RUN040) before training.
    const { url } = await compileTo("failing", SOURCE);
    const serialOut = join(scratch, "failing-serial");
    const pooledOut = join(scratch, "failing-pooled");
    // The worker imports the module, so the failure must be in the module: patch the run spec there too
    // (the second point's patch of the plan template).
    const path = new URL(url).pathname;
    const js = readFileSync(path, "utf8");
    writeFileSync(path, `${js}\nconst point = experiments[0].profiles.default.points[1];\npoint.model = { ...point.model, inDim: 3 };\n`);
    const patched = ((await import(`${url}?patched`)) as { experiments: ExperimentProgram[] }).experiments[0]!;
    const s = await run(patched, `${url}`, 1, serialOut);
    const p = await run(patched, `${url}`, 2, pooledOut);
    expect(p.code).toBe(3); // a run failed
    expect(p.stderr).toMatch(/error RUN040: .*takes 3 inputs.* \(run width=5\)/);
    expect(p.stderr).toBe(s.stderr);
    expect(manifest(pooledOut).runs.map((r) => r.status)).toEqual(["ok", "failed", "ok"]);
    expect(readFileSync(join(pooledOut, "metrics.csv"), "utf8")).toBe(readFileSync(join(serialOut, "metrics.csv"), "utf8"));
    const csv = readFileSync(join(pooledOut, "metrics.csv"), "utf8");
    expect(csv).toMatch(/^width=8,/m);
    expect(csv).not.toMatch(/^width=5,/m);
  }, 300_000);

  it("a worker that dies fails only the run it was on (RUN060), never with a stack trace", async () => {
    // Width 5 trains on 17 points, and the target calls process.exit when given 17: in a worker that ends the thread.
    const { url } = await compileTo("dying", SOURCE);
    const path = new URL(url).pathname;
    let js = readFileSync(path, "utf8");
    js += `\nconst plan = experiments[0].profiles.default;\nplan.points[1].data = { train: { vars: { 0: { n: 17 } } } };\n`;
    js += `const target = experiments[0].targets[plan.base.data.train.target];\n`;
    js += `experiments[0].targets[plan.base.data.train.target] = (cols) => { if (cols[0].length === 17) process.exit(7); return target(cols); };\n`;
    writeFileSync(path, js);
    const dying = ((await import(`${url}?patched`)) as { experiments: ExperimentProgram[] }).experiments[0]!;
    const out = join(scratch, "dying-pooled");
    const p = await run(dying, url, 2, out);
    expect(p.code).toBe(3); // a run failed
    expect(p.stderr).toMatch(/^error RUN060: the worker thread training run \S*width=5\S* stopped unexpectedly \(exit code 7\)/m);
    expect(p.stderr).not.toMatch(/\bat .*:\d+:\d+/);
    const m = manifest(out);
    expect(m.runs.map((r) => r.status)).toEqual(["ok", "failed", "ok"]);
    expect(m.status).toBe("failed");
    const csv = readFileSync(join(out, "metrics.csv"), "utf8");
    expect(csv).toMatch(/^\S*width=3\S*,/m);
    expect(csv).toMatch(/^\S*width=8\S*,/m);
  }, 300_000);
});

describe("the --jobs knob", () => {
  it("parses --jobs and DYNC_JOBS, defaulting to a choice bounded by the idle cores (cores − 1-minute load average, rounded, 1…cores)", () => {
    expect(resolveJobs(parseMainArgs(["--jobs", "3"]), { DYNC_JOBS: "5" })).toBe(3);
    expect(resolveJobs(parseMainArgs([]), { DYNC_JOBS: "5" })).toBe(5);
    expect(resolveJobs(parseMainArgs([]), {}, { cores: 2, load: 0.3 })).toMatchObject({ auto: true, capacity: 2 });
    expect(resolveJobs(parseMainArgs([]), {}, { cores: 2, load: 0.6 })).toMatchObject({ auto: true, capacity: 1 });
    expect(resolveJobs(parseMainArgs([]), {}, { cores: 2, load: 18.9 })).toMatchObject({ auto: true, capacity: 1 });
    expect(defaultJobs(8, 2.4)).toBe(6);
    expect(defaultJobs(8, 0)).toBe(8); // also where no load average is kept (Windows)
    expect(defaultJobs(1, 0)).toBe(1);
    expect(() => parseMainArgs(["--jobs", "0"])).toThrow(UsageError);
    expect(() => parseMainArgs(["--jobs=1.5"])).toThrow(/--jobs must be a whole number/);
    expect(() => resolveJobs(parseMainArgs([]), { DYNC_JOBS: "two" })).toThrow(/DYNC_JOBS must be a whole number ≥ 1, not "two"/);
  });

  it("a bad DYNC_JOBS is a usage error (exit 2) before any work", async () => {
    const stderr = captureStream();
    const code = await runMain(program, ["--backend", "cpu", "--quiet"], { stdout: captureStream(), stderr, env: { DYNC_JOBS: "-1" }, moduleUrl });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/^error: DYNC_JOBS must be a whole number/);
  });
});

describe("the command line with --jobs 2 (built CLI in dist/, default backend)", () => {
  const cli = join(ROOT, "dist", "cli", "bin.js");
  const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });

  it("`dync run --jobs 2` and `node out.js` with DYNC_JOBS=2 record what `--jobs 1` records", () => {
    const dyn = join(scratch, "cli.dyn");
    writeFileSync(dyn, SOURCE);
    const outJs = join(scratch, "cli-out.js");
    const serial = join(scratch, "cli-serial");
    const viaRun = join(scratch, "cli-run");
    const viaOutJs = join(scratch, "cli-outjs");
    const s = node([cli, "run", dyn, "--jobs", "1", "--out", serial, "--quiet"]);
    const r = node([cli, "run", dyn, "--jobs", "2", "--out", viaRun]);
    expect(node([cli, "compile", dyn, "-o", outJs]).status).toBe(0);
    const o = node([outJs, "--out", viaOutJs, "--quiet"], { DYNC_JOBS: "2" });
    for (const p of [s, r, o]) {
      expect(p.stderr).not.toMatch(/internal error|RUN060|\bat .*:\d+:\d+/);
      expect(p.status).toBe(1); // the second expect fails by design
      // One main: a worker importing out.js must not start the experiment again (isMainThread guard).
      expect(p.stdout.match(/^backend: /gm)).toHaveLength(1);
    }
    expect(r.stderr).toMatch(/^training 3 runs on 2 worker threads$/m);
    const reference = readFileSync(join(serial, "metrics.csv"), "utf8");
    expect(readFileSync(join(viaRun, "metrics.csv"), "utf8")).toBe(reference);
    expect(readFileSync(join(viaOutJs, "metrics.csv"), "utf8")).toBe(reference);
    expect(manifest(viaOutJs).backend.name).toBe(manifest(serial).backend.name);
  }, 300_000);

  it("Ctrl-C stops the workers at a step boundary, records what they measured in run order, marks the unfinished runs, exits 130", async () => {
    const outJs = join(scratch, "cli-long.js");
    const dyn = join(scratch, "long.dyn");
    writeFileSync(dyn, SOURCE.replace("train 30 steps", "train 4000 steps").replace("every 10 steps", "every 100 steps"));
    expect(node([cli, "compile", dyn, "-o", outJs]).status).toBe(0);
    const out = join(scratch, "interrupted");
    const child = spawn(process.execPath, [outJs, "--out", out, "--jobs", "2", "--backend", "cpu"], { cwd: ROOT });
    let stderr = "";
    // Interrupt once the first run is done: the other worker is then mid-run.
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) => child.on("exit", (code, signal) => done({ code, signal })));
    child.stderr.on("data", (chunk: Buffer) => {
      const first = !/ done: 4000 steps/.test(stderr);
      stderr += chunk.toString();
      if (first && / done: 4000 steps/.test(stderr)) child.kill("SIGINT");
    });
    const { code } = await exited;
    expect(code).toBe(130);
    expect(stderr).not.toMatch(/looks like you are running TensorFlow\.js/); // tfjs's cpu banner, once per worker before
    const m = manifest(out);
    expect(m.status).toBe("interrupted");
    expect(m.message).toMatch(/^interrupted by SIGINT: [12] of 3 runs finished/);
    // The third run had 4000 steps to go when the signal came; which of the others had ended depends on timing.
    expect(m.runs.filter((r) => r.status === "ok").length).toBeLessThan(3);
    for (const r of m.runs) expect(r.status === "ok" || /^interrupted by SIGINT after \d+ of 4000 steps/.test(r.message ?? "")).toBe(true);
    // Rows are grouped by run, in run order, as a serial run writes them.
    const runsInOrder = readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(",")[0]!);
    const firstSeen = [...new Set(runsInOrder)];
    expect(firstSeen).toEqual(m.runs.map((r) => r.run).slice(0, firstSeen.length));
    expect(runsInOrder).toEqual([...runsInOrder].sort((a, b) => firstSeen.indexOf(a) - firstSeen.indexOf(b)));
  }, 300_000);

  it("`--jobs 0` is a usage error", () => {
    const p = node([cli, "run", join(scratch, "cli.dyn"), "--jobs", "0"]);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/--jobs must be a whole number ≥ 1, not "0"/);
  });
});
