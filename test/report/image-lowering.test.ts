/**
 * `plot image(…)` as the checker lowers it to `PlotSpec` (values, the probe's coordinate fields, colour
 * mode, snapshots) and its DYN2045 diagnostics (the golden fixtures cover the exact text of two of them).
 */
import { describe, expect, it } from "vitest";
import type { PlotSpec } from "../../contract/program.js";
import { lowerPlots } from "./plot-fixtures.js";

const source = (plots: string) => `experiment e {
  sweep width in [8, 16]
  seeds 2
  data train = grid(x in [-1, 1], y in [-1, 1], n: 16) -> x * y
  data line = grid(x in [-1, 1], y in [-1, 1], n: 4) -> x   // the model's two inputs: data sets share inputs (DYN2035)
  model net = mlp(hidden: [width, 8], act: relu)
  optimizer adam(lr: 1e-2)
  train 100 steps, batch full
  probe f = outputs(net, train) at [start, end]
  probe g = outputs(net, train, layer: 0) at end
  probe lf = learned_function(net, line) at end
  let m = median(f.output) over seeds
${plots}
}`;

const lower = (plots: string) => lowerPlots(source(plots));

describe("lowering images", () => {
  it("one value: colour-mapped, at the probe's coordinates x0 and x1, default snapshot end", () => {
    const { plots, errors } = lower("  plot image(f.output)");
    expect(errors).toEqual([]);
    expect(plots[0]).toMatchObject({
      kind: "image", label: "f.output", labels: ["f.output"], values: [{ op: "probe", name: "f.output" }], colors: "scale",
      coords: [{ op: "probe", name: "f.x0" }, { op: "probe", name: "f.x1" }], coordLabels: ["f.x0", "f.x1"], at: ["end"], seed: null, range: null,
    });
  });

  it("a reduction inside the call, snapshots, seed, facet and range", () => {
    const { plots, errors } = lower("  plot image(median(f.output) over seeds, at: [start, 50, end], facet: width, range: [-1, 1])\n  plot image(f.output, seed: 1, facet: seeds)");
    expect(errors).toEqual([]);
    expect(plots[0]).toMatchObject({ kind: "image", facet: "width", at: ["start", { step: 50 }, "end"], range: [-1, 1], values: [{ op: "reduce", fn: "median", arg: { op: "probe", name: "f.output" } }] });
    expect(plots[1]).toMatchObject({ seed: 1, facet: "seeds" });
  });

  it("three values are RGB; `region` is drawn as regions, of the probe it belongs to", () => {
    const { plots, errors } = lower("  plot image(f.output, f.target, f.x0)\n  plot image(g.region)");
    expect(errors).toEqual([]);
    expect(plots[0]).toMatchObject({ colors: "rgb", labels: ["f.output", "f.target", "f.x0"] });
    expect(plots[1]).toMatchObject({ colors: "regions", coords: [{ op: "probe", name: "g.x0" }, { op: "probe", name: "g.x1" }] });
  });

  it("DYN2045 for a 1-D probe, a let, two probes, two values, range on regions, a per-unit facet", () => {
    const cases: [string, RegExp][] = [
      ["plot image(lf.output)", /`lf` records no input coordinates/],
      ["plot image(m)", /name no probe; .*a `let` hides them/],
      ["plot image(f.output - g.output)", /several probes/],
      ["plot image(f.output, f.target)", /one result .* or three/],
      ["plot image(g.region, range: [0, 3])", /region ids get categorical colours/],
      ["plot image(f.region + f.output)", /combine `region` with nothing else/],
      ["plot image(f.output, facet: point)", /faceted by a sweep variable or `seeds`/],
    ];
    for (const [plot, message] of cases) {
      const { errors } = lower(`  ${plot}`);
      expect(errors, plot).toHaveLength(1);
      expect(errors[0], plot).toMatch(/^DYN2045 /);
      expect(errors[0], plot).toMatch(message);
    }
  });

  it("unknown options are DYN2011 (e.g. a heatmap's `x:`)", () => {
    expect(lower("  plot image(f.output, x: steps)").errors[0]).toMatch(/^DYN2011 /);
  });
});
