/**
 * Building a run's data sets from their `DataSpec`s. Random sources draw per seed from that seed's streams
 * when the spec says `perSeed`; shared random data draws from seed 0's. Samples come from the data set's
 * stream (`dataRng(seed, split ?? name)`); a source's random task (a Gaussian mixture's class means) from
 * the seed's task stream (`taskRng(seed, source)`), which no data set name enters, so a training set and
 * a held-out set share it. Each registry source is built by its `defineDataSource` (stdlib/data/sources.ts),
 * found by name in one table; data blocks (`x ~ uniform(-2, 2) [1024]`) are sampled here. Targets are the
 * program's generated float64 functions. Images are flattened to
 * one row per sample (HWC order): an MLP reads the rows as they are, a CNN reshapes them back to `[H, W, C]`.
 */
import { dirname, resolve } from "node:path";
import { sampleSize, type Dataset } from "../runtime/dataset.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { resolveDist } from "../runtime/init.js";
import { drawInBlocks, type Rng } from "../runtime/rng.js";
import type { DataSpec, ExperimentProgram } from "../contract/program.js";
import { dataRng, pixelStatistics, selectColumns, shuffleLabels, standardizePixels, targetDraws, taskRng, withTarget, type InputTable, type TargetDraws } from "../stdlib/data/index.js";
import type { DataSourceContext } from "../stdlib/data/define.js";
import { dataSourceImplementations } from "../stdlib/implementations.js";

/** Where real data sets live when their spec names no directory: `<dataRoot>/<source>`. */
export interface DataContext {
  readonly program: ExperimentProgram;
  readonly seeds: readonly number[];
  readonly dataRoot: string;
}

/**
 * Every data set of a run by name: one shared data set, or one per seed index. Data sets with
 * `standardize: pixel` are standardised with the statistics of the training set `trainOn` (per seed index
 * when it is drawn per seed).
 */
export function buildRunData(specs: Readonly<Record<string, DataSpec>>, context: DataContext, trainOn?: string): Map<string, Dataset[]> {
  const sets = Object.entries(specs).map(([name, spec]) => {
    const key = JSON.stringify([name, spec, context.dataRoot]);
    return { name, spec, streams: (spec.perSeed ? context.seeds : [0]).map((seed) => ({ seed, key: `${key} seed ${seed}` })) };
  });
  const wanted = new Set(sets.flatMap((set) => set.streams.map((stream) => stream.key)));
  const previous = lastRunData.get(context.program) ?? new Map<string, Dataset>();
  for (const key of previous.keys()) if (!wanted.has(key)) previous.delete(key);
  const reused = new Map<string, Dataset>();
  const fresh = new Map<string, Dataset>();
  const out = new Map<string, Dataset[]>();
  for (const { name, spec, streams } of sets) {
    out.set(name, streams.map(({ seed, key }) => {
      const kept = previous.get(key);
      if (kept) reused.set(key, kept);
      else fresh.set(key, flattenSamples(buildDataset(name, spec, seed, context)));
      return kept ? copyOf(kept) : fresh.get(key)!;
    }));
  }
  // Copied for keeping only once it is known to fit: a set past the budget is never held twice.
  const fits = floatsOf([...reused.values(), ...fresh.values()]) <= keptDataBudget;
  if (fits) lastRunData.set(context.program, new Map([...reused, ...[...fresh].map(([key, d]) => [key, copyOf(d)] as const)]));
  else lastRunData.delete(context.program);
  return standardized(specs, out, trainOn);
}

/**
 * The data sets of the last run this process built, per program, by everything a build reads (the data set's
 * name and resolved spec, the seed stream, the data root): a sweep whose axes do not enter a data set (`sweep
 * width …` over `x ~ uniform(-2, 2) [256]`) gives every run the same data, so only its first run draws or loads
 * it (benchmark (d): 1000 seeds × 256 points, ~20 ms a run; a real data set, its file read and decoded once).
 * The kept sets are copies no run holds, and every run gets a copy of its own, so nothing one run does to its
 * arrays reaches another (a copy costs far less than a draw). Entries the next run does not ask for are dropped
 * before it builds, so at most one run's data is kept besides the current run's, and none past `KEPT_DATA_FLOATS`.
 */
const lastRunData = new WeakMap<ExperimentProgram, Map<string, Dataset>>();

/**
 * The most a program keeps (floats of inputs, targets and labels): 64 MB. Beyond it every run builds its data
 * again, as before this cache, rather than hold a second copy of a large real data set (Fashion-MNIST's training
 * set is ~190 MB) beside the run's own; such a build still skips the gunzip of its files, which `readDataFile`
 * (stdlib/data/files.ts) keeps, and only converts the bytes again.
 */
export const KEPT_DATA_FLOATS = 1 << 24;
let keptDataBudget = KEPT_DATA_FLOATS;

/** Tests: another budget (0 restores the default). */
export function setKeptDataBudget(floats: number): void {
  keptDataBudget = floats > 0 ? floats : KEPT_DATA_FLOATS;
}

/** Floats of the data sets kept for `program`'s next run (0: none). */
export function keptDataFloats(program: ExperimentProgram): number {
  return floatsOf(lastRunData.get(program)?.values() ?? []);
}

function floatsOf(datasets: Iterable<Dataset>): number {
  let total = 0;
  for (const d of datasets) total += d.x.length + d.y.length + (d.labels?.length ?? 0);
  return total;
}

function copyOf(dataset: Dataset): Dataset {
  return { ...dataset, x: dataset.x.slice(), y: dataset.y.slice(), ...(dataset.labels ? { labels: dataset.labels.slice() } : {}) };
}

/** The data sets with `standardize: pixel` transformed by the training set's per-pixel statistics (computed once per stream). */
function standardized(specs: Readonly<Record<string, DataSpec>>, data: Map<string, Dataset[]>, trainOn: string | undefined): Map<string, Dataset[]> {
  const names = Object.keys(specs).filter((name) => specs[name]!.standardize === "pixel");
  if (names.length === 0) return data;
  const train = trainOn === undefined ? undefined : data.get(trainOn);
  if (!train || specs[trainOn!]!.standardize !== "pixel") {
    throw new DyncRuntimeError("RUN040", `data set "${names[0]}" asks for standardize: pixel, whose statistics come from the training set, but the training set${trainOn ? ` "${trainOn}"` : ""} is not standardised`, "add `standardize: pixel` to the training data set too");
  }
  const stats = train.map(pixelStatistics);
  const out = new Map(data);
  for (const name of names) out.set(name, data.get(name)!.map((d, i) => standardizePixels(d, stats[Math.min(i, stats.length - 1)]!)));
  return out;
}

/**
 * One data set from its spec, drawing any randomness from the streams of `seed`. `draw` k > 0 is the k-th
 * fresh draw of a data set with `resample: every_step` (the training data of update k): every sample stream
 * is then forked for k, so draws differ from step to step and each is fixed by the seed and k alone.
 */
export function buildDataset(name: string, spec: DataSpec, seed: number, context: DataContext, draw = 0): Dataset {
  const samples = (stream: string): Rng => (draw === 0 ? dataRng(seed, stream) : dataRng(seed, stream).fork(`draw ${draw}`));
  // Label noise comes from its own fork of the data set's stream, so adding it leaves the inputs' draws as they were.
  const draws = targetDraws(samples(name).fork("target"));
  if (spec.source === "sample") {
    return withoutLatent(withOptionalTarget(name, sampleInputs(name, spec.vars, samples(name)), spec.target, context, draws), spec.vars);
  }
  const source = dataSourceImplementations.get(spec.source);
  if (!source) {
    const known = [...dataSourceImplementations.keys()].join(", ");
    throw new DyncRuntimeError("RUN040", `data set "${name}" has an unknown source ${JSON.stringify((spec as { source?: unknown }).source)} (known: ${known})`);
  }
  const ctx: DataSourceContext = {
    name,
    dataRoot: context.dataRoot,
    dataFile: (path) => resolve(context.program.sourceDir ?? dirname(context.program.file), path),
    samples: (split) => samples(split || name),
    task: () => taskRng(seed, spec.source),
  };
  if (source.targets === "function") return withOptionalTarget(name, source.build(spec, ctx), spec.target, context, draws);
  noTargetAllowed(name, spec);
  const built = source.build(spec, ctx);
  return spec.shuffle_labels === undefined ? built : shuffleLabels(built, spec.shuffle_labels);
}

/**
 * The training set `name` drawn afresh for update `step` (`resample: every_step`), one per seed index like
 * `buildRunData`; undefined when the spec reuses one draw. Pixel standardisation would need statistics of
 * the first draw, so a resampled set cannot ask for it.
 */
export function redrawTrainingData(name: string, spec: DataSpec, context: DataContext): ((step: number) => Dataset[]) | undefined {
  if (spec.resample !== "every_step") return undefined;
  if (!spec.perSeed) throw new DyncRuntimeError("RUN040", `data set "${name}" (${spec.source}) is not random, so it cannot be drawn afresh every step`, "drop `resample: every_step`");
  if (spec.standardize === "pixel") throw new DyncRuntimeError("RUN040", `data set "${name}" is drawn afresh every step and cannot be standardised with the statistics of one draw`, "drop `standardize: pixel` or `resample: every_step`");
  return (step) => context.seeds.map((seed) => flattenSamples(buildDataset(name, spec, seed, context, step)));
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
  const dists = vars.map((v) => {
    if (!["zeros", "constant", "normal", "uniform"].includes(v.dist.kind)) {
      throw new DyncRuntimeError("RUN040", `data set "${name}": ${v.name} ~ ${v.dist.kind} depends on a layer's fans; data needs normal, uniform or constant`);
    }
    return resolveDist(v.dist, { fanIn: 1, fanOut: 1 });
  });
  const d = vars.length;
  const x = new Float32Array(n * d);
  const families = new Set(dists.filter((dist) => dist.family !== "constant").map((dist) => dist.family));
  if (families.size === 1) sampleOneFamily(x, dists, [...families][0] as "normal" | "uniform", rng);
  else {
    // normals and uniforms interleaved: one draw at a time (a normal's spare value sits between them)
    const draws = dists.map(({ family, a, b }) => (family === "constant" ? () => a : family === "uniform" ? () => rng.uniformIn(a, b) : () => a + b * rng.normal()));
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = draws[j]!();
  }
  return { n, names: vars.map((v) => v.name), x };
}

/**
 * Fill `x` (rows of one value per variable) where every drawn variable is of one family: the draws are consecutive
 * in the stream (constants draw nothing), so they come in bulk, equal to a + b·normal() / uniformIn(a, b) one by one.
 */
function sampleOneFamily(x: Float32Array, dists: readonly ReturnType<typeof resolveDist>[], family: "normal" | "uniform", rng: Rng): void {
  const d = dists.length;
  const drawn = dists.flatMap((dist, j) => (dist.family === "constant" ? [] : [j]));
  for (let j = 0; j < d; j++) if (dists[j]!.family === "constant") for (let i = 0; i < x.length / d; i++) x[i * d + j] = dists[j]!.a;
  drawInBlocks(rng, family, (x.length / d) * drawn.length, (block, start, length) => {
    for (let k = 0; k < length; k++) {
      const row = Math.floor((start + k) / drawn.length);
      const j = drawn[start + k - row * drawn.length]!;
      const { a, b } = dists[j]!;
      x[row * d + j] = family === "normal" ? a + b * block[k]! : a + (b - a) * block[k]!;
    }
  });
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

/** Images `[h, w, c]` become rows of h·w·c values (same memory, HWC order), as an MLP reads them. */
function flattenSamples(dataset: Dataset): Dataset {
  return dataset.xShape.length === 1 ? dataset : { ...dataset, xShape: [sampleSize(dataset.xShape)] };
}
