/**
 * Validating a run's arguments against the standard library's parameter schemas before anything trains.
 * A compiled program has passed `dync check`, which applies the same schemas; a program written by hand
 * against the JavaScript API (`runMain(program)`) has not, and without this a `beta1: 1` would surface
 * only as a RUN040 from deep inside the optimizer (or not at all: a rule such as Nesterov's needing
 * momentum is only known to the registry).
 *
 * Checked: the optimizer (`{ kind, …args }`, lowered field names mapped back to `.dyn` names through the
 * entry's own `lower`), the schedule (with a warm-up's inner schedule), every probe's arguments (`.dyn`
 * names already) and an `mlp` model's arguments. Not checked here: data specs (`source` instead of `kind`,
 * bindings lowered to axes) and `convnet` models (`filters` lowered into per-block `convs`), whose lowered
 * shape the schema cannot be read back from.
 */
import { DyncRuntimeError } from "../runtime/errors.js";
import type { ProbeSpec, ProfilePlan, RunSpec } from "../contract/program.js";
import { argsFromSpec, registry, validateArgs, type EntryKind } from "../stdlib/registry/index.js";

/** Every problem of one run's arguments, each naming the run, the entry and the argument. */
export function runArgProblems(run: RunSpec): string[] {
  const at = (what: string, problems: readonly string[]) => problems.map((p) => `run ${run.id}: ${what}: ${p}`);
  return [
    ...at("optimizer", specProblems("optimizer", run.optimizer as unknown as Spec)),
    ...(run.schedule ? at("schedule", specProblems("schedule", run.schedule as unknown as Spec)) : []),
    ...(run.model.kind === "mlp" ? at(`model "${run.model.name}"`, specProblems("model", withoutName(run.model as unknown as Spec))) : []),
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

function probeProblems(probe: ProbeSpec): string[] {
  const entry = registry.get("probe", probe.probe);
  // An unknown probe is reported with the list of implementations when the run builds its probes.
  if (!entry) return [];
  return validateArgs(entry, argsFromSpec(entry, probe.args)).map((p) => p.message);
}

/** A model spec carries its `.dyn` name besides the entry's arguments. */
function withoutName(spec: Spec): Spec {
  const { name: _name, ...rest } = spec;
  return rest;
}
