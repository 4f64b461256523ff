/**
 * The implementations of the registry's data sources (stdlib/entries/data.ts), one `defineDataSource` each.
 * Random sources draw their samples from the data set's stream and a random task from the seed's task
 * stream; real data sets load from `dir`, else `<dataRoot>/<source>`.
 */
import { join } from "node:path";
import type { GridAxisSpec } from "../../contract/program.js";
import * as entries from "../entries/data.js";
import { chebyshev } from "./chebyshev.js";
import { loadCifar10 } from "./cifar.js";
import { defineDataSource, type DataSourceDefinition, type SourceSpec } from "./define.js";
import { gaussianMixture } from "./gaussian-mixture.js";
import { gratings } from "./gratings.js";
import { gridInputs, type GridAxis } from "./grid.js";
import { pointsInputs } from "./inputs.js";
import { loadFashionMnist, loadMnist } from "./mnist.js";

function gridAxis(axis: GridAxisSpec, n: number): GridAxis {
  return { name: axis.name, lo: axis.lo, hi: axis.hi, n, ends: axis.closedHi ? "both" : "left" };
}

/** Loader options of a real image data set's spec. */
function imageOptions(spec: SourceSpec<"mnist" | "fashion_mnist" | "cifar10">, name: string, dataRoot: string) {
  return {
    dir: spec.dir ?? join(dataRoot, spec.source),
    split: spec.split,
    normalize: spec.normalize,
    name,
    ...(spec.limit === null ? {} : { limit: spec.limit }),
  };
}

export const dataSourceDefinitions: readonly DataSourceDefinition[] = [
  defineDataSource(entries.grid, (spec) => gridInputs(spec.axes.map((a) => gridAxis(a, spec.n)))),
  defineDataSource(entries.points, (spec) => pointsInputs(spec.columns)),
  defineDataSource(entries.chebyshev, (spec, ctx) =>
    chebyshev({ name: ctx.name, degree: spec.degree, n: spec.n, ...(spec.axes?.[0] ? { axis: gridAxis(spec.axes[0], spec.n) } : {}) }),
  ),
  defineDataSource(entries.mnist, (spec, ctx) => loadMnist(imageOptions(spec, ctx.name, ctx.dataRoot))),
  defineDataSource(entries.fashionMnist, (spec, ctx) => loadFashionMnist(imageOptions(spec, ctx.name, ctx.dataRoot))),
  defineDataSource(entries.cifar10, (spec, ctx) => loadCifar10(imageOptions(spec, ctx.name, ctx.dataRoot))),
  defineDataSource(entries.gaussianMixture, (spec, ctx) =>
    gaussianMixture({ task: ctx.task(), samples: ctx.samples(spec.split) }, { name: ctx.name, n: spec.n, d: spec.d, classes: spec.classes, separation: spec.separation, std: spec.std }),
  ),
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
