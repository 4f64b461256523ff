/**
 * Values handed from one run of a profile to others (contract/handoff.ts): a probe argument
 * `{ ref: "h", from: point }` reads probe `h` of the run at `point` — today Hessian eigenpairs
 * (stdlib/curvature/eigen-board.ts), so `project(net, along: h[opt = gd])` in the Adam run projects on
 * GD's eigenvector.
 *
 * The producing run keeps, per seed, the eigenpairs its probe measured at that seed's first call (the probe
 * is measured at one point, DYN2076: `at first(…)` fires once per seed) and writes them after each call to
 * `handoff/<run>/<probe>.values.npy` ([S, k] float64), `.vectors.npy` ([S, k, P] float64) and `.json` (seed
 * values, the step of each seed's call or null, the parameter layout). It publishes the same per-seed
 * snapshot on its own board under `h[<run>]`, which its own readers then see from the step it is measured.
 * A reading run loads the files before its first step and publishes them under that key; its probes' `{ ref,
 * from }` arguments are rewritten to `{ ref: "h[<run>]" }`, so the probes themselves read the board as for
 * `along: h`. A seed whose producer never fired reads NaN; a producer with no seed at all fails the reader
 * (RUN042).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { replaceFile } from "../runtime/record/atomic-file.js";
import { join } from "node:path";
import type { ProbeSpec, RunSpec } from "../contract/program.js";
import type { CadencePoint } from "../contract/training-specs.js";
import { crossRunRef, handoffKey, handoffName, pointId, publishedProbes, type Publication } from "../contract/handoff.js";
import { DyncRuntimeError } from "../runtime/errors.js";
import { readNpy, writeNpy } from "../runtime/npy.js";
import type { Model } from "../contract/model.js";
import { paramLayout, type HessianEigenpairs, type ParamSlice } from "../stdlib/curvature/eigen-board.js";

export const HANDOFF_FORMAT = "dync-handoff/1";

/** Where a profile's runs hand values over, and every run of the plan (to know who reads what). */
export interface HandoffSetup {
  readonly dir: string;
  readonly runs: readonly RunSpec[];
}

interface HandoffMeta {
  readonly format: string;
  readonly run: string;
  readonly probe: string;
  readonly seeds: readonly number[];
  /** The step of each seed's measurement, null for a seed never measured. */
  readonly steps: readonly (number | null)[];
  readonly k: number;
  readonly layout: readonly ParamSlice[];
}

/** The files of probe `probe` of run `run` (without extension). */
export function handoffBase(dir: string, run: string, probe: string): string {
  return join(dir, "handoff", encodeURIComponent(run), encodeURIComponent(probe));
}

/** The run's probe specs with every cross-run argument read from the board (`{ ref: "h[<run>]" }`), and the keys that adds. */
export function boardArguments(run: RunSpec): { specs: ProbeSpec[]; keys: Set<string> } {
  const keys = new Set<string>();
  const specs = run.probes.map((spec) => {
    let changed = false;
    const args = Object.fromEntries(
      Object.entries(spec.args).map(([param, value]) => {
        const ref = crossRunRef(value);
        if (!ref) return [param, value];
        changed = true;
        const key = handoffKey(handoffName(ref.ref, ref.at), pointId(ref.from));
        keys.add(key);
        return [param, { ref: key }];
      }),
    );
    return changed ? { ...spec, args } : spec;
  });
  return { specs, keys };
}

/** Loads, onto `board`, each value this run reads from another run (RUN042 when there is none). */
export function loadHandoffs(run: RunSpec, setup: HandoffSetup, board: Map<string, unknown>, model: Model, seeds: readonly number[]): void {
  const seen = new Set<string>();
  for (const spec of run.probes) {
    for (const value of Object.values(spec.args)) {
      const ref = crossRunRef(value);
      if (!ref) continue;
      const producer = pointId(ref.from);
      const name = handoffName(ref.ref, ref.at);
      const key = handoffKey(name, producer);
      if (seen.has(key)) continue;
      seen.add(key);
      if (producer === run.id) continue; // the run's own probe: HandoffWriter publishes it
      const pairs = readHandoff(setup.dir, producer, name, model, seeds, Infinity);
      if (!pairs) throw new DyncRuntimeError("RUN042", `probe ${spec.name} reads probe ${ref.ref} of run ${producer}, which has no measurement of it: that run failed, was interrupted or diverged first, or its probe ${ref.ref} was never measured (an \`at first(…)\` whose condition never held)`, "make the producing run measure it (train longer, or a condition that holds), then run again");
      if (pairs.values.every((v) => v === undefined)) throw new DyncRuntimeError("RUN042", `probe ${spec.name} reads probe ${ref.ref} of run ${producer}, which never measured it for any seed (an \`at first(…)\` whose condition never held)`, "make the condition hold (train longer, a larger step), then run again");
      board.set(key, pairs);
    }
  }
}

/**
 * The probes of this run that runs read through handoff files: after each of their calls, `afterCall`
 * takes the seeds measured for the first time from the board, writes the files and publishes the snapshot.
 */
export class HandoffWriter {
  private readonly published: readonly Publication[];
  private readonly snapshots = new Map<string, Snapshot>();

  /** `stepOf` resolves a handoff point's `start`, `end`, step or epoch to a step of this run. */
  constructor(
    private readonly run: RunSpec,
    private readonly setup: HandoffSetup,
    private readonly board: Map<string, unknown>,
    private readonly seeds: readonly number[],
    model: Model,
    resumeStep: number | undefined,
    private readonly stepOf: (point: CadencePoint) => number,
  ) {
    this.published = [...(publishedOf(setup.runs).get(run.id)?.values() ?? [])];
    // A resumed run keeps what it had handed over by its checkpoint's step (later calls are redone).
    if (resumeStep === undefined) return;
    for (const { name } of this.published) {
      const pairs = readHandoff(setup.dir, run.id, name, model, seeds, resumeStep);
      if (pairs) board.set(handoffKey(name, run.id), pairs);
    }
  }

  publishes(probe: string): boolean {
    return this.published.some((p) => p.probe === probe);
  }

  /**
   * After probe `probe` measured the seeds `seedIndices` at `step`: a value read without a point takes each
   * seed's first measurement, one read `at` a step the measurement at that step.
   */
  afterCall(probe: string, step: number, seedIndices: readonly number[]): void {
    for (const p of this.published) {
      if (p.probe !== probe || (p.at && !("step" in p.at))) continue;
      if (p.at && "step" in p.at && this.stepOf(p.at.step) !== step) continue;
      this.take(p, step, seedIndices);
    }
  }

  /** A producer event fired at `step` for `seedIndices`; its probe was measured then (the event triggers it). */
  eventFired(event: string, step: number, seedIndices: readonly number[]): void {
    for (const p of this.published) if (p.at && "event" in p.at && p.at.event === event) this.take(p, step, seedIndices);
  }

  /** Copies the latest eigenpairs of `p.probe` for the seeds not yet taken into `p`'s snapshot, and writes it. */
  private take(p: Publication, step: number, seedIndices: readonly number[]): void {
    const probe = p.probe;
    const latest = this.board.get(probe) as HessianEigenpairs | undefined;
    if (latest?.kind !== "hessian-eigenpairs") {
      throw new DyncRuntimeError("RUN040", `probe ${probe} of run ${this.run.id} is read by other runs but published no Hessian eigenpairs`);
    }
    const key = handoffKey(p.name, this.run.id);
    const snapshot = this.snapshots.get(p.name) ?? fromBoard(this.board.get(key), this.seeds.length) ?? emptySnapshot(this.seeds.length);
    this.snapshots.set(p.name, snapshot);
    let changed = false;
    for (const s of seedIndices) {
      if (snapshot.steps[s] !== null || !latest.vectors[s] || !latest.values[s]) continue;
      snapshot.steps[s] = step;
      snapshot.values[s] = Float64Array.from(latest.values[s]!);
      snapshot.vectors[s] = latest.vectors[s]!.map((v) => Float64Array.from(v));
      changed = true;
    }
    if (!changed) return;
    const pairs = asPairs(probe, snapshot, latest.layout);
    this.board.set(key, pairs);
    writeHandoff(this.setup.dir, this.run.id, p.name, this.seeds, snapshot, latest.layout);
  }
}

/** `publishedProbes` once per plan (a pool worker or the serial loop starts many runs of one plan). */
const publishedCache = new WeakMap<readonly RunSpec[], Map<string, Map<string, Publication>>>();
function publishedOf(runs: readonly RunSpec[]): Map<string, Map<string, Publication>> {
  let published = publishedCache.get(runs);
  if (!published) publishedCache.set(runs, (published = publishedProbes(runs)));
  return published;
}

interface Snapshot {
  steps: (number | null)[];
  values: (Float64Array | undefined)[];
  vectors: (Float64Array[] | undefined)[];
}

function emptySnapshot(seeds: number): Snapshot {
  return { steps: Array.from({ length: seeds }, () => null), values: Array.from({ length: seeds }, () => undefined), vectors: Array.from({ length: seeds }, () => undefined) };
}

/** A snapshot reloaded on resume (published on the board under the handoff key). */
function fromBoard(value: unknown, seeds: number): Snapshot | undefined {
  const pairs = value as (HessianEigenpairs & { steps?: (number | null)[] }) | undefined;
  if (pairs?.kind !== "hessian-eigenpairs" || !pairs.steps) return undefined;
  const out = emptySnapshot(seeds);
  pairs.steps.forEach((step, s) => {
    out.steps[s] = step;
    out.values[s] = pairs.values[s];
    out.vectors[s] = pairs.vectors[s] ? [...pairs.vectors[s]!] : undefined;
  });
  return out;
}

function asPairs(probe: string, snapshot: Snapshot, layout: readonly ParamSlice[]): HessianEigenpairs & { steps: (number | null)[] } {
  const first = Math.min(...snapshot.steps.filter((s): s is number => s !== null));
  return { kind: "hessian-eigenpairs", probe, step: first, values: [...snapshot.values], vectors: [...snapshot.vectors], layout, steps: [...snapshot.steps] };
}

function writeHandoff(dir: string, run: string, probe: string, seeds: readonly number[], snapshot: Snapshot, layout: readonly ParamSlice[]): void {
  const base = handoffBase(dir, run, probe);
  mkdirSync(join(base, ".."), { recursive: true });
  const k = Math.max(...snapshot.values.map((v) => v?.length ?? 0));
  const dim = layout.reduce((a, p) => a + p.size, 0);
  const values = new Float64Array(seeds.length * k).fill(NaN);
  const vectors = new Float64Array(seeds.length * k * dim).fill(NaN);
  snapshot.values.forEach((v, s) => v?.forEach((x, i) => (values[s * k + i] = x)));
  snapshot.vectors.forEach((vs, s) => vs?.forEach((v, i) => vectors.set(v, (s * k + i) * dim)));
  writeNpy(`${base}.values.npy`, values, [seeds.length, k]);
  writeNpy(`${base}.vectors.npy`, vectors, [seeds.length, k, dim]);
  const meta: HandoffMeta = { format: HANDOFF_FORMAT, run, probe, seeds: [...seeds], steps: [...snapshot.steps], k, layout };
  // The metadata last and atomically: a reader that finds it finds whole arrays.
  replaceFile(`${base}.json`, `${JSON.stringify(meta, null, 2)}\n`);
}

/** The eigenpairs probe `probe` of run `run` handed over, for the seeds measured at or before `atStep`; undefined when there is no file. */
export function readHandoff(dir: string, run: string, probe: string, model: Model, seeds: readonly number[], atStep: number): (HessianEigenpairs & { steps: (number | null)[] }) | undefined {
  const base = handoffBase(dir, run, probe);
  if (!existsSync(`${base}.json`)) return undefined;
  const meta = JSON.parse(readFileSync(`${base}.json`, "utf8")) as HandoffMeta;
  const where = `${base}.json`;
  if (meta.format !== HANDOFF_FORMAT) throw new DyncRuntimeError("RUN042", `${where} is not a handoff file of this dync version (format ${String(meta.format)})`);
  if (meta.seeds.length !== seeds.length || meta.seeds.some((s, i) => s !== seeds[i])) {
    throw new DyncRuntimeError("RUN042", `${where} holds seeds ${meta.seeds.join(", ")}, but this run trains seeds ${seeds.join(", ")}`);
  }
  const layout = paramLayout(model);
  const same = layout.length === meta.layout.length && layout.every((p, i) => p.name === meta.layout[i]!.name && p.size === meta.layout[i]!.size);
  if (!same) {
    const show = (l: readonly ParamSlice[]) => l.map((p) => `${p.name} ${p.size}`).join(", ");
    throw new DyncRuntimeError("RUN042", `probe ${probe} of run ${run} measured a vector over parameters (${show(meta.layout)}), but this run's model has (${show(layout)})`, "read it from a run of the same model");
  }
  const dim = layout.reduce((a, p) => a + p.size, 0);
  const values = readNpy(`${base}.values.npy`).data;
  const vectors = readNpy(`${base}.vectors.npy`).data;
  const k = meta.k;
  const steps = meta.steps.map((step) => (step !== null && step <= atStep ? step : null));
  const measured = (s: number) => steps[s] !== null;
  const first = Math.min(...steps.filter((s): s is number => s !== null));
  return {
    kind: "hessian-eigenpairs",
    probe,
    step: first,
    values: seeds.map((_, s) => (measured(s) ? Float64Array.from(values.subarray(s * k, (s + 1) * k)) : undefined)),
    vectors: seeds.map((_, s) => (measured(s) ? Array.from({ length: k }, (_, i) => Float64Array.from(vectors.subarray((s * k + i) * dim, (s * k + i + 1) * dim))) : undefined)),
    layout,
    steps,
  };
}
