import { describe, expect, it } from "vitest";
import { CadenceScheduler, type EventSpec, type ScheduledProbe } from "../../runtime/train/cadence.js";

const timeline = { totalSteps: 100, stepsPerEpoch: 8, seeds: 3 };

/** Every step 0..T at which `name` is scheduled. */
function stepsOf(s: CadenceScheduler, name: string): number[] {
  const out: number[] = [];
  for (let k = 0; k <= s.timeline.totalSteps; k++) if (s.scheduledAt(k).includes(name)) out.push(k);
  return out;
}

describe("fixed cadences", () => {
  it("every N steps includes step 0 and multiples of N, not `end` unless it is a multiple", () => {
    const s = new CadenceScheduler([{ name: "p", cadence: { kind: "every", n: 30, unit: "steps" } }], [], timeline);
    expect(stepsOf(s, "p")).toEqual([0, 30, 60, 90]);
    const whole = new CadenceScheduler([{ name: "p", cadence: { kind: "every", n: 25, unit: "steps" } }], [], timeline);
    expect(stepsOf(whole, "p")).toEqual([0, 25, 50, 75, 100]);
    const each = new CadenceScheduler([{ name: "p", cadence: { kind: "every", n: 1, unit: "steps" } }], [], timeline);
    expect(stepsOf(each, "p")).toHaveLength(101);
  });

  it("every N epochs runs at epoch boundaries k·N·stepsPerEpoch", () => {
    const s = new CadenceScheduler([{ name: "p", cadence: { kind: "every", n: 3, unit: "epochs" } }], [], timeline);
    expect(stepsOf(s, "p")).toEqual([0, 24, 48, 72, 96]);
  });

  it("at [start, step, epoch, end] resolves each point, and several cadences combine without duplicates", () => {
    const probe: ScheduledProbe = {
      name: "p",
      cadence: [
        { kind: "at", points: ["start", { step: 7 }, { epoch: 2 }, "end", { step: 16 }] },
        { kind: "every", n: 50, unit: "steps" },
      ],
    };
    const s = new CadenceScheduler([probe], [], timeline);
    expect(stepsOf(s, "p")).toEqual([0, 7, 16, 50, 100]);
  });

  it("keeps registration order among probes due at one step", () => {
    const s = new CadenceScheduler(
      [
        { name: "b", cadence: { kind: "every", n: 10, unit: "steps" } },
        { name: "a", cadence: { kind: "at", points: ["start"] } },
        { name: "c", cadence: { kind: "every", n: 20, unit: "steps" } },
      ],
      [],
      timeline,
    );
    expect(s.scheduledAt(0)).toEqual(["b", "a", "c"]);
    expect(s.scheduledAt(10)).toEqual(["b"]);
    expect(s.scheduledAt(20)).toEqual(["b", "c"]);
    expect(s.scheduledAt(5)).toEqual([]);
  });

  it("rejects bad cadences with RUN040 errors naming the probe", () => {
    const make = (p: ScheduledProbe, events: EventSpec[] = []) => () => new CadenceScheduler([p], events, timeline);
    expect(make({ name: "p", cadence: { kind: "every", n: 0, unit: "steps" } })).toThrow(/probe "p": "every" needs/);
    expect(make({ name: "p", cadence: { kind: "at", points: [{ step: 101 }] } })).toThrow(/at step 101, outside the run's 100 steps/);
    expect(make({ name: "p", cadence: { kind: "at", points: [{ epoch: 13 }] } })).toThrow(/epoch 13/);
    expect(make({ name: "p", cadence: { kind: "on", event: "nope" } })).toThrow(/unknown event "nope"/);
    expect(make({ name: "p", cadence: { kind: "at", points: ["end"] } }, [{ name: "e", watch: "q", condition: () => true }])).toThrow(
      /watches probe "q", which is not registered/,
    );
    expect(() => new CadenceScheduler([], [], { totalSteps: 10, stepsPerEpoch: 0, seeds: 1 })).toThrow(/steps per epoch/);
  });
});

describe("events", () => {
  const lr = 0.5;
  const sharpOver = (limit: number): EventSpec => ({
    name: "eos",
    watch: "sharp",
    condition: (value) => (value as number[]).map((v) => v > limit),
  });

  it("fire once per seed, at the first observed step where the condition holds", () => {
    const s = new CadenceScheduler([{ name: "sharp", cadence: { kind: "every", n: 10, unit: "steps" } }], [sharpOver(2 / lr)], timeline);
    expect(s.observe("sharp", 0, [1, 1, 5])).toEqual([{ event: "eos", step: 0, seedIndices: [2] }]);
    expect(s.observe("sharp", 10, [4.5, 1, 6])).toEqual([{ event: "eos", step: 10, seedIndices: [0] }]);
    expect(s.observe("sharp", 20, [4.5, 1, 6])).toEqual([]); // already fired for 0 and 2
    expect(s.observe("sharp", 30, [0, 4.1, 0])).toEqual([{ event: "eos", step: 30, seedIndices: [1] }]);
    expect(Array.from(s.firedSteps("eos"))).toEqual([10, 30, 0]);
  });

  it("a scalar condition fires for all seeds; a wrong-length vector is an error", () => {
    const s = new CadenceScheduler(
      [{ name: "loss", cadence: { kind: "every", n: 1, unit: "steps" } }],
      [{ name: "low", watch: "loss", condition: (v) => (v as number) < 0.1 }],
      timeline,
    );
    expect(s.observe("loss", 3, 0.5)).toEqual([]);
    expect(s.observe("loss", 4, 0.05)).toEqual([{ event: "low", step: 4, seedIndices: [0, 1, 2] }]);
    const bad = new CadenceScheduler([{ name: "x", cadence: { kind: "at", points: ["start"] } }], [{ name: "e", watch: "x", condition: () => [true] }], timeline);
    expect(() => bad.observe("x", 0, null)).toThrow(/gave 1 values for 3 seeds/);
  });

  it("runStep runs scheduled probes, then probes triggered by an event at the same step for the fired seeds, chains included", async () => {
    const sharpness: Record<number, number[]> = { 0: [1, 1, 1], 10: [5, 1, 1], 20: [5, 5, 1], 100: [5, 5, 5] };
    const s = new CadenceScheduler(
      [
        { name: "sharp", cadence: { kind: "every", n: 10, unit: "steps" } },
        { name: "groups", cadence: { kind: "on", event: "eos" } },
        { name: "snapshot", cadence: [{ kind: "on", event: "grouped" }, { kind: "at", points: ["end"] }] },
      ],
      [sharpOver(4), { name: "grouped", watch: "groups", condition: () => true }],
      timeline,
    );
    const calls: string[] = [];
    const runner = (probe: string, seeds: readonly number[], step: number) => {
      calls.push(`${step}:${probe}[${seeds.join(",")}]`);
      return probe === "sharp" ? sharpness[step] : seeds.length;
    };
    for (const step of [0, 10, 20, 100]) await s.runStep(step, runner);
    expect(calls).toEqual([
      "0:sharp[0,1,2]",
      "10:sharp[0,1,2]",
      "10:groups[0]",
      "10:snapshot[0,1,2]", // "grouped" has a scalar condition: it fires for all seeds not yet fired
      "20:sharp[0,1,2]",
      "20:groups[1]", // "grouped" already fired for every seed, so no second snapshot
      "100:sharp[0,1,2]",
      "100:snapshot[0,1,2]",
      "100:groups[2]",
    ]);
  });

  it("an event over two probes due at one step decides after the later of them, on both new values", async () => {
    // a > b: at step 10 a's new value (3) exceeds b's old one (2) but not b's new one (4)
    const values: Record<string, Record<number, number[]>> = { a: { 0: [1, 1, 1], 10: [3, 3, 3], 20: [5, 3, 3] }, b: { 0: [2, 2, 2], 10: [4, 4, 4], 20: [4, 4, 4] } };
    const latest: Record<string, number[]> = {};
    const gap: EventSpec = {
      name: "gap",
      watch: ["a", "b"],
      condition: (value, _step, probe) => {
        latest[probe] = value as number[];
        return (latest["a"] ?? []).map((x, i) => x > (latest["b"]?.[i] ?? Number.NaN));
      },
    };
    const s = new CadenceScheduler(
      [
        { name: "a", cadence: { kind: "every", n: 10, unit: "steps" } },
        { name: "b", cadence: { kind: "every", n: 10, unit: "steps" } },
      ],
      [gap],
      timeline,
    );
    const fired = [];
    for (const step of [0, 10, 20]) fired.push(...(await s.runStep(step, (probe, _seeds, at) => values[probe]![at])));
    expect(fired).toEqual([{ event: "gap", step: 20, seedIndices: [0] }]);
  });

  it("keeps what event conditions save in a checkpoint, and refuses one without it", () => {
    let kept = 0;
    const memo: EventSpec = { name: "m", watch: "x", condition: () => false, save: () => ({ kept: 7 }), restore: (state) => (kept = (state as { kept: number }).kept) };
    const s = new CadenceScheduler([{ name: "x", cadence: { kind: "every", n: 1, unit: "steps" } }], [memo], timeline);
    expect(s.conditionState()).toEqual({ m: { kept: 7 } });
    s.restoreConditions({ m: { kept: 3 } });
    expect(kept).toBe(3);
    expect(() => s.restoreConditions(undefined)).toThrow(/no saved values for the condition of event "m"/);
  });

  it("awaits asynchronous probe runners in order", async () => {
    const s = new CadenceScheduler(
      [
        { name: "a", cadence: { kind: "at", points: ["start"] } },
        { name: "b", cadence: { kind: "at", points: ["start"] } },
      ],
      [],
      timeline,
    );
    const order: string[] = [];
    await s.runStep(0, async (p) => {
      await new Promise((r) => setTimeout(r, p === "a" ? 5 : 0));
      order.push(p);
    });
    expect(order).toEqual(["a", "b"]);
  });
});
