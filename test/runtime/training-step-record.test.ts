/**
 * manifest.json `runs[].step`: the training step that served each run's updates, as the loop took it (not
 * what the process offered), and `--resume` comparing it run by run. A deep dense MLP trains on the fused
 * native step where the native path serves, a 1→W→1 network on the scalar-net kernels, a CNN on the tape;
 * `DYNC_FUSED_STEP=0` and `DYNC_NATIVE=0` change what each takes. Resuming with another step than a run
 * recorded is RUN031 naming it; a directory whose runs recorded no step (an older dync) resumes as before,
 * judged by `backend.fusedStep`.
 *
 * Each program is compiled once (`dync compile`) and run with node.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/record/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".step-record-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Two hidden layers: a plain dense MLP the fused native step takes, but not a 1→W→1 network. */
const DEEP = `experiment deep {
  sweep width in [6, 10]
  seeds 2
  data train { x ~ uniform(-1, 1) [48]; y = x^2 }
  model net = mlp(hidden: [width, width], act: tanh)
  loss mse
  optimizer sgd(lr: 0.05)
  train 30 steps, batch 16
  probe tl = train_loss() every 10 steps
  checkpoint every 10 steps
}
`;

/** 1→W→1 under mse on full batches: the scalar-net kernels, several updates per call where nothing looks. */
const SCALAR = `experiment scalar {
  seeds 2
  data train { x ~ uniform(-1, 1) [32]; y = x^2 }
  model net = mlp(hidden: [8], act: relu)
  loss mse
  optimizer sgd(lr: 0.05)
  train 40 steps, batch full
  probe tl = train_loss() every 20 steps
}
`;

const CNN = `experiment conv {
  sweep lr in [0.001, 0.002]
  seeds 1
  data train = gratings(n: 8, size: 8, classes: 2, cycles: 0.5, phase_spread: 0.25, noise: 0.25)
  model net = cnn(filters: [2], kernel: 3, pool: 2, conv_act: tanh, hidden: [4], act: relu)
  loss cross_entropy
  optimizer adam(lr: lr)
  train 6 steps, batch full
  probe tl = train_loss() every 3 steps
  checkpoint every 3 steps
}
`;

const programs: Record<string, string> = {};

beforeAll(() => {
  for (const [name, source] of Object.entries({ deep: DEEP, scalar: SCALAR, conv: CNN })) {
    const dyn = join(scratch, `${name}.dyn`);
    writeFileSync(dyn, source);
    programs[name] = join(scratch, `${name}.mjs`);
    const compiled = spawnSync(process.execPath, [CLI, "compile", dyn, "-o", programs[name]!], { encoding: "utf8" });
    expect(compiled.status, compiled.stderr).toBe(0);
  }
}, 120_000);

type Env = Record<string, string>;

function run(name: string, out: string, env: Env = {}): Manifest {
  const done = spawnSync(process.execPath, [programs[name]!, "--backend", "wasm", "--jobs", "1", "--quiet", "--out", out], { encoding: "utf8", env: { ...process.env, ...env } });
  expect(done.status, done.stderr).toBe(0);
  return manifestOf(out);
}

function resume(name: string, dir: string, env: Env = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [programs[name]!, "--resume", dir, "--jobs", "1", "--quiet"], { encoding: "utf8", env: { ...process.env, ...env } });
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

const steps = (m: Manifest) => m.runs.map((r) => r.step);
const native = (m: Manifest) => m.backend["fusedStep"] !== undefined && (m.backend["fusedStep"] as { path: string }).path === "native";

/**
 * The directory as a kill in its last run would leave it (status `running`, that run's entry gone): the
 * first run is kept, the last continues from its checkpoint or restarts. `old`: as an older dync wrote it,
 * without `step` in the entries and checkpoints.
 */
function killedCopy(dir: string, to: string, old = false): string {
  cpSync(dir, to, { recursive: true });
  const m = manifestOf(to);
  const runs = m.runs.slice(0, -1).map((r) => {
    if (!old) return r;
    const { step: _step, stepCounts: _counts, ...rest } = r;
    return rest;
  });
  writeFileSync(join(to, "manifest.json"), JSON.stringify({ ...m, status: "running", runs }));
  if (old) rmSync(join(to, "checkpoints"), { recursive: true, force: true });
  return to;
}

describe("runs[].step records the training step each run took", () => {
  let deep: Manifest;
  beforeAll(() => {
    deep = run("deep", join(scratch, "deep"));
  }, 60_000);

  it("a deep dense MLP: the fused native step where the native path serves, else the tape", () => {
    expect(steps(deep)).toEqual(native(deep) ? ["native-mlp", "native-mlp"] : ["taped", "taped"]);
    expect(deep.runs.every((r) => r.stepCounts === undefined)).toBe(true);
  });

  it("a 1→W→1 network: the native scalar-net kernels on the native path, dync's SIMD kernel without it", () => {
    const m = run("scalar", join(scratch, "scalar"));
    expect(steps(m)).toEqual([native(m) ? "native-scalar" : "simd-scalar"]);
    const wasm = run("scalar", join(scratch, "scalar-wasm"), { DYNC_NATIVE: "0" });
    expect(steps(wasm)).toEqual(["simd-scalar"]);
    const plain = run("scalar", join(scratch, "scalar-plain"), { DYNC_NATIVE: "0", DYNC_SIMD_KERNELS: "0" });
    expect(steps(plain)).toEqual(["taped"]);
  }, 60_000);

  it("a CNN trains on the tape although the fused step is available", () => {
    const m = run("conv", join(scratch, "conv"));
    expect(steps(m)).toEqual(["taped", "taped"]);
  }, 60_000);

  it("DYNC_FUSED_STEP=0: the deep MLP trains on the tape, and says so", () => {
    const m = run("deep", join(scratch, "deep-taped"), { DYNC_FUSED_STEP: "0" });
    expect(steps(m)).toEqual(["taped", "taped"]);
  }, 60_000);
});

describe("--resume compares the step each recorded run took with the one this process would take", () => {
  let deep: string;
  let deepTaped: string;
  let conv: string;
  let nativePath = false;
  beforeAll(() => {
    deep = join(scratch, "r-deep");
    nativePath = native(run("deep", deep));
    deepTaped = join(scratch, "r-deep-taped");
    run("deep", deepTaped, { DYNC_FUSED_STEP: "0" });
    conv = join(scratch, "r-conv");
    run("conv", conv, { DYNC_FUSED_STEP: "0" });
  }, 120_000);

  it("refuses a run recorded on the native MLP step where this process would tape it (RUN031 naming both)", () => {
    if (!nativePath) return; // needs the native addon (npm run native)
    const dir = killedCopy(deep, join(scratch, "k-deep"));
    const refused = resume("deep", dir, { DYNC_FUSED_STEP: "0" });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("RUN031");
    expect(refused.stderr).toContain("run width=6 trained with the native-mlp step, this process would train it with the taped step (switched off by DYNC_FUSED_STEP=0)");
    expect(manifestOf(dir).status).toBe("running"); // nothing touched
    const back = killedCopy(deepTaped, join(scratch, "k-deep-taped"));
    expect(resume("deep", back).stderr).toContain("run width=6 trained with the taped step, this process would train it with the native-mlp step");
  });

  it("resumes with the step the run recorded, and the files end as the uninterrupted run's", () => {
    const dir = killedCopy(deep, join(scratch, "k-deep-same"));
    const resumed = resume("deep", dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(steps(manifestOf(dir))).toEqual(steps(manifestOf(deep)));
    for (const file of ["metrics.csv", "metrics.jsonl"]) expect(readFileSync(join(dir, file)).equals(readFileSync(join(deep, file)))).toBe(true);
  }, 60_000);

  it("a CNN recorded taped resumes where the fused step is available: it takes the tape there too", () => {
    const dir = killedCopy(conv, join(scratch, "k-conv"));
    const resumed = resume("conv", dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(steps(manifestOf(dir))).toEqual(["taped", "taped"]);
    for (const file of ["metrics.csv", "metrics.jsonl"]) expect(readFileSync(join(dir, file)).equals(readFileSync(join(conv, file)))).toBe(true);
  }, 60_000);

  it("a directory whose runs recorded no step (an older dync) is judged by what the process offered, as before", () => {
    if (!nativePath) return;
    const dir = killedCopy(deep, join(scratch, "k-deep-old"), true);
    const refused = resume("deep", dir, { DYNC_FUSED_STEP: "0" });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("its dense MLPs trained with the native step, this process uses the taped one");
    const resumed = resume("deep", dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    for (const file of ["metrics.csv", "metrics.jsonl"]) expect(readFileSync(join(dir, file)).equals(readFileSync(join(deep, file)))).toBe(true);
  }, 60_000);
});
