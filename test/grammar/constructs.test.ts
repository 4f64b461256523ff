/**
 * Every construct of `.dyn` parses to the tree the language description says it means. Expected trees are
 * written by hand from LANGUAGE.md, in the compact notation of ast-print.ts.
 */
import { describe, expect, it } from "vitest";
import type * as A from "../../grammar/ast.js";
import { numberValue, unescapeString } from "../../grammar/parser.js";
import { printStmt } from "./ast-print.js";
import { bodyOf, expr, exprTree, parseClean, stmt, stmts } from "./helpers.js";

describe("top level", () => {
  it("imports, lets, experiments, data and models", () => {
    const p = parseClean(
      'import "common.dyn"\nlet m = 1000\ndata g = grid(x in [-1, 1], n: 201) -> sin(x)\nmodel base = mlp(in: 1, out: 1)\nexperiment a { seeds 3 }\nexperiment b { }\n',
    );
    expect(p.program.items.map(printStmt)).toEqual([
      'import "common.dyn"',
      "let m = 1000",
      "data g = grid(x in [(-1), 1], n: 201) -> sin(x)",
      "model base = mlp(in: 1, out: 1)",
      "experiment a { seeds 3 }",
      "experiment b {  }",
    ]);
  });

  it("an empty file and a file of comments are empty programs", () => {
    expect(parseClean("").program.items).toEqual([]);
    const p = parseClean("// line\n/* block\n spanning */\n");
    expect(p.program.items).toEqual([]);
    expect(p.program.comments.map((c) => [c.text, c.block])).toEqual([
      ["// line", false],
      ["/* block\n spanning */", true],
    ]);
  });

  it("comments are kept with their text and do not disturb statements", () => {
    const p = parseClean("experiment e { // trailing\n  seeds 3 /* inline */ train 1k steps\n}");
    expect(p.program.items.map(printStmt)).toEqual(["experiment e { seeds 3; train (1k steps) }"]);
    expect(p.program.comments.map((c) => c.text)).toEqual(["// trailing", "/* inline */"]);
  });

  it("`;` separates statements anywhere and parses to nothing", () => {
    expect(stmts("seeds 3; train 1k steps;; ; loss mse")).toEqual(["seeds 3", "train (1k steps)", "loss mse"]);
    expect(parseClean(";let a = 1;;experiment e { ; };").program.items.map(printStmt)).toEqual(["let a = 1", "experiment e {  }"]);
  });

  it("statements may share a line without separators", () => {
    expect(stmts("seeds 3 loss mse train 1k steps")).toEqual(["seeds 3", "loss mse", "train (1k steps)"]);
  });
});

describe("experiment statements", () => {
  it("let", () => {
    expect(stmt("let lr = 0.04")).toBe("let lr = 0.04");
  });

  it("sweeps: single axis, product of several lines, tuple with zip", () => {
    expect(stmts("sweep width in [10, 20, 30]\nsweep act in [silu, leaky_relu]")).toEqual([
      "sweep width in [10, 20, 30]",
      "sweep act in [silu, leaky_relu]",
    ]);
    expect(stmt("sweep (lr, bs) in zip([1e-3, 1e-2], [32, 64])")).toBe("sweep (lr, bs) in zip([1e-3, 1e-2], [32, 64])");
    const [tuple] = bodyOf("sweep (lr, bs) in zip([1], [2])") as [A.SweepStmt];
    expect(tuple.tuple).toBe(true);
    expect(tuple.vars.map((v) => v.name)).toEqual(["lr", "bs"]);
    const [single] = bodyOf("sweep w in 10..50 step 10") as [A.SweepStmt];
    expect(single.tuple).toBe(false);
    expect(printStmt(single)).toBe("sweep w in (10..50 step 10)");
    expect(stmt("sweep enc in [coords(range: [0, 1]), fourier(L: 3)]")).toBe("sweep enc in [coords(range: [0, 1]), fourier(L: 3)]");
  });

  it("seeds as a count and as a list", () => {
    expect(stmt("seeds 1000")).toBe("seeds 1000");
    expect(stmt("seeds 1k")).toBe("seeds 1k");
    expect(stmt("seeds [0, 7, 42]")).toBe("seeds [0, 7, 42]");
  });

  it("data blocks: samples with sizes and assignments, on one line or several", () => {
    expect(stmt("data train { x ~ uniform(-2, 2) [1024]; y = x^2 }")).toBe("data train { x ~ uniform((-2), 2) [1024]; y = (x ^ 2) }");
    expect(stmt("data d {\n  x ~ normal(std: 1)\n  n ~ normal(0, 0.1) [4k]\n  y = sin(x) + n\n}")).toBe(
      "data d { x ~ normal(std: 1); n ~ normal(0, 0.1) [4k]; y = (sin(x) + n) }",
    );
    const [data] = bodyOf("data t { x ~ uniform(-1, 1) [2 * 512] }") as [A.DataStmt];
    const sample = data.block![0] as A.SampleStmt;
    expect(sample.kind).toBe("Sample");
    expect(sample.distribution.kind).toBe("Call");
    expect(sample.size?.kind).toBe("Binary");
  });

  it("data = source -> target, and real-data calls without a target", () => {
    const [d] = bodyOf("data test = grid(x in [-2, 2], n: 4096) -> x^2") as [A.DataStmt];
    expect(printStmt(d)).toBe("data test = grid(x in [(-2), 2], n: 4096) -> (x ^ 2)");
    expect(d.source?.kind).toBe("Call");
    expect(d.target?.kind).toBe("Binary");
    expect(d.block).toBeUndefined();
    const [real] = bodyOf("data digits = mnist(split: train, limit: 2000)") as [A.DataStmt];
    expect(printStmt(real)).toBe("data digits = mnist(split: train, limit: 2000)");
    expect(real.target).toBeUndefined();
    expect(stmt("data c = chebyshev(degree: 8, n: 40, x in [-1, 1])")).toBe("data c = chebyshev(degree: 8, n: 40, x in [(-1), 1])");
  });

  it("models: call form and block form with named and unnamed layers", () => {
    expect(stmt("model net = mlp(in: 1, hidden: [128] * 4, out: 1, act: relu)")).toBe(
      "model net = mlp(in: 1, hidden: ([128] * 4), out: 1, act: relu)",
    );
    const [m] = bodyOf("model cnn {\n  conv1 = conv2d(filters: 32, kernel: 3)\n  relu\n  flatten; head = dense(10)\n  dropout(0.1)\n}") as [A.ModelStmt];
    expect(printStmt(m)).toBe("model cnn { conv1 = conv2d(filters: 32, kernel: 3); relu; flatten; head = dense(10); dropout(0.1) }");
    expect(m.value).toBeUndefined();
    const layers = m.layers as A.LayerStmt[];
    expect(layers.map((l) => l.name?.name ?? null)).toEqual(["conv1", null, null, "head", null]);
  });

  it("init with a target and a scheme, and a scheme alone", () => {
    const [withTarget, schemeOnly] = bodyOf("init net.hidden[*] ~ normal(std: m ^ -gamma)\ninit phase(gamma: 1.75, gamma_prime: 0)") as [
      A.InitStmt,
      A.InitStmt,
    ];
    expect(printStmt(withTarget)).toBe("init target=net.hidden[*] scheme=normal(std: (m ^ (-gamma)))");
    expect(withTarget.target?.kind).toBe("Index");
    expect(printStmt(schemeOnly)).toBe("init scheme=phase(gamma: 1.75, gamma_prime: 0)");
    expect(schemeOnly.target).toBeUndefined();
    expect(stmt("init net.layers[0] ~ glorot_uniform")).toBe("init target=net.layers[0] scheme=glorot_uniform");
  });

  it("loss, regularize, optimizer and schedule clauses", () => {
    const body = bodyOf(
      "loss mse\nloss cross_entropy\nregularize l2(1e-4)\noptimizer adam(lr: 1e-2, eps: 1e-8)\nschedule step_decay(every: 10k steps, factor: 0.2)",
    ) as A.ClauseStmt[];
    expect(body.map((c) => c.keyword)).toEqual(["loss", "loss", "regularize", "optimizer", "schedule"]);
    expect(body.map(printStmt)).toEqual([
      "loss mse",
      "loss cross_entropy",
      "regularize l2(1e-4)",
      "optimizer adam(lr: 1e-2, eps: 1e-8)",
      "schedule step_decay(every: (10k steps), factor: 0.2)",
    ]);
  });

  it("train with units and options", () => {
    expect(stmt("train 50k steps, batch full")).toBe("train (50k steps), batch full");
    expect(stmt("train 1000 epochs, batch 8192, shuffle once")).toBe("train (1000 epochs), batch 8192, shuffle once");
    expect(stmt("train 3k steps")).toBe("train (3k steps)");
    const [t] = bodyOf("train 2M steps, shuffle every_epoch") as [A.TrainStmt];
    expect(t.options.map((o) => o.name)).toEqual(["shuffle"]);
    const q = t.duration as A.QuantityExpr;
    expect(q.kind).toBe("Quantity");
    expect(q.unit).toBe("steps");
    expect((q.value as A.NumberLit).value).toBe(2_000_000);
  });

  it("probes with every cadence form", () => {
    expect(stmts(
      [
        "probe a = sharpness(net, train, k: 1) every 10 steps",
        "probe b = per_sample_loss(net, train) every step",
        "probe c = hamming(net, train) every 25 epochs",
        "probe d = loss(net, test) at end",
        "probe e = neuron_features(net.hidden[0]) at [start, 100, end]",
        "probe f = opposing_groups(losses, k: 5) at first(sharp > 2/lr)",
        "probe g = loss(net, train) every 100 steps, at end",
        "probe h = loss(net, train) every epoch at [start, end]",
        "probe i = loss(net, train)",
      ].join("\n"),
    )).toEqual([
      "probe a = sharpness(net, train, k: 1) | every (10 steps)",
      "probe b = per_sample_loss(net, train) | every (steps)",
      "probe c = hamming(net, train) | every (25 epochs)",
      "probe d = loss(net, test) | at end",
      "probe e = neuron_features(net.hidden[0]) | at [start, 100, end]",
      "probe f = opposing_groups(losses, k: 5) | at first((sharp > (2 / lr)))",
      "probe g = loss(net, train) | every (100 steps) | at end",
      "probe h = loss(net, train) | every (epochs) | at [start, end]",
      "probe i = loss(net, train)",
    ]);
    const [p] = bodyOf("probe s = f(x) every step, every 5 epochs, at first(a > 1)") as [A.ProbeStmt];
    expect(p.cadences.map((c) => c.kind)).toEqual(["Every", "Every", "AtFirst"]);
    const bare = (p.cadences[0] as A.EveryCadence).interval as A.QuantityExpr;
    expect(bare).toMatchObject({ kind: "Quantity", unit: "steps" });
    expect(bare.value).toBeUndefined();
  });

  it("probes limited to sweep points, and cross-run values read at a point", () => {
    expect(stmts(
      [
        "probe top[opt = gd] = hessian(net, train) at 100",
        "probe h[lr in [0.1, 0.2], width = 4] = loss(net, train) every step",
        "probe p = project(net, along: top[opt = gd, at 150 steps]) every step",
        "probe q = project(net, along: top[opt = gd, at first(sharp > 2 / lr)]) every step",
      ].join("\n"),
    )).toEqual([
      "probe top[opt = gd] = hessian(net, train) | at 100",
      "probe h[(lr in [0.1, 0.2]), width = 4] = loss(net, train) | every (steps)",
      "probe p = project(net, along: top[opt = gd, at (150 steps)]) | every (steps)",
      "probe q = project(net, along: top[opt = gd, at first((sharp > (2 / lr)))]) | every (steps)",
    ]);
  });

  it("expect with in, within … of, and comparisons", () => {
    expect(stmts(
      [
        "expect alpha[act = silu] in [0.7, 1.3]",
        "expect max(sharp after 50%) within 15% of 2/lr",
        "expect dirs[gamma = 1.75] == 2",
        "expect mean(h_local) over seeds < mean(h_global) over seeds",
        "expect a != b",
        "expect a <= 1 and b >= 2",
        "expect rising(fcos[variant = plain] during phase1)",
      ].join("\n"),
    )).toEqual([
      "expect (alpha[act = silu] in [0.7, 1.3])",
      "expect (max((sharp after (50%))) within (15%) of (2 / lr))",
      "expect (dirs[gamma = 1.75] == 2)",
      "expect ((mean(h_local) over seeds) < (mean(h_global) over seeds))",
      "expect (a != b)",
      "expect ((a <= 1) and (b >= 2))",
      "expect rising((fcos[variant = plain] during phase1))",
    ]);
  });

  it("plot", () => {
    expect(stmt("plot loglog(median_loss vs width, color: act, ref: [width^-1, width^-4])")).toBe(
      "plot loglog((median_loss vs width), color: act, ref: [(width ^ (-1)), (width ^ (-4))])",
    );
    expect(stmt("plot line(h_local, color: enc, band: std over seeds)")).toBe("plot line(h_local, color: enc, band: (std over seeds))");
    expect(stmt("plot heatmap(spec.rel_error, x: step, y: frequency)")).toBe("plot heatmap(spec.rel_error, x: step, y: frequency)");
  });

  it("profile blocks hold ordinary statements", () => {
    expect(stmt("profile quick { sweep width in [10, 20]; seeds 16; train 3k steps }")).toBe(
      "profile quick { sweep width in [10, 20]; seeds 16; train (3k steps) }",
    );
    expect(stmt("profile tiny {\n  seeds [0]\n  optimizer gd(lr: 0.1)\n}")).toBe("profile tiny { seeds [0]; optimizer gd(lr: 0.1) }");
  });

  it("statement keywords are ordinary names inside expressions", () => {
    expect(stmt("probe l = loss(net, test) at end")).toBe("probe l = loss(net, test) | at end");
    expect(stmt("let phase1 = plateau(loss)")).toBe("let phase1 = plateau(loss)");
    expect(stmt("plot line(train, x: step, y: epochs, data: model)")).toBe("plot line(train, x: step, y: epochs, data: model)");
  });
});

describe("literals", () => {
  it("strings with escapes", () => {
    const s = exprTree(String.raw`"a\"b\\c\nd\te\u{1F525}f"`) as A.StringLit;
    expect(s.kind).toBe("String");
    expect(s.value).toBe('a"b\\c\nd\te\u{1F525}f');
    expect((exprTree('""') as A.StringLit).value).toBe("");
    expect((exprTree('"σ² → 0"') as A.StringLit).value).toBe("σ² → 0");
    expect(unescapeString(String.raw`"\u{110000}"`)).toBe(String.raw`\u{110000}`);
  });

  it("numbers with k/M suffixes and exponents keep their text and value", () => {
    const cases: [string, number][] = [
      ["12", 12], ["0.5", 0.5], ["1e-3", 1e-3], ["2E+4", 2e4], ["1.5e2", 150],
      ["50k", 50_000], ["2M", 2_000_000], ["1.5k", 1500], ["1e3k", 1e6], ["0", 0],
    ];
    for (const [text, value] of cases) {
      const n = exprTree(text) as A.NumberLit;
      expect(n.kind, text).toBe("Number");
      expect(n.text).toBe(text);
      expect(n.value).toBeCloseTo(value, 12);
      expect(numberValue(text)).toBeCloseTo(value, 12);
    }
  });

  it("booleans", () => {
    expect(exprTree("true")).toMatchObject({ kind: "Bool", value: true });
    expect(exprTree("false")).toMatchObject({ kind: "Bool", value: false });
  });

  it("lists, half-open intervals, tuples and parentheses", () => {
    expect(expr("[]")).toBe("[]");
    expect(expr("[1, 2, 3,]")).toBe("[1, 2, 3]");
    expect(expr("[0, 1)")).toBe("[0, 1)");
    expect(exprTree("[0, 1)").kind).toBe("Interval");
    expect(exprTree("[0, 1]").kind).toBe("List");
    expect(expr("[-pi, pi)")).toBe("[(-pi), pi)");
    expect(expr("(1, 2)")).toBe("tuple(1, 2)");
    expect(expr("(1,)")).toBe("tuple(1)");
    expect(expr("(1)")).toBe("paren(1)");
    expect(expr("[[1, 2], [3]]")).toBe("[[1, 2], [3]]");
  });
});

describe("expressions", () => {
  it("ranges with and without step", () => {
    expect(expr("10..50")).toBe("(10..50)");
    expect(expr("10..50 step 10")).toBe("(10..50 step 10)");
    expect(expr("0..1 step 0.1")).toBe("(0..1 step 0.1)");
    expect(expr("1..n + 1 step 2 * k")).toBe("(1..(n + 1) step (2 * k))");
  });

  it("comprehensions and bindings in call arguments", () => {
    expect(expr("sum(k in 5..70 step 5: sin(2*pi*k*t))")).toBe("sum(k in (5..70 step 5): sin((((2 * pi) * k) * t)))");
    expect(expr("grid(x in [-1, 1], n: 201)")).toBe("grid(x in [(-1), 1], n: 201)");
    expect(expr("grid(t in [0, 1), n: 2048)")).toBe("grid(t in [0, 1), n: 2048)");
    const call = exprTree("sum(k in 1..3: k)") as A.CallExpr;
    expect(call.args[0]).toMatchObject({ kind: "Binding", name: { name: "k" } });
    expect((call.args[0] as A.BindingArg).body).toBeDefined();
    const domainOnly = exprTree("grid(x in [0, 1])") as A.CallExpr;
    expect((domainOnly.args[0] as A.BindingArg).body).toBeUndefined();
  });

  it("named arguments may use reserved words as names", () => {
    expect(expr("mlp(in: 1, out: 1)")).toBe("mlp(in: 1, out: 1)");
    expect(expr("step_decay(every: 10k steps, by: 2, at: 3)")).toBe("step_decay(every: (10k steps), by: 2, at: 3)");
    expect(expr("f()")).toBe("f()");
    expect(expr("f(a, b,)")).toBe("f(a, b)");
  });

  it("selectors, wildcards, indices and members", () => {
    expect(expr("alpha[act = silu]")).toBe("alpha[act = silu]");
    expect(expr("final[width = 10, lr = 1e-3]")).toBe("final[width = 10, lr = 1e-3]");
    expect(expr("net.hidden[*]")).toBe("net.hidden[*]");
    expect(expr("net.layers[0].weight")).toBe("net.layers[0].weight");
    expect(expr("feats.angle")).toBe("feats.angle");
    expect(expr("x[i + 1]")).toBe("x[(i + 1)]");
    const idx = exprTree("a[*, b = 1, 2]") as A.IndexExpr;
    expect(idx.items.map((i) => i.kind)).toEqual(["Wildcard", "Selector", "Number"]);
  });

  it("percent and units", () => {
    expect(expr("50%")).toBe("(50%)");
    expect(expr("10k steps")).toBe("(10k steps)");
    expect(expr("1 step")).toBe("(1 steps)");
    expect(expr("3 epoch")).toBe("(3 epochs)");
    expect(expr("x%")).toBe("(x%)");
  });

  it("over and by, after and during, before", () => {
    expect(expr("median(final_loss) over seeds")).toBe("(median(final_loss) over seeds)");
    expect(expr("fit_power_law(median_loss ~ width) by act")).toBe("(fit_power_law((median_loss ~ width)) by act)");
    expect(expr("sharp after 50%")).toBe("(sharp after (50%))");
    expect(expr("fcos during phase1")).toBe("(fcos during phase1)");
    expect(expr("loss before 100 steps")).toBe("(loss before (100 steps))");
  });

  it("~ and vs, not/and/or", () => {
    expect(expr("median_loss ~ width")).toBe("(median_loss ~ width)");
    expect(expr("median_loss vs width")).toBe("(median_loss vs width)");
    expect(expr("not a and b or c")).toBe("(((not a) and b) or c)");
    expect(expr("not not a")).toBe("(not (not a))");
  });
});
