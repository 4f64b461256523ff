/**
 * `plot heatmap(…)` and `plot line(…, mark: …)` as the checker lowers them to `PlotSpec`, and the
 * diagnostics for their misuse (the golden fixtures cover DYN2043/DYN2044's exact text).
 */
import { describe, expect, it } from "vitest";
import type { PlotSpec } from "../../contract/program.js";
import { lowerPlots } from "./plot-fixtures.js";

const source = (plots: string) => `experiment e {
  sweep gamma in [0.5, 1.75]
  seeds 2
  data train = grid(x in [-1, 1), n: 32) -> sin(pi * x) + 0.5 * sin(3 * pi * x)
  model net = mlp(hidden: [16], act: tanh)
  optimizer adam(lr: 1e-2)
  train 100 steps, batch full
  probe cos = cosine_similarity(net) at [start, 50, end]
  probe fp = frequency_error(net, train, peaks: 2) every 10 steps
  probe l = loss(net, train) every 10 steps
  let err = median(fp.error) over seeds
  let learned = convergence_step(err, below: 0.5)
${plots}
}`;

const lower = (plots: string) => lowerPlots(source(plots));

describe("lowering heatmaps", () => {
  it("a matrix probe with snapshots, facet, range, order and seed", () => {
    const { plots, errors } = lower("  plot heatmap(cos, at: [start, 50, end], facet: gamma, range: [-1, 1], order: eigen, seed: 1)");
    expect(errors).toEqual([]);
    expect(plots[0]).toMatchObject({ kind: "heatmap", facet: "gamma", label: "cos", range: [-1, 1], order: "eigen", logColor: false, data: { source: "matrix", probe: "cos", at: ["start", { step: 50 }, "end"], seed: 1 } });
  });

  it("defaults: the end snapshot, the first seed, no fixed range, probe order", () => {
    expect(lower("  plot heatmap(cos)").plots[0]).toMatchObject({ range: null, order: "none", data: { at: ["end"], seed: null } });
  });

  it("a table over two dimensions, with a log colour scale", () => {
    const { plots, errors } = lower("  plot heatmap(err, x: step, y: frequency, log: color)");
    expect(errors).toEqual([]);
    expect(plots[0]).toMatchObject({ kind: "heatmap", logColor: true, data: { source: "table", values: { op: "let", name: "err" }, x: "steps", y: "frequency" } });
  });

  it("rejects misuse with a diagnostic naming the fix", () => {
    expect(lower("  plot heatmap(err)").errors).toEqual([expect.stringMatching(/^DYN2043 .*`err` is an analysis/)]);
    expect(lower("  plot heatmap(fp)").errors).toEqual([expect.stringMatching(/^DYN2043 .*per-unit probe \(one value per `frequency`\)/)]);
    expect(lower("  plot heatmap(err, x: steps)").errors).toEqual([expect.stringContaining("needs both `x:` and `y:`")]);
    expect(lower("  plot heatmap(err, x: steps, y: frequency, at: end)").errors).toEqual([expect.stringContaining("`at` applies to a matrix probe's snapshots")]);
    expect(lower("  plot heatmap(cos, range: [1, -1])").errors).toEqual([expect.stringContaining("`range` is a colour domain")]);
    expect(lower("  plot heatmap(cos, at: soon)").errors).toEqual([expect.stringContaining("a snapshot is `start`, `end` or a step")]);
    expect(lower("  plot heatmap(cos, color: gamma)").errors).toEqual([expect.stringMatching(/^DYN2011 /)]);
  });
});

describe("lowering marks", () => {
  it("probes mark their measurement steps; analyses their values", () => {
    const { plots, errors } = lower("  plot line(l, color: gamma, mark: [cos, learned])");
    expect(errors).toEqual([]);
    expect((plots[0] as Extract<PlotSpec, { kind: "line" }>).marks).toEqual([
      { kind: "probe", name: "cos", label: "cos" },
      { kind: "steps", expr: { op: "let", name: "learned" }, label: "learned" },
    ]);
  });

  it("a multi-valued probe marks through its first field; a plot without marks has none", () => {
    expect((lower("  plot line(l, mark: fp)").plots[0] as Extract<PlotSpec, { kind: "line" }>).marks).toEqual([{ kind: "probe", name: "fp.error", label: "fp" }]);
    expect(lower("  plot line(l)").plots[0]).not.toHaveProperty("marks");
  });

  it("rejects an unknown name and a constant", () => {
    expect(lower("  plot line(l, mark: lerned)").errors).toEqual([expect.stringMatching(/^DYN2044 `mark: lerned`: it is not a probe or an analysis/)]);
    expect(lower("  plot line(l, mark: 2 * 50)").errors).toEqual([expect.stringMatching(/^DYN2044 .*a constant is not a step/)]);
  });
});

describe("lowering a line of several results", () => {
  it("`line([a, b])` and `line(a, b)` give one series per result, in order, the axis titled by both", () => {
    for (const call of ["line([l, err], color: gamma)", "line(l, err, color: gamma)"]) {
      const { plots, errors } = lower(`  plot ${call}`);
      expect(errors).toEqual([]);
      expect(plots[0]).toMatchObject({
        kind: "line",
        y: { op: "probe", name: "l" },
        yLabel: "l, err",
        series: [
          { y: { op: "probe", name: "l" }, label: "l" },
          { y: { op: "let", name: "err" }, label: "err" },
        ],
      });
    }
  });

  it("one result has no series; a misspelled one is reported, not the list", () => {
    expect(lower("  plot line(l)").plots[0]).not.toHaveProperty("series");
    expect(lower("  plot line([l, er])").errors).toEqual([expect.stringMatching(/^DYN\d+ .*er/)]);
    expect(lower("  plot line([])").errors).toEqual([expect.stringContaining("`line` takes a result, or several")]);
  });
});
