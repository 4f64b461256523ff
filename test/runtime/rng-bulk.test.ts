/**
 * Rng.normals / Rng.uniforms: bulk draws are the values, and leave the stream where, the same number of single
 * draws would. Three paths are compared: single draws (`normal()`, `uniformIn()`: the reference), the JS bulk path
 * (addon switched off) and the native addon (native/dync_rng.c) — bit for bit over 10^7 normals from several seeds
 * and stream labels, and across spare values, odd counts, restores and mixed single and bulk draws.
 */
import { afterEach, describe, expect, it } from "vitest";
import { nativeRngAddon, setNativeRngEnabled } from "../../runtime/kernels/native-rng.js";
import { drawInBlocks, Rng, type RngState } from "../../runtime/rng.js";

const hasAddon = process.env["DYNC_NATIVE"] !== "0" && nativeRngAddon() !== undefined;

afterEach(() => setNativeRngEnabled(true));

/** Index and values of the first differing bit pattern, or undefined. */
function firstDifference(a: Float32Array | Float64Array, b: Float32Array | Float64Array): string | undefined {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `at ${i}: ${a[i]} vs ${b[i]}`;
  return a.length === b.length ? undefined : `lengths ${a.length} vs ${b.length}`;
}

function bulkNormals(seed: number, label: string, count: number, native: boolean): { values: Float64Array; state: RngState } {
  setNativeRngEnabled(native);
  const rng = new Rng(seed, label);
  const values = new Float64Array(count);
  rng.normals(values);
  return { values, state: rng.state() };
}

describe.runIf(hasAddon)("native bulk draws", () => {
  it("equal the JS draws bit for bit over 10^7 normals (4 seeds and labels, odd count) and leave the same state", () => {
    const streams: [number, string][] = [[0, ""], [1, "init/w1"], [4294967295, "data/points"], [20261204, "encoding"]];
    for (const [seed, label] of streams) {
      const count = 2_500_001; // odd: the last pair's second value stays as the spare
      const native = bulkNormals(seed, label, count, true);
      const js = bulkNormals(seed, label, count, false);
      expect(firstDifference(native.values, js.values)).toBeUndefined();
      expect(native.state).toEqual(js.state);
      expect(native.state.spareNormal).not.toBeNull();
    }
  });

  it("equal single normal() calls, as Float32 with scale and shift, and as uniforms in [lo, hi)", () => {
    const count = 200_000;
    const single = new Rng(7, "x");
    const expected = Float32Array.from({ length: count }, () => -0.25 + 0.02 * single.normal());
    const bulk = new Rng(7, "x");
    const got = new Float32Array(count);
    bulk.normals(got, 0, count, 0.02, -0.25);
    expect(firstDifference(got, expected)).toBeUndefined();
    expect(bulk.state()).toEqual(single.state());

    const expectedU = Float64Array.from({ length: count }, () => single.uniformIn(-3, 0.5));
    const gotU = new Float64Array(count);
    bulk.uniforms(gotU, 0, count, -3, 0.5);
    expect(firstDifference(gotU, expectedU)).toBeUndefined();
    expect(bulk.state()).toEqual(single.state());
  });

  it("scale without shift is scale·z (no 0 + added), the standard normal with neither", () => {
    const single = new Rng(3, "s");
    const bulk = new Rng(3, "s");
    const got = new Float64Array(1001);
    bulk.normals(got, 0, 500, -1.5);
    bulk.normals(got, 500, 501);
    const expected = Float64Array.from({ length: 1001 }, (_, i) => (i < 500 ? -1.5 * single.normal() : single.normal()));
    expect(firstDifference(got, expected)).toBeUndefined();
  });
});

describe("bulk draws continue the stream (native when built, and in JS)", () => {
  for (const native of [true, false]) {
    const path = native ? "native" : "JS";
    it(`${path}: mixing single and bulk draws, odd and even counts and a restore mid-pair gives the single-draw sequence`, () => {
      setNativeRngEnabled(native);
      const reference = new Rng(11, "mix");
      const expected = Float64Array.from({ length: 5000 }, () => reference.normal());
      const rng = new Rng(11, "mix");
      const got = new Float64Array(5000);
      let at = 0;
      const bulk = (count: number) => {
        rng.normals(got, at, count);
        at += count;
      };
      got[at++] = rng.normal(); // spare pending
      bulk(101); // starts with the spare, ends on a pair's first value
      got[at++] = rng.normal(); // the spare the bulk draw left
      bulk(0);
      bulk(1);
      bulk(64);
      const saved = rng.state();
      bulk(999);
      const resumed = new Rng(0);
      resumed.restore(saved);
      const again = new Float64Array(999);
      resumed.normals(again);
      expect(firstDifference(again, got.subarray(at - 999, at))).toBeUndefined();
      bulk(5000 - at);
      expect(firstDifference(got, expected)).toBeUndefined();
      expect(rng.state()).toEqual(reference.state());
    });

    it(`${path}: a zero uniform is redrawn as normal() redraws it`, () => {
      setNativeRngEnabled(native);
      // words [a, 0, a, b]: the generator's first two outputs are 0, so the first uniform is exactly 0
      const start: RngState = { words: [0x1234567, 0, 0x1234567, 0x89abcdef], spareNormal: null };
      const single = new Rng(0);
      single.restore(start);
      const probe = new Rng(0);
      probe.restore(start);
      expect(probe.uniform()).toBe(0);
      const expected = Float64Array.from({ length: 64 }, () => single.normal());
      const bulk = new Rng(0);
      bulk.restore(start);
      const got = new Float64Array(64);
      bulk.normals(got);
      expect(firstDifference(got, expected)).toBeUndefined();
      expect(expected.every(Number.isFinite)).toBe(true);
    });

    it(`${path}: drawInBlocks hands out the draws in order, block by block`, () => {
      setNativeRngEnabled(native);
      const single = new Rng(5, "blocks");
      const expected = Float64Array.from({ length: 20_000 }, () => single.normal());
      const got = new Float64Array(20_000);
      drawInBlocks(new Rng(5, "blocks"), "normal", 20_000, (block, start, length) => got.set(block.subarray(0, length), start));
      expect(firstDifference(got, expected)).toBeUndefined();
    });
  }

  it("refuses a range outside the array", () => {
    const rng = new Rng(1);
    expect(() => rng.normals(new Float64Array(4), 2, 3)).toThrow(RangeError);
    expect(() => rng.uniforms(new Float32Array(4), -1, 2)).toThrow(RangeError);
    expect(() => rng.normals(new Float64Array(4), 0.5, 1)).toThrow(RangeError);
  });

  it("the normals are standard normal: mean, variance and the fraction beyond 1.96 (with the bit-level tests above)", () => {
    const z = new Float64Array(1_000_000);
    new Rng(2024, "moments").normals(z);
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    const tail = z.filter((v) => Math.abs(v) > 1.959963984540054).length / z.length;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(z.length));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / z.length));
    expect(Math.abs(tail - 0.05)).toBeLessThan(5 * Math.sqrt((0.05 * 0.95) / z.length));
  });
});
