import { describe, expect, it } from "vitest";
import { formatDuration, formatRate, ProgressReporter, type ProgressStream } from "../../runtime/progress.js";

function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  const stream: ProgressStream = { write: (text: string) => writes.push(text), isTTY, columns };
  return { stream, writes };
}

function manualClock() {
  let now = 1000; // any origin
  return { now: () => now, set: (ms: number) => (now = 1000 + ms) };
}

describe("progress on a pipe or in CI (plain lines)", () => {
  it("prints one line per 10% of the work, with rate and ETA, and a summary at the end", () => {
    const { stream, writes } = fakeStream(false);
    const clock = manualClock();
    const progress = new ProgressReporter({ total: 1000, label: "width=20", stream, clock: clock.now });
    for (let step = 1; step <= 1000; step++) {
      clock.set(10 * step); // 100 steps/s
      progress.update(step);
    }
    progress.finish();
    expect(writes.length).toBe(11);
    expect(writes[0]).toBe("width=20 100/1000 10% 100 steps/s ETA 9s\n");
    expect(writes[4]).toBe("width=20 500/1000 50% 100 steps/s ETA 5s\n");
    expect(writes[9]).toBe("width=20 1000/1000 100% 100 steps/s ETA 0s\n");
    expect(writes[10]).toBe("width=20 done: 1000 steps in 10s (100 steps/s)\n");
  });

  it("also prints when the interval passes on slow runs, but never more often", () => {
    const { stream, writes } = fakeStream(false);
    const clock = manualClock();
    const progress = new ProgressReporter({ total: 100, stream, clock: clock.now, lineIntervalMs: 30_000 });
    for (let step = 1; step <= 9; step++) {
      clock.set(20_000 * step); // one step every 20 s: lines at 40 s, 80 s, 120 s, 160 s
      progress.tick();
    }
    expect(writes).toEqual([
      "2/100 2% 0.05 steps/s ETA 32m40s\n",
      "4/100 4% 0.05 steps/s ETA 32m00s\n",
      "6/100 6% 0.05 steps/s ETA 31m20s\n",
      "8/100 8% 0.05 steps/s ETA 30m40s\n",
    ]);
    clock.set(20_000 * 9 + 1);
    progress.update(10); // 10% reached: a line although only 20 s passed
    expect(writes.length).toBe(5);
    expect(writes[4]).toMatch(/^10\/100 10% /);
  });
});

describe("progress on a terminal (one redrawn line)", () => {
  it("redraws in place at most every 100 ms with a bar, rate and ETA", () => {
    const { stream, writes } = fakeStream(true, 120);
    const clock = manualClock();
    const progress = new ProgressReporter({ total: 200, label: "run 1/4", stream, clock: clock.now });
    progress.update(0);
    expect(writes).toEqual([`\rrun 1/4 [${"-".repeat(24)}] 0/200 0% -- steps/s ETA --\x1b[K`]);
    clock.set(50);
    progress.update(5); // too soon: no redraw
    expect(writes.length).toBe(1);
    clock.set(1000);
    progress.update(50); // 50 steps/s, 150 left → 3 s
    expect(writes[1]).toBe(`\rrun 1/4 [${"#".repeat(6)}${"-".repeat(18)}] 50/200 25% 50.0 steps/s ETA 3s\x1b[K`);
    clock.set(4000);
    progress.update(200);
    progress.finish();
    expect(writes[2]).toBe(`\rrun 1/4 [${"#".repeat(24)}] 200/200 100% 50.0 steps/s ETA 0s\x1b[K`);
    expect(writes.slice(3)).toEqual([`\rrun 1/4 [${"#".repeat(24)}] 200/200 100% 50.0 steps/s ETA 0s\x1b[K`, "\nrun 1/4 done: 200 steps in 4s (50.0 steps/s)\n"]);
    progress.finish();
    progress.update(10);
    expect(writes.length).toBe(5); // nothing after finish
  });

  it("cuts the line to the terminal width so it never wraps", () => {
    const { stream, writes } = fakeStream(true, 30);
    const progress = new ProgressReporter({ total: 10, stream, clock: () => 0 });
    progress.update(3);
    expect(writes[0]).toBe(`\r[#######-----------------] 3/\x1b[K`); // 26-char bar + " 3/" = 29 = columns − 1
    expect(writes[0]!.length - "\r\x1b[K".length).toBe(29);
  });
});

describe("formatting", () => {
  it("durations and rates", () => {
    expect([formatDuration(0.4), formatDuration(42), formatDuration(185), formatDuration(7620), formatDuration(Infinity)]).toEqual(["0s", "42s", "3m05s", "2h07m", "--"]);
    expect([formatRate(1234, 2), formatRate(25, 2), formatRate(1, 3), formatRate(5, 0)]).toEqual(["617", "12.5", "0.33", "--"]);
  });
});
