/**
 * Rng.normal: Box–Muller on the stream's own uniforms, both values used (cos first, then sin), and a state taken
 * between the two values of a pair carries the second one (checkpoints resume mid-pair). The values are the
 * streams every seeded initialization and data set is drawn from, so they must not change. log, sin and cos are
 * fdlibm's (numerics/fdlibm.ts; on Node 20 they equal Math.*, test/runtime/fdlibm.test.ts).
 */
import { describe, expect, it } from "vitest";
import { fdlibmCos, fdlibmLog, fdlibmSin } from "../../numerics/fdlibm.js";
import { Rng } from "../../runtime/rng.js";

describe("Rng.normal", () => {
  it("is Box–Muller on the same stream's uniforms, cos value then sin value", () => {
    const drawn = new Rng(17, "points");
    const uniforms = new Rng(17, "points");
    for (let pair = 0; pair < 1000; pair++) {
      let u = 0;
      while (u === 0) u = uniforms.uniform();
      const v = uniforms.uniform();
      const r = Math.sqrt(-2 * fdlibmLog(u));
      expect(drawn.normal()).toBe(r * fdlibmCos(2 * Math.PI * v));
      expect(drawn.normal()).toBe(r * fdlibmSin(2 * Math.PI * v));
    }
  });

  it("a state taken mid-pair holds the spare value, and restoring it continues the stream exactly", () => {
    const rng = new Rng(5);
    rng.normal();
    const mid = rng.state();
    expect(mid.spareNormal).not.toBeNull();
    const rest = Array.from({ length: 7 }, () => rng.normal());
    const resumed = new Rng(99);
    resumed.restore(mid);
    expect(Array.from({ length: 7 }, () => resumed.normal())).toEqual(rest);
    expect(rng.state().spareNormal).toBeNull(); // 1 + 7 draws: whole pairs
    resumed.restore({ words: mid.words, spareNormal: null });
    expect(resumed.normal()).not.toBe(rest[0]); // without the spare, a new pair starts
  });
});
