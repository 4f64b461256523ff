/** The DFT, spectral peaks and the frequency-error probe against closed-form spectra. */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import { amplitudeSpectrum, dftAt, spectralAxis, spectralPeaks } from "../../stdlib/condensation/spectrum.js";
import { measureProbe, type SeedIndexed } from "../../stdlib/probes/index.js";
import { context, envFor, line, twoLayer } from "./helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await ensureGradients();
});

// n samples of [0, 1) (uniform, period L = 1): y = 1 + 3 cos(2π·5x) + sin(2π·12x + 0.7).
const n = 64;
const grid = Array.from({ length: n }, (_, j) => j / n);
const target = (x: number): number => 1 + 3 * Math.cos(2 * Math.PI * 5 * x) + Math.sin(2 * Math.PI * 12 * x + 0.7);

describe("direct DFT", () => {
  it("equals the closed-form spectrum of a sum of cosines on a uniform grid", () => {
    const axis = spectralAxis(grid);
    expect(axis.uniform).toBe(true);
    expect(axis.period).toBeCloseTo(1, 12);
    const spectrum = amplitudeSpectrum(axis, grid.map(target));
    // (1/n)Σ A cos(2πkx + φ) e^(−2πi k' x) = (A/2) e^(iφ) at k' = k
    expect(spectrum[0]).toBeCloseTo(1, 12);
    expect(spectrum[5]).toBeCloseTo(1.5, 12);
    expect(spectrum[12]).toBeCloseTo(0.5, 12);
    const [re, im] = dftAt(axis, grid.map(target), 12);
    expect(Math.atan2(im, re)).toBeCloseTo(0.7 - Math.PI / 2, 10); // sin = cos(· − π/2)
    for (let k = 1; k <= n / 2; k++) if (k !== 5 && k !== 12) expect(spectrum[k]).toBeLessThan(1e-12);
    expect(spectralPeaks(spectrum, 4)).toEqual([5, 12]);
  });

  it("does not depend on the sample order and uses the range as period for non-uniform inputs", () => {
    const shuffled = [...grid].reverse();
    const axis = spectralAxis(shuffled);
    const y = [...axis.order].map((i) => target(shuffled[i]!));
    expect(amplitudeSpectrum(axis, y)[5]).toBeCloseTo(1.5, 12);
    const uneven = [0, 0.1, 0.15, 0.4, 0.5, 0.9, 1];
    const u = spectralAxis(uneven);
    expect(u.uniform).toBe(false);
    expect(u.period).toBe(1);
    // direct sum by hand at k = 1 for y = x
    const [re, im] = dftAt(u, uneven, 1);
    const hand = uneven.reduce((acc, x) => [acc[0]! + x * Math.cos(2 * Math.PI * x), acc[1]! - x * Math.sin(2 * Math.PI * x)], [0, 0]);
    expect(re).toBeCloseTo(hand[0]! / 7, 12);
    expect(im).toBeCloseTo(hand[1]! / 7, 12);
  });

  it("peaks: the largest local maxima, lowest frequency first", () => {
    const s = Float64Array.from([9, 1, 4, 2, 0.5, 3, 0.1, 7, 6]);
    expect(spectralPeaks(s, 2)).toEqual([2, 7]);
    expect(spectralPeaks(s, 10)).toEqual([2, 5, 7]);
  });
});

describe("frequency_error probe", () => {
  it("is 1 at every peak for a zero network and |c − Ŷ|/|Ŷ| for a constant one", () => {
    const data = line("grid", grid, target);
    const zero = twoLayer([1], [0], [0], 0);
    const value = measureProbe("frequency_error", { model: { ref: "net" }, data: { ref: "grid" }, peaks: 4 }, context(1), envFor(zero, [data])) as SeedIndexed;
    expect(value.dim).toBe("frequency");
    expect([...value.fields["freq"]![0]!]).toEqual([5, 12]);
    value.fields["error"]![0]!.forEach((e) => expect(e).toBeCloseTo(1, 6));
    zero.dispose();
  });
});
