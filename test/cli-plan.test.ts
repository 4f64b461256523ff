/**
 * `dync plan`: parameter counts and training arithmetic against hand counts, for an MLP and a CNN (whose
 * conv weights are used once per output pixel, so its arithmetic is not 6 · params).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkSource } from "../compiler/check/index.js";
import { describePlan, FileSizes, forwardMultiplyAdds, parameterCount, planCommand, probeFlops, type JobsInputs } from "../cli/commands/plan.js";
import { rememberedBackends, rememberRunTimes, runTimesKey } from "../runner/run-times.js";
import { expandPlan, planTemplate } from "../contract/plan.js";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { resolve } from "node:path";

const CLI = join(resolve(import.meta.dirname, ".."), "dist", "cli", "bin.js");
import { writeNpy } from "../runtime/npy.js";

function plan(source: string, profile = "default") {
  const check = checkSource(source, "plan.dyn");
  expect(check.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const exp = check.experiments[0]!;
  return { exp, plan: exp.profiles[profile]! };
}

describe("dync plan", () => {
  it("counts an MLP's weights and biases; its arithmetic is 6 · weights · batch · steps · seeds", () => {
    const { exp, plan: p } = plan(`experiment e {
      seeds 3
      data train = grid(x in [-1, 1], n: 50) -> x^2
      model net = mlp(hidden: [8, 4], act: relu)
      optimizer sgd(lr: 0.1)
      train 100 steps, batch 10
    }`);
    const model = p.runs[0]!.model;
    // 1→8→4→1 with biases: 8 + 8 + 32 + 4 + 4 + 1
    expect(parameterCount(model)).toBe(57);
    // multiply-adds are the weights' (8 + 32 + 4), as for the CNN below: a bias is an addition
    expect(forwardMultiplyAdds(model)).toBe(44);
    const text = describePlan(exp.name, "default", p.seeds, p.runs);
    expect(text).toContain("1 run × 3 seeds = 3 networks");
    expect(text).toMatch(/run\s+57\s+10\s+100/);
    expect(text).toContain(`≈ ${6 * 44 * 10 * 100 * 3} FLOP`);
  });

  it("counts batch norm's scales and shifts (mlp(hidden: [8], norm: batchnorm): 41, not 25)", () => {
    const { plan: p } = plan(`experiment e {
      data train = grid(x in [-1, 1], n: 50) -> x^2
      model net = mlp(hidden: [8], norm: batchnorm)
      optimizer sgd(lr: 0.1)
      train 100 steps, batch 10
    }`);
    // 1→8: 8 + 8; γ, β: 8 + 8; 8→1: 8 + 1
    expect(parameterCount(p.runs[0]!.model)).toBe(41);
  });

  it("counts a layer list through its shapes: conv, pool, batch norm, flatten, dense with the width from the classes", () => {
    const { plan: p } = plan(`experiment e {
      data train = gratings(n: 32, size: 10, classes: 3)
      model net {
        conv2d(filters: 4, kernel: 3, act: relu)
        batchnorm
        max_pool(2)
        flatten
        dense()
      }
      loss cross_entropy
      optimizer adam(lr: 1e-3)
      train 10 steps
    }`);
    const model = p.runs[0]!.model;
    // conv 3·3·1·4 + 4 = 40 on 10×10 → 8×8×4; batch norm 4 + 4; pool → 4×4×4 = 64; dense 64·3 + 3
    expect(parameterCount(model)).toBe(40 + 8 + 195);
    expect(forwardMultiplyAdds(model)).toBe(64 * 36 + 64 * 3);
  });

  it("counts a CNN's kernels once but its multiply-adds once per output pixel", () => {
    const { exp, plan: p } = plan(`experiment e {
      seeds 2
      data train = gratings(n: 32, size: 16, classes: 4)
      model net = cnn(filters: [16], kernel: 5, pool: 2, conv_act: tanh, hidden: [64], act: relu)
      loss cross_entropy
      optimizer adam(lr: 1e-3)
      train 200 steps, batch full
    }`);
    const model = p.runs[0]!.model;
    // conv 5·5·1·16 + 16; 12×12 output pooled to 6×6×16 = 576; dense 576·64 + 64; out 64·4 + 4
    expect(parameterCount(model)).toBe(416 + 36928 + 260);
    // 12·12 output pixels × 5·5·1·16 weights, then the dense weights once
    expect(forwardMultiplyAdds(model)).toBe(144 * 400 + 576 * 64 + 64 * 4);
    const text = describePlan(exp.name, "default", p.seeds, p.runs);
    expect(text).toMatch(/run\s+37604\s+32\s+200/);
    expect(text).toContain(`≈ ${((6 * 94720 * 32 * 200 * 2) / 1e9).toFixed(1)} GFLOP`);
  });

  it("adds each probe's declared cost per call: a loss probe is one forward pass per row, weight_norm 2 flops per parameter", () => {
    const { exp, plan: p } = plan(`experiment e {
      seeds 3
      data train = grid(x in [-1, 1], n: 50) -> x^2
      model net = mlp(hidden: [8, 4], act: relu)
      optimizer sgd(lr: 0.1)
      train 100 steps, batch 10
      probe l = loss(net, train) every 10 steps
      probe w = weight_norm(net) at [start, end]
    }`);
    // 44 weight multiply-adds per sample (1·8 + 8·4 + 4·1), 57 parameters (with the 13 biases).
    // 11 loss calls (steps 0, 10, …, 100) × 50 rows × 2 · 44 flops; 2 weight_norm calls × 2 · 57
    const probes = 11 * 50 * 2 * 44 + 2 * 2 * 57;
    const text = describePlan(exp.name, "default", p.seeds, p.runs);
    expect(text).toContain(`≈ ${(6 * 44 * 10 * 100 + probes) * 3} FLOP`);
    expect(text).toContain("plus each probe's declared cost per call");
  });

  it("counts each step a probe measures once, as the runtime measures it: repeated and overlapping points are one call", () => {
    const cost = (cadence: string) => {
      const { plan: p } = plan(`experiment e {
        data train = grid(x in [-1, 1], n: 50) -> x^2
        model net = mlp(hidden: [8, 4], act: relu)
        optimizer sgd(lr: 0.1)
        train 100 steps, batch 10
        probe w = weight_norm(net) ${cadence}
      }`);
      return probeFlops(p.runs[0]!, 100, 1) / (2 * 57); // weight_norm: 2 flops per parameter per call
    };
    expect(cost("at [start, 0%]")).toBe(1);
    expect(cost("at [start, end, 100%, 100, 50%, 50, 0]")).toBe(3); // steps 0, 100, 50
    expect(cost("every 10 steps, at [start, 25%, end]")).toBe(12); // 0, 10, …, 100 and 25
    expect(cost("every 10 steps, every 25 steps")).toBe(13); // 11 multiples of 10, and 25, 75 (50, 100 already counted)
    expect(cost("every 25%, at [start, 50%]")).toBe(5); // 0, 25, 50, 75, 100
    expect(cost("every 20 steps, every 10%")).toBe(11); // every 10% is steps 0, 10, …, 100: the multiples of 20 among them
  });

  it("shows an index set found during the run and counts its readers' calls from the step it is known", () => {
    const { exp, plan: p } = plan(`experiment e {
      data train = grid(x in [-1, 1], n: 50) -> x^2
      model net = mlp(hidden: [8, 4], act: relu)
      optimizer gd(lr: 0.1)
      train 100 steps, batch full
      probe psl = per_sample_loss(net, train) every step
      probe l_up = loss(net, train[up]) every 10 steps
      let up = top_k(diff(psl)[steps = 35], k: 5) over point
    }`);
    const text = describePlan(exp.name, "default", p.seeds, p.runs);
    expect(text).toContain("found during the run: up (5 rows per seed, known after step 35's measurements) → l_up measure from step 35");
    // per_sample_loss is free (the full-batch step's losses); l_up at 40, 50, …, 100: 7 calls × 5 rows × 2 · 44 flops
    expect(probeFlops(p.runs[0]!, 100, 1)).toBe(7 * 5 * 2 * 44);
  });

  it("prices per_sample_loss at nothing where the training step's losses are reused, and the eigenvector probes per parameter", () => {
    const source = (batch: string, data = "train") => `experiment e {
      data train = grid(x in [-1, 1], n: 50) -> x^2
      model net = mlp(hidden: [8, 4], act: relu)
      loss half_mse
      optimizer sgd(lr: 0.1)
      train 100 steps, batch ${batch}
      probe psl = per_sample_loss(net, ${data}) every 10 steps
      probe top = hessian(net, train, k: 1, iters: 1) at end
      probe s = eigen_share(net, along: top) at end
      probe p = project(net, along: top) at end
      probe a = step_along(net, along: top) at end
    }`;
    const flops = (text: string) => probeFlops(plan(text).plan.runs[0]!, 100, 1);
    // Probe flops per seed over 100 steps. 44 multiply-adds per sample, 57 parameters. The shared part: one HVP call of 1 product over 50 rows
    // (12 · 44 each), eigen_share 2 · 57, project 2 · 57, step_along 3 · 57.
    const eigen = 50 * 12 * 44 + (2 + 2 + 3) * 57;
    // Full batch on the training set: per_sample_loss reuses the step's losses, free.
    expect(flops(source("full"))).toBe(eigen);
    // A group of 20 rows, or minibatches: 11 calls × the rows' forward passes (2 · 44 flops each).
    expect(flops(source("full", "train[0..19]"))).toBe(eigen + 11 * 20 * 2 * 44);
    expect(flops(source("10"))).toBe(eigen + 11 * 50 * 2 * 44);
  });

  const checkpointed = (checkpoint: string, train = "train 1000 steps, batch 10") => {
    const { exp, plan: p } = plan(`experiment e {
      sweep w in [4, 8]
      data train = grid(x in [-1, 1], n: 50) -> x^2
      model net = mlp(hidden: [w], act: relu)
      optimizer sgd(lr: 0.1)
      ${train}
      ${checkpoint}
    }`);
    return describePlan(exp.name, "default", p.seeds, p.runs);
  };

  it("shows the checkpoint cadence and the checkpoints a run writes (at the multiples strictly inside the run)", () => {
    // 1000 steps every 300: at 300, 600, 900
    expect(checkpointed("checkpoint every 300 steps")).toContain("\n  checkpoint every 300 steps: 3 writes per run\n");
    // 900 steps every 300: at 300 and 600; none at step 900, the end
    expect(checkpointed("checkpoint every 300 steps", "train 900 steps, batch 10")).toContain("checkpoint every 300 steps: 2 writes per run");
    // 50 rows in batches of 10: 5 steps per epoch; 20 epochs = 100 steps; every 4 epochs = 20 steps: at 20, 40, 60, 80
    expect(checkpointed("checkpoint every 4 epochs", "train 20 epochs, batch 10")).toContain("checkpoint every 4 epochs (20 steps): 4 writes per run");
    expect(checkpointed("checkpoint every 2000 steps")).toContain("checkpoint every 2000 steps: 0 writes per run");
    expect(checkpointed("")).not.toContain("checkpoint");
  });

  it("shows a share of training as the checkpoints it writes in each run's length", () => {
    // 1000 steps every 10%: at 100, 200, …, 900 (not at 0 or 1000)
    expect(checkpointed("checkpoint every 10%")).toContain("\n  checkpoint every 10%: 9 writes per run\n");
    // 7 steps every 30%: ⌈2.1⌉ = 3, ⌈4.2⌉ = 5, ⌈6.3⌉ = 7 (the end): 2
    expect(checkpointed("checkpoint every 30%", "train 7 steps, batch 10")).toContain("checkpoint every 30%: 2 writes per run");
    // 20 epochs of 5 steps = 100 steps every 25%: at 25, 50, 75
    expect(checkpointed("checkpoint every 25%", "train 20 epochs, batch 10")).toContain("checkpoint every 25%: 3 writes per run");
  });
});

describe("dync plan with the user's data files", () => {
  const scratch = mkdtempSync(join(import.meta.dirname, ".cli-plan-files-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const planOf = (data: string, training: string) => {
    const file = join(scratch, "p.dyn");
    writeFileSync(file, `experiment e {\n  seeds 1\n  data train = ${data}\n  model net = mlp(hidden: [2], act: tanh)\n  optimizer sgd(lr: 0.1)\n  train ${training}\n}\n`);
    const check = checkSource(readFileSync(file, "utf8"), file);
    const p = check.experiments[0]!.profiles["default"]!;
    return describePlan("e", "default", p.seeds, p.runs, new FileSizes(file));
  };

  it("counts a CSV's rows (blank lines skipped) and an npy's first dimension from its header", () => {
    // 10 data rows and two blank lines: batch full is 10; 3 epochs of batch 4 are 3 · ⌈10 / 4⌉ = 9 steps
    writeFileSync(join(scratch, "d.csv"), `u,w\n${Array.from({ length: 10 }, (_, i) => `${i},${2 * i}`).join("\n")}\n\n\n`);
    expect(planOf(`csv("d.csv", x: ["u"], y: "w")`, "3 epochs, batch full")).toMatch(/^ {2}run +\d+ +10 +3 +—$/m);
    expect(planOf(`csv("d.csv", x: ["u"], y: "w")`, "3 epochs, batch 4")).toMatch(/^ {2}run +\d+ +4 +9 +—$/m);
    // x of shape (7, 1), float64: 2 epochs of batch 3 are 2 · ⌈7 / 3⌉ = 6 steps
    writeNpy(join(scratch, "x.npy"), new Float64Array(7), [7, 1]);
    writeNpy(join(scratch, "y.npy"), new Float64Array(7), [7]);
    expect(planOf(`npy(x: "x.npy", y: "y.npy")`, "2 epochs, batch 3")).toMatch(/^ {2}run +\d+ +3 +6 +—$/m);
  });

  it("a file it cannot read leaves `?` and says why", () => {
    const text = planOf(`csv("missing.csv", x: ["u"], y: "w")`, "3 epochs, batch full");
    expect(text).toMatch(/^ {2}run +\d+ +\? +\? +—$/m);
    expect(text).toMatch(/^ {2}\?: missing\.csv could not be read: RUN010: data file .*missing\.csv does not exist/m);
    // A photograph without `size:` has as many samples as pixels, which only decoding it tells.
    const photo = planOf(`image(file: "p.png")`, "2 epochs, batch full");
    expect(photo).toMatch(/^ {2}run +\d+ +\? +\? +—$/m);
    expect(photo).toContain("  ?: the size of `image(…)` data is known only once it is read (give `size:` to fix it)");
  });
});

describe("dync plan: the jobs line, as `dync run` would choose before its first run", () => {
  const scratch = mkdtempSync(join(tmpdir(), "dync-plan-jobs-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const file = join(scratch, "sweep.dyn");
  writeFileSync(
    file,
    `experiment sweep {\n  sweep width in [8, 16, 32]\n  seeds 2\n  data train = grid(x in [-1, 1], n: 20) -> x^2\n  model net = mlp(hidden: [width], act: tanh)\n  optimizer sgd(lr: 0.1)\n  train 50 steps\n}\n`,
  );
  const cache = join(scratch, "cache");
  const BACKEND = "wasm/openblas/native";
  /** The key `dync run` files this plan's times under, from the checked source as the plan command builds it. */
  const planKey = () => {
    const exp = checkSource(readFileSync(file, "utf8"), file).experiments[0]!;
    const p = exp.profiles["default"]!;
    return runTimesKey(exp.name, expandPlan(planTemplate(p, p.axes)));
  };
  const jobsOf = async (inputs: JobsInputs): Promise<string> => {
    let text = "";
    const status = await planCommand(file, undefined, { format: "text", color: false, write: (t: string) => void (text += t) }, undefined, [], inputs);
    expect(status).toBe(0);
    return text.split("\n").filter((l) => l.startsWith("  jobs"))[0]!;
  };
  const idle = { cores: 2, load: 0.2 };
  const noBackend = () => Promise.reject(new Error("the backend is looked up only when times are remembered"));

  it("nothing remembered: the first run decides (and no backend is loaded to find that out)", async () => {
    expect(await jobsOf({ env: { DYNC_CACHE_DIR: cache }, machine: idle, backendKey: noBackend })).toBe("  jobs 1: first run in this process; its time decides the rest (no remembered times)");
  });

  it("no idle core: 1, whatever is remembered (no backend is loaded to look)", async () => {
    rememberRunTimes(join(cache, "run-times"), planKey(), BACKEND, { "width=8": 30, "width=16": 30, "width=32": 30 });
    expect(await jobsOf({ env: { DYNC_CACHE_DIR: cache }, machine: { cores: 2, load: 1.8 }, backendKey: noBackend })).toBe("  jobs 1: no idle core (load 1.8 on 2 cores)");
    rmSync(join(cache, "run-times"), { recursive: true, force: true });
  });

  it("remembered times on the backend it would run on: the simulated schedules decide", async () => {
    const dir = join(cache, "run-times");
    // 3 runs of 3 s: 9 s in this process; on 2 workers starting after 1 s: 1+3+3 = 7 s ≤ 0.85 · 9
    expect(rememberRunTimes(dir, planKey(), BACKEND, { "width=8": 3, "width=16": 3, "width=32": 3 })).toBe(true);
    const line = await jobsOf({ env: { DYNC_CACHE_DIR: cache }, machine: idle, backendKey: () => Promise.resolve(BACKEND) });
    expect(line).toBe("  jobs 2: runs last took 3.0 s: ~9.0 s in this process, ~7.0 s on 2 workers (remembered on wasm/openblas/native)");
    // 3 runs of 0.4 s: 1.2 s serial, 1.8 s on 2 workers
    rememberRunTimes(dir, planKey(), BACKEND, { "width=8": 0.4, "width=16": 0.4, "width=32": 0.4 });
    expect(await jobsOf({ env: { DYNC_CACHE_DIR: cache }, machine: idle, backendKey: () => Promise.resolve(BACKEND) })).toBe(
      "  jobs 1: runs last took 0.4 s: too short to gain from workers that take ~1.0 s to start (remembered on wasm/openblas/native)",
    );
    // times of another backend do not count for this one
    expect(await jobsOf({ env: { DYNC_CACHE_DIR: cache }, machine: idle, backendKey: () => Promise.resolve("cpu//") })).toBe(
      "  jobs 1: first run in this process; its time decides the rest (no remembered times on cpu//; some on wasm/openblas/native)",
    );
  });

  it("--jobs N and DYNC_JOBS are what it says, the flag over the variable, as for dync run", async () => {
    expect(await jobsOf({ flag: 3, env: { DYNC_CACHE_DIR: cache }, machine: idle })).toBe("  jobs 3: --jobs 3");
    expect(await jobsOf({ env: { DYNC_CACHE_DIR: cache, DYNC_JOBS: "2" }, machine: idle })).toBe("  jobs 2: DYNC_JOBS=2");
    expect(await jobsOf({ flag: 1, env: { DYNC_CACHE_DIR: cache, DYNC_JOBS: "2" }, machine: idle })).toBe("  jobs 1: --jobs 1");
    await expect(jobsOf({ env: { DYNC_JOBS: "two" }, machine: idle })).rejects.toThrow('DYNC_JOBS must be a whole number ≥ 1, not "two"');
  });

  it("--backend: gpu and tensorflow train every run in the process, as `dync run --backend` does (no backend is loaded)", async () => {
    const inputs = { env: { DYNC_CACHE_DIR: cache }, machine: idle, backendKey: noBackend };
    expect(await jobsOf({ ...inputs, backend: "tensorflow" })).toBe("  jobs 1: the tensorflow backend trains every run in this process");
    expect(await jobsOf({ ...inputs, backend: "gpu", flag: 3 })).toBe("  jobs 1: the gpu backend trains every run in this process (--jobs 3 counts on wasm and cpu only)");
    expect(await jobsOf({ ...inputs, backend: "wasm", flag: 3 })).toBe("  jobs 3: --jobs 3");
  });

  it("--backend auto (the default) with tfjs-node(-gpu) installed: 1, as `dync run` would pick it first (resolved, not loaded)", async () => {
    const installed = (...pkgs: string[]) => (pkg: string) => (pkgs.includes(pkg) ? `/nm/${pkg}/package.json` : undefined);
    const inputs = { env: { DYNC_CACHE_DIR: join(scratch, "cache-auto") }, machine: idle, backendKey: noBackend };
    const wasm = "@tensorflow/tfjs-backend-wasm";
    const cpu = "@tensorflow/tfjs-backend-cpu";
    expect(await jobsOf({ ...inputs, resolvePackage: installed("@tensorflow/tfjs-node", wasm, cpu) })).toBe(
      "  jobs 1: auto would pick tensorflow (@tensorflow/tfjs-node is installed), which trains every run in this process; should it fail to initialise, dync run tries the next backend",
    );
    expect(await jobsOf({ ...inputs, flag: 2, resolvePackage: installed("@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node", wasm) })).toBe(
      "  jobs 1: auto would pick gpu (@tensorflow/tfjs-node-gpu is installed), which trains every run in this process; should it fail to initialise, dync run tries the next backend (--jobs 2 counts on wasm and cpu only)",
    );
    // Without them auto picks wasm (or cpu), which trains on workers: the choice is the usual one.
    expect(await jobsOf({ ...inputs, resolvePackage: installed(wasm, cpu) })).toBe("  jobs 1: first run in this process; its time decides the rest (no remembered times)");
    expect(await jobsOf({ ...inputs, flag: 2, resolvePackage: installed(cpu) })).toBe("  jobs 2: --jobs 2");
  });

  it("--backend takes dync run's values with dync run's message for any other", () => {
    const plan = spawnSync(process.execPath, [CLI, "plan", file, "--backend", "webgl"], { encoding: "utf8" });
    const run = spawnSync(process.execPath, [CLI, "run", file, "--backend", "webgl"], { encoding: "utf8" });
    expect(plan.status).toBe(2);
    expect(plan.stderr).toContain("option `--backend` must be one of auto, gpu, tensorflow, wasm, cpu; got `webgl`");
    expect(plan.stderr).toBe(run.stderr);
  });

  it("--backend cpu reads the times `dync run --backend cpu` remembered, and the default (wasm) does not", async () => {
    const own = join(scratch, "cpu-cache");
    const run = spawnSync(process.execPath, [CLI, "run", file, "--backend", "cpu", "--quiet", "--out", join(scratch, "cpu-run")], { encoding: "utf8", env: { ...process.env, DYNC_CACHE_DIR: own, DYNC_JOBS: "" } });
    expect(run.status, run.stderr).toBe(0);
    const [cpuKey] = rememberedBackends(join(own, "run-times"), planKey());
    expect(cpuKey).toMatch(/^cpu\//);
    // No backendKey: the plan loads the backend `dync run --backend …` would, as the command line does.
    expect(await jobsOf({ env: { DYNC_CACHE_DIR: own }, machine: idle, backend: "cpu" })).toMatch(new RegExp(`\\(remembered on ${cpuKey!.replace(/\//g, "\\/")}\\)$`));
    expect(await jobsOf({ env: { DYNC_CACHE_DIR: own }, machine: idle })).toMatch(new RegExp(`\\(no remembered times on wasm/[^;]*; some on ${cpuKey!.replace(/\//g, "\\/")}\\)$`));
  }, 120_000);

  it("finds the times `dync run` remembered for the same file (the same plan key from the checked source)", async () => {
    const own = join(scratch, "own-cache");
    const run = spawnSync(process.execPath, [CLI, "run", file, "--quiet", "--out", join(scratch, "run")], { encoding: "utf8", env: { ...process.env, DYNC_CACHE_DIR: own, DYNC_JOBS: "" } });
    expect(run.status, run.stderr).toBe(0);
    const [backend] = rememberedBackends(join(own, "run-times"), planKey());
    expect(backend).toMatch(/^wasm\//);
    const line = await jobsOf({ env: { DYNC_CACHE_DIR: own }, machine: idle, backendKey: () => Promise.resolve(backend!) });
    expect(line).toMatch(new RegExp(`^  jobs 1: runs last took \\d+\\.\\d s: too short to gain from workers that take ~1\\.0 s to start \\(remembered on ${backend!.replace(/\//g, "\\/")}\\)$`));
  }, 120_000);
});
