/**
 * An image as a coordinate-regression dataset (spectral-bias notes: pixels → (x, y) inputs, RGB or gray
 * targets). Point order is row-major from the top-left pixel; input x follows the column, y the row
 * (y grows downward, as in the image). With the default range [0, 1] and both ends included,
 * x = linspace(0, 1, width), y = linspace(0, 1, height), as in the authors' code.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { readDataFile } from "./files.js";
import { gridValues, type GridEnds } from "./grid.js";
import { decodePng } from "./png.js";
import { existsSync, statSync } from "node:fs";
import { DyncRuntimeError } from "../../runtime/errors.js";

export interface ImageOptions {
  /** Path of a PNG file. */
  file: string;
  name?: string;
  /** Coordinate range of both axes; default [0, 1]. */
  range?: readonly [number, number];
  /** Which ends of the range the pixel coordinates reach; default both. */
  ends?: GridEnds;
  /** `rgb` (yDim 3, default) or `gray` (yDim 1, ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B). */
  channels?: "rgb" | "gray";
  /** Targets in [0, 1] (`unit`, default) or [−1, 1] (`symmetric`). */
  targetRange?: "unit" | "symmetric";
}

export interface ImageDataset extends Dataset {
  readonly width: number;
  readonly height: number;
}

/** Load a PNG as n = width·height points (x, y) with colour targets. */
export function loadImage(options: ImageOptions): ImageDataset {
  if (!existsSync(options.file) || !statSync(options.file).isFile()) {
    throw new DyncRuntimeError("RUN010", `image file ${options.file} does not exist; expected a PNG file`);
  }
  const image = decodePng(readDataFile(options.file), options.file);
  const [lo, hi] = options.range ?? [0, 1];
  const ends = options.ends ?? "both";
  const xs = gridValues({ name: "x", lo, hi, n: image.width, ends });
  const ys = gridValues({ name: "y", lo, hi, n: image.height, ends });
  const n = image.width * image.height;
  const x = new Float32Array(2 * n);
  for (let r = 0; r < image.height; r++) {
    for (let c = 0; c < image.width; c++) {
      x[2 * (r * image.width + c)] = xs[c]!;
      x[2 * (r * image.width + c) + 1] = ys[r]!;
    }
  }
  const gray = options.channels === "gray";
  const yDim = gray ? 1 : 3;
  const [scale, offset] = options.targetRange === "symmetric" ? [2, -1] : [1, 0];
  const y = new Float32Array(n * yDim);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [image.rgb[3 * i]!, image.rgb[3 * i + 1]!, image.rgb[3 * i + 2]!];
    if (gray) y[i] = scale * (0.299 * r + 0.587 * g + 0.114 * b) + offset;
    else [y[3 * i], y[3 * i + 1], y[3 * i + 2]] = [scale * r + offset, scale * g + offset, scale * b + offset];
  }
  const name = options.name ?? "image";
  return { name, n, xShape: [2], x, yDim, y, inputNames: ["x", "y"], width: image.width, height: image.height };
}
