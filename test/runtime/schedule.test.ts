import { describe, expect, it, vi } from "vitest";
import { makeSchedule } from "../../runtime/schedule.js";

describe("schedules", () => {
  it("constant returns the base rate at every step", () => {
    const lr = makeSchedule({ kind: "constant" }, 0.01);
    for (const t of [0, 1, 999, 1e6]) expect(lr(t)).toBe(0.01);
  });

  it("step_decay multiplies by factor every N steps (lottery paper: 1e-2 × 0.2 every 10k)", () => {
    const lr = makeSchedule({ kind: "step_decay", every: 10_000, factor: 0.2 }, 1e-2);
    expect(lr(0)).toBe(1e-2);
    expect(lr(9_999)).toBe(1e-2);
    expect(lr(10_000)).toBeCloseTo(2e-3, 15);
    expect(lr(25_000)).toBeCloseTo(4e-4, 15);
    expect(lr(49_999)).toBeCloseTo(1e-2 * 0.2 ** 4, 15);
  });

  it("cosine follows floor + (lr − floor)(1 + cos(πt/T))/2 and stays at the floor after T", () => {
    const lr = makeSchedule({ kind: "cosine", steps: 100, floor: 1e-4 }, 1e-2);
    expect(lr(0)).toBeCloseTo(1e-2, 15);
    expect(lr(50)).toBeCloseTo((1e-2 + 1e-4) / 2, 15);
    expect(lr(25)).toBeCloseTo(1e-4 + (1e-2 - 1e-4) * (1 + Math.SQRT1_2) / 2, 15);
    expect(lr(100)).toBeCloseTo(1e-4, 15);
    expect(lr(500)).toBeCloseTo(1e-4, 15);
    expect(makeSchedule({ kind: "cosine", steps: 10 }, 1)(10)).toBe(0);
  });

  it("cosine and step_decay need no engine Math (the fdlibm ports: the same rate on every Node version)", () => {
    for (const name of ["cos", "pow"] as const) vi.spyOn(Math, name).mockImplementation(() => NaN);
    try {
      expect(makeSchedule({ kind: "cosine", steps: 100, floor: 1e-4 }, 1e-2)(25)).toBeCloseTo(1e-4 + (1e-2 - 1e-4) * (1 + Math.SQRT1_2) / 2, 15);
      expect(makeSchedule({ kind: "step_decay", every: 10, factor: 0.5 }, 1)(35)).toBe(0.125); // 0.5³, exact
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("linear warmup ramps (t+1)/N and composes multiplicatively with another schedule", () => {
    const plain = makeSchedule({ kind: "warmup", steps: 4 }, 0.1);
    const expected = [0.025, 0.05, 0.075, 0.1, 0.1, 0.1];
    [0, 1, 2, 3, 4, 100].forEach((t, i) => expect(plain(t)).toBeCloseTo(expected[i]!, 15));
    const withDecay = makeSchedule({ kind: "warmup", steps: 10, then: { kind: "step_decay", every: 5, factor: 0.5 } }, 1);
    expect(withDecay(0)).toBeCloseTo(0.1 * 1, 15);
    expect(withDecay(6)).toBeCloseTo(0.7 * 0.5, 15);
    expect(withDecay(12)).toBeCloseTo(0.25, 15);
    const withCosine = makeSchedule({ kind: "warmup", steps: 2, then: { kind: "cosine", steps: 8 } }, 2);
    expect(withCosine(0)).toBeCloseTo(0.5 * 2, 15);
    expect(withCosine(4)).toBeCloseTo(1, 15);
  });

  it("rejects invalid parameters with a clear RUN040 error", () => {
    expect(() => makeSchedule({ kind: "step_decay", every: 0, factor: 0.5 }, 1)).toThrow(/every must be a positive whole number/);
    expect(() => makeSchedule({ kind: "cosine", steps: 10, floor: -1 }, 1)).toThrow(/floor/);
    expect(() => makeSchedule({ kind: "constant" }, Number.NaN)).toThrow(/learning rate/);
    expect(() => makeSchedule({ kind: "wobble" } as never, 1)).toThrow(/unknown schedule "wobble"/);
  });
});
