/**
 * Oriented gratings: a small synthetic image-classification set for convolutional networks that needs no
 * files (CI runs CNN examples on it; CIFAR-10 and MNIST are never downloaded). Class c of C is the
 * orientation θ_c = π·c/C. An image is size × size pixels with `channels` identical channels:
 *
 *   g(i, j) = cos(2π·cycles·(u_j·cos θ_c + v_i·sin θ_c) + φ),
 *   pixel(i, j) = (1 + g)/2 + noise·ε   (`unit`, the default, like the image loaders' [0, 1] pixels)
 *   pixel(i, j) = g + noise·ε           (`symmetric`),
 *
 * with pixel centres u_j = (j + ½)/size − ½ (column) and v_i = (i + ½)/size − ½ (row), a phase
 * φ ~ U[0, 2π·phase_spread) per image (spread 1: any phase, the default) and ε ~ N(0, 1) per value. Telling classes apart needs oriented filters, not
 * brightness, which is what convolution kernels learn. Which scaling matters for condensation: with
 * a phase spread of 1 every class has the same mean image (0 for `symmetric`, ½ for `unit` pixels), so the
 * first-order gradient of a small-initialised CNN (residuals × class-mean patches) is ~0; with a smaller
 * spread the class means differ, as in photographs, and the kernels condense (docs/experiments/condensation.md). Labels are balanced (sizes differ by at most one)
 * and shuffled. Randomness: labels from fork `labels`, phases from fork `phases`, noise from fork `noise`.
 */
import type { Dataset } from "../../runtime/dataset.js";
import { fdlibmCos, fdlibmSin } from "../../numerics/fdlibm.js";
import type { Rng } from "../../runtime/rng.js";
import { classTargets } from "./classes.js";
import { checkCount, invalid } from "./inputs.js";

export interface GratingsOptions {
  name: string;
  n: number;
  /** Image height and width in pixels. */
  size: number;
  channels: number;
  /** Number of orientations (classes). */
  classes: number;
  /** Periods of the grating across the image. */
  cycles: number;
  /** Standard deviation of the additive pixel noise. */
  noise: number;
  /** `unit`: (1 + g)/2, in [0, 1] before noise (default); `symmetric`: g, in [−1, 1]. */
  normalize?: "unit" | "symmetric";
  /** Phases are drawn from [0, 2π·phaseSpread); default 1. */
  phaseSpread?: number;
}

export interface GratingsDataset extends Dataset {
  readonly labels: Int32Array;
  readonly numClasses: number;
  /** The phase φ of every image. */
  readonly phases: Float64Array;
}

/** The noise-free value of pixel (row i, column j) of a grating at orientation θ and phase φ (float64). */
export function gratingPixel(i: number, j: number, size: number, cycles: number, theta: number, phase: number): number {
  const u = (j + 0.5) / size - 0.5;
  const v = (i + 0.5) / size - 0.5;
  return fdlibmCos(2 * Math.PI * cycles * (u * fdlibmCos(theta) + v * fdlibmSin(theta)) + phase);
}

/** The orientation of class c of C: θ = π·c/C. */
export function gratingAngle(c: number, classes: number): number {
  return (Math.PI * c) / classes;
}

/** Draw n grating images (HWC, `[size, size, channels]`) with one-hot orientation labels from `rng`. */
export function gratings(rng: Rng, options: GratingsOptions): GratingsDataset {
  const n = checkCount(options.n, "n");
  const size = checkCount(options.size, "size");
  const channels = checkCount(options.channels, "channels");
  const classes = checkCount(options.classes, "classes");
  if (!(Number.isFinite(options.cycles) && options.cycles > 0 && options.noise >= 0 && Number.isFinite(options.noise))) {
    invalid(`gratings need cycles > 0 and noise >= 0, got ${options.cycles} and ${options.noise}`);
  }
  const labels = balancedLabels(rng.fork("labels"), n, classes);
  const phaseRng = rng.fork("phases");
  const spread = options.phaseSpread ?? 1;
  if (!(spread >= 0 && spread <= 1)) invalid(`gratings phase_spread must lie in [0, 1], got ${spread}`);
  const phases = new Float64Array(n);
  phaseRng.uniforms(phases, 0, n, 0, 2 * Math.PI * spread); // = uniformIn(0, 2π·spread) per image
  const noise = rng.fork("noise");
  const unit = (options.normalize ?? "unit") === "unit";
  if (!unit && options.normalize !== "symmetric") invalid(`gratings normalize must be unit or symmetric, got ${JSON.stringify(options.normalize)}`);
  const perImage = size * size * channels;
  const x = new Float32Array(n * perImage);
  // gratingPixel's arithmetic with its per-image and per-row parts hoisted (the same floats, ~3× fewer cosines:
  // case (g)'s benchmark draws 512 images inside its timed loop)
  const frequency = 2 * Math.PI * options.cycles;
  const centre = Float64Array.from({ length: size }, (_, k) => (k + 0.5) / size - 0.5);
  const z = new Float64Array(perImage); // one image's noise draws, in pixel-then-channel order, drawn in bulk
  for (let s = 0; s < n; s++) {
    noise.normals(z);
    const theta = gratingAngle(labels[s]!, classes);
    // fdlibm's cos and sin, not Math's: a seed gives the same images on every Node version (numerics/fdlibm.ts)
    const [cos, sin, phase] = [fdlibmCos(theta), fdlibmSin(theta), phases[s]!];
    for (let i = 0; i < size; i++) {
      const rowPart = centre[i]! * sin;
      for (let j = 0; j < size; j++) {
        const g = fdlibmCos(frequency * (centre[j]! * cos + rowPart) + phase);
        const clean = unit ? (1 + g) / 2 : g;
        for (let c = 0; c < channels; c++) x[s * perImage + (i * size + j) * channels + c] = clean + options.noise * z[(i * size + j) * channels + c]!;
      }
    }
  }
  const { y, yDim } = classTargets(labels, classes, true);
  return { name: options.name, n, xShape: [size, size, channels], x, yDim, y, labels, numClasses: classes, phases };
}

/** Labels 0..C−1 with class c appearing ⌊n/C⌋ or ⌊n/C⌋+1 times, in a random order (as the Gaussian mixture's). */
function balancedLabels(rng: Rng, n: number, classes: number): Int32Array {
  const order = rng.permutation(n);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) labels[order[k]!] = k % classes;
  return labels;
}
