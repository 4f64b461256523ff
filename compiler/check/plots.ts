/**
 * `plot` statements lowered to the runtime's `PlotSpec`: the data arguments are analysis expressions,
 * the rest (colour, facet, band, references, axes) are checked against the plot's registry entry.
 */
import type * as A from "../../grammar/ast.js";
import type { AnalysisExpr, HeatmapSnapshot, PlotMark, PlotReference, PlotSpec } from "../../contract/program.js";
import { registry } from "../../stdlib/registry/index.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { SourceFile } from "../../diagnostics/source.js";
import { closest } from "../../diagnostics/suggest.js";
import { AnalysisCompiler, foldConstant, indexDimensions, type AnalysisScope } from "./analysis.js";
import { formatNumber } from "./values.js";

type Args = { positional: A.Expr[]; named: Map<string, A.NamedArg> };

export class PlotCompiler {
  private readonly analysis: AnalysisCompiler;

  constructor(
    private readonly diagnostics: Diagnostic[],
    private readonly source: SourceFile,
  ) {
    this.analysis = new AnalysisCompiler(diagnostics);
  }

  compile(stmt: A.PlotStmt, scope: AnalysisScope): PlotSpec | undefined {
    const call = stmt.value;
    const name = call.kind === "Call" && call.callee.kind === "Name" ? call.callee.name : undefined;
    const entry = name ? registry.get("plot", name) : undefined;
    if (!entry || call.kind !== "Call") {
      const near = name ? closest(name, registry.ofKind("plot").map((e) => e.name)) : undefined;
      this.report(diagnostic("DYN2010", call.kind === "Call" ? call.callee.span : call.span, { kind: "plot", name: name ?? "?" }, { hint: near ? `did you mean \`${near}\`?` : `plots: ${registry.ofKind("plot").map((e) => e.name).join(", ")}` }));
      return undefined;
    }
    const args = this.args(call, entry.params.map((p) => p.name), entry.name);
    if (!args) return undefined;
    const base = {
      text: this.source.text.slice(stmt.span.start, stmt.span.end),
      line: stmt.span.line,
      color: this.dimArg(args, "color", scope),
      facet: this.dimArg(args, "facet", scope),
      title: this.stringArg(args, "title"),
    };
    if (base.color === undefined || base.facet === undefined || base.title === undefined) return undefined;
    switch (entry.name) {
      case "line":
        return this.line(call, args, scope, base as PlotBaseChecked);
      case "loglog":
        return this.loglog(call, args, scope, base as PlotBaseChecked);
      case "scatter": {
        const [x, y] = args.positional;
        if (!x || !y || args.positional.length !== 2) return this.fail(call, "`scatter` takes two results: `scatter(x, y)`");
        const xe = this.analysis.compile(x, scope);
        const ye = this.analysis.compile(y, scope);
        const log = this.logArg(args);
        const shadeArg = args.named.get("shade");
        if (shadeArg && base.color !== null) return this.fail(shadeArg.value, "a scatter is coloured by `color` (a dimension) or by `shade` (a result's value), not both");
        const shade = shadeArg ? this.analysis.compile(shadeArg.value, scope) : null;
        const panelsArg = args.named.get("panels");
        if (panelsArg && base.facet !== null) return this.fail(panelsArg.value, "a scatter is split into panels by `facet` (a dimension) or by `panels` (a result's value), not both");
        const panels = panelsArg ? this.analysis.compile(panelsArg.value, scope) : null;
        if (!xe || !ye || !log || shade === undefined || panels === undefined) return undefined;
        return {
          ...(base as PlotBaseChecked),
          kind: "scatter",
          x: xe,
          y: ye,
          xLabel: this.text(x),
          yLabel: this.text(y),
          ...log,
          ...(shade && shadeArg ? { shade: { expr: shade, label: this.text(shadeArg.value) } } : {}),
          ...(panels && panelsArg ? { panels: { expr: panels, label: this.text(panelsArg.value) } } : {}),
        };
      }
      case "heatmap":
        return this.heatmap(call, args, scope, base as PlotBaseChecked);
      case "image":
        return this.image(call, args, scope, base as PlotBaseChecked);
      case "phase_plane": {
        const values = args.positional[0];
        if (!values || args.positional.length !== 1) return this.fail(call, "`phase_plane` takes one result per (γ, γ'): `phase_plane(observed)`");
        const expr = this.analysis.compile(values, scope);
        const gamma = this.dimArg(args, "gamma", scope);
        const gammaPrime = this.dimArg(args, "gamma_prime", scope);
        if (!expr || gamma === undefined || gammaPrime === undefined) return undefined;
        return { ...(base as PlotBaseChecked), kind: "phase_plane", values: expr, label: this.text(values), gamma: gamma ?? "gamma", gamma_prime: gammaPrime ?? "gamma_prime" };
      }
      case "histogram":
      case "density": {
        const values = args.positional[0];
        if (!values || args.positional.length !== 1) return this.fail(call, `\`${entry.name}\` takes one result: \`${entry.name}(final_loss)\``);
        const { inner, log10 } = unwrapLog10(values);
        const expr = this.analysis.compile(inner, scope);
        if (!expr) return undefined;
        // The renderer prefixes "log₁₀" itself when log10 is set, so the label is the inner expression.
        const label = this.text(inner);
        if (entry.name === "density") return { ...(base as PlotBaseChecked), kind: "density", values: expr, label, log10 };
        const bins = this.numberArg(args, "bins", 30);
        if (bins === undefined || !Number.isInteger(bins) || bins < 1 || bins > 1000) return this.fail(args.named.get("bins") ?? call, "`bins` must be a whole number from 1 to 1000");
        return { ...(base as PlotBaseChecked), kind: "histogram", values: expr, label, bins, log10 };
      }
    }
    return undefined;
  }

  private line(call: A.CallExpr, args: Args, scope: AnalysisScope, base: PlotBaseChecked): PlotSpec | undefined {
    const results = lineResults(args.positional);
    if (results.length === 0) return this.fail(call, "`line` takes a result, or several: `line(sharp)`, `line([train_loss, test_loss])`");
    const compiled = results.map((r) => this.analysis.compile(r, scope));
    const expr = compiled.every((e) => e !== undefined) ? compiled[0] : undefined;
    const series = results.length > 1 && expr ? results.map((r, i) => ({ y: compiled[i]!, label: this.text(r) })) : null;
    // Only a line's x may be training time in epochs (the report divides steps by each run's steps per epoch).
    const x = this.dimArg(args, "x", scope, ["epochs"]) ?? "steps";
    const band = this.band(args, scope);
    const refs = this.refs(args, scope, undefined);
    const log = this.logArg(args);
    const marks = this.marks(args, scope);
    if (!expr || band === undefined || !refs || !log || !marks) return undefined;
    const yLabel = series ? series.map((r) => r.label).join(", ") : this.text(results[0]!);
    return { ...base, kind: "line", y: expr, yLabel, x, band, refs, ...log, ...(marks.length ? { marks } : {}), ...(series ? { series } : {}) };
  }

  /** `mark: groups` / `mark: [snap, learned_at]`: probes (their measurement steps) or analyses (step values). */
  private marks(args: Args, scope: AnalysisScope): PlotMark[] | undefined {
    const arg = args.named.get("mark");
    if (!arg) return [];
    const items = arg.value.kind === "List" ? arg.value.items : [arg.value];
    const out: PlotMark[] = [];
    for (const item of items) {
      const label = this.text(item);
      if (item.kind === "Name" && scope.probes.has(item.name)) {
        // A probe with fields records one series per field; any of them has the measurement steps.
        const fields = scope.probeShapes?.get(item.name)?.fields;
        out.push({ kind: "probe", name: fields ? `${item.name}.${fields[0]}` : item.name, label });
        continue;
      }
      if (item.kind === "Name" && !scope.analyses.has(item.name) && !scope.failed.has(item.name)) {
        const near = closest(item.name, [...scope.probes, ...scope.analyses]);
        this.report(diagnostic("DYN2044", item.span, { name: label, problem: "it is not a probe or an analysis of this experiment" }, near ? { hint: `did you mean \`${near}\`?` } : {}));
        return undefined;
      }
      const expr = this.analysis.compile(item, scope);
      if (!expr) return undefined;
      if (foldConstant(expr) !== undefined) {
        this.report(diagnostic("DYN2044", item.span, { name: label, problem: "a constant is not a step to mark; a horizontal line is `ref:`" }));
        return undefined;
      }
      out.push({ kind: "steps", expr, label });
    }
    return out;
  }

  /** `heatmap(cos, at: [start, end], facet: gamma)` (a matrix probe) or `heatmap(err, x: steps, y: frequency)`. */
  private heatmap(call: A.CallExpr, args: Args, scope: AnalysisScope, base: PlotBaseChecked): PlotSpec | undefined {
    const values = args.positional[0];
    if (!values || args.positional.length !== 1) return this.fail(call, "`heatmap` takes one result: `heatmap(cos)` or `heatmap(err, x: steps, y: frequency)`");
    const x = this.dimArg(args, "x", scope);
    const y = this.dimArg(args, "y", scope);
    const range = this.rangeArg(args, scope);
    const logArg = args.named.get("log");
    const orderArg = args.named.get("order");
    if (x === undefined || y === undefined || range === undefined) return undefined;
    if (logArg && !(logArg.value.kind === "Name" && (logArg.value.name === "color" || logArg.value.name === "none"))) return this.fail(logArg.value, "`log` of a heatmap is `color` (a log colour scale) or `none`");
    if (orderArg && !(orderArg.value.kind === "Name" && (orderArg.value.name === "eigen" || orderArg.value.name === "none"))) return this.fail(orderArg.value, "`order` is `eigen` (leading-eigenvector order) or `none`");
    const common = { label: this.text(values), range, logColor: logArg?.value.kind === "Name" && logArg.value.name === "color", order: orderArg?.value.kind === "Name" && orderArg.value.name === "eigen" ? ("eigen" as const) : ("none" as const) };
    if ((x === null) !== (y === null)) return this.fail(args.named.get(x === null ? "y" : "x")!, "a heatmap of a table needs both `x:` and `y:`");
    if (x !== null && y !== null) {
      for (const name of ["at", "seed", "order"]) {
        const arg = args.named.get(name);
        if (arg) return this.fail(arg, `\`${name}\` applies to a matrix probe's snapshots; a heatmap over \`x\` and \`y\` draws a result table (reduce or select it instead)`);
      }
      if (x === y) return this.fail(args.named.get("y")!, "`x` and `y` must be different dimensions");
      const expr = this.analysis.compile(values, scope);
      if (!expr) return undefined;
      return { ...base, kind: "heatmap", data: { source: "table", values: expr, x, y }, ...common };
    }
    const probe = this.matrixProbe(values, scope);
    const at = this.snapshots(args);
    const seed = this.seedArg(args);
    if (!probe || !at || seed === undefined) return undefined;
    if (base.facet !== null && base.facet !== "seeds" && !scope.sweepVars.includes(base.facet)) return this.fail(args.named.get("facet")!, "a matrix heatmap is faceted by a sweep variable or `seeds`");
    return { ...base, kind: "heatmap", data: { source: "matrix", probe, at, seed }, ...common };
  }

  /**
   * `image(f.output)`, `image(f.output, f.output1, f.output2)` (RGB) or `image(f.region)`: values of one
   * `outputs` probe (directly or reduced), drawn at that probe's recorded coordinates `x0`, `x1`.
   */
  private image(call: A.CallExpr, args: Args, scope: AnalysisScope, base: PlotBaseChecked): PlotSpec | undefined {
    const values = args.positional;
    const name = values.map((v) => this.text(v)).join(", ");
    const bad = (node: { span: A.Expr["span"] }, problem: string, hint?: string): undefined => (this.report(diagnostic("DYN2045", node.span, { name, problem }, hint ? { hint } : {})), undefined);
    if (values.length !== 1 && values.length !== 3) return bad(call, `takes one result (colour-mapped) or three (red, green, blue), got ${values.length}`);
    const exprs: AnalysisExpr[] = [];
    for (const v of values) {
      const e = this.analysis.compile(v, scope);
      if (!e) return undefined;
      exprs.push(e);
    }
    // Every value must read fields of one probe that records input coordinates over `point` (`outputs`).
    const used = new Set(exprs.flatMap(probeNames));
    const probes = new Set([...used].map((p) => p.split(".")[0]!));
    const gridProbe = [...probes].filter((p) => isCoordinateProbe(scope.probeShapes?.get(p)));
    if (gridProbe.length !== 1 || probes.size !== 1) {
      const other = [...probes].find((p) => !isCoordinateProbe(scope.probeShapes?.get(p)));
      const problem =
        probes.size === 0
          ? "its values name no probe; an image needs the fields of an `outputs` probe in the call (a `let` hides them), e.g. `image(median(f.output) over seeds)`"
          : gridProbe.length > 1 || (gridProbe.length === 1 && probes.size > 1)
            ? `its values come from several probes (${[...probes].map((p) => `\`${p}\``).join(", ")}); an image draws one probe's points`
            : `\`${other}\` records no input coordinates over \`point\``;
      return bad(values[0]!, problem, "record the network's output on a two-input grid with `probe f = outputs(net, grid_data) at [start, end]`, then `plot image(f.output)`");
    }
    const probe = gridProbe[0]!;
    const colors = exprs.length === 3 ? "rgb" : used.has(`${probe}.region`) ? "regions" : "scale";
    if (colors === "regions" && used.size > 1) return bad(values[0]!, "region ids are drawn as they are; combine `region` with nothing else");
    const range = this.rangeArg(args, scope);
    const at = this.snapshots(args);
    const seed = this.seedArg(args);
    if (range === undefined || !at || seed === undefined) return undefined;
    if (range !== null && colors !== "scale") return bad(args.named.get("range")!, colors === "rgb" ? "an RGB image has a fixed range: each channel is clipped to [0, 1]" : "region ids get categorical colours, not a colour range");
    if (base.facet !== null && base.facet !== "seeds" && !scope.sweepVars.includes(base.facet)) return bad(args.named.get("facet")!, "an image is faceted by a sweep variable or `seeds`");
    const coord = (i: number): AnalysisExpr => ({ op: "probe", name: `${probe}.x${i}` });
    return { ...base, kind: "image", values: exprs, label: name, labels: values.map((v) => this.text(v)), coords: [coord(0), coord(1)], coordLabels: [`${probe}.x0`, `${probe}.x1`], colors, at, seed, range };
  }

  /** The probe a matrix heatmap draws; DYN2043 for analyses, expressions and probes known to be per-unit or multi-valued. */
  private matrixProbe(values: A.Expr, scope: AnalysisScope): string | undefined {
    const name = this.text(values);
    const what = (w: string, hint = "give `x:` and `y:` to draw it over two of its dimensions, e.g. `x: steps, y: frequency`"): undefined => (this.report(diagnostic("DYN2043", values.span, { name, what: w }, { hint })), undefined);
    if (values.kind !== "Name") return what("an expression, not a probe");
    if (scope.analyses.has(values.name) || scope.failed.has(values.name)) return what("an analysis (a table), not a probe");
    if (!scope.probes.has(values.name)) {
      const near = closest(values.name, [...scope.probes]);
      this.report(diagnostic("DYN2023", values.span, { what: "probe", name: values.name }, near ? { hint: `did you mean \`${near}\`?` } : {}));
      return undefined;
    }
    const shape = scope.probeShapes?.get(values.name);
    if (shape?.index) {
      const field = shape.fields ? `${values.name}.${shape.fields[0]}` : values.name;
      return what(`a per-unit probe (one value per \`${shape.index}\`)`, `draw it over steps and its units: \`heatmap(${field}, x: steps, y: ${shape.index})\``);
    }
    if (shape?.fields) return what(`a probe of several values (${shape.fields.map((f) => `\`${values.name}.${f}\``).join(", ")})`);
    if (!shape?.matrix) return what("a probe of one number per seed, not a matrix", "a matrix probe is e.g. `cosine_similarity(net)`; a series is drawn with `plot line`");
    return values.name;
  }

  /** `at: end` (default), `at: start`, `at: 500`, `at: [start, end]`. */
  private snapshots(args: Args): HeatmapSnapshot[] | undefined {
    const arg = args.named.get("at");
    if (!arg) return ["end"];
    const items = arg.value.kind === "List" ? arg.value.items : [arg.value];
    const out: HeatmapSnapshot[] = [];
    for (const item of items) {
      if (item.kind === "Name" && (item.name === "start" || item.name === "init" || item.name === "end")) out.push(item.name === "end" ? "end" : "start");
      else if (item.kind === "Number" && Number.isInteger(item.value) && item.value >= 0) out.push({ step: item.value });
      else return this.fail(item, "a snapshot is `start`, `end` or a step, like `at: [start, 500, end]`");
    }
    if (out.length === 0) return this.fail(arg.value, "`at` needs at least one snapshot");
    return out;
  }

  private seedArg(args: Args): number | null | undefined {
    const arg = args.named.get("seed");
    if (!arg) return null;
    const v = numeric(arg.value);
    return v !== undefined && Number.isInteger(v) ? v : this.fail(arg.value, "`seed` is one of the experiment's seed values, like `seed: 0`");
  }

  /** `range: [-1, 1]`: constants, low < high. */
  private rangeArg(args: Args, scope: AnalysisScope): readonly [number, number] | null | undefined {
    const arg = args.named.get("range");
    if (!arg) return null;
    const items = arg.value.kind === "List" ? arg.value.items : [];
    const bounds = items.map((item) => {
      const compiled = this.analysis.compile(item, scope);
      return compiled ? foldConstant(compiled) : undefined;
    });
    const [lo, hi] = bounds;
    if (bounds.length !== 2 || lo === undefined || hi === undefined || !(lo < hi)) return this.fail(arg.value, "`range` is a colour domain `[low, high]` of two constants, low < high, like `range: [-1, 1]`");
    return [lo, hi];
  }

  private loglog(call: A.CallExpr, args: Args, scope: AnalysisScope, base: PlotBaseChecked): PlotSpec | undefined {
    const relation = args.positional[0];
    if (!relation || args.positional.length !== 1 || relation.kind !== "Binary" || relation.op !== "vs") {
      return this.fail(call, "`loglog` takes `y vs x` with x a sweep variable: `loglog(median_loss vs width)`");
    }
    if (relation.right.kind !== "Name" || !scope.sweepVars.includes(relation.right.name)) {
      return this.fail(relation.right, `the right side of \`vs\` must be a sweep variable${scope.sweepVars.length ? ` (${scope.sweepVars.join(", ")})` : ""}`);
    }
    const x = relation.right.name;
    const y = this.analysis.compile(relation.left, scope);
    const fitArg = args.named.get("fit");
    const fit = fitArg ? fitArg.value.kind === "Bool" && fitArg.value.value : true;
    if (fitArg && fitArg.value.kind !== "Bool") return this.fail(fitArg.value, "`fit` is `true` or `false`");
    const refs = this.refs(args, scope, x);
    if (!y || !refs) return undefined;
    return { ...base, kind: "loglog", y, yLabel: this.text(relation.left), x, fit, refs };
  }

  /** `band: std over seeds` or `band: range over seeds`. */
  private band(args: Args, scope: AnalysisScope): { fn: "std" | "range"; over: string } | null | undefined {
    const arg = args.named.get("band");
    if (!arg) return null;
    const v = arg.value;
    if (v.kind === "Binary" && v.op === "over" && v.left.kind === "Name" && (v.left.name === "std" || v.left.name === "range") && v.right.kind === "Name") {
      const over = v.right.name === "seed" ? "seeds" : v.right.name;
      if (over !== "seeds" && !scope.sweepVars.includes(over)) return this.fail(v.right, `a band runs over \`seeds\` or a sweep variable, not \`${v.right.name}\``);
      return { fn: v.left.name, over };
    }
    return this.fail(v, "`band` is `std over seeds` (mean ± std) or `range over seeds` (min–max)");
  }

  /** `ref: 2/lr` (a line) or, on log-log plots, `ref: [width^-1, width^-4]` (power laws). */
  private refs(args: Args, scope: AnalysisScope, powerVar: string | undefined): PlotReference[] | undefined {
    const arg = args.named.get("ref");
    if (!arg) return [];
    const items = arg.value.kind === "List" ? arg.value.items : [arg.value];
    const out: PlotReference[] = [];
    for (const item of items) {
      const label = this.text(item);
      if (powerVar) {
        const exponent = powerExponent(item, powerVar);
        if (exponent === undefined) return this.fail(item, `a reference on a log-log plot is a power of \`${powerVar}\`, like \`${powerVar}^-1\``);
        out.push({ kind: "power", exponent, label });
        continue;
      }
      const compiled = this.analysis.compile(item, scope);
      if (!compiled) return undefined;
      const value = foldConstant(compiled);
      if (value === undefined && readsOnlySweeps(compiled)) {
        out.push({ kind: "sweep", expr: compiled, label });
        continue;
      }
      if (value === undefined) return this.fail(item, "a reference line is a constant or reads numeric sweep variables only, like `ref: 2/lr`");
      out.push({ kind: "constant", value, label: `${label} = ${formatNumber(value)}` });
    }
    return out;
  }

  private args(call: A.CallExpr, params: readonly string[], fn: string): Args | undefined {
    const positional: A.Expr[] = [];
    const named = new Map<string, A.NamedArg>();
    for (const a of call.args) {
      if (a.kind === "Positional") positional.push(a.value);
      else if (a.kind === "Binding") return this.fail(a, "a plot takes results and options, not `x in …` bindings");
      else if (!params.includes(a.name.name)) {
        const near = closest(a.name.name, params);
        this.report(diagnostic("DYN2011", a.name.span, { fn, param: a.name.name }, { hint: near ? `did you mean \`${near}\`?` : `parameters: ${params.join(", ")}` }));
        return undefined;
      } else if (named.has(a.name.name)) {
        this.report(diagnostic("DYN2013", a.name.span, { param: a.name.name, fn }));
        return undefined;
      } else named.set(a.name.name, a);
    }
    return { positional, named };
  }

  private dimArg(args: Args, name: string, scope: AnalysisScope, extra: readonly string[] = []): string | null | undefined {
    const arg = args.named.get(name);
    if (!arg) return null;
    const v = arg.value;
    const dims = ["seeds", "steps", ...extra, ...scope.sweepVars, ...indexDimensions(scope)];
    if (v.kind === "Name") {
      const dim = v.name === "seed" ? "seeds" : v.name === "step" || v.name === "time" ? "steps" : v.name === "epoch" && extra.includes("epochs") ? "epochs" : v.name;
      if (dims.includes(dim)) return dim;
      const near = closest(v.name, dims);
      this.report(diagnostic("DYN2023", v.span, { what: "dimension", name: v.name }, { hint: near ? `did you mean \`${near}\`?` : `dimensions: ${dims.join(", ")}` }));
      return undefined;
    }
    return this.fail(v, `\`${name}\` is a dimension: ${dims.map((d) => `\`${d}\``).join(", ")}`);
  }

  private stringArg(args: Args, name: string): string | null | undefined {
    const arg = args.named.get(name);
    if (!arg) return null;
    return arg.value.kind === "String" ? arg.value.value : this.fail(arg.value, `\`${name}\` is a string`);
  }

  private numberArg(args: Args, name: string, fallback: number): number | undefined {
    const arg = args.named.get(name);
    if (!arg) return fallback;
    return arg.value.kind === "Number" ? arg.value.value : undefined;
  }

  private logArg(args: Args): { logX: boolean; logY: boolean } | undefined {
    const arg = args.named.get("log");
    if (!arg) return { logX: false, logY: false };
    const v = arg.value;
    if (v.kind === "Name" && ["none", "x", "y", "xy"].includes(v.name)) return { logX: v.name.includes("x"), logY: v.name.includes("y") };
    return this.fail(v, "`log` is `none`, `x`, `y` or `xy`");
  }

  private text(e: A.Expr): string {
    return this.source.text.slice(e.span.start, e.span.end);
  }

  private fail(node: { span: A.Expr["span"] }, problem: string): undefined {
    this.report(diagnostic("DYN2041", node.span, { problem }));
    return undefined;
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }
}

type PlotBaseChecked = { text: string; line: number; color: string | null; facet: string | null; title: string | null };

/** The probes (`f.output`) an analysis expression reads. */
function probeNames(e: unknown): string[] {
  if (typeof e !== "object" || e === null) return [];
  const node = e as { op?: unknown; name?: unknown };
  if (node.op === "probe" && typeof node.name === "string") return [node.name];
  return Object.values(e).flatMap(probeNames);
}

/** Whether a probe records input coordinates `x0`, `x1` over `point` (the `outputs` probe). */
function isCoordinateProbe(shape: { readonly fields?: readonly string[]; readonly index?: string } | undefined): boolean {
  return shape?.index === "point" && (shape.fields?.includes("x0") ?? false) && (shape.fields?.includes("x1") ?? false);
}

function unwrapLog10(e: A.Expr): { inner: A.Expr; log10: boolean } {
  if (e.kind === "Call" && e.callee.kind === "Name" && e.callee.name === "log10" && e.args.length === 1 && e.args[0]!.kind === "Positional") {
    return { inner: e.args[0].value, log10: true };
  }
  return { inner: e, log10: false };
}

/** `width^-1` → −1; `width^(-4)` → −4; `1/width` → −1; `width` → 1. */
function powerExponent(e: A.Expr, v: string): number | undefined {
  if (e.kind === "Paren") return powerExponent(e.inner, v);
  if (e.kind === "Name" && e.name === v) return 1;
  if (e.kind === "Binary" && e.op === "^" && e.left.kind === "Name" && e.left.name === v) return numeric(e.right);
  if (e.kind === "Binary" && e.op === "/" && e.left.kind === "Number" && e.left.value === 1) {
    const inner = powerExponent(e.right, v);
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}

function numeric(e: A.Expr): number | undefined {
  if (e.kind === "Number") return e.value;
  if (e.kind === "Paren") return numeric(e.inner);
  if (e.kind === "Unary" && e.op === "-") {
    const v = numeric(e.operand);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

/** Whether a reference is numbers and numeric sweep variables under arithmetic and math functions (`2/lr`). */
function readsOnlySweeps(e: AnalysisExpr): boolean {
  switch (e.op) {
    case "number":
    case "sweep":
      return true;
    case "neg":
    case "map":
      return readsOnlySweeps(e.arg);
    case "arith":
      return readsOnlySweeps(e.left) && readsOnlySweeps(e.right);
    default:
      return false;
  }
}

/** The results a line plot draws: `line(a)`, `line(a, b)` or `line([a, b])` (one series each). */
function lineResults(positional: readonly A.Expr[]): readonly A.Expr[] {
  const only = positional[0];
  if (positional.length === 1 && only!.kind === "List") return only.items;
  return positional;
}
