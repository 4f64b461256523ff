/**
 * Building a run's data sets from their `DataSpec`s. Random sources draw per seed from that seed's streams
 * when the spec says `perSeed`; shared random data draws from seed 0's. Samples come from the data set's
 * stream (`dataRng(seed, split ?? name)`); a source's random task (a Gaussian mixture's class means) from
 * the seed's task stream (`taskRng(seed, source)`), which no data set name enters, so a training set and
 * a held-out set share it. Targets are the program's generated float64 functions. Images are flattened to
 * one row per sample (HWC order): an MLP reads the rows as they are, a CNN reshapes them back to `[H, W, C]`.
 */
import { join } from "node:path";
import { sampleSize, type Dataset } from "../runtime/dataset.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { resolveDist } from "../runtime/init.js";
import type { Rng } from "../runtime/rng.js";
import type { DataSpec, ExperimentProgram, GridAxisSpec } from "../contract/program.js";
import {
  chebyshev,
  dataRng,
  gaussianMixture,
  gratings,
  gridInputs,
  loadCifar10,
  loadFashionMnist,
  loadMnist,
  pointsInputs,
  selectColumns,
  targetDraws,
  taskRng,
  withTarget,
  type GridAxis,
  type InputTable,
  type TargetDraws,
} from "../stdlib/data/index.js";

/** Where real data sets live when their spec names no directory: `<dataRoot>/<source>`. */
export interface DataContext {
  readonly program: ExperimentProgram;
  readonly seeds: readonly number[];
  readonly dataRoot: string;
}

/** Every data set of a run by name: one shared data set, or one per seed index. */
export function buildRunData(specs: Readonly<Record<string, DataSpec>>, context: DataContext): Map<string, Dataset[]> {
  const out = new Map<string, Dataset[]>();
  for (const [name, spec] of Object.entries(specs)) {
    const streams = spec.perSeed ? context.seeds : [0];
    out.set(name, streams.map((seed) => flattenSamples(buildDataset(name, spec, seed, context))));
  }
  return out;
}

/** One data set from its spec, drawing any randomness from the streams of `seed`. */
export function buildDataset(name: string, spec: DataSpec, seed: number, context: DataContext): Dataset {
  const rng = dataRng(seed, sampleStream(name, spec));
  // Label noise comes from its own fork, so adding it leaves the inputs' draws as they were.
  const draws = targetDraws(rng.fork("target"));
  switch (spec.source) {
    case "sample":
      return withoutLatent(withOptionalTarget(name, sampleInputs(name, spec.vars, rng), spec.target, context, draws), spec.vars);
    case "grid":
      return withOptionalTarget(name, gridInputs(spec.axes.map((a) => gridAxis(a, spec.n))), spec.target, context, draws);
    case "points":
      return withOptionalTarget(name, pointsInputs(spec.columns), spec.target, context, draws);
    case "chebyshev":
      noTargetAllowed(name, spec);
      return chebyshev({ name, degree: spec.degree, n: spec.n, ...(spec.axes?.[0] ? { axis: gridAxis(spec.axes[0], spec.n) } : {}) });
    case "mnist":
    case "fashion_mnist":
    case "cifar10":
      noTargetAllowed(name, spec);
      return loadImages(name, spec, context.dataRoot);
    case "gaussian_mixture":
      noTargetAllowed(name, spec);
      return gaussianMixture({ task: taskRng(seed, spec.source), samples: rng }, { name, n: spec.n, d: spec.d, classes: spec.classes, separation: spec.separation, std: spec.std });
    case "gratings":
      noTargetAllowed(name, spec);
      return gratings(rng, { name, n: spec.n, size: spec.size, channels: spec.channels, classes: spec.classes, cycles: spec.cycles, noise: spec.noise, normalize: spec.normalize, phaseSpread: spec.phaseSpread });
    default:
      throw new DyncRuntimeError("RUN040", `data set "${name}" has an unknown source ${JSON.stringify((spec as { source?: unknown }).source)}`);
  }
}

/** The sample stream of a data set: its `split:` when the source takes one and it is given, else its name. */
function sampleStream(name: string, spec: DataSpec): string {
  return ("split" in spec && (spec.source === "gaussian_mixture" || spec.source === "gratings") && spec.split) || name;
}

/** `x ~ uniform(-2, 2) [1024]`: every variable drawn point by point, variable by variable, in float64 then stored float32. */
function sampleInputs(name: string, vars: Extract<DataSpec, { source: "sample" }>["vars"], rng: Rng): InputTable {
  if (vars.length === 0) throw new DyncRuntimeError("RUN040", `data set "${name}" samples no variables`);
  const n = vars[0]!.n;
  const mismatch = vars.find((v) => v.n !== n);
  if (mismatch) {
    throw new DyncRuntimeError("RUN040", `data set "${name}": ${vars[0]!.name} has ${n} samples but ${mismatch.name} has ${mismatch.n}`);
  }
  if (!(Number.isInteger(n) && n >= 1)) throw new DyncRuntimeError("RUN040", `data set "${name}" needs a positive sample count, got ${n}`);
  const draws = vars.map((v) => {
    if (!["zeros", "constant", "normal", "uniform"].includes(v.dist.kind)) {
      throw new DyncRuntimeError("RUN040", `data set "${name}": ${v.name} ~ ${v.dist.kind} depends on a layer's fans; data needs normal, uniform or constant`);
    }
    const { family, a, b } = resolveDist(v.dist, { fanIn: 1, fanOut: 1 });
    return family === "constant" ? () => a : family === "uniform" ? () => rng.uniformIn(a, b) : () => a + b * rng.normal();
  });
  const d = vars.length;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = draws[j]!();
  return { n, names: vars.map((v) => v.name), x };
}

function gridAxis(axis: GridAxisSpec, n: number): GridAxis {
  return { name: axis.name, lo: axis.lo, hi: axis.hi, n, ends: axis.closedHi ? "both" : "left" };
}

/** Inputs plus the program's target function, or inputs alone (no target columns) for data that is only evaluated. */
function withOptionalTarget(name: string, inputs: InputTable, target: string | undefined, context: DataContext, draws: TargetDraws): Dataset {
  if (target === undefined) {
    return { name, n: inputs.n, xShape: [inputs.names.length], x: inputs.x, yDim: 0, y: new Float32Array(0), inputNames: inputs.names };
  }
  const fn = context.program.targets[target];
  if (!fn) throw new DyncRuntimeError("RUN040", `data set "${name}" uses target "${target}", which the program does not define`);
  return withTarget(name, inputs, fn, draws);
}

/** A data block's data set as the model sees it: the target has read every sampled column, the model reads the inputs only. */
function withoutLatent(dataset: Dataset, vars: Extract<DataSpec, { source: "sample" }>["vars"]): Dataset {
  if (!vars.some((v) => v.latent)) return dataset;
  const inputs = selectColumns({ n: dataset.n, names: vars.map((v) => v.name), x: dataset.x }, new Set(vars.filter((v) => !v.latent).map((v) => v.name)));
  if (inputs.names.length === 0) throw new DyncRuntimeError("RUN040", `data set "${dataset.name}" has only latent variables; the model needs at least one input`);
  return { ...dataset, xShape: [inputs.names.length], x: inputs.x, inputNames: inputs.names };
}

function noTargetAllowed(name: string, spec: DataSpec): void {
  if (spec.target !== undefined) {
    throw new DyncRuntimeError("RUN040", `data set "${name}" (${spec.source}) brings its own targets and cannot take a target function`);
  }
}

function loadImages(name: string, spec: Extract<DataSpec, { source: "mnist" | "fashion_mnist" | "cifar10" }>, dataRoot: string): Dataset {
  const options = {
    dir: spec.dir ?? join(dataRoot, spec.source),
    split: spec.split,
    normalize: spec.normalize,
    name,
    ...(spec.limit === null ? {} : { limit: spec.limit }),
  };
  if (spec.source === "mnist") return loadMnist(options);
  if (spec.source === "fashion_mnist") return loadFashionMnist(options);
  return loadCifar10(options);
}

/** Images `[h, w, c]` become rows of h·w·c values (same memory, HWC order), as an MLP reads them. */
function flattenSamples(dataset: Dataset): Dataset {
  return dataset.xShape.length === 1 ? dataset : { ...dataset, xShape: [sampleSize(dataset.xShape)] };
}
