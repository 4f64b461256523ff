/**
 * Index sets found during a run (`train[up]`, `let up = top_k(…) over point`): the checker lowers them with
 * the step they are known at and refuses what a run cannot know at a fixed step (DYN2085) and cycles
 * (DYN2086); a run finds them per seed and its probes on them measure from that step on — nothing before —
 * and equal, number for number, the same probes with the rows pinned by hand in a run of that seed alone,
 * the rows computed here from the recorded per-sample losses (not by the analysis code). A run killed after
 * a checkpoint before or after its set is found, then resumed, ends with byte-identical files.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { expectSameRecords } from "../run-records.js";
import { compileFile } from "../../compiler/compile.js";
import { checkSource } from "../../compiler/check/index.js";
import type { ExperimentProgram, FoundSet, PlanTemplate } from "../../contract/program.js";
import { readNpy } from "../../runtime/npy.js";
import { readCheckpointFile } from "../../runtime/record/index.js";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "dync-inrun-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The experiment with its groups; `{seeds}` and `{up}`/`{down}` filled per use. */
const template = (seeds: string, up: string, down: string): string => `experiment found {
  seeds ${seeds}
  data train = chebyshev(degree: 3, n: 16)
  model net = mlp(hidden: [8], act: tanh)
  loss half_mse
  optimizer gd(lr: 0.3)
  train 24 steps, batch full
  probe g_up = grad_norm(net, train[${up}]) every 3 steps
  probe psl = per_sample_loss(net, train) every step
  probe l_down = loss(net, train[${down}]) every step
  probe s_up = sharpness(net, train[${up}]) every 6 steps
  probe psl_up = per_sample_loss(net, train[${up}]) every 4 steps
  let d = diff(psl) over steps
  let up = top_k(last(d before 10 steps), k: 3) over point
  let down = bottom_k(d[steps = 10], k: 4) over point
}
`;

async function compileProgram(name: string, source: string): Promise<ExperimentProgram> {
  const file = join(scratch, `${name}.dyn`);
  writeFileSync(file, source);
  const result = await compileFile(file, { runtimeImport: pathToFileURL(join(root, "runner", "index.ts")).href });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  const modulePath = join(scratch, `${name}.mjs`);
  writeFileSync(modulePath, result.js);
  const { experiments } = (await import(pathToFileURL(modulePath).href)) as { experiments: readonly ExperimentProgram[] };
  return experiments[0]!;
}

async function run(program: ExperimentProgram, out: string): Promise<string[][]> {
  const { runMain } = await import("../../runner/index.js");
  expect(await runMain(program, ["--backend", "cpu", "--out", out, "--quiet"])).toBe(0);
  return readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
}

/** Steps and values of `probe` for `seed` from metrics.csv rows (run, seed, step, epoch, probe, value). */
function series(rows: readonly string[][], probe: string, seed: number): Map<number, string> {
  return new Map(rows.filter((r) => r[4] === probe && r[1] === String(seed)).map((r) => [Number(r[2]), r[5]!] as const));
}

/** The k points whose loss changed most (largest or smallest Δ) from step t − 1 to t, ascending. */
function extreme(psl: Float32Array | Float64Array, n: number, t: number, k: number, largest: boolean): number[] {
  const delta = Array.from({ length: n }, (_, i) => psl[t * n + i]! - psl[(t - 1) * n + i]!);
  const order = delta.map((_, i) => i).sort((a, b) => (largest ? delta[b]! - delta[a]! : delta[a]! - delta[b]!) || a - b);
  return order.slice(0, k).sort((a, b) => a - b);
}

describe("index sets found during the run", () => {
  it("lower with the step they are known at", async () => {
    const program = await compileProgram("lowered", template("2", "up", "down"));
    const probes = (program.profiles["default"] as PlanTemplate).base.probes;
    const found = (name: string) => (probes.find((p) => p.name === name)!.args["data"] as { found: FoundSet }).found;
    expect([found("g_up").name, found("g_up").step, found("g_up").size, found("g_up").reads]).toEqual(["up", 9, 3, ["psl"]]);
    expect([found("l_down").name, found("l_down").step, found("l_down").size]).toEqual(["down", 10, 4]);
    expect(found("g_up").lets.map((l) => l.name)).toEqual(["d"]);
  });

  it("measure from the step the set is known, equal to the rows pinned by hand", async () => {
    const program = await compileProgram("found", template("2", "up", "down"));
    const rows = await run(program, join(scratch, "found"));
    const n = 16;
    for (const seed of [0, 1]) {
      const psl = readNpy(join(scratch, "found", `tensors/psl/run/seed${seed}.npy`)).data as Float32Array;
      const up = extreme(psl, n, 9, 3, true);
      const down = extreme(psl, n, 10, 4, false);
      const pinned = await compileProgram(`pinned${seed}`, template(`[${seed}]`, `[${up.join(", ")}]`, `[${down.join(", ")}]`));
      const pinnedRows = await run(pinned, join(scratch, `pinned${seed}`));
      for (const [probe, from] of [["g_up", 9], ["l_down", 10], ["s_up", 9]] as const) {
        const got = series(rows, probe, seed);
        const want = series(pinnedRows, probe, seed);
        // Nothing before the set is known; from then on every measurement, equal to the pinned probe's.
        expect([...got.keys()].every((t) => t >= from), `${probe} measured before step ${from}`).toBe(true);
        expect([...got.keys()]).toEqual([...want.keys()].filter((t) => t >= from));
        for (const [t, value] of got) {
          // sharpness warm-starts from its last eigenvector, which the pinned probe measured at 0 and 6 as well:
          // the same eigenvalue to its tolerance, not bit for bit.
          if (probe === "s_up") expect(Number(value) / Number(want.get(t)) - 1, `${probe} seed ${seed} step ${t}`).toBeCloseTo(0, 5);
          else expect(value, `${probe} seed ${seed} step ${t}`).toBe(want.get(t));
        }
      }
      const stacked = readNpy(join(scratch, "found", `tensors/psl_up/run/seed${seed}.npy`));
      const pinnedStacked = readNpy(join(scratch, `pinned${seed}`, `tensors/psl_up/run/seed${seed}.npy`));
      expect(Array.from(readNpy(join(scratch, "found", `tensors/psl_up/run/seed${seed}_steps.npy`)).data)).toEqual([12, 16, 20, 24]);
      // The pinned run measured at 0, 4 and 8 too: its last four rows are the found run's.
      expect(Array.from(stacked.data)).toEqual(Array.from(pinnedStacked.data).slice(-4 * 3));
    }
  }, 180_000);
});

describe("diagnostics", () => {
  const check = (body: string) =>
    checkSource(`experiment e {
  seeds 2
  data train = chebyshev(degree: 3, n: 12)
  data other = chebyshev(degree: 2, n: 12)
  model net = mlp(hidden: [8], act: tanh)
  loss half_mse
  optimizer gd(lr: 0.3)
  train 20 steps, batch full
  probe psl = per_sample_loss(net, train) every step
  let d = diff(psl) over steps
${body}
}
`, "e.dyn").diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`);

  it("refuse a set that needs the whole series", () => {
    expect(check("  probe g = grad_norm(net, train[s]) every 5 steps\n  let s = top_k(d, k: 3) over point")).toEqual([
      "DYN2085 11:28 a probe cannot read the index set `s` during the run: `d` is a series over every step, and the set needs its values at one step",
    ]);
    expect(check("  probe g = grad_norm(net, train[s]) every 5 steps\n  let s = top_k(mean(d) over steps, k: 3) over point")).toEqual([
      "DYN2085 11:28 a probe cannot read the index set `s` during the run: `mean` over steps reads the series up to the end of the run",
    ]);
    expect(check("  probe g = grad_norm(net, train[s]) every 5 steps\n  let s = top_k(d[steps = 30], k: 3) over point")).toEqual([
      "DYN2085 11:28 a probe cannot read the index set `s` during the run: it is known at step 30, after the end of training (20 steps)",
    ]);
    expect(check("  probe q = per_sample_loss(net, train) every 7 steps\n  probe g = grad_norm(net, train[s]) every 5 steps\n  let s = top_k(diff(q)[steps = 10], k: 3) over point")).toEqual([
      "DYN2085 12:28 a probe cannot read the index set `s` during the run: `q` is not measured at step 10 (every 7 steps), so the values pinned there do not exist",
    ]);
    expect(check("  probe g = grad_norm(net, train[s]) every 5 steps\n  let s = mean(d) over point")).toEqual([
      "DYN2085 11:28 a probe cannot read the index set `s` during the run: a probe's rows can come from `top_k(…)` or `bottom_k(…)` over point, an index set; it is another analysis",
    ]);
    expect(check("  probe g = grad_norm(net, other[s]) every 5 steps\n  let s = top_k(d[steps = 10], k: 3) over point")).toEqual([
      "DYN2085 11:28 a probe cannot read the index set `s` during the run: it chooses points of `train` (probe `psl` measures one value per point of it), not rows of `other`",
    ]);
  });

  it("refuse a probe that reads a set found from its own values", () => {
    expect(check("  probe e = per_sample_loss(net, train[s]) every step\n  let s = top_k(e[steps = 10], k: 3) over point")).toEqual([
      "DYN2086 11:34 probe `e` reads the index set `s`, which is found from its own measurements: `e` → `e`",
    ]);
  });
});

describe("a run stopped and resumed", () => {
  const CLI = join(root, "dist", "cli", "bin.js");
  // The set is known at step 150; checkpoints every 10 steps, so a resume continues before or after it.
  const SOURCE = `experiment resumed {
  seeds 2
  data train = chebyshev(degree: 3, n: 16)
  model net = mlp(hidden: [16], act: tanh)
  loss half_mse
  optimizer gd(lr: 0.3)
  train 700 steps, batch full
  probe psl = per_sample_loss(net, train) every step
  probe g_up = grad_norm(net, train[up]) every 7 steps
  probe s_up = sharpness(net, train[up]) every 50 steps
  let up = top_k(diff(psl)[steps = 150], k: 3) over point
  checkpoint every 10 steps
}
`;

  /** Run the program and SIGKILL it once its checkpoint is at a step in [from, to]; returns that step. */
  const killAt = async (program: string, out: string, from: number, to: number): Promise<number> => {
    const child = spawn(process.execPath, [program, "--backend", "cpu", "--quiet", "--out", out], { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on("exit", (_code, signal) => done(signal)));
    const file = join(out, "checkpoints", "run.ckpt");
    let step = -1;
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (!existsSync(file)) return;
        try {
          step = (readCheckpointFile(file) as { training: { step: number } }).training.step;
        } catch {
          return; // replaced while read
        }
        if (step < from) return;
        child.kill("SIGKILL");
        clearInterval(poll);
        done();
      }, 2);
      void exited.then(() => {
        clearInterval(poll);
        done();
      });
    });
    expect(await exited, "the run ended before it could be killed: make it longer").toBe("SIGKILL");
    expect(step).toBeLessThanOrEqual(to);
    return step;
  };

  it("ends byte-identical to an uninterrupted run, stopped before or after the set is found", async () => {
    const dyn = join(scratch, "resumed.dyn");
    const program = join(scratch, "resumed-program.mjs");
    writeFileSync(dyn, SOURCE);
    const compiled = spawnSync(process.execPath, [CLI, "compile", dyn, "-o", program], { encoding: "utf8" });
    expect(compiled.status, compiled.stderr).toBe(0);
    const reference = join(scratch, "resumed-reference");
    const whole = spawnSync(process.execPath, [program, "--backend", "cpu", "--quiet", "--out", reference], { encoding: "utf8" });
    expect(whole.status, whole.stderr).toBe(0);
    expect(series(readFileSync(join(reference, "metrics.csv"), "utf8").trim().split("\n").map((l) => l.split(",")), "g_up", 0).keys().next().value).toBe(154);
    for (const [from, to] of [[20, 140], [160, 600]] as const) {
      const dir = join(scratch, `resumed-${from}`);
      const step = await killAt(program, dir, from, to);
      const resumed = spawnSync(process.execPath, [program, "--resume", dir, "--backend", "cpu", "--quiet"], { encoding: "utf8" });
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain(`continues from its checkpoint at step ${step}`);
      expectSameRecords(dir, reference, undefined, ` (resumed from step ${step})`);
    }
  }, 300_000);
});
