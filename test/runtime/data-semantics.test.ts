/**
 * Data semantics that cannot mislead (issue 15): a held-out synthetic set is the same task as the training
 * set, `split:` gives independent samples of it, a noise variable of a data block is latent (not a model
 * input), label noise written inline is drawn per point, and seeds the generator would alias are refused.
 * Truth is computed here independently: class means straight from the task stream, a nearest-mean classifier
 * in float64, empirical standard deviations of the noise.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { compileFile } from "../../compiler/compile.js";
import { expandPlan } from "../../contract/plan.js";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import type { Dataset } from "../../runtime/dataset.js";
import { resolveSeeds } from "../../runtime/nn/mlp.js";
import { Rng } from "../../runtime/rng.js";
import { buildRunData } from "../../runner/data.js";
import type { GaussianMixtureDataset } from "../../stdlib/data/index.js";
import { ROOT } from "../compiler/paths.js";
import { expectRuntimeError } from "./expect-runtime-error.js";

const noTargets = { targets: {} } as unknown as ExperimentProgram;
const context = (seeds: readonly number[], program: ExperimentProgram = noTargets) => ({ program, seeds, dataRoot: "/nonexistent" });

type Mixture = Extract<DataSpec, { source: "gaussian_mixture" }>;
const mixture = (n: number, split?: "train" | "test"): Mixture => ({ source: "gaussian_mixture", n, d: 20, classes: 10, separation: 2, std: 1, perSeed: true, ...(split ? { split } : {}) });

/** The class means as the task stream defines them: μ_c,j = (separation/√d)·z, z the stream's normals in row-major order. */
function meansFromStream(seed: number, classes: number, d: number, separation: number): Float64Array {
  const rng = new Rng(seed).fork("data").fork("task").fork("gaussian_mixture").fork("means");
  return Float64Array.from({ length: classes * d }, () => (separation / Math.sqrt(d)) * rng.normal());
}

/** Per-class means of x estimated from a data set, in float64. */
function fittedMeans(data: GaussianMixtureDataset): Float64Array[] {
  const d = data.xShape[0]!;
  const sums = Array.from({ length: data.numClasses }, () => new Float64Array(d));
  const counts = new Array<number>(data.numClasses).fill(0);
  for (let i = 0; i < data.n; i++) {
    const c = data.labels[i]!;
    counts[c]!++;
    for (let j = 0; j < d; j++) sums[c]![j]! += data.x[i * d + j]!;
  }
  return sums.map((s, c) => s.map((v) => v / counts[c]!));
}

/** Accuracy of the nearest-mean classifier with `means` on `data` (float64 distances). */
function nearestMeanAccuracy(means: readonly Float64Array[], data: GaussianMixtureDataset): number {
  const d = data.xShape[0]!;
  let correct = 0;
  for (let i = 0; i < data.n; i++) {
    let best = -1;
    let bestDistance = Infinity;
    means.forEach((m, c) => {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (data.x[i * d + j]! - m[j]!) ** 2;
      if (dist < bestDistance) [best, bestDistance] = [c, dist];
    });
    if (best === data.labels[i]) correct++;
  }
  return correct / data.n;
}

const rows = (data: Dataset) => {
  const d = data.xShape[0]!;
  return new Set(Array.from({ length: data.n }, (_, i) => Array.from(data.x.subarray(i * d, (i + 1) * d)).join(",")));
};

describe("held-out Gaussian mixtures are the same task", () => {
  const seeds = [0, 1];
  const data = buildRunData({ train: mixture(2000), test: mixture(1000) }, context(seeds));
  const train = data.get("train") as GaussianMixtureDataset[];
  const test = data.get("test") as GaussianMixtureDataset[];

  it("two data sets with the same arguments have the class means of the seed's task stream", () => {
    seeds.forEach((seed, s) => {
      const truth = meanFromStreamCached(seed);
      expect([...train[s]!.means]).toEqual([...truth]);
      expect([...test[s]!.means]).toEqual([...truth]);
    });
    // Each seed is its own task.
    expect(train[0]!.means[0]).not.toBe(train[1]!.means[0]);
  });

  it("train and test samples are disjoint, and a nearest-mean classifier fitted on train scores the same on test", () => {
    for (let s = 0; s < seeds.length; s++) {
      const trainRows = rows(train[s]!);
      expect([...rows(test[s]!)].filter((r) => trainRows.has(r))).toEqual([]);
      const fitted = fittedMeans(train[s]!);
      const onTrain = nearestMeanAccuracy(fitted, train[s]!);
      const onTest = nearestMeanAccuracy(fitted, test[s]!);
      // Far above chance (0.1) on both; the gap stays within 4 binomial standard errors plus the fit's small optimism.
      expect(onTest).toBeGreaterThan(0.5);
      const se = Math.sqrt(onTest * (1 - onTest) * (1 / train[s]!.n + 1 / test[s]!.n));
      expect(Math.abs(onTrain - onTest)).toBeLessThan(4 * se + 0.02);
    }
  });

  it("split: train and split: test are the streams of sets named train and test; other names get their own", () => {
    const named = buildRunData({ a: mixture(300, "train"), b: mixture(300, "test"), train: mixture(300), c: mixture(300) }, context([3]));
    const x = (name: string) => [...named.get(name)![0]!.x];
    expect(x("a")).toEqual(x("train"));
    expect(x("b")).not.toEqual(x("a"));
    expect(x("c")).not.toEqual(x("a"));
    expect(x("c")).not.toEqual(x("b"));
    // A set's draws do not depend on the other sets beside it.
    expect(x("train")).toEqual([...buildRunData({ train: mixture(300) }, context([3])).get("train")![0]!.x]);
  });
});

const meansCache = new Map<number, Float64Array>();
function meanFromStreamCached(seed: number): Float64Array {
  if (!meansCache.has(seed)) meansCache.set(seed, meansFromStream(seed, 10, 20, 2));
  return meansCache.get(seed)!;
}

describe("latent variables and label noise in data blocks", () => {
  const dir = mkdtempSync(join(tmpdir(), "dync-datasem-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = `experiment noisy {
  seeds [0, 1]
  data train { x ~ uniform(-3, 3) [4096]; noise ~ normal(0, 0.1) [4096]; y = sin(2*x) + noise }
  data inline { x ~ uniform(-3, 3) [4096]; y = sin(2*x) + normal(0, 0.1) }
  data clean { x ~ uniform(-3, 3) [4096]; y = sin(2*x) }
  data test = grid(x in [-3, 3], n: 201) -> sin(2*x)
  model net = mlp(hidden: [8], act: tanh)
  optimizer adam(lr: 1e-2)
  train 10 steps, batch full
}
`;

  /** The generated program (emitted, type-checked and imported from dist) and the data sets it builds; made once. */
  let cached: ReturnType<typeof build> | undefined;
  const built = () => (cached ??= build());
  async function build() {
    const path = join(dir, "noisy.dyn");
    writeFileSync(path, source);
    const runtime = pathToFileURL(join(ROOT, "dist", "runner", "index.js")).href;
    // Type-checked against the runtime's types as `dync compile` does, then run against the built runtime.
    const compiled = await compileFile(path, { typeCheck: true });
    if (!compiled.ok) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
    expect(compiled.typeProblems).toEqual([]);
    expect(compiled.js).toContain('from "dync/runtime"');
    writeFileSync(join(dir, "noisy.mjs"), compiled.js.replace('from "dync/runtime"', `from ${JSON.stringify(runtime)}`));
    const mod = (await import(pathToFileURL(join(dir, "noisy.mjs")).href)) as { experiments: ExperimentProgram[] };
    const dist = (await import(runtime)) as { buildRunData: typeof buildRunData };
    const program = mod.experiments[0]!;
    const plan = expandPlan(program.profiles["default"]!); // the generated program holds a plan template
    return { plan, data: dist.buildRunData(plan.runs[0]!.data, context(plan.seeds, program)) };
  }

  it("the checker infers one input (x) and a latent noise; only the latent variable is noted", () => {
    const check = checkSource(source, "noisy.dyn");
    expect(check.diagnostics.map((d) => `${d.code} ${d.severity} ${d.span.line}:${d.span.col}`)).toEqual(["DYN2104 info 3:43"]);
    const run = check.experiments[0]!.profiles["default"]!.runs[0]!;
    expect(run.model.inDim).toBe(1);
    const train = run.data["train"] as Extract<DataSpec, { source: "sample" }>;
    expect(train.vars.map((v) => [v.name, v.latent ?? false])).toEqual([["x", false], ["noise", true]]);
  });

  it("the noise term is N(0, 0.1²) per point, per seed, seen by the target only", async () => {
    const { data } = await built();
    for (const name of ["train", "inline"]) {
      const perSeed = data.get(name)!;
      expect(perSeed.length).toBe(2);
      const residuals = perSeed.map((set) => {
        expect(set.xShape).toEqual([1]);
        expect(set.inputNames).toEqual(["x"]);
        // y − sin(2x) in float64 from the float32 x the network sees; y is stored in float32 (error ~1e-7).
        return Float64Array.from({ length: set.n }, (_, i) => set.y[i]! - Math.sin(2 * set.x[i]!));
      });
      for (const r of residuals) {
        const mean = r.reduce((a, v) => a + v, 0) / r.length;
        const std = Math.sqrt(r.reduce((a, v) => a + (v - mean) ** 2, 0) / (r.length - 1));
        // SE of the mean 0.1/√4096 ≈ 0.0016; of the std ≈ 0.1/√8192 ≈ 0.0011.
        expect(Math.abs(mean)).toBeLessThan(5 * 0.0016);
        expect(Math.abs(std - 0.1)).toBeLessThan(5 * 0.0011);
      }
      expect(residuals[0]![0]).not.toBe(residuals[1]![0]);
    }
  });

  it("inline label noise leaves the inputs' draws as they were without it", async () => {
    const { data } = await built();
    // `inline` and `clean` differ only in the noise; x comes from each set's own stream, so compare each with
    // the stream it was drawn from: U(-3, 3) draws of dataRng(seed, name), rounded to float32.
    for (const name of ["inline", "clean"]) {
      data.get(name)!.forEach((set, s) => {
        const rng = new Rng(s).fork("data").fork(name);
        const expected = Float32Array.from({ length: 8 }, () => rng.uniformIn(-3, 3));
        expect([...set.x.subarray(0, 8)]).toEqual([...expected]);
      });
    }
  });
});

describe("seeds the generator would alias", () => {
  it("Rng reads seeds modulo 2^32: 1 and 2^32 + 1 are one stream (why they are refused)", () => {
    const a = new Rng(1);
    const b = new Rng(2 ** 32 + 1);
    expect([a.nextUint32(), a.nextUint32()]).toEqual([b.nextUint32(), b.nextUint32()]);
  });

  it("resolveSeeds refuses seeds outside [0, 2^32) with RUN040 and keeps those inside", () => {
    expect(resolveSeeds([0, 2 ** 32 - 1])).toEqual([0, 2 ** 32 - 1]);
    expect(resolveSeeds(3)).toEqual([0, 1, 2]);
    expectRuntimeError(() => resolveSeeds([1, 2 ** 32 + 1]), "RUN040", /\[0, 2\^32\)/);
    expectRuntimeError(() => resolveSeeds([-1]), "RUN040");
    expectRuntimeError(() => resolveSeeds([0.5]), "RUN040");
    expectRuntimeError(() => resolveSeeds([4, 4]), "RUN040");
  });

  it("the checker points at each aliasing seed", () => {
    const check = checkSource(`experiment s {
  seeds [1, 4294967297, 7, 7]
  data train { x ~ uniform(-1, 1) [8]; y = x }
  model net = mlp(hidden: [4])
  optimizer sgd(lr: 0.1)
  train 1 steps, batch full
}
`, "s.dyn");
    expect(check.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([
      "DYN2034 2:13 seed 4294967297 is 2^32 or more: the random generator reads seeds modulo 2^32, so it would repeat seed 1",
      "DYN2034 2:28 seed 7 appears twice; every seed must be distinct",
    ]);
  });
});
