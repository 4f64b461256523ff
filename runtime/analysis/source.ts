/**
 * Where analyses get their inputs: probe series from the executor's result table, earlier analyses, and
 * each run's training length (for `after 50%`).
 */
import { DyncRuntimeError } from "../errors.js";
import type { Dim, ProfilePlan, SweepValue } from "../../contract/program.js";
import { DivergenceIndex, divergedRuns } from "./divergence.js";
import type { ResultRow, ResultTable } from "./results.js";
import type { AnalysisFunctions } from "./functions.js";
import { SEEDS, STEPS, sameValue, type Key, type Row, type Table } from "./table.js";

/** What `evaluate` reads: probe series, earlier analyses and training lengths. */
export interface AnalysisEnv {
  /** The series of a probe: dims = sweep variables + `seeds` + `steps`. */
  probe(name: string): Table;
  /** A `let` analysis evaluated earlier. */
  analysis(name: string): Table;
  /** A numeric sweep variable's value per sweep point: dims = [name], one row per distinct value; absent: none known. */
  sweep?(name: Dim): Table;
  /** Total training steps of the run(s) a row (with the given dims) comes from. */
  totalSteps(key: Key, dims: readonly Dim[]): number;
  /** Optimizer steps per epoch of the run(s) a row comes from (plots over `epochs`); absent: none known. */
  stepsPerEpoch?(key: Key, dims: readonly Dim[]): number;
  /** The runs in which a seed diverged, to say why a value is NaN; absent: none known. */
  readonly divergence?: DivergenceIndex;
  /** The analysis functions `{ op: "fn" }` calls, by name. */
  readonly functions?: AnalysisFunctions;
}

/** An environment over one profile's recorded results; `lets` is filled as analyses are evaluated. */
export class ResultEnv implements AnalysisEnv {
  readonly lets = new Map<string, Table>();
  /** Analyses whose evaluation failed, so later uses repeat the cause instead of "not evaluated". */
  readonly failed = new Map<string, DyncRuntimeError>();
  readonly divergence: DivergenceIndex;
  private readonly rowsByProbe = new Map<string, ResultRow[]>();
  private readonly probeTables = new Map<string, Table>();
  private readonly knownProbes: Set<string>;
  private readonly runs: { point: Readonly<Record<string, SweepValue>>; totalSteps: number | undefined; stepsPerEpoch: number | undefined; id: string }[];

  constructor(
    plan: ProfilePlan,
    private readonly results: ResultTable,
    readonly functions: AnalysisFunctions = new Map(),
  ) {
    for (const row of results.rows) {
      const list = this.rowsByProbe.get(row.probe);
      if (list) list.push(row);
      else this.rowsByProbe.set(row.probe, [row]);
    }
    this.knownProbes = new Set([
      ...this.rowsByProbe.keys(),
      ...plan.runs.flatMap((r) => [...r.probes.flatMap((p) => (p.fields ? p.fields.map((f) => `${p.name}.${f}`) : [p.name])), ...r.events.map((e) => e.name)]),
    ]);
    this.runs = plan.runs.map((r) => ({ id: r.id, point: r.point, totalSteps: results.totalSteps[r.id], stepsPerEpoch: results.stepsPerEpoch?.[r.id] }));
    this.divergence = new DivergenceIndex(divergedRuns(results.diverged, plan.runs, results.seeds.length), results.sweepVars);
  }

  /** The probe's series; a probe that was declared but never measured gives an empty table. */
  probe(name: string): Table {
    const cached = this.probeTables.get(name);
    if (cached) return cached;
    if (!this.knownProbes.has(name)) {
      throw new DyncRuntimeError(
        "RUN051",
        `no probe named "${name}" in the results; probes: ${[...this.knownProbes].sort().join(", ") || "(none)"}`,
      );
    }
    const table = probeTable(this.rowsByProbe.get(name) ?? [], this.results.sweepVars);
    this.probeTables.set(name, table);
    return table;
  }

  /** An analysis evaluated before this one. */
  analysis(name: string): Table {
    const table = this.lets.get(name);
    const failure = this.failed.get(name);
    if (failure) {
      throw new DyncRuntimeError(failure.code, `analysis ${name} could not be evaluated: ${failure.message}`, failure.hint);
    }
    if (!table) {
      throw new DyncRuntimeError(
        "RUN040",
        `analysis "${name}" is used before it is evaluated; analyses evaluated so far: ${[...this.lets.keys()].join(", ") || "(none)"}`,
      );
    }
    return table;
  }

  /** The values the runs take for sweep variable `name`, as a table over that dimension (`2/lr` per run). */
  sweep(name: Dim): Table {
    if (!this.results.sweepVars.includes(name)) {
      throw new DyncRuntimeError("RUN051", `\`${name}\` is not a sweep variable of these results; sweep variables: ${this.results.sweepVars.join(", ") || "(none)"}`);
    }
    const rows: Row[] = [];
    for (const run of this.runs) {
      const value = run.point[name];
      if (typeof value !== "number") {
        throw new DyncRuntimeError("RUN040", `sweep variable \`${name}\` is used as a number, but run ${run.id} has ${name} = ${JSON.stringify(value)}`);
      }
      if (!rows.some((r) => sameValue(r.key[name]!, value))) rows.push({ key: { [name]: value }, value });
    }
    return { dims: [name], rows };
  }

  /** The common training length of the runs whose sweep point matches the row's sweep dimensions. */
  totalSteps(key: Key, dims: readonly Dim[]): number {
    const matching = this.matchingRuns(key, dims);
    const missing = matching.find((r) => r.totalSteps === undefined);
    if (missing) throw new DyncRuntimeError("RUN040", `the results hold no training length for run ${missing.id}`);
    const lengths = [...new Set(matching.map((r) => r.totalSteps!))];
    if (lengths.length === 1) return lengths[0]!;
    if (lengths.length === 0) throw new DyncRuntimeError("RUN040", `no run matches ${JSON.stringify(key)}`);
    throw new DyncRuntimeError(
      "RUN050",
      `a fraction of training is ambiguous here: the rows come from runs of ${lengths.join(", ")} steps`,
      "apply `after`/`before` to the probe before reducing over sweep variables",
    );
  }

  /** The common steps per epoch of the runs whose sweep point matches the row's sweep dimensions. */
  stepsPerEpoch(key: Key, dims: readonly Dim[]): number {
    const matching = this.matchingRuns(key, dims);
    const missing = matching.find((r) => r.stepsPerEpoch === undefined);
    if (missing) {
      throw new DyncRuntimeError("RUN040", `the results hold no steps per epoch for run ${missing.id} (recorded by a dync that did not write it, or not started)`, "plot over `steps`, or run the experiment again");
    }
    const counts = [...new Set(matching.map((r) => r.stepsPerEpoch!))];
    if (counts.length === 1) return counts[0]!;
    if (counts.length === 0) throw new DyncRuntimeError("RUN040", `no run matches ${JSON.stringify(key)}`);
    throw new DyncRuntimeError(
      "RUN050",
      `epochs are ambiguous here: the rows come from runs of ${counts.join(", ")} steps per epoch`,
      "keep the sweep variable that changes the batch or the data size in the plot (as `color:` or `facet:`), or plot over `steps`",
    );
  }

  /** The runs whose sweep point matches the key on its sweep dimensions. */
  private matchingRuns(key: Key, dims: readonly Dim[]): ResultEnv["runs"] {
    const sweepDims = dims.filter((d) => this.results.sweepVars.includes(d));
    return this.runs.filter((r) => sweepDims.every((d) => sameValue(r.point[d]!, key[d]!)));
  }
}

/** A probe's rows as a table keyed by sweep variables, `seeds` and `steps`. */
export function probeTable(rows: readonly ResultRow[], sweepVars: readonly string[]): Table {
  // Per-unit probes (`neuron`, `frequency`) add their index dimensions after the standard ones.
  const indexDims = rows[0]?.index ? Object.keys(rows[0].index) : [];
  const dims = [...sweepVars, SEEDS, STEPS, ...indexDims];
  // Per run: its sweep values (checked once) and the (seed, step, index) triples seen so far.
  const perRun = new Map<string, { sweep: Record<string, SweepValue>; seen: Map<number, Set<string>> }>();
  const out: Row[] = [];
  for (const r of rows) {
    let run = perRun.get(r.run);
    if (!run) perRun.set(r.run, (run = { sweep: pick(r.point, sweepVars), seen: new Map() }));
    let steps = run.seen.get(r.seed);
    if (!steps) run.seen.set(r.seed, (steps = new Set()));
    // Two cadences can fire at the same step (`every 10 steps` and `at end`): one measurement of one state.
    const at = r.index ? `${r.step}|${indexDims.map((d) => r.index![d]).join(",")}` : String(r.step);
    if (steps.has(at)) continue;
    steps.add(at);
    // Spread, not Object.assign: a sweep variable may be called `__proto__`, which assignment would drop.
    out.push({ key: { ...run.sweep, [SEEDS]: r.seed, [STEPS]: r.step, ...r.index }, value: r.value });
  }
  return { dims, rows: out };
}

function pick(point: Readonly<Record<string, SweepValue>>, vars: readonly string[]): Record<string, SweepValue> {
  const out: Record<string, SweepValue> = Object.create(null) as Record<string, SweepValue>;
  for (const v of vars) {
    if (!Object.hasOwn(point, v)) throw new DyncRuntimeError("RUN040", `a result row has no value for sweep variable ${v}`);
    out[v] = point[v]!;
  }
  return out;
}
