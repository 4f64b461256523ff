/**
 * Training to accuracy on one's own CSV data with `classes: K` (docs/data.md, "Classification"): three
 * Gaussian blobs in the plane, generated here with a fixed seed, written as train.csv and test.csv; a small
 * MLP trained on train.csv must classify test.csv well, on both matrix-product paths (the native OpenBLAS
 * addon when built, and wasm with DYNC_NATIVE=0). What the run records is checked against computations
 * made here from the CSV files alone, in float64 JS:
 *  - the `accuracy` probe equals the fraction of test rows whose saved logits (`outputs(net, test)`, one .npy
 *    per output) have their largest entry at the row's label, read from test.csv;
 *  - the saved one-hot targets are the labels of test.csv, row by row (the file's order is kept);
 *  - a nearest-centroid classifier (centroids of train.csv's classes) reaches about the same accuracy: the
 *    blobs are nearly separable by it, so a trained network that learned the classes agrees with it.
 * Runs the built CLI (build first: `npx tsc -p tsconfig.build.json && node tools/gradient-bundle.mjs`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNpy } from "../../runtime/npy.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "dist", "cli", "bin.js");
const SEEDS = 4;
const CENTERS: readonly (readonly [number, number])[] = [
  [0, 2],
  [-1.7, -1],
  [1.7, -1],
];
const SPREAD = 0.6;

/** mulberry32: a small seeded generator, so the data are the same on every machine. */
function generator(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  readonly u: number;
  readonly v: number;
  readonly label: number;
}

/** `perClass` samples of each blob, classes interleaved, coordinates rounded to 4 decimals as written. */
function blobs(random: () => number, perClass: number): Row[] {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const round = (x: number) => Number(x.toFixed(4));
  const rows: Row[] = [];
  for (let i = 0; i < perClass; i++) {
    for (const [label, [cu, cv]] of CENTERS.entries()) rows.push({ u: round(cu + SPREAD * gauss()), v: round(cv + SPREAD * gauss()), label });
  }
  return rows;
}

function writeCsv(path: string, rows: readonly Row[]): void {
  writeFileSync(path, ["u,v,label", ...rows.map((r) => `${r.u},${r.v},${r.label}`)].join("\n") + "\n");
}

/** Test accuracy of the nearest centroid of each class of `train` (float64). */
function nearestCentroidAccuracy(train: readonly Row[], test: readonly Row[]): number {
  const centroids = CENTERS.map((_, k) => {
    const members = train.filter((r) => r.label === k);
    return [members.reduce((s, r) => s + r.u, 0) / members.length, members.reduce((s, r) => s + r.v, 0) / members.length] as const;
  });
  const predict = (r: Row) => argmax(centroids.map(([cu, cv]) => -((r.u - cu) ** 2 + (r.v - cv) ** 2)));
  return test.filter((r) => predict(r) === r.label).length / test.length;
}

function argmax(values: readonly number[]): number {
  return values.reduce((best, x, i) => (x > values[best]! ? i : best), 0);
}

const SOURCE = `experiment blobs {
  seeds ${SEEDS}
  data train = csv("train.csv", x: ["u", "v"], y: "label", classes: 3)
  data test = csv("test.csv", x: ["u", "v"], y: "label", classes: 3)
  model net = mlp(hidden: [16], act: relu)
  optimizer adam(lr: 1e-2)
  train 150 steps, batch 30
  probe acc = accuracy(net, test) at [start, end]
  probe out = outputs(net, test) at end
}
`;

let scratch: string;
let train: Row[];
let test: Row[];

beforeAll(() => {
  scratch = mkdtempSync(join(ROOT, "test", ".csv-classification-"));
  const random = generator(20);
  train = blobs(random, 60);
  test = blobs(random, 50);
  writeCsv(join(scratch, "train.csv"), train);
  writeCsv(join(scratch, "test.csv"), test);
  writeFileSync(join(scratch, "blobs.dyn"), SOURCE);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Metric {
  readonly seed: number;
  readonly step: number;
  readonly probe: string;
  readonly value: number;
}

describe.each<[string, Record<string, string>]>([
  ["default matmul path (native when built)", {}],
  ["wasm matmul (DYNC_NATIVE=0)", { DYNC_NATIVE: "0" }],
])("classes: 3 from csv(…), %s", (_name, env) => {
  let out: string;
  let metrics: Metric[];

  beforeAll(() => {
    out = join(scratch, `run-${env["DYNC_NATIVE"] ?? "default"}`);
    const p = spawnSync(process.execPath, [CLI, "run", join(scratch, "blobs.dyn"), "--backend", "wasm", "--jobs", "1", "--quiet", "--out", out], {
      cwd: scratch,
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
    expect(p.status, p.stderr).toBe(0);
    metrics = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Metric);
  }, 120_000);

  const accuracy = (seed: number, step: number) => metrics.find((m) => m.probe === "acc" && m.seed === seed && m.step === step)!.value;
  const saved = (field: string, seed: number) => readNpy(join(out, "tensors", `out.${field}`, "run", `seed${seed}.npy`)).data;

  it("trains every seed above 95 % test accuracy, from below it at the start", () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      expect(accuracy(seed, 150), `seed ${seed}`).toBeGreaterThan(0.95);
      expect(accuracy(seed, 0), `seed ${seed}`).toBeLessThan(0.95);
    }
  });

  it("the accuracy probe is the fraction of test rows whose saved logits peak at the CSV's label", () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const logits = ["output", "output1", "output2"].map((f) => saved(f, seed));
      for (const l of logits) expect(l.length).toBe(test.length);
      const correct = test.filter((r, i) => argmax(logits.map((l) => l[i]!)) === r.label).length;
      expect(accuracy(seed, 150), `seed ${seed}`).toBe(correct / test.length);
    }
  });

  it("the saved targets are the CSV's labels one-hot, in the file's order", () => {
    const targets = ["target", "target1", "target2"].map((f) => saved(f, 0));
    expect(test.map((_, i) => argmax(targets.map((t) => t[i]!)))).toEqual(test.map((r) => r.label));
    expect(test.every((_, i) => targets.reduce((s, t) => s + t[i]!, 0) === 1)).toBe(true);
  });

  it("agrees with a nearest-centroid classifier of train.csv to within 4 test rows in 100", () => {
    const reference = nearestCentroidAccuracy(train, test);
    expect(reference).toBeGreaterThan(0.95);
    for (let seed = 0; seed < SEEDS; seed++) expect(Math.abs(accuracy(seed, 150) - reference), `seed ${seed}`).toBeLessThanOrEqual(0.04);
  });
});
