/**
 * `dync plan FILE [--profile P] [--shard i/n] [--jobs N] [--backend B]`: the expanded runs before anything trains:
 * sweep points × seeds (each point one seed-batched program), steps, parameters, the training arithmetic they amount
 * to, and how many runs `dync run` (with the same `--jobs` and `--backend`) would train at once (`jobs:`); with
 * `--shard`, only the runs `dync run --shard i/n` trains.
 */
import { cadencePointStep, describeCadencePoint, everyShareSteps } from "../../contract/training-specs.js";
import { expandPlan, formatShard, planTemplate, shardRuns, type Shard } from "../../contract/plan.js";
import { crossRunUses, type HandoffPoint } from "../../contract/handoff.js";
import { checkpointCadence, checkpointWrites, dataRefRows, type CheckpointSpec, type DataRef, type FoundSet, type DataSpec, type LayerSpec, type ModelSpec, type ProbeSpec, type RunSpec } from "../../contract/program.js";
import type { Cadence } from "../../runtime/train/index.js";
import { registry, type DataSourceSchema, type Lowered, type ProbeCost, type ProbeCostShape } from "../../stdlib/registry/index.js";
import { dataSetSize } from "../../stdlib/registry/data-size.js";
import { tableFileRows } from "../../stdlib/data/tables.js";
import { DyncRuntimeError } from "../../runtime/errors.js";
import { dirname, resolve } from "node:path";
import { type LayerGeometry, layerGeometry, layerRole, modelLayers } from "../../contract/layer-list.js";
import { checkSource, type Setting } from "../../compiler/check/index.js";
import { diagnostic, hasErrors } from "../../diagnostics/diagnostic.js";
import { readSource } from "../../compiler/read-source.js";
import { printDiagnostics, type Output } from "./output.js";
import { chooseBeforeTraining, resolveJobs, trainsOnWorkers } from "../../runner/jobs.js";
import { firstAutoCandidate, type BackendRequest, type PackageResolver } from "../../runtime/backend-packages.js";
import { backendTimesKey, readRunTimes, rememberedBackends, runTimesKey } from "../../runner/run-times.js";

/**
 * What the `jobs:` line reads besides the plan, as `dync run` reads it: `--jobs`, the environment (`DYNC_JOBS`,
 * the cache directory), the machine's cores and load, and the backend `dync run` would train on.
 */
export interface JobsInputs {
  readonly flag?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly machine?: { readonly cores: number; readonly load: number };
  /** `--backend` as given to `dync run` (default auto). */
  readonly backend?: BackendRequest;
  /** `backendTimesKey` of the backend `dync run` would pick; asked only when the plan has remembered times that could decide. */
  readonly backendKey?: () => Promise<string>;
  /** Where an installed backend package is (runtime/backend-packages.ts); for `auto`, which backend it would try first. */
  readonly resolvePackage?: PackageResolver;
}

/** `overrides`: `key=value` arguments, laid over the profile (compiler/check/overrides.ts). */
export async function planCommand(file: string, profile: string | undefined, out: Output, shard?: Shard, overrides: readonly string[] = [], jobs: JobsInputs = {}): Promise<number> {
  const read = readSource(file);
  if (!read.ok) {
    printDiagnostics(out, [read.diagnostic], undefined);
    return 1;
  }
  const check = checkSource(read.text, file, { overrides: { profile: profile ?? "default", args: overrides } });
  printDiagnostics(out, check.diagnostics, check.sources);
  if (hasErrors(check.diagnostics)) return 1;
  let status = 0;
  const sizes = new FileSizes(file);
  for (const exp of check.experiments) {
    const name = profile ?? "default";
    const plan = Object.hasOwn(exp.profiles, name) ? exp.profiles[name] : undefined;
    if (!plan) {
      printDiagnostics(out, [diagnostic("DYN2042", exp.span, { experiment: exp.name, profile: name }, { hint: `profiles: ${Object.keys(exp.profiles).join(", ")}` })], check.sources);
      status = 1;
      continue;
    }
    // The runs as the compiled program will expand them (the same function the runtime calls).
    const expanded = expandPlan(planTemplate(plan, plan.axes));
    if (shard) out.write(`${shardHeader(shard, expanded.runs)}\n`);
    const runs = shard ? shardRuns(expanded.runs, shard) : expanded.runs;
    out.write(describePlan(exp.name, name, expanded.seeds, runs, sizes) + `${await jobsLine(exp.name, expanded, runs, jobs)}\n` + describeSettings(plan.settings));
  }
  return status;
}

/**
 * `  jobs 2: runs last took 2.0 s: ~10 s in this process, ~7.0 s on 2 workers (remembered on wasm/openblas/native)`:
 * the runs `dync run` would train at once, as its own `jobs` line would say before the first run (runner/jobs.ts
 * `chooseBeforeTraining`, over the idle cores now and the times remembered for this plan on the backend it
 * would pick), or the `--jobs` / `DYNC_JOBS` given.
 */
export async function jobsLine(experiment: string, plan: { readonly seeds: readonly number[]; readonly runs: readonly RunSpec[] }, runs: readonly RunSpec[], inputs: JobsInputs): Promise<string> {
  const jobs = resolveJobs(inputs.flag === undefined ? {} : { jobs: inputs.flag }, inputs.env, inputs.machine);
  const request = inputs.backend ?? "auto";
  const inProcess = request === "auto" ? autoInProcess(inputs.resolvePackage) : trainsOnWorkers(request) ? undefined : `the ${request} backend trains every run in this process`;
  if (inProcess !== undefined) {
    const asked = typeof jobs === "number" && jobs > 1 ? ` (${inputs.flag === undefined ? `DYNC_JOBS=${jobs}` : `--jobs ${jobs}`} counts on wasm and cpu only)` : "";
    return `  jobs 1: ${inProcess}${asked}`;
  }
  if (typeof jobs === "number") return `  jobs ${jobs}: ${inputs.flag === undefined ? `DYNC_JOBS=${jobs}` : `--jobs ${jobs}`}`;
  const planKey = runTimesKey(experiment, plan);
  const ids = runs.map((r) => r.id);
  // Times matter only where the choice without any would time the first run (not for one run, no idle core).
  const timesMatter = chooseBeforeTraining(jobs, ids, {}).probe;
  const backends = jobs.runTimesDir === undefined || !timesMatter ? [] : rememberedBackends(jobs.runTimesDir, planKey);
  const backend = backends.length > 0 ? await (inputs.backendKey ?? (() => backendDyncRunPicks(request)))() : undefined;
  const remembered = backend === undefined ? {} : readRunTimes(jobs.runTimesDir!, planKey, backend);
  const choice = chooseBeforeTraining(jobs, ids, remembered);
  const others = backends.filter((b) => b !== backend);
  const source = choice.probe
    ? ` (no remembered times${backend === undefined ? "" : ` on ${backend}`}${others.length ? `; some on ${others.join(", ")}` : ""})`
    : choice.remembered ? ` (remembered on ${backend})` : "";
  return `  jobs ${choice.jobs}: ${choice.why}${source}`;
}

/**
 * Why `dync run --backend auto` would train every run in this process: the first backend it tries is gpu or
 * tensorflow (its package installed), undefined when it is wasm or cpu. Found by resolving the packages, not
 * loading them, so an installed package that fails to initialise (and would make `auto` try the next) is not
 * known here; the line says so.
 */
function autoInProcess(resolvePackage?: PackageResolver): string | undefined {
  const first = firstAutoCandidate(resolvePackage);
  if (first === undefined || trainsOnWorkers(first.name)) return undefined;
  return `auto would pick ${first.name} (${first.pkg} is installed), which trains every run in this process; should it fail to initialise, dync run tries the next backend`;
}

/** The backend `dync run --backend <request>` trains on, as its times are keyed (loads it: only when times are remembered). */
async function backendDyncRunPicks(request: BackendRequest): Promise<string> {
  const { selectBackend } = await import("../../runtime/backend.js");
  return backendTimesKey(await selectBackend(request));
}

/** `shard 2/4: runs 2, 6 of 8 (every 4th run of the plan from run 2; each with all its seeds)`. */
function shardHeader(shard: Shard, runs: readonly RunSpec[]): string {
  const total = runs.length;
  const mine = new Set(shardRuns(runs, shard));
  const positions = runs.flatMap((r, i) => (mine.has(r) ? [i + 1] : []));
  const which = positions.length ? `run${positions.length === 1 ? "" : "s"} ${positions.join(", ")} of ${total}` : `no runs: the plan has ${total}`;
  return `shard ${formatShard(shard)}: ${which} (${shard.count === 1 ? "every run" : `every ${ordinal(shard.count)} run`} of the plan from run ${shard.index}, each with all its seeds)`;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}

/**
 * Data set sizes for the plan: the source's own (`dataSetSize`), else for the user's files (`csv`, `npy`)
 * their row count, read from the files once per file (a CSV's lines, an npy header); why a size stays
 * unknown is kept for the plan's note on its `?`.
 */
export class FileSizes {
  private readonly dir: string;
  private readonly counted = new Map<string, number | undefined>();
  /** Data set source or file → why its size is unknown. */
  readonly unknown = new Map<string, string>();

  constructor(dynFile: string) {
    this.dir = dirname(resolve(dynFile));
  }

  size(d: DataSpec): number | undefined {
    const known = dataSetSize(d);
    if (known !== undefined) return known;
    if (d.source !== "csv" && d.source !== "npy") {
      this.unknown.set(d.source, `the size of \`${d.source}(…)\` data is known only once it is read${d.source === "image" ? " (give `size:` to fix it)" : ""}`);
      return undefined;
    }
    const file = d.source === "csv" ? d.file : d.x;
    if (!this.counted.has(file)) {
      try {
        this.counted.set(file, tableFileRows(d, (f) => resolve(this.dir, f)));
      } catch (error) {
        if (!(error instanceof DyncRuntimeError)) throw error;
        this.counted.set(file, undefined);
        this.unknown.set(file, `${file} could not be read: ${error.oneLine()}`);
      }
    }
    return this.counted.get(file);
  }
}

export function describePlan(experiment: string, profile: string, seeds: readonly number[], runs: readonly RunSpec[], sizes?: FileSizes): string {
  const rows = runs.map((r) => {
    const n = sizes ? sizes.size(r.data[r.trainOn]!) : dataSetSize(r.data[r.trainOn]!);
    const batch = r.batch === "full" ? n : Math.min(r.batch.size, n ?? r.batch.size);
    const steps = "steps" in r.duration ? r.duration.steps : n === undefined || batch === undefined ? undefined : r.duration.epochs * Math.ceil(n / batch);
    const params = parameterCount(r.model);
    const training = steps !== undefined && batch !== undefined ? 6 * forwardMultiplyAdds(r.model) * batch * steps : undefined;
    const flops = training === undefined ? undefined : (training + probeFlops(r, steps!, n === undefined ? 1 : Math.ceil(n / batch!))) * seeds.length;
    const stepsPerEpoch = n === undefined || batch === undefined ? undefined : Math.ceil(n / batch);
    return { id: r.id, params, batch, steps, flops, probes: r.probes.map((p) => p.name).join(", "), checkpoint: checkpointPlan(r.checkpoint, steps, stepsPerEpoch) };
  });
  const totalFlops = rows.reduce((a, r) => a + (r.flops ?? 0), 0);
  const totalSteps = rows.reduce((a, r) => a + (r.steps ?? 0), 0);
  const table = [
    ["run", "params/seed", "batch", "steps", "probes"],
    ...rows.map((r) => [r.id, String(r.params), r.batch === undefined ? "?" : String(r.batch), r.steps === undefined ? "?" : String(r.steps), r.probes || "—"]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const lines = table.map((row) => `  ${row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ")}`.trimEnd());
  return [
    `experiment ${experiment} (profile ${profile}): ${runs.length} run${runs.length === 1 ? "" : "s"} × ${seeds.length} seed${seeds.length === 1 ? "" : "s"} = ${runs.length * seeds.length} networks, trained as ${runs.length} seed-batched program${runs.length === 1 ? "" : "s"}`,
    ...lines,
    ...(rows.some((r) => r.batch === undefined || r.steps === undefined) ? unknownSizeLines(sizes) : []),
    ...inputsLine(runs[0]),
    ...checkpointLine(rows.map((r) => r.checkpoint)),
    ...handoffLines(runs),
    ...foundSetLines(runs),
    `  total: ${totalSteps} steps; training arithmetic ≈ ${formatFlops(totalFlops)} (6 · forward multiply-adds · batch per seed-step, plus each probe's declared cost per call)`,
    "",
  ].join("\n");
}

/** What a `?` in the table means: whose size is unknown, and why. */
function unknownSizeLines(sizes: FileSizes | undefined): string[] {
  const why = sizes ? [...sizes.unknown.values()] : [];
  return why.length ? why.map((w) => `  ?: ${w}`) : ["  ?: the training data's size is known only once it is read"];
}

/** `  reads from other runs: top of opt=gd (every other run; they train after it)`, for cross-run references. */
function handoffLines(runs: readonly RunSpec[]): string[] {
  const pairs = new Map<string, Set<string>>();
  for (const run of runs) {
    for (const use of crossRunUses(run)) {
      if (use.producer === run.id) continue;
      const key = `${use.ref}${pointText(use.at)} of ${use.producer}`;
      pairs.set(key, (pairs.get(key) ?? new Set()).add(run.id));
    }
  }
  return [...pairs].map(([what, readers]) => `  handed over: ${what} → ${readers.size === runs.length - 1 ? "every other run" : [...readers].join(", ")} (trained after it)`);
}

/** ` at step 155`, ` at its first(…) event top@handoff`: which measurement a cross-run reference reads. */
function pointText(at: HandoffPoint | undefined): string {
  if (!at) return "";
  if ("event" in at) return ` at its first(…) event ${at.event}`;
  const p = at.step;
  return ` at ${describeCadencePoint(p)}`;
}

/**
 * The statements in effect under a profile or command-line overrides, each marked with what set which of
 * its keys: `train 600 steps, batch 64  ← profile quick: length`. Nothing when nothing was overridden.
 */
export function describeSettings(settings: readonly Setting[]): string {
  if (settings.length === 0) return "";
  const width = Math.min(60, Math.max(...settings.map((s) => s.text.length)));
  const marks = (s: Setting) => s.from.map((f) => (f.keys === "all" ? f.origin : `${f.origin}: ${f.keys.join(", ")}`)).join("; ");
  const lines = settings.map((s) => (s.from.length ? `    ${s.text.padEnd(width)}  ← ${marks(s)}` : `    ${s.text}`));
  return ["  in effect (← what the profile or the command line set):", ...lines, ""].join("\n");
}

interface CheckpointPlan {
  /** `every 2 epochs (40 steps)`. */
  readonly cadence: string;
  /** Checkpoint files written over the run (each replaces the last), undefined when its steps are unknown. */
  readonly writes: number | undefined;
}

/** A run's `checkpoint every N steps|epochs` or `every 10%` and how many checkpoints that writes; null without one. */
function checkpointPlan(spec: CheckpointSpec | null | undefined, steps: number | undefined, stepsPerEpoch: number | undefined): CheckpointPlan | null {
  if (!spec) return null;
  if ("fraction" in spec) {
    return { cadence: `every ${describeCadencePoint(spec)}`, writes: steps === undefined ? undefined : checkpointWrites(steps, checkpointCadence(spec, steps, 1)) };
  }
  const interval = spec.unit === "steps" ? spec.every : stepsPerEpoch !== undefined ? spec.every * stepsPerEpoch : undefined;
  const inSteps = spec.unit === "epochs" && interval !== undefined ? ` (${interval} steps)` : "";
  const unit = spec.every === 1 ? spec.unit.slice(0, -1) : spec.unit;
  return { cadence: `every ${spec.every} ${unit}${inSteps}`, writes: steps === undefined || interval === undefined ? undefined : checkpointWrites(steps, { every: interval }) };
}

/** `checkpoint every 500 steps: 3 writes per run`, with ranges where runs differ; nothing without checkpoints. */
function checkpointLine(plans: readonly (CheckpointPlan | null)[]): string[] {
  const present = plans.filter((p): p is CheckpointPlan => p !== null);
  if (present.length === 0) return [];
  const cadences = [...new Set(present.map((p) => p.cadence))].join(" or ");
  const writes = present.map((p) => p.writes);
  const known = writes.filter((w): w is number => w !== undefined);
  const [lo, hi] = [Math.min(...known), Math.max(...known)];
  const count = known.length < writes.length ? "?" : lo === hi ? String(lo) : `${lo}–${hi}`;
  const without = plans.length - present.length;
  return [`  checkpoint ${cadences}: ${count} write${count === "1" ? "" : "s"} per run${without ? ` (${without} run${without === 1 ? "" : "s"} without checkpoints)` : ""}`];
}

/** `inputs: x; latent: noise (train)`: the model's named inputs and the data blocks' latent variables, as the checker inferred them. */
function inputsLine(run: RunSpec | undefined): string[] {
  const train = run?.data[run.trainOn];
  const names = train && inputNames(train);
  if (!run || !names) return [];
  const latent = Object.entries(run.data).flatMap(([name, d]) => (d.source === "sample" ? d.vars.filter((v) => v.latent).map((v) => `${v.name} (${name})`) : []));
  return [`  inputs: ${names.join(", ")}${latent.length ? `; latent, read by the target only: ${latent.join(", ")}` : ""}`];
}

/** The model's named inputs (a data block's non-latent variables, a source's named inputs); undefined for unnamed ones (images). */
function inputNames(d: DataSpec): readonly string[] | undefined {
  if (d.source === "sample") return d.vars.filter((v) => !v.latent).map((v) => v.name);
  const source = dataSource(d);
  return source.namedInputs ? source.shape(d).inputs : undefined;
}

/** Flops per seed of a run's probes over `steps` steps: calls × each probe's declared cost (registry `cost`). */
export function probeFlops(run: RunSpec, steps: number, stepsPerEpoch: number): number {
  const fma = forwardMultiplyAdds(run.model);
  const shape: ProbeCostShape = {
    params: parameterCount(run.model),
    forwardMultiplyAdds: fma,
    layers: hiddenLayerShapes(run.model),
    rows: (ref) => {
      const name = typeof ref === "object" && ref !== null ? (ref as { ref?: unknown }).ref : undefined;
      const data = typeof name === "string" ? run.data[name] : undefined;
      return data ? dataRefRows(ref as DataRef, dataSetSize(data)) : undefined;
    },
    trainingStepCovers: (ref) => trainingStepCovers(run, ref),
  };
  return run.probes.reduce((total, p) => total + probeCalls(p, steps, stepsPerEpoch) * priced(probeCost(p, shape), fma), 0);
}

/** Full-batch training on exactly the rows `ref` names, with no layer that differs between training and evaluation. */
function trainingStepCovers(run: RunSpec, ref: unknown): boolean {
  if (typeof ref !== "object" || ref === null) return false;
  const { ref: name, rows, random, found } = ref as DataRef;
  const modeFree = modelLayers(run.model).layers.every((l) => l.kind !== "dropout" && l.kind !== "batchnorm");
  return name === run.trainOn && !rows && !random && !found && run.batch === "full" && modeFree;
}

function probeCost(p: ProbeSpec, shape: ProbeCostShape): ProbeCost {
  return registry.get("probe", p.probe)?.cost?.(p.args as Readonly<Record<string, Lowered>>, shape) ?? {};
}

/** A forward pass costs 2 flops per multiply-add, an HVP about two gradients (2 · 6). */
function priced(cost: ProbeCost, fma: number): number {
  return 2 * fma * (cost.forwardPasses ?? 0) + 12 * fma * (cost.hvps ?? 0) + (cost.flops ?? 0);
}

/**
 * Calls of a probe in a run of `steps` steps: the distinct steps its cadences name, each measured once as the runtime
 * does (runtime/train/cadence.ts: `at [start, 0%]` or `every 10 steps; at [start]` measure step 0 once), plus one per
 * event it runs on (an event fires once; its step is unknown before the run). Every n (step 0 included) and every
 * share (`every 10%`) of a probe reading an index set found during the run count from the step the set is known.
 */
function probeCalls(p: ProbeSpec, steps: number, stepsPerEpoch: number): number {
  const from = Math.max(0, ...foundSetsOf(p).map((s) => s.step));
  const periods: number[] = [];
  const listed = new Set<number>();
  let events = 0;
  for (const c of p.cadences as readonly Cadence[]) {
    if (c.kind === "every" && "fraction" in c) everyShareSteps(c.fraction, steps).filter((step) => step >= from).forEach((step) => listed.add(step));
    else if (c.kind === "every") periods.push(c.unit === "epochs" ? c.n * stepsPerEpoch : c.n);
    else if (c.kind === "at") for (const point of c.points) listed.add(cadencePointStep(point, steps, stepsPerEpoch));
    else events++;
  }
  const periodic = (step: number) => step >= from && periods.some((n) => step % n === 0);
  return stepsDivisibleByAny(periods, from, steps) + [...listed].filter((step) => !periodic(step)).length + events;
}

/** How many steps in [from, last] are a multiple of at least one of `periods` (inclusion–exclusion over their lcms). */
function stepsDivisibleByAny(periods: readonly number[], from: number, last: number): number {
  const distinct = [...new Set(periods)];
  let count = 0;
  for (let subset = 1; subset < 1 << distinct.length; subset++) {
    const members = distinct.filter((_, i) => subset & (1 << i));
    const l = members.reduce(lcm, 1);
    const multiples = Math.max(0, Math.floor(last / l) - Math.ceil(from / l) + 1);
    count += members.length % 2 === 1 ? multiples : -multiples;
  }
  return count;
}

function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y) [x, y] = [y, x % y];
  return (a / x) * b;
}

/** The index sets a probe's arguments read that the run finds (`train[up]`). */
function foundSetsOf(p: ProbeSpec): FoundSet[] {
  return Object.values(p.args).flatMap((v) => (typeof v === "object" && v !== null && "found" in v ? [(v as DataRef).found!] : []));
}

/** `  found during the run: up (20 rows per seed, known after step 150's measurements) → g_up, c_up from step 150`. */
function foundSetLines(runs: readonly RunSpec[]): string[] {
  const readers = new Map<string, { set: FoundSet; probes: Set<string> }>();
  for (const p of runs.flatMap((r) => r.probes)) {
    for (const set of foundSetsOf(p)) {
      const entry = readers.get(set.name) ?? { set, probes: new Set<string>() };
      readers.set(set.name, entry);
      entry.probes.add(p.name);
    }
  }
  return [...readers.values()].map(
    ({ set, probes }) => `  found during the run: ${set.name} (${set.size} rows per seed, known after step ${set.step}'s measurements) → ${[...probes].join(", ")} measure from step ${set.step}`,
  );
}

/** Fan-in and width of each hidden layer (conv blocks first), as probes' `layer: k` counts them. */
function hiddenLayerShapes(m: ModelSpec): { fanIn: number; width: number }[] {
  const { layers } = modelLayers(m);
  return geometry(m).flatMap((g, i) => {
    const role = layerRole(layers, i);
    if (role !== "hidden" && role !== "conv") return [];
    return [{ fanIn: g.fanIn, width: g.spec.kind === "conv" ? g.spec.filters : g.fanOut }];
  });
}

/** The registry schema of a (non-block) data spec's source. */
function dataSource(d: Exclude<DataSpec, { source: "sample" }>): DataSourceSchema {
  const schema = registry.get("data", d.source)?.data;
  if (!schema) throw new Error(`no data source \`${d.source}\` in the registry`);
  return schema;
}


function geometry(m: ModelSpec): readonly LayerGeometry[] {
  const { layers, inShape } = modelLayers(m);
  const g = layerGeometry(layers, inShape);
  if (!Array.isArray(g)) throw new Error(`model ${m.name}: layer ${g.index}: ${g.message}`);
  return g;
}

/** Trainable values of one seed's network: weights, biases, norm scales and shifts. */
export function parameterCount(m: ModelSpec): number {
  return geometry(m).reduce((a, g) => a + g.params, 0);
}

/**
 * Multiply-adds of one sample's forward pass through the weights: each dense weight once, each conv weight
 * once per output pixel (weights are shared across the image).
 */
export function forwardMultiplyAdds(m: ModelSpec): number {
  return geometry(m).reduce((a, g) => a + g.multiplyAdds, 0);
}

function formatFlops(x: number): string {
  if (x >= 1e12) return `${(x / 1e12).toFixed(1)} TFLOP`;
  if (x >= 1e9) return `${(x / 1e9).toFixed(1)} GFLOP`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)} MFLOP`;
  return `${Math.round(x)} FLOP`;
}
