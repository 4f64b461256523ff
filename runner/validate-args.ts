/**
 * Validating a run's arguments against the standard library's parameter schemas before anything trains.
 * A compiled program has passed `dync check`, which applies the same schemas; a program written by hand
 * against the JavaScript API (`runMain(program)`) has not, and without this a `beta1: 1` would surface
 * only as a RUN040 from deep inside the optimizer (or not at all: a rule such as Nesterov's needing
 * momentum is only known to the registry).
 *
 * Checked: the optimizer, the L2 term (λ and `on`) and the schedule (with a warm-up's inner schedule), every data source, an `mlp`
 * model's arguments with its encoding and `phase` init, and every probe's arguments (with its pair sampler). Lowered specs carry
 * the entry's name as `kind` (a data spec: as `source`) and the `.dyn` argument names, so a spec is read
 * back as arguments field for field; the few fields `lower` still renames (data bindings lowered to `axes`
 * or `columns`, mlp's `inDim`) are mapped back through the entry's own `lower`. Not checked here: data
 * blocks (sampled variables) and `convnet` models (`filters` lowered into per-block `convs`).
 */
import { DyncRuntimeError } from "../runtime/errors.js";
import type { DataSpec, ProbeSpec, ProfilePlan, RunSpec } from "../contract/program.js";
import { argsFromSpec, registry, validateArgs, type EntryKind } from "../stdlib/registry/index.js";
import { runLabel } from "../contract/plan.js";

/** Every problem of one run's arguments, each naming the run, the entry and the argument. */
export function runArgProblems(run: RunSpec): string[] {
  const at = (what: string, problems: readonly string[]) => problems.map((p) => `${runLabel(run.id)}: ${what}: ${p}`);
  return [
    ...at("optimizer", specProblems("optimizer", run.optimizer as unknown as Spec)),
    ...(run.schedule ? at("schedule", specProblems("schedule", run.schedule as unknown as Spec)) : []),
    ...at("regularize", specProblems("regularizer", { kind: "l2", lambda: run.l2, on: run.l2On ?? "all" })),
    ...Object.entries(run.data).flatMap(([name, spec]) => at(`data "${name}"`, dataProblems(spec))),
    ...(run.model.kind === "mlp" ? at(`model "${run.model.name}"`, mlpProblems(run.model)) : []),
    ...run.probes.flatMap((probe) => at(`probe ${probe.name} (line ${probe.line})`, probeProblems(probe))),
  ];
}

/** RUN040 for the first run whose arguments do not fit the schemas (with a count of the others). */
export function assertPlanArgs(plan: ProfilePlan): void {
  const problems = plan.runs.flatMap(runArgProblems);
  if (problems.length === 0) return;
  const more = problems.length - 1;
  throw new DyncRuntimeError(
    "RUN040",
    problems[0]!,
    more > 0 ? `${more} more problem${more === 1 ? "" : "s"} in this plan, starting with: ${problems[1]}` : undefined,
  );
}

/** RUN040 when one run's arguments do not fit the schemas. */
export function assertRunArgs(run: RunSpec): void {
  const [first] = runArgProblems(run);
  if (first) throw new DyncRuntimeError("RUN040", first);
}

type Spec = Readonly<Record<string, unknown>> & { readonly kind?: unknown };

/** A lowered `{ kind, … }` spec against the entry of that kind; nested schedules (warm-up's `then`) too. */
function specProblems(kind: EntryKind, spec: Spec): string[] {
  const entry = typeof spec.kind === "string" ? registry.get(kind, spec.kind) : undefined;
  if (!entry) {
    const known = registry.ofKind(kind).map((e) => e.name).join(", ");
    return [`unknown ${kind} ${JSON.stringify(spec.kind)} (known: ${known})`];
  }
  const args = argsFromSpec(entry, spec);
  const problems = validateArgs(entry, args).map((p) => p.message);
  const nested = Object.values(args).filter((v): v is Spec => kind === "schedule" && typeof v === "object" && v !== null && "kind" in v);
  return [...problems, ...nested.flatMap((inner) => specProblems("schedule", inner))];
}

/** A data source's spec (`source` naming the entry) against its entry; a data block's sampled variables are checked where they are drawn. */
function dataProblems(spec: DataSpec): string[] {
  if (spec.source === "sample") return [];
  const { source, target: _target, perSeed: _perSeed, ...fields } = spec as DataSpec & Spec;
  return specProblems("data", { kind: source, ...fields });
}

/** An mlp's arguments, its input encoding and its `phase` init (init schemes and per-layer inits are names and distributions). */
function mlpProblems(model: Extract<RunSpec["model"], { kind: "mlp" }>): string[] {
  const nested = (kind: EntryKind, spec: unknown) => (typeof spec === "object" && spec !== null && "kind" in spec && registry.get(kind, String(spec.kind)) ? specProblems(kind, spec as Spec) : []);
  return [
    ...specProblems("model", withoutName(model as unknown as Spec)),
    ...nested("encoding", model.encode),
    ...nested("init", model.init),
  ];
}

function probeProblems(probe: ProbeSpec): string[] {
  const entry = registry.get("probe", probe.probe);
  // An unknown probe is reported with the list of implementations when the run builds its probes.
  if (!entry) return [];
  const samplers = entry.params.filter((p) => p.type.t === "entry" && p.type.kind === "sampler" && isSpec(probe.args[p.name]));
  return [
    ...validateArgs(entry, argsFromSpec(entry, probe.args)).map((p) => p.message),
    ...samplers.flatMap((p) => specProblems("sampler", probe.args[p.name] as Spec).map((m) => `${p.name}: ${m}`)),
  ];
}

function isSpec(value: unknown): value is Spec {
  return typeof value === "object" && value !== null && "kind" in value;
}

/** A model spec carries its `.dyn` name besides the entry's arguments. */
function withoutName(spec: Spec): Spec {
  const { name: _name, ...rest } = spec;
  return rest;
}
