/**
 * A tiny experiment on a two-input grid (16 × 16 points of [−1, 1]², target x·y; widths 4 and 8, two
 * seeds) with an `outputs` probe at start and end, and images of the learned function (faceted by width,
 * both snapshots) and of the first layer's activation regions (faceted by seed), for the image report and
 * browser tests.
 */
import type { ExperimentProgram, PlotSpec, ProbeSpec, ProfilePlan, RunSpec } from "../../contract/program.js";
import { expandPlan } from "../../contract/plan.js";
import { regressionProgram, regressionRun } from "../runtime/experiment-fixture.js";

/** Points per grid axis. */
export const GRID_N = 16;

const probes: ProbeSpec[] = [
  { name: "tl", probe: "train_loss", args: {}, cadences: [{ kind: "every", n: 10, unit: "steps" }], line: 10 },
  {
    name: "f", probe: "outputs", index: "point",
    fields: ["x0", "x1", "x2", "x3", "output", "output1", "output2", "output3", "target", "target1", "target2", "target3", "region"],
    args: { model: { ref: "net" }, data: { ref: "plane" }, layer: null }, cadences: [{ kind: "at", points: ["start", "end"] }], line: 11,
  },
];

const common = { line: 20, color: null, facet: null, title: null } as const;
const probe = (name: string) => ({ op: "probe", name }) as const;
const image = (over: Partial<Extract<PlotSpec, { kind: "image" }>>): PlotSpec => ({
  ...common, kind: "image", text: "plot image(f.output)", values: [probe("f.output")], label: "f.output", labels: ["f.output"],
  coords: [probe("f.x0"), probe("f.x1")], coordLabels: ["f.x0", "f.x1"], colors: "scale", at: ["end"], seed: null, range: null, ...over,
});

/** The images: the output at start and end per width, and the activation regions per seed at the end. */
export const IMAGE_PLOTS: PlotSpec[] = [
  image({ text: "plot image(f.output, at: [start, end], facet: width)", facet: "width", at: ["start", "end"] }),
  image({ text: "plot image(f.region, facet: seeds)", facet: "seeds", values: [probe("f.region")], label: "f.region", labels: ["f.region"], colors: "regions" }),
];

function planeRun(width: number): RunSpec {
  const base = regressionRun(width);
  return {
    ...base,
    data: { plane: { source: "grid", axes: [{ name: "x", lo: -1, hi: 1, closedHi: true }, { name: "y", lo: -1, hi: 1, closedHi: true }], n: GRID_N, target: "product", perSeed: false } },
    trainOn: "plane",
    model: { ...base.model, inDim: 2 },
    probes,
  };
}

/** The program: widths 4 and 8, two seeds, the probes and images above. */
export function imageProgram(): ExperimentProgram {
  const base = regressionProgram([4, 8].map(planeRun));
  const plan: ProfilePlan = { ...expandPlan(base.profiles["default"]!), seeds: [0, 1], plots: IMAGE_PLOTS };
  return { ...base, profiles: { default: plan }, targets: { product: (cols) => cols[0]!.map((x, i) => x * cols[1]![i]!) } };
}
