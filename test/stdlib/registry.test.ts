/**
 * The standard library's one cross-check: every probe and analysis-function entry of the registry has
 * exactly one implementation and every implementation one entry (the same object, so params and result
 * fields cannot drift), every default satisfies its param's type, and every probe, run on a small network
 * with its defaults, returns the shape its `result` declares (fields, index, matrix). Every data source
 * entry has one implementation too, and the data set it builds has the shape and size its schema declares.
 * Adding a probe to a family adds its case to `PROBE_CASES` (probe-cases.ts); adding a synthetic data
 * source, its case to `SOURCES` below.
 */
import "@tensorflow/tfjs-backend-cpu";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients, selectBackend } from "../../runtime/backend.js";
import { Sequential } from "../../runtime/nn/sequential.js";
import { createOptimizer } from "../../runtime/optim.js";
import { mlpLayers } from "../../contract/layer-list.js";
import type { ProbeContext } from "../../runtime/train/index.js";
import { analysisImplementations, dataSourceImplementations, familyImplementations, probeImplementations } from "../../stdlib/implementations.js";
import { buildDataset } from "../../runner/data.js";
import type { DataSpec, ExperimentProgram } from "../../contract/program.js";
import { fitsType as fits } from "../../stdlib/registry/validate.js";
import { isSeedFields, isSeedIndexed, isSeedScalars, isSeedTensors, measureProbe, RunProbeEnv } from "../../stdlib/probes/index.js";
import { families, registry, type Entry } from "../../stdlib/registry/index.js";
import { REDUCE_FNS } from "../../contract/program.js";
import { classes, line, PROBE_CASES } from "./probe-cases.js";
import { samplerFor, samplerImplementations } from "../../stdlib/sampling/index.js";

/** Compile-time analyses the IR implements itself (`reduce`, `fit_power_law` nodes), not `{ op: "fn" }`. */
const IR_ANALYSES = new Set<string>([...REDUCE_FNS, "fit_power_law"]);

function names(entries: readonly { readonly name: string }[]): string[] {
  return entries.map((e) => e.name).sort();
}

describe("registry ↔ implementations", () => {
  it("has one implementation per probe entry and one entry per implementation, the same object", () => {
    const entries = registry.ofKind("probe");
    expect(names([...probeImplementations.values()].map((d) => d.entry))).toEqual(names(entries));
    for (const entry of entries) expect(probeImplementations.get(entry.name)!.entry).toBe(entry);
  });

  it("has one implementation per analysis function and one entry per implementation, the same object", () => {
    const entries = registry.ofKind("analysis").filter((e) => !IR_ANALYSES.has(e.name));
    expect(names([...analysisImplementations.values()].map((d) => d.entry))).toEqual(names(entries));
    for (const entry of entries) expect(analysisImplementations.get(entry.name)!.entry).toBe(entry);
  });

  it("builds the registry and the implementation table from the same families, each family's entries implemented in its own folder", () => {
    expect(familyImplementations.map((f) => f.name)).toEqual(families.map((f) => f.name));
    families.forEach((family, i) => {
      const implemented = [...familyImplementations[i]!.probes, ...familyImplementations[i]!.analyses].map((d) => d.entry);
      const declared = family.entries.filter((e) => e.kind === "probe" || (e.kind === "analysis" && !IR_ANALYSES.has(e.name)));
      expect(names(implemented)).toEqual(names(declared));
    });
  });

  it("has one implementation per pair sampler entry and one entry per implementation, the same object", () => {
    const entries = registry.ofKind("sampler");
    expect(names(samplerImplementations.map((d) => d.entry))).toEqual(names(entries));
    for (const entry of entries) expect(samplerFor({ kind: entry.name }).entry).toBe(entry);
  });

  it("has one implementation per data source entry and one entry per implementation, the same object", () => {
    const entries = registry.ofKind("data");
    expect(names([...dataSourceImplementations.values()].map((d) => d.entry))).toEqual(names(entries));
    for (const entry of entries) {
      expect(dataSourceImplementations.get(entry.name)!.entry).toBe(entry);
      expect(dataSourceImplementations.get(entry.name)!.targets).toBe(entry.data!.targets);
    }
  });

  it("gives every probe and analysis param a default its type accepts", () => {
    const bad: string[] = [];
    for (const entry of [...registry.ofKind("probe"), ...registry.ofKind("analysis"), ...registry.ofKind("sampler")]) {
      for (const p of entry.params) {
        if (p.default === undefined || p.default === null) continue;
        if (!fits(p.type, p.default)) bad.push(`${entry.kind} ${entry.name}: ${p.name} = ${JSON.stringify(p.default)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("rejects a default of the wrong type (the check above can fail)", () => {
    expect(fits({ t: "number", integer: true, min: 1 }, 0.5)).toBe(false);
    expect(fits({ t: "choice", options: ["eigen", "none"] }, "other")).toBe(false);
    expect(fits({ t: "interval" }, [2])).toBe(false);
  });
});

describe("every probe returns the shape its entry declares", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
    await ensureGradients();
  });

  const RUNS = PROBE_CASES;

  it("has a case for every probe", () => {
    expect(Object.keys(RUNS).sort()).toEqual(names(registry.ofKind("probe")));
  });

  for (const entry of registry.ofKind("probe")) {
    it(entry.name, async () => {
      const run = RUNS[entry.name]!;
      // The network as the runner builds every `mlp(…)`: its layer list on Sequential.
      const layers = mlpLayers({ hidden: [6], outDim: run.outDim ?? 1, act: "tanh", bias: true, norm: "none", dropout: 0, encode: null, outputScale: null });
      const net = new Sequential({ inShape: [1], layers, seeds: [0, 1] });
      const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["line", [line]], ["classes", [classes]]]), loss: "mse" });
      const perSeed = Float32Array.from([0.5, 0.25]);
      // The optimizer that reports every statistic `optimizer_stat` can read (contract OPTIMIZER_STATS).
      const optimizer = createOptimizer({ kind: "sign_sgd", lr: 0.1, sign_lr: 0.01, threshold: 0.5 }, net.params);
      const ctx = { model: net, optimizer, step: 0, seeds: [0, 1], seedIndices: [0, 1], lr: 0.1, loss: { perSeed: { dataSync: () => perSeed } } } as unknown as ProbeContext;
      try {
        const value = await measureProbe(entry.name, { model: { ref: "net" }, ...run.args }, ctx, env);
        expectShape(entry, value, 2);
      } finally {
        env.dispose();
        optimizer.dispose();
        net.dispose();
      }
    });
  }
});

function expectShape(entry: Entry, value: unknown, seeds: number): void {
  const result = entry.result;
  if (result?.matrix) {
    expect(isSeedTensors(value)).toBe(true);
  } else if (result?.index) {
    expect(isSeedIndexed(value)).toBe(true);
    const v = value as { dim: string; fields: Record<string, unknown[]> };
    expect(v.dim).toBe(result.index);
    for (const [field, perSeed] of Object.entries(v.fields)) {
      expect(result.fields ?? ["value"]).toContain(field);
      expect(perSeed).toHaveLength(seeds);
    }
  } else if (result?.fields) {
    expect(isSeedFields(value)).toBe(true);
    expect(Object.keys((value as { fields: object }).fields).sort()).toEqual([...result.fields].sort());
  } else {
    expect(isSeedScalars(value)).toBe(true);
    expect((value as Float64Array).length).toBe(seeds);
  }
}

describe("every synthetic data source builds the shape and size its entry declares", () => {
  const axis = { name: "x", lo: -1, hi: 1, closedHi: true };
  /** Per source: a lowered spec (real data sets need files and are left out: their shapes are fixed numbers). */
  const SOURCES: Record<string, Record<string, unknown>> = {
    grid: { source: "grid", axes: [axis, { ...axis, name: "y", closedHi: false }], n: 5 },
    uniform: { source: "uniform", axes: [axis, { ...axis, name: "y" }], n: 9, resample: "every_step" },
    points: { source: "points", columns: { u: [0, 0.5, 1], v: [1, 2, 3] } },
    chebyshev: { source: "chebyshev", degree: 3, n: 7, axes: null },
    gaussian_mixture: { source: "gaussian_mixture", n: 12, d: 3, classes: 4, separation: 3, std: 1 },
    gratings: { source: "gratings", n: 6, size: 5, channels: 2, classes: 3, cycles: 2, noise: 0.25, normalize: "unit", phase_spread: 1 },
    opposing_signals: { source: "opposing_signals", n: 20, d1: 2, d2: 4, p: 0.1, alpha: 1, beta: 1 },
    constant_image: { source: "constant_image", size: 3, channels: 2, classes: 4, color: [0.25, 0.75], label: 2, n: 2 },
    // A shipped photograph, relative to the program's file (examples/x.dyn), shrunk to 16 × 8.
    image: { source: "image", file: "data/astronaut-256.png", axes: null, size: [16, 8], channels: "rgb", normalize: "unit" },
    sinusoids: { source: "sinusoids", frequencies: [5, 10], amplitudes: null, phases: "random", n: 64, axes: null },
  };
  // Real data sets and one's own files (csv, npy: test/runtime/data-tables.test.ts) need files.
  const REAL = new Set(["mnist", "fashion_mnist", "cifar10", "cifar100", "csv", "npy"]);
  const program = { targets: {}, file: join(fileURLToPath(new URL("../../examples", import.meta.url)), "x.dyn") } as unknown as ExperimentProgram;
  const context = { program, seeds: [0], dataRoot: "/nonexistent" };

  it("has a case for every synthetic source", () => {
    expect(Object.keys(SOURCES).sort()).toEqual(names(registry.ofKind("data").filter((e) => !REAL.has(e.name))));
  });

  for (const [source, spec] of Object.entries(SOURCES)) {
    it(source, () => {
      const schema = registry.get("data", source)!.data!;
      const shape = schema.shape(spec);
      const dataset = buildDataset("d", { ...spec, perSeed: schema.perSeed } as unknown as DataSpec, 0, context);
      expect(dataset.n).toBe(schema.size(spec));
      expect(dataset.xShape.reduce((a, b) => a * b, 1)).toBe(shape.inDim);
      if (shape.image) expect(dataset.xShape).toEqual(shape.image);
      // Named inputs are the model's input variables; unnamed ones (a mixture's x1…xd, pixels) name none.
      if (schema.namedInputs) expect(dataset.inputNames).toEqual(shape.inputs);
      else expect(shape.inputs).toEqual([]);
      // Input-only sources carry no target columns until a target function completes them.
      expect(dataset.yDim).toBe(schema.targets === "own" ? shape.outDim : 0);
    });
  }

  it("states the real data sets' image shapes and split sizes", () => {
    const at = (name: string, spec: Record<string, unknown>) => ({ shape: registry.get("data", name)!.data!.shape(spec), size: registry.get("data", name)!.data!.size(spec) });
    expect(at("mnist", { split: "test", limit: null })).toEqual({ shape: { inputs: [], inDim: 784, outDim: 10, classes: true, image: [28, 28, 1] }, size: 10000 });
    expect(at("cifar10", { split: "train", limit: 500 }).size).toBe(500);
    expect(at("cifar10", { split: "train", limit: null }).shape.image).toEqual([32, 32, 3]);
    expect(at("cifar100", { split: "test", limit: null, labels: "coarse" })).toEqual({ shape: { inputs: [], inDim: 3072, outDim: 20, classes: true, image: [32, 32, 3] }, size: 10000 });
    expect(at("cifar100", { split: "train", limit: null, labels: "fine" }).shape.outDim).toBe(100);
    expect(at("fashion_mnist", { split: "train", limit: null }).size).toBe(60000);
  });

  it("an image's size is known before loading only with `size:`; gray images have one output", () => {
    const schema = registry.get("data", "image")!.data!;
    expect(schema.size({ size: null })).toBeUndefined();
    expect(schema.shape({ axes: null, channels: "gray" })).toEqual({ inputs: ["x", "y"], inDim: 2, outDim: 1, classes: false });
  });
});
