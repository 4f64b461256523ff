/**
 * Checking one experiment and expanding it into a run plan per profile: statements are gathered by
 * slot (profiles replace slots), sweeps expand into points, and every point's data, model, optimizer,
 * schedule, training and probes are resolved against the registry and lowered to the runtime's specs.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import type { AnalysisExpr, AnalysisSpec, CheckpointSpec, DataSpec, EventSpecData, ExpectSpec, MlpModelSpec, ModelSpec, PlotSpec, ProbeSpec, ProfilePlan, RunSpec, SweepAxis, SweepValue } from "../../contract/program.js";
import { checkpointCadence, checkpointWrites } from "../../contract/program.js";
import { runId } from "../../contract/plan.js";
import { crossRunUses, type CrossRunRef } from "../../contract/handoff.js";
import { METRIC_COLUMNS, RESULT_LEAD_COLUMNS, SERIES_DIMS } from "../../contract/results.js";
import { everySharePoints, everyShareSteps, OPTIMIZER_STATS, type Cadence, type CadencePoint, type OptimizerSpec, type OptimizerStat } from "../../contract/training-specs.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import type { SourceFile, Span } from "../../diagnostics/source.js";
import { AnalysisCompiler, isCondition, probesOf, type AnalysisScope } from "./analysis.js";
import { resolveFoundSets } from "./found-sets.js";
import { measuredAt, nonElementwise, pinsOf, showCadence } from "./event-conditions.js";
import { checkSamplerNeeds } from "./samplers.js";
import { checkCrossRuns, selectProducer, type CrossRunSpans } from "./cross-run.js";
import { describePoints, measuredAtPoint, probePoints, probesUnder, type ProbePoints } from "./probe-points.js";
import { checkConvNet, type LoweredConvNet } from "./conv-model.js";
import { checkLayerModel, type LayerAddresses, listAddresses, shorthandAddresses } from "./layer-model.js";
import { PointEnv, type Definitions } from "./env.js";
import { PlotCompiler } from "./plots.js";
import { compileTimeFunctions, Evaluator, type Env } from "./evaluate.js";
import { CallResolver, type RefScope } from "./resolve-call.js";
import { TargetCompiler, type TargetCode } from "./targets.js";
import { checkSeedList } from "./seeds.js";
import { blockRoles, experimentInputs, reportSampledUse, reportSharedSamples, type ExperimentInputs } from "./data-inputs.js";
import { showValue, type NumberValue, type Value } from "./values.js";
import { baseEffective, definedNames, overlay, singleSlot, statementText, type Effective, type Provenance, type SingleSlot } from "./overlay.js";
import { layerGeometry, modelLayers } from "../../contract/layer-list.js";
import { dataSetSize } from "../../stdlib/registry/data-size.js";
import { brokenRules, registry, resultShape, type DataSourceShape, type Entry, type Lowered, type ResultShape } from "../../stdlib/registry/index.js";

/** Most runs one profile may expand to: a 100 × 100 sweep. Past this, planning alone takes minutes. */
export const MAX_RUNS = 10_000;

/** Most trainable parameters of one seed's network (400 MB of float32 per seed). */
export const MAX_PARAMETERS = 1e8;

/** Most samples in one data set (the largest real data set, CIFAR-10 and MNIST, hold 60,000). */
export const MAX_SAMPLES = 1e7;

/** Target code shared by runs whose target is the same function. */
export interface TargetEntry {
  readonly id: string;
  readonly code: TargetCode;
  /** `.dyn` line and text of the target expression, for comments in generated code. */
  readonly line: number;
  readonly text: string;
}

/**
 * A profile's plan as checked: every sweep point's run in full (the checker resolves each point on its
 * own), and the sweep axes the points come from, for the plan template (contract/plan.ts `planTemplate`).
 */
export interface CheckedProfile extends ProfilePlan {
  readonly axes: readonly SweepAxis[];
  /** The statements in effect when a profile or command-line overrides changed any (else empty), for `dync plan`. */
  readonly settings: readonly Setting[];
}

/** One statement in effect, as text, and what set parts of it (nothing for a statement as the experiment wrote it). */
export interface Setting {
  readonly text: string;
  readonly from: readonly Provenance[];
}

/** Command-line overrides of one profile: `apply` lays them over the statements in effect (compiler/check/overrides.ts). */
export interface ProfileOverrides {
  readonly profile: string;
  apply(effective: Effective[], exp: A.ExperimentStmt): Effective[];
}

export interface CheckedExperiment {
  readonly name: string;
  readonly span: Span;
  readonly sweepVars: readonly string[];
  readonly profiles: Readonly<Record<string, CheckedProfile>>;
  readonly targets: ReadonlyMap<string, TargetEntry>;
}

/** Definitions at the top level of a file, visible in every experiment. */
export interface TopLevel {
  readonly lets: ReadonlyMap<string, A.Expr>;
  readonly data: readonly A.DataStmt[];
  readonly models: readonly A.ModelStmt[];
}

/** Everything statement-level the plan needs, gathered from the statements in effect. */
interface Gathered {
  single: Map<SingleSlot, A.Statement>;
  lets: A.LetStmt[];
  sweeps: A.SweepStmt[];
  data: A.DataStmt[];
  models: A.ModelStmt[];
  inits: A.InitStmt[];
  probes: A.ProbeStmt[];
  expects: A.ExpectStmt[];
  plots: A.PlotStmt[];
}

/** Inputs and outputs of a data set at one point, for shape inference (a data source's `shape`, or a data block's). */
type DataShape = DataSourceShape;

export class ExperimentChecker {
  private readonly evaluator: Evaluator;
  private targets = new Map<string, TargetEntry>();
  private targetIds = new Map<string, string>();
  /** The sweep axes of the profile being planned (cross-run selections pick a point among them). */
  private axes: readonly (readonly Map<string, Value>[])[] = [];
  /** Where each cross-run argument (`probe.param`) is written, for the checks over a profile's runs. */
  private crossRunSpans: CrossRunSpans = new Map();
  /** The sweep points each limited probe (`probe top[opt = gd] = …`) of the profile being planned is measured at. */
  private probePoints: ProbePoints = new Map();
  /** Who set the training length of the profile being planned, when not the experiment: ` (set by profile `quick`)`. */
  private lengthSetBy = "";
  /** `h[…, at first(…)]` arguments of the run being built (`param` a name or a position), then of every run. */
  private pendingEvents: { probe: string; param: string | number; ref: string; from: Record<string, SweepValue>; cadence: A.FirstCadence }[] = [];
  private handoffEvents: { reader: string; probe: string; param: string; ref: string; from: Record<string, SweepValue>; cadence: A.FirstCadence }[] = [];

  constructor(
    private readonly source: SourceFile,
    private readonly top: TopLevel,
    private readonly diagnostics: Diagnostic[],
    /** Sources other than the file whose spans statements may carry (the command line's overrides). */
    private readonly extraSources: ReadonlyMap<string, SourceFile> = new Map(),
  ) {
    this.evaluator = new Evaluator(diagnostics);
  }

  /**
   * The experiment's plan per profile. `overrides` (command-line `key=value`, compiler/check/overrides.ts)
   * apply after the profile it names, to that profile only.
   */
  check(exp: A.ExperimentStmt, overrides?: ProfileOverrides): CheckedExperiment {
    // Targets belong to one experiment's program.
    this.targets = new Map();
    this.targetIds = new Map();
    const base = exp.body.filter((s) => s.kind !== "Profile");
    this.reportDuplicates(base);
    this.reportColumnClashes(base);
    // Keyed by user names (`constructor`, `__proto__` are legal): no prototype to collide with.
    const profiles: Record<string, CheckedProfile> = Object.create(null) as Record<string, CheckedProfile>;
    // Top-level data sets and models are the experiment's too: a profile overrides them per key as well.
    const baseStatements = baseEffective([...this.top.data, ...this.top.models, ...base]);
    const defaultGathered = this.gather(baseStatements.map((e) => e.statement));
    const sweepVars = defaultGathered.sweeps.flatMap((s) => s.vars.map((v) => v.name));
    const planOf = (name: string, effective: Effective[], reportMissing: boolean): CheckedProfile => {
      const final = overrides && overrides.profile === name ? overrides.apply(effective, exp) : effective;
      const gathered = final === baseStatements ? defaultGathered : this.gather(final.map((e) => e.statement));
      this.lengthSetBy = lengthSetBy(final);
      return { ...this.plan(exp, gathered, reportMissing), settings: final === baseStatements ? [] : this.settings(final) };
    };
    profiles["default"] = planOf("default", baseStatements, true);
    for (const p of exp.body) {
      if (p.kind !== "Profile") continue;
      if (profiles[p.name.name]) {
        this.report(diagnostic("DYN2022", p.name.span, { name: p.name.name }));
        continue;
      }
      this.reportDuplicates(p.body.filter((s) => s.kind !== "Profile"));
      this.reportColumnClashes(p.body);
      this.reportPartialSweeps(base, p.body);
      for (const nested of p.body.filter((s) => s.kind === "Profile")) {
        this.report(diagnostic("DYN2041", nested.span, { problem: "a profile cannot contain another profile" }));
      }
      profiles[p.name.name] = planOf(p.name.name, overlay(baseStatements, p.body, `profile ${p.name.name}`), false);
    }
    this.warnUnusedSweeps(exp, defaultGathered);
    return { name: exp.name.name, span: exp.span, sweepVars, profiles, targets: this.targets };
  }

  /** DYN2022 on a profile's sweep of some, not all, of the variables one base sweep zips (it would sweep them twice). */
  private reportPartialSweeps(base: readonly A.Statement[], profile: readonly A.Statement[]): void {
    for (const s of profile) {
      if (s.kind !== "Sweep") continue;
      const names = s.vars.map((v) => v.name).join(",");
      for (const b of base) {
        if (b.kind !== "Sweep" || b.vars.map((v) => v.name).join(",") === names) continue;
        const shared = s.vars.find((v) => b.vars.some((w) => w.name === v.name));
        if (!shared) continue;
        const together = `(${b.vars.map((v) => v.name).join(", ")})`;
        this.report(diagnostic("DYN2022", shared.span, { name: shared.name }, { related: [{ message: `the experiment sweeps it as part of ${together}`, span: b.span }], hint: `a profile replaces a sweep over the same variables: write \`sweep ${together} in …\`` }));
      }
    }
  }

  /** The statements in effect, as `dync plan` shows them: each one's text and where its overridden keys came from. */
  private settings(effective: readonly Effective[]): Setting[] {
    return effective
      .filter((e) => e.statement.kind !== "Expect" && e.statement.kind !== "Plot" && e.statement.kind !== "ErrorStatement")
      .map((e) => ({ text: statementText(e.statement, (span) => this.textOf(span)), from: e.from }));
  }

  private textOf(span: Span): string {
    const source = span.file === this.source.path ? this.source : this.extraSources.get(span.file);
    return (source?.text.slice(span.start, span.end) ?? "").replace(/\s+/g, " ");
  }

  // ── statements in effect ───────────────────────────────────────────────────
  private gather(statements: readonly A.Statement[]): Gathered {
    const g: Gathered = { single: new Map(), lets: [], sweeps: [], data: [...this.top.data], models: [...this.top.models], inits: [], probes: [], expects: [], plots: [] };
    for (const s of statements) {
      const slot = singleSlot(s);
      // The first of duplicated statements counts (the second is reported); profiles replace via overlay().
      if (slot) {
        if (!g.single.has(slot)) g.single.set(slot, s);
      }
      else if (s.kind === "Let") g.lets.push(s);
      else if (s.kind === "Sweep") g.sweeps.push(s);
      else if (s.kind === "Data") g.data = [...g.data.filter((d) => d.name.name !== s.name.name), s];
      else if (s.kind === "Model") g.models = [...g.models.filter((m) => m.name.name !== s.name.name), s];
      else if (s.kind === "Init") g.inits.push(s);
      else if (s.kind === "Probe") g.probes.push(s);
      else if (s.kind === "Expect") g.expects.push(s);
      else if (s.kind === "Plot") g.plots.push(s);
    }
    return g;
  }

  private reportDuplicates(statements: readonly A.Statement[]): void {
    const seenSlot = new Map<string, A.Statement>();
    const seenName = new Map<string, A.Identifier>();
    for (const s of statements) {
      const slot = singleSlot(s);
      if (slot) {
        const first = seenSlot.get(slot);
        if (first) this.report(diagnostic("DYN2020", s.span, { keyword: slot }, { related: [{ message: "the first one is here", span: first.span }] }));
        else seenSlot.set(slot, s);
      }
      for (const id of definedNames(s)) {
        const first = seenName.get(id.name);
        if (first) this.report(diagnostic("DYN2022", id.span, { name: id.name }, { related: [{ message: "first defined here", span: first.span }] }));
        else seenName.set(id.name, id);
      }
    }
  }

  /**
   * DYN2024 on a sweep variable named like a metrics column (the recorder would refuse it at run time),
   * DYN2025 on one named like a built-in dimension or a results.csv column (nothing would refuse it).
   */
  private reportColumnClashes(statements: readonly A.Statement[]): void {
    const columns: ReadonlySet<string> = new Set(METRIC_COLUMNS);
    for (const s of statements) {
      if (s.kind !== "Sweep") continue;
      for (const v of s.vars.filter((id) => columns.has(id.name))) {
        this.report(diagnostic("DYN2024", v.span, { name: v.name }, { hint: `rename it, e.g. \`${v.name}_\`; the metrics columns are ${METRIC_COLUMNS.join(", ")} and one per sweep variable` }));
      }
      for (const v of s.vars) {
        const what = reservedDimensionName(v.name);
        if (what) this.report(diagnostic("DYN2025", v.span, { name: v.name, what }, { hint: `rename it, e.g. \`${v.name}_\`` }));
      }
    }
  }

  // ── the plan of one profile ────────────────────────────────────────────────
  private plan(exp: A.ExperimentStmt, g: Gathered, reportMissing: boolean): Omit<CheckedProfile, "settings"> {
    const probeNames = new Set(g.probes.map((p) => p.name.name));
    const { constants, analyses } = this.classifyLets(g.lets, probeNames);
    const results = new Map<string, string>([
      ...[...probeNames].map((n) => [n, `the probe \`${n}\``] as const),
      ...analyses.map((l) => [l.name.name, `the analysis \`${l.name.name}\``] as const),
    ]);
    const defs: Definitions = { lets: new Map([...this.top.lets, ...constants.map((l) => [l.name.name, l.value] as const)]), results, analyses: new Set(analyses.map((l) => l.name.name)) };
    const sweepVars = g.sweeps.flatMap((s) => s.vars.map((v) => v.name));
    const { axes, failed: failedSweeps } = this.sweepAxes(g.sweeps, defs, new Set(sweepVars));
    const seeds = this.seeds(g.single.get("seeds"), defs);
    const runs: RunSpec[] = [];
    if (!this.runCountFits(g.sweeps, axes)) return { seeds, runs, analyses: [], expects: [], plots: [], axes: [] };
    this.axes = axes;
    this.crossRunSpans = new Map();
    const baseEnv = new PointEnv(defs, new Map(), this.evaluator, new Set(sweepVars), failedSweeps);
    this.probePoints = probePoints(g.probes, axes, baseEnv, (d) => this.report(d));
    this.handoffEvents = [];
    const envs = new Map<string, PointEnv>();
    for (const point of product(axes)) {
      const env = new PointEnv(defs, point, this.evaluator, new Set(), failedSweeps);
      env.evaluateAll();
      this.pendingEvents = [];
      const run = this.run(exp, g, env, point, reportMissing && runs.length === 0);
      if (!run) continue;
      runs.push(run);
      envs.set(run.id, env);
      for (const e of this.pendingEvents) {
        const param = typeof e.param === "string" ? e.param : this.positionalParam(run, e.probe, e.param);
        if (param !== undefined) this.handoffEvents.push({ ...e, reader: run.id, param });
      }
    }
    this.measureAtHandoffSteps(runs);
    this.placeHandoffEvents(runs, envs, probeNames);
    this.optimizerStatsReported(g, runs);
    if (this.crossRunSpans.size > 0 && runs.length === axes.reduce((n, a) => n * a.length, 1)) checkCrossRuns(runs, this.crossRunSpans, this.probePoints, (d) => this.report(d));
    const shapes = probeShapes(g.probes, runs);
    const numericSweepVars = numericSweeps(axes);
    const windows = windowLets(g.lets);
    const zipped = zippedVariables(g.sweeps);
    const letProbes = new Map<string, Set<string>>();
    const limited = { probePoints: this.probePoints, letProbes };
    const analysisSpecs = this.analyses(analyses, probeNames, shapes, { sweepVars, numericSweepVars, zipped, ...limited }, baseEnv, windows);
    const withSets = resolveFoundSets(runs, analysisSpecs, g.probes, (d) => this.report(d));
    if (withSets) runs.splice(0, runs.length, ...withSets);
    else runs.length = 0;
    const failed = new Set(analyses.map((l) => l.name.name).filter((n) => !analysisSpecs.some((a) => a.name === n) && !windows.has(n)));
    const conditions = new Set<string>();
    for (const a of analysisSpecs) if (isCondition(a.expr, conditions)) conditions.add(a.name);
    const scope = { probes: probeNames, probeShapes: shapes, analyses: new Set(analysisSpecs.map((a) => a.name)), failed, sweepVars, numericSweepVars, zipped, env: baseEnv, windows, conditions, ...limited };
    const compiler = new AnalysisCompiler(this.diagnostics);
    const expects: ExpectSpec[] = [];
    for (const e of g.expects) {
      const expr = compiler.compile(e.condition, scope);
      if (expr) expects.push({ text: this.text(e.condition.span), line: e.span.line, expr });
    }
    const plotter = new PlotCompiler(this.diagnostics, this.source);
    const plots = g.plots.map((p) => plotter.compile(p, scope)).filter((p): p is PlotSpec => p !== undefined);
    return { seeds, runs, analyses: analysisSpecs, expects, plots, axes: axes.map(sweepAxis) };
  }

  /** The cross product of the sweeps within MAX_RUNS, else DYN3002 on the sweeps (checked before expanding it). */
  private runCountFits(sweeps: readonly A.SweepStmt[], axes: readonly unknown[][]): boolean {
    const count = axes.reduce((n, axis) => n * axis.length, 1);
    if (count <= MAX_RUNS) return true;
    const [first, ...rest] = sweeps;
    const span = rest.length ? { ...first!.span, end: rest.at(-1)!.span.end, endLine: rest.at(-1)!.span.endLine, endCol: rest.at(-1)!.span.endCol } : first!.span;
    this.report(diagnostic("DYN3002", span, { count: count.toLocaleString("en-US"), limit: MAX_RUNS.toLocaleString("en-US") }));
    return false;
  }

  /** A data set's samples within MAX_SAMPLES, else DYN3004 on its statement. */
  private dataFits(d: A.DataStmt, spec: DataSpec): boolean {
    const count = dataSetSize(spec) ?? 0;
    if (count <= MAX_SAMPLES) return true;
    this.report(diagnostic("DYN3004", d.span, { name: d.name.name, count: count.toLocaleString("en-US"), limit: MAX_SAMPLES.toLocaleString("en-US") }));
    return false;
  }

  /** A network's parameters per seed within MAX_PARAMETERS, else DYN3003 on its model statement. */
  private networkFits(model: ModelSpec, g: Gathered): boolean {
    const geometry = layerGeometry(modelLayers(model).layers, modelLayers(model).inShape);
    if (!Array.isArray(geometry)) return true;
    const count = geometry.reduce((a, l) => a + l.params, 0);
    if (count <= MAX_PARAMETERS) return true;
    const m = g.models[0]!;
    this.report(diagnostic("DYN3003", (m.value ?? m).span, { model: m.name.name, count: count.toLocaleString("en-US"), limit: MAX_PARAMETERS.toLocaleString("en-US") }));
    return false;
  }

  /** A let is an analysis when it reads a probe or an analysis, or groups, fits or restricts in time. */
  private classifyLets(lets: readonly A.LetStmt[], probes: ReadonlySet<string>): { constants: A.LetStmt[]; analyses: A.LetStmt[] } {
    const constants: A.LetStmt[] = [];
    const analyses: A.LetStmt[] = [];
    const resultNames = new Set(probes);
    for (const l of lets) {
      if (isAnalysis(l.value, resultNames)) {
        analyses.push(l);
        resultNames.add(l.name.name);
      } else constants.push(l);
    }
    return { constants, analyses };
  }

  /** The values of each sweep; variables of sweeps that failed are returned as `failed`. */
  private sweepAxes(sweeps: readonly A.SweepStmt[], defs: Definitions, sweepVars: ReadonlySet<string>): { axes: Map<string, Value>[][]; failed: Set<string> } {
    const env = new PointEnv(defs, new Map(), this.evaluator, sweepVars);
    const axes: Map<string, Value>[][] = [];
    const failed = new Set<string>();
    for (const s of sweeps) {
      const values = this.evaluator.eval(s.values, env);
      const fail = () => s.vars.forEach((v) => failed.add(v.name));
      if (!values) {
        fail();
        continue;
      }
      if (values.kind !== "list" || values.items.length === 0) {
        this.report(diagnostic("DYN2004", s.values.span, { what: "a sweep", expected: "a non-empty list like `[10, 20, 30]` or a range", got: showValue(values) }));
        fail();
        continue;
      }
      const names = s.vars.map((v) => v.name);
      const axis: Map<string, Value>[] = [];
      for (const item of values.items) {
        if (names.length === 1) axis.push(new Map([[names[0]!, item]]));
        else if (item.kind === "list" && item.items.length === names.length) axis.push(new Map(names.map((n, i) => [n, item.items[i]!])));
        else {
          this.report(diagnostic("DYN2004", s.values.span, { what: `each value of the sweep over (${names.join(", ")})`, expected: `a list of ${names.length} values, as \`zip(…)\` gives`, got: showValue(item) }));
          fail();
          break;
        }
      }
      if (!s.vars.some((v) => failed.has(v.name)) && this.distinctValues(s, axis)) axes.push(axis);
      else fail();
    }
    return { axes, failed };
  }

  /** DYN3005 on a sweep value whose run id another value of the sweep already has (`[0.1, 0.1]`, `[1, "1"]`). */
  private distinctValues(s: A.SweepStmt, axis: readonly Map<string, Value>[]): boolean {
    const seen = new Set<string>();
    for (const [i, item] of axis.entries()) {
      const run = runId(Object.fromEntries([...item].map(([k, v]) => [k, sweepValue(v)])));
      if (!seen.has(run)) {
        seen.add(run);
        continue;
      }
      // The repeated item's own span when the values are written out as a list, else the whole list.
      const span = s.values.kind === "List" && s.values.items.length === axis.length ? s.values.items[i]!.span : s.values.span;
      const value = item.size === 1 ? showValue([...item.values()][0]!) : `(${[...item.values()].map(showValue).join(", ")})`;
      this.report(diagnostic("DYN3005", span, { vars: s.vars.map((v) => `\`${v.name}\``).join(", "), value, run }));
      return false;
    }
    return true;
  }

  private seeds(stmt: A.Statement | undefined, defs: Definitions): number[] {
    if (!stmt || stmt.kind !== "Seeds") return [0];
    const v = this.evaluator.eval(stmt.value, new PointEnv(defs, new Map(), this.evaluator));
    if (v?.kind === "number" && Number.isInteger(v.value) && v.value >= 1 && v.value <= 1_000_000 && !v.unit) {
      return Array.from({ length: v.value }, (_, i) => i);
    }
    if (v?.kind === "list" && v.items.length > 0 && v.items.every((i) => i.kind === "number" && !i.unit)) {
      const list = v.items.map((i) => (i as { value: number }).value);
      return checkSeedList(list, stmt.value, this.diagnostics) ? list : [0];
    }
    if (v) this.report(diagnostic("DYN2004", stmt.value.span, { what: "`seeds`", expected: "a count ≥ 1 or a list of distinct whole numbers in [0, 2^32)", got: showValue(v) }));
    return [0];
  }

  // ── one run ────────────────────────────────────────────────────────────────
  private run(exp: A.ExperimentStmt, g: Gathered, env: PointEnv, point: ReadonlyMap<string, Value>, reportMissing: boolean): RunSpec | undefined {
    const refs = refScope(g);
    const resolver = new CallResolver(this.diagnostics, refs);
    const data: Record<string, DataSpec> = Object.create(null) as Record<string, DataSpec>;
    const shapes = new Map<string, DataShape>();
    const inputs = experimentInputs(g.data, this.diagnostics);
    for (const d of g.data) {
      const built = this.dataSpec(d, env, resolver, inputs);
      if (built && this.dataFits(d, built.spec)) {
        data[d.name.name] = built.spec;
        shapes.set(d.name.name, built.shape);
      }
    }
    reportSharedSamples(g.data, data, this.diagnostics);
    const trainOn = this.trainingData(exp, g, reportMissing);
    if (trainOn && !this.standardizedLikeTraining(g, data, trainOn)) return undefined;
    const built = this.model(exp, g, env, resolver, trainOn ? shapes.get(trainOn) : undefined, reportMissing);
    const model = built && this.networkFits(built, g) ? built : undefined;
    const optimizerStmt = g.single.get("optimizer") as A.ClauseStmt | undefined;
    const trainStmt = g.single.get("train") as A.TrainStmt | undefined;
    if (!optimizerStmt && reportMissing) this.report(diagnostic("DYN2021", exp.name.span, { name: exp.name.name, keyword: "optimizer" }));
    if (!trainStmt && reportMissing) this.report(diagnostic("DYN2021", exp.name.span, { name: exp.name.name, keyword: "train" }));
    const optimizer = optimizerStmt && this.entry(optimizerStmt.value, "optimizer", env, resolver);
    const lossStmt = g.single.get("loss") as A.ClauseStmt | undefined;
    const loss = lossStmt ? this.entry(lossStmt.value, "loss", env, resolver) : trainOn && shapes.get(trainOn)?.classes ? "cross_entropy" : "mse";
    const regStmt = g.single.get("regularize") as A.ClauseStmt | undefined;
    const reg = regStmt ? (this.entry(regStmt.value, "regularizer", env, resolver) as { lambda: number; on: "all" | "weights" } | undefined) : { lambda: 0, on: "all" };
    const scheduleStmt = g.single.get("schedule") as A.ClauseStmt | undefined;
    const schedule = scheduleStmt ? this.entry(scheduleStmt.value, "schedule", env, resolver) : undefined;
    const training = trainStmt && this.training(trainStmt, env);
    const sizes = new Map(Object.entries(data).map(([name, spec]) => [name, dataSetSize(spec)] as const));
    const probes = this.probes(g, env, point, resolver, training?.duration, shapes, sizes);
    const checkpointStmt = g.single.get("checkpoint") as A.CheckpointStmt | undefined;
    const checkpoint = checkpointStmt && this.checkpoint(checkpointStmt, env, training?.duration);
    if (checkpointStmt && !checkpoint) return undefined;
    if (trainStmt && training && !this.batchFitsOptimizer(trainStmt, training.batch, optimizer)) return undefined;
    if (!trainOn || !model || !optimizer || !loss || !reg || !training || !probes || (scheduleStmt && !schedule)) return undefined;
    if (Object.keys(data).length !== g.data.length) return undefined;
    const pointRecord = Object.fromEntries([...point].map(([k, v]) => [k, sweepValue(v)]));
    return {
      id: runId(pointRecord),
      point: pointRecord,
      data,
      trainOn,
      model,
      loss: loss as RunSpec["loss"],
      l2: reg.lambda,
      ...(reg.on === "weights" ? { l2On: "weights" as const } : {}),
      optimizer: optimizer as RunSpec["optimizer"],
      ...(schedule ? { schedule: schedule as RunSpec["schedule"] } : {}),
      duration: training.duration,
      batch: training.batch,
      probes: probes.probes,
      events: probes.events,
      ...(checkpoint ? { checkpoint } : {}),
    };
  }

  /**
   * `checkpoint every N [steps|epochs]`: N whole and ≥ 1, in the training's unit unless one is given; or `checkpoint
   * every 10%`, a share of training in (0%, 100%] resolved against each run's length as a probe's `every 10%` is.
   */
  private checkpoint(c: A.CheckpointStmt, env: PointEnv, duration: RunSpec["duration"] | undefined): CheckpointSpec | undefined {
    const v = this.evaluator.eval(c.interval, env);
    if (!v) return undefined;
    if (v.kind === "number" && v.unit === "%") return this.checkpointShare(v, c.interval.span, duration);
    const trainUnit = duration && "epochs" in duration ? "epochs" : "steps";
    if (v.kind !== "number" || !(v.unit === "steps" || v.unit === "epochs" || !v.unit) || !Number.isInteger(v.value) || v.value < 1) {
      this.report(diagnostic("DYN2052", c.interval.span, { got: showValue(v) }));
      return undefined;
    }
    const spec: CheckpointSpec = { every: v.value, unit: v.unit === "epochs" || v.unit === "steps" ? v.unit : trainUnit };
    const total = duration ? ("epochs" in duration ? duration.epochs : duration.steps) : Infinity;
    // Epochs of a step-counted run (or steps of an epoch-counted one) need the data size: not compared here.
    if (spec.unit === trainUnit && spec.every >= total) {
      this.report(diagnostic("DYN2106", c.interval.span, { every: `${spec.every} ${spec.unit}`, total: `${total} ${trainUnit}` }));
    }
    return spec;
  }

  /** `checkpoint every 10%`: DYN2052 outside (0%, 100%]; DYN2106 where a run counted in steps would write none. */
  private checkpointShare(share: NumberValue, span: Span, duration: RunSpec["duration"] | undefined): CheckpointSpec | undefined {
    if (!(share.value > 0 && share.value <= 100)) {
      this.report(diagnostic("DYN2052", span, { got: showValue(share) }));
      return undefined;
    }
    const spec = { fraction: share.value / 100 };
    const steps = duration && "steps" in duration ? duration.steps : undefined;
    if (spec.fraction === 1 || (steps !== undefined && checkpointWrites(steps, checkpointCadence(spec, steps, 1)) === 0)) {
      const total = duration ? ("epochs" in duration ? `${duration.epochs} epochs` : `${duration.steps} steps`) : "its length";
      this.report(diagnostic("DYN2106", span, { every: showValue(share), total }));
    }
    return spec;
  }

  /** `gd` is full-batch gradient descent by definition; a minibatch with it is almost surely meant as `sgd`. */
  private batchFitsOptimizer(t: A.TrainStmt, batch: RunSpec["batch"], optimizer: unknown): boolean {
    if (batch === "full" || (optimizer as { kind?: unknown } | undefined)?.kind !== "gd") return true;
    const at = t.options.find((o) => o.name === "batch")!.value.span;
    this.report(diagnostic("DYN2051", at, { size: batch.size }, { hint: "for minibatch SGD write `optimizer sgd(lr: …)`; for gradient descent, `batch full`" }));
    return false;
  }

  /**
   * DYN2057 on an `optimizer_stat(name)` probe that no run of the profile can measure: its statistic is
   * reported by none of the runs' optimizers. A sweep over optimizers may hold runs without it (they record
   * nothing for the probe), so the check is per profile, not per run.
   */
  private optimizerStatsReported(g: Gathered, runs: readonly RunSpec[]): void {
    for (const stmt of g.probes) {
      const specs = runs.map((r) => r.probes.find((p) => p.name === stmt.name.name)).filter((p) => p?.probe === "optimizer_stat");
      if (specs.length === 0) continue;
      const stat = specs[0]!.args["name"] as OptimizerStat;
      const reporters: readonly string[] = OPTIMIZER_STATS[stat];
      const kinds = [...new Set(runs.map((r) => r.optimizer.kind))];
      if (kinds.some((k) => reporters.includes(k))) continue;
      this.report(diagnostic("DYN2057", stmt.value.span, { stat, reporters: reporters.map((r) => `\`${r}\``).join(", "), optimizers: kinds.map((k) => `\`${k}\``).join(", ") }));
    }
  }

  private entry(e: A.Expr, kind: Parameters<CallResolver["resolve"]>[1], env: PointEnv, resolver: CallResolver): unknown {
    const v = this.evaluator.eval(e, env);
    if (!v) return undefined;
    return resolver.resolve(v, kind, e.span)?.spec;
  }

  /** DYN2032 on a data set with `standardize: pixel` when the training set, whose statistics it uses, has none. */
  private standardizedLikeTraining(g: Gathered, data: Readonly<Record<string, DataSpec>>, trainOn: string): boolean {
    if (data[trainOn]?.standardize === "pixel") return true;
    const d = g.data.find((s) => data[s.name.name]?.standardize === "pixel");
    if (!d) return true;
    this.report(diagnostic("DYN2032", d.span, { problem: `\`${d.name.name}\` is standardised with the training set's per-pixel statistics, but the training set \`${trainOn}\` is not standardised; add \`standardize: pixel\` to it too` }));
    return false;
  }

  private trainingData(exp: A.ExperimentStmt, g: Gathered, report: boolean): string | undefined {
    if (g.data.some((d) => d.name.name === "train")) return "train";
    if (g.data.length === 1) return g.data[0]!.name.name;
    if (report) {
      const problem = g.data.length === 0 ? `experiment \`${exp.name.name}\` has no \`data\`` : `experiment \`${exp.name.name}\` has several data sets; name the training set \`train\``;
      this.report(diagnostic("DYN2032", exp.name.span, { problem }));
    }
    return undefined;
  }

  // ── data ───────────────────────────────────────────────────────────────────
  private dataSpec(d: A.DataStmt, env: PointEnv, resolver: CallResolver, experimentInputs: ExperimentInputs | undefined): { spec: DataSpec; shape: DataShape } | undefined {
    if (d.block) return this.dataBlock(d, d.block, env, resolver, experimentInputs);
    if (!d.source) return undefined;
    if (d.source.kind !== "Call") {
      this.report(diagnostic("DYN2004", d.source.span, { what: "a data source", expected: "a call like `grid(x in [-1, 1], n: 201)` or `mnist(split: train)`", got: "this expression" }));
      return undefined;
    }
    const call = this.evaluator.callWithBindings(d.source, env);
    if (!call) return undefined;
    const resolved = resolver.resolve(call.value, "data", d.source.span, call.bindings);
    if (!resolved) return undefined;
    const spec = resolved.spec as Record<string, unknown> & { source: string };
    const source = resolved.entry.data!;
    const name = resolved.entry.name;
    const shape = source.shape(spec);
    this.reportMissingFiles(name, source.files?.(spec) ?? [], d.source.span);
    if (source.targets === "own") {
      if (d.target) {
        this.report(diagnostic("DYN2032", d.target.span, { problem: `\`${name}\` brings its own targets; remove \`-> …\`` }));
        return undefined;
      }
      return { spec: { ...spec, perSeed: source.perSeed } as DataSpec, shape };
    }
    if (!d.target) {
      this.report(diagnostic("DYN2032", d.source.span, { problem: `\`${name}\` gives inputs only; add a target with \`-> expression\`, like \`-> sin(${shape.inputs[0] ?? "x"})\`` }));
      return undefined;
    }
    const target = this.target(d.target, shape.inputs, env);
    if (!target) return undefined;
    // A target with label noise draws it per seed; a noise-free grid is one data set for every seed.
    return { spec: { ...spec, target: target.id, perSeed: source.perSeed || target.code.random } as DataSpec, shape };
  }

  /** DYN2107 for each data file a source names that is not there, relative to the `.dyn` file (where runs read it). */
  private reportMissingFiles(source: string, files: readonly string[], span: Span): void {
    // A source checked without a file on disk (an editor's unsaved buffer, a test's text) has nothing to resolve against.
    if (!existsSync(this.source.path)) return;
    for (const path of files) {
      const resolved = resolve(dirname(this.source.path), path);
      if (!existsSync(resolved)) this.report(diagnostic("DYN2107", span, { source, path, resolved }));
    }
  }

  private dataBlock(d: A.DataStmt, items: readonly A.DataItem[], env: PointEnv, resolver: CallResolver, experimentInputs: ExperimentInputs | undefined): { spec: DataSpec; shape: DataShape } | undefined {
    const vars: { name: string; dist: unknown; n: number }[] = [];
    const assigns: A.AssignStmt[] = [];
    let ok = true;
    for (const item of items) {
      if (item.kind === "Assign") assigns.push(item);
      if (item.kind !== "Sample") continue;
      const dist = item.distribution.kind === "Call" ? this.entry(item.distribution, "distribution", env, resolver) : undefined;
      const kind = (dist as { kind?: string } | undefined)?.kind;
      if (dist && kind !== "uniform" && kind !== "normal") {
        this.report(diagnostic("DYN2032", item.distribution.span, { problem: "data is sampled from `uniform(lo, hi)` or `normal(mean, std)`" }));
        ok = false;
      }
      if (!item.size) {
        this.report(diagnostic("DYN2032", item.span, { problem: `how many samples of \`${item.name.name}\`? write a size, like \`${item.name.name} ~ … [1024]\`` }));
        ok = false;
        continue;
      }
      const n = this.evaluator.number(item.size, env, "a sample size");
      if (n && (!Number.isInteger(n.value) || n.value < 1)) {
        this.report(diagnostic("DYN2004", item.size.span, { what: "a sample size", expected: "a whole number ≥ 1", got: showValue(n) }));
        ok = false;
      }
      if (!dist || !n) ok = false;
      else vars.push({ name: item.name.name, dist, n: n.value });
    }
    if (!ok) return undefined;
    if (vars.length === 0) {
      this.report(diagnostic("DYN2032", d.name.span, { problem: `data \`${d.name.name}\` samples no input variable; add one like \`x ~ uniform(-1, 1) [256]\`` }));
      return undefined;
    }
    const sizes = new Set(vars.map((v) => v.n));
    if (sizes.size > 1) {
      this.report(diagnostic("DYN2032", d.name.span, { problem: `the input variables of \`${d.name.name}\` have different sizes (${vars.map((v) => `${v.name}: ${v.n}`).join(", ")})` }));
      return undefined;
    }
    if (assigns.length !== 1) {
      this.report(diagnostic("DYN2032", assigns[1]?.span ?? d.name.span, { problem: assigns.length === 0 ? `data \`${d.name.name}\` has no target; add one like \`y = ${vars[0]!.name}^2\`` : "a data block has one target assignment" }));
      return undefined;
    }
    const roles = blockRoles(d, vars.map((v) => v.name), experimentInputs, this.diagnostics);
    if (!roles) return undefined;
    // The target reads every sampled variable (inputs and latent ones), in declaration order.
    const target = this.target(assigns[0]!.value, vars.map((v) => v.name), env);
    if (!target) return undefined;
    reportSampledUse(d, roles, target.code.used, this.diagnostics);
    const sampled = vars.map((v) => (roles.latent.has(v.name) ? { ...v, latent: true as const } : v));
    const options = this.dataBlockOptions(d, items, env);
    if (!options) return undefined;
    return {
      spec: { source: "sample", vars: sampled as never, target: target.id, perSeed: true, ...options },
      shape: { inputs: roles.inputs, inDim: roles.inputs.length, outDim: 1, classes: false },
    };
  }

  /**
   * A data block's options (`resample: every_step`), checked against the same parameter of the random
   * sources (the `uniform` entry's), so both spellings take the same values. Undefined after a diagnostic.
   */
  private dataBlockOptions(d: A.DataStmt, items: readonly A.DataItem[], env: PointEnv): { resample?: "every_step" } | undefined {
    const params = (registry.get("data", "uniform")?.params ?? []).filter((p) => p.name === "resample");
    const out: { resample?: "every_step" } = {};
    let ok = true;
    for (const item of items) {
      if (item.kind !== "DataOption") continue;
      const param = params.find((p) => p.name === item.name.name);
      if (!param || param.type.t !== "choice") {
        this.report(diagnostic("DYN2011", item.name.span, { fn: `data ${d.name.name} { … }`, param: item.name.name }, { hint: `options: ${params.map((p) => p.name).join(", ")}` }));
        ok = false;
        continue;
      }
      const value = this.evaluator.eval(item.value, env);
      if (!value) {
        ok = false;
        continue;
      }
      if (value.kind !== "symbol" || !param.type.options.includes(value.name)) {
        this.report(diagnostic("DYN2004", item.value.span, { what: `\`${param.name}\``, expected: param.type.options.map((o) => `\`${o}\``).join(" or "), got: showValue(value) }));
        ok = false;
        continue;
      }
      if (value.name === "every_step") out.resample = "every_step";
    }
    return ok ? out : undefined;
  }

  /** Compile a target and return the id of its (shared) function with its code. */
  private target(e: A.Expr, inputs: readonly string[], env: PointEnv): { id: string; code: TargetCode } | undefined {
    const code = new TargetCompiler(this.evaluator, this.diagnostics).compile(e, inputs, env);
    if (!code) return undefined;
    const key = `${code.params.join(",")}=>${code.body}`;
    const existing = this.targetIds.get(key);
    if (existing) return { id: existing, code };
    const id = `target${this.targets.size}`;
    this.targetIds.set(key, id);
    this.targets.set(id, { id, code, line: e.span.line, text: this.text(e.span) });
    return { id, code };
  }

  // ── model ──────────────────────────────────────────────────────────────────
  /** `opposing_linear(d1:, d2:)`: d1 + d2 inputs, one output; its initialisation is the paper's, so no `init`. */
  private opposingLinear(spec: { d1: number; d2: number }, m: A.ModelStmt, g: Gathered, shape: DataShape): ModelSpec | undefined {
    const inDim = spec.d1 + spec.d2;
    if (shape.inDim !== inDim || shape.outDim !== 1 || shape.classes) {
      const actual = `${shape.inDim} input${shape.inDim === 1 ? "" : "s"} and ${shape.outDim} ${shape.classes ? "classes" : `target${shape.outDim === 1 ? "" : "s"}`}`;
      this.report(diagnostic("DYN2030", m.value!.span, { what: `\`${m.name.name}\` input and output widths`, expected: `d1 + d2 = ${inDim} inputs and one target`, actual }));
      return undefined;
    }
    const init = g.inits[0];
    if (init) {
      this.report(diagnostic("DYN2033", init.span, { problem: "`opposing_linear` is initialised as in the paper (c = 1, ‖b‖² = d1/(d1+d2), ‖b_o‖² = d2/(d1+d2)); it takes no `init`" }));
      return undefined;
    }
    return { kind: "opposing_linear", name: m.name.name, d1: spec.d1, d2: spec.d2, inDim, outDim: 1 };
  }

  private model(exp: A.ExperimentStmt, g: Gathered, env: PointEnv, resolver: CallResolver, shape: DataShape | undefined, report: boolean): ModelSpec | undefined {
    if (g.models.length !== 1) {
      if (report && g.models.length === 0) this.report(diagnostic("DYN2021", exp.name.span, { name: exp.name.name, keyword: "model" }));
      if (report && g.models.length > 1) this.report(diagnostic("DYN2020", g.models[1]!.span, { keyword: "model" }));
      return undefined;
    }
    const m = g.models[0]!;
    if (!m.value) return this.layerModel(m, g, env, resolver, shape);
    const lowered = this.entry(m.value, "model", env, resolver) as { kind: string } | undefined;
    if (!lowered || !shape) return undefined;
    if (lowered.kind === "opposing_linear") return this.opposingLinear(lowered as unknown as { d1: number; d2: number }, m, g, shape);
    if (lowered.kind === "convnet") {
      const conv = checkConvNet(lowered as LoweredConvNet, m.name.name, shape, m.value.span, (d) => this.report(d));
      const init = conv && this.inits(g.inits, conv.init, shorthandAddresses(conv.hidden.length, conv.convs.length), env, resolver);
      if (typeof init === "object" && init !== null && "kind" in init && init.kind === "phase") {
        this.report(diagnostic("DYN2033", g.inits.find((i) => !i.target)!.span, { problem: "`init phase(…)` is defined for one-hidden-layer MLPs, not for `cnn`; use per-layer inits like `init net.layers[*] ~ fan_normal(power: -1)`" }));
        return undefined;
      }
      return conv && init !== undefined ? { ...conv, init } : undefined;
    }
    const spec = lowered as Omit<MlpModelSpec, "name"> & { inDim: number | null; outDim: number | null };
    const inDim = spec.inDim ?? shape.inDim;
    const outDim = spec.outDim ?? shape.outDim;
    if (spec.inDim !== null && spec.inDim !== shape.inDim) {
      this.report(diagnostic("DYN2030", m.value.span, { what: `\`${m.name.name}\` input width`, expected: `in: ${spec.inDim}`, actual: `${shape.inDim} input${shape.inDim === 1 ? "" : "s"}${shape.inputs.length ? ` (${shape.inputs.join(", ")})` : ""}` }));
      return undefined;
    }
    if (spec.outDim !== null && spec.outDim !== shape.outDim) {
      this.report(diagnostic("DYN2030", m.value.span, { what: `\`${m.name.name}\` output width`, expected: `out: ${spec.outDim}`, actual: `${shape.outDim} ${shape.classes ? "classes" : "target"}${shape.outDim === 1 || shape.classes ? "" : "s"}` }));
      return undefined;
    }
    const init = this.inits(g.inits, spec.init, shorthandAddresses(spec.hidden.length, 0), env, resolver);
    if (init === undefined || !this.schemeFitsMlp(g.inits, spec, init)) return undefined;
    return { ...spec, name: m.name.name, inDim, outDim, init } as ModelSpec;
  }

  /**
   * An `init SCHEME` statement replaces the mlp's `init:` argument after the call was checked, so the mlp
   * entry's rules about its init (`phase` needs one hidden layer, no `output_scale`) are checked again here.
   */
  private schemeFitsMlp(inits: readonly A.InitStmt[], spec: { hidden: readonly number[]; outputScale: number | null }, init: unknown): boolean {
    const statement = inits.find((i) => !i.target);
    if (!statement) return true;
    const mlp = registry.get("model", "mlp")!;
    const args = { hidden: spec.hidden, output_scale: spec.outputScale, init } as Parameters<typeof brokenRules>[1];
    const broken = brokenRules(mlp, args).filter((rule) => rule.params.includes("init"));
    for (const rule of broken) this.report(diagnostic("DYN2014", statement.span, { fn: mlp.name, rule: rule.message }));
    return broken.length === 0;
  }

  /** `model net { … }`: the layers checked against the data (compiler/check/layer-model.ts), then the inits. */
  private layerModel(m: A.ModelStmt, g: Gathered, env: PointEnv, resolver: CallResolver, shape: DataShape | undefined): ModelSpec | undefined {
    if (!shape) return undefined;
    const spec = checkLayerModel(m, shape, (e) => this.entry(e, "layer", env, resolver), (d) => this.report(d));
    if (!spec) return undefined;
    const addresses = listAddresses(spec.layers);
    const init = this.inits(g.inits, "torch_default", addresses, env, resolver);
    if (init === undefined) return undefined;
    if (typeof init === "object" && "kind" in init && init.kind === "phase" && (addresses.hidden.length !== 1 || spec.layers.some((l) => l.kind === "scale"))) {
      this.report(diagnostic("DYN2050", g.inits.find((i) => !i.target)!.span, { problem: `\`init phase(…)\` is defined for one hidden dense layer (this model has ${addresses.hidden.length}) and sets the output scale itself (no \`scale\` layer)` }));
      return undefined;
    }
    return { ...spec, init };
  }

  /** `init phase(…)` replaces the scheme; `init net.hidden[*] ~ normal(…)` overrides layers. */
  private inits(inits: readonly A.InitStmt[], declared: unknown, addresses: LayerAddresses, env: PointEnv, resolver: CallResolver): ModelSpec["init"] | undefined {
    let scheme = declared as ModelSpec["init"];
    const layers: Record<string, Record<string, unknown>> = Object.create(null) as Record<string, Record<string, unknown>>;
    for (const i of inits) {
      if (!i.target) {
        const s = this.entry(i.scheme, "init", env, resolver);
        if (!s) return undefined;
        scheme = s as ModelSpec["init"];
        continue;
      }
      const dist = this.entry(i.scheme, "distribution", env, resolver);
      const targets = this.initTargets(i.target, addresses);
      if (!dist || !targets) return undefined;
      for (const t of targets) {
        const roles = t.role ? [t.role] : ["weight", "bias"];
        layers[t.layer] = { ...layers[t.layer], ...Object.fromEntries(roles.map((r) => [r, dist])) };
      }
    }
    if (Object.keys(layers).length === 0) return scheme;
    if (typeof scheme === "object" && scheme !== null && "kind" in scheme) {
      this.report(diagnostic("DYN2041", inits.find((i) => i.target)!.span, { problem: "per-layer inits cannot be combined with `init phase(…)`, which sets every layer" }));
      return undefined;
    }
    return { default: scheme as never, layers: layers as never };
  }

  /** `net.hidden[0]`, `net.hidden[*]`, `net.convs[0]` (a cnn), `net.out`, `net.layers[*]`, `net.conv1` (a named layer), each optionally `.weight`/`.bias`. */
  private initTargets(e: A.Expr, addresses: LayerAddresses): { layer: string; role?: "weight" | "bias" }[] | undefined {
    let role: "weight" | "bias" | undefined;
    let path = e;
    if (path.kind === "Member" && (path.member.name === "weight" || path.member.name === "bias")) {
      role = path.member.name;
      path = path.object;
    }
    const { hidden, convs } = addresses;
    const convCount = convs.length;
    const fail = () => {
      this.report(diagnostic("DYN2041", e.span, { problem: `an init target is a layer like ${convCount ? "`net.convs[0]`, " : ""}\`net.hidden[0]\`, \`net.hidden[*]\`, \`net.out\`, \`net.layers[*]\` or a layer's name (${addresses.named.map((n) => `\`net.${n}\``).join(", ")}), optionally with \`.weight\` or \`.bias\`` }));
      return undefined;
    };
    if (path.kind === "Member" && path.member.name === "out" && addresses.out) return [{ layer: addresses.out, ...(role ? { role } : {}) }];
    if (path.kind === "Member" && path.object.kind !== "Member" && addresses.named.includes(path.member.name)) return [{ layer: path.member.name, ...(role ? { role } : {}) }];
    if (path.kind !== "Index" || path.object.kind !== "Member" || path.items.length !== 1) return fail();
    const group = path.object.member.name;
    const item = path.items[0]!;
    const layers = group === "hidden" ? hidden : group === "convs" && convCount ? convs : group === "layers" ? addresses.named : undefined;
    if (!layers) return fail();
    if (item.kind === "Wildcard") return layers.map((layer) => ({ layer, ...(role ? { role } : {}) }));
    if (item.kind === "Number" && Number.isInteger(item.value) && item.value >= 0 && item.value < layers.length) return [{ layer: layers[item.value]!, ...(role ? { role } : {}) }];
    if (item.kind === "Number") {
      this.report(diagnostic("DYN2041", item.span, { problem: `the model has ${layers.length} ${group} layer${layers.length === 1 ? "" : "s"}; index ${item.value} is out of range` }));
      return undefined;
    }
    return fail();
  }

  // ── training and probes ────────────────────────────────────────────────────
  private training(t: A.TrainStmt, env: PointEnv): { duration: RunSpec["duration"]; batch: RunSpec["batch"] } | undefined {
    const d = this.evaluator.eval(t.duration, env);
    let duration: RunSpec["duration"] | undefined;
    if (d?.kind === "number" && (d.unit === "steps" || d.unit === "epochs") && Number.isInteger(d.value) && d.value >= 1) {
      duration = d.unit === "steps" ? { steps: d.value } : { epochs: d.value };
    } else if (d) {
      this.report(diagnostic("DYN2004", t.duration.span, { what: "the training duration", expected: "a whole number of `steps` or `epochs`, like `10k steps`", got: showValue(d) }));
    }
    let size: number | "full" = "full";
    let shuffle: "every_epoch" | "once" = "every_epoch";
    for (const o of t.options) {
      const v = this.evaluator.eval(o.value, env);
      if (!v) return undefined;
      if (o.name === "batch") {
        if (v.kind === "symbol" && v.name === "full") size = "full";
        else if (v.kind === "number" && !v.unit && Number.isInteger(v.value) && v.value >= 1) size = v.value;
        else {
          this.report(diagnostic("DYN2004", o.value.span, { what: "`batch`", expected: "`full` or a whole number ≥ 1", got: showValue(v) }));
          return undefined;
        }
      } else if (v.kind === "symbol" && (v.name === "once" || v.name === "always")) {
        shuffle = v.name === "once" ? "once" : "every_epoch";
      } else {
        this.report(diagnostic("DYN2004", o.value.span, { what: "`shuffle`", expected: "`once` (a fixed partition) or `always` (reshuffle every epoch, the default)", got: showValue(v) }));
        return undefined;
      }
    }
    if (!duration) return undefined;
    return { duration, batch: size === "full" ? "full" : { size, shuffle } };
  }

  private probes(g: Gathered, env: PointEnv, point: ReadonlyMap<string, Value>, resolver: CallResolver, duration: RunSpec["duration"] | undefined, shapes: ReadonlyMap<string, DataShape>, sizes: ReadonlyMap<string, number | undefined>): { probes: ProbeSpec[]; events: EventSpecData[] } | undefined {
    const probes: ProbeSpec[] = [];
    const events: EventSpecData[] = [];
    let ok = true;
    const probeNames = new Set(g.probes.map((p) => p.name.name));
    const conditionSpans = new Map<string, Span>();
    // In a probe's call another probe's name is a reference (`along: h`), checked against the parameter's type.
    const callEnv: Env = { lookup: (n) => env.lookup(n), names: () => env.names(), failed: (n) => env.failed(n), notConstant: (n) => (probeNames.has(n) ? undefined : env.notConstant(n)), isAnalysis: (n) => env.isAnalysis(n) };
    const resolvedProbes: { p: A.ProbeStmt; entry: Entry; args: Readonly<Record<string, Lowered>> }[] = [];
    // A probe limited to other sweep points is not part of this run (`probe top[opt = gd] = …`).
    const here = g.probes.filter((p) => measuredAtPoint(this.probePoints.get(p.name.name), point));
    for (const p of here) {
      const crossRun = this.crossRunArguments(p, probeNames, point, env, duration);
      if (!crossRun) {
        ok = false;
        continue;
      }
      const v = this.evaluator.eval(crossRun.call, callEnv);
      const resolved0 = v && resolver.resolve(v, "probe", p.value.span);
      const resolved = resolved0 && { ...resolved0, args: withCrossRunArgs(resolved0.entry, resolved0.args, crossRun.refs) };
      if (resolved0) for (const [key, ref] of crossRun.refs) this.crossRunSpans.set(`${p.name.name}.${typeof key === "string" ? key : resolved0.entry.params[key]?.name}`, ref.span);
      const cadences: Cadence[] = [];
      for (const c of p.cadences) {
        const lowered = this.cadence(c, p, env, duration, probeNames, events, conditionSpans);
        if (lowered) cadences.push(lowered);
        else ok = false;
      }
      if (p.cadences.length === 0) {
        this.report(diagnostic("DYN2101", p.name.span, { name: p.name.name }));
        cadences.push({ kind: "at", points: ["end"] });
      }
      if (!resolved || !checkSamplerNeeds(v, resolved, shapes, sizes, (d) => this.report(d), p.value.span)) {
        ok = false;
        continue;
      }
      resolvedProbes.push({ p, entry: resolved.entry, args: resolved.args });
      const shape = resultShape(resolved.entry, resolved.args);
      probes.push({
        name: p.name.name,
        probe: resolved.entry.name,
        ...(shape?.fields ? { fields: shape.fields } : {}),
        ...(shape?.index ? { index: shape.index } : {}),
        args: resolved.args,
        cadences,
        line: p.span.line,
      });
    }
    const totalSteps = duration && "steps" in duration ? duration.steps : undefined;
    for (const e of events) ok = this.pinsMeasured(e, probes, totalSteps, conditionSpans.get(e.name)!) && ok;
    ok = this.absentProbesUnused(here, resolvedProbes, events, conditionSpans, point) && ok;
    // After every probe is resolved: a reference may name a probe declared later, or one bound through a let.
    const entries = new Map(resolvedProbes.map((r) => [r.p.name.name, r.entry] as const));
    for (const r of resolvedProbes) if (!this.checkPublications(r.p, r.entry, r.args, entries)) ok = false;
    return ok ? { probes, events } : undefined;
  }

  /**
   * DYN2079: in a run where a limited probe is not measured, no probe reads it (`along: top`) and no event
   * watches it (`at first(top > 1)`).
   */
  private absentProbesUnused(here: readonly A.ProbeStmt[], resolved: readonly { p: A.ProbeStmt; entry: Entry; args: Readonly<Record<string, Lowered>> }[], events: readonly EventSpecData[], conditionSpans: ReadonlyMap<string, Span>, point: ReadonlyMap<string, Value>): boolean {
    const present = new Set(here.map((p) => p.name.name));
    const absent = (name: string) => !present.has(name) && this.probePoints.has(name);
    const run = runId(Object.fromEntries([...point].map(([k, v]) => [k, sweepValue(v)])));
    const problem = (what: string, name: string, span: Span) => this.report(diagnostic("DYN2079", span, { what, name, run, points: describePoints(this.probePoints.get(name)!) }));
    let ok = true;
    for (const r of resolved) {
      r.entry.params.forEach((param, position) => {
        const value = r.args[param.name];
        if (param.type.t !== "ref" || !value || typeof value !== "object" || !("ref" in value) || "from" in value) return;
        if (!absent(String(value.ref))) return;
        problem(`\`${param.name}\` of probe \`${r.p.name.name}\``, String(value.ref), argumentSpan(r.p, param.name, position));
        ok = false;
      });
    }
    for (const e of events) {
      for (const name of new Set(e.watch.map((w) => w.split(/[.[]/)[0]!).filter(absent))) {
        problem(`the condition of probe \`${e.name.replace(/@first$/, "")}\``, name, conditionSpans.get(e.name)!);
        ok = false;
      }
    }
    return ok;
  }

  /**
   * An event condition is evaluated per seed at one step, so it reads probes' latest values and values
   * pinned to a step (`l[steps = 0]`); reductions, fits and other selections need recorded series (DYN2040).
   */
  private elementwiseCondition(e: AnalysisExpr, span: Span): boolean {
    const problem = nonElementwise(e);
    if (problem) this.report(diagnostic("DYN2040", span, { problem: `the condition of \`at first(…)\` compares values at one step per seed; ${problem}` }));
    return !problem;
  }

  /** Each `probe[steps = k]` in an event's condition names a step at which that probe is measured (DYN2040). */
  private pinsMeasured(event: EventSpecData, probes: readonly ProbeSpec[], totalSteps: number | undefined, span: Span): boolean {
    let ok = true;
    for (const { probe, step } of pinsOf(event.condition)) {
      const spec = probes.find((p) => p.name === probe);
      if (!spec || measuredAt(spec.cadences, step, totalSteps)) continue;
      this.report(diagnostic("DYN2040", span, { problem: `probe \`${probe}\` is not measured at step ${step} (${spec.cadences.map(showCadence).join(", ")}), so \`${probe}[steps = ${step}]\` would never have a value` }));
      ok = false;
    }
    return ok;
  }

  /**
   * `along: h[opt = gd]`, probe `h` of another run of the sweep: the call with each such argument read as
   * the plain reference `h` (resolved as usual), and per argument (by name, or positional index) the
   * producing run's point; undefined after DYN2058 (a selection that picks no run, or several).
   */
  private crossRunArguments(p: A.ProbeStmt, probeNames: ReadonlySet<string>, point: ReadonlyMap<string, Value>, env: PointEnv, duration: RunSpec["duration"] | undefined): { call: A.Expr; refs: Map<string | number, CrossRunRef & { span: Span }> } | undefined {
    const refs = new Map<string | number, CrossRunRef & { span: Span }>();
    if (p.value.kind !== "Call") return { call: p.value, refs };
    let ok = true;
    let position = 0;
    const args = p.value.args.map((a) => {
      if (a.kind === "Binding") return a;
      const key = a.kind === "Named" ? a.name.name : position++;
      const value = a.value;
      if (value.kind !== "Index" || value.object.kind !== "Name" || !probeNames.has(value.object.name)) return a;
      const points = value.items.filter((i): i is A.AtCadence | A.FirstCadence => i.kind === "At" || i.kind === "AtFirst");
      const chosen = points.length > 1 ? { problem: "it names more than one point of training (one `at …` per selection)", span: points[1]!.span } : selectProducer(value.items.filter((i) => i.kind !== "At" && i.kind !== "AtFirst"), point, this.axes, env);
      const at = "problem" in chosen ? undefined : points[0] && this.handoffPoint(points[0], p, value, env, duration);
      if ("problem" in chosen || at === null) {
        if ("problem" in chosen) this.report(diagnostic("DYN2058", chosen.span ?? value.span, { text: this.text(value.span), problem: chosen.problem }));
        ok = false;
        return a;
      }
      // `at first(…)` is an event of the producing run, compiled there once every run is planned.
      if (at && "condition" in at) this.pendingEvents.push({ probe: p.name.name, param: key, ref: value.object.name, from: chosen.from, cadence: at });
      refs.set(key, { ref: value.object.name, from: chosen.from, ...(at && "step" in at ? { at } : {}), span: value.span });
      return { ...a, value: value.object };
    });
    return ok ? { call: { ...p.value, args }, refs } : undefined;
  }

  /**
   * The point of `h[…, at …]`: a step point lowered at once (`at 150 steps`, `at end`: one point, else
   * DYN2058), `at first(…)` left for `placeHandoffEvents`; null after a diagnostic.
   */
  private handoffPoint(c: A.AtCadence | A.FirstCadence, p: A.ProbeStmt, value: A.IndexExpr, env: PointEnv, duration: RunSpec["duration"] | undefined): { step: CadencePoint } | A.FirstCadence | null {
    if (c.kind === "AtFirst") return c;
    const lowered = this.cadence(c, p, env, duration, new Set(), [], new Map());
    if (!lowered) return null;
    if (lowered.kind !== "at" || lowered.points.length !== 1) {
      this.report(diagnostic("DYN2058", c.span, { text: this.text(value.span), problem: "it reads the value at one point of training (`at 150 steps`, `at end`, `at first(…)`), not a list" }));
      return null;
    }
    return { step: lowered.points[0]! };
  }

  /**
   * `h[opt = gd, at first(cond)]`: the condition compiled in the producing run (its sweep values: `2 / lr` is
   * the producer's lr), added to that run as an event that also measures `h` (on top of its own cadence),
   * and each reader's argument pointed at the event. Producers' events are shared by readers of one condition.
   */
  private placeHandoffEvents(runs: RunSpec[], envs: ReadonlyMap<string, PointEnv>, probeNames: ReadonlySet<string>): void {
    const named = new Map<string, string>();
    for (const pending of this.handoffEvents) {
      const producerIndex = runs.findIndex((r) => r.id === runId(pending.from));
      const readerIndex = runs.findIndex((r) => r.id === pending.reader);
      const producer = runs[producerIndex];
      const env = producer && envs.get(producer.id);
      if (!producer || !env || readerIndex < 0) continue;
      const condition = new AnalysisCompiler(this.diagnostics).compile(pending.cadence.condition, { probes: probeNames, analyses: new Set(), failed: new Set(), sweepVars: [], env });
      if (!condition || !this.elementwiseCondition(condition, pending.cadence.condition.span)) continue;
      const watched = [...probesOf(condition)].map((w) => w.split(".")[0]!);
      const problem = watched.length === 0 ? "the condition of `at first(…)` must read a probe; it reads none" : watched.includes(pending.ref) ? `probe \`${pending.ref}\` cannot be triggered by its own value` : undefined;
      if (problem) {
        this.report(diagnostic("DYN2040", pending.cadence.condition.span, { problem }));
        continue;
      }
      const missing = watched.find((w) => !producer.probes.some((q) => q.name === w));
      if (missing) {
        const points = this.probePoints.get(missing);
        if (points) this.report(diagnostic("DYN2079", pending.cadence.condition.span, { what: "the condition of this `at first(…)`", name: missing, run: producer.id, points: describePoints(points) }));
        continue;
      }
      const id = `${producer.id}\u0000${pending.ref}\u0000${JSON.stringify(condition)}`;
      let event = named.get(id);
      if (!event) {
        const taken = new Set(producer.events.map((e) => e.name));
        event = `${pending.ref}@handoff`;
        for (let n = 2; taken.has(event); n++) event = `${pending.ref}@handoff${n}`;
        named.set(id, event);
        const name = event;
        runs[producerIndex] = {
          ...producer,
          events: [...producer.events, { name, watch: watched, condition }],
          probes: producer.probes.map((q) => (q.name === pending.ref ? { ...q, cadences: [...q.cadences, { kind: "on", event: name }] } : q)),
        };
      }
      const reader = runs[readerIndex]!;
      const at = { event };
      runs[readerIndex] = { ...reader, probes: reader.probes.map((q) => (q.name === pending.probe ? { ...q, args: { ...q.args, [pending.param]: { ...(q.args[pending.param] as object), at } } } : q)) };
    }
  }

  /** The name of positional argument `position` of probe `probe` of `run`. */
  private positionalParam(run: RunSpec, probe: string, position: number): string | undefined {
    const spec = run.probes.find((q) => q.name === probe);
    return spec ? registry.get("probe", spec.probe)?.params[position]?.name : undefined;
  }

  /** A step a value is read at (`h[…, at 150 steps]`) is a step the producer measures `h`: added to its cadence. */
  private measureAtHandoffSteps(runs: RunSpec[]): void {
    for (const reader of [...runs]) {
      for (const use of crossRunUses(reader)) {
        if (!use.at || !("step" in use.at)) continue;
        const index = runs.findIndex((r) => r.id === use.producer);
        const producer = runs[index];
        const step = use.at.step;
        if (!producer) continue;
        const has = (c: Cadence) => c.kind === "at" && c.points.length === 1 && JSON.stringify(c.points[0]) === JSON.stringify(step);
        runs[index] = { ...producer, probes: producer.probes.map((q) => (q.name === use.ref && !q.cadences.some(has) ? { ...q, cadences: [...q.cadences, { kind: "at", points: [step] }] } : q)) };
      }
    }
  }

  /**
   * A probe reference that must name a probe publishing something (`along: h` an eigenvector): the named
   * probe's entry must publish it (DYN2053), whatever its cadence.
   */
  private checkPublications(p: A.ProbeStmt, entry: Entry, args: Readonly<Record<string, Lowered>>, entries: ReadonlyMap<string, Entry>): boolean {
    let ok = true;
    entry.params.forEach((param, position) => {
      if (param.type.t !== "ref" || !param.type.publishes) return;
      const value = args[param.name];
      if (!value || typeof value !== "object" || !("ref" in value)) return;
      const target = entries.get(String(value.ref));
      // A probe that failed to resolve was reported already.
      if (!target || target.publishes === param.type.publishes) return;
      const callee = target.name;
      const publishers = registry.ofKind("probe").filter((e) => e.publishes === (param.type as { publishes: string }).publishes).map((e) => `\`${e.name}\``);
      this.report(diagnostic("DYN2053", argumentSpan(p, param.name, position), {
        arg: `\`${param.name}\` of \`${entry.name}\``,
        name: String(value.ref),
        what: `a \`${callee}\` probe`,
      }, { hint: `name a ${publishers.join(" or ")} probe of this experiment` }));
      ok = false;
    });
    return ok;
  }

  private cadence(c: A.Cadence, p: A.ProbeStmt, env: PointEnv, duration: RunSpec["duration"] | undefined, probeNames: ReadonlySet<string>, events: EventSpecData[], conditionSpans: Map<string, Span>): Cadence | undefined {
    const unit = duration && "epochs" in duration ? "epochs" : "steps";
    const total = duration ? ("epochs" in duration ? duration.epochs : duration.steps) : Infinity;
    if (c.kind === "Every") {
      const v = this.evaluator.eval(c.interval, env);
      if (v?.kind === "number" && v.unit === "%") return this.everyShare(v, c.interval.span, duration);
      if (v?.kind === "number" && (v.unit === "steps" || v.unit === "epochs" || !v.unit) && Number.isInteger(v.value) && v.value >= 1) {
        return { kind: "every", n: v.value, unit: v.unit === "epochs" ? "epochs" : v.unit === "steps" ? "steps" : unit };
      }
      if (v) this.report(diagnostic("DYN2040", c.interval.span, { problem: `\`every\` takes a whole number of steps or epochs, like \`every 10 steps\`; got ${showValue(v)}` }));
      return undefined;
    }
    if (c.kind === "AtFirst") {
      const compiler = new AnalysisCompiler(this.diagnostics);
      const condition = compiler.compile(c.condition, { probes: probeNames, analyses: new Set(), failed: new Set(), sweepVars: [], env });
      if (!condition || !this.elementwiseCondition(condition, c.condition.span)) return undefined;
      const watched = [...probesOf(condition)];
      if (watched.length === 0) {
        this.report(diagnostic("DYN2040", c.condition.span, { problem: "the condition of `at first(…)` must read a probe; it reads none" }));
        return undefined;
      }
      if (watched.includes(p.name.name)) {
        this.report(diagnostic("DYN2040", c.condition.span, { problem: `probe \`${p.name.name}\` cannot be triggered by its own value` }));
        return undefined;
      }
      const name = `${p.name.name}@first`;
      events.push({ name, watch: watched, condition });
      conditionSpans.set(name, c.condition.span);
      return { kind: "on", event: name };
    }
    const v = this.evaluator.eval(c.points, env);
    if (!v) return undefined;
    const items = v.kind === "list" ? v.items : [v];
    const points: CadencePoint[] = [];
    for (const item of items) {
      if (item.kind === "symbol" && (item.name === "start" || item.name === "end")) points.push(item.name);
      else if (item.kind === "number" && item.unit === "%") {
        // A share of training: resolved against each run's own length (runtime: cadencePointStep).
        if (!(item.value >= 0 && item.value <= 100)) {
          this.report(diagnostic("DYN2040", c.points.span, { problem: `a point of training is between 0% (start) and 100% (end); got ${showValue(item)}` }));
          return undefined;
        }
        points.push({ fraction: item.value / 100 });
      } else if (item.kind === "number" && Number.isInteger(item.value) && item.value >= 0 && item.unit !== "%") {
        const u = item.unit ?? unit;
        if (u === unit && item.value > total) {
          this.report(diagnostic("DYN2040", c.points.span, { problem: `${showValue(item)}${item.unit ? "" : ` ${unit}`} is after the end of training (${total} ${unit})` }));
          return undefined;
        }
        points.push(u === "epochs" ? { epoch: item.value } : { step: item.value });
      } else {
        this.report(diagnostic("DYN2040", c.points.span, { problem: `\`at\` takes \`start\`, \`end\`, a step or epoch count, a percentage of training (\`at 25%\`), or a list of them; got ${showValue(item)}` }));
        return undefined;
      }
    }
    return { kind: "at", points };
  }

  /**
   * `every 25%`: a share of training in (0%, 100%], kept as a fraction so each run resolves it against its
   * own length (contract/training-specs.ts everyShareSteps). A share under one step of a run counted in
   * steps is a warning (DYN2108): its points fall on steps already measured, each measured once.
   */
  private everyShare(share: NumberValue, span: Span, duration: RunSpec["duration"] | undefined): Cadence | undefined {
    if (!(share.value > 0 && share.value <= 100)) {
      const problem = share.value > 100 ? "at most 100% (`every 100%` measures at start and end)" : "above 0%, like `every 10%`";
      this.report(diagnostic("DYN2040", span, { problem: `\`every\` takes a share of training ${problem}; got ${showValue(share)}` }));
      return undefined;
    }
    const fraction = share.value / 100;
    if (duration && "steps" in duration && fraction * duration.steps < 1) {
      const measured = everyShareSteps(fraction, duration.steps).length;
      this.report(diagnostic("DYN2108", span, { share: showValue(share), total: duration.steps, setBy: this.lengthSetBy, measured, points: everySharePoints(fraction) }));
    }
    return { kind: "every", fraction };
  }

  /** The lets over results, compiled; a let bound to an interval is a phase window (`windows`), read by `during`. */
  private analyses(lets: readonly A.LetStmt[], probes: ReadonlySet<string>, shapes: ProbeShapes, sweeps: Pick<AnalysisScope, "sweepVars" | "numericSweepVars" | "zipped"> & { probePoints: ProbePoints; letProbes: Map<string, Set<string>> }, env: PointEnv, windows: ReadonlyMap<string, A.IntervalExpr>): AnalysisSpec[] {
    const compiler = new AnalysisCompiler(this.diagnostics);
    const out: AnalysisSpec[] = [];
    const defined = new Set<string>();
    const failed = new Set<string>();
    const conditions = new Set<string>();
    for (const l of lets) {
      if (windows.has(l.name.name)) continue;
      const expr: AnalysisExpr | undefined = compiler.compile(l.value, { probes, probeShapes: shapes, analyses: defined, failed, ...sweeps, env, windows, conditions });
      if (expr) {
        if (isCondition(expr, conditions)) conditions.add(l.name.name);
        defined.add(l.name.name);
        sweeps.letProbes.set(l.name.name, probesUnder(expr, sweeps.letProbes));
        out.push({ name: l.name.name, expr, line: l.span.line });
      } else failed.add(l.name.name);
    }
    return out;
  }

  private warnUnusedSweeps(exp: A.ExperimentStmt, g: Gathered): void {
    const used = new Set<string>();
    const visit = (node: unknown, skip: ReadonlySet<unknown>): void => {
      if (!node || typeof node !== "object" || skip.has(node)) return;
      if ((node as A.NameRef).kind === "Name") used.add((node as A.NameRef).name);
      if ((node as A.SelectorItem).kind === "Selector") used.add((node as A.SelectorItem).name.name);
      forEachChild(node, (child) => visit(child, skip));
    };
    visit(exp.body, new Set(g.sweeps.map((s) => s.vars)));
    for (const s of g.sweeps) for (const v of s.vars) if (!used.has(v.name)) this.report(diagnostic("DYN2100", v.span, { name: v.name }));
  }

  private text(span: Span): string {
    return this.source.text.slice(span.start, span.end);
  }

  private report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }
}

type ProbeShapes = ReadonlyMap<string, ResultShape>;

/**
 * What each probe measures (fields, extra dimension): from the checked call of the first run that has it
 * (its arguments may choose the shape, `accuracy(…, by: class)`), else from its registry entry.
 */
/**
 * ` (set by profile `quick`)`, ` (set on the command line)`: what last set the length of the `train` in effect, or
 * nothing when the experiment's own `train` does. Diagnostics about one profile's step count name its source.
 */
function lengthSetBy(effective: readonly Effective[]): string {
  const train = effective.find((e) => e.statement.kind === "Train");
  const last = train?.from.filter((p) => p.keys === "all" || p.keys.includes("length")).at(-1);
  if (!last) return "";
  return last.origin.startsWith("profile ") ? ` (set by profile \`${last.origin.slice("profile ".length)}\`)` : ` (set on the ${last.origin})`;
}

/** The registry name a probe statement calls (`hessian` in `probe h = hessian(net, train)`). */
function calleeName(p: A.ProbeStmt): string | undefined {
  return p.value.kind === "Call" && p.value.callee.kind === "Name" ? p.value.callee.name : p.value.kind === "Name" ? p.value.name : undefined;
}

/** The span of argument `name` (named, or positional at `position`) of a probe's call; the call's when absent. */
function argumentSpan(p: A.ProbeStmt, name: string, position: number): Span {
  if (p.value.kind !== "Call") return p.value.span;
  const named = p.value.args.find((a) => a.kind === "Named" && a.name.name === name);
  const positional = p.value.args.filter((a) => a.kind === "Positional")[position];
  const arg = named ?? positional;
  return arg && arg.kind !== "Binding" ? arg.value.span : p.value.span;
}

function probeShapes(probes: readonly A.ProbeStmt[], runs: readonly RunSpec[]): ProbeShapes {
  const out = new Map<string, ResultShape>();
  for (const p of probes) {
    const callee = calleeName(p);
    const entry = callee ? registry.get("probe", callee) : undefined;
    const checked = runs.flatMap((r) => r.probes).find((s) => s.name === p.name.name);
    const shape = checked && entry ? resultShape(entry, checked.args as Readonly<Record<string, Lowered>>) : entry?.result;
    if (shape) out.set(p.name.name, shape);
  }
  return out;
}

/** Calls that make a `let` an analysis: the registry's analysis functions that are not also compile-time functions (`max(1, 2)`). */
const RESULT_FUNCTIONS: ReadonlySet<string> = new Set(
  registry
    .ofKind("analysis")
    .map((a) => a.name)
    .filter((name) => !(compileTimeFunctions as readonly string[]).includes(name)),
);

export function isAnalysis(e: A.Expr, results: ReadonlySet<string>): boolean {
  if (isPhaseWindow(e)) return true;
  let found = false;
  const visit = (node: unknown): void => {
    if (found || !node || typeof node !== "object") return;
    const n = node as A.Expr;
    if (n.kind === "Name" && results.has(n.name)) found = true;
    if (n.kind === "Binary" && ["over", "by", "after", "before", "during", "~"].includes(n.op)) found = true;
    if (n.kind === "Call" && n.callee.kind === "Name" && RESULT_FUNCTIONS.has(n.callee.name)) found = true;
    forEachChild(node, visit);
  };
  visit(e);
  return found;
}

/**
 * A phase window, `[start, p1)`, `[10 steps, 50%)`: an interval with a bound that only `during` reads (`start`,
 * `end`, a step count or a fraction of training). An interval of plain numbers stays a constant; `during`
 * takes it too (interval constants are windows as well, see `windowLets`).
 */
function isPhaseWindow(e: A.Expr): boolean {
  while (e.kind === "Paren") e = e.inner;
  const only = (b: A.Expr) => (b.kind === "Name" && (b.name === "start" || b.name === "end")) || (b.kind === "Quantity" && (b.unit === "%" || b.unit === "steps"));
  return e.kind === "Interval" && (only(e.lo) || only(e.hi));
}

/** The lets bound to an interval, by name: the windows `x during NAME` may name. */
function windowLets(lets: readonly A.LetStmt[]): Map<string, A.IntervalExpr> {
  const out = new Map<string, A.IntervalExpr>();
  for (const l of lets) {
    let e = l.value;
    while (e.kind === "Paren") e = e.inner;
    if (e.kind === "Interval") out.set(l.name.name, e);
  }
  return out;
}

/** Calls `f` on every child value of an AST node (arrays element-wise), skipping spans; no allocation. */
function forEachChild(node: object, f: (child: unknown) => void): void {
  for (const key in node) {
    if (key === "span") continue;
    const child = (node as Record<string, unknown>)[key];
    if (Array.isArray(child)) for (const c of child) f(c);
    else if (child && typeof child === "object") f(child);
  }
}

function refScope(g: Gathered): RefScope {
  const names = {
    data: g.data.map((d) => d.name.name),
    model: g.models.map((m) => m.name.name),
    layer: [] as string[],
    probe: g.probes.map((p) => p.name.name),
  };
  return { has: (of, name) => names[of].includes(name), names: (of) => names[of] };
}

function* product(axes: readonly Map<string, Value>[][]): Generator<Map<string, Value>> {
  if (axes.length === 0) {
    yield new Map();
    return;
  }
  const [first, ...rest] = axes;
  for (const a of first!) for (const b of product(rest)) yield new Map([...a, ...b]);
}

/** A sweep's values as the plan template states them: each variable's values, in the sweep's order. */
function sweepAxis(axis: readonly Map<string, Value>[]): SweepAxis {
  const names = [...(axis[0]?.keys() ?? [])];
  return Object.fromEntries(names.map((n) => [n, axis.map((point) => sweepValue(point.get(n)!))]));
}

function sweepValue(v: Value): SweepValue {
  if (v.kind === "number") return v.value;
  if (v.kind === "bool") return v.value;
  if (v.kind === "string" || v.kind === "symbol") return v.kind === "string" ? v.value : v.name;
  return showValue(v);
}

/** The sweep variables whose every value is a plain number (no unit, no call or name): `2/lr` may read them. */
function numericSweeps(axes: readonly (readonly Map<string, Value>[])[]): Set<string> {
  const out = new Set<string>();
  for (const axis of axes) {
    for (const name of axis[0]?.keys() ?? []) {
      const numeric = axis.every((point) => {
        const v = point.get(name);
        return v?.kind === "number" && v.unit === undefined;
      });
      if (numeric) out.add(name);
    }
  }
  return out;
}

/** The resolved arguments with each cross-run reference (keyed by name or positional index) as `{ ref, from }`. */
function withCrossRunArgs(entry: Entry, args: Readonly<Record<string, Lowered>>, refs: ReadonlyMap<string | number, CrossRunRef>): Readonly<Record<string, Lowered>> {
  if (refs.size === 0) return args;
  const out: Record<string, Lowered> = { ...args };
  for (const [key, ref] of refs) {
    const name = typeof key === "string" ? key : entry.params[key]?.name;
    if (name !== undefined) out[name] = { ref: ref.ref, from: { ...ref.from }, ...(ref.at ? { at: ref.at as unknown as Lowered } : {}) };
  }
  return out;
}

/** Per variable of a zipped sweep, the variables it steps with (a selection of one fixes the others). */
function zippedVariables(sweeps: readonly A.SweepStmt[]): Map<string, string[]> {
  const zipped = new Map<string, string[]>();
  for (const s of sweeps) {
    const names = s.vars.map((v) => v.name);
    if (names.length > 1) for (const n of names) zipped.set(n, names.filter((m) => m !== n));
  }
  return zipped;
}

/** What a sweep variable named `name` would be taken for (DYN2025), or undefined. */
function reservedDimensionName(name: string): string | undefined {
  if ((SERIES_DIMS as readonly string[]).includes(name)) return `the dimension \`${name}\` every probe's results have`;
  if ((RESULT_LEAD_COLUMNS as readonly string[]).includes(name)) return `the results.csv column \`${name}\``;
  return undefined;
}
