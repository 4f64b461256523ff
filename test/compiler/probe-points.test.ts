/**
 * Probes limited to sweep points (`probe top[opt = gd_] = …`) and cross-run values read at a point
 * (`top[lr = 0.1, at 50 steps]`, `top[lr = 0.1, at first(sharp > 0.5 / lr)]`), as the checker plans them:
 * the limited probe is in its runs' specs only (so `dync plan` costs it there only), a profile keeps the
 * restriction, the producer of a value read at a step measures it there on top of its cadence, and one read
 * at an event gets that event compiled with the producer's sweep values (`lr` is the producer's, 0.1, in
 * every reader).
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/index.js";
import { probeFlops } from "../../cli/commands/plan.js";

const limited = `let gd_ = gd(lr: 0.05)
let adam_ = adam(lr: 0.001)
experiment limited {
  sweep opt in [gd_, adam_]
  data train { x ~ uniform(-1, 1) [64]; y = x^2 }
  model net = mlp(hidden: [16], act: tanh)
  optimizer opt
  loss half_mse
  train 100 steps, batch full
  probe sharp[opt = gd_] = sharpness(net, train) every 5 steps
  probe l = loss(net, train) every 10 steps
  let peak = max(sharp) over steps
  expect min(peak[opt = gd_]) over seeds > 0
  profile quick { probe sharp = sharpness(net, train) every 10 steps }
}
`;

const atPoints = `experiment at_points {
  data train { x ~ uniform(-1, 1) [64]; y = x^2 }
  model net = mlp(hidden: [16], act: tanh)
  sweep lr in [0.05, 0.1]
  optimizer gd(lr: lr)
  loss half_mse
  train 100 steps, batch full
  probe sharp = sharpness(net, train) every 5 steps
  probe top = hessian(net, train, k: 1) every 10 steps
  probe p = project(net, along: top[lr = 0.1, at 55 steps]) every 1 steps
  probe q = project(net, along: top[lr = 0.1, at first(sharp > 0.5 / lr)]) every 1 steps
}
`;

describe("a probe limited to sweep points", () => {
  const result = checkSource(limited, "limited.dyn");
  it("checks clean", () => {
    expect(result.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`)).toEqual([]);
  });
  for (const profile of ["default", "quick"]) {
    it(`is in the selected run only (${profile}), its cadence the profile's`, () => {
      const runs = result.experiments[0]!.profiles[profile]!.runs;
      expect(runs.map((r) => [r.id, r.probes.map((p) => p.name)])).toEqual([
        ["opt=gd(lr: 0.05)", ["sharp", "l"]],
        ["opt=adam(lr: 1e-3)", ["l"]],
      ]);
      expect(runs[0]!.probes[0]!.cadences).toEqual([{ kind: "every", n: profile === "quick" ? 10 : 5, unit: "steps" }]);
    });
  }
});

describe("a cross-run value read at a step or an event", () => {
  const result = checkSource(atPoints, "at.dyn");
  it("checks clean", () => {
    expect(result.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`)).toEqual([]);
  });
  const runs = result.experiments[0]!.profiles["default"]!.runs;
  const producer = runs.find((r) => r.id === "lr=0.1")!;
  const reader = runs.find((r) => r.id === "lr=0.05")!;
  it("adds the step and the event to the producer's `top` only", () => {
    expect(producer.probes.find((p) => p.name === "top")!.cadences).toEqual([
      { kind: "every", n: 10, unit: "steps" },
      { kind: "at", points: [{ step: 55 }] },
      { kind: "on", event: "top@handoff" },
    ]);
    expect(reader.probes.find((p) => p.name === "top")!.cadences).toEqual([{ kind: "every", n: 10, unit: "steps" }]);
    expect(reader.events).toEqual([]);
  });
  it("compiles the event with the producer's lr (0.5 / 0.1 = 5), and points both readers at it", () => {
    const event = producer.events.find((e) => e.name === "top@handoff")!;
    expect(event.watch).toEqual(["sharp"]);
    expect(JSON.stringify(event.condition)).toContain("0.1");
    expect(JSON.stringify(event.condition)).not.toContain("0.05");
    for (const run of runs) {
      expect(run.probes.find((p) => p.name === "q")!.args["along"]).toEqual({ ref: "top", from: { lr: 0.1 }, at: { event: "top@handoff" } });
      expect(run.probes.find((p) => p.name === "p")!.args["along"]).toEqual({ ref: "top", from: { lr: 0.1 }, at: { step: { step: 55 } } });
    }
  });
  it("costs the producer's extra measurements in `dync plan`", () => {
    // the same probes but `top` called 11 (every 10 steps) + 1 (step 55) + 1 (the event) = 13 times, not 11
    const perRun = (id: string) => probeFlops(runs.find((r) => r.id === id)!, 100, 1);
    const topCall = (perRun("lr=0.1") - perRun("lr=0.05")) / 2;
    const withoutTop = (id: string) => probeFlops({ ...runs.find((r) => r.id === id)!, probes: runs.find((r) => r.id === id)!.probes.filter((p) => p.name !== "top") }, 100, 1);
    expect(withoutTop("lr=0.1")).toBe(withoutTop("lr=0.05"));
    expect(perRun("lr=0.05") - withoutTop("lr=0.05")).toBeCloseTo(11 * topCall, 6);
  });
});
