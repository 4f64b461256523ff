/**
 * The live view of `dync run` (runner/live-view.ts), to the character: on a fake terminal the block of runs in
 * training is redrawn in place (cursor up, clear) with lines that stay printed above it, and a terminal
 * replaying the escape codes shows exactly the expected screen; off a terminal, plain lines with the loss
 * every interval and a `done:` line per run.
 */
import { afterEach, describe, expect, it } from "vitest";
import { formatLoss, LiveView, medianLoss } from "../../runner/live-view.js";

class FakeClock {
  t = 0;
  now = (): number => this.t;
}

function collector(tty: boolean, columns = 100) {
  const chunks: string[] = [];
  return { chunks, stream: { write: (t: string) => chunks.push(t), isTTY: tty, columns }, text: () => chunks.join("") };
}

/**
 * What a terminal shows after `text`: a minimal VT interpreter for the codes the view writes
 * (`\r`, `\n`, `ESC[nA` cursor up, `ESC[J` clear to the end of the screen).
 */
function screen(text: string): string[] {
  const rows: string[] = [""];
  let row = 0;
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\x1b") {
      const m = /^\x1b\[(\d*)([AJK])/.exec(text.slice(i))!;
      if (m[2] === "A") row = Math.max(0, row - Number(m[1] || 1));
      else if (m[2] === "J") {
        rows[row] = rows[row]!.slice(0, col);
        rows.length = row + 1;
      }
      i += m[0].length - 1;
    } else if (c === "\r") col = 0;
    else if (c === "\n") {
      row++;
      col = 0;
      if (rows.length <= row) rows.push("");
    } else {
      const line = rows[row]!.padEnd(col);
      rows[row] = line.slice(0, col) + c + line.slice(col + 1);
      col++;
    }
  }
  return rows;
}

let view: LiveView | undefined;
afterEach(() => view?.close());

describe("on a terminal", () => {
  it("shows every run in training with step, steps/s, ETA and loss, and the count, redrawn in place", () => {
    const clock = new FakeClock();
    const out = collector(true);
    view = new LiveView(out.stream, { runs: 3, clock: clock.now, tickMs: 0 });
    view.start("width=4", 3000, 0);
    view.start("width=16", 3000, 0);
    clock.t = 2000;
    view.step("width=4", 1500, [0.5, 0.25, 0.125, 1]);
    clock.t = 2200;
    view.step("width=16", 600, [2e-5, 4e-5]);
    // Drawn at 2.2 s: 1500 steps in 2.2 s is 682 steps/s, 1500 left: 2.2 s; median of 0.125, 0.25, 0.5, 1 is 0.375.
    expect(screen(out.text())).toEqual([
      "width=4 [########--------] 1500/3000 50% 682 steps/s ETA 2s loss 0.375",
      "width=16 [###-------------] 600/3000 20% 273 steps/s ETA 9s loss 3e-5",
      "runs: 0 of 3 done, 2 training, 1 waiting · 2s",
      "",
    ]);
    clock.t = 4000;
    view.step("width=4", 3000, [0.1, 0.1, 0.1, 0.1]);
    view.end("width=4", 3000, "batch loss median 0.1");
    view.start("width=64", 3000, 0);
    expect(screen(out.text())).toEqual([
      "width=4 done: 3000 steps in 4s (750 steps/s) batch loss median 0.1",
      "width=16 [###-------------] 600/3000 20% 150 steps/s ETA 16s loss 3e-5",
      "width=64 [----------------] 0/3000 0% -- steps/s ETA --",
      "runs: 1 of 3 done, 2 training · 4s",
      "",
    ]);
    view.log("error RUN040: something (run width=16)");
    view.drop("width=16");
    view.close();
    expect(screen(out.text())).toEqual([
      "width=4 done: 3000 steps in 4s (750 steps/s) batch loss median 0.1",
      "error RUN040: something (run width=16)",
      "",
    ]);
  });

  it("redraws at most every 100 ms, and cuts lines to the terminal's width", () => {
    const clock = new FakeClock();
    const out = collector(true, 30);
    view = new LiveView(out.stream, { runs: 1, clock: clock.now, tickMs: 0 });
    view.start("lr=0.001", 100, 0);
    const writes = out.chunks.length;
    clock.t = 1000;
    view.step("lr=0.001", 10, null);
    clock.t = 1050;
    view.step("lr=0.001", 20, null);
    expect(out.chunks.length).toBe(writes + 1);
    clock.t = 1100;
    view.step("lr=0.001", 30, null);
    expect(out.chunks.length).toBe(writes + 2);
    for (const row of screen(out.text())) expect(row.length).toBeLessThanOrEqual(29);
    expect(screen(out.text())[0]).toBe("lr=0.001 [#####-----------] 3");
  });

  it("counts a resumed run's rate from the step it resumed at", () => {
    const clock = new FakeClock();
    const out = collector(true);
    view = new LiveView(out.stream, { runs: 1, clock: clock.now, tickMs: 0 });
    view.start("a", 1000, 400);
    clock.t = 2000;
    view.step("a", 600, null);
    expect(screen(out.text())[0]).toBe("a [##########------] 600/1000 60% 100 steps/s ETA 4s");
  });
});

describe("off a terminal", () => {
  it("prints a plain line per run in training every 10 s, with its loss, and each run's done line", () => {
    const clock = new FakeClock();
    const out = collector(false);
    view = new LiveView(out.stream, { runs: 2, clock: clock.now });
    view.start("a", 1000, 0);
    view.start("b", 1000, 0);
    for (let t = 1; t <= 25; t++) {
      clock.t = t * 1000;
      view.step("a", 20 * t, [0.5]);
      view.step("b", 10 * t, [NaN, 0.2, 0.4]);
    }
    view.end("b", 250, "interrupted by SIGINT after 250 of 1000 steps");
    expect(out.text()).toBe(
      [
        "a 200/1000 20% 20.0 steps/s ETA 40s loss 0.5",
        "b 100/1000 10% 10.0 steps/s ETA 1m30s loss 0.3",
        "a 400/1000 40% 20.0 steps/s ETA 30s loss 0.5",
        "b 200/1000 20% 10.0 steps/s ETA 1m20s loss 0.3",
        "b done: 250 steps in 25s (10.0 steps/s) interrupted by SIGINT after 250 of 1000 steps",
        "",
      ].join("\n"),
    );
    expect(out.text()).not.toContain("\x1b");
  });
});

describe("numbers", () => {
  it("median over the finite losses; three significant digits", () => {
    expect(medianLoss([3, 1, 2])).toBe(2);
    expect(medianLoss([4, NaN, 1, Infinity, 2, 3])).toBe(2.5);
    expect(medianLoss([NaN])).toBeNaN();
    expect([0.0417, 6.284e-5, 12345, 0, 1.5, 0.001].map(formatLoss)).toEqual(["0.0417", "6.28e-5", "1.23e+4", "0", "1.5", "0.001"]);
  });
});
