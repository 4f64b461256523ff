/**
 * Valid programs: every `test/fixtures/semantic/valid/*.dyn` checks without errors or warnings, and its run
 * plan holds what the source says, computed here by hand from the `.dyn` text: run counts per profile,
 * seeds, lowered specs with registry defaults filled, durations and cadences in the loop's terms, and the
 * model widths inferred from the training data.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSource, type CheckedExperiment } from "../../compiler/check/index.js";
import type { ProfilePlan, RunSpec } from "../../contract/program.js";
import { ROOT } from "./paths.js";

const VALID = join(ROOT, "test", "fixtures", "semantic", "valid");

function check(name: string) {
  const path = join(VALID, name);
  return checkSource(readFileSync(path, "utf8"), path);
}

/** The checked experiment `name` of a valid fixture. */
function experiment(file: string, name: string): CheckedExperiment {
  const found = check(file).experiments.find((e) => e.name === name);
  if (!found) throw new Error(`${file} has no experiment ${name}`);
  return found;
}

function plan(file: string, name: string, profile = "default"): ProfilePlan {
  const p = experiment(file, name).profiles[profile];
  if (!p) throw new Error(`${name} has no profile ${profile}`);
  return p;
}

function run(p: ProfilePlan, id: string): RunSpec {
  const r = p.runs.find((x) => x.id === id);
  if (!r) throw new Error(`no run ${id}; runs: ${p.runs.map((x) => x.id).join(" | ")}`);
  return r;
}

const probe = (r: RunSpec, name: string) => r.probes.find((p) => p.name === name)!;

describe("valid programs check clean", () => {
  const files = readdirSync(VALID).filter((f) => f.endsWith(".dyn")).sort();
  it("has the valid corpus", () => expect(files.length).toBeGreaterThanOrEqual(8));
  for (const file of files) {
    it(file, () => {
      const result = check(file);
      expect(result.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`)).toEqual([]);
      expect(result.experiments.length).toBeGreaterThan(0);
      // Every profile of every experiment expands to at least one run: nothing was silently dropped.
      for (const e of result.experiments) for (const p of Object.values(e.profiles)) expect(p.runs.length).toBeGreaterThan(0);
    });
  }
});

describe("imports.dyn: shared lets, data and models from other files", () => {
  const p = plan("imports.dyn", "imported");
  const r = p.runs[0]!;
  it("one run, one seed (no sweep, no seeds statement)", () => {
    expect(p.runs.map((x) => x.id)).toEqual(["run"]);
    expect(p.seeds).toEqual([0]);
  });
  it("uses the imported model and data, with imported constants evaluated", () => {
    expect(r.model.name).toBe("shared_net");
    expect(r.model.hidden).toEqual([16, 16]);
    expect(r.model.act).toBe("tanh");
    expect(r.data["shared_test"]).toMatchObject({ source: "grid", n: 201, axes: [{ name: "x", lo: -2, hi: 2, closedHi: true }] });
    expect(r.data["train"]).toMatchObject({ source: "sample", vars: [{ name: "x", dist: { kind: "uniform", low: -2, high: 2 }, n: 128 }] });
  });
  it("a local let over an imported constant: lr = 0.05 / 5", () => {
    expect(r.optimizer).toEqual({ kind: "sgd", lr: 0.05 / 5, momentum: 0.9, dampening: 0, nesterov: false, weight_decay: 0 });
  });
  it("the model widths are inferred from the training data", () => {
    expect([r.model.inDim, r.model.outDim]).toEqual([1, 1]);
    expect(r.trainOn).toBe("train");
  });
  it("duration, batch and the probe's cadence", () => {
    expect(r.duration).toEqual({ steps: 200 });
    expect(r.batch).toEqual({ size: 32, shuffle: "every_epoch" });
    expect(probe(r, "test_loss").args).toEqual({ model: { ref: "shared_net" }, data: { ref: "shared_test" } });
  });
});

describe("sweeps-and-lets.dyn: products, zip, ranges, logspace and lets that follow the point", () => {
  const e = experiment("sweeps-and-lets.dyn", "sweeps");
  const p = e.profiles["default"]!;
  it("3 widths × 2 zipped pairs × 3 scales = 18 runs, with the listed seeds", () => {
    expect(e.sweepVars).toEqual(["width", "depth", "bs", "scale"]);
    expect(p.runs.length).toBe(18);
    expect(p.seeds).toEqual([0, 7, 42]);
    // zip pairs (depth, bs): never depth 1 with bs 64.
    expect(p.runs.every((r) => (r.point["depth"] === 1) === (r.point["bs"] === 16))).toBe(true);
    expect([...new Set(p.runs.map((r) => r.point["scale"]))]).toEqual([0.01, 0.1, 1]);
  });
  it("lets evaluate per point: lr = 0.1/width, hidden = [width] * depth, n = 2 * bs", () => {
    const r = run(p, "width=30,depth=2,bs=64,scale=0.1");
    expect(r.optimizer).toMatchObject({ kind: "sgd", lr: 0.1 / 30 });
    expect(r.model.hidden).toEqual([30, 30]);
    expect(r.data["train"]).toMatchObject({ vars: [{ name: "x", dist: { kind: "normal", mean: 0, std: 1 }, n: 128 }] });
    expect(r.batch).toEqual({ size: 64, shuffle: "every_epoch" });
    expect(r.duration).toEqual({ epochs: 2 });
    expect(probe(r, "l").cadences).toEqual([{ kind: "every", n: 1, unit: "epochs" }]);
  });
  it("one target function per distinct scale", () => {
    const bodies = [...e.targets.values()].map((t) => t.code.body).sort();
    expect(bodies).toEqual(["0.01 * m.sin(x)", "0.1 * m.sin(x)", "1 * m.sin(x)"]);
  });
});

describe("profiles.dyn: profiles replace seeds, train and sweeps, and add probes", () => {
  const e = experiment("profiles.dyn", "profiled");
  it("has the default profile and both declared ones", () => expect(Object.keys(e.profiles)).toEqual(["default", "quick", "seeds_only"]));
  it("default: 4 runs × 10 seeds, 10k steps", () => {
    const p = e.profiles["default"]!;
    expect(p.runs.map((r) => r.id)).toEqual(["width=8", "width=16", "width=32", "width=64"]);
    expect(p.seeds).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(p.runs[0]!.duration).toEqual({ steps: 10000 });
    expect(p.runs[0]!.probes.map((x) => x.name)).toEqual(["final"]);
  });
  it("quick: its own sweep, seeds and duration, plus an added probe", () => {
    const p = e.profiles["quick"]!;
    expect(p.runs.map((r) => r.id)).toEqual(["width=8", "width=16"]);
    expect(p.seeds).toEqual([0, 1]);
    expect(p.runs[1]!.duration).toEqual({ steps: 100 });
    expect(p.runs[1]!.model.hidden).toEqual([16]);
    expect(p.runs[1]!.probes.map((x) => x.name)).toEqual(["final", "early"]);
    expect(probe(p.runs[1]!, "early").cadences).toEqual([{ kind: "every", n: 10, unit: "steps" }]);
  });
  it("seeds_only: only the seeds change", () => {
    const p = e.profiles["seeds_only"]!;
    expect(p.seeds).toEqual([3, 5]);
    expect(p.runs.length).toBe(4);
    expect(p.runs[3]!.duration).toEqual({ steps: 10000 });
  });
  it("adam with only lr given gets torch's defaults", () => {
    expect(e.profiles["default"]!.runs[0]!.optimizer).toEqual({ kind: "adam", lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 });
  });
});

describe("training-forms.dyn: every optimizer, schedule, loss, activation", () => {
  const opt = plan("training-forms.dyn", "optimizers");
  const sched = plan("training-forms.dyn", "schedules");
  it("a sweep over four optimizer calls gives four runs with lowered specs", () => {
    expect(opt.runs.map((r) => r.optimizer)).toEqual([
      { kind: "sgd", lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0 },
      { kind: "sgd", lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weight_decay: 1e-4 },
      { kind: "adam", lr: 1e-3, beta1: 0.8, beta2: 0.999, eps: 1e-8, weight_decay: 0 },
      { kind: "sign_sgd", lr: 0.1, sign_lr: 0.01, threshold: 0.5, momentum: 0.9, dampening: 0.9, weight_decay: 0 },
    ]);
    expect(opt.runs[0]!.point).toEqual({ opt: "sgd(lr: 0.1)" });
  });
  it("loss, regularizer, activation with a parameter, batch with shuffle once", () => {
    const r = opt.runs[0]!;
    expect(r.loss).toBe("half_mse");
    expect(r.l2).toBe(1e-4);
    expect(r.model.act).toEqual({ name: "leaky_relu", slope: 0.2 });
    expect(r.batch).toEqual({ size: 16, shuffle: "once" });
    expect(r.duration).toEqual({ steps: 1000 });
    expect(probe(r, "rate").probe).toBe("lr");
    expect(probe(r, "signs")).toMatchObject({ probe: "optimizer_stat", args: { name: "above_threshold" } });
  });
  it("half_sse lowers to its name; cross_entropy(smoothing: ε) to an object, and without smoothing to the plain name", () => {
    expect(plan("training-forms.dyn", "summed_squares").runs[0]!.loss).toBe("half_sse");
    expect(plan("training-forms.dyn", "smoothed_labels").runs[0]!.loss).toEqual({ name: "cross_entropy", smoothing: 0.1 });
  });
  it("4 schedules × 6 activations = 24 runs; schedules lowered with their durations", () => {
    expect(sched.runs.length).toBe(24);
    const schedules = [...new Map(sched.runs.map((r) => [JSON.stringify(r.schedule), r.schedule])).values()];
    expect(schedules).toEqual([
      { kind: "constant" },
      { kind: "step_decay", every: { steps: 300 }, factor: 0.1 },
      { kind: "cosine", steps: { steps: 900 }, floor: 1e-4 },
      { kind: "warmup", steps: { steps: 100 }, then: { kind: "cosine", steps: { steps: 900 }, floor: 0 } },
    ]);
    expect([...new Set(sched.runs.map((r) => r.model.act))]).toEqual(["relu", "tanh", "sigmoid", "xtanh", "softplus", "identity"]);
  });
  it("model options and adam() with every default", () => {
    const r = run(sched, "sched=constant,act=tanh");
    expect(r.model).toMatchObject({ bias: false, norm: "batchnorm", dropout: 0.1, outputScale: 0.5, encode: null, init: "torch_default" });
    expect(r.optimizer).toEqual({ kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 });
    expect(probe(r, "batch_loss").cadences).toEqual([{ kind: "every", n: 1, unit: "steps" }]);
  });
});

describe("models-and-inits.dyn: encodings, schemes, per-layer and phase inits", () => {
  const enc = plan("models-and-inits.dyn", "encodings");
  it("4 encodings × 5 schemes = 20 runs with lowered encodings", () => {
    expect(enc.runs.length).toBe(20);
    const encodings = [...new Map(enc.runs.map((r) => [JSON.stringify(r.model.encode), r.model.encode])).values()];
    expect(encodings).toEqual([
      { kind: "coords", range: [-1, 1], domain: [0, 1] },
      { kind: "fourier", L: 3, include_input: false },
      { kind: "fourier", L: 2, include_input: true },
      { kind: "gaussian_features", sigma: 10, features: 32, include_input: false },
    ]);
    expect([...new Set(enc.runs.map((r) => r.model.init))]).toEqual(["torch_default", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal"]);
    expect(enc.runs[0]!.model.hidden).toEqual([64, 64]);
    expect(enc.runs[0]!.data["train"]).toMatchObject({ source: "grid", n: 256, axes: [{ name: "t", lo: 0, hi: 1, closedHi: false }], perSeed: false });
  });
  it("per-layer inits: later statements override earlier ones, role by role", () => {
    const r = plan("models-and-inits.dyn", "per_layer").runs[0]!;
    const std = 100 ** -1.5;
    expect(r.model.init).toEqual({
      default: "he_normal",
      layers: {
        hidden0: { weight: { kind: "fan_uniform", fan: "m_bar", power: -0.5, coef: 1 }, bias: { kind: "normal", mean: 0, std } },
        hidden1: { weight: { kind: "normal", mean: 0, std }, bias: { kind: "zeros" } },
        out: { weight: { kind: "fan_normal", fan: "m_in", power: -1, coef: 2 }, bias: { kind: "uniform", low: -0.01, high: 0.01 } },
      },
    });
    expect(r.data["train"]).toMatchObject({ source: "points", columns: { x: [-1, -1 / 3, 1 / 3, 1] } });
  });
  it("phase init follows the swept gamma", () => {
    const p = plan("models-and-inits.dyn", "phase_diagram");
    expect(p.runs.map((r) => r.model.init)).toEqual([0.5, 1, 1.75].map((gamma) => ({ kind: "phase", gamma, gamma_prime: 0.25 })));
  });
});

describe("data-sources.dyn: data blocks and synthetic sources; widths inferred", () => {
  it("two sampled inputs → inDim 2; a 2-D grid with one half-open axis", () => {
    const r = plan("data-sources.dyn", "two_inputs").runs[0]!;
    expect([r.model.inDim, r.model.outDim]).toEqual([2, 1]);
    expect(r.data["train"]).toMatchObject({ source: "sample", vars: [{ name: "x1", n: 500 }, { name: "x2", dist: { kind: "normal", mean: 0, std: 0.5 }, n: 500 }], perSeed: true });
    expect(r.data["plane"]).toMatchObject({ source: "grid", n: 21, axes: [{ name: "x1", closedHi: true }, { name: "x2", lo: -1, hi: 1, closedHi: false }] });
    // Both data sets have the same target expression: one shared function.
    expect(r.data["train"]!.target).toBe(r.data["plane"]!.target);
  });
  it("chebyshev brings its own target", () => {
    const r = plan("data-sources.dyn", "cheb").runs[0]!;
    expect(r.data["train"]).toEqual({ source: "chebyshev", degree: 8, n: 40, axes: [{ name: "x", lo: -1, hi: 1, closedHi: true }], perSeed: false });
    expect([r.model.inDim, r.model.outDim]).toEqual([1, 1]);
  });
  it("gaussian_mixture: inDim = d, outDim = classes, cross-entropy by default, per-seed data", () => {
    const r = plan("data-sources.dyn", "mixture").runs[0]!;
    expect(r.data["train"]).toEqual({ source: "gaussian_mixture", n: 600, d: 5, classes: 3, separation: 4, std: 1, perSeed: true });
    expect([r.model.inDim, r.model.outDim]).toEqual([5, 3]);
    expect(r.loss).toBe("cross_entropy");
    expect(r.duration).toEqual({ epochs: 20 });
    expect(probe(r, "acc").cadences).toEqual([{ kind: "every", n: 5, unit: "epochs" }]);
  });
  it("constant_image: the colour per channel, one image, standardised like its training set", () => {
    const r = plan("data-sources.dyn", "sky_probe").runs[0]!;
    expect(r.data["sky"]).toEqual({ source: "constant_image", size: 8, channels: 3, classes: 4, color: [0.53, 0.81, 0.92], label: 2, n: 1, standardize: "pixel", perSeed: false });
    expect(r.data["train"]).toMatchObject({ source: "gratings", standardize: "pixel" });
  });
  it("mnist and fashion_mnist: 784 → 10, options lowered with defaults", () => {
    const r = plan("data-sources.dyn", "digits").runs[0]!;
    expect(r.data["train"]).toEqual({ source: "mnist", split: "train", limit: 2000, dir: "data/mnist", normalize: "symmetric", standardize: "pixel", perSeed: false });
    expect(r.data["test"]).toEqual({ source: "fashion_mnist", split: "test", limit: 500, dir: null, normalize: "unit", standardize: "pixel", perSeed: false });
    expect([r.model.inDim, r.model.outDim]).toEqual([784, 10]);
    expect(r.model.hidden).toEqual([100, 100, 100]);
  });
});

describe("cadences.dyn: every cadence form", () => {
  const steps = plan("cadences.dyn", "by_steps").runs[0]!;
  const epochs = plan("cadences.dyn", "by_epochs").runs[0]!;
  it("in a steps run", () => {
    expect(steps.duration).toEqual({ steps: 1000 });
    expect(probe(steps, "every_ten").cadences).toEqual([{ kind: "every", n: 10, unit: "steps" }]);
    expect(probe(steps, "each").cadences).toEqual([{ kind: "every", n: 1, unit: "steps" }]);
    expect(probe(steps, "ends").cadences).toEqual([{ kind: "at", points: ["start"] }, { kind: "at", points: ["end"] }]);
    expect(probe(steps, "listed").cadences).toEqual([{ kind: "at", points: ["start", { step: 100 }, { step: 500 }, "end"] }]);
    expect(probe(steps, "both").cadences).toEqual([{ kind: "every", n: 250, unit: "steps" }, { kind: "at", points: ["end"] }]);
    expect(probe(steps, "tenths").cadences).toEqual([{ kind: "every", fraction: 0.1 }, { kind: "at", points: [{ fraction: 0.25 }] }]);
  });
  it("at first(…) becomes an event watching the probes its condition reads, constants folded into it", () => {
    expect(probe(steps, "spike").cadences).toEqual([{ kind: "on", event: "spike@first" }]);
    const probe_ = (name: string) => ({ op: "probe", name }) as const;
    expect(steps.events).toEqual([
      {
        name: "spike@first",
        watch: ["every_ten"],
        condition: {
          op: "compare",
          fn: "<",
          left: probe_("every_ten"),
          right: { op: "arith", fn: "/", left: { op: "arith", fn: "/", left: { op: "number", value: 2 }, right: { op: "number", value: 0.5 } }, right: { op: "number", value: 100 } },
        },
      },
      {
        // a probe pinned to a step: the event watches that probe too
        name: "halved@first",
        watch: ["every_ten"],
        condition: { op: "compare", fn: "<", left: probe_("every_ten"), right: { op: "arith", fn: "*", left: { op: "number", value: 0.5 }, right: { op: "select", arg: probe_("every_ten"), where: { steps: 0 } } } },
      },
      {
        name: "crossed@first",
        watch: ["listed", "every_ten", "ends"],
        condition: { op: "and", left: { op: "compare", fn: "<", left: probe_("listed"), right: probe_("every_ten") }, right: { op: "compare", fn: ">", left: probe_("ends"), right: { op: "number", value: 0 } } },
      },
    ]);
  });
  it("in an epochs run: bare numbers count epochs, `steps` stays steps", () => {
    expect(epochs.duration).toEqual({ epochs: 30 });
    expect(probe(epochs, "per_epoch").cadences).toEqual([{ kind: "every", n: 1, unit: "epochs" }]);
    expect(probe(epochs, "sparse").cadences).toEqual([{ kind: "every", n: 10, unit: "epochs" }]);
    expect(probe(epochs, "mixed").cadences).toEqual([{ kind: "every", n: 50, unit: "steps" }]);
    expect(probe(epochs, "marks").cadences).toEqual([{ kind: "at", points: ["start", { epoch: 5 }, { epoch: 20 }, "end"] }]);
    // A share counts the run's steps, whatever the unit of `train`.
    expect(probe(epochs, "eighths").cadences).toEqual([{ kind: "every", fraction: 0.125 }]);
  });
});

describe("analyses.dyn: analyses and expects compile to the IR", () => {
  const p = plan("analyses.dyn", "scaling");
  const analysis = (name: string) => p.analyses.find((a) => a.name === name)!.expr;
  it("3 widths × 2 activations, 4 seeds", () => {
    expect(p.runs.length).toBe(6);
    expect(p.seeds).toEqual([0, 1, 2, 3]);
    expect(run(p, "width=32,act=relu").model).toMatchObject({ hidden: [32], act: "relu", inDim: 1, outDim: 1 });
  });
  it("every let is an analysis, in order", () => {
    expect(p.analyses.map((a) => a.name)).toEqual(["final", "median_final", "spread", "q90", "late", "early", "fit", "alpha", "ratio"]);
  });
  it("reductions with over, quantile, time restrictions", () => {
    expect(analysis("median_final")).toEqual({ op: "reduce", fn: "median", arg: { op: "let", name: "final" }, over: ["seeds"] });
    expect(analysis("spread")).toEqual({ op: "reduce", fn: "std", arg: { op: "let", name: "final" }, over: ["seeds", "act"] });
    expect(analysis("q90")).toEqual({ op: "reduce", fn: "quantile", arg: { op: "let", name: "final" }, over: ["seeds"], q: 0.9 });
    expect(analysis("late")).toEqual({ op: "reduce", fn: "mean", arg: { op: "time", relation: "after", arg: { op: "probe", name: "test_loss" }, at: { fraction: 0.5 } }, over: ["seeds", "steps"] });
    expect(analysis("early")).toEqual({ op: "reduce", fn: "max", arg: { op: "time", relation: "before", arg: { op: "probe", name: "w" }, at: { step: 500 } }, over: [] });
  });
  it("a fit grouped by, a field, selections inside a map", () => {
    expect(analysis("fit")).toEqual({ op: "fit_power_law", y: { op: "let", name: "median_final" }, x: "width", by: ["act"] });
    expect(analysis("alpha")).toEqual({ op: "field", arg: { op: "let", name: "fit" }, name: "alpha" });
    expect(analysis("ratio")).toEqual({
      op: "map",
      fn: "log10",
      arg: { op: "arith", fn: "/", left: { op: "select", arg: { op: "let", name: "median_final" }, where: { width: 8 } }, right: { op: "select", arg: { op: "let", name: "median_final" }, where: { width: 32 } } },
    });
  });
  it("expects keep their text and line; in, within, comparisons, and/or/not", () => {
    expect(p.expects.length).toBe(10);
    expect(p.expects[0]).toEqual({ text: "alpha[act = silu] in [0.5, 4]", line: 25, expr: { op: "in", arg: { op: "select", arg: { op: "let", name: "alpha" }, where: { act: "silu" } }, lo: 0.5, hi: 4, closedHi: true } });
    expect(p.expects[2]!.expr).toMatchObject({ op: "in", lo: -4, hi: 0, closedHi: false });
    expect(p.expects[4]!.expr).toMatchObject({ op: "or", left: { op: "within", tolerance: { fraction: 0.1 } }, right: { op: "compare", fn: "<=", right: { op: "number", value: 0.01 } } });
    expect(p.expects[5]!.expr).toMatchObject({ op: "and", left: { op: "not" }, right: { op: "compare", fn: ">", left: { op: "map", fn: "abs" } } });
    expect(p.expects[6]!.expr).toMatchObject({ op: "compare", fn: "!=", left: { op: "reduce", fn: "min", over: ["seeds", "width", "act"] } });
    expect(p.expects[8]!.expr).toMatchObject({ op: "within", tolerance: { absolute: 0.5 }, reference: { op: "number", value: 0 } });
    expect(p.expects[9]!.expr).toEqual({ op: "compare", fn: ">", left: { op: "reduce", fn: "first", arg: { op: "probe", name: "test_loss" }, over: [] }, right: { op: "reduce", fn: "last", arg: { op: "probe", name: "test_loss" }, over: [] } });
  });
});

describe("analyses.dyn: plots", () => {
  const p = plan("analyses.dyn", "scaling");
  it("each plot statement is resolved with its data as analysis expressions", () => {
    expect(p.plots.map((x) => x.kind)).toEqual(["loglog", "line", "histogram"]);
    expect(p.plots[0]).toMatchObject({ line: 36, x: "width", color: "act", y: { op: "let", name: "median_final" }, refs: [{ kind: "power", exponent: -1 }] });
    expect(p.plots[1]).toMatchObject({ x: "steps", color: "width", facet: "act", y: { op: "probe", name: "test_loss" }, logY: true, logX: false });
    expect(p.plots[2]).toMatchObject({ values: { op: "let", name: "final" }, bins: 10, log10: true });
  });
});

describe("examples/quickstart.dyn", () => {
  const path = join(ROOT, "examples", "quickstart.dyn");
  const result = checkSource(readFileSync(path, "utf8"), path);
  const e = result.experiments[0]!;
  it("checks clean with 3 runs × 8 seeds by default and 3 × 4 in quick", () => {
    expect(result.diagnostics).toEqual([]);
    expect(e.profiles["default"]!.runs.length).toBe(3);
    expect(e.profiles["default"]!.seeds).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(e.profiles["quick"]!.seeds).toEqual([0, 1, 2, 3]);
    expect(e.profiles["quick"]!.runs[2]!.duration).toEqual({ steps: 600 });
  });
  it("lowers the schedule and infers 1 → 1 widths", () => {
    const r = e.profiles["default"]!.runs[2]!;
    expect(r.schedule).toEqual({ kind: "step_decay", every: { steps: 1000 }, factor: 0.3 });
    expect(r.duration).toEqual({ steps: 3000 });
    expect(r.model).toMatchObject({ inDim: 1, outDim: 1, hidden: [64], act: "silu" });
  });
});

describe("samplers.dyn: pair samplers lowered with their defaults, swept, checked against the data", () => {
  const image = plan("samplers.dyn", "image_pairs");
  it("a sweep over two samplers gives two runs, each probe's `pairs` the lowered sampler", () => {
    expect(image.runs.map((r) => probe(r, "h").args["pairs"])).toEqual([
      { kind: "patches", size: 4, count: 5, per: 10 },
      { kind: "opposite_quadrants", n: 50 },
    ]);
  });
  it("defaults fill every sampler argument; probe options pass through", () => {
    const r = image.runs[0]!;
    expect(probe(r, "h0").args).toEqual({ model: { ref: "net" }, data: { ref: "train" }, pairs: { kind: "random_pairs", n: 5000 }, layers: [0], normalize: true });
    expect(probe(r, "far").args["pairs"]).toEqual({ kind: "farthest", k: 3, anchors: 10 });
    expect(probe(r, "conf")).toMatchObject({ probe: "gradient_confusion", index: "pair", args: { pairs: { kind: "patches", size: 4, count: 100, per: 500 } } });
    expect(probe(r, "h")).toMatchObject({ probe: "hamming", fields: ["mean", "std"] });
  });
  it("1-D windows and row ranges; class-aware knn on class data", () => {
    const signal = plan("samplers.dyn", "signal_pairs").runs[0]!;
    expect(probe(signal, "local").args["pairs"]).toEqual({ kind: "windows", size: 50, count: 25, per: 100 });
    expect(probe(signal, "global").args["pairs"]).toEqual({ kind: "between", a: [0, 100], b: [156, 255], n: 500 });
    const classes = plan("samplers.dyn", "class_pairs").runs[0]!;
    expect(probe(classes, "near").args["pairs"]).toEqual({ kind: "knn", k: 5, anchors: 20, class: "different" });
  });
});

describe("diversity.dyn: the feature-diversity probes, per layer", () => {
  const r = plan("diversity.dyn", "diversity").runs[0]!;
  it("the cosine probes lower their pair kind and layers, and are indexed by layer with fields cosine and zero", () => {
    expect(probe(r, "fc")).toMatchObject({ probe: "feature_cosine", index: "layer", fields: ["cosine", "zero"], args: { pairs: "all", layers: null } });
    expect(probe(r, "across").args).toMatchObject({ layers: [2, 0], pairs: "different_class" });
    expect(probe(r, "grads")).toMatchObject({ probe: "feature_gradient_cosine", index: "layer", args: { pairs: "same_class" } });
  });
  it("`x during [lo, hi)` is `(x after lo) before hi`; `start` and `end` leave a side open", () => {
    const p = plan("diversity.dyn", "diversity");
    const analysis = (name: string) => p.analyses.find((a) => a.name === name)!.expr;
    const cosine = { op: "probe", name: "fc.cosine" } as const;
    const p1 = { op: "let", name: "p1" } as const;
    expect(analysis("rise")).toMatchObject({ op: "arith", left: { op: "reduce", fn: "last", arg: { op: "window", relation: "before", arg: cosine, bound: p1 } } });
    expect(analysis("middle")).toEqual({ op: "reduce", fn: "mean", over: [], arg: { op: "time", relation: "before", at: { fraction: 0.8 }, arg: { op: "time", relation: "after", at: { step: 20 }, arg: cosine } } });
    expect(p.analyses.map((a) => a.name)).not.toContain("phase1");
    expect(p.plots.at(-1)).toMatchObject({ y: { op: "window", relation: "after", arg: cosine, bound: p1 } });
  });
  it("gate agreement takes a sampler with its defaults filled", () => {
    expect(probe(r, "gates")).toMatchObject({ probe: "gate_agreement", index: "layer", fields: ["agreement"], args: { pairs: { kind: "knn", k: 5, anchors: 20, class: "different" }, layers: null } });
  });
});

describe("groups.dyn: groups of rows where a data set is expected, and index-set analyses", () => {
  const p = plan("groups.dyn", "groups");
  it("a swept group gives one run per group, named by it", () => {
    expect(p.runs.map((r) => r.id)).toEqual(["grp=train[0, 1, 2, 3]", "grp=random_subset(train, 4)"]);
    expect(probe(run(p, "grp=train[0, 1, 2, 3]"), "g_swept").args["data"]).toEqual({ ref: "train", rows: [0, 1, 2, 3] });
    expect(probe(run(p, "grp=random_subset(train, 4)"), "g_swept").args["data"]).toEqual({ ref: "train", random: { n: 4, seed: 0 } });
  });
  it("a let-bound group, a seeded random subset and a single row lower to their rows", () => {
    const r = p.runs[0]!;
    expect(probe(r, "g_pair").args).toEqual({ model: { ref: "net" }, data: { ref: "train", rows: [1, 5, 7] }, by: "layer" });
    expect(probe(r, "g_seeded").args["data"]).toEqual({ ref: "train", random: { n: 4, seed: 3 } });
    expect(probe(r, "l_row").args["data"]).toEqual({ ref: "train", rows: [7] });
    expect(probe(r, "g_pair").index).toBe("layer");
    expect(probe(r, "psl").index).toBe("point");
  });
  it("diff, top_k and bottom_k are library analysis functions with their `over` and `k`", () => {
    const expr = (name: string) => p.analyses.find((a) => a.name === name)!.expr;
    expect(expr("d")).toEqual({ op: "fn", name: "diff", args: [{ op: "probe", name: "psl" }], options: {}, over: ["steps"] });
    expect(expr("up")).toMatchObject({ op: "fn", name: "top_k", options: { k: 2 }, over: ["point"] });
    expect(expr("down")).toMatchObject({ op: "fn", name: "bottom_k", options: { k: 2 }, over: ["point"] });
  });
});
