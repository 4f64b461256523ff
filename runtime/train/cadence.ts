/**
 * When probes run. Pure logic, no tensors: given the run's timeline it answers which probes are due at a
 * step, and it turns recorded values into events ("the first step at which sharp > 2/lr") that trigger
 * other probes at that same step.
 *
 * Step k means "after k updates": step 0 is the initialisation (before any update, `start`) and step T,
 * the number of updates, is `end`. Epoch e ends at step e·stepsPerEpoch. Points given as shares of
 * training (`at 25%`, `every 10%`) are resolved here against the run's own T.
 */
import { DyncRuntimeError } from "../errors.js";
import { cadencePointStep, describeCadencePoint, everyShareSteps, type CadencePoint, type Cadence } from "../../contract/training-specs.js";
export type { CadencePoint, Cadence } from "../../contract/training-specs.js";

/**
 * "The first step at which a condition on probes' recorded values holds", per seed; fires once per seed.
 * The condition is called with every value a watched probe records (so it can keep what it needs, such as
 * a probe's value at step 0); at a step where several watched probes are due, only its answer after the
 * last of them counts, so it never compares one probe's new value with another's old one.
 */
export interface EventSpec {
  readonly name: string;
  /** The probe (or probes) whose values the condition reads. */
  readonly watch: string | readonly string[];
  /** `true` for all seeds, or one truth per seed index (length S) — e.g. `sharp[s] > 2 / lr`. `probe`: which watched probe recorded `value`. */
  condition(value: unknown, step: number, probe: string): boolean | ArrayLike<boolean>;
  /** What the condition keeps between calls, as plain data for a checkpoint, and its restoration. */
  save?(): unknown;
  restore?(state: unknown): void;
}

export interface ScheduledProbe {
  readonly name: string;
  readonly cadence: Cadence | readonly Cadence[];
}

export interface Timeline {
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  readonly seeds: number;
}

/** An event firing: at `step`, for these seed indices (those for which it had not fired before). */
export interface FiredEvent {
  readonly event: string;
  readonly step: number;
  readonly seedIndices: readonly number[];
}

/** Runs one probe for the given seed indices and returns its value (what events then read). */
export type ProbeRunner = (probe: string, seedIndices: readonly number[], step: number) => unknown | Promise<unknown>;

/** Decides which probes run at each step and tracks events. */
export class CadenceScheduler {
  private readonly fixed: { name: string; cadences: Cadence[] }[];
  private readonly atSteps = new Map<string, Set<number>>();
  private readonly triggers = new Map<string, string[]>();
  private readonly watchers = new Map<string, EventSpec[]>();
  private readonly events: EventSpec[] = [];
  /** Per event, per seed index: the step it fired at, or −1. */
  private readonly fired = new Map<string, Int32Array>();
  /** Seed indices whose events can no longer fire (the seed diverged). */
  private readonly retired = new Set<number>();
  private readonly allSeeds: number[];

  constructor(
    probes: readonly ScheduledProbe[],
    events: readonly EventSpec[],
    readonly timeline: Timeline,
  ) {
    validateTimeline(timeline);
    this.allSeeds = Array.from({ length: timeline.seeds }, (_, i) => i);
    const names = new Set<string>();
    for (const p of probes) {
      if (names.has(p.name)) throw configError(`probe "${p.name}" is registered twice`);
      names.add(p.name);
    }
    for (const e of events) this.addEvent(e, names);
    this.fixed = probes.map((p) => ({ name: p.name, cadences: this.addProbe(p) }));
  }

  /** Probes due at `step` by a fixed cadence (every/at), in registration order. */
  scheduledAt(step: number): string[] {
    return this.fixed.filter(({ name, cadences }) => cadences.some((c) => this.isDue(name, c, step))).map((p) => p.name);
  }

  /**
   * Feed the value `probe` recorded at `step`; returns the events that fire now, for the seeds newly true.
   * `pending`: probes due at this step that have not run yet; an event watching one of them decides later.
   */
  observe(probe: string, step: number, value: unknown, pending: ReadonlySet<string> = new Set()): FiredEvent[] {
    const out: FiredEvent[] = [];
    for (const event of this.watchers.get(probe) ?? []) {
      const firedAt = this.fired.get(event.name)!;
      const truth = event.condition(value, step, probe);
      if (watched(event).some((w) => w !== probe && pending.has(w))) continue;
      const newly = this.allSeeds.filter((s) => firedAt[s] === -1 && !this.retired.has(s) && this.holds(truth, s, event));
      for (const s of newly) firedAt[s] = step;
      if (newly.length > 0) out.push({ event: event.name, step, seedIndices: newly });
    }
    return out;
  }

  /**
   * Seed `seedIndex` diverged: from now on none of its events fires (they would read the frozen or
   * non-finite state). Returns the events that had not fired for it, whose probes it will never measure.
   */
  retire(seedIndex: number): string[] {
    if (this.retired.has(seedIndex)) return [];
    this.retired.add(seedIndex);
    return [...this.fired].filter(([, firedAt]) => firedAt[seedIndex] === -1).map(([event]) => event);
  }

  /** Probes whose cadence is `on: event`. */
  triggeredBy(event: string): readonly string[] {
    return this.triggers.get(event) ?? [];
  }

  /** Per seed index, the step at which `event` fired, or −1 if it has not. */
  firedSteps(event: string): Int32Array {
    const steps = this.fired.get(event);
    if (!steps) throw configError(`unknown event "${event}"`);
    return steps.slice();
  }

  /** Every event's firing steps (a checkpoint), and their restoration. */
  firedState(): Record<string, Int32Array> {
    return Object.fromEntries([...this.fired].map(([name, steps]) => [name, steps.slice()]));
  }

  restoreFired(state: Readonly<Record<string, Int32Array>>): void {
    for (const [name, steps] of this.fired) {
      const saved = state[name];
      if (!saved || saved.length !== steps.length) throw new DyncRuntimeError("RUN032", `a checkpoint has no firing steps for event "${name}" of ${steps.length} seeds`);
      steps.set(saved);
    }
  }

  /** What the events' conditions keep (earlier values), by event (a checkpoint), and its restoration. */
  conditionState(): Record<string, unknown> {
    return Object.fromEntries(this.events.filter((e) => e.save).map((e) => [e.name, e.save!()]));
  }

  restoreConditions(state: Readonly<Record<string, unknown>> | undefined): void {
    for (const e of this.events) {
      if (!e.restore) continue;
      if (!state || !(e.name in state)) throw new DyncRuntimeError("RUN032", `a checkpoint has no saved values for the condition of event "${e.name}"`);
      e.restore(state[e.name]);
    }
  }

  /**
   * Everything that happens at `step`: scheduled probes in order (all seeds), each value fed to its
   * events, and probes triggered by a firing run at once for the seeds it fired for (chains included).
   */
  async runStep(step: number, run: ProbeRunner): Promise<FiredEvent[]> {
    const scheduled = this.scheduledAt(step);
    const pending = new Set(scheduled);
    const queue: { probe: string; seeds: readonly number[] }[] = scheduled.map((probe) => ({ probe, seeds: this.allSeeds }));
    const firedNow: FiredEvent[] = [];
    while (queue.length > 0) {
      const { probe, seeds } = queue.shift()!;
      const value = await run(probe, seeds, step);
      pending.delete(probe);
      for (const fire of this.observe(probe, step, value, pending)) {
        firedNow.push(fire);
        // A probe due at this step anyway runs (or ran) for every seed: it is not measured twice.
        for (const t of this.triggeredBy(fire.event)) if (!scheduled.includes(t)) queue.push({ probe: t, seeds: fire.seedIndices });
      }
    }
    return firedNow;
  }

  private addEvent(event: EventSpec, probeNames: Set<string>): void {
    if (this.fired.has(event.name)) throw configError(`event "${event.name}" is defined twice`);
    const probes = watched(event);
    const missing = probes.find((p) => !probeNames.has(p));
    if (probes.length === 0 || missing !== undefined) {
      throw configError(`event "${event.name}" watches ${missing === undefined ? "no probe" : `probe "${missing}", which is not registered`}`);
    }
    this.fired.set(event.name, new Int32Array(this.timeline.seeds).fill(-1));
    this.events.push(event);
    for (const p of new Set(probes)) this.watchers.set(p, [...(this.watchers.get(p) ?? []), event]);
  }

  private addProbe(probe: ScheduledProbe): Cadence[] {
    const cadences: Cadence[] = Array.isArray(probe.cadence) ? [...probe.cadence] : [probe.cadence as Cadence];
    const steps = new Set<number>();
    for (const c of cadences) {
      if (c.kind === "every" && "fraction" in c) for (const step of this.shareSteps(probe.name, c.fraction)) steps.add(step);
      else if (c.kind === "every") this.validateEvery(probe.name, c.n);
      else if (c.kind === "at") for (const p of c.points) steps.add(this.resolvePoint(probe.name, p));
      else if (c.kind === "on") {
        if (!this.fired.has(c.event)) throw configError(`probe "${probe.name}" runs on unknown event "${c.event}"`);
        this.triggers.set(c.event, [...(this.triggers.get(c.event) ?? []), probe.name]);
      } else throw configError(`probe "${probe.name}" has an unknown cadence ${JSON.stringify(c)}`);
    }
    this.atSteps.set(probe.name, steps);
    return cadences;
  }

  private isDue(name: string, c: Cadence, step: number): boolean {
    if (c.kind === "every" && "fraction" in c) return this.atSteps.get(name)!.has(step);
    if (c.kind === "every") {
      const period = c.unit === "steps" ? c.n : c.n * this.timeline.stepsPerEpoch;
      return step % period === 0;
    }
    if (c.kind === "at") return this.atSteps.get(name)!.has(step);
    return false;
  }

  private resolvePoint(probe: string, point: CadencePoint): number {
    const { totalSteps, stepsPerEpoch } = this.timeline;
    const step = cadencePointStep(point, totalSteps, stepsPerEpoch);
    const raw = describeCadencePoint(point);
    if (!Number.isInteger(step) || step < 0 || step > totalSteps) {
      throw configError(`probe "${probe}" is scheduled at ${raw}, outside the run's ${totalSteps} steps`);
    }
    return step;
  }

  /** The steps of `every f` (a share of training) in this run: listed once, like `at` points. */
  private shareSteps(probe: string, fraction: number): number[] {
    if (!(fraction > 0 && fraction <= 1)) throw configError(`probe "${probe}": "every" takes a share of training in (0%, 100%], got ${describeCadencePoint({ fraction })}`);
    return everyShareSteps(fraction, this.timeline.totalSteps);
  }

  private validateEvery(probe: string, n: number): void {
    if (!Number.isInteger(n) || n < 1) throw configError(`probe "${probe}": "every" needs a whole number ≥ 1, got ${n}`);
  }

  private holds(truth: boolean | ArrayLike<boolean>, seed: number, event: EventSpec): boolean {
    if (typeof truth === "boolean") return truth;
    if (truth.length !== this.timeline.seeds) {
      throw configError(`event "${event.name}" condition gave ${truth.length} values for ${this.timeline.seeds} seeds`);
    }
    return Boolean(truth[seed]);
  }
}

function validateTimeline({ totalSteps, stepsPerEpoch, seeds }: Timeline): void {
  if (!Number.isInteger(totalSteps) || totalSteps < 0) throw configError(`total steps must be a whole number ≥ 0, got ${totalSteps}`);
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) throw configError(`steps per epoch must be ≥ 1, got ${stepsPerEpoch}`);
  if (!Number.isInteger(seeds) || seeds < 1) throw configError(`seed count must be ≥ 1, got ${seeds}`);
}

/** The probes an event watches, as a list. */
function watched(event: EventSpec): readonly string[] {
  return typeof event.watch === "string" ? [event.watch] : event.watch;
}

function configError(message: string): DyncRuntimeError {
  return new DyncRuntimeError("RUN040", message);
}
