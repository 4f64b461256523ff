import { describe, expect, it } from "vitest";
import { incompleteBeta, logGamma, studentTCdf, studentTQuantile } from "../../numerics/student-t.js";
import { max, mean, median, min, nanmax, nanmean, nanmedian, nanmin, prod, quantile, sampleStd, sum } from "../../runtime/analysis/reduce.js";
import { formatDistinct, formatNumber, formatPair } from "../../runtime/analysis/format.js";

describe("reductions against hand computations", () => {
  const xs = [3, 1, 4, 1, 5, 9]; // sorted: 1 1 3 4 5 9

  it("median takes the middle value, or the mean of the two middle values for an even count", () => {
    expect(median(xs)).toBe(3.5); // (3 + 4) / 2
    expect(median([3, 1, 4, 1, 5])).toBe(3);
    expect(median([7])).toBe(7);
  });

  it("mean, min, max, sum", () => {
    expect(mean(xs)).toBeCloseTo(23 / 6, 15);
    expect(min(xs)).toBe(1);
    expect(max(xs)).toBe(9);
    expect(sum(xs)).toBe(23);
  });

  it("prod multiplies (1 for no values); a NaN makes it NaN", () => {
    expect(prod(xs)).toBe(540); // 3·1·4·1·5·9
    expect(prod([])).toBe(1);
    expect(prod([2, Number.NaN])).toBeNaN();
  });

  it("sum is compensated: 1e16 + 1 − 1e16 is 1, not 0", () => {
    expect(1e16 + 1 - 1e16).toBe(0); // what naive summation gives
    expect(sum([1e16, 1, -1e16])).toBe(1);
    expect(sum([1, Infinity])).toBe(Infinity);
  });

  it("std is the sample standard deviation (n − 1)", () => {
    // mean 5; squared deviations 9 1 1 1 0 0 4 16 → 32; 32 / (8 − 1)
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(() => sampleStd([1])).toThrow(/std needs at least 2 values/);
  });

  it("quantile follows numpy's default linear method, worked by hand", () => {
    // numpy: h = (n − 1)·q; a[⌊h⌋] + (h − ⌊h⌋)(a[⌊h⌋+1] − a[⌊h⌋]) on the sorted values.
    // sorted 1 1 3 4 5 9, n = 6: q = 0.3 → h = 1.5 → 1 + 0.5·(3 − 1) = 2
    expect(quantile(xs, 0.3)).toBeCloseTo(2, 15);
    // q = 0.9 → h = 4.5 → 5 + 0.5·(9 − 5) = 7
    expect(quantile(xs, 0.9)).toBeCloseTo(7, 15);
    // [10 20 30 40], q = 0.1 → h = 0.3 → 10 + 0.3·10 = 13 (np.quantile gives 13.0)
    expect(quantile([40, 10, 30, 20], 0.1)).toBeCloseTo(13, 13);
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile(xs, 1)).toBe(9);
    expect(quantile(xs, 0.5)).toBe(median(xs));
    expect(() => quantile(xs, 1.5)).toThrow(/q must be in \[0, 1\]/);
  });

  it("a NaN (a diverged seed) makes order statistics and means NaN, as numpy does", () => {
    const withNaN = [1, Number.NaN, 3];
    for (const f of [median, mean, min, max, sum]) expect(f(withNaN)).toBeNaN();
    expect(quantile(withNaN, 0.5)).toBeNaN();
  });

  it("the nan… reductions leave NaN out, as numpy's nanmedian/nanmean/nanmin/nanmax", () => {
    const xs = [4, Number.NaN, 1, 9, Number.NaN, 2]; // without NaN: 4 1 9 2, sorted 1 2 4 9
    expect(nanmedian(xs)).toBe(3); // (2 + 4) / 2
    expect(nanmedian([5, Number.NaN, 1])).toBe(3); // (1 + 5) / 2
    expect(nanmedian([Number.NaN, 7, 3, 8])).toBe(7); // 3 7 8
    expect(nanmean(xs)).toBe(4); // 16 / 4
    expect(nanmin(xs)).toBe(1);
    expect(nanmax(xs)).toBe(9);
    // Without NaN they are the plain reductions; infinity is a value, not left out.
    expect(nanmedian([3, 1, 4, 1, 5, 9])).toBe(median([3, 1, 4, 1, 5, 9]));
    expect(nanmax([1, Infinity, Number.NaN])).toBe(Infinity);
    expect(nanmean([1, -Infinity])).toBe(-Infinity);
    // All NaN (or nothing): NaN, as numpy (which also warns); min of nothing must not be +Infinity.
    for (const f of [nanmedian, nanmean, nanmin, nanmax]) {
      expect(f([Number.NaN, Number.NaN])).toBeNaN();
      expect(f([])).toBeNaN();
    }
  });
});

describe("Student t distribution", () => {
  it("quantiles match the tabulated t(0.975, df)", () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 3);
    expect(studentTQuantile(0.975, 3)).toBeCloseTo(3.182, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042, 3);
    expect(studentTQuantile(0.995, 2)).toBeCloseTo(9.925, 3);
    expect(studentTQuantile(0.025, 3)).toBeCloseTo(-3.182, 3);
  });

  it("CDF matches closed forms: df = 1 is Cauchy, df = 2 is t/(2√(2+t²)) + 1/2", () => {
    for (const t of [-3, -0.5, 0, 0.7, 4]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 13);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 13);
    }
    // df = 1: the 0.975 quantile is tan(π(0.975 − 1/2)) exactly
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(Math.tan(Math.PI * 0.475), 10);
  });

  it("incomplete beta and log-gamma match closed forms", () => {
    // I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b
    expect(incompleteBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 14);
    expect(incompleteBeta(0.8, 1, 3)).toBeCloseTo(1 - 0.2 ** 3, 14);
    expect(logGamma(6)).toBeCloseTo(Math.log(120), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });
});

describe("number formatting for details", () => {
  it("uses 3 significant digits and exponents for small and large values", () => {
    expect(formatNumber(0.9412)).toBe("0.941");
    expect(formatNumber(0.012)).toBe("1.2e-2");
    expect(formatNumber(123456.7)).toBe("1.23e+5");
    expect(formatNumber(0.5e-3)).toBe("5e-4");
    expect(formatNumber(Number.NaN)).toBe("NaN");
  });

  it("prints whole numbers exactly (a count of 3765 is not 3770)", () => {
    expect(formatNumber(3765)).toBe("3765");
    expect(formatNumber(123456)).toBe("123456");
    expect(formatNumber(-42)).toBe("-42");
    expect(formatNumber(3765.4)).toBe("3765");
    expect(formatPair(3765, 4000)).toEqual(["3765", "4000"]);
  });

  it("adds digits until different numbers print differently", () => {
    expect(formatPair(1.0004, 1)).toEqual(["1.0004", "1"]);
    expect(formatPair(2, 2)).toEqual(["2", "2"]);
    expect(formatPair(3765.4, 3765)).toEqual(["3765.4", "3765"]);
    expect(formatDistinct([1.30004, 0.7, 1.3])).toEqual(["1.30004", "0.7", "1.3"]);
    expect(formatDistinct([Number.NaN, 0.7, 1.3])).toEqual(["NaN", "0.7", "1.3"]);
    expect(formatDistinct([0, -0, 1])).toEqual(["0", "0", "1"]);
  });
});
