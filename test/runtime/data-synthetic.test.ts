import { describe, expect, it } from "vitest";
import { Rng } from "../../runtime/rng.js";
import { expectRuntimeError } from "./expect-runtime-error.js";
import {
  chebyshev,
  chebyshevT,
  dataRng,
  dataStreams,
  gaussianMixture,
  grid1d,
  grid2d,
  gridValues,
  normalInputs,
  opposingSignals,
  pointsInputs,
  pointwise,
  productOfInputs,
  sumOfSinusoids,
  uniformInputs,
  withTarget,
} from "../../stdlib/data/index.js";

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

function variance(values: ArrayLike<number>): number {
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i]! - m) ** 2;
  return s / (values.length - 1);
}

function column(x: Float32Array, d: number, j: number): Float64Array {
  return Float64Array.from({ length: x.length / d }, (_, i) => x[i * d + j]!);
}

describe("grids", () => {
  it("grid(t in [0, 1), n: 2048) is arange(0, 1, 1/2048): t_i = i/2048, right end excluded", () => {
    const g = grid1d({ name: "t", lo: 0, hi: 1, n: 2048, ends: "left" });
    expect(g.n).toBe(2048);
    expect(g.names).toEqual(["t"]);
    for (let i = 0; i < 2048; i++) expect(g.x[i]).toBe(i / 2048); // dyadic: exact in float32
    expect(g.x[2047]).toBe(1 - 1 / 2048);
  });

  it("inclusive grids are linspace with both ends exact", () => {
    const v = gridValues({ name: "x", lo: -Math.PI, hi: Math.PI, n: 201 });
    expect(v[0]).toBe(-Math.PI);
    expect(v[200]).toBe(Math.PI);
    expect(v[100]).toBeCloseTo(0, 15);
    for (let i = 0; i <= 200; i++) expect(v[i]).toBeCloseTo(-Math.PI + (2 * Math.PI * i) / 200, 14);
  });

  it("right-only and open ends follow (lo, hi] and (lo, hi)", () => {
    expect([...gridValues({ name: "x", lo: 0, hi: 1, n: 4, ends: "right" })]).toEqual([0.25, 0.5, 0.75, 1]);
    expect([...gridValues({ name: "x", lo: 0, hi: 1, n: 3, ends: "none" })]).toEqual([0.25, 0.5, 0.75]);
    expect([...gridValues({ name: "x", lo: 0, hi: 1, n: 4, ends: "left" })]).toEqual([0, 0.25, 0.5, 0.75]);
  });

  it("2-D grids put the first axis slowest (meshgrid indexing='ij')", () => {
    const g = grid2d({ name: "a", lo: 0, hi: 2, n: 3 }, { name: "b", lo: 10, hi: 30, n: 2, ends: "left" });
    expect(g.n).toBe(6);
    expect(g.names).toEqual(["a", "b"]);
    expect([...g.x]).toEqual([0, 10, 0, 20, 1, 10, 1, 20, 2, 10, 2, 20]);
  });

  it("rejects empty or reversed ranges with RUN040", () => {
    expectRuntimeError(() => gridValues({ name: "x", lo: 1, hi: 0, n: 5 }), "RUN040", /lo < hi/);
    expectRuntimeError(() => gridValues({ name: "x", lo: 0, hi: 1, n: 1 }), "RUN040", /n >= 2/);
    expectRuntimeError(() => gridValues({ name: "x", lo: 0, hi: 1, n: 2.5 }), "RUN040", /positive integer/);
  });
});

describe("random inputs", () => {
  it("uniform inputs draw U[lo, hi) point by point from the dataset's data stream", () => {
    const table = uniformInputs(dataRng(7, "train"), { n: 5, lo: [-2, 0], hi: [2, 1] });
    const replay = new Rng(7).fork("data").fork("train");
    const expected: number[] = [];
    for (let i = 0; i < 5; i++) expected.push(Math.fround(replay.uniformIn(-2, 2)), Math.fround(replay.uniformIn(0, 1)));
    expect([...table.x]).toEqual(expected);
    expect(table.names).toEqual(["x1", "x2"]);
  });

  it("is deterministic per seed and dataset name, and differs across them", () => {
    const draw = (seed: number, name: string) => uniformInputs(dataRng(seed, name), { n: 100, lo: 0, hi: 1 }).x;
    expect(draw(3, "train")).toEqual(draw(3, "train"));
    expect(draw(3, "train")).not.toEqual(draw(4, "train"));
    expect(draw(3, "train")).not.toEqual(draw(3, "test"));
  });

  it("uniform samples have the mean and variance of U[lo, hi) (5-sigma tolerances)", () => {
    const n = 20000;
    const x = uniformInputs(dataRng(1, "u"), { n, lo: -2, hi: 2 }).x;
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...x)).toBeLessThanOrEqual(2);
    // Var U[-2,2) = 16/12; sd of the sample mean = sqrt(16/12/n); sd of sample variance ≈ sqrt((μ4 − σ⁴)/n), μ4 = 16/5.
    expect(Math.abs(mean(x))).toBeLessThan(5 * Math.sqrt(16 / 12 / n));
    expect(Math.abs(variance(x) - 16 / 12)).toBeLessThan(5 * Math.sqrt((16 / 5 - (16 / 12) ** 2) / n));
  });

  it("normal samples have the requested mean and std per dimension", () => {
    const n = 20000;
    const t = normalInputs(dataRng(2, "g"), { n, mean: [1, -3], std: [0.5, 2] });
    const c0 = column(t.x, 2, 0);
    const c1 = column(t.x, 2, 1);
    expect(Math.abs(mean(c0) - 1)).toBeLessThan((5 * 0.5) / Math.sqrt(n));
    expect(Math.abs(mean(c1) + 3)).toBeLessThan((5 * 2) / Math.sqrt(n));
    // sd of the sample variance of a normal = σ²·sqrt(2/(n−1)).
    expect(Math.abs(variance(c0) - 0.25)).toBeLessThan(5 * 0.25 * Math.sqrt(2 / n));
    expect(Math.abs(variance(c1) - 4)).toBeLessThan(5 * 4 * Math.sqrt(2 / n));
  });

  it("explicit points keep their values column by column", () => {
    const t = pointsInputs({ x: [-1, -1 / 3, 1 / 3, 1] });
    expect([...t.x]).toEqual([-1, -1 / 3, 1 / 3, 1].map(Math.fround));
    const two = pointsInputs({ a: [1, 2], b: [3, 4] });
    expect([...two.x]).toEqual([1, 3, 2, 4]);
    expectRuntimeError(() => pointsInputs({ a: [1, 2], b: [3] }), "RUN040", /differ in length/);
  });
});

describe("targets", () => {
  it("a pointwise target is evaluated at the stored float32 inputs, in float64", () => {
    const inputs = pointsInputs({ x: [-1, -1 / 3, 1 / 3, 1] });
    const relu = (v: number) => Math.max(v, 0);
    const data = withTarget("train", inputs, pointwise((x) => 0.2 * relu(x - 1 / 3) + 0.2 * relu(-x - 1 / 3)));
    const xs = [-1, -1 / 3, 1 / 3, 1].map(Math.fround);
    const expected = xs.map((x) => Math.fround(0.2 * relu(x - 1 / 3) + 0.2 * relu(-x - 1 / 3)));
    expect([...data.y]).toEqual(expected);
    expect(data.y[0]).toBeCloseTo(0.2 * (2 / 3), 6);
    expect(data.yDim).toBe(1);
    expect(data.xShape).toEqual([1]);
    expect(data.inputNames).toEqual(["x"]);
  });

  it("a column target with several outputs fills rows of yDim values", () => {
    const inputs = pointsInputs({ a: [1, 2, 3], b: [10, 20, 30] });
    const data = withTarget("t", inputs, (cols) => [cols[0]!.map((a, i) => a + cols[1]![i]!), cols[1]!.map((b) => -b)]);
    expect(data.yDim).toBe(2);
    expect([...data.y]).toEqual([11, -10, 22, -20, 33, -30]);
  });

  it("a non-finite target or a wrong length is RUN040 naming the point", () => {
    const inputs = pointsInputs({ x: [1, 0, -1] });
    expectRuntimeError(() => withTarget("train", inputs, pointwise((x) => Math.log(x))), "RUN040", /train is -Infinity at x = 0/);
    expectRuntimeError(() => withTarget("train", inputs, () => new Float64Array(2)), "RUN040", /2 values for 3 points/);
  });
});

describe("sum of sinusoids", () => {
  const frequencies = Array.from({ length: 14 }, (_, k) => 5 * (k + 1)); // 5, 10, …, 70
  const N = 2048;
  const data = sumOfSinusoids(dataRng(0, "train"), {
    name: "train",
    axis: { name: "t", lo: 0, hi: 1, n: N, ends: "left" },
    frequencies,
  });

  it("draws one phase per frequency from the stream's `phases` fork", () => {
    const replay = dataRng(0, "train").fork("phases");
    expect([...data.phases]).toEqual(frequencies.map(() => replay.uniform()));
    expect(data.y[0]).toBeCloseTo(Math.fround(data.phases.reduce((s, p) => s + Math.sin(2 * Math.PI * p), 0)), 5);
  });

  it("has DFT coefficient (N/2i)·e^{2πiφ_k} at each frequency and ~0 elsewhere", () => {
    const dft = (bin: number) => {
      let re = 0;
      let im = 0;
      for (let n = 0; n < N; n++) {
        re += data.y[n]! * Math.cos((2 * Math.PI * bin * n) / N);
        im -= data.y[n]! * Math.sin((2 * Math.PI * bin * n) / N);
      }
      return { re, im };
    };
    frequencies.forEach((f, k) => {
      const { re, im } = dft(f);
      // (N/2i)·e^{iθ} = (N/2)·(sin θ − i cos θ), θ = 2πφ_k
      const theta = 2 * Math.PI * data.phases[k]!;
      expect(re).toBeCloseTo((N / 2) * Math.sin(theta), 2);
      expect(im).toBeCloseTo((-N / 2) * Math.cos(theta), 2);
    });
    for (const bin of [0, 1, 4, 6, 33, 71, 200]) {
      const { re, im } = dft(bin);
      expect(Math.hypot(re, im)).toBeLessThan(1e-2);
    }
  });

  it("differs between seeds only through the phases", () => {
    const other = sumOfSinusoids(dataRng(1, "train"), { name: "train", axis: { name: "t", lo: 0, hi: 1, n: 16, ends: "left" }, frequencies });
    expect(other.phases).not.toEqual(data.phases);
    expect([...other.x]).toEqual(Array.from({ length: 16 }, (_, i) => i / 16));
  });
});

describe("Chebyshev polynomials", () => {
  it("match cos(k·arccos x) on [−1, 1] and cosh(k·arccosh x) outside", () => {
    for (let k = 0; k <= 12; k++) {
      for (let x = -1; x <= 1; x += 0.05) expect(chebyshevT(k, x)).toBeCloseTo(Math.cos(k * Math.acos(x)), 12);
      expect(chebyshevT(k, 1.5)).toBeCloseTo(Math.cosh(k * Math.acosh(1.5)), 8);
    }
  });

  it("T_8 is 128x⁸ − 256x⁶ + 160x⁴ − 32x² + 1 on 40 evenly spaced points of [−1, 1]", () => {
    const data = chebyshev({ name: "train", degree: 8, n: 40 });
    expect(data.n).toBe(40);
    expect(data.x[0]).toBe(-1);
    expect(data.x[39]).toBe(1);
    for (let i = 0; i < 40; i++) {
      const x = data.x[i]!;
      expect(x).toBe(Math.fround(-1 + (2 * i) / 39));
      const closed = 128 * x ** 8 - 256 * x ** 6 + 160 * x ** 4 - 32 * x ** 2 + 1;
      expect(data.y[i]).toBeCloseTo(closed, 6);
    }
    expect(data.y[0]).toBe(1);
    expect(data.y[39]).toBe(1);
  });
});

describe("products of inputs", () => {
  it("y = x1·x2·x3 at every point, inputs U[−2, 2), and Var y = (4/3)³", () => {
    const n = 20000;
    const data = productOfInputs(dataRng(5, "train"), { name: "train", d: 3, n });
    expect(data.inputNames).toEqual(["x1", "x2", "x3"]);
    expect(data.xShape).toEqual([3]);
    for (let i = 0; i < 50; i++) {
      expect(data.y[i]).toBe(Math.fround(data.x[3 * i]! * data.x[3 * i + 1]! * data.x[3 * i + 2]!));
    }
    // E y = 0, E y² = Π E x_j² = (4/3)³, E y⁴ = (16/5)³.
    const m2 = (4 / 3) ** 3;
    const m4 = (16 / 5) ** 3;
    expect(Math.abs(mean(data.y))).toBeLessThan(5 * Math.sqrt(m2 / n));
    const secondMoment = mean(data.y.map((v) => v * v));
    expect(Math.abs(secondMoment - m2)).toBeLessThan(5 * Math.sqrt((m4 - m2 * m2) / n));
  });
});

describe("opposing signals (Rosenfeld & Risteski §3.3)", () => {
  const options = { name: "train", n: 1000, d1: 8, d2: 16, p: 0.05, alpha: 2, beta: [1, -1, 0.5, 0, 2, 0, 0, -0.5] };
  const data = opposingSignals(dataRng(11, "train"), options);
  const a = Math.sqrt(2 / (0.05 * 16));

  it("has exactly p·n outliers whose x_o is ±a·1 with a² = α/(p·d2); all other x_o are 0", () => {
    expect(data.a).toBeCloseTo(a, 14);
    expect(data.outliers.length).toBe(50);
    const isOutlier = new Set(data.outliers);
    for (let i = 0; i < data.n; i++) {
      const xo = data.x.subarray(i * 24 + 8, (i + 1) * 24);
      if (isOutlier.has(i)) {
        const sign = data.outlierSigns[data.outliers.indexOf(i)]!;
        for (const v of xo) expect(v).toBe(Math.fround(sign * a));
      } else {
        for (const v of xo) expect(v).toBe(0);
      }
    }
    // E‖x_o‖² = p·d2·a² = α exactly when p·n points are outliers.
    let sq = 0;
    for (let i = 0; i < data.n; i++) for (let j = 8; j < 24; j++) sq += data.x[i * 24 + j]! ** 2;
    expect(sq / data.n).toBeCloseTo(2, 5);
  });

  it("y = βᵀx + (1/√d2)·1ᵀ|x_o| at every point", () => {
    for (let i = 0; i < data.n; i++) {
      let expected = 0;
      for (let j = 0; j < 8; j++) expected += options.beta[j]! * data.x[i * 24 + j]!;
      let absSum = 0;
      for (let j = 8; j < 24; j++) absSum += Math.abs(data.x[i * 24 + j]!);
      expected += absSum / 4;
      expect(data.y[i]).toBeCloseTo(expected, 5);
    }
  });

  it("draws x ~ N(0, I) and signs uniform on {−1, +1}", () => {
    const xs: number[] = [];
    for (let i = 0; i < data.n; i++) for (let j = 0; j < 8; j++) xs.push(data.x[i * 24 + j]!);
    expect(Math.abs(mean(xs))).toBeLessThan(5 / Math.sqrt(xs.length));
    expect(Math.abs(variance(xs) - 1)).toBeLessThan(5 * Math.sqrt(2 / xs.length));
    const many = opposingSignals(dataRng(12, "train"), { ...options, n: 20000, p: 0.5 });
    const plus = many.outlierSigns.filter((s) => s === 1).length;
    expect(Math.abs(plus / 10000 - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / 10000));
    expect([...many.outlierSigns].every((s) => s === 1 || s === -1)).toBe(true);
  });

  it("a scalar β is the norm along 1/√d1, and the draw is deterministic per seed", () => {
    const s = opposingSignals(dataRng(11, "train"), { ...options, beta: 3 });
    expect(Math.hypot(...s.beta)).toBeCloseTo(3, 12);
    expect(s.beta[0]).toBeCloseTo(3 / Math.sqrt(8), 14);
    expect(s.x).toEqual(data.x);
    expect(s.outliers).toEqual(data.outliers);
    expectRuntimeError(() => opposingSignals(dataRng(1, "t"), { ...options, p: 0 }), "RUN040", /0 < p <= 1/);
    expectRuntimeError(() => opposingSignals(dataRng(1, "t"), { ...options, beta: [1, 2] }), "RUN040", /d1 = 8/);
  });
});

describe("class-structured Gaussian mixtures", () => {
  it("balanced classes, one-hot targets, class means and within-class spread as specified", () => {
    const n = 10003;
    const d = 4;
    const data = gaussianMixture(dataStreams(4, "gaussian_mixture", "train"), { name: "train", n, d, classes: 10, separation: 3, std: 0.5 });
    const counts = new Array(10).fill(0);
    data.labels.forEach((c) => counts[c]++);
    expect(counts).toEqual([1001, 1001, 1001, 1000, 1000, 1000, 1000, 1000, 1000, 1000]);
    let wrongTargets = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 10; c++) if (data.y[i * 10 + c] !== (c === data.labels[i] ? 1 : 0)) wrongTargets++;
    }
    expect(wrongTargets).toBe(0);
    let pooled = 0;
    for (let c = 0; c < 10; c++) {
      for (let j = 0; j < d; j++) {
        const values: number[] = [];
        for (let i = 0; i < n; i++) if (data.labels[i] === c) values.push(data.x[i * d + j]!);
        // the sample mean's sd is std/√n_c
        expect(Math.abs(mean(values) - data.means[c * d + j]!)).toBeLessThan((5 * 0.5) / Math.sqrt(values.length));
        pooled += variance(values);
      }
    }
    expect(Math.abs(pooled / 40 - 0.25)).toBeLessThan(5 * 0.25 * Math.sqrt(2 / n));
  });

  it("means have E‖μ_c‖² = separation² (average over many classes, 5-sigma)", () => {
    const d = 50;
    const classes = 400;
    const data = gaussianMixture(dataStreams(9, "gaussian_mixture", "m"), { name: "m", n: classes, d, classes, separation: 2, std: 1 });
    let total = 0;
    for (let c = 0; c < classes; c++) for (let j = 0; j < d; j++) total += data.means[c * d + j]! ** 2;
    // ‖μ‖²/sep² ~ χ²_d/d: variance 2/d per class.
    expect(Math.abs(total / classes / 4 - 1)).toBeLessThan(5 * Math.sqrt(2 / d / classes));
  });

  it("numeric targets when oneHot is false; deterministic per seed", () => {
    const opts = { name: "t", n: 30, d: 2, classes: 3, separation: 1, std: 1, oneHot: false };
    const a = gaussianMixture(dataStreams(1, "gaussian_mixture", "t"), opts);
    const b = gaussianMixture(dataStreams(1, "gaussian_mixture", "t"), opts);
    expect(a.yDim).toBe(1);
    expect([...a.y]).toEqual([...a.labels]);
    expect(a.x).toEqual(b.x);
    expect(a.labels).toEqual(b.labels);
  });
});
