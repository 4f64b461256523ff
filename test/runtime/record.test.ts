import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { afterAll, describe, expect, it } from "vitest";
import { readNpy } from "../../runtime/npy.js";
import { freshRunDirectory, RunRecorder, type Manifest } from "../../runtime/record/index.js";
import { expectRuntimeError } from "./expect-runtime-error.js";

const root = mkdtempSync(join(tmpdir(), "dync-record-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const START = Date.UTC(2025, 0, 2, 3, 4, 5);

/** A clock the test advances by hand. */
function manualClock() {
  let now = START;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function newRecorder(name: string, clock = manualClock()) {
  const recorder = new RunRecorder({
    dir: join(root, name),
    experiment: "lottery_scaling",
    config: { optimizer: { name: "adam", lr: 0.01 }, steps: 100 },
    sweepAxes: ["width", "act"],
    backend: { name: "cpu" },
    clock: clock.now,
  });
  return { recorder, clock };
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
}

function findNumpyPython(): string | undefined {
  for (const exe of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(exe, ["-c", "import numpy"]).status === 0) return exe;
  }
  return undefined;
}

describe("run recorder", () => {
  it("writes the manifest up front with versions, config and status running", () => {
    const { recorder } = newRecorder("manifest");
    const manifest = readManifest(recorder.paths.dir);
    const pkg = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8")) as { version: string };
    expect(manifest.format).toBe("dync-run/1");
    expect(manifest.experiment).toBe("lottery_scaling");
    expect(manifest.config).toEqual({ optimizer: { name: "adam", lr: 0.01 }, steps: 100 });
    expect(manifest.versions).toEqual({ dync: pkg.version, tfjs: tf.version_core, node: process.version });
    expect(manifest.versions.tfjs).toBe("4.22.0");
    expect(manifest.startedAt).toBe("2025-01-02T03:04:05.000Z");
    expect(manifest.status).toBe("running");
    expect(manifest.files).toEqual({ metricsCsv: "metrics.csv", metricsJsonl: "metrics.jsonl", tensors: "tensors", plots: "plots", report: "report.html" });
    expect(statSync(recorder.paths.plots).isDirectory()).toBe(true);
    expect(statSync(recorder.paths.tensors).isDirectory()).toBe(true);
    recorder.finish("ok");
  });

  it("metrics are on disk, in long format, before the recorder is closed", () => {
    const { recorder } = newRecorder("metrics");
    recorder.beginRun("r0", { width: 10, act: "silu" }, [0, 7]);
    recorder.beginRun("r1", { width: 20, act: "leaky,relu" }, [0, 7]);
    recorder.scalar({ run: "r0", seed: 0, step: 0, epoch: 0, probe: "loss", value: 0.25 });
    recorder.seedScalars({ run: "r1", step: 10, probe: "loss", seeds: [0, 7], values: Float32Array.from([1e-7, NaN]) });
    recorder.scalar({ run: "r0", step: 10, probe: "median_loss", value: Infinity });
    // Nothing closed or flushed explicitly: what a killed process would leave behind.
    expect(lines(recorder.paths.metricsCsv)).toEqual([
      "run,seed,width,act,step,epoch,probe,value,npy_file",
      "r0,0,10,silu,0,0,loss,0.25,",
      `r1,0,20,"leaky,relu",10,,loss,${Math.fround(1e-7)},`,
      "r1,7,20,\"leaky,relu\",10,,loss,nan,",
      "r0,,10,silu,10,,median_loss,inf,",
    ]);
    const json = lines(recorder.paths.metricsJsonl);
    expect(json[0]).toBe('{"run":"r0","seed":0,"width":10,"act":"silu","step":0,"epoch":0,"probe":"loss","value":0.25,"npy_file":null}');
    expect(JSON.parse(json[2]!).value).toBeNull();
    expect(JSON.parse(json[3]!).value).toBe(Infinity); // 1e999
    expect(json[3]).toContain('"value":1e999');
    const manifest = readManifest(recorder.paths.dir);
    expect(manifest.runs.map((r) => [r.run, r.sweep, r.seeds, r.status])).toEqual([
      ["r0", { width: 10, act: "silu" }, [0, 7], "running"],
      ["r1", { width: 20, act: "leaky,relu" }, [0, 7], "running"],
    ]);
    expect(manifest.seeds).toEqual([0, 7]);
    recorder.finish("ok");
  });

  it("tensors go to .npy files referenced from the metrics table", () => {
    const { recorder } = newRecorder("tensors");
    recorder.beginRun("r0", { width: 10, act: "silu" }, [3]);
    const matrix = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const file = recorder.tensor({ run: "r0", seed: 3, step: 20, probe: "feats.angle", data: matrix, shape: [2, 3] });
    expect(file).toBe("tensors/feats.angle/r0/seed3_step20.npy");
    const all = recorder.tensor({ run: "r0", step: 20, probe: "per sample/loss", data: Int32Array.from([9, 8]) });
    // A name that had to change keeps 8 hex digits of its SHA-256 (`printf 'per sample/loss' | sha256sum`).
    expect(all).toBe("tensors/per_sample_loss~62ef7143/r0/seedall_step20.npy");
    const back = readNpy(join(recorder.paths.dir, file));
    expect(back.shape).toEqual([2, 3]);
    expect([...back.data]).toEqual([...matrix]);
    expect(lines(recorder.paths.metricsCsv).slice(1)).toEqual([
      `r0,3,10,silu,20,,feats.angle,,${file}`,
      `r0,,10,silu,20,,per sample/loss,,${all}`,
    ]);
    expect(JSON.parse(lines(recorder.paths.metricsJsonl)[0]!)).toMatchObject({ value: null, npy_file: file });
    recorder.finish("ok");
  });

  for (const backend of ["cpu", "wasm"]) {
    it(`records a tfjs tensor on the ${backend} backend without leaking`, async () => {
      await tf.setBackend(backend);
      await tf.ready();
      const { recorder } = newRecorder(`tensor-${backend}`);
      recorder.beginRun("r0", { width: 1, act: "relu" }, [0]);
      const before = tf.memory().numTensors;
      const weights = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
      const file = recorder.tensor({ run: "r0", step: 0, probe: "w", data: weights });
      weights.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const back = readNpy(join(recorder.paths.dir, file));
      expect(back.shape).toEqual([2, 2, 2]);
      expect(back.data).toBeInstanceOf(Float32Array);
      expect([...back.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      recorder.finish("ok");
    });
  }

  it("finish stamps end time, duration and status; per-run status with messages", () => {
    const clock = manualClock();
    const { recorder } = newRecorder("finish", clock);
    recorder.beginRun("r0", { width: 10, act: "silu" }, [0]);
    clock.advance(1500);
    recorder.endRun("r0", "diverged", "loss became NaN at step 812");
    clock.advance(1000);
    recorder.finish("diverged", "1 of 1 runs diverged");
    const manifest = readManifest(recorder.paths.dir);
    expect(manifest.status).toBe("diverged");
    expect(manifest.message).toBe("1 of 1 runs diverged");
    expect(manifest.endedAt).toBe("2025-01-02T03:04:07.500Z");
    expect(manifest.durationMs).toBe(2500);
    expect(manifest.runs[0]).toMatchObject({ status: "diverged", message: "loss became NaN at step 812", startedAt: "2025-01-02T03:04:05.000Z", endedAt: "2025-01-02T03:04:06.500Z" });
    expect(readdirSync(recorder.paths.dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    recorder.finish("ok"); // idempotent
    expect(readManifest(recorder.paths.dir).status).toBe("diverged");
    expectRuntimeError(() => recorder.scalar({ run: "r0", step: 1, probe: "loss", value: 1 }), "RUN090", /already finished/);
  });

  it("rejects unregistered runs, mismatched sweep values and sweep names that clash with columns", () => {
    const { recorder } = newRecorder("invalid");
    expectRuntimeError(() => recorder.scalar({ run: "nope", step: 0, probe: "loss", value: 1 }), "RUN090", /"nope" was not registered/);
    expectRuntimeError(() => recorder.beginRun("r0", { width: 10 }, [0]), "RUN090", /axes are \[width, act\]/);
    expectRuntimeError(
      () => new RunRecorder({ dir: join(root, "clash"), experiment: "e", config: {}, sweepAxes: ["step"], backend: { name: "cpu" } }),
      "RUN040",
      /"step" clashes/,
    );
    recorder.finish("failed", "test");
  });

  it("an unusable output directory is RUN030 with the path and the OS reason", () => {
    const file = join(root, "plain-file");
    writeFileSync(file, "not a directory");
    const make = (dir: string) => () => new RunRecorder({ dir, experiment: "e", config: {}, backend: { name: "cpu" } });
    expectRuntimeError(make(join(file, "run")), "RUN030", /plain-file\/run: ENOTDIR/);
    expectRuntimeError(make(file), "RUN030", /plain-file: EEXIST/);
    expectRuntimeError(make(join(root, "manifest")), "RUN030", /already holds a run/);
  });

  it("fresh run directories are timestamped and never reuse a name", () => {
    const when = new Date(2025, 5, 7, 8, 9, 10);
    const first = freshRunDirectory(root, "exp", when);
    expect(first).toBe(join(root, "exp", "2025-06-07_08-09-10"));
    new RunRecorder({ dir: first, experiment: "exp", config: {}, backend: { name: "cpu" } }).finish("ok");
    expect(freshRunDirectory(root, "exp", when)).toBe(`${first}-2`);
  });
});

const python = findNumpyPython();

describe.skipIf(!python)("loading a run directory from Python (needs python3 with numpy)", () => {
  it("csv, jsonl and the referenced .npy files load with the csv/json modules and numpy", () => {
    const { recorder } = newRecorder("python");
    recorder.beginRun("r0", { width: 10, act: "silu" }, [0, 1]);
    recorder.seedScalars({ run: "r0", step: 5, epoch: 1, probe: "loss", seeds: [0, 1], values: [0.5, -Infinity] });
    recorder.tensor({ run: "r0", seed: 1, step: 5, probe: "sharp", data: Float64Array.from([3, 1, 4, 1, 5, 9]), shape: [3, 2] });
    const script = `
import csv, json, sys, numpy as np
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/metrics.csv")))
values = [float(r["value"]) if r["value"] else None for r in rows]
jl = [json.loads(l) for l in open(d + "/metrics.jsonl")]
arr = np.genfromtxt(d + "/metrics.csv", delimiter=",", names=True, dtype=None, encoding="utf-8")
tensor = np.load(d + "/" + rows[2]["npy_file"])
print(json.dumps({"cols": list(rows[0].keys()), "values": [None if v is None else repr(v) for v in values],
  "jl": [repr(r["value"]) for r in jl], "width": [int(w) for w in arr["width"]],
  "tensor": tensor.tolist(), "dtype": tensor.dtype.str}))
`;
    const run = spawnSync(python!, ["-c", script, recorder.paths.dir], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const out = JSON.parse(run.stdout);
    expect(out.cols).toEqual(["run", "seed", "width", "act", "step", "epoch", "probe", "value", "npy_file"]);
    expect(out.values).toEqual(["0.5", "-inf", null]);
    expect(out.jl).toEqual(["0.5", "-inf", "None"]);
    expect(out.width).toEqual([10, 10, 10]);
    expect(out.tensor).toEqual([[3, 1], [4, 1], [5, 9]]);
    expect(out.dtype).toBe("<f8");
    recorder.finish("ok");
  });
});

function findPandasPython(): string | undefined {
  for (const exe of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(exe, ["-c", "import pandas, numpy"]).status === 0) return exe;
  }
  return undefined;
}
const pandasPython = findPandasPython();

describe.skipIf(!pandasPython)("loading a run directory with pandas (needs a python3 with pandas)", () => {
  it("pd.read_csv and pd.read_json(lines=True) give float values with nan/inf and loadable npy_file paths", () => {
    const { recorder } = newRecorder("pandas");
    recorder.beginRun("r0", { width: 10, act: "silu" }, [0, 1, 2]);
    recorder.seedScalars({ run: "r0", step: 3, probe: "loss", seeds: [0, 1, 2], values: [0.125, NaN, Infinity] });
    recorder.tensor({ run: "r0", seed: 2, step: 3, probe: "sharp", data: Int32Array.from([7, 8]) });
    const script = `
import json, sys, numpy as np, pandas as pd
d = sys.argv[1]
c = pd.read_csv(d + "/metrics.csv")
j = pd.read_json(d + "/metrics.jsonl", lines=True)
t = c[c.probe == "sharp"]
print(json.dumps({"csv_dtype": str(c.value.dtype), "csv": [repr(v) for v in c.value[:3]],
  "json": [repr(float(v)) for v in j.value[:3]], "width": c.width.tolist(),
  "tensor": np.load(d + "/" + t.npy_file.iloc[0]).tolist(), "seed": int(t.seed.iloc[0])}))
`;
    const run = spawnSync(pandasPython!, ["-c", script, recorder.paths.dir], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const out = JSON.parse(run.stdout);
    expect(out.csv_dtype).toBe("float64");
    expect(out.csv).toEqual(["0.125", "nan", "inf"]);
    expect(out.json).toEqual(["0.125", "nan", "inf"]);
    expect(out.width).toEqual([10, 10, 10, 10]);
    expect(out.tensor).toEqual([7, 8]);
    expect(out.seed).toBe(2);
    recorder.finish("ok");
  });
});
