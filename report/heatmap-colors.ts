/**
 * Colour scales of heatmaps. Signed data (or a given range around 0) get a diverging scale centred at 0:
 * ColorBrewer RdBu, reversed so that negative is blue and positive red, one of ColorBrewer's schemes marked
 * colour-blind safe. Everything else gets viridis (perceptually uniform, colour-blind safe), optionally on
 * a log scale. The same interpolators colour the SVG rectangles (through Vega) and the raster pixels (here),
 * so a rasterised heatmap matches its legend.
 */
import { vegaLibraries } from "./vega.js";
import { DyncRuntimeError } from "../runtime/errors.js";

export interface HeatColorScale {
  readonly kind: "diverging" | "sequential";
  readonly log: boolean;
  /** [low, high] of the colour domain; values outside are clamped. */
  readonly domain: readonly [number, number];
  /** The Vega-Lite `scale` of the colour encoding (for rectangles and the legend). */
  readonly vegaLite: Record<string, unknown>;
  /** Position of a value on the colour ramp, 0..1 (NaN for NaN, and for values ≤ 0 on a log scale). */
  position(value: number): number;
  /** RGB bytes of a value; null where `position` is NaN (drawn transparent). */
  rgb(value: number): [number, number, number] | null;
}

const DIVERGING = "redblue";
const LUT_SIZE = 4096;
const SEQUENTIAL = "viridis";

/** The colour scale for `values`: `range` fixes the domain (e.g. [−1, 1] for cosines); `log` needs positive values. */
export function heatColorScale(values: Float64Array, options: { range: readonly [number, number] | null; log: boolean }): HeatColorScale {
  const extent = finiteExtent(values, options.log);
  const [lo, hi] = options.range ?? extent;
  if (!(hi > lo)) {
    // A constant matrix still needs a domain of positive width; centre it on the value.
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.5;
    return makeScale(lo - pad, hi + pad, options.log, lo - pad < 0 && hi + pad > 0 && !options.log);
  }
  if (options.log && lo <= 0) throw new DyncRuntimeError("RUN040", `a log colour scale needs a positive range, got [${lo}, ${hi}]`);
  // A log scale from the data spans whole decades, so the legend reads 0.0001 … 1, not 0.000227347.
  if (options.log && options.range === null) return makeScale(10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi)), true, false);
  const signed = !options.log && lo < 0 && hi > 0;
  if (signed && options.range === null) {
    // Data on both sides of 0: a symmetric domain keeps 0 at the neutral middle colour.
    const a = Math.max(-lo, hi);
    return makeScale(-a, a, false, true);
  }
  return makeScale(lo, hi, options.log, signed);
}

function makeScale(lo: number, hi: number, log: boolean, diverging: boolean): HeatColorScale {
  const interpolate = vegaLibraries().vega.scheme(diverging ? DIVERGING : SEQUENTIAL) as (t: number) => string;
  const position = (v: number): number => {
    if (Number.isNaN(v) || (log && v <= 0)) return NaN;
    let t: number;
    if (diverging) t = v < 0 ? 0.5 * (v - lo) / (0 - lo) : 0.5 + (0.5 * v) / hi;
    else if (log) t = (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
    else t = (v - lo) / (hi - lo);
    return Math.min(1, Math.max(0, t));
  };
  // The diverging ramp is read from its blue end: RdBu runs red → blue, so position t takes colour 1 − t.
  // A lookup table of LUT_SIZE + 1 colours (t rounded to 1/4096, well under one 8-bit colour level)
  // keeps a 512 × 512 raster from parsing a CSS colour string per pixel.
  const lut = new Uint8Array((LUT_SIZE + 1) * 3);
  for (let k = 0; k <= LUT_SIZE; k++) lut.set(parseRgb(interpolate(diverging ? 1 - k / LUT_SIZE : k / LUT_SIZE)), k * 3);
  const vegaLite: Record<string, unknown> = diverging
    ? { type: "linear", domain: [lo, hi], domainMid: 0, scheme: DIVERGING, reverse: true, clamp: true }
    : { type: log ? "log" : "linear", domain: [lo, hi], scheme: SEQUENTIAL, clamp: true, ...(log ? {} : { zero: false, nice: false }) };
  return {
    kind: diverging ? "diverging" : "sequential",
    log,
    domain: [lo, hi],
    vegaLite,
    position,
    rgb: (v) => {
      const t = position(v);
      if (Number.isNaN(t)) return null;
      const k = Math.round(t * LUT_SIZE) * 3;
      return [lut[k]!, lut[k + 1]!, lut[k + 2]!];
    },
  };
}

/** Smallest and largest finite value (positive only on a log scale); [0, 1] when there is none. */
function finiteExtent(values: Float64Array, log: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? (log ? [0.1, 1] : [0, 1]) : [lo, hi];
}

/** `rgb(12, 34, 56)` or `#0c2238` → bytes. */
export function parseRgb(css: string): [number, number, number] {
  const m = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (h) return [parseInt(h[1]!, 16), parseInt(h[2]!, 16), parseInt(h[3]!, 16)];
  throw new DyncRuntimeError("RUN090", `unexpected colour ${css}`);
}
