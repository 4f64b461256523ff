/** The DFT, spectral peaks and the frequency-error probe against closed-form spectra. */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ensureGradients } from "../../runtime/backend.js";
import { amplitudeSpectrum, dftAt, spectralAxis, spectralPeaks } from "../../stdlib/condensation/spectrum.js";
import { measureProbe, RunProbeEnv, type SeedIndexed } from "../../stdlib/probes/index.js";
import { firstPrincipalDirection } from "../../numerics/eigen.js";
import { fdlibmCos } from "../../numerics/fdlibm.js";
import { orientationAngle } from "../../stdlib/condensation/features.js";
import type { Dataset } from "../../runtime/dataset.js";
import { mlp } from "../../runtime/nn/index.js";
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
  it("follows listed `frequencies` (sorted) instead of peaks, and refuses one where the target has no component", () => {
    const data = line("grid", grid, target);
    const zero = twoLayer([1], [0], [0], 0);
    const value = measureProbe("frequency_error", { model: { ref: "net" }, data: { ref: "grid" }, frequencies: [12, 5] }, context(1), envFor(zero, [data])) as SeedIndexed;
    expect([...value.fields["freq"]![0]!]).toEqual([5, 12]);
    value.fields["error"]![0]!.forEach((e) => expect(e).toBeCloseTo(1, 6));
    // a constant target has no component at k = 3 (its coefficient is rounding, ~1e-17)
    const flat = line("flat", grid, () => 1);
    expect(() => measureProbe("frequency_error", { model: { ref: "net" }, data: { ref: "flat" }, frequencies: [3] }, context(1), envFor(zero, [flat]))).toThrow(/no component at frequency 3/);
    zero.dispose();
  });

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

/**
 * The projection method on a small case, against a float64 reference computed another way: the first
 * principal direction of 2-D inputs in closed form (the angle ½·atan2(2Sxy, Sxx − Syy)), the spectrum of
 * each target column by complex rotation (e^(−iθ) advanced by multiplying, not cos/sin per term), peaks by
 * brute force, and the network's outputs (read through its forward pass) transformed the same way.
 */
describe("frequency_error on many inputs and target columns (projection method)", () => {
  const n = 48;
  const angle = 0.6;
  // positions along (cos 0.6, sin 0.6), uneven, plus a small orthogonal offset; 3 target columns
  const ts = Array.from({ length: n }, (_, j) => -1 + (2 * j) / n + 0.01 * Math.sin(7 * j));
  const xs = ts.flatMap((t, j) => {
    const off = 0.05 * Math.cos(3 * j);
    return [t * Math.cos(angle) - off * Math.sin(angle), t * Math.sin(angle) + off * Math.cos(angle)];
  });
  const ys = ts.flatMap((t) => [Math.sin(Math.PI * t), 0.5 * Math.cos(3 * Math.PI * t), t > 0.2 ? 1 : 0]);
  const data: Dataset = { name: "plane", n, xShape: [2], x: Float32Array.from(xs), yDim: 3, y: Float32Array.from(ys) };

  function closedFormDirection(): [number, number] {
    const x = Array.from({ length: n }, (_, j) => Math.fround(xs[2 * j]!));
    const y = Array.from({ length: n }, (_, j) => Math.fround(xs[2 * j + 1]!));
    const mx = x.reduce((a, b) => a + b) / n;
    const my = y.reduce((a, b) => a + b) / n;
    let sxx = 0, syy = 0, sxy = 0;
    for (let j = 0; j < n; j++) {
      sxx += (x[j]! - mx) ** 2;
      syy += (y[j]! - my) ** 2;
      sxy += (x[j]! - mx) * (y[j]! - my);
    }
    const theta = 0.5 * Math.atan2(2 * sxy, sxx - syy);
    return [Math.cos(theta), Math.sin(theta)];
  }

  /** |Ŷ(k)| per column by rotation: z ← z·e^(−iω(t_{j+1} − t_j)) along the sorted positions. */
  function coefficients(t: number[], values: number[][], k: number, period: number): [number, number][] {
    const order = t.map((_, j) => j).sort((a, b) => t[a]! - t[b]!);
    const w = (2 * Math.PI * k) / period;
    return values.map((col) => {
      let [zr, zi] = [1, 0];
      let [re, im] = [0, 0];
      order.forEach((j, i) => {
        if (i > 0) {
          const d = w * (t[j]! - t[order[i - 1]!]!);
          [zr, zi] = [zr * Math.cos(d) + zi * Math.sin(d), zi * Math.cos(d) - zr * Math.sin(d)];
        }
        re += col[j]! * zr;
        im += col[j]! * zi;
      });
      return [re / n, im / n];
    });
  }

  function reference(outputs: number[][], peaks: number): { freq: number[]; error: number[] } {
    const [px, py] = closedFormDirection();
    const t = Array.from({ length: n }, (_, j) => px * Math.fround(xs[2 * j]!) + py * Math.fround(xs[2 * j + 1]!));
    const period = Math.max(...t) - Math.min(...t);
    const targets = [0, 1, 2].map((c) => Array.from({ length: n }, (_, j) => Math.fround(ys[3 * j + c]!)));
    const size = (cs: [number, number][]) => Math.sqrt(cs.reduce((a, [r, i]) => a + r * r + i * i, 0));
    const spectrum = Array.from({ length: n / 2 + 1 }, (_, k) => size(coefficients(t, targets, k, period)));
    const maxima = spectrum.map((v, k) => k).filter((k) => k >= 1 && spectrum[k]! > spectrum[k - 1]! && spectrum[k]! >= (spectrum[k + 1] ?? -Infinity));
    const top = maxima.sort((a, b) => spectrum[b]! - spectrum[a]!).slice(0, peaks).sort((a, b) => a - b);
    const error = top.map((k) => {
      const want = coefficients(t, targets, k, period);
      const got = coefficients(t, outputs, k, period);
      return size(got.map(([r, i], c) => [r - want[c]![0], i - want[c]![1]])) / size(want);
    });
    return { freq: top.map((k) => k / period), error };
  }

  it("first principal direction: the closed-form angle of the 2 × 2 covariance", () => {
    const p = firstPrincipalDirection(Float32Array.from(xs), n, 2);
    const [cx, cy] = closedFormDirection();
    const sign = Math.sign(p[0]! * cx + p[1]! * cy);
    expect(p[0]! * sign).toBeCloseTo(cx, 10);
    expect(p[1]! * sign).toBeCloseTo(cy, 10);
  });

  for (const loss of ["mse", "cross_entropy"] as const) {
    it(`error and frequency at each peak equal the reference (${loss}: ${loss === "mse" ? "the output" : "its softmax"} against the targets)`, () => {
      const net = mlp({ inDim: 2, hidden: [6], outDim: 3, act: "tanh", seeds: [0] });
      const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["plane", [data]]]), loss });
      const value = measureProbe("frequency_error", { model: { ref: "net" }, data: { ref: "plane" }, peaks: 3 }, context(1), env) as SeedIndexed;
      const out = tf.tidy(() => net.forward(tf.tensor(Float32Array.from(xs), [1, n, 2]), { training: false })).dataSync();
      const rows = Array.from({ length: n }, (_, j) => {
        const row = [0, 1, 2].map((c) => out[3 * j + c]!);
        if (loss === "mse") return row;
        const top = Math.max(...row);
        const e = row.map((v) => Math.exp(v - top));
        return e.map((v) => v / e.reduce((a, b) => a + b));
      });
      const ref = reference([0, 1, 2].map((c) => rows.map((r) => r[c]!)), 3);
      expect(ref.freq.length).toBe(3);
      expect([...value.fields["freq"]![0]!].map((f) => +f.toFixed(9))).toEqual(ref.freq.map((f) => +f.toFixed(9)));
      value.fields["error"]![0]!.forEach((e, p) => expect(e).toBeCloseTo(ref.error[p]!, 9));
      net.dispose();
    });
  }

  it("an explicit direction of the wrong length is a named error", () => {
    const net = mlp({ inDim: 2, hidden: [2], outDim: 3, act: "tanh", seeds: [0] });
    const env = new RunProbeEnv({ model: net, modelName: "net", datasets: new Map([["plane", [data]]]), loss: "mse" });
    expect(() => measureProbe("frequency_error", { model: { ref: "net" }, data: { ref: "plane" }, project: [1, 0, 0] }, context(1), env)).toThrow(/3 components but the inputs have 2/);
    net.dispose();
  });
});

describe("engine-independent transforms", () => {
  it("computes the DFT with the fdlibm sin/cos and the portable hypot: closed-form amplitudes with Math's replaced by NaN", () => {
    for (const name of ["sin", "cos", "hypot", "exp", "atan2"] as const) vi.spyOn(Math, name).mockImplementation(() => NaN);
    try {
      const y = grid.map((x) => 1 + 3 * fdlibmCos(2 * Math.PI * 5 * x));
      const spectrum = amplitudeSpectrum(spectralAxis(grid), y);
      expect(spectrum[0]).toBeCloseTo(1, 12);
      expect(spectrum[5]).toBeCloseTo(1.5, 12);
      expect(spectrum[7]).toBeLessThan(1e-12);
      expect(orientationAngle(1, 1)).toBeCloseTo(Math.PI / 4, 15);
      expect(orientationAngle(-1, 0)).toBe(-Math.PI); // atan2 gives π: folded into [−π, π)
    } finally {
      vi.restoreAllMocks();
    }
  });
});
