/**
 * The implementations of the registry's data sources (stdlib/entries/data.ts), one `defineDataSource` each.
 * Random sources draw their samples from the data set's stream and a random task from the seed's task
 * stream; real data sets load from `dir`, else `<dataRoot>/<source>`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { GridAxisSpec } from "../../contract/program.js";
import * as entries from "../entries/data.js";
import { chebyshev } from "./chebyshev.js";
import { loadCifar10, loadCifar100 } from "./cifar.js";
import { defineDataSource, type DataSourceDefinition, type SourceSpec } from "./define.js";
import { gaussianMixture } from "./gaussian-mixture.js";
import { gratings } from "./gratings.js";
import { gridInputs, type GridAxis } from "./grid.js";
import { loadImage, type ImageAxis } from "./image.js";
import { pointsInputs, uniformInputs } from "./inputs.js";
import { loadFashionMnist, loadMnist } from "./mnist.js";
import { opposingSignals } from "./opposing-signals.js";
import { constantImage } from "./constant-image.js";
import { sumOfSinusoids } from "./sinusoids.js";
import { loadCsv, loadNpyPair } from "./tables.js";

function gridAxis(axis: GridAxisSpec, n: number): GridAxis {
  return { name: axis.name, lo: axis.lo, hi: axis.hi, n, ends: axis.closedHi ? "both" : "left" };
}

function imageAxis(axis: GridAxisSpec): ImageAxis {
  return { name: axis.name, lo: axis.lo, hi: axis.hi, ends: axis.closedHi ? "both" : "left" };
}

function withSize(size: readonly [number, number] | null): { size?: { width: number; height: number } } {
  return size ? { size: { width: size[0], height: size[1] } } : {};
}

/** Copies of real data sets a system package installs, read when `<dataRoot>/<source>` does not exist. */
const SYSTEM_DATA_DIRS: Readonly<Record<string, string>> = { fashion_mnist: entries.DEBIAN_FASHION_MNIST_DIR };

/** A real data set's directory: `dir:`, else `<dataRoot>/<source>`, else a system package's copy when that exists. */
export function realDataDir(source: string, dir: string | null, dataRoot: string): string {
  if (dir !== null) return dir;
  const own = join(dataRoot, source);
  const system = SYSTEM_DATA_DIRS[source];
  return !existsSync(own) && system !== undefined && existsSync(system) ? system : own;
}

/** Loader options of a real image data set's spec. */
function imageOptions(spec: SourceSpec<"mnist" | "fashion_mnist" | "cifar10" | "cifar100">, name: string, dataRoot: string) {
  return {
    dir: realDataDir(spec.source, spec.dir, dataRoot),
    split: spec.split,
    normalize: spec.normalize,
    name,
    ...(spec.limit === null ? {} : { limit: spec.limit }),
  };
}

export const dataSourceDefinitions: readonly DataSourceDefinition[] = [
  defineDataSource(entries.grid, (spec) => gridInputs(spec.axes.map((a) => gridAxis(a, spec.n)))),
  defineDataSource(entries.uniform, (spec, ctx) =>
    uniformInputs(ctx.samples(spec.split), { n: spec.n, lo: spec.axes.map((a) => a.lo), hi: spec.axes.map((a) => a.hi), names: spec.axes.map((a) => a.name) }),
  ),
  defineDataSource(entries.points, (spec) => pointsInputs(spec.columns)),
  defineDataSource(entries.chebyshev, (spec, ctx) =>
    chebyshev({ name: ctx.name, degree: spec.degree, n: spec.n, ...(spec.axes?.[0] ? { axis: gridAxis(spec.axes[0], spec.n) } : {}) }),
  ),
  defineDataSource(entries.mnist, (spec, ctx) => loadMnist(imageOptions(spec, ctx.name, ctx.dataRoot))),
  defineDataSource(entries.fashionMnist, (spec, ctx) => loadFashionMnist(imageOptions(spec, ctx.name, ctx.dataRoot))),
  defineDataSource(entries.cifar10, (spec, ctx) => loadCifar10(imageOptions(spec, ctx.name, ctx.dataRoot))),
  defineDataSource(entries.cifar100, (spec, ctx) => loadCifar100({ ...imageOptions(spec, ctx.name, ctx.dataRoot), labels: spec.labels })),
  defineDataSource(entries.image, (spec, ctx) =>
    loadImage({
      file: ctx.dataFile(spec.file),
      name: ctx.name,
      ...(spec.axes ? { axes: [imageAxis(spec.axes[0]!), imageAxis(spec.axes[1]!)] as const } : {}),
      ...withSize(entries.imageSize(spec.size)),
      channels: spec.channels,
      targetRange: spec.normalize,
    }),
  ),
  defineDataSource(entries.sinusoids, (spec, ctx) =>
    // Random phases are the seed's task: every data set of the source in one seed has the same signal.
    sumOfSinusoids(spec.phases === "random" ? ctx.task() : spec.phases, {
      name: ctx.name,
      axis: spec.axes?.[0] ? gridAxis(spec.axes[0], spec.n) : { name: "x", lo: 0, hi: 1, n: spec.n, ends: "left" },
      frequencies: spec.frequencies,
      ...(spec.amplitudes ? { amplitudes: spec.amplitudes } : {}),
    }),
  ),
  defineDataSource(entries.gaussianMixture, (spec, ctx) =>
    gaussianMixture({ task: ctx.task(), samples: ctx.samples(spec.split) }, { name: ctx.name, n: spec.n, d: spec.d, classes: spec.classes, separation: spec.separation, std: spec.std }),
  ),
  defineDataSource(entries.opposingSignals, (spec, ctx) =>
    opposingSignals(ctx.samples(spec.split), { name: ctx.name, n: spec.n, d1: spec.d1, d2: spec.d2, p: spec.p, alpha: spec.alpha, beta: spec.beta }),
  ),
  defineDataSource(entries.constantImage, (spec, ctx) => constantImage({ name: ctx.name, ...spec })),
  defineDataSource(entries.csv, (spec, ctx) => loadCsv({ file: ctx.dataFile(spec.file), name: ctx.name, x: spec.x, y: spec.y, ...(spec.classes === undefined ? {} : { classes: spec.classes }) })),
  defineDataSource(entries.npy, (spec, ctx) => loadNpyPair({ x: ctx.dataFile(spec.x), y: ctx.dataFile(spec.y), name: ctx.name, inputs: spec.inputs, outputs: spec.outputs, ...(spec.classes === undefined ? {} : { classes: spec.classes }) })),
  defineDataSource(entries.gratings, (spec, ctx) =>
    gratings(ctx.samples(spec.split), {
      name: ctx.name,
      n: spec.n,
      size: spec.size,
      channels: spec.channels,
      classes: spec.classes,
      cycles: spec.cycles,
      noise: spec.noise,
      normalize: spec.normalize,
      phaseSpread: spec.phase_spread,
    }),
  ),
];
