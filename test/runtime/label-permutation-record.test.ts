/**
 * `shuffle_labels: s` writes the permutation it applied to the run directory
 * (`data/<run>/<data set>.label_permutation.npy`, named in the manifest's `runs[…].shuffledLabels`), so the
 * shuffled labels can be rebuilt in numpy as `labels[perm]` from the original files. Checked on a small
 * hand-made MNIST (IDX files written here): the saved permutation indexes the labels read from the file into
 * exactly the labels the runner's data building gives the run to train on, in this process and with `--jobs 2`
 * (the worker hands it to the main thread), and, where python3 with numpy is installed, in numpy itself.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataSpec, ExperimentProgram, RunSpec } from "../../contract/program.js";
import type { Manifest } from "../../runtime/record/index.js";
import { readNpy } from "../../runtime/npy.js";
import { Rng } from "../../runtime/rng.js";
import { buildRunData } from "../../runner/data.js";
import type { ImageClassificationDataset } from "../../stdlib/data/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const scratch = mkdtempSync(join(ROOT, "test", ".label-perm-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const N = 40;
const LIMIT = 30;
const mnist = join(scratch, "mnist");

/** An unsigned-byte IDX file: magic 0x0000080D (D = number of dims), big-endian dims, data. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 | dims.length, 0);
  dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([header, data]);
}

const rng = new Rng(11);
const bytes = (count: number, below = 256) => Uint8Array.from({ length: count }, () => rng.int(below));
const labels = bytes(N, 10);

const SOURCE = `experiment rl {
  sweep width in [4, 6]
  seeds 2
  data train = mnist(dir: ${JSON.stringify(mnist)}, limit: ${LIMIT}, shuffle_labels: 3)
  model net = mlp(hidden: [width], act: relu)
  loss cross_entropy
  optimizer sgd(lr: 0.1)
  train 3 steps, batch full
  probe tl = train_loss() every 1 steps
}
`;

function run(out: string, jobs: number): Manifest {
  const done = spawnSync(process.execPath, [CLI, "run", join(scratch, "rl.dyn"), "--backend", "cpu", "--jobs", String(jobs), "--quiet", "--out", out], { encoding: "utf8", env: { ...process.env, DYNC_CACHE_DIR: join(scratch, "cache") } });
  expect(done.status, done.stderr).toBe(0);
  return JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
}

/** The labels the run trains on: its training set as the runner builds it for every run. */
function trainedLabels(manifest: Manifest, runId: string): Int32Array {
  const spec = (manifest.config as { runs: RunSpec[] }).runs.find((r) => r.id === runId)!.data["train"] as DataSpec;
  const program = { targets: {}, file: join(scratch, "rl.dyn") } as unknown as ExperimentProgram;
  const [train] = buildRunData({ train: spec }, { program, seeds: [0], dataRoot: scratch }).get("train")! as ImageClassificationDataset[];
  return train!.labels;
}

let serial: string;
let pooled: string;
beforeAll(() => {
  mkdirSync(mnist);
  writeFileSync(join(mnist, "train-images-idx3-ubyte"), idx([N, 28, 28], bytes(N * 784)));
  writeFileSync(join(mnist, "train-labels-idx1-ubyte"), idx([N], labels));
  writeFileSync(join(mnist, "t10k-images-idx3-ubyte"), idx([2, 28, 28], bytes(2 * 784)));
  writeFileSync(join(mnist, "t10k-labels-idx1-ubyte"), idx([2], bytes(2, 10)));
  writeFileSync(join(scratch, "rl.dyn"), SOURCE);
  serial = join(scratch, "serial");
  pooled = join(scratch, "pooled");
  run(serial, 1);
  run(pooled, 2);
}, 180_000);

describe("shuffle_labels: the permutation it applied is in the run directory", () => {
  it("named per run in the manifest, a file of n int32 indices; labels[perm] from the file are the labels trained on", () => {
    const manifest = JSON.parse(readFileSync(join(serial, "manifest.json"), "utf8")) as Manifest;
    for (const entry of manifest.runs) {
      expect(entry.shuffledLabels).toEqual({ train: { seed: 3, n: LIMIT, permutation: `data/${entry.run}/train.label_permutation.npy` } });
      const perm = readNpy(join(serial, entry.shuffledLabels!["train"]!.permutation));
      expect(perm.shape).toEqual([LIMIT]);
      expect(perm.data).toBeInstanceOf(Int32Array);
      // a permutation of 0…n−1 that moves labels (not the identity)
      expect([...perm.data].sort((a, b) => a - b)).toEqual(Array.from({ length: LIMIT }, (_, i) => i));
      expect([...perm.data].filter((j, i) => j !== i).length).toBeGreaterThan(LIMIT / 2);
      // numpy's labels[perm], over the labels as the file holds them (the first `limit`)
      const fromFile = labels.subarray(0, LIMIT);
      const reindexed = Array.from(perm.data, (j) => fromFile[j]!);
      const trained = Array.from(trainedLabels(manifest, entry.run));
      expect(reindexed).toEqual(trained);
      expect(trained).not.toEqual(Array.from(fromFile)); // the run did train on shuffled labels
    }
  });

  it("--jobs 2 writes the same files: the worker's permutation reaches the main thread's recorder", () => {
    const manifest = JSON.parse(readFileSync(join(pooled, "manifest.json"), "utf8")) as Manifest;
    for (const entry of manifest.runs) {
      const file = entry.shuffledLabels!["train"]!.permutation;
      expect(readFileSync(join(pooled, file)).equals(readFileSync(join(serial, file)))).toBe(true);
    }
    expect(readFileSync(join(pooled, "metrics.csv"), "utf8")).toBe(readFileSync(join(serial, "metrics.csv"), "utf8"));
    // the step each run took reaches the manifest from the workers too (cpu: the tape)
    expect(manifest.runs.map((r) => r.step)).toEqual(["taped", "taped"]);
  });

  it("dync merge of the shards keeps each run's permutation file", () => {
    const dyncRun = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, DYNC_CACHE_DIR: join(scratch, "cache") } });
    for (const i of [1, 2]) {
      const r = dyncRun("run", join(scratch, "rl.dyn"), "--backend", "cpu", "--jobs", "1", "--quiet", "--shard", `${i}/2`, "--out", join(scratch, `shard${i}`));
      expect(r.status, r.stderr).toBe(0);
    }
    const merged = join(scratch, "merged");
    const m = dyncRun("merge", join(scratch, "shard1"), join(scratch, "shard2"), "--out", merged);
    expect(m.status, m.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(merged, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.runs.map((r) => r.run)).toEqual(["width=4", "width=6"]);
    for (const entry of manifest.runs) {
      const file = entry.shuffledLabels!["train"]!.permutation;
      expect(readFileSync(join(merged, file)).equals(readFileSync(join(serial, file)))).toBe(true);
    }
  }, 120_000);

  const numpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;
  it.skipIf(!numpy)("in numpy: np.load(perm) indexing the file's labels gives the labels trained on", () => {
    const manifest = JSON.parse(readFileSync(join(serial, "manifest.json"), "utf8")) as Manifest;
    const entry = manifest.runs[0]!;
    const script = [
      "import json, sys, numpy as np",
      "run, labels_file, perm_file, limit = sys.argv[1:5]",
      "raw = open(labels_file, 'rb').read()",
      "labels = np.frombuffer(raw, dtype=np.uint8, offset=8)[: int(limit)]",
      "perm = np.load(perm_file)",
      "print(json.dumps(labels[perm].tolist()))",
    ].join("\n");
    const py = spawnSync("python3", ["-c", script, entry.run, join(mnist, "train-labels-idx1-ubyte"), join(serial, entry.shuffledLabels!["train"]!.permutation), String(LIMIT)], { encoding: "utf8" });
    expect(py.status, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual(Array.from(trainedLabels(manifest, entry.run)));
  });
});
