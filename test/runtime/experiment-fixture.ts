/** A tiny hand-built ExperimentProgram (y = x², a width sweep) shared by the experiment tests. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { OptimizerSpec } from "../../runtime/optim.js";
import type { ExperimentProgram, ProbeSpec, RunSpec } from "../../contract/program.js";

export const SEEDS = [0, 1, 2];
export const STEPS = 40;

export const probes: ProbeSpec[] = [
  { name: "final_loss", probe: "loss", args: { model: { ref: "net" }, data: { ref: "test" } }, cadences: [{ kind: "at", points: ["start", "end"] }], line: 10 },
  { name: "tl", probe: "train_loss", args: {}, cadences: [{ kind: "every", n: 10, unit: "steps" }], line: 11 },
  { name: "wn", probe: "weight_norm", args: { model: { ref: "net" } }, cadences: [{ kind: "at", points: ["end"] }], line: 12 },
];

/** One run of the sweep at `width`, trained with `optimizer`. */
export function regressionRun(width: number, optimizer: OptimizerSpec = { kind: "adam", lr: 0.01 }, over: Partial<RunSpec> = {}): RunSpec {
  return {
    id: `width=${width}`,
    point: { width },
    data: {
      train: { source: "sample", vars: [{ name: "x", dist: { kind: "uniform", low: -1, high: 1 }, n: 32 }], target: "square", perSeed: true },
      test: { source: "grid", axes: [{ name: "x", lo: -1, hi: 1, closedHi: true }], n: 21, target: "square", perSeed: false },
    },
    trainOn: "train",
    model: {
      kind: "mlp", name: "net", inDim: 1, hidden: [width], outDim: 1, act: "relu", bias: true, norm: "none",
      dropout: 0, encode: null, outputScale: null, init: "torch_default",
    },
    loss: "mse",
    l2: 0,
    optimizer,
    duration: { steps: STEPS },
    batch: "full",
    probes,
    events: [],
    ...over,
  };
}

/** The program: profile `default` trains `runs`; profile `quick` one run with 2 seeds. */
export function regressionProgram(runs: RunSpec[], expects: ExperimentProgram["profiles"][string]["expects"] = []): ExperimentProgram {
  return {
    compiler: "test",
    name: "square",
    file: "square.dyn",
    line: 1,
    source: "experiment square { … }",
    sweepVars: ["width"],
    profiles: {
      default: { seeds: SEEDS, runs, analyses: [], expects, plots: [] },
      quick: { seeds: [0, 1], runs: runs.slice(0, 1), analyses: [], expects, plots: [] },
    },
    targets: { square: (cols) => cols[0]!.map((x) => x * x) },
  };
}

/** The metrics.jsonl rows of a run directory. */
export function metricsRows(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A stream that keeps what is written. */
export function captureStream(): { write(text: string): boolean; text(): string } {
  let out = "";
  return { write: (text: string) => ((out += text), true), text: () => out };
}
