/**
 * Cross-run references (issue 18): `project(net, along: top[lr = 0.01])` in the lr = 0.02 run reads the
 * eigenvector the lr = 0.01 run measured. The producer is listed second in the sweep, so the runner must
 * reorder the runs (and the pool wait for it). Its saved vectors (handoff/, float64 .npy) are unit vectors with
 * the eigenvalues the producer recorded, and the reader's `project` equals Σᵢ θᵢ vᵢ computed here in float64
 * from the saved vector and the reader's own recorded parameters (the three scalars b, b_o, c of the §3.3 linear model with d1 = d2 = 1), at every step;
 * the producer's own `project` (reading itself) is NaN before the measurement and the same sum after it.
 * Also: `--jobs 2` writes the same files byte for byte; a run stopped by SIGINT in the reader and resumed
 * ends byte-identical; a producer whose event never fires fails the reader with RUN042, keeping the
 * producer's results.
 *
 * Uses the built CLI (`npm test` builds first).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectSameRecords } from "../run-records.js";
import { readNpy } from "../../runtime/npy.js";
import type { Manifest } from "../../runtime/record/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".cross-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const source = (when: string) => `experiment xr {
  sweep lr in [0.02, 0.01]
  seeds 2
  data train = opposing_signals(n: 50, d1: 1, d2: 1, p: 0.1, alpha: 4, beta: 1)
  model net = opposing_linear(d1: 1, d2: 1)
  loss half_mse
  optimizer gd(lr: lr)
  train 300 steps, batch full
  probe top = hessian(net, train, k: 2, tol: 1e-6) ${when}
  probe b = param(net, "b", stat: first) every 1 steps
  probe bo = param(net, "b_o", stat: first) every 1 steps
  probe c = param(net, "c", stat: first) every 1 steps
  probe p = project(net, along: top[lr = 0.01]) every 1 steps
  probe p2 = project(net, along: top[lr = 0.01], index: 1) every 1 steps
  probe dv = step_along(net, along: top[lr = 0.01]) every 1 steps
}
`;

const program = join(scratch, "xr.mjs");
const producer = "lr=0.01";
const reader = "lr=0.02";
let reference: string;

function compile(text: string, out: string): void {
  const dyn = out.replace(/\.mjs$/, ".dyn");
  writeFileSync(dyn, text);
  const compiled = spawnSync(process.execPath, [CLI, "compile", dyn, "-o", out], { encoding: "utf8" });
  expect(compiled.status, compiled.stderr).toBe(0);
}

function run(prog: string, out: string, ...args: string[]) {
  return spawnSync(process.execPath, [prog, "--backend", "cpu", "--quiet", "--out", out, ...args], { encoding: "utf8" });
}

beforeAll(() => {
  compile(source("at 100"), program);
  reference = join(scratch, "reference");
  const r = run(program, reference, "--jobs", "1");
  expect(r.status, r.stderr).toBe(0);
}, 300_000);

/** metrics.csv as value[run][probe][seed][step]. */
function metrics(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n");
  const header = lines[0]!.split(",");
  const at = (name: string) => header.indexOf(name);
  for (const line of lines.slice(1)) {
    const cells = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, "").replace(/^"|"$/g, ""));
    out.set(`${cells[at("run")]}|${cells[at("probe")]}|${cells[at("seed")]}|${cells[at("step")]}`, Number(cells[at("value")]));
  }
  return out;
}

function handoff(dir: string) {
  const base = join(dir, "handoff", encodeURIComponent(producer), "top");
  const meta = JSON.parse(readFileSync(`${base}.json`, "utf8")) as { steps: (number | null)[]; k: number; layout: { name: string; offset: number; size: number }[] };
  const vectors = readNpy(`${base}.vectors.npy`);
  const values = readNpy(`${base}.values.npy`);
  return { meta, vectors, values };
}

describe("a probe reading another run's eigenvector", () => {
  it("trains the producer first, whatever the sweep order", () => {
    const manifest = JSON.parse(readFileSync(join(reference, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.runs.map((r) => [r.run, r.status])).toEqual([[producer, "ok"], [reader, "ok"]]);
  });

  it("`dync plan` lists the producer first and says what it hands over", () => {
    const r = spawnSync(process.execPath, [CLI, "plan", program.replace(/\.mjs$/, ".dyn")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.indexOf(`  ${producer} `)).toBeLessThan(r.stdout.indexOf(`  ${reader} `));
    expect(r.stdout).toContain(`handed over: top of ${producer} → every other run (trained after it)`);
  });

  it("saves the producer's eigenpairs in float64 with the step of the call", () => {
    const { meta, vectors, values } = handoff(reference);
    expect(vectors.data).toBeInstanceOf(Float64Array);
    expect(vectors.shape).toEqual([2, 2, 3]);
    expect(values.shape).toEqual([2, 2]);
    expect(meta.steps).toEqual([100, 100]);
    expect(meta.layout.map((p) => p.size)).toEqual([1, 1, 1]);
    for (let s = 0; s < 2; s++) {
      // the values the producer recorded at step 100, and unit vectors
      for (let i = 0; i < 2; i++) {
        const recorded = readNpy(join(reference, "tensors", "top", producer, `seed${s}.npy`)).data;
        const row = Array.from(readNpy(join(reference, "tensors", "top", producer, `seed${s}_steps.npy`)).data).indexOf(100);
        expect(values.data[s * 2 + i]).toBe(recorded[row * 2 + i]);
        const v = vectors.data.subarray((s * 2 + i) * 3, (s * 2 + i + 1) * 3);
        expect(Math.hypot(...v)).toBeCloseTo(1, 12);
      }
    }
  });

  it("the reader's project and step_along are ⟨θ_t, v⟩ and |⟨θ_t − θ_t−1, v⟩| in float64 with the saved vectors, at every step", () => {
    const { meta, vectors } = handoff(reference);
    const m = metrics(reference);
    const probeOf: Record<string, string> = { b: "b", b_o: "bo", c: "c" };
    const theta = (run: string, s: number, t: number) => meta.layout.map((p) => m.get(`${run}|${probeOf[p.name.split(".")[0]!]}|${s}|${t}`)!);
    let checked = 0;
    for (let s = 0; s < 2; s++) {
      for (let t = 0; t <= 300; t++) {
        for (const [probe, i] of [["p", 0], ["p2", 1]] as const) {
          const v = vectors.data.subarray((s * 2 + i) * 3, (s * 2 + i + 1) * 3);
          const want = theta(reader, s, t).reduce((a, x, k) => a + x * v[k]!, 0);
          expect(Math.abs(m.get(`${reader}|${probe}|${s}|${t}`)! - want)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
          // the producer reads its own vector from the step it is measured on (`top` is declared before `p`)
          const own = m.get(`${producer}|${probe}|${s}|${t}`)!;
          if (t < 100) expect(own).toBeNaN();
          else expect(Math.abs(own - theta(producer, s, t).reduce((a, x, k) => a + x * v[k]!, 0))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(own)));
          checked++;
        }
        if (t > 0) {
          const v = vectors.data.subarray(s * 2 * 3, (s * 2 + 1) * 3);
          const now = theta(reader, s, t);
          const before = theta(reader, s, t - 1);
          const want = Math.abs(now.reduce((a, x, k) => a + (x - before[k]!) * v[k]!, 0));
          expect(Math.abs(m.get(`${reader}|dv|${s}|${t}`)! - want)).toBeLessThanOrEqual(1e-12 * Math.max(1e-6, want));
        }
      }
    }
    expect(checked).toBe(2 * 301 * 2);
  });
});


describe("ordering on the pool and on resume", () => {
  it("--jobs 2 waits for the producer and writes the same files byte for byte", () => {
    const dir = join(scratch, "jobs2");
    const r = run(program, dir, "--jobs", "2");
    expect(r.status, r.stderr).toBe(0);
    expectSameRecords(dir, reference, ["tensors", "handoff"]);
  }, 300_000);

  it("stopped by SIGINT while the reader trains, resumed: byte-identical, the reader loads the saved vector again", async () => {
    const dir = join(scratch, "sigint");
    const child = spawn(process.execPath, [program, "--backend", "cpu", "--jobs", "1", "--quiet", "--out", dir, "--checkpoint-every", "1000"], { stdio: "ignore" });
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const readerRows = () => (existsSync(join(dir, "metrics.csv")) ? readFileSync(join(dir, "metrics.csv"), "utf8").split(`\n${reader},`).length - 1 : 0);
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (readerRows() < 200) return;
        clearInterval(poll);
        child.kill("SIGINT");
        done();
      }, 5);
      void exited.then(() => {
        clearInterval(poll);
        done();
      });
    });
    expect(await exited, "the run ended before it could be stopped: make it longer").toBe(130);
    const resumed = spawnSync(process.execPath, [program, "--resume", dir, "--backend", "cpu", "--jobs", "1", "--quiet"], { encoding: "utf8" });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`run ${reader} continues from its checkpoint at step \\d+`));
    expectSameRecords(dir, reference, ["tensors", "handoff"]);
  }, 300_000);
});

describe("shards", () => {
  it("keep the reader in its producer's shard; merged, they equal one machine's run", () => {
    const shards = join(scratch, "shards");
    for (const i of [1, 2]) {
      const r = run(program, join(shards, `shard-${i}`), "--jobs", "1", "--shard", `${i}/2`);
      expect(r.status, r.stderr).toBe(0);
    }
    const trained = (i: number) => (JSON.parse(readFileSync(join(shards, `shard-${i}`, "manifest.json"), "utf8")) as Manifest).runs.map((r) => r.run);
    expect([trained(1), trained(2)]).toEqual([[producer, reader], []]);
    const merged = join(scratch, "merged");
    const m = spawnSync(process.execPath, [CLI, "merge", shards, "--out", merged], { encoding: "utf8" });
    expect(m.status, m.stderr).toBe(0);
    expectSameRecords(merged, reference, ["tensors", "handoff"]);
  }, 300_000);
});

describe("a producer that never measures", () => {
  it("fails the reader with RUN042 naming the producer, and keeps the producer's results", () => {
    const prog = join(scratch, "never.mjs");
    compile(source("at first(b > 1e9)"), prog);
    const dir = join(scratch, "never");
    const r = run(prog, dir, "--jobs", "1");
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`RUN042: probe p reads probe top of run ${producer}, which has no measurement of it`);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.runs.map((x) => [x.run, x.status])).toEqual([[producer, "ok"], [reader, "failed"]]);
    expect(metrics(dir).get(`${producer}|b|0|300`)).toBeTypeOf("number");
  }, 300_000);
});
