/**
 * An image as a coordinate-regression dataset (spectral-bias notes: pixels → (x, y) inputs, RGB or gray
 * targets). Point order is row-major from the top-left pixel (file order). Input x follows the column,
 * left to right; input y follows the row from the bottom up, so that `plot image` (y up) draws the
 * picture upright. With the default `[0, 1]` and both ends included, x = linspace(0, 1, width) and
 * y = linspace(0, 1, height) as in the authors' code; `[0, 1)` gives x = column/width. (The authors' y
 * grows downwards: the same coordinates, the target mirrored top to bottom.)
 *
 * `size` shrinks the image first with a box filter: each new pixel is the area-weighted mean of the old
 * pixels it covers (stored values, no gamma decoding; the same as PIL's BOX filter), so a 512×512 photo at
 * 128×128 averages 4×4 blocks. Enlarging is refused: it would invent detail.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { readDataFile } from "./files.js";
import { gridValues, type GridEnds } from "./grid.js";
import { invalid } from "./inputs.js";
import { decodePng } from "./png.js";
import { existsSync, statSync } from "node:fs";
import { DyncRuntimeError } from "../../runtime/errors.js";

/** One coordinate axis of an image: its input name and range; the pixel count comes from the image. */
export interface ImageAxis {
  readonly name: string;
  readonly lo: number;
  readonly hi: number;
  /** Which ends of `[lo, hi]` the pixel coordinates reach; default both. */
  readonly ends?: GridEnds;
}

export interface ImageOptions {
  /** Path of a PNG file. */
  file: string;
  name?: string;
  /** The column axis and the row axis; default `x in [0, 1]`, `y in [0, 1]`. */
  axes?: readonly [ImageAxis, ImageAxis];
  /** Shrink to this many pixels across and down first (box filter); default the file's size. */
  size?: { readonly width: number; readonly height: number };
  /** `rgb` (yDim 3, default) or `gray` (yDim 1, ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B). */
  channels?: "rgb" | "gray";
  /** Targets in [0, 1] (`unit`, default) or [−1, 1] (`symmetric`). */
  targetRange?: "unit" | "symmetric";
}

export interface ImageDataset extends Dataset {
  readonly width: number;
  readonly height: number;
}

export const DEFAULT_IMAGE_AXES: readonly [ImageAxis, ImageAxis] = [
  { name: "x", lo: 0, hi: 1, ends: "both" },
  { name: "y", lo: 0, hi: 1, ends: "both" },
];

/** A decoded image: width·height·3 RGB values in [0, 1], row-major from the top-left pixel. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
}

/** Load a PNG as n = width·height points (x, y) with colour targets. */
export function loadImage(options: ImageOptions): ImageDataset {
  if (!existsSync(options.file) || !statSync(options.file).isFile()) {
    throw new DyncRuntimeError("RUN010", `image file ${options.file} does not exist; expected a PNG file`);
  }
  const decoded = decodePng(readDataFile(options.file), options.file);
  const image = options.size ? boxResize(decoded, options.size.width, options.size.height, options.file) : decoded;
  const [across, down] = options.axes ?? DEFAULT_IMAGE_AXES;
  const xs = gridValues({ ...across, n: image.width });
  const ys = gridValues({ ...down, n: image.height });
  const n = image.width * image.height;
  const x = new Float32Array(2 * n);
  for (let r = 0; r < image.height; r++) {
    for (let c = 0; c < image.width; c++) {
      x[2 * (r * image.width + c)] = xs[c]!;
      x[2 * (r * image.width + c) + 1] = ys[image.height - 1 - r]!; // the top row has the largest y
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
  return { name, n, xShape: [2], x, yDim, y, inputNames: [across.name, down.name], width: image.width, height: image.height };
}

/**
 * Shrink `image` to width × height with a box filter: new pixel (r, c) is the mean of the old image over
 * the rectangle [c·W/width, (c+1)·W/width) × [r·H/height, (r+1)·H/height), each old pixel weighted by the
 * area it shares with it. Separable: rows first, then columns; float64 sums.
 */
export function boxResize(image: RgbImage, width: number, height: number, what = "image"): RgbImage {
  if (width === image.width && height === image.height) return image;
  if (width > image.width || height > image.height) {
    invalid(`${what} is ${image.width}×${image.height} pixels; size ${width}×${height} would enlarge it (a box filter only shrinks)`);
  }
  const across = boxWeights(image.width, width);
  const down = boxWeights(image.height, height);
  const rows = new Float64Array(image.height * width * 3);
  for (let r = 0; r < image.height; r++) {
    for (let c = 0; c < width; c++) {
      for (const [k, w] of across[c]!) {
        for (let ch = 0; ch < 3; ch++) rows[3 * (r * width + c) + ch]! += w * image.rgb[3 * (r * image.width + k) + ch]!;
      }
    }
  }
  const rgb = new Float32Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      for (let ch = 0; ch < 3; ch++) {
        let sum = 0;
        for (const [k, w] of down[r]!) sum += w * rows[3 * (k * width + c) + ch]!;
        rgb[3 * (r * width + c) + ch] = sum;
      }
    }
  }
  return { width, height, rgb };
}

/** For each of `to` new pixels along an axis of `from` old ones: the old pixels it covers and their weights (summing to 1). */
function boxWeights(from: number, to: number): [number, number][][] {
  const span = from / to;
  return Array.from({ length: to }, (_, j) => {
    const lo = j * span;
    const hi = (j + 1) * span;
    const out: [number, number][] = [];
    for (let k = Math.floor(lo); k < Math.min(from, Math.ceil(hi)); k++) {
      const overlap = Math.min(hi, k + 1) - Math.max(lo, k);
      if (overlap > 1e-12) out.push([k, overlap / span]);
    }
    return out;
  });
}
