// A hand-built ExperimentProgram run through the public runtime API, without the compiler:
// fit y = x² with a one-hidden-layer ReLU MLP at three widths, 4 seeds each (trained seed-batched),
// Adam for 300 full-batch steps, and measure the test loss at the start and the end.
//
//   npm run build && node examples/api/regression.mjs [--backend cpu] [--out DIR]
//
// It is what a `.dyn` file like this compiles to:
//
//   data train = x ~ uniform(-1, 1) [64] -> x^2      data test = grid(x in [-1, 1], n: 101) -> x^2
//   sweep width in [8, 16, 32]    seeds 4
//   model net = mlp(in: 1, hidden: [width], out: 1, act: relu)
//   train net on train with adam(lr: 0.01), mse, full batch, 300 steps
//   probe test_loss = loss(net, test) at [start, end]
//   expect last(test_loss) < first(test_loss)
import { runMain } from "dync/runtime";

const widths = [8, 16, 32];

/** The run at one sweep point. */
function run(width) {
  return {
    id: `width=${width}`,
    point: { width },
    data: {
      train: { source: "sample", vars: [{ name: "x", dist: { kind: "uniform", low: -1, high: 1 }, n: 64 }], target: "square", perSeed: true },
      test: { source: "grid", axes: [{ name: "x", lo: -1, hi: 1, closedHi: true }], n: 101, target: "square", perSeed: false },
    },
    trainOn: "train",
    model: {
      kind: "mlp", name: "net", inDim: 1, hidden: [width], outDim: 1, act: "relu", bias: true,
      norm: "none", dropout: 0, encode: null, outputScale: null, init: "torch_default",
    },
    loss: "mse",
    l2: 0,
    optimizer: { kind: "adam", lr: 0.01 },
    duration: { steps: 300 },
    batch: "full",
    probes: [
      { name: "test_loss", probe: "loss", args: { model: { ref: "net" }, data: { ref: "test" } }, cadences: [{ kind: "at", points: ["start", "end"] }], line: 6 },
    ],
    events: [],
  };
}

const testLoss = { op: "probe", name: "test_loss" };

/** @type {import("dync/runtime").ExperimentProgram} */
const program = {
  compiler: "hand-written",
  name: "regression",
  file: "examples/api/regression.mjs",
  line: 1,
  source: "(built by hand in examples/api/regression.mjs)",
  sweepVars: ["width"],
  profiles: {
    default: {
      seeds: [0, 1, 2, 3],
      runs: widths.map(run),
      analyses: [
        { name: "final_median", line: 7, expr: { op: "reduce", fn: "median", arg: { op: "reduce", fn: "last", arg: testLoss, over: ["steps"] }, over: ["seeds"] } },
      ],
      expects: [
        {
          text: "last(test_loss) < first(test_loss)",
          line: 7,
          expr: {
            op: "compare",
            fn: "<",
            left: { op: "reduce", fn: "last", arg: testLoss, over: ["steps"] },
            right: { op: "reduce", fn: "first", arg: testLoss, over: ["steps"] },
          },
        },
      ],
      plots: [],
    },
  },
  // Targets are float64 functions of the input columns: one column x, one output column x².
  targets: { square: (cols) => cols[0].map((x) => x * x) },
};

process.exitCode = await runMain(program);
